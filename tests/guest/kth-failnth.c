// SPDX-License-Identifier: GPL-2.0
/*
 * kth-failnth - load a module with one fault injected (fault-injection.rst,
 * "fail-nth"): the N-th fault-injection point (a slab allocation, with
 * CONFIG_FAILSLAB) that TASK passes while the module loads fails.
 *
 *   kth-failnth [--task PID] N MODULE.ko [PARAM=VALUE...]
 *
 * TASK is this task: the points it passes from the moment the module's
 * own code is about to run (its parameters, its sysfs directory, its
 * init), armed there by the kth_failarm module (tests/fault/), which must
 * be loaded; the kernel's loader before that point is left alone (see
 * kth_failarm.c).  Or --task PID, another task such as kthreadd (PID 2),
 * armed before finit_module(): its points count while this one loads the
 * module, and kthreadd's are those of creating kernel threads
 * (copy_process()).
 *
 * Prints one line "rc=R injected=I": R is 0 or the errno name finit_module()
 * failed with, I is 1 if the N-th point was reached (the fault was
 * injected) and 0 if fewer than N points were passed.  For this task,
 * " armed=0" follows when the load never reached the arming point (it
 * failed in the kernel's loader).  The fail-nth of TASK is reset to 0
 * afterwards.  Exit status: 0 if the module loaded, 1 if finit_module()
 * failed, 2 on a usage or setup error.
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

#define ARM "/sys/module/kth_failarm/parameters/"

/* Write VALUE to the kth_failarm parameter NAME; -1 (and a message) if not. */
static int arm_set(const char *name, const char *value)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), ARM "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	rc = fd < 0 ? -1 : nth_set(fd, value);
	if (rc)
		fprintf(stderr, "kth-failnth: cannot write %s (is kth_failarm loaded?): %s\n",
			path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	char path[64] = "/proc/thread-self/fail-nth", params[4096] = "";
	int i = 1, fd, nth, rc, err, task = 0, armed = 1;
	char pid[32], *n;
	long left;

	if (argc > 2 && !strcmp(argv[1], "--task")) {
		snprintf(path, sizeof(path), "/proc/%s/task/%s/fail-nth",
			 argv[2], argv[2]);
		task = 1;
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
	if (nth < 0) {
		perror(path);
		return 2;
	}
	if (task) {
		if (nth_set(nth, n)) {
			perror(path);
			return 2;
		}
	} else {
		/* nth first: the notifier acts once pid matches */
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (arm_set("nth", n) || arm_set("pid", pid))
			return 2;
	}
	rc = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	/*
	 * fail-nth first: while it is still armed, reading the sysfs
	 * parameter below would allocate, and so count.
	 */
	left = nth_get(nth);
	nth_set(nth, "0");
	close(nth);
	close(fd);
	if (!task) {
		char buf[32] = "";
		int pfd = open(ARM "pid", O_RDONLY | O_CLOEXEC);

		if (pfd < 0 || pread(pfd, buf, sizeof(buf) - 1, 0) <= 0) {
			perror(ARM "pid");
			return 2;
		}
		close(pfd);
		/* still ours: the load never reached the arming point */
		armed = strtol(buf, NULL, 10) == 0;
		if (!armed && arm_set("pid", "0"))
			return 2;
	}
	printf("rc=%s injected=%d%s\n", rc ? strerrorname_np(err) : "0",
	       armed && left == 0, armed ? "" : " armed=0");
	return rc ? 1 : 0;
}
