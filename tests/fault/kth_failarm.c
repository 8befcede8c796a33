// SPDX-License-Identifier: GPL-2.0
/*
 * kth_failarm - arm fail-nth (Documentation/fault-injection/
 * fault-injection.rst) in a task that loads a module, at the moment the
 * module's own code is about to run.  Test-only: the fault scenario
 * (tests/guest/fault.sh, through kth-failnth) loads it.  It builds for
 * every kernel and loads only on one with CONFIG_FAULT_INJECTION (the
 * debug kernel of make check-debug); elsewhere it refuses, -EOPNOTSUPP.
 *
 * The sweep tests kthelper's error paths.  Armed when finit_module() is
 * entered, its faults would land first in the kernel's module loader:
 * reading the file, laying out and relocating the module, then the
 * loader's MODULE_STATE_COMING notifiers (jump labels, tracepoints, trace
 * events, ftrace).  Those notifiers WARN by design when they cannot
 * allocate ("No memory during module load", kernel/jump_label.c), so such
 * a fault tests the kernel, not kthelper, and its WARNING would fail the
 * run.  This module's MODULE_STATE_COMING notifier has the lowest
 * priority, so it runs after the kernel's: from there on the task's
 * fault-injection points are the module's parameters, its sysfs
 * directory, do_init_module() and the module's init (kth_create(),
 * kth_start(), the driver's own setup).
 *
 * Use: write N to parameters/nth, then the loading task's PID to
 * parameters/pid, then load the module from that task.  On that load's
 * MODULE_STATE_COMING, the task's fail-nth becomes N and pid reads 0
 * again (one shot).  Afterwards /proc/PID/fail-nth reads 0 if the N-th
 * point was reached (the fault was injected); the task resets it.
 */
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/sched.h>

static int pid;
module_param(pid, int, 0600);
MODULE_PARM_DESC(pid, "the task whose next module load gets fail-nth armed (0: none)");

static unsigned int nth;
module_param(nth, uint, 0600);
MODULE_PARM_DESC(nth, "the fail-nth value to arm: the N-th fault-injection point fails");

static int failarm_notify(struct notifier_block *nb, unsigned long state,
			  void *data)
{
	int me = task_pid_nr(current);

	if (state != MODULE_STATE_COMING || READ_ONCE(pid) != me)
		return NOTIFY_DONE;
	/*
	 * One shot: of any loads racing here only the armed task's matches,
	 * and the cmpxchg() consumes the request once.  The task wrote nth,
	 * then pid, through sysfs before its finit_module(): its own program
	 * order, no other CPU's store, so no barrier pairs with these reads.
	 */
	if (cmpxchg(&pid, me, 0) != me)
		return NOTIFY_DONE;
#ifdef CONFIG_FAULT_INJECTION
	WRITE_ONCE(current->fail_nth, READ_ONCE(nth));
#endif
	return NOTIFY_DONE;
}

static struct notifier_block failarm_nb = {
	.notifier_call = failarm_notify,
	.priority = INT_MIN,	/* after the kernel's own COMING notifiers */
};

static int __init failarm_init(void)
{
	if (!IS_ENABLED(CONFIG_FAULT_INJECTION)) {
		pr_err("kth_failarm: this kernel has no fail-nth to arm (CONFIG_FAULT_INJECTION is off)\n");
		return -EOPNOTSUPP;
	}
	return register_module_notifier(&failarm_nb);
}
module_init(failarm_init);

static void __exit failarm_exit(void)
{
	unregister_module_notifier(&failarm_nb);
}
module_exit(failarm_exit);

MODULE_DESCRIPTION("kthelper tests: arm fail-nth where a loading module's own code begins");
MODULE_LICENSE("GPL");
