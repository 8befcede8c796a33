// SPDX-License-Identifier: GPL-2.0
/*
 * kth-tcpbulk - a TCP bulk transfer over 127.0.0.1: kth-tcpbulk BYTES.
 * Prints "sent BYTES in MS ms" when the receiver has read them all.
 * TSO is turned off on lo for the transfer (and back on after): with a
 * small MTU on lo the stack then cuts each large send into MSS-sized
 * segments in software and hands them to the loopback device back to
 * back, so with netdev_max_backlog=0 all but the first of each burst are
 * dropped from the backlog, and TCP retransmits them.
 */
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Turn TSO on lo on or off; returns 0 or -1. */
static int lo_tso(int on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STSO, .data = on };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_data = (void *)&ev;
	ret = fd < 0 ? -1 : ioctl(fd, SIOCETHTOOL, &ifr);
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	long total, done = 0;
	static char buf[65536];
	struct timespec t0, t1;
	int ls, s, status;
	pid_t pid;

	total = argc == 2 ? atol(argv[1]) : 0;
	if (total <= 0) {
		fprintf(stderr, "usage: %s BYTES\n", argv[0]);
		return 2;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &len)) {
		perror("listen");
		return 1;
	}
	if (lo_tso(0))
		perror("TSO off on lo");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		while (done < total) {
			ssize_t n = write(s, buf, total - done < (long)sizeof(buf) ?
					  total - done : (long)sizeof(buf));
			if (n <= 0)
				return 1;
			done += n;
		}
		close(s);
		return 0;
	}
	s = accept(ls, NULL, NULL);
	for (;;) {
		ssize_t n = read(s, buf, sizeof(buf));

		if (n <= 0)
			break;
		done += n;
	}
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lo_tso(1);
	printf("sent %ld in %ld ms\n", done,
	       (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return done == total && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}
