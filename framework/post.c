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
 * allocates.  Takes the calling CPU's ring lock, which no other CPU's
 * posts take.
 * Return: 0 if the event was queued (with %KTH_DROP_OLDEST, possibly by
 * evicting the oldest one); -ENOSPC if the queue was full and the policy
 * is %KTH_DROP_NEWEST; -ESHUTDOWN if the thread is stopped or stopping;
 * -EMSGSIZE if @len exceeds the event size (not counted).
 */
int kth_post(struct kth_thread *t, const void *data, size_t len)
{
	struct kth_post_ticket tk;
	struct task_struct *task;
	unsigned long flags;
	u64 now;
	int ret;

	if (unlikely(len > t->event_size))
		return -EMSGSIZE;
	now = local_clock();	/* not ktime_get_ns(): a VM's HPET costs µs */

	/*
	 * Interrupts stay off until the wakeup is done: that is an RCU
	 * read-side critical section, and kth_reap() clears @t->task and
	 * waits for a grace period (synchronize_rcu()) before it drops the
	 * task, so the task read below may be woken until local_irq_restore().
	 */
	local_irq_save(flags);
	ret = kth_queue_put(&t->queue, data, len, now, &tk);
	trace_kth_post(t, tk.seq, len, tk.result);
	if (unlikely(tk.wake)) {
		task = READ_ONCE(t->task);
		if (task) {
			trace_kth_wakeup(t, tk.depth);
			wake_up_process(task);
		}
	}
	local_irq_restore(flags);
	if (unlikely(tk.floor))
		kth_queue_evict(&t->queue, tk.floor);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kth_post, KTH_NS);
