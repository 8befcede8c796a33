// SPDX-License-Identifier: GPL-2.0
/*
 * raw_thread_api, bad: the classic teaching driver, written against the
 * raw kernel API instead of kthelper.  Every marked line must be flagged.
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/umh.h>

static struct task_struct *watcher;

static void watcher_alert(void)
{
	char *argv[] = { "/sbin/netbuf-alert", "low", NULL };
	char *envp[] = { "HOME=/", "PATH=/sbin:/bin", NULL };

	call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC); /* expected: raw_thread_api */
}

static int watcher_fn(void *data)
{
	allow_signal(SIGKILL); /* expected: raw_thread_api */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule();
		if (kernel_dequeue_signal() == SIGKILL) /* expected: raw_thread_api */
			break;
		watcher_alert();
	}
	return 0;
}

static int __init watcher_init(void)
{
	watcher = kthread_run(watcher_fn, NULL, "watcher"); /* expected: raw_thread_api */
	if (IS_ERR(watcher))
		return PTR_ERR(watcher);
	return 0;
}

static int __init watcher_init_node(void)
{
	watcher = kthread_create(watcher_fn, NULL, "watcher"); /* expected: raw_thread_api */
	return PTR_ERR_OR_ZERO(watcher);
}
