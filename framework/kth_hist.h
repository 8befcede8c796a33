/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_hist.h - a thread's latency histograms (histogram.c).
 */
#ifndef _KTH_HIST_H
#define _KTH_HIST_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/types.h>

struct kth_thread;

/*
 * struct kth_hist - a log2 histogram of nanoseconds
 * @count: bucket 0 holds 0 and 1, bucket i >= 1 holds [2^i, 2^(i+1)).
 * @sum: the sum of the values recorded (wraps after 584 years' worth).
 * @max: the largest value recorded since the last reset.
 * Written by the helper thread only.
 */
#define KTH_HIST_BUCKETS	64
struct kth_hist {
	u64 count[KTH_HIST_BUCKETS];
	u64 sum;
	u64 max;
};

/* Which of a thread's histograms: the index of its &kth_thread.hist_base. */
enum kth_hist_kind {
	KTH_HIST_WAIT,
	KTH_HIST_HANDLE,
};

/*
 * kth_hist_add() - count one value; inline, as the thread does it twice
 * per handled event (kth_hist_record())
 * @h: the histogram (written by the helper thread only)
 * @ns: the value
 *
 * Readers see each field with READ_ONCE(); ns | 1 puts 0 in bucket 0
 * with 1, and lets __fls() (undefined for 0) find the bucket.
 */
static inline void kth_hist_add(struct kth_hist *h, u64 ns)
{
	unsigned int i = __fls(ns | 1);

	WRITE_ONCE(h->count[i], h->count[i] + 1);
	WRITE_ONCE(h->sum, h->sum + ns);
	if (ns > h->max)
		WRITE_ONCE(h->max, ns);
}

void kth_hist_init(struct kth_thread *t);
void kth_hist_restart(struct kth_thread *t, unsigned int epoch);
void kth_hist_read(struct kth_thread *t, enum kth_hist_kind kind,
		   struct kth_hist *out);
u64 kth_hist_count(const struct kth_hist *h);
u64 kth_hist_percentile(const struct kth_hist *h, unsigned int pct);
ssize_t kth_hist_emit(const struct kth_hist *h, char *buf);
void kth_hist_reset(struct kth_thread *t);

#endif /* _KTH_HIST_H */
