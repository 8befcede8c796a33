/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_queue.h - the bounded multi-producer, single-consumer event queue
 * (queue.c).
 *
 * A data structure that knows nothing of its user, as kfifo does: no
 * thread, no phase, no tracepoint.  The thread's code (post.c, lifecycle.c)
 * tells it whether posts are open and does the waking.
 *
 * Locking, per field, in workqueue.c's style:
 *  R: the ring's own @lock (raw, interrupts off), %KTH_DROP_OLDEST only.
 *  P: the ring's CPU's posts, interrupts off; see &struct kth_ring.
 *  O: written by the owner of the queue under its control lock (the
 *     thread's &kth_thread.ctl_lock), read by posts (READ_ONCE()).
 *  C: the consumer (the thread) only.
 *  W: the consumer writes it (WRITE_ONCE), anyone reads it (READ_ONCE).
 *  A: atomic.
 *  I: set by kth_queue_init(), read-only after.
 */
#ifndef _KTH_QUEUE_H
#define _KTH_QUEUE_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <kthelper.h>

/*
 * The thread takes events out of each CPU's ring in batches of at most
 * KTH_BATCH; with %KTH_DROP_OLDEST, which copies them out, also at most
 * KTH_BATCH_BYTES of them, copied with interrupts off.
 */
#define KTH_BATCH		64
#define KTH_BATCH_BYTES		4096

/* What kth_post() did with an event, for the kth_post tracepoint. */
enum kth_post_result {
	KTH_POST_QUEUED,
	KTH_POST_EVICTED,	/* queued by evicting the oldest event */
	KTH_POST_FULL,		/* refused: full, KTH_DROP_NEWEST */
	KTH_POST_STOPPED,	/* refused: stopped or stopping */
};

/*
 * Why an event was dropped: the index of &kth_ring.dropped.  The causes
 * of &struct kth_stats, in its order.
 */
enum kth_drop_cause {
	KTH_DROPPED_FULL,	/* refused: full, KTH_DROP_NEWEST */
	KTH_DROPPED_EVICTED,	/* evicted by a newer one, KTH_DROP_OLDEST */
	KTH_DROPPED_STOPPED,	/* refused: stopped or stopping */
	KTH_DROPPED_KILLED,	/* queued, discarded when the thread stopped */
	KTH_DROP_CAUSES,
};

/*
 * struct kth_ring - one CPU's part of the queue
 *
 * With %KTH_DROP_NEWEST a ring takes no lock: its only producer is its own
 * CPU, with interrupts off, which owns @head, and the consumer owns @tail.
 * What the consumer needs of a post, that every event numbered up to what
 * it read of &kth_queue.posted is in its ring, it gets from @claimed and
 * @settled: a post claims before it takes its number and settles after
 * its slot is filled (kth_ring_settle()).  With %KTH_DROP_OLDEST, whose
 * posts evict from the consumer's side, @lock guards @head and @tail.
 *
 * @lock: %KTH_DROP_OLDEST only: raw, taken with interrupts off by posts
 *	on this CPU, by posts on any CPU that evict, and by the consumer.
 * @claimed: P: posts on this CPU begun (wraps); written before the post's
 *	number is taken.
 * @settled: P: of those, posts done, the slot filled and @head moved, or
 *	refused; written with smp_store_release().
 * @head: P (%KTH_DROP_NEWEST) or R: free-running index of the next slot to
 *	fill (the slot is @head & &kth_queue.mask).
 * @tail: C (%KTH_DROP_NEWEST) or R: free-running index of the oldest event
 *	not taken; @head - @tail events wait, in sequence order.  With
 *	%KTH_DROP_NEWEST the events the consumer took and has not handled
 *	stay in the slots just before it (&kth_stash).
 * @dropped: P, or R for %KTH_DROPPED_EVICTED, and the owner's for
 *	%KTH_DROPPED_KILLED: posts on this CPU refused, and events evicted or
 *	discarded from this ring, by cause (enum kth_drop_cause).
 * @wakeups: P: posts on this CPU that woke the sleeping consumer.
 * @slots: I: &kth_queue.size slots of &kth_queue.slot_size bytes.
 *
 * P: this CPU's posts, with interrupts off (and @lock held with
 * %KTH_DROP_OLDEST); the counters are read by anyone (READ_ONCE()).
 */
struct kth_ring {
	raw_spinlock_t lock;
	u32 claimed;
	u32 settled;
	u32 head;
	u32 tail;
	u64 dropped[KTH_DROP_CAUSES];
	u64 wakeups;
	void *slots;
};

/*
 * struct kth_stash - events the consumer took from one CPU's ring (C)
 *
 * With %KTH_DROP_NEWEST, in place: @base is the ring's slots, and the
 * events taken are the ring's slots @pos..@end-1, which end where the
 * events not taken begin (@end == the ring's tail while any is held).  No
 * post overwrites them: a post is refused unless it fits in the bound
 * counted from the oldest of them (&kth_queue.taken_seq).
 * With %KTH_DROP_OLDEST, whose posts evict the oldest events when the
 * queue is full, the events are copied out: @base is a buffer of its own.
 *
 * @base: I: where the events are.
 * @mask: I: the slot of free-running index i is i & @mask.
 * @pos: free-running index of the next event to hand on.
 * @end: one past the last event held; @pos..@end-1 wait, in sequence
 *	order.
 */
struct kth_stash {
	void *base;
	u32 mask;
	u32 pos;
	u32 end;
};

/*
 * struct kth_queue - bounded multi-producer, single-consumer event queue
 *
 * Each CPU posts into a ring of its own (@rings); the one thing every post
 * writes that other CPUs write too is @posted, the source of sequence
 * numbers.  The consumer takes events from every ring into a stash per CPU
 * and hands them on merged in sequence order.
 *
 * @posted: A: every post; the last sequence number given.
 * @taken_seq: W: every event numbered up to it is out of the queue:
 *	handled or dropped (%KTH_DROP_NEWEST), or taken by the consumer or
 *	dropped (%KTH_DROP_OLDEST).  A post numbered more than @len beyond
 *	it finds the queue full.  Written with smp_store_release(), once
 *	per batch and, in place, once per event handled: with
 *	%KTH_DROP_NEWEST a post that reads it (smp_load_acquire()) may fill
 *	the slots of the events it covers.
 * @waiting: A: the consumer is going to sleep and needs a wakeup (0 or 1);
 *	set by it, cleared by the post that wins the xchg() or by it.
 * @open: O: posts are accepted.
 * @len: I: the bound, all CPUs together.
 * @size: I: slots per ring, @len rounded up to a power of two.
 * @mask: I: @size - 1, a slot's index from a free-running one.
 * @slot_size: I: bytes per slot, the event header and largest payload.
 * @overflow: I: what a post past the bound does.
 * @rings: I: one per possible CPU.
 * @stash: I: one per possible CPU, of @stash_len events at most (contents
 *	C).
 * @in_place: I: the stashes are views of the rings (%KTH_DROP_NEWEST).
 * @active, @n_active, @cur: C: the CPUs whose stashes hold events, and
 *	the index in @active of the stash whose event comes next.
 * @cur_stash: C: that stash, while @bound is set.
 * @seen: C: @posted when the consumer last took events.
 * @limit: C: stashed events numbered up to it may be handed on: no event
 *	with a smaller number can still be in a ring.
 * @bound: C: the current stash's events numbered up to it come next, with
 *	no look at the other stashes; 0 when a merge must find the next.
 * @taken, @handled, @lost: W: events taken out of the rings, handed on
 *	and done with, and dropped when the consumer stopped (so of cause
 *	%KTH_DROPPED_KILLED); @taken - @handled - @lost are in its hands.
 */
struct kth_queue {
	atomic64_t posted ____cacheline_aligned_in_smp;

	u64 taken_seq ____cacheline_aligned_in_smp;
	int waiting;
	bool open;
	u32 len;
	u32 size;
	u32 mask;
	size_t slot_size;
	enum kth_overflow overflow;
	struct kth_ring __percpu *rings;

	struct kth_stash *stash ____cacheline_aligned_in_smp;
	unsigned int stash_len;
	bool in_place;
	unsigned int *active;
	unsigned int n_active;
	unsigned int cur;
	struct kth_stash *cur_stash;
	u64 seen;
	u64 limit;
	u64 bound;
	u64 taken;
	u64 handled;
	u64 lost;
};

/*
 * struct kth_post_ticket - what a post that was not the common one did
 * (kth_ring_refuse_newest(), kth_ring_put_oldest()), or one that must wake
 * the consumer, for the caller to trace and act on once the ring is let go
 * @seq: the number the post was given (refused posts take one too).
 * @floor: non-zero: events numbered up to it fell out of the window
 *	(%KTH_DROP_OLDEST); kth_queue_evict() them.
 * @depth: the ring's events not taken, after a queued post.
 * @ret: what kth_post() returns: 0, -ENOSPC or -ESHUTDOWN.
 * @result: queued, evicted, or why it was refused.
 * @wake: the consumer sleeps and this post must wake it.
 */
struct kth_post_ticket {
	u64 seq;
	u64 floor;
	u32 depth;
	s16 ret;
	u8 result;	/* enum kth_post_result: 24 bytes in all */
	bool wake;
};

int kth_queue_init(struct kth_queue *q, unsigned int len, size_t event_size,
		   enum kth_overflow overflow);
void kth_queue_free(struct kth_queue *q);

/* the producers' side: kth_queue_put() below */
void kth_queue_evict(struct kth_queue *q, u64 floor);

/* the owner's side, under its control lock */
void kth_queue_open(struct kth_queue *q);
u64 kth_queue_discard(struct kth_queue *q);

/*
 * kth_queue_set_open() - let posts in, or refuse them from now on
 * @q: the queue
 * @open: whether posts are accepted
 *
 * A post that claims its ring after this sees it, once the owner has
 * waited for every ring's posts in flight after it: kth_queue_discard(),
 * or a full kth_queue_gather().
 */
static inline void kth_queue_set_open(struct kth_queue *q, bool open)
{
	WRITE_ONCE(q->open, open);
}

/* the consumer's side */
unsigned int kth_queue_gather(struct kth_queue *q, bool all, bool *empty);
const struct kth_event *kth_queue_merge(struct kth_queue *q);
void kth_queue_retire(struct kth_queue *q);
bool kth_queue_sleep_prepare(struct kth_queue *q);
void kth_queue_close(struct kth_queue *q);

/* anyone */
u64 kth_queue_in_hand(const struct kth_queue *q);
void kth_queue_stats(struct kth_queue *q, struct kth_stats *stats);

/* The stashed event of free-running index @index. */
static inline struct kth_event *kth_stash_slot(const struct kth_queue *q,
					       const struct kth_stash *s,
					       u32 index)
{
	return s->base + (size_t)(index & s->mask) * q->slot_size;
}

/*
 * kth_queue_holds() - the consumer holds taken events it has not handed on
 * @q: the queue
 */
static inline bool kth_queue_holds(const struct kth_queue *q)
{
	return q->n_active;
}

/*
 * kth_queue_awake() - the consumer is awake: no post need wake it
 * @q: the queue
 *
 * Clears a stale @waiting (one left by a signal or a stop).
 */
static inline void kth_queue_awake(struct kth_queue *q)
{
	if (READ_ONCE(q->waiting))
		WRITE_ONCE(q->waiting, 0);
}

/*
 * kth_queue_peek() - the next event to hand on, in sequence order
 * @q: the queue
 *
 * Inline, once per event: while the current stash's next event is within
 * @q->bound, it is the next one; else kth_queue_merge() looks at all.
 *
 * Return: the stashed event with the smallest number, if that number is
 * up to @q->limit; else NULL.
 */
static inline const struct kth_event *kth_queue_peek(struct kth_queue *q)
{
	const struct kth_stash *s;
	const struct kth_event *ev;

	if (q->bound) {
		s = q->cur_stash;
		ev = kth_stash_slot(q, s, s->pos);
		if (ev->seq <= q->bound)
			return ev;
	}
	return kth_queue_merge(q);
}

/*
 * kth_queue_pop() - the event kth_queue_peek() returned is done with
 * @q: the queue
 * @ev: that event
 *
 * In place, its slot is free for posts from now on: every event numbered
 * below it is out of the queue already, handled or dropped.
 */
static inline void kth_queue_pop(struct kth_queue *q,
				 const struct kth_event *ev)
{
	struct kth_stash *s = q->cur_stash;

	if (q->in_place) {
		/*
		 * Pairs with smp_load_acquire() in kth_queue_put(): the
		 * handler is done reading the slot.
		 */
		smp_store_release(&q->taken_seq, ev->seq);
		/*
		 * And one who sees it counted as handled (kth_get_stats())
		 * sees its slot free: pairs with the full barrier of the
		 * atomic64_inc_return() in kth_queue_put().
		 */
		smp_wmb();
	}
	WRITE_ONCE(q->handled, q->handled + 1);
	if (++s->pos == s->end)
		kth_queue_retire(q);
}

/* The slot of a ring's free-running index @index. */
static inline struct kth_event *kth_ring_slot(const struct kth_queue *q,
					      const struct kth_ring *r,
					      u32 index)
{
	return r->slots + (size_t)(index & q->mask) * q->slot_size;
}

/* Events in ring @r not taken by the consumer; exact when it is quiet. */
static inline u32 kth_ring_depth(const struct kth_ring *r)
{
	return READ_ONCE(r->head) - READ_ONCE(r->tail);
}

/*
 * A post on this CPU begins: claim, before the number is taken (the
 * fully ordered atomic64_inc_return() orders the two).  Interrupts off.
 */
static __always_inline void kth_ring_claim(struct kth_ring *r)
{
	WRITE_ONCE(r->claimed, r->claimed + 1);
}

/* The post is done: its slot filled and @head moved, or refused. */
static __always_inline void kth_ring_settle(struct kth_ring *r)
{
	/*
	 * Pairs with smp_cond_load_acquire() in kth_ring_quiesce(): the
	 * consumer that sees it settled sees the slot and @head.
	 */
	smp_store_release(&r->settled, r->claimed);
}

/* Fill the slot of ring @r's head with event @seq, and move the head. */
static __always_inline void kth_ring_commit(const struct kth_queue *q,
					    struct kth_ring *r, u64 seq,
					    const void *data, size_t len,
					    u64 now)
{
	struct kth_event *ev = kth_ring_slot(q, r, r->head);

	ev->seq = seq;
	ev->timestamp_ns = now;
	ev->len = len;
	memcpy(ev->data, data, len);
	WRITE_ONCE(r->head, r->head + 1);
}

/*
 * Must this post wake the consumer?  After the post's number is taken.
 *
 * Pairs with smp_mb() in kth_queue_sleep_prepare(): the consumer stores
 * @waiting, then reads @posted; we wrote @posted (a fully ordered atomic),
 * then read @waiting.  Either it sees our number, or we see it waiting.
 * The xchg() lets one post of a burst wake it.
 */
static __always_inline bool kth_ring_wake(struct kth_queue *q,
					  struct kth_ring *r)
{
	if (likely(!READ_ONCE(q->waiting)) || !xchg(&q->waiting, 0))
		return false;
	WRITE_ONCE(r->wakeups, r->wakeups + 1);
	return true;
}

/*
 * kth_queue_lock() - lock this CPU's ring for a %KTH_DROP_OLDEST post
 * @q: queue
 *
 * Context: interrupts off.
 * Return: the ring, locked; kth_queue_unlock() it.
 */
static __always_inline struct kth_ring *kth_queue_lock(struct kth_queue *q)
	__acquires(ring_lock)
{
	struct kth_ring *r = this_cpu_ptr(q->rings);

	raw_spin_lock(&r->lock);
	return r;
}

/* Unlock the ring kth_queue_lock() locked; interrupts stay off. */
static __always_inline void kth_queue_unlock(struct kth_ring *r)
	__releases(ring_lock)
{
	raw_spin_unlock(&r->lock);
}

/*
 * What kth_queue_put() returns for a refused post: not positive, and it
 * keeps the number @seq and whether the queue was @closed (the cause).
 */
#define KTH_PUT_REFUSED(seq, closed)	(-(s64)((seq) * 2 + (closed)))

void kth_ring_refuse_newest(struct kth_ring *r, s64 refused,
			    struct kth_post_ticket *tk);
void kth_ring_put_oldest(struct kth_queue *q, struct kth_ring *r,
			 const void *data, size_t len, u64 now,
			 struct kth_post_ticket *tk);

/**
 * kth_queue_put() - post an event into this CPU's ring: the common post
 * @q: queue, %KTH_DROP_NEWEST
 * @r: this CPU's ring
 * @data: payload, copied before kth_queue_put() returns
 * @len: payload bytes, at most the event size the queue was made for
 * @now: the post's timestamp
 *
 * Every post takes a number and counts as posted; one that is not
 * queued counts as dropped.
 *
 * The common post is inline and takes no lock, as kfifo_put() with one
 * producer: the queue is open and the number is within the bound.  A
 * refused one is finished by kth_ring_refuse_newest(), out of line.  After
 * a common post the caller asks kth_ring_wake() whether to wake the
 * consumer.  %KTH_DROP_OLDEST posts take kth_ring_put_oldest() instead.
 *
 * Context: interrupts off.
 * Return: the event's number after a common post; if it must be refused,
 * KTH_PUT_REFUSED() of the number it took and whether the queue was
 * closed.
 */
static __always_inline s64 kth_queue_put(struct kth_queue *q,
					 struct kth_ring *r, const void *data,
					 size_t len, u64 now)
{
	u64 seq;

	/*
	 * Claimed, then numbered, then the queue seen open:
	 * atomic64_inc_return() is fully ordered.  A consumer that sees the
	 * number sees the claim and waits for us to settle
	 * (kth_ring_quiesce()); an owner that closed the queue and then found
	 * no claim knows that we see it closed.
	 */
	kth_ring_claim(r);
	seq = atomic64_inc_return(&q->posted);
	if (unlikely(!READ_ONCE(q->open)))
		return KTH_PUT_REFUSED(seq, true);
	/*
	 * Pairs with smp_store_release() in kth_queue_pop() and
	 * kth_queue_gather(): the slot about to be filled may have held an
	 * event the consumer handled in place, and it is done reading it.
	 * Within the bound, no event in the slot is one it still holds.
	 */
	if (unlikely(seq > smp_load_acquire(&q->taken_seq) + q->len))
		return KTH_PUT_REFUSED(seq, false);
	kth_ring_commit(q, r, seq, data, len, now);
	kth_ring_settle(r);
	return seq;
}

#endif /* _KTH_QUEUE_H */
