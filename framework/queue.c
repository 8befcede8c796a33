// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - the bounded event queue and kth_post().
 *
 * Producers copy their payload into a preallocated slot under a raw
 * spinlock: no allocation, no sleeping, a few instructions of critical
 * section, safe from hard IRQ and on PREEMPT_RT.  The single consumer (the
 * helper thread) copies up to 64 events (4 KiB) out per lock hold, so a
 * burst costs one wakeup and a handful of lock round trips.
 */
#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kth_internal.h"
#include "kth_trace.h"

/**
 * kth_queue_init() - allocate the slots of an event queue
 * @q: queue to set up
 * @len: number of slots
 * @event_size: largest payload
 * @overflow: drop policy when full
 *
 * Return: 0, or -ENOMEM.
 */
int kth_queue_init(struct kth_queue *q, unsigned int len, size_t event_size,
		   enum kth_overflow overflow)
{
	raw_spin_lock_init(&q->lock);
	q->slot_size = ALIGN(sizeof(struct kth_event) + event_size, 8);
	q->len = len;
	q->overflow = overflow;
	q->slots = kvcalloc(len, q->slot_size, GFP_KERNEL);
	return q->slots ? 0 : -ENOMEM;
}

void kth_queue_free(struct kth_queue *q)
{
	kvfree(q->slots);
	q->slots = NULL;
}

static struct kth_event *kth_slot(struct kth_queue *q, u32 index)
{
	return q->slots + (size_t)index * q->slot_size;
}

/**
 * kth_queue_discard() - drop everything queued, counting it
 * @q: queue, with @q->lock held
 */
void kth_queue_discard(struct kth_queue *q)
{
	lockdep_assert_held(&q->lock);
	q->dropped += q->depth;
	WRITE_ONCE(q->depth, 0);
}

static bool kth_phase_accepts(enum kth_phase phase)
{
	return phase == KTH_PHASE_STARTING || phase == KTH_PHASE_RUNNING ||
	       phase == KTH_PHASE_PAUSED;
}

/* A post refused after all: count it, trace it and return @ret. */
static int kth_reject(struct kth_thread *t, size_t len, int ret)
{
	u64 seq = atomic64_inc_return(&t->queue.posted);

	atomic64_inc(&t->queue.rejected);
	trace_kth_post(t, seq, len,
		       ret == -ENOSPC ? KTH_POST_FULL : KTH_POST_STOPPED);
	return ret;
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
 * allocates.  Takes the queue's raw spinlock (not when it can tell
 * without it that the event will be refused).
 * Return: 0 if the event was queued (with %KTH_DROP_OLDEST, possibly by
 * evicting the oldest one); -ENOSPC if the queue was full and the policy
 * is %KTH_DROP_NEWEST; -ESHUTDOWN if the thread is stopped or stopping;
 * -EMSGSIZE if @len exceeds the event size (not counted).
 */
int kth_post(struct kth_thread *t, const void *data, size_t len)
{
	struct kth_queue *q = &t->queue;
	enum kth_post_result result = KTH_POST_QUEUED;
	struct task_struct *wake = NULL;
	struct kth_event *ev;
	unsigned long flags;
	u32 depth;
	u64 now, seq;
	int ret;

	if (unlikely(len > t->event_size))
		return -EMSGSIZE;
	/*
	 * A producer outrunning the thread must not fight it for the lock
	 * just to be refused: a full queue or a stopped thread is seen
	 * without it.  The checks are repeated under the lock.
	 */
	if (unlikely(!kth_phase_accepts(READ_ONCE(t->phase))))
		return kth_reject(t, len, -ESHUTDOWN);
	if (unlikely(READ_ONCE(q->depth) == q->len &&
		     q->overflow == KTH_DROP_NEWEST))
		return kth_reject(t, len, -ENOSPC);
	now = local_clock();	/* not ktime_get_ns(): a VM's HPET costs µs */

	/*
	 * kth_reap() clears @t->task under the queue lock and waits for an
	 * RCU grace period before it drops the task, so the task read under
	 * the lock may be woken after it, until rcu_read_unlock().
	 */
	rcu_read_lock();
	raw_spin_lock_irqsave(&q->lock, flags);
	if (unlikely(!kth_phase_accepts(t->phase))) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (unlikely(q->depth == q->len)) {
		if (q->overflow == KTH_DROP_NEWEST) {
			ret = -ENOSPC;
			goto out_unlock;
		}
		/* the oldest slot is overwritten below */
		WRITE_ONCE(q->depth, q->depth - 1);
		q->dropped++;
		result = KTH_POST_EVICTED;
	}
	ev = kth_slot(q, q->head);
	/* taken under the lock: sequence numbers follow queue order */
	seq = atomic64_inc_return(&q->posted);
	ev->seq = seq;
	ev->timestamp_ns = now;
	ev->len = len;
	memcpy(ev->data, data, len);
	if (++q->head == q->len)
		q->head = 0;
	depth = q->depth + 1;
	WRITE_ONCE(q->depth, depth);
	/*
	 * The consumer sets @waiting and its task state under this lock
	 * before it sleeps (kth_queue_next()), so a wakeup cannot be lost.
	 */
	if (q->waiting && t->phase != KTH_PHASE_PAUSED) {
		q->waiting = false;
		q->wakeups++;
		wake = t->task;
	}
	raw_spin_unlock_irqrestore(&q->lock, flags);
	trace_kth_post(t, seq, len, result);
	if (wake) {
		trace_kth_wakeup(t, depth);
		wake_up_process(wake);
	}
	rcu_read_unlock();
	return 0;

out_unlock:
	raw_spin_unlock_irqrestore(&q->lock, flags);
	rcu_read_unlock();
	return kth_reject(t, len, ret);
}
EXPORT_SYMBOL_NS_GPL(kth_post, KTH_NS);

/* Copy up to @max of the oldest events to @buf; queue lock held. */
static unsigned int kth_queue_take(struct kth_queue *q, void *buf,
				   unsigned int max)
{
	unsigned int n = min(q->depth, max);
	u32 tail = (q->head + q->len - q->depth) % q->len;
	unsigned int first = min(n, q->len - tail);

	memcpy(buf, kth_slot(q, tail), first * q->slot_size);
	if (n > first)
		memcpy(buf + first * q->slot_size, kth_slot(q, 0),
		       (n - first) * q->slot_size);
	WRITE_ONCE(q->depth, q->depth - n);
	return n;
}

/* Count what the thread handled of its batch since last time; lock held. */
static void kth_queue_account(struct kth_thread *t)
{
	unsigned int done = t->batch_pos - t->batch_accounted;

	t->queue.handled += done;
	t->queue.in_hand -= done;
	t->batch_accounted = t->batch_pos;
}

/**
 * kth_queue_next() - account the batch so far and find the next work
 * @t: the thread (called by the thread itself)
 *
 * The rest of a batch that a signal, a pause or a stop request interrupted
 * comes first (once not paused); then a new batch is taken off the queue.
 * When there is nothing to do (queue empty, or paused) the caller's task
 * state is set to TASK_INTERRUPTIBLE under the queue lock, and the caller
 * must schedule() unless a stop request came in meanwhile.
 *
 * Return: > 0 when there are events in @t->batch to handle; 0 when the
 * caller should sleep; -ESHUTDOWN when a SIGTERM drain has emptied the
 * queue.
 */
int kth_queue_next(struct kth_thread *t)
{
	struct kth_queue *q = &t->queue;
	bool paused;
	int ret = 0;

	raw_spin_lock_irq(&q->lock);
	kth_queue_account(t);
	paused = t->phase == KTH_PHASE_PAUSED;
	if (!paused && t->batch_pos < t->batch_n) {
		ret = t->batch_n - t->batch_pos;
	} else if (!paused && q->depth) {
		q->waiting = false;
		ret = kth_queue_take(q, t->batch, t->batch_len);
		t->batch_n = ret;
		t->batch_pos = 0;
		t->batch_accounted = 0;
		q->in_hand = ret;
	} else if (t->phase == KTH_PHASE_DRAINING) {
		kth_set_phase(t, KTH_PHASE_STOPPED, KTH_CAUSE_THREAD, 0);
		ret = -ESHUTDOWN;
	} else {
		/* pairs with the check of @waiting in kth_post() */
		q->waiting = !paused;
		set_current_state(TASK_INTERRUPTIBLE);
	}
	raw_spin_unlock_irq(&q->lock);
	return ret;
}

/**
 * kth_queue_close() - the thread stops: account its batch
 * @t: the thread
 *
 * Events of the batch that were not handled count as dropped.  What is
 * still queued stays for kth_stop() (or a restart) to account.
 */
void kth_queue_close(struct kth_thread *t)
{
	struct kth_queue *q = &t->queue;

	raw_spin_lock_irq(&q->lock);
	kth_queue_account(t);
	q->dropped += q->in_hand;
	q->in_hand = 0;
	t->batch_n = 0;
	t->batch_pos = 0;
	t->batch_accounted = 0;
	q->waiting = false;
	raw_spin_unlock_irq(&q->lock);
}
