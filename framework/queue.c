// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - the bounded event queue.
 *
 * Each CPU posts into a ring of its own under a raw spinlock that only
 * that CPU's posts (with interrupts off) and the consumer ever take: no
 * allocation, no sleeping, no lock shared between producers, safe from
 * hard IRQ and on PREEMPT_RT.  The one line every post writes that other
 * CPUs write too is the atomic counter that numbers the events.
 *
 * The consumer (a kthelper thread, but the queue knows nothing of it)
 * takes events out of every ring, up to a batch per CPU per lock hold,
 * and hands them on merged in sequence order.  Each ring has len slots
 * rounded up to a power of two, so one CPU may use the whole bound and a
 * free-running index finds its slot with a mask, as kfifo's do.
 *
 * The bound is global, on sequence numbers.  With KTH_DROP_NEWEST the
 * consumer hands the events on in place, in their ring's slots: a post
 * numbered more than len beyond the last event handled (or dropped) finds
 * the queue full, so at most len events are in the rings, taken or not,
 * and no post can reach a slot the consumer still reads.  With
 * KTH_DROP_OLDEST a full queue makes room by evicting the oldest events,
 * which must not be ones the consumer is reading: it copies the events it
 * takes into a stash of its own, and the bound counts from the last event
 * it took.
 *
 * Why the merge is in order: the consumer reads the counter (P) first,
 * then locks each ring in turn.  A post takes its number under its ring's
 * lock, so every event numbered up to P is in its ring by the time the
 * consumer holds that ring's lock, unless it was dropped.  What it takes,
 * per ring, is every event numbered up to P, or as many as its stash
 * holds; it hands on only events numbered up to the smallest number it
 * had to leave behind (@limit).
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kth_queue.h"

/* The oldest event of a ring that is not empty. */
static struct kth_event *kth_ring_oldest(const struct kth_queue *q,
					 const struct kth_ring *r)
{
	return kth_ring_slot(q, r, r->head - r->depth);
}

/**
 * kth_queue_init() - allocate the rings and stashes of an event queue
 * @q: queue to set up, zeroed
 * @len: the bound, 1..%KTH_QUEUE_LEN_MAX; each ring has @len slots,
 *	rounded up to a power of two, so one CPU may use the whole bound
 * @event_size: largest payload
 * @overflow: drop policy when full
 *
 * The queue starts closed: kth_queue_set_open() lets posts in.
 *
 * Return: 0, or -ENOMEM (kth_queue_free() frees what was allocated).
 */
int kth_queue_init(struct kth_queue *q, unsigned int len, size_t event_size,
		   enum kth_overflow overflow)
{
	unsigned int cpu;

	q->slot_size = ALIGN(sizeof(struct kth_event) + event_size, 8);
	q->len = len;
	q->size = roundup_pow_of_two(len);
	q->mask = q->size - 1;
	q->overflow = overflow;
	q->in_place = overflow == KTH_DROP_NEWEST;
	q->stash_len = KTH_BATCH;
	if (!q->in_place)	/* a copy: at most KTH_BATCH_BYTES of them */
		q->stash_len = clamp_t(unsigned int,
				       KTH_BATCH_BYTES / q->slot_size, 1,
				       KTH_BATCH);
	q->stash_len = rounddown_pow_of_two(q->stash_len);
	q->rings = alloc_percpu(struct kth_ring);
	q->stash = kcalloc(nr_cpu_ids, sizeof(*q->stash), GFP_KERNEL);
	q->active = kcalloc(nr_cpu_ids, sizeof(*q->active), GFP_KERNEL);
	if (!q->rings || !q->stash || !q->active)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);
		struct kth_stash *s = &q->stash[cpu];

		raw_spin_lock_init(&r->lock);
		r->slots = kvzalloc_node(array_size(q->size, q->slot_size),
					 GFP_KERNEL, cpu_to_node(cpu));
		if (!r->slots)
			return -ENOMEM;
		if (q->in_place) {
			s->base = r->slots;
			s->mask = q->mask;
			continue;
		}
		s->base = kvzalloc_node(array_size(q->stash_len, q->slot_size),
					GFP_KERNEL, cpu_to_node(cpu));
		s->mask = q->stash_len - 1;
		if (!s->base)
			return -ENOMEM;
	}
	return 0;
}

void kth_queue_free(struct kth_queue *q)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (q->rings)
			kvfree(per_cpu_ptr(q->rings, cpu)->slots);
		if (q->stash && !q->in_place)
			kvfree(q->stash[cpu].base);
	}
	free_percpu(q->rings);
	kfree(q->stash);
	kfree(q->active);
	q->rings = NULL;
	q->stash = NULL;
	q->active = NULL;
}

/**
 * kth_queue_open() - the consumer starts: posts open a fresh window
 * @q: queue, every ring empty, under its owner's control lock
 *
 * Posts refused while the consumer was stopped took numbers too: the
 * bound counts from the last of them.
 */
void kth_queue_open(struct kth_queue *q)
{
	q->seen = atomic64_read(&q->posted);
	WRITE_ONCE(q->taken_seq, q->seen);
}

/**
 * kth_queue_discard() - the consumer is gone: drop what is in the rings
 * @q: queue, closed, under its owner's control lock (the rings' locks
 *	nest inside it)
 *
 * Return: the number of events dropped.
 */
u64 kth_queue_discard(struct kth_queue *q)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		raw_spin_lock(&r->lock);
		n += r->depth;
		r->dropped[KTH_DROPPED_KILLED] += r->depth;
		WRITE_ONCE(r->depth, 0);
		raw_spin_unlock(&r->lock);
	}
	WRITE_ONCE(q->waiting, 0);	/* no consumer to wake */
	return n;
}

/*
 * Events the consumer took out of the rings and has not handled or dropped.
 * Exact when the consumer is between batches; read while it works, the three
 * counters may be of slightly different moments, so the difference is
 * kept from going below zero.
 */
u64 kth_queue_in_hand(const struct kth_queue *q)
{
	u64 handled = READ_ONCE(q->handled), lost = READ_ONCE(q->lost);
	u64 taken = READ_ONCE(q->taken);

	return taken > handled + lost ? taken - handled - lost : 0;
}

/**
 * kth_queue_stats() - the queue's counters
 * @q: queue
 * @stats: posted, handled, dropped and its causes, depth and wakeups are
 *	filled in
 *
 * Each ring is read under its lock; the sum is exact whenever no post and
 * no handling is under way.
 */
void kth_queue_stats(struct kth_queue *q, struct kth_stats *stats)
{
	u64 dropped[KTH_DROP_CAUSES] = { 0 };
	unsigned int cpu, cause;
	unsigned long flags;

	stats->posted = atomic64_read(&q->posted);
	stats->handled = READ_ONCE(q->handled);
	dropped[KTH_DROPPED_KILLED] = READ_ONCE(q->lost);
	stats->depth = kth_queue_in_hand(q);
	stats->wakeups = 0;
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		raw_spin_lock_irqsave(&r->lock, flags);
		stats->depth += r->depth;
		for (cause = 0; cause < KTH_DROP_CAUSES; cause++)
			dropped[cause] += r->dropped[cause];
		stats->wakeups += r->wakeups;
		raw_spin_unlock_irqrestore(&r->lock, flags);
	}
	stats->dropped_full = dropped[KTH_DROPPED_FULL];
	stats->dropped_evicted = dropped[KTH_DROPPED_EVICTED];
	stats->dropped_stopped = dropped[KTH_DROPPED_STOPPED];
	stats->dropped_killed = dropped[KTH_DROPPED_KILLED];
	stats->dropped = stats->dropped_full + stats->dropped_evicted +
			 stats->dropped_stopped + stats->dropped_killed;
}

/* Drop the events of ring @r numbered up to @floor; ring lock held. */
static void kth_ring_evict(const struct kth_queue *q, struct kth_ring *r,
			   u64 floor)
{
	while (r->depth && kth_ring_oldest(q, r)->seq <= floor) {
		WRITE_ONCE(r->depth, r->depth - 1);
		r->dropped[KTH_DROPPED_EVICTED]++;
	}
}

/**
 * kth_queue_evict() - drop what fell out of %KTH_DROP_OLDEST's window
 * @q: queue
 * @floor: &kth_post_ticket.floor of a post: the events numbered up to it
 *
 * A post numbered @floor + len keeps only the newest len events.  Drop the
 * older ones of every ring, each ring under its own lock, one at a time.
 * Only posts past the bound come here, with interrupts enabled or not.
 */
void kth_queue_evict(struct kth_queue *q, u64 floor)
{
	unsigned long flags;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		if (!READ_ONCE(r->depth))
			continue;
		raw_spin_lock_irqsave(&r->lock, flags);
		kth_ring_evict(q, r, floor);
		raw_spin_unlock_irqrestore(&r->lock, flags);
	}
}

/* Refuse a post: it counts as dropped for @cause; @tk says why. */
static void kth_ring_refuse(struct kth_ring *r, enum kth_drop_cause cause,
			    struct kth_post_ticket *tk)
{
	static const struct {
		enum kth_post_result result;
		int ret;
	} why[] = {
		[KTH_DROPPED_FULL] = { KTH_POST_FULL, -ENOSPC },
		[KTH_DROPPED_STOPPED] = { KTH_POST_STOPPED, -ESHUTDOWN },
	};

	r->dropped[cause]++;
	tk->result = why[cause].result;
	tk->ret = why[cause].ret;
}

/**
 * kth_ring_put_slow() - kth_queue_put()'s post that is not the common one
 * @q: queue
 * @r: this CPU's ring, locked
 * @seq: the number kth_queue_put() took, past the bound; 0 if it took
 *	none: the queue is closed or this ring holds the whole bound
 * @data: payload
 * @len: payload bytes
 * @now: the post's timestamp
 * @tk: filled in
 *
 * Refuses the post, or, with %KTH_DROP_OLDEST, queues it by evicting the
 * oldest events: of this ring at once, of the others by @tk->floor.  Every
 * post takes a number, refused or not (every post counts as posted).
 *
 * Context: interrupts off, @r locked.
 */
void kth_ring_put_slow(struct kth_queue *q, struct kth_ring *r, u64 seq,
		       const void *data, size_t len, u64 now,
		       struct kth_post_ticket *tk)
{
	tk->floor = 0;
	tk->depth = 0;
	tk->ret = 0;
	tk->result = KTH_POST_QUEUED;
	tk->wake = false;
	if (seq) {
		/* past the bound, all CPUs together */
		if (q->overflow == KTH_DROP_NEWEST) {
			WRITE_ONCE(r->depth, r->depth - 1);
			kth_ring_refuse(r, KTH_DROPPED_FULL, tk);
			tk->seq = seq;
			return;
		}
		/* what falls out of the window: see kth_queue_evict() */
		tk->floor = seq - q->len;
		tk->result = KTH_POST_EVICTED;
		goto queue;
	}
	if (!READ_ONCE(q->open)) {
		kth_ring_refuse(r, KTH_DROPPED_STOPPED, tk);
		tk->seq = atomic64_inc_return(&q->posted);
		return;
	}
	/* the whole bound on this CPU */
	if (q->overflow == KTH_DROP_NEWEST) {
		kth_ring_refuse(r, KTH_DROPPED_FULL, tk);
		tk->seq = atomic64_inc_return(&q->posted);
		return;
	}
	/* drop the oldest: its slot is left behind as free */
	r->dropped[KTH_DROPPED_EVICTED]++;
	tk->result = KTH_POST_EVICTED;
	/* as in kth_queue_put(): the depth (unchanged) before the number */
	seq = atomic64_inc_return(&q->posted);
	/*
	 * Pairs with smp_store_release() in kth_queue_gather(), as the read
	 * in kth_queue_put() does: what falls out of the window (see
	 * kth_queue_evict()) counts from the last event the consumer took.
	 */
	if (seq > smp_load_acquire(&q->taken_seq) + q->len)
		tk->floor = seq - q->len;
queue:
	kth_ring_commit(q, r, seq, data, len, now);
	tk->seq = seq;
	tk->depth = r->depth;
	tk->wake = kth_ring_wake(q, r);
}

/*
 * Take the oldest events of ring @r numbered up to @p into stash @s, as
 * many as it has room for, after dropping those numbered up to @floor
 * (%KTH_DROP_OLDEST's window); ring lock held.  In place, taking them
 * moves the line between taken and not; else they are copied.  Return how
 * many were taken.
 */
static unsigned int kth_ring_take(struct kth_queue *q, struct kth_ring *r,
				  struct kth_stash *s, u64 p, u64 floor)
{
	u32 i, n = 0, room, first;

	kth_ring_evict(q, r, floor);
	first = r->head - r->depth;
	if (s->pos == s->end) {
		s->pos = first;
		s->end = first;
	}
	/* in place, the events held end where those not taken begin */
	WARN_ON_ONCE(q->in_place && s->end != first);
	room = min(q->stash_len - (s->end - s->pos), r->depth);
	/* in sequence order: if the last of them is up to @p, all are */
	if (room && kth_ring_slot(q, r, first + room - 1)->seq <= p)
		n = room;
	while (n < room && kth_ring_slot(q, r, first + n)->seq <= p)
		n++;
	if (!q->in_place)	/* one slot at a time: either side may wrap */
		for (i = 0; i < n; i++)
			memcpy(kth_stash_slot(q, s, s->end + i),
			       kth_ring_slot(q, r, first + i), q->slot_size);
	WRITE_ONCE(r->depth, r->depth - n);
	s->end += n;
	return n;
}

/**
 * kth_queue_gather() - take events out of the rings into the stashes
 * @q: queue
 * @all: lock every ring, empty or not: after kth_queue_set_open(q, false),
 *	no post can come in behind it
 * @empty: set to whether every ring was left empty
 *
 * Also sets how far the stashed events may be handed on.
 *
 * Return: how many events were taken.
 */
unsigned int kth_queue_gather(struct kth_queue *q, bool all, bool *empty)
{
	unsigned int cpu, i, got = 0;
	u64 p, floor = 0, limit;

	p = atomic64_read(&q->posted);
	/* pairs with the store of the depth before the number in kth_post() */
	smp_rmb();
	limit = p;
	if (q->overflow == KTH_DROP_OLDEST && p > q->len)
		floor = p - q->len;
	*empty = true;
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);
		struct kth_stash *s = &q->stash[cpu];
		bool had = s->end != s->pos;
		unsigned int n;

		if (!all && !READ_ONCE(r->depth))
			continue;
		raw_spin_lock_irq(&r->lock);
		n = kth_ring_take(q, r, s, p, floor);
		if (r->depth) {
			*empty = false;
			/* left behind: hand on nothing numbered above our last */
			if (kth_ring_oldest(q, r)->seq <= p)
				limit = min(limit,
					    kth_stash_slot(q, s, s->end - 1)->seq);
		}
		raw_spin_unlock_irq(&r->lock);
		if (n && !had)
			q->active[q->n_active++] = cpu;
		got += n;
	}
	WRITE_ONCE(q->taken, q->taken + got);
	q->seen = p;
	q->limit = limit;
	q->bound = 0;	/* new stashes and a new limit: merge again */
	/* in place, the events still held are not out of the queue */
	for (i = 0; q->in_place && i < q->n_active; i++) {
		const struct kth_stash *s = &q->stash[q->active[i]];

		limit = min(limit, kth_stash_slot(q, s, s->pos)->seq - 1);
	}
	/* posts read it without a lock: a stale value only refuses more */
	if (limit <= q->taken_seq)
		return got;
	/*
	 * Pairs with smp_load_acquire() in kth_queue_put(): in place, we
	 * are done reading the slots of the events it covers.
	 */
	smp_store_release(&q->taken_seq, limit);
	return got;
}

/**
 * kth_queue_merge() - find the next event to handle among the stashes
 * @q: the queue
 *
 * kth_queue_peek()'s slow path, once per run: the stashed event with the
 * smallest number becomes the current one, and @q->bound is set to how
 * far its stash may be handled on without looking at the others again:
 * up to @q->limit and below every other stash's next event.
 *
 * Return: that event, if its number is up to @q->limit; else NULL.
 */
const struct kth_event *kth_queue_merge(struct kth_queue *q)
{
	const struct kth_event *best = NULL, *ev;
	u64 next = U64_MAX;
	unsigned int i;

	for (i = 0; i < q->n_active; i++) {
		const struct kth_stash *s = &q->stash[q->active[i]];

		ev = kth_stash_slot(q, s, s->pos);
		if (best && ev->seq > best->seq) {
			next = min(next, ev->seq);
			continue;
		}
		if (best)
			next = best->seq;
		best = ev;
		q->cur = i;
	}
	if (best)
		q->cur_stash = &q->stash[q->active[q->cur]];
	if (!best || best->seq > q->limit) {
		q->bound = 0;
		return NULL;
	}
	q->bound = min(q->limit, next - 1);
	return best;
}

/**
 * kth_queue_retire() - kth_queue_pop() emptied the current stash
 * @q: the queue
 */
void kth_queue_retire(struct kth_queue *q)
{
	q->active[q->cur] = q->active[--q->n_active];
	q->bound = 0;
}

/**
 * kth_queue_sleep_prepare() - the consumer found nothing: ask for a wakeup
 * @q: queue
 *
 * Called with the consumer's task state already TASK_INTERRUPTIBLE.
 *
 * Return: true if it may sleep: the next post wakes it; false if posts
 * came in since it last took events (one may be waking it already), and
 * it must look again.
 */
bool kth_queue_sleep_prepare(struct kth_queue *q)
{
	WRITE_ONCE(q->waiting, 1);
	/* pairs with the read of @waiting in kth_ring_wake() */
	smp_mb();
	if (atomic64_read(&q->posted) == q->seen)
		return true;
	WRITE_ONCE(q->waiting, 0);
	return false;
}

/**
 * kth_queue_close() - the consumer stops: drop what it holds
 * @q: queue
 *
 * Events it took but did not hand on count as dropped.  What is still in
 * the rings stays for kth_queue_discard() (or a restart) to account.
 */
void kth_queue_close(struct kth_queue *q)
{
	unsigned int cpu;

	WRITE_ONCE(q->lost, q->lost + kth_queue_in_hand(q));
	for_each_possible_cpu(cpu)
		q->stash[cpu].pos = q->stash[cpu].end;
	q->n_active = 0;
	q->bound = 0;
	WRITE_ONCE(q->waiting, 0);
}
