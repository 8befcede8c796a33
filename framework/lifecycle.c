// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle.c - the helper thread itself: start with a ready handshake,
 * the main loop, stop, pause and resume.
 *
 * Traps this file exists to get right once:
 *  - kth_stop() after the thread already exited (SIGKILL, SIGTERM): we
 *    hold our own task reference from creation to reaping, so
 *    kthread_stop() finds the task and returns at once.
 *  - since 6.1 kthread_stop() makes signal_pending() true for good: the
 *    loop tests kthread_should_stop() before it looks at signals, so it
 *    never spins on a "signal" it cannot dequeue.
 *  - a paused thread sleeps in TASK_INTERRUPTIBLE, never TASK_STOPPED, so
 *    kthread_stop()'s wake_up_process() and the freezer both reach it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/clock.h>
#include <linux/sched/task.h>
#include "kth_thread.h"
#include "kth_trace.h"

enum kth_state kth_phase_to_state(enum kth_phase phase)
{
	switch (phase) {
	case KTH_PHASE_STARTING:
	case KTH_PHASE_RUNNING:
	case KTH_PHASE_DRAINING:
		return KTH_RUNNING;
	case KTH_PHASE_PAUSED:
		return KTH_PAUSED;
	default:
		return KTH_STOPPED;
	}
}

const char *kth_state_name(enum kth_state state)
{
	static const char * const names[] = {
		[KTH_STOPPED] = "stopped",
		[KTH_RUNNING] = "running",
		[KTH_PAUSED] = "paused",
	};

	return names[state];
}

/**
 * kth_get_state() - the thread's lifecycle state
 * @t: the thread
 *
 * Context: Any context.
 * Return: %KTH_RUNNING, %KTH_PAUSED or %KTH_STOPPED.  A thread that is
 * draining after SIGTERM reads as running until it has stopped.
 */
enum kth_state kth_get_state(struct kth_thread *t)
{
	return kth_phase_to_state(READ_ONCE(t->phase));
}
EXPORT_SYMBOL_NS_GPL(kth_get_state, KTH_NS);

static bool kth_phase_accepts(enum kth_phase phase)
{
	return phase == KTH_PHASE_STARTING || phase == KTH_PHASE_RUNNING ||
	       phase == KTH_PHASE_PAUSED;
}

/*
 * Set the phase, with the control lock held, and trace the change with
 * its cause (and the signal's number when a signal caused it).  The queue
 * takes posts in the phases that accept them: a phase that refuses them
 * is followed by kth_queue_discard(), or by a drain's full gather.
 */
void kth_set_phase(struct kth_thread *t, enum kth_phase to,
		   enum kth_cause cause, int sig)
{
	/* in the freezer, the last state traced was "frozen" */
	enum kth_phase old = t->in_freezer ? KTH_PHASE_FROZEN : t->phase;

	lockdep_assert_held(&t->ctl_lock);
	t->in_freezer = false;	/* kth_freeze() traces no thaw now */
	if (old != to)
		trace_kth_state(t, old, to, cause, sig);
	WRITE_ONCE(t->phase, to);
	kth_queue_set_open(&t->queue, kth_phase_accepts(to));
}

/* Move from @from to @to; true if the thread was in @from. */
bool kth_change_phase(struct kth_thread *t, enum kth_phase from,
		      enum kth_phase to, enum kth_cause cause, int sig)
{
	unsigned long flags;
	bool changed;

	raw_spin_lock_irqsave(&t->ctl_lock, flags);
	changed = t->phase == from;
	if (changed)
		kth_set_phase(t, to, cause, sig);
	raw_spin_unlock_irqrestore(&t->ctl_lock, flags);
	return changed;
}

/*
 * Must the thread leave its batch before the next event?  Once per event,
 * so the common case is one read of the phase: a stop request changes it
 * to STOPPING before kthread_stop() (kth_reap()), and only then is
 * kthread_should_stop(), a call, asked.
 */
static bool kth_must_pause_batch(struct kth_thread *t)
{
	enum kth_phase phase = READ_ONCE(t->phase);

	if (unlikely(phase != KTH_PHASE_RUNNING && phase != KTH_PHASE_DRAINING) &&
	    (phase == KTH_PHASE_PAUSED || kthread_should_stop()))
		return true;
	return freezing(current) ||
	       (signal_pending(current) && kth_signal_waiting());
}

/* The handler of a thread without one: its events are counted, no more. */
static void kth_handle_none(struct kth_thread *t, const struct kth_event *ev)
{
}

/*
 * Handle events in sequence order while kth_queue_peek() has one.  Stop
 * early, between two events, for a stop request, a signal, a pause or the
 * freezer: kth_run() deals with it and comes back to the rest
 * (kth_next_work()).
 *
 * One clock read per event: the end of a handler is the start of the
 * next.  The queue wait is measured against the post's local_clock() on
 * its CPU; a little skew between CPUs reads as 0, never as negative.
 */
static void kth_handle_batch(struct kth_thread *t)
{
	void (*handle)(struct kth_thread *t, const struct kth_event *ev);
	struct kth_queue *q = &t->queue;
	const struct kth_event *e;
	u64 start, end, wait;

	handle = t->ops->handle ?: kth_handle_none;
	start = local_clock();
	while (!unlikely(kth_must_pause_batch(t)) && (e = kth_queue_peek(q))) {
		wait = start > e->timestamp_ns ? start - e->timestamp_ns : 0;
		t->cur_seq = e->seq;
		trace_kth_handle_start(t, e->seq, wait);
		handle(t, e);
		end = local_clock();
		kth_hist_record(t, wait, end - start);
		trace_kth_handle_end(t, e->seq, wait, end - start);
		kth_queue_pop(q, e);
		start = end;
	}
	t->cur_seq = 0;
}

/*
 * Freeze if the freezer asks, tracing the thread's trip through it as the
 * state "frozen".  A phase change while frozen (a stop, say) is traced
 * from "frozen" by kth_set_phase(), and then the thaw is not traced: the
 * records always chain, each old state the previous new one.
 */
static void kth_freeze(struct kth_thread *t)
{
	if (likely(!freezing(current)))
		return;
	raw_spin_lock_irq(&t->ctl_lock);
	trace_kth_state(t, t->phase, KTH_PHASE_FROZEN, KTH_CAUSE_FREEZER, 0);
	t->in_freezer = true;
	raw_spin_unlock_irq(&t->ctl_lock);

	try_to_freeze();

	raw_spin_lock_irq(&t->ctl_lock);
	if (t->in_freezer)
		trace_kth_state(t, KTH_PHASE_FROZEN, t->phase,
				KTH_CAUSE_FREEZER, 0);
	t->in_freezer = false;
	raw_spin_unlock_irq(&t->ctl_lock);
}

/*
 * Find the thread's next work.  Events taken earlier that a signal, a
 * pause or a stop request left unhandled come first (once not paused);
 * then new ones are taken out of the rings.  When there is nothing to do
 * (the queue is empty, or paused) our task state is TASK_INTERRUPTIBLE on
 * return, and kth_run() must schedule() unless a stop request came in
 * meanwhile.  When posts came in while we decided, it stays TASK_RUNNING:
 * schedule() then only yields.
 *
 * Return: > 0 when kth_queue_peek() has an event; 0 when kth_run() should
 * schedule(); -ESHUTDOWN when a SIGTERM drain has emptied the queue.
 */
static int kth_next_work(struct kth_thread *t)
{
	struct kth_queue *q = &t->queue;
	enum kth_phase phase;
	bool empty;

	kth_queue_awake(q);
	for (;;) {
		raw_spin_lock_irq(&t->ctl_lock);
		phase = t->phase;
		if (phase == KTH_PHASE_PAUSED) {
			/* kth_resume_by() changes the phase, then wakes us */
			set_current_state(TASK_INTERRUPTIBLE);
			raw_spin_unlock_irq(&t->ctl_lock);
			return 0;
		}
		raw_spin_unlock_irq(&t->ctl_lock);

		if (kth_queue_peek(q))
			return 1;
		/*
		 * Draining, every ring is locked once after the phase
		 * changed: a post after that is refused, one before it is
		 * taken here.
		 */
		if (kth_queue_gather(q, phase == KTH_PHASE_DRAINING, &empty))
			continue;
		if (phase == KTH_PHASE_DRAINING) {
			if (!empty || kth_queue_holds(q))
				continue;
			kth_change_phase(t, KTH_PHASE_DRAINING, KTH_PHASE_STOPPED,
					 KTH_CAUSE_THREAD, 0);
			return -ESHUTDOWN;
		}
		if (kth_queue_holds(q))	/* only events past the limit */
			continue;

		set_current_state(TASK_INTERRUPTIBLE);
		/*
		 * Posts came meanwhile (one may be waking us): no sleep, but
		 * back through kth_run()'s checks for a stop or a signal
		 * first, which a flood of refused posts could otherwise keep
		 * us from.
		 */
		if (!kth_queue_sleep_prepare(q))
			__set_current_state(TASK_RUNNING);
		return 0;
	}
}

static void kth_run(struct kth_thread *t)
{
	int n;

	for (;;) {
		if (kthread_should_stop())
			break;
		if (signal_pending(current) && kth_take_signals(t))
			break;
		kth_freeze(t);
		n = kth_next_work(t);
		if (n < 0)
			break;
		if (!n) {
			/*
			 * Our state is TASK_INTERRUPTIBLE: a kthread_stop()
			 * after this test still wakes us (pairs with its
			 * set_bit() before wake_up_process()).
			 */
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		kth_handle_batch(t);
		/* a flood must not keep the CPU from everything else */
		cond_resched();
	}
	kth_queue_close(&t->queue);
}

/* Move the thread onto &kth_config.cpus, if the driver named any. */
static int kth_apply_cpus(struct kth_thread *t)
{
	int ret;

	if (!t->cpus)
		return 0;
	ret = set_cpus_allowed_ptr(current, t->cpus);
	if (ret)
		kth_err(t, "%s: cannot run on cpus %*pbl (online: %*pbl): %d\n",
			t->name, cpumask_pr_args(t->cpus),
			cpumask_pr_args(cpu_online_mask), ret);
	return ret;
}

/* The thread function every helper thread runs. */
int kth_thread_fn(void *data)
{
	struct kth_thread *t = data;
	int ret;

	set_freezable();
	set_user_nice(current, t->nice);
	ret = kth_apply_cpus(t);
	if (!ret && t->ops->setup)
		ret = t->ops->setup(t);
	if (!ret) {
		if (t->flags & KTH_SIGNALS)
			kth_allow_signals();
		kth_change_phase(t, KTH_PHASE_STARTING, KTH_PHASE_RUNNING,
				 KTH_CAUSE_THREAD, 0);
	}
	t->setup_result = ret;
	/* pairs with wait_for_completion() in kth_start_locked() */
	complete(&t->ready);
	if (ret)
		return ret;

	kth_run(t);
	if (t->ops->teardown)
		t->ops->teardown(t);
	return 0;
}

/*
 * Stop the thread if it still runs, collect it, drop our task reference
 * and count whatever is still queued as dropped.
 */
static void kth_reap(struct kth_thread *t, enum kth_cause cause)
{
	struct task_struct *task = t->task;

	raw_spin_lock_irq(&t->ctl_lock);
	if (t->phase != KTH_PHASE_STOPPED)
		kth_set_phase(t, KTH_PHASE_STOPPING, cause, 0);
	raw_spin_unlock_irq(&t->ctl_lock);
	kth_sampler_stop(t);

	kthread_stop(task);

	raw_spin_lock_irq(&t->ctl_lock);
	WRITE_ONCE(t->task, NULL);	/* kth_post() reads it without a lock */
	kth_set_phase(t, KTH_PHASE_STOPPED, cause, 0);
	kth_queue_discard(&t->queue);
	raw_spin_unlock_irq(&t->ctl_lock);
	/* pairs with the interrupts-off wakeup in kth_post() */
	synchronize_rcu();
	put_task_struct(task);
	kth_helpers_quiesce(t);	/* within helper_timeout_ms */
}

static int kth_start_locked(struct kth_thread *t, enum kth_cause cause)
{
	struct task_struct *task;
	int ret;

	if (t->task) {
		if (kth_get_state(t) != KTH_STOPPED)
			return -EBUSY;
		kth_reap(t, cause);	/* it exited by a signal: collect it */
	}

	reinit_completion(&t->ready);
	kth_helpers_open(t);
	raw_spin_lock_irq(&t->ctl_lock);
	kth_queue_open(&t->queue);
	kth_set_phase(t, KTH_PHASE_STARTING, cause, 0);
	raw_spin_unlock_irq(&t->ctl_lock);
	task = kthread_create(kth_thread_fn, t, "%s", t->name);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto out_stopped;
	}
	get_task_struct(task);
	raw_spin_lock_irq(&t->ctl_lock);
	WRITE_ONCE(t->task, task);
	raw_spin_unlock_irq(&t->ctl_lock);

	wake_up_process(task);
	wait_for_completion(&t->ready);
	ret = t->setup_result;
	if (ret)
		goto out_reap;
	kth_sampler_start(t);
	return 0;

out_reap:
	kth_reap(t, KTH_CAUSE_THREAD);	/* its setup failed */
	return ret;
out_stopped:
	raw_spin_lock_irq(&t->ctl_lock);
	kth_set_phase(t, KTH_PHASE_STOPPED, cause, 0);
	kth_queue_discard(&t->queue);
	raw_spin_unlock_irq(&t->ctl_lock);
	return ret;
}

/**
 * kth_start() - start the helper thread and wait until it is ready
 * @t: the thread, created by kth_create() and stopped
 *
 * Creates the kernel thread, runs the setup hook in it and returns once
 * that hook has returned.  Events posted while the thread starts are
 * kept and handled once setup succeeds.  A thread stopped by a signal or
 * by kth_stop() may be started again.
 *
 * Context: Process context; sleeps.  Must not be called from @t's hooks.
 * Return: 0 once the thread runs; the setup hook's error; -EINTR if the
 * caller was killed while the thread was created; -ENOMEM; -EBUSY if the
 * thread already runs.
 */
int kth_start(struct kth_thread *t)
{
	return kth_start_by(t, KTH_CAUSE_API);
}
EXPORT_SYMBOL_NS_GPL(kth_start, KTH_NS);

/* kth_start(), kth_stop(), kth_pause(), kth_resume() for a @cause. */
int kth_start_by(struct kth_thread *t, enum kth_cause cause)
{
	int ret;

	mutex_lock(&t->lifecycle_lock);
	ret = kth_start_locked(t, cause);
	mutex_unlock(&t->lifecycle_lock);
	if (ret && ret != -EBUSY)
		kth_err(t, "%s: start failed: %d\n", t->name, ret);
	return ret;
}

/**
 * kth_stop() - stop the helper thread now
 * @t: the thread
 *
 * Safe in every state: running, paused (by sysfs or SIGSTOP), in the
 * middle of a handler or a user-mode helper start, already exited by a
 * signal, or never started.  Waits for the current handler to return;
 * events still queued are counted as dropped.  The thread can be started
 * again.
 *
 * Context: Process context; sleeps.  Must not be called from @t's own
 * hooks (that would wait for itself: it warns and returns).
 */
void kth_stop(struct kth_thread *t)
{
	kth_stop_by(t, KTH_CAUSE_API);
}
EXPORT_SYMBOL_NS_GPL(kth_stop, KTH_NS);

void kth_stop_by(struct kth_thread *t, enum kth_cause cause)
{
	if (WARN_ON_ONCE(current == READ_ONCE(t->task)))
		return;
	mutex_lock(&t->lifecycle_lock);
	if (t->task)
		kth_reap(t, cause);
	mutex_unlock(&t->lifecycle_lock);
}

/**
 * kth_pause() - let events queue up without handling them
 * @t: the thread
 *
 * The thread finishes the handler it is in and then sleeps until
 * kth_resume(), SIGCONT, a stop or SIGTERM.  Posts keep queueing up to the
 * bound (then the overflow policy applies).
 *
 * Context: Process context; sleeps.
 * Return: 0 if the thread is paused (or already was); -EINVAL if it is
 * not running.
 */
int kth_pause(struct kth_thread *t)
{
	return kth_pause_by(t, KTH_CAUSE_API);
}
EXPORT_SYMBOL_NS_GPL(kth_pause, KTH_NS);

int kth_pause_by(struct kth_thread *t, enum kth_cause cause)
{
	int ret = 0;

	mutex_lock(&t->lifecycle_lock);
	if (!kth_change_phase(t, KTH_PHASE_RUNNING, KTH_PHASE_PAUSED, cause, 0) &&
	    READ_ONCE(t->phase) != KTH_PHASE_PAUSED)
		ret = -EINVAL;
	mutex_unlock(&t->lifecycle_lock);
	return ret;
}

/**
 * kth_resume() - resume a paused thread
 * @t: the thread
 *
 * Context: Process context; sleeps.
 * Return: 0 if the thread runs (or already did); -EINVAL if it is stopped.
 */
int kth_resume(struct kth_thread *t)
{
	return kth_resume_by(t, KTH_CAUSE_API);
}
EXPORT_SYMBOL_NS_GPL(kth_resume, KTH_NS);

int kth_resume_by(struct kth_thread *t, enum kth_cause cause)
{
	int ret = 0;

	mutex_lock(&t->lifecycle_lock);
	if (kth_change_phase(t, KTH_PHASE_PAUSED, KTH_PHASE_RUNNING, cause, 0))
		/* pairs with set_current_state() in kth_next_work() */
		wake_up_process(t->task);
	else if (kth_get_state(t) != KTH_RUNNING)
		ret = -EINVAL;
	mutex_unlock(&t->lifecycle_lock);
	return ret;
}
