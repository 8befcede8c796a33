// SPDX-License-Identifier: GPL-2.0
/*
 * histogram.c - per-thread latency histograms: how long each handled
 * event waited in the queue (post to handler start) and how long its
 * handler ran, in log2 buckets of nanoseconds, with the sums and maxima.
 *
 * The helper thread alone writes them, once per handled event, with no
 * lock: posting is not slowed down at all, handling by a few stores.
 * Readers (sysfs, SIGUSR1) see each bucket with READ_ONCE().  A reset does
 * not write what the thread writes: it snapshots the buckets as the base
 * that readers subtract, and bumps an epoch that tells the thread to
 * restart its maxima.  An event handled while the reset runs may be
 * counted on either side of it.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/sysfs.h>
#include "kth_thread.h"

void kth_hist_init(struct kth_thread *t)
{
	mutex_init(&t->hist_lock);
}

/*
 * kth_hist_restart() - a reset happened: the thread restarts its maxima
 * @t: the thread (called by the thread itself, from kth_hist_record())
 * @epoch: the reset's epoch
 */
void kth_hist_restart(struct kth_thread *t, unsigned int epoch)
{
	WRITE_ONCE(t->wait_hist.max, 0);
	WRITE_ONCE(t->handle_hist.max, 0);
	/* after the maxima: a reader that sees the epoch sees them */
	smp_store_release(&t->hist_seen_epoch, epoch);
}

static struct kth_hist *kth_hist_live(struct kth_thread *t,
				      enum kth_hist_kind kind)
{
	return kind == KTH_HIST_WAIT ? &t->wait_hist : &t->handle_hist;
}

/**
 * kth_hist_read() - one histogram as it stands since the last reset
 * @t: the thread
 * @kind: %KTH_HIST_WAIT or %KTH_HIST_HANDLE
 * @out: filled in
 *
 * Context: Process context; sleeps (takes a mutex).
 */
void kth_hist_read(struct kth_thread *t, enum kth_hist_kind kind,
		   struct kth_hist *out)
{
	const struct kth_hist *live = kth_hist_live(t, kind);
	const struct kth_hist *base = &t->hist_base[kind];
	unsigned int i;

	mutex_lock(&t->hist_lock);
	for (i = 0; i < KTH_HIST_BUCKETS; i++)
		out->count[i] = READ_ONCE(live->count[i]) - base->count[i];
	out->sum = READ_ONCE(live->sum) - base->sum;
	/*
	 * Until the thread has seen the last reset, its maxima are older
	 * than it (pairs with smp_store_release() in kth_hist_restart()).
	 */
	if (smp_load_acquire(&t->hist_seen_epoch) == t->hist_epoch)
		out->max = READ_ONCE(live->max);
	else
		out->max = 0;
	mutex_unlock(&t->hist_lock);
}

/**
 * kth_hist_reset() - start both histograms and their maxima again
 * @t: the thread, in any state
 *
 * Context: Process context; sleeps (takes a mutex).
 */
void kth_hist_reset(struct kth_thread *t)
{
	unsigned int i, kind;

	mutex_lock(&t->hist_lock);
	for (kind = KTH_HIST_WAIT; kind <= KTH_HIST_HANDLE; kind++) {
		const struct kth_hist *live = kth_hist_live(t, kind);

		for (i = 0; i < KTH_HIST_BUCKETS; i++)
			t->hist_base[kind].count[i] = READ_ONCE(live->count[i]);
		t->hist_base[kind].sum = READ_ONCE(live->sum);
	}
	/* pairs with READ_ONCE() of @hist_epoch in kth_hist_record() */
	WRITE_ONCE(t->hist_epoch, t->hist_epoch + 1);
	mutex_unlock(&t->hist_lock);
}

/* The exclusive upper bound of bucket @i (the last one's: U64_MAX). */
static u64 kth_hist_high(unsigned int i)
{
	return i + 1 < 64 ? 1ULL << (i + 1) : U64_MAX;
}

/**
 * kth_hist_count() - how many values a histogram holds
 * @h: a histogram from kth_hist_read()
 *
 * Return: the sum of its buckets.
 */
u64 kth_hist_count(const struct kth_hist *h)
{
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < KTH_HIST_BUCKETS; i++)
		total += h->count[i];
	return total;
}

/**
 * kth_hist_percentile() - an upper estimate of a percentile
 * @h: a histogram from kth_hist_read()
 * @pct: 1..100
 *
 * Return: the upper bound of the bucket that holds the @pct-th percentile
 * value, but never more than the maximum (so at most twice the true
 * value); 0 when the histogram is empty.
 */
u64 kth_hist_percentile(const struct kth_hist *h, unsigned int pct)
{
	u64 total = kth_hist_count(h), rank, seen = 0;
	unsigned int i;

	if (!total)
		return 0;
	/* the smallest rank that has at least pct % of the values at or below */
	rank = div_u64(total * pct + 99, 100);
	for (i = 0; i < KTH_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	return min(kth_hist_high(min(i, KTH_HIST_BUCKETS - 1)), h->max);
}

/**
 * kth_hist_emit() - a histogram as sysfs shows it
 * @h: a histogram from kth_hist_read()
 * @buf: the sysfs page
 *
 * One line "LOW HIGH COUNT" per non-empty bucket, in nanoseconds, LOW
 * inclusive, HIGH exclusive (the last bucket's HIGH, U64_MAX, inclusive).
 *
 * Return: the bytes written.
 */
ssize_t kth_hist_emit(const struct kth_hist *h, char *buf)
{
	ssize_t len = 0;
	unsigned int i;

	for (i = 0; i < KTH_HIST_BUCKETS; i++) {
		if (!h->count[i])
			continue;
		len += sysfs_emit_at(buf, len, "%llu %llu %llu\n",
				     i ? 1ULL << i : 0ULL, kth_hist_high(i),
				     h->count[i]);
	}
	return len;
}
