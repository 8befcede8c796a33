// SPDX-License-Identifier: GPL-2.0
/*
 * wait_ignores_stop, good: every wait also ends on a stop request, or is
 * bounded; the thread function checks kthread_should_stop() through the
 * loop it calls.
 */
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <kthelper.h>

static DECLARE_WAIT_QUEUE_HEAD(rx_wait);
static DECLARE_COMPLETION(fw_loaded);
static bool rx_low;

static void rx_loop(void)
{
	while (!kthread_should_stop()) {
		wait_event_interruptible(rx_wait,
					 rx_low || kthread_should_stop());
		rx_low = false;
	}
}

static int rx_thread(void *data)
{
	rx_loop();
	return 0;
}

static int rx_setup(struct kth_thread *t)
{
	while (!wait_for_completion_timeout(&fw_loaded, HZ))
		if (kthread_should_stop())
			return -EINTR;
	return 0;
}

static void rx_handle(struct kth_thread *t, const struct kth_event *ev)
{
	wait_event_interruptible_timeout(rx_wait, READ_ONCE(rx_low), HZ);
	wait_event_freezable(rx_wait, READ_ONCE(rx_low) ||
			     kthread_should_stop());
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
