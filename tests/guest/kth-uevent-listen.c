// SPDX-License-Identifier: GPL-2.0
/*
 * kth-uevent-listen - print kernel uevents of one subsystem, as udevd
 * receives them (netlink, NETLINK_KOBJECT_UEVENT, kernel group).
 *
 *   kth-uevent-listen SUBSYSTEM COUNT TIMEOUT_S
 *
 * Prints each matching uevent's variables one per line, then a line
 * "--", and exits 0 after COUNT of them, 1 on timeout.  Prints "ready" on
 * stderr once the socket is bound, so a caller can start producing.
 */
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char buf[8192], want[128];
	int fd, count, seen = 0;
	long deadline;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SUBSYSTEM COUNT TIMEOUT_S\n", argv[0]);
		return 2;
	}
	snprintf(want, sizeof(want), "SUBSYSTEM=%s", argv[1]);
	count = atoi(argv[2]);
	deadline = now_ms() + atol(argv[3]) * 1000L;
	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("netlink");
		return 2;
	}
	fprintf(stderr, "ready\n");
	while (seen < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t len, off;
		int match = 0;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return 1;
		len = recv(fd, buf, sizeof(buf) - 1, 0);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (off = 0; off < len; off += strlen(buf + off) + 1)
			if (!strcmp(buf + off, want))
				match = 1;
		if (!match)
			continue;
		/* the first string is "action@devpath"; variables follow */
		for (off = strlen(buf) + 1; off < len; off += strlen(buf + off) + 1)
			printf("%s\n", buf + off);
		printf("--\n");
		fflush(stdout);
		seen++;
	}
	return 0;
}
