// SPDX-License-Identifier: GPL-2.0
/*
 * kth-failnth - load a module with one fault injected (fault-injection.rst,
 * "fail-nth"): the N-th fault-injection point (a slab allocation, with
 * CONFIG_FAILSLAB) that TASK passes while the module loads fails.
 *
 *   kth-failnth [--task PID] N MODULE.ko [PARAM=VALUE...]
 *
 * TASK is this task (/proc/thread-self/fail-nth): the points finit_module()
 * passes, module init included; or --task PID, another task such as
 * kthreadd (PID 2), whose points count while this one loads the module:
 * kthreadd's are those of creating kernel threads (copy_process()).
 *
 * Prints one line "rc=R injected=I": R is 0 or the errno name finit_module()
 * failed with, I is 1 if the N-th point was reached (the fault was
 * injected) and 0 if fewer than N points were passed.  The fail-nth of TASK
 * is reset to 0 afterwards.  Exit status: 0 if the module loaded, 1 if
 * finit_module() failed, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The fail-nth file is opened before the fault is armed and read through
 * the same descriptor: opening it afterwards would allocate, and so count
 * (or be the injected fault itself).
 */
static int nth_set(int fd, const char *n)
{
	return pwrite(fd, n, strlen(n), 0) == (ssize_t)strlen(n) ? 0 : -1;
}

static long nth_get(int fd)
{
	char buf[32] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	char path[64] = "/proc/thread-self/fail-nth", params[4096] = "";
	int i = 1, fd, nth, rc, err;
	long left;
	char *n;

	if (argc > 2 && !strcmp(argv[1], "--task")) {
		snprintf(path, sizeof(path), "/proc/%s/task/%s/fail-nth",
			 argv[2], argv[2]);
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: %s [--task PID] N MODULE.ko [PARAM=VALUE...]\n",
			argv[0]);
		return 2;
	}
	n = argv[i++];
	fd = open(argv[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[i]);
		return 2;
	}
	for (i++; i < argc; i++) {
		if (strlen(params) + strlen(argv[i]) + 2 > sizeof(params)) {
			fprintf(stderr, "parameters too long\n");
			return 2;
		}
		if (*params)
			strcat(params, " ");
		strcat(params, argv[i]);
	}
	nth = open(path, O_RDWR | O_CLOEXEC);
	if (nth < 0 || nth_set(nth, n)) {
		perror(path);
		return 2;
	}
	rc = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	left = nth_get(nth);
	nth_set(nth, "0");
	close(nth);
	close(fd);
	printf("rc=%s injected=%d\n", rc ? strerrorname_np(err) : "0",
	       left == 0);
	return rc ? 1 : 0;
}
