// SPDX-License-Identifier: GPL-2.0
/*
 * post.c - kth_post(): the producers' entry, from any context.
 *
 * The queue (queue.c) finds the event a slot and a number, or refuses it;
 * this file stamps it, traces it, and wakes the thread if it sleeps.
 */
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include "kth_thread.h"
#include "kth_trace.h"

/*
 * The end of a post that was not the common one, once its ring is let go:
 * traces, wakes the consumer if the ticket says so, and enables interrupts
 * again.
 */
static int kth_post_finish(struct kth_thread *t,
			   const struct kth_post_ticket *tk, size_t len,
			   unsigned long flags)
{
	struct task_struct *task;

	trace_kth_post(t, tk->seq, len, tk->result);
	if (tk->wake) {
		task = READ_ONCE(t->task);
		if (task) {
			trace_kth_wakeup(t, tk->depth);
			wake_up_process(task);
		}
	}
	local_irq_restore(flags);
	if (tk->floor)
		kth_queue_evict(&t->queue, tk->floor);
	return tk->ret;
}

/* A %KTH_DROP_NEWEST post that kth_queue_put() refused. */
static noinline int kth_post_refused(struct kth_thread *t, struct kth_ring *r,
				     s64 refused, size_t len,
				     unsigned long flags)
{
	struct kth_post_ticket tk;

	kth_ring_refuse_newest(r, refused, &tk);
	return kth_post_finish(t, &tk, len, flags);
}

/*
 * Wake the consumer after a common post, interrupts still off.  Inline and
 * without a ticket: this is the producer's side of every wakeup, and the
 * depth is read only for a live tracepoint.
 */
static __always_inline void kth_post_wake(struct kth_thread *t,
					  const struct kth_ring *r)
{
	struct task_struct *task = READ_ONCE(t->task);

	if (!task)
		return;
	if (trace_kth_wakeup_enabled())
		trace_kth_wakeup(t, kth_ring_depth(r));
	wake_up_process(task);
}

/* A %KTH_DROP_OLDEST post: under this CPU's ring lock. */
static noinline int kth_post_oldest(struct kth_thread *t, const void *data,
				    size_t len, unsigned long flags)
{
	struct kth_post_ticket tk;
	struct kth_ring *r;

	r = kth_queue_lock(&t->queue);
	kth_ring_put_oldest(&t->queue, r, data, len, local_clock(), &tk);
	kth_queue_unlock(r);
	return kth_post_finish(t, &tk, len, flags);
}

/**
 * kth_post() - queue an event for the helper thread
 * @t: the thread
 * @data: payload, copied before kth_post() returns
 * @len: payload bytes, at most the thread's event_size
 *
 * Wakes the thread only if it sleeps waiting for work, so a burst of posts
 * costs one wakeup.  Every call counts as posted; one that is not queued,
 * or that evicts an older event, counts as dropped.
 *
 * Context: Any context, hard IRQ included.  Never sleeps, never
 * allocates.  Takes no lock with %KTH_DROP_NEWEST; with %KTH_DROP_OLDEST,
 * the calling CPU's ring lock, which other CPUs' posts take only to evict.
 * Return: 0 if the event was queued (with %KTH_DROP_OLDEST, possibly by
 * evicting the oldest one); -ENOSPC if the queue was full and the policy
 * is %KTH_DROP_NEWEST; -ESHUTDOWN if the thread is stopped or stopping;
 * -EMSGSIZE if @len exceeds the event size (not counted).
 */
int kth_post(struct kth_thread *t, const void *data, size_t len)
{
	struct kth_queue *q = &t->queue;
	struct kth_ring *r;
	unsigned long flags;
	u64 now;
	s64 seq;

	if (unlikely(len > t->event_size))
		return -EMSGSIZE;
	/*
	 * Interrupts stay off until the wakeup is done: that is an RCU
	 * read-side critical section, and kth_reap() clears @t->task and
	 * waits for a grace period (synchronize_rcu()) before it drops the
	 * task, so the task read in kth_post_finish() may be woken until
	 * local_irq_restore().
	 */
	local_irq_save(flags);
	if (unlikely(!q->in_place))
		return kth_post_oldest(t, data, len, flags);
	r = this_cpu_ptr(q->rings);
	/* not ktime_get_ns(): a VM's HPET costs microseconds */
	now = local_clock();
	seq = kth_queue_put(q, r, data, len, now);
	if (unlikely(seq <= 0))
		return kth_post_refused(t, r, seq, len, flags);
	trace_kth_post(t, seq, len, KTH_POST_QUEUED);
	if (unlikely(kth_ring_wake(q, r)))
		kth_post_wake(t, r);
	local_irq_restore(flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kth_post, KTH_NS);
