// SPDX-License-Identifier: GPL-2.0
/*
 * kth-asuser - run a command as an unprivileged user (no /etc/passwd
 * needed): kth-asuser UID COMMAND [ARGS...]
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t uid;

	if (argc < 3) {
		fprintf(stderr, "usage: %s UID COMMAND [ARGS...]\n", argv[0]);
		return 2;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("kth-asuser");
		return 2;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
