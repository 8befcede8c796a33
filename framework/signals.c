// SPDX-License-Identifier: GPL-2.0
/*
 * signals.c - what root's signals do to a helper thread (KTH_SIGNALS).
 *
 *   SIGTERM  stop after handling what is already queued
 *   SIGKILL  stop now; what is queued is counted as dropped
 *   SIGHUP   run the driver's reload hook
 *   SIGSTOP  pause (posts keep queueing up to the bound)
 *   SIGCONT  resume
 *   SIGUSR1  write the thread's statistics to the kernel log
 *
 * A kernel thread never runs the generic signal delivery code: signals
 * allowed with allow_signal() just sit in its pending set until the thread
 * dequeues them here, between events.  SIGSTOP therefore never puts the
 * task in TASK_STOPPED; it becomes our own paused state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/signal.h>
#include <linux/signal.h>
#include "kth_internal.h"

static const int kth_signals[] = {
	SIGTERM, SIGKILL, SIGHUP, SIGSTOP, SIGCONT, SIGUSR1,
};

/* Called by the thread itself, before it reports ready. */
void kth_allow_signals(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kth_signals); i++)
		allow_signal(kth_signals[i]);
}

/*
 * Has root sent SIGKILL that the thread has not dequeued yet?
 *
 * kill(2) queues a signal for the thread group (shared_pending), and since
 * the thread's handler is not SIG_DFL the kernel does not turn SIGKILL into
 * a group exit: fatal_signal_pending() stays false.  Look at both sets.
 */
bool kth_kill_pending(void)
{
	if (!signal_pending(current))
		return false;
	/*
	 * A lockless peek is enough: a SIGKILL that lands just after it is
	 * seen before the next event.
	 */
	return data_race(sigismember(&current->pending.signal, SIGKILL) ||
			 sigismember(&current->signal->shared_pending.signal,
				     SIGKILL));
}

static void kth_signal_kill(struct kth_thread *t)
{
	u32 depth;

	raw_spin_lock_irq(&t->queue.lock);
	depth = t->queue.depth;
	WRITE_ONCE(t->phase, KTH_PHASE_STOPPED);
	kth_queue_discard(&t->queue);
	raw_spin_unlock_irq(&t->queue.lock);
	pr_info("%s: SIGKILL: stopped, %u queued events dropped\n",
		t->name, depth);
}

static void kth_signal_term(struct kth_thread *t)
{
	if (kth_change_phase(t, KTH_PHASE_RUNNING, KTH_PHASE_DRAINING) ||
	    kth_change_phase(t, KTH_PHASE_PAUSED, KTH_PHASE_DRAINING))
		pr_info("%s: SIGTERM: stopping after %u queued events\n",
			t->name, READ_ONCE(t->queue.depth));
}

/**
 * kth_take_signals() - act on every pending signal
 * @t: the thread (called by the thread itself, between events)
 *
 * Return: true if the thread must exit now (SIGKILL).
 */
bool kth_take_signals(struct kth_thread *t)
{
	int sig;

	while ((sig = kernel_dequeue_signal()) > 0) {
		switch (sig) {
		case SIGKILL:
			kth_signal_kill(t);
			return true;
		case SIGTERM:
			kth_signal_term(t);
			break;
		case SIGHUP:
			pr_info("%s: SIGHUP: reloading\n", t->name);
			if (t->ops->reload)
				t->ops->reload(t);
			break;
		case SIGSTOP:
			if (kth_change_phase(t, KTH_PHASE_RUNNING,
					     KTH_PHASE_PAUSED))
				pr_info("%s: SIGSTOP: paused\n", t->name);
			break;
		case SIGCONT:
			if (kth_change_phase(t, KTH_PHASE_PAUSED,
					     KTH_PHASE_RUNNING))
				pr_info("%s: SIGCONT: resumed\n", t->name);
			break;
		case SIGUSR1:
			kth_log_stats(t, "SIGUSR1");
			break;
		}
	}
	return false;
}
