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
 * dequeues them here, between two events.  SIGSTOP therefore never puts the
 * task in TASK_STOPPED; it becomes our own paused state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/signal.h>
#include <linux/signal.h>
#include "kth_thread.h"
#include "kth_trace.h"

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
 * Is a signal waiting to be taken?  Unlike signal_pending(), not fooled by
 * the TIF_NOTIFY_SIGNAL that kthread_stop() sets since 6.1, and it sees
 * kill(2)'s signals, which go to the thread group's shared set (our
 * SIGKILL is not fatal_signal_pending(): its handler is not SIG_DFL).
 */
bool kth_signal_waiting(void)
{
	/*
	 * data_race(): a lockless peek is enough, a signal that lands just
	 * after it is seen before the next event.
	 */
	return data_race(!sigisemptyset(&current->pending.signal) ||
			 !sigisemptyset(&current->signal->shared_pending.signal));
}

static void kth_signal_kill(struct kth_thread *t)
{
	u64 depth;

	/* what the thread holds is dropped by kth_queue_close() as it exits */
	raw_spin_lock_irq(&t->ctl_lock);
	kth_set_phase(t, KTH_PHASE_STOPPED, KTH_CAUSE_SIGNAL, SIGKILL);
	depth = kth_queue_discard(&t->queue) + kth_queue_in_hand(&t->queue);
	raw_spin_unlock_irq(&t->ctl_lock);
	kth_info(t, "%s: SIGKILL: stopped, %llu queued events dropped\n",
		 t->name, depth);
}

static void kth_signal_term(struct kth_thread *t)
{
	struct kth_stats s;

	if (kth_change_phase(t, KTH_PHASE_RUNNING, KTH_PHASE_DRAINING,
			     KTH_CAUSE_SIGNAL, SIGTERM) ||
	    kth_change_phase(t, KTH_PHASE_PAUSED, KTH_PHASE_DRAINING,
			     KTH_CAUSE_SIGNAL, SIGTERM)) {
		kth_queue_stats(&t->queue, &s);
		kth_info(t, "%s: SIGTERM: stopping after %llu queued events\n",
			 t->name, s.depth);
	}
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
			kth_info(t, "%s: SIGHUP: reloading\n", t->name);
			if (t->ops->reload)
				t->ops->reload(t);
			break;
		case SIGSTOP:
			if (kth_change_phase(t, KTH_PHASE_RUNNING,
					     KTH_PHASE_PAUSED,
					     KTH_CAUSE_SIGNAL, SIGSTOP))
				kth_info(t, "%s: SIGSTOP: paused\n", t->name);
			break;
		case SIGCONT:
			if (kth_change_phase(t, KTH_PHASE_PAUSED,
					     KTH_PHASE_RUNNING,
					     KTH_CAUSE_SIGNAL, SIGCONT))
				kth_info(t, "%s: SIGCONT: resumed\n", t->name);
			break;
		case SIGUSR1:
			kth_log_stats(t, "SIGUSR1");
			break;
		}
	}
	return false;
}
