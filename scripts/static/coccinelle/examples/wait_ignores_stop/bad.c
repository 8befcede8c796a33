// SPDX-License-Identifier: GPL-2.0
/*
 * wait_ignores_stop, bad: waits that kthread_stop() (kth_stop(), rmmod)
 * cannot end, in a raw thread and in kthelper hooks.
 */
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <kthelper.h>

static DECLARE_WAIT_QUEUE_HEAD(rx_wait);
static DECLARE_COMPLETION(fw_loaded);
static DEFINE_SEMAPHORE(rx_sem);
static bool rx_low;

/* the pre-6.1 teaching example: loops until a signal */
static int rx_thread(void *data) /* expected: wait_ignores_stop */
{
	for (;;) {
		wait_event_interruptible(rx_wait, rx_low); /* expected: wait_ignores_stop */
		if (signal_pending(current))
			break;
		rx_low = false;
	}
	return 0;
}

static int rx_setup(struct kth_thread *t)
{
	wait_for_completion(&fw_loaded); /* expected: wait_ignores_stop */
	return 0;
}

static void rx_handle(struct kth_thread *t, const struct kth_event *ev)
{
	wait_event(rx_wait, READ_ONCE(rx_low)); /* expected: wait_ignores_stop */
	if (down_interruptible(&rx_sem)) /* expected: wait_ignores_stop */
		return;
	up(&rx_sem);
}

static const struct kth_ops rx_ops = {
	.setup = rx_setup,
	.handle = rx_handle,
};

static int rx_start(void)
{
	struct task_struct *task = kthread_run(rx_thread, NULL, "rx");

	return PTR_ERR_OR_ZERO(task);
}
