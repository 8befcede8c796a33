// SPDX-License-Identifier: GPL-2.0
/*
 * kth-udpflood - fill and drain UDP receive memory on 127.0.0.1, on
 * command, for the netbufwatch scenario.  Commands on stdin, one reply
 * line each on stdout:
 *
 *   open N RCVBUF   N receiving sockets that never read (SO_RCVBUFFORCE)
 *   fill PAGES      send until UDP "mem" in /proc/net/sockstat reaches
 *                   PAGES, or the kernel refuses memory (the UDP
 *                   RcvbufErrors + InErrors counters of /proc/net/snmp
 *                   grow by 1000: the cap is reached)
 *   drain PAGES     read until it is at most PAGES
 *   close           close the receiving sockets
 *   mem             print the current UDP mem
 * Replies: "<command> <mem pages>", or "error <why>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SOCKS 256

static int rx[MAX_SOCKS], nrx, tx = -1;
static struct sockaddr_in dst[MAX_SOCKS];

static long udp_mem(void)
{
	char line[256];
	long inuse, mem = -1;
	FILE *f = fopen("/proc/net/sockstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "UDP: inuse %ld mem %ld", &inuse, &mem) == 2)
			break;
	fclose(f);
	return mem;
}

/* UDP InErrors + RcvbufErrors from /proc/net/snmp */
static long udp_errors(void)
{
	char line[512];
	long v[8], sum = -1;
	int header = 1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Udp: ", 5))
			continue;
		if (header) {	/* InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors */
			header = 0;
			continue;
		}
		if (sscanf(line + 5, "%ld %ld %ld %ld %ld", &v[0], &v[1], &v[2],
			   &v[3], &v[4]) == 5)
			sum = v[2] + v[4];
		break;
	}
	fclose(f);
	return sum;
}

static int open_socks(int n, int rcvbuf)
{
	socklen_t len = sizeof(struct sockaddr_in);
	int i;

	if (n < 1 || n > MAX_SOCKS)
		return -1;
	for (i = 0; i < n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rx[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (rx[i] < 0 ||
		    setsockopt(rx[i], SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			       sizeof(rcvbuf)) ||
		    bind(rx[i], (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(rx[i], (struct sockaddr *)&dst[i], &len))
			return -1;
	}
	nrx = n;
	if (tx < 0)
		tx = socket(AF_INET, SOCK_DGRAM, 0);
	return tx < 0 ? -1 : 0;
}

static void fill(long pages)
{
	static char buf[1400];
	long errors = udp_errors();
	int i;

	while (udp_mem() < pages && udp_errors() < errors + 1000)
		for (i = 0; i < nrx; i++)
			sendto(tx, buf, sizeof(buf), 0,
			       (struct sockaddr *)&dst[i], sizeof(dst[i]));
}

/*
 * One socket after the other: a UDP socket gives its memory back in
 * chunks (a quarter of its buffer), so draining them all in turn would
 * free everything at once.
 */
static void drain(long pages)
{
	char buf[2048];
	int i;

	for (i = 0; i < nrx && udp_mem() > pages; i++)
		while (udp_mem() > pages && recv(rx[i], buf, sizeof(buf), 0) > 0)
			;
}

int main(void)
{
	char cmd[64];
	long a, b;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (scanf("%63s", cmd) == 1) {
		if (!strcmp(cmd, "open") && scanf("%ld %ld", &a, &b) == 2) {
			if (open_socks(a, b)) {
				printf("error open: %s\n", strerror(errno));
				continue;
			}
		} else if (!strcmp(cmd, "fill") && scanf("%ld", &a) == 1) {
			fill(a);
		} else if (!strcmp(cmd, "drain") && scanf("%ld", &a) == 1) {
			drain(a);
		} else if (!strcmp(cmd, "close")) {
			while (nrx)
				close(rx[--nrx]);
		} else if (!strcmp(cmd, "quit")) {
			return 0;
		} else if (strcmp(cmd, "mem")) {
			printf("error unknown command %s\n", cmd);
			continue;
		}
		printf("%s %ld\n", cmd, udp_mem());
	}
	return 0;
}
