// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - the bounded event queue and kth_post().
 *
 * Each CPU posts into a ring of its own under a raw spinlock that only
 * that CPU's posts (with interrupts off) and the thread ever take: no
 * allocation, no sleeping, no lock shared between producers, safe from
 * hard IRQ and on PREEMPT_RT.  The one line every post writes that other
 * CPUs write too is the atomic counter that numbers the events.
 *
 * The thread takes events out of every ring, up to a batch per CPU per
 * lock hold, into a stash per CPU, and hands them to the handler merged
 * in sequence order.  The bound is global: a post numbered more than
 * queue_len beyond the last event the thread took finds the queue full.
 * Each ring has queue_len slots, so one CPU may use all of them.
 *
 * Why the merge is in order: the thread reads the counter (P) first, then
 * locks each ring in turn.  A post takes its number under its ring's lock,
 * so every event numbered up to P is in its ring by the time the thread
 * holds that ring's lock, unless it was dropped.  What the thread takes,
 * per ring, is every event numbered up to P, or as many as its stash holds;
 * it hands on only events numbered up to the smallest number it had to
 * leave behind (@limit).
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kth_internal.h"
#include "kth_trace.h"

static struct kth_event *kth_ring_slot(const struct kth_queue *q,
				       const struct kth_ring *r, u32 index)
{
	return r->slots + (size_t)index * q->slot_size;
}

/* The oldest event of a ring that is not empty. */
static struct kth_event *kth_ring_oldest(const struct kth_queue *q,
					 const struct kth_ring *r)
{
	return kth_ring_slot(q, r, (r->head + q->len - r->depth) % q->len);
}

/**
 * kth_queue_init() - allocate the rings and stashes of an event queue
 * @q: queue to set up, zeroed
 * @len: slots per ring, and the bound
 * @event_size: largest payload
 * @overflow: drop policy when full
 *
 * Return: 0, or -ENOMEM (kth_queue_free() frees what was allocated).
 */
int kth_queue_init(struct kth_queue *q, unsigned int len, size_t event_size,
		   enum kth_overflow overflow)
{
	unsigned int cpu;

	raw_spin_lock_init(&q->lock);
	q->slot_size = ALIGN(sizeof(struct kth_event) + event_size, 8);
	q->len = len;
	q->overflow = overflow;
	q->stash_len = clamp_t(unsigned int, KTH_BATCH_BYTES / q->slot_size,
			       1, KTH_BATCH);
	q->rings = alloc_percpu(struct kth_ring);
	q->stash = kcalloc(nr_cpu_ids, sizeof(*q->stash), GFP_KERNEL);
	q->active = kcalloc(nr_cpu_ids, sizeof(*q->active), GFP_KERNEL);
	if (!q->rings || !q->stash || !q->active)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		raw_spin_lock_init(&r->lock);
		r->slots = kvzalloc_node(array_size(len, q->slot_size),
					 GFP_KERNEL, cpu_to_node(cpu));
		q->stash[cpu].events =
			kvzalloc_node(array_size(q->stash_len, q->slot_size),
				      GFP_KERNEL, cpu_to_node(cpu));
		if (!r->slots || !q->stash[cpu].events)
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
		if (q->stash)
			kvfree(q->stash[cpu].events);
	}
	free_percpu(q->rings);
	kfree(q->stash);
	kfree(q->active);
	q->rings = NULL;
	q->stash = NULL;
	q->active = NULL;
}

/**
 * kth_queue_open() - a stopped thread starts: posts open a fresh window
 * @q: queue, with @q->lock held and every ring empty
 *
 * Posts refused while the thread was stopped took numbers too: the bound
 * counts from the last of them.
 */
void kth_queue_open(struct kth_queue *q)
{
	lockdep_assert_held(&q->lock);
	q->seen = atomic64_read(&q->posted);
	WRITE_ONCE(q->taken_seq, q->seen);
}

/**
 * kth_queue_discard() - drop everything in the rings, counting it
 * @q: queue, with @q->lock held (its rings' locks nest inside it)
 *
 * Return: the number of events dropped.
 */
u64 kth_queue_discard(struct kth_queue *q)
{
	unsigned int cpu;
	u64 n = 0;

	lockdep_assert_held(&q->lock);
	for_each_possible_cpu(cpu) {
		struct kth_ring *r = per_cpu_ptr(q->rings, cpu);

		raw_spin_lock(&r->lock);
		n += r->depth;
		r->dropped[KTH_DROPPED_KILLED] += r->depth;
		WRITE_ONCE(r->depth, 0);
		raw_spin_unlock(&r->lock);
	}
	return n;
}

/*
 * Events the thread took out of the rings and has not handled or dropped.
 * Exact when the thread is between batches; read while it works, the three
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

/*
 * %KTH_DROP_OLDEST: a post numbered @floor + len keeps only the newest
 * len events.  Drop the older ones of every ring, each ring under its own
 * lock, one at a time.  Only posts past the bound come here.
 */
static void kth_queue_evict(struct kth_queue *q, u64 floor)
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

static bool kth_phase_accepts(enum kth_phase phase)
{
	return phase == KTH_PHASE_STARTING || phase == KTH_PHASE_RUNNING ||
	       phase == KTH_PHASE_PAUSED;
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
 * allocates.  Takes the calling CPU's ring lock, which no other CPU's
 * posts take.
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
	struct kth_ring *r;
	unsigned long flags;
	u64 now, seq, floor = 0;
	u32 depth = 0;
	int ret = 0;

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
	r = this_cpu_ptr(q->rings);
	raw_spin_lock(&r->lock);
	/*
	 * A phase change that stops posts is followed by the discard of
	 * every ring under its lock (kth_queue_discard()), or by the thread
	 * taking every ring's lock (a drain): a post that holds the lock
	 * after that sees the new phase.
	 */
	if (unlikely(!kth_phase_accepts(READ_ONCE(t->phase)))) {
		ret = -ESHUTDOWN;
		result = KTH_POST_STOPPED;
		goto out_refuse;
	}
	if (unlikely(r->depth == q->len)) {
		/* the whole bound on this CPU */
		if (q->overflow == KTH_DROP_NEWEST) {
			ret = -ENOSPC;
			result = KTH_POST_FULL;
			goto out_refuse;
		}
		/* the oldest slot is overwritten below */
		WRITE_ONCE(r->depth, r->depth - 1);
		r->dropped[KTH_DROPPED_EVICTED]++;
		result = KTH_POST_EVICTED;
	}
	/*
	 * The slot is counted before the number is taken: the thread that
	 * sees the number sees the ring's depth (pairs with smp_rmb() in
	 * kth_queue_gather(); atomic64_inc_return() is fully ordered).
	 */
	WRITE_ONCE(r->depth, r->depth + 1);
	seq = atomic64_inc_return(&q->posted);
	if (unlikely(seq > READ_ONCE(q->taken_seq) + q->len)) {
		if (q->overflow == KTH_DROP_NEWEST) {
			WRITE_ONCE(r->depth, r->depth - 1);
			r->dropped[KTH_DROPPED_FULL]++;
			ret = -ENOSPC;
			result = KTH_POST_FULL;
			goto out_unlock;
		}
		/* what falls out of the window: see kth_queue_evict() */
		floor = seq - q->len;
		result = KTH_POST_EVICTED;
	}
	ev = kth_ring_slot(q, r, r->head);
	ev->seq = seq;
	ev->timestamp_ns = now;
	ev->len = len;
	memcpy(ev->data, data, len);
	if (++r->head == q->len)
		r->head = 0;
	depth = r->depth;
	/*
	 * Pairs with smp_mb() in kth_queue_next(): the thread stores
	 * @waiting, then reads @posted; we wrote @posted (a fully ordered
	 * atomic), then read @waiting.  Either it sees our number, or we see
	 * it waiting.  The xchg() lets one post of a burst wake it.
	 */
	if (READ_ONCE(q->waiting) && xchg(&q->waiting, 0)) {
		r->wakeups++;
		wake = READ_ONCE(t->task);
	}
out_unlock:
	raw_spin_unlock(&r->lock);
	trace_kth_post(t, seq, len, result);
	if (wake) {
		trace_kth_wakeup(t, depth);
		wake_up_process(wake);
	}
	local_irq_restore(flags);
	if (unlikely(floor))
		kth_queue_evict(q, floor);
	return ret;

out_refuse:
	seq = atomic64_inc_return(&q->posted);
	r->dropped[result == KTH_POST_FULL ? KTH_DROPPED_FULL :
		   KTH_DROPPED_STOPPED]++;
	goto out_unlock;
}
EXPORT_SYMBOL_NS_GPL(kth_post, KTH_NS);

/*
 * Move the oldest events of ring @r numbered up to @p into stash @s, as
 * many as it holds, after dropping those numbered up to @floor
 * (%KTH_DROP_OLDEST's window); ring lock held.  Return how many moved.
 */
static unsigned int kth_ring_take(struct kth_queue *q, struct kth_ring *r,
				  struct kth_stash *s, u64 p, u64 floor)
{
	unsigned int n = 0, room, first, tail;

	kth_ring_evict(q, r, floor);
	if (s->pos) {
		memmove(s->events, kth_stash_slot(q, s, s->pos),
			(size_t)(s->n - s->pos) * q->slot_size);
		s->n -= s->pos;
		s->pos = 0;
	}
	room = min(q->stash_len - s->n, r->depth);
	tail = (r->head + q->len - r->depth) % q->len;
	while (n < room && kth_ring_slot(q, r, (tail + n) % q->len)->seq <= p)
		n++;
	first = min(n, q->len - tail);
	memcpy(kth_stash_slot(q, s, s->n), kth_ring_slot(q, r, tail),
	       (size_t)first * q->slot_size);
	if (n > first)
		memcpy(kth_stash_slot(q, s, s->n + first), r->slots,
		       (size_t)(n - first) * q->slot_size);
	WRITE_ONCE(r->depth, r->depth - n);
	s->n += n;
	return n;
}

/*
 * Take events out of the rings (every ring when @all, else those that
 * have any) and set how far they may be handled.  Return how many were
 * taken; *@empty says whether every ring was left empty.
 */
static unsigned int kth_queue_gather(struct kth_queue *q, bool all,
				     bool *empty)
{
	unsigned int cpu, got = 0;
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
		bool had = s->n > s->pos;
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
					    kth_stash_slot(q, s, s->n - 1)->seq);
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
	/* posts read it without a lock: a stale value only refuses more */
	if (limit > q->taken_seq)
		WRITE_ONCE(q->taken_seq, limit);
	return got;
}

/**
 * kth_queue_merge() - find the next event to handle among the stashes
 * @q: the thread's queue
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
	if (!best || best->seq > q->limit) {
		q->bound = 0;
		return NULL;
	}
	q->bound = min(q->limit, next - 1);
	return best;
}

/**
 * kth_queue_retire() - kth_queue_pop() emptied the current stash
 * @q: the thread's queue
 */
void kth_queue_retire(struct kth_queue *q)
{
	struct kth_stash *s = &q->stash[q->active[q->cur]];

	s->pos = 0;
	s->n = 0;
	q->active[q->cur] = q->active[--q->n_active];
	q->bound = 0;
}

/**
 * kth_queue_next() - find the next work of the thread
 * @t: the thread (called by the thread itself)
 *
 * Events taken earlier that a signal, a pause or a stop request left
 * unhandled come first (once not paused); then new ones are taken out of
 * the rings.  When there is nothing to do (the queue is empty, or paused)
 * the caller's task state is set to TASK_INTERRUPTIBLE, and the caller
 * must schedule() unless a stop request came in meanwhile.  When posts
 * came in while it was deciding, the state stays TASK_RUNNING: schedule()
 * then only yields.
 *
 * Return: > 0 when kth_queue_peek() has an event; 0 when the caller
 * should schedule() (and sleep, in TASK_INTERRUPTIBLE); -ESHUTDOWN when a
 * SIGTERM drain has emptied the queue.
 */
int kth_queue_next(struct kth_thread *t)
{
	struct kth_queue *q = &t->queue;
	enum kth_phase phase;
	bool empty;

	/* awake again: a post need not wake us (a stale 1 after a signal) */
	if (READ_ONCE(q->waiting))
		WRITE_ONCE(q->waiting, 0);
	for (;;) {
		raw_spin_lock_irq(&q->lock);
		phase = t->phase;
		if (phase == KTH_PHASE_PAUSED) {
			/* kth_resume_by() changes the phase, then wakes us */
			set_current_state(TASK_INTERRUPTIBLE);
			raw_spin_unlock_irq(&q->lock);
			return 0;
		}
		raw_spin_unlock_irq(&q->lock);

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
			if (!empty || q->n_active)
				continue;
			raw_spin_lock_irq(&q->lock);
			kth_set_phase(t, KTH_PHASE_STOPPED, KTH_CAUSE_THREAD, 0);
			raw_spin_unlock_irq(&q->lock);
			return -ESHUTDOWN;
		}
		if (q->n_active)	/* only events past @limit: take more */
			continue;

		set_current_state(TASK_INTERRUPTIBLE);
		WRITE_ONCE(q->waiting, 1);
		/* pairs with the read of @waiting in kth_post() */
		smp_mb();
		if (atomic64_read(&q->posted) != q->seen) {
			/*
			 * Posts came meanwhile (one may be waking us): no
			 * sleep, but back through kth_run()'s checks for a
			 * stop or a signal first, which a flood of refused
			 * posts could otherwise keep us from.
			 */
			WRITE_ONCE(q->waiting, 0);
			__set_current_state(TASK_RUNNING);
		}
		return 0;
	}
}

/**
 * kth_queue_close() - the thread stops: drop what it holds
 * @t: the thread
 *
 * Events it took but did not handle count as dropped.  What is still in
 * the rings stays for kth_stop() (or a restart) to account.
 */
void kth_queue_close(struct kth_thread *t)
{
	struct kth_queue *q = &t->queue;
	unsigned int cpu;

	WRITE_ONCE(q->lost, q->lost + kth_queue_in_hand(q));
	for_each_possible_cpu(cpu) {
		q->stash[cpu].pos = 0;
		q->stash[cpu].n = 0;
	}
	q->n_active = 0;
	q->bound = 0;
	WRITE_ONCE(q->waiting, 0);
}
