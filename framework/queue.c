// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - the bounded event queue.
 *
 * Each CPU posts into a ring of its own, with interrupts off: no
 * allocation, no sleeping, no lock shared between producers, safe from
 * hard IRQ and on PREEMPT_RT.  With KTH_DROP_NEWEST a post takes no lock
 * at all: the ring's one producer owns its head and the consumer its tail.
 * With KTH_DROP_OLDEST, whose posts evict from the consumer's side, a raw
 * spinlock per ring guards both.  The one line every post writes that
 * other CPUs write too is the atomic counter that numbers the events.
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
 * then each ring in turn.  A post claims its ring before it takes its
 * number and settles it once the event is in the ring (or refused); the
 * consumer waits for every claim it sees to settle (with KTH_DROP_OLDEST,
 * whose posts do all that under the ring lock, it takes the lock).  So
 * every event numbered up to P is in its ring by the time the consumer
 * reads that ring, unless it was dropped.  What it takes,
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
	return kth_ring_slot(q, r, r->tail);
}

/* One more event counted as dropped for @cause in ring @r. */
static void kth_ring_count(struct kth_ring *r, enum kth_drop_cause cause)
{
	WRITE_ONCE(r->dropped[cause], r->dropped[cause] + 1);
}

/*
 * Wait until every post that claimed ring @r before this is settled: its
 * event is in the ring, or it was refused.  The caller ordered what it
 * read or wrote before (the counter, the queue's @open) before this.
 */
static void kth_ring_quiesce(const struct kth_ring *r)
{
	u32 claimed = READ_ONCE(r->claimed);

	/* pairs with smp_store_release() in kth_ring_settle() */
	smp_cond_load_acquire(&r->settled, (s32)(VAL - claimed) >= 0);
}

/*
 * Ring @r holds no event not taken, and no post on it is in flight;
 * ordered after the caller's read of &kth_queue.posted as
 * kth_ring_quiesce() is.
 */
static bool kth_ring_quiet_empty(const struct kth_ring *r)
{
	u32 claimed = READ_ONCE(r->claimed);

	/* pairs with smp_store_release() in kth_ring_settle() */
	return smp_load_acquire(&r->settled) == claimed && !kth_ring_depth(r);
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

/* Drop the events of ring @r not taken; quiesced, or locked. */
static u32 kth_ring_discard(struct kth_ring *r)
{
	u32 n = READ_ONCE(r->head) - r->tail;

	WRITE_ONCE(r->dropped[KTH_DROPPED_KILLED],
		   r->dropped[KTH_DROPPED_KILLED] + n);
	WRITE_ONCE(r->tail, r->tail + n);
	return n;
}

/**
 * kth_queue_discard() - the consumer is gone: drop what is in the rings
 * @q: queue, closed, under its owner's control lock (the rings' locks
 *	nest inside it)
 *
 * Waits for the posts in flight: those that claim a ring after this see
 * the queue closed.
 *
 * Return: the number of events dropped.
 */
u64 kth_queue_discard(struct kth_queue *q)
{
	unsigned int cpu;
	u64 n = 0;

	/*
	 * Pairs with the full barrier of atomic64_inc_return() in
	 * kth_queue_put(), between its claim and its read of @open: either
	 * it sees the queue closed, or we see its claim and wait for it.
	 */
	smp_mb();
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		if (!q->in_place) {
			raw_spin_lock(&r->lock);
			n += kth_ring_discard(r);
			raw_spin_unlock(&r->lock);
			continue;
		}
		kth_ring_quiesce(r);
		n += kth_ring_discard(r);
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
 * Read without the rings' locks; the sum is exact whenever no post and
 * no handling is under way.
 */
void kth_queue_stats(struct kth_queue *q, struct kth_stats *stats)
{
	u64 dropped[KTH_DROP_CAUSES] = { 0 };
	unsigned int cpu, cause;

	stats->posted = atomic64_read(&q->posted);
	stats->handled = READ_ONCE(q->handled);
	dropped[KTH_DROPPED_KILLED] = READ_ONCE(q->lost);
	stats->depth = kth_queue_in_hand(q);
	stats->wakeups = 0;
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		stats->depth += kth_ring_depth(r);
		for (cause = 0; cause < KTH_DROP_CAUSES; cause++)
			dropped[cause] += READ_ONCE(r->dropped[cause]);
		stats->wakeups += READ_ONCE(r->wakeups);
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
	while (kth_ring_depth(r) && kth_ring_oldest(q, r)->seq <= floor) {
		WRITE_ONCE(r->tail, r->tail + 1);
		kth_ring_count(r, KTH_DROPPED_EVICTED);
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

		/* the caller's number was taken before: a fully ordered read */
		if (kth_ring_quiet_empty(r))
			continue;
		raw_spin_lock_irqsave(&r->lock, flags);
		kth_ring_evict(q, r, floor);
		raw_spin_unlock_irqrestore(&r->lock, flags);
	}
}

/* Refuse post @seq: it counts as dropped for @cause; @tk says why. */
static void kth_ring_refuse(struct kth_ring *r, u64 seq,
			    enum kth_drop_cause cause,
			    struct kth_post_ticket *tk)
{
	bool full = cause == KTH_DROPPED_FULL;

	kth_ring_count(r, cause);
	tk->seq = seq;
	tk->floor = 0;
	tk->depth = 0;
	tk->result = full ? KTH_POST_FULL : KTH_POST_STOPPED;
	tk->ret = full ? -ENOSPC : -ESHUTDOWN;
	tk->wake = false;
}

/**
 * kth_ring_refuse_newest() - finish a %KTH_DROP_NEWEST post that
 *	kth_queue_put() refused
 * @r: this CPU's ring
 * @refused: what kth_queue_put() returned
 * @tk: filled in
 *
 * Context: interrupts off.
 */
void kth_ring_refuse_newest(struct kth_ring *r, s64 refused,
			    struct kth_post_ticket *tk)
{
	u64 code = -refused;

	kth_ring_refuse(r, code / 2,
			code & 1 ? KTH_DROPPED_STOPPED : KTH_DROPPED_FULL, tk);
	kth_ring_settle(r);
}

/**
 * kth_ring_put_oldest() - post an event with %KTH_DROP_OLDEST
 * @q: queue
 * @r: this CPU's ring, locked
 * @data: payload
 * @len: payload bytes
 * @now: the post's timestamp
 * @tk: filled in
 *
 * Queues the post, evicting the oldest events if the queue is full: of
 * this ring at once, of the others by @tk->floor.  A closed queue refuses
 * it.  Every post takes a number, refused or not (every post counts as
 * posted).
 *
 * Context: interrupts off, @r locked.
 */
void kth_ring_put_oldest(struct kth_queue *q, struct kth_ring *r,
			 const void *data, size_t len, u64 now,
			 struct kth_post_ticket *tk)
{
	u64 seq;

	/* as in kth_queue_put(): claimed before the number is taken */
	kth_ring_claim(r);
	seq = atomic64_inc_return(&q->posted);
	if (!READ_ONCE(q->open)) {
		kth_ring_refuse(r, seq, KTH_DROPPED_STOPPED, tk);
		kth_ring_settle(r);
		return;
	}
	tk->floor = 0;
	tk->ret = 0;
	tk->result = KTH_POST_QUEUED;
	/* the whole bound on this CPU: drop its oldest, whose slot is reused */
	if (kth_ring_depth(r) == q->len) {
		WRITE_ONCE(r->tail, r->tail + 1);
		kth_ring_count(r, KTH_DROPPED_EVICTED);
		tk->result = KTH_POST_EVICTED;
	}
	/*
	 * Pairs with smp_store_release() in kth_queue_gather(): what falls
	 * out of the window (see kth_queue_evict()) counts from the last
	 * event the consumer took.
	 */
	if (seq > smp_load_acquire(&q->taken_seq) + q->len) {
		tk->floor = seq - q->len;
		tk->result = KTH_POST_EVICTED;
	}
	kth_ring_commit(q, r, seq, data, len, now);
	kth_ring_settle(r);
	tk->seq = seq;
	tk->depth = kth_ring_depth(r);
	tk->wake = kth_ring_wake(q, r);
}

/*
 * Take the oldest events of ring @r numbered up to @p into stash @s, as
 * many as it has room for, after dropping those numbered up to @floor
 * (%KTH_DROP_OLDEST's window); @r quiesced or locked, and @head read
 * after.  In place, taking them moves the line between taken and not;
 * else they are copied.  Return how many were taken.
 */
static unsigned int kth_ring_take(struct kth_queue *q, struct kth_ring *r,
				  struct kth_stash *s, u32 head, u64 p,
				  u64 floor)
{
	u32 i, n = 0, room, first;

	if (floor)	/* %KTH_DROP_OLDEST: locked */
		kth_ring_evict(q, r, floor);
	first = r->tail;
	if (s->pos == s->end) {
		s->pos = first;
		s->end = first;
	}
	/* in place, the events held end where those not taken begin */
	WARN_ON_ONCE(q->in_place && s->end != first);
	room = min(q->stash_len - (s->end - s->pos), head - first);
	/* in sequence order: if the last of them is up to @p, all are */
	if (room && kth_ring_slot(q, r, first + room - 1)->seq <= p)
		n = room;
	while (n < room && kth_ring_slot(q, r, first + n)->seq <= p)
		n++;
	if (!q->in_place)	/* one slot at a time: either side may wrap */
		for (i = 0; i < n; i++)
			memcpy(kth_stash_slot(q, s, s->end + i),
			       kth_ring_slot(q, r, first + i), q->slot_size);
	WRITE_ONCE(r->tail, first + n);
	s->end += n;
	return n;
}

/*
 * kth_queue_gather()'s work on ring @r, quiesced or locked: take its
 * events, then lower @limit below what it had to leave behind and clear
 * @empty if it left any.  Return how many it took.
 */
static unsigned int kth_ring_gather(struct kth_queue *q, struct kth_ring *r,
				    struct kth_stash *s, u64 p, u64 floor,
				    u64 *limit, bool *empty)
{
	/* later posts' events may follow; they are numbered above @p */
	u32 head = READ_ONCE(r->head);
	unsigned int n = kth_ring_take(q, r, s, head, p, floor);

	if (head != r->tail) {
		*empty = false;
		/* left behind: hand on nothing numbered above our last */
		if (kth_ring_oldest(q, r)->seq <= p)
			*limit = min(*limit,
				     kth_stash_slot(q, s, s->end - 1)->seq);
	}
	return n;
}

/*
 * kth_queue_gather()'s read of the counter, ordered before its reads of
 * the rings' claims; @all: the queue was closed, and every post must see
 * it closed or be seen.
 */
static u64 kth_queue_read_posted(struct kth_queue *q, bool all)
{
	u64 p = atomic64_read(&q->posted);

	if (all) {
		/*
		 * Pairs with the full barrier of atomic64_inc_return() in
		 * kth_queue_put(), between its claim and its read of @open:
		 * either a post sees the queue closed or we see its claim.
		 */
		smp_mb();
	} else {
		/*
		 * Pairs with the same barrier in kth_queue_put() and
		 * kth_ring_put_oldest(), after their claim: we see the claim
		 * of every post numbered up to the counter.
		 */
		smp_rmb();
	}
	return p;
}

/**
 * kth_queue_gather() - take events out of the rings into the stashes
 * @q: queue
 * @all: wait for every ring's posts, empty or not: after
 *	kth_queue_set_open(q, false), no post can come in behind it
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

	p = kth_queue_read_posted(q, all);
	limit = p;
	if (q->overflow == KTH_DROP_OLDEST && p > q->len)
		floor = p - q->len;
	*empty = true;
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);
		struct kth_stash *s = &q->stash[cpu];
		bool had = s->end != s->pos;
		unsigned int n;

		if (!all && kth_ring_quiet_empty(r))
			continue;
		if (q->in_place) {
			kth_ring_quiesce(r);
			n = kth_ring_gather(q, r, s, p, floor, &limit, empty);
		} else {
			raw_spin_lock_irq(&r->lock);
			n = kth_ring_gather(q, r, s, p, floor, &limit, empty);
			raw_spin_unlock_irq(&r->lock);
		}
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
