// SPDX-License-Identifier: GPL-2.0
/*
 * sampler.c - an optional periodic event source owned by the framework.
 *
 * A driver that watches a level (memory use, a counter) rather than
 * reacting to a callback sets &kth_ops.sample and &kth_config.sample_ms:
 * the framework calls the sample hook from a deferrable timer every
 * sample_ms while the thread runs.  Deferrable: an idle CPU is not woken
 * for it.  The hook compares and posts; the thread does the slow part.
 * kth_sample_now() pulls the next sample in, for event-driven fast paths.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include "kth_thread.h"

/* Run the sample hook, or have the sample already running run it again. */
static void kth_sample_run(struct kth_thread *t)
{
	for (;;) {
		set_bit(KTH_SAMPLE_AGAIN, &t->sample_flags);
		/* pairs with the test of AGAIN after clear_bit_unlock() */
		smp_mb__after_atomic();
		/*
		 * Acquire: the last sample's writes to the driver's state are
		 * visible (pairs with clear_bit_unlock() below).
		 */
		if (test_and_set_bit_lock(KTH_SAMPLE_BUSY, &t->sample_flags))
			return;
		while (test_and_clear_bit(KTH_SAMPLE_AGAIN, &t->sample_flags)) {
			WRITE_ONCE(t->sample_runs, t->sample_runs + 1);
			t->ops->sample(t);
		}
		clear_bit_unlock(KTH_SAMPLE_BUSY, &t->sample_flags);
		/* a request left after our last test: serve it too */
		smp_mb__after_atomic();
		if (!test_bit(KTH_SAMPLE_AGAIN, &t->sample_flags))
			return;
	}
}

static void kth_sample_fn(struct timer_list *timer)
{
	struct kth_thread *t = kth_timer_container(t, timer, sample_timer);

	/* pairs with WRITE_ONCE() in kth_sampler_stop() */
	if (!READ_ONCE(t->sampling) || kth_get_state(t) == KTH_STOPPED)
		return;
	kth_sample_run(t);
	if (READ_ONCE(t->sampling))
		mod_timer(&t->sample_timer,
			  jiffies + msecs_to_jiffies(READ_ONCE(t->sample_ms)));
}

void kth_sampler_init(struct kth_thread *t, unsigned int ms)
{
	timer_setup(&t->sample_timer, kth_sample_fn, TIMER_DEFERRABLE);
	t->sample_ms = ms;
}

/* Start sampling, if the thread has a sampler; lifecycle lock held. */
void kth_sampler_start(struct kth_thread *t)
{
	if (!t->ops->sample || !t->sample_ms)
		return;
	WRITE_ONCE(t->sampling, true);
	mod_timer(&t->sample_timer,
		  jiffies + msecs_to_jiffies(READ_ONCE(t->sample_ms)));
}

/* Stop sampling and wait for a sample in progress; process context. */
void kth_sampler_stop(struct kth_thread *t)
{
	WRITE_ONCE(t->sampling, false);
	kth_timer_delete_sync(&t->sample_timer);
}

/**
 * kth_set_sample_period() - change how often the sample hook runs
 * @t: the thread
 * @ms: period in milliseconds, 1..%KTH_SAMPLE_MS_MAX
 *
 * A running sampler restarts its period from now.  Safe from the
 * thread's own hooks (a reload hook applying a new parameter, say).  Like
 * every call on @t, not once kth_destroy() has begun.
 *
 * Context: Any context; never sleeps.
 * Return: 0, -EINVAL (logged) if @ms is out of range, -EOPNOTSUPP if the
 * thread has no sample hook or was created without a sample period.
 */
int kth_set_sample_period(struct kth_thread *t, unsigned int ms)
{
	if (!t->ops->sample || !t->sample_ms)
		return -EOPNOTSUPP;
	if (!ms || ms > KTH_SAMPLE_MS_MAX) {
		kth_err(t, "%s: sample period must be 1..%d ms\n", t->name,
			KTH_SAMPLE_MS_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(t->sample_ms, ms);
	/* a stop racing with this leaves an armed timer that does nothing */
	if (READ_ONCE(t->sampling))
		mod_timer(&t->sample_timer, jiffies + msecs_to_jiffies(ms));
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kth_set_sample_period, KTH_NS);

/**
 * kth_sample_now() - run the sample hook now, in the caller's context
 * @t: the thread
 *
 * For a fast path that learns something changed (a tracepoint, an
 * interrupt) and wants the level looked at now rather than at the end of
 * the period.  If a sample is running on another CPU, that one runs the
 * hook once more instead, and this returns at once.  Does nothing while
 * the sampler is off.  Must not be called once kth_destroy() has begun:
 * unregister the fast path first.
 *
 * Context: Any context but NMI; never sleeps.  The sample hook runs in
 * the caller's context (or the running sample's).
 */
void kth_sample_now(struct kth_thread *t)
{
	if (READ_ONCE(t->sampling) && kth_get_state(t) != KTH_STOPPED)
		kth_sample_run(t);
}
EXPORT_SYMBOL_NS_GPL(kth_sample_now, KTH_NS);
