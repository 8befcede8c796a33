// SPDX-License-Identifier: GPL-2.0
/*
 * bench_mech.c - the mechanisms kth_bench compares: their consumers, how
 * one event is posted, how the consumer is held off.
 *
 * Each mechanism carries events from its producers to one consumer thread,
 * as a driver would write it, and the consumer checks every event: that it
 * comes from a known producer, next in that producer's order, with its
 * payload as written (and, for kthelper, in sequence order).  A run is
 * over when the consumer has seen as many events as the producers posted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kfifo.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include "bench.h"

/* Slots of a MECH_PERCPU ring (it wraps: nothing reads it). */
#define BENCH_RING_SLOTS	64

const char * const bench_mech_names[MECH_COUNT] = {
	[MECH_KTH] = "kthelper",
	[MECH_KWORKER] = "kthread_worker",
	[MECH_KWORKER_KMALLOC] = "kthread_worker+kmalloc",
	[MECH_KWORKER_CLOCK] = "kthread_worker+clock",
	[MECH_KFIFO] = "kfifo",
	[MECH_WQ_KMALLOC] = "workqueue+kmalloc",
	[MECH_PERCPU] = "percpu-ring",
};

/* ---- the consumers ---- */

/* One event arrived: check it and count it (in the consumer thread). */
static void bench_consume(struct bench_run *run, const void *data, u32 len,
			  u64 seq)
{
	const struct bench_payload *pl = data;
	const u8 *bytes = data;
	bool ok;

	ok = len == run->size && pl->len == len &&
	     pl->producer < run->nr_producers &&
	     pl->index == run->next[pl->producer] &&
	     (len == sizeof(*pl) || bytes[len - 1] == (u8)pl->index);
	if (seq) {	/* kthelper hands events over in sequence order */
		if (seq <= run->last_seq)
			ok = false;
		run->last_seq = seq;
	}
	/* both read while the run goes on by bench_wait_done() */
	if (ok)
		run->next[pl->producer]++;
	else
		WRITE_ONCE(run->errors, run->errors + 1);
	WRITE_ONCE(run->seen, run->seen + 1);
	if (run->seen == run->total) {
		run->t_end = ktime_get_ns();
		complete(&run->done);
	}
}

static void bench_kth_handle(struct kth_thread *t, const struct kth_event *ev)
{
	bench_consume(kth_priv(t), ev->data, ev->len, ev->seq);
}

static const struct kth_ops bench_kth_ops = { .handle = bench_kth_handle };

/* A kthread_worker's item, preallocated or from kmalloc(). */
struct bench_item {
	struct kthread_work work;
	struct bench_run *run;
	u8 data[] __aligned(8);
};

static void bench_item_fn(struct kthread_work *work)
{
	struct bench_item *item = container_of(work, struct bench_item, work);

	bench_consume(item->run, item->data, item->run->size, 0);
}

/*
 * A kthread_worker's item that reads the clock as kthelper does for its
 * latency histograms: local_clock() when posted, and once per handled
 * item (kthelper's handler end is the next one's start).
 */
struct bench_citem {
	struct kthread_work work;
	struct bench_run *run;
	u64 t0;
	u8 data[] __aligned(8);
};

static void bench_citem_fn(struct kthread_work *work)
{
	struct bench_citem *item = container_of(work, struct bench_citem,
						work);
	struct bench_run *run = item->run;
	u64 now = local_clock();

	/* a sum, so that the clock reads are not optimised away */
	run->clock_sink += now > item->t0 ? now - item->t0 : 0;
	bench_consume(run, item->data, run->size, 0);
}

static void bench_item_free_fn(struct kthread_work *work)
{
	bench_item_fn(work);
	kfree(container_of(work, struct bench_item, work));
}

/* The first item of a held-off kthread_worker: it waits for the release. */
static void bench_gate_fn(struct kthread_work *work)
{
	struct bench_run *run = container_of(work, struct bench_run, gate_work);

	complete(&run->gate_entered);
	wait_for_completion(&run->gate);
}

/* A workqueue's item, from kmalloc(). */
struct bench_witem {
	struct work_struct work;
	struct bench_run *run;
	u8 data[] __aligned(8);
};

static void bench_witem_fn(struct work_struct *work)
{
	struct bench_witem *item = container_of(work, struct bench_witem, work);

	bench_consume(item->run, item->data, item->run->size, 0);
	kfree(item);
}

/*
 * A kfifo + wait queue + kthread, as written by hand: 16-byte records, as
 * many as kthelper's queue holds, so that a run fills neither (a full one
 * would time its retries by the scheduler's tick).
 */
static DEFINE_KFIFO(bench_fifo, struct bench_payload, KTH_QUEUE_LEN_MAX);
static DEFINE_SPINLOCK(bench_fifo_lock);
static DECLARE_WAIT_QUEUE_HEAD(bench_fifo_wq);

static int bench_fifo_thread(void *data)
{
	struct bench_run *run = data;
	struct bench_payload pl;

	while (!kthread_should_stop()) {
		wait_event_interruptible(bench_fifo_wq,
					 !kfifo_is_empty(&bench_fifo) ||
					 kthread_should_stop());
		while (kfifo_out_spinlocked(&bench_fifo, &pl, 1,
					    &bench_fifo_lock))
			bench_consume(run, &pl, sizeof(pl), 0);
	}
	return 0;
}

static int bench_setup_kth(struct bench_run *run)
{
	struct kth_config cfg = {
		.ops = &bench_kth_ops, .priv = run,
		.event_size = run->size, .queue_len = KTH_QUEUE_LEN_MAX,
	};
	char name[KTH_NAME_MAX + 1];
	int err;

	snprintf(name, sizeof(name), "kth_bench_%u", run->size);
	cfg.name = name;
	run->thread = kth_create(&cfg);
	if (IS_ERR(run->thread))
		return PTR_ERR(run->thread);
	err = kth_start(run->thread);
	if (err)
		kth_destroy(run->thread);
	return err;
}

static int bench_setup_kworker(struct bench_run *run)
{
	struct bench_citem *citem;
	struct bench_item *item;
	unsigned int i;

	run->item_size = ALIGN(sizeof(*item) + run->size, 8);
	if (run->mech == MECH_KWORKER_CLOCK)
		run->item_size = ALIGN(sizeof(*citem) + run->size, 8);
	if (run->mech != MECH_KWORKER_KMALLOC) {
		run->items = kvcalloc(run->max_events, run->item_size,
				      GFP_KERNEL);
		if (!run->items)
			return -ENOMEM;
	}
	for (i = 0; run->items && i < run->max_events; i++) {
		if (run->mech == MECH_KWORKER_CLOCK) {
			citem = run->items + i * run->item_size;
			kthread_init_work(&citem->work, bench_citem_fn);
			citem->run = run;
		} else {
			item = run->items + i * run->item_size;
			kthread_init_work(&item->work, bench_item_fn);
			item->run = run;
		}
	}
	kthread_init_work(&run->gate_work, bench_gate_fn);
	run->worker = kthread_create_worker(0, "kth_bench_kw%u", run->size);
	if (IS_ERR(run->worker)) {
		kvfree(run->items);
		return PTR_ERR(run->worker);
	}
	return 0;
}

static int bench_setup_percpu(struct bench_run *run)
{
	size_t stride = ALIGN(sizeof(u64) + run->size, 8);
	unsigned int i;

	for (i = 0; i < BENCH_CPUS; i++) {
		run->prod[i].ring = kcalloc(BENCH_RING_SLOTS, stride,
					    GFP_KERNEL);
		if (!run->prod[i].ring)
			goto out_free_rings;
	}
	return 0;

out_free_rings:
	while (i--)
		kfree(run->prod[i].ring);
	return -ENOMEM;
}

/**
 * bench_setup() - a mechanism with its consumer, ready for runs
 * @run: zeroed here
 * @mech: the mechanism
 * @size: payload bytes, sizeof(struct bench_payload)..BENCH_SIZE_MAX (16
 *	only for MECH_KFIFO)
 * @max_events: events per run (KTH_QUEUE_LEN_MAX at most for held or
 *	hard-IRQ runs of kthelper, which must not find its queue full)
 *
 * Return: 0, or a negative errno.
 */
int bench_setup(struct bench_run *run, enum bench_mech mech,
		unsigned int size, unsigned int max_events)
{
	memset(run, 0, sizeof(*run));
	run->mech = mech;
	run->size = size;
	run->max_events = max_events;
	init_completion(&run->go);
	init_completion(&run->posted);
	init_completion(&run->done);
	init_completion(&run->gate_entered);
	init_completion(&run->gate);
	if (size < sizeof(struct bench_payload) || size > BENCH_SIZE_MAX)
		return -EINVAL;
	switch (mech) {
	case MECH_KTH:
		return bench_setup_kth(run);
	case MECH_KWORKER:
	case MECH_KWORKER_KMALLOC:
	case MECH_KWORKER_CLOCK:
		return bench_setup_kworker(run);
	case MECH_KFIFO:
		if (size != sizeof(struct bench_payload))
			return -EINVAL;
		kfifo_reset(&bench_fifo);
		run->fifo_task = kthread_run(bench_fifo_thread, run,
					     "kth_bench_fifo");
		return PTR_ERR_OR_ZERO(run->fifo_task);
	case MECH_WQ_KMALLOC:
		run->wq = alloc_ordered_workqueue("kth_bench_wq%u", 0, size);
		return run->wq ? 0 : -ENOMEM;
	case MECH_PERCPU:
		return bench_setup_percpu(run);
	default:
		return -EINVAL;
	}
}

/* Undo a successful bench_setup(). */
void bench_teardown(struct bench_run *run)
{
	unsigned int i;

	switch (run->mech) {
	case MECH_KTH:
		kth_destroy(run->thread);
		break;
	case MECH_KWORKER:
	case MECH_KWORKER_KMALLOC:
	case MECH_KWORKER_CLOCK:
		kthread_destroy_worker(run->worker);
		kvfree(run->items);
		break;
	case MECH_KFIFO:
		kthread_stop(run->fifo_task);
		break;
	case MECH_WQ_KMALLOC:
		destroy_workqueue(run->wq);
		break;
	case MECH_PERCPU:
		for (i = 0; i < BENCH_CPUS; i++)
			kfree(run->prod[i].ring);
		break;
	default:
		break;
	}
}

/* Keep the consumer from handling anything until bench_release(). */
int bench_hold(struct bench_run *run)
{
	switch (run->mech) {
	case MECH_KTH:
		return kth_pause(run->thread);
	case MECH_KWORKER:
	case MECH_KWORKER_CLOCK:
		reinit_completion(&run->gate_entered);
		reinit_completion(&run->gate);
		kthread_queue_work(run->worker, &run->gate_work);
		wait_for_completion(&run->gate_entered);
		return 0;
	case MECH_PERCPU:	/* there is no consumer */
		return 0;
	default:
		return -EINVAL;
	}
}

void bench_release(struct bench_run *run)
{
	if (run->mech == MECH_KTH)
		kth_resume(run->thread);
	else if (run->mech == MECH_KWORKER || run->mech == MECH_KWORKER_CLOCK)
		complete(&run->gate);
}

/* ---- one post ---- */

static int bench_post_percpu(struct bench_run *run, struct bench_producer *p,
			     const void *buf)
{
	size_t stride = ALIGN(sizeof(u64) + run->size, 8);
	unsigned long flags;
	u64 *slot;

	local_irq_save(flags);
	slot = p->ring + (p->ring_head++ % BENCH_RING_SLOTS) * stride;
	slot[0] = local_clock();
	memcpy(slot + 1, buf, run->size);
	local_irq_restore(flags);
	return 0;
}

/**
 * bench_post() - post one event the way @run's mechanism does
 * @run: the run
 * @p: the producer posting
 * @buf: its payload, run->size bytes, starting with a struct bench_payload
 *
 * A full kthelper queue or kfifo is retried in process context when
 * nothing is held off, as a driver that must not lose the event would.
 *
 * Context: process context, or hard IRQ for MECH_KTH and MECH_KWORKER.
 * Return: 0, or why the event was not posted.
 */
int bench_post(struct bench_run *run, struct bench_producer *p, void *buf)
{
	const struct bench_payload *pl = buf;
	struct bench_citem *citem;
	struct bench_witem *witem;
	struct bench_item *item;
	int ret;

	switch (run->mech) {
	case MECH_KTH:
		while ((ret = kth_post(run->thread, buf, run->size)) == -ENOSPC &&
		       !run->held && !run->irq)
			cond_resched();
		return ret;
	case MECH_KWORKER:
		item = run->items +
		       (p->id * run->per_producer + pl->index) * run->item_size;
		memcpy(item->data, buf, run->size);
		return kthread_queue_work(run->worker, &item->work) ? 0 : -EBUSY;
	case MECH_KWORKER_CLOCK:
		citem = run->items +
			(p->id * run->per_producer + pl->index) * run->item_size;
		citem->t0 = local_clock();
		memcpy(citem->data, buf, run->size);
		return kthread_queue_work(run->worker, &citem->work) ? 0 : -EBUSY;
	case MECH_KWORKER_KMALLOC:
		item = kmalloc(sizeof(*item) + run->size, GFP_ATOMIC);
		if (!item)
			return -ENOMEM;
		kthread_init_work(&item->work, bench_item_free_fn);
		item->run = run;
		memcpy(item->data, buf, run->size);
		if (kthread_queue_work(run->worker, &item->work))
			return 0;
		kfree(item);
		return -EBUSY;
	case MECH_KFIFO:
		while (!kfifo_in_spinlocked(&bench_fifo, pl, 1, &bench_fifo_lock))
			cond_resched();
		wake_up_interruptible(&bench_fifo_wq);
		return 0;
	case MECH_WQ_KMALLOC:
		witem = kmalloc(sizeof(*witem) + run->size, GFP_ATOMIC);
		if (!witem)
			return -ENOMEM;
		INIT_WORK(&witem->work, bench_witem_fn);
		witem->run = run;
		memcpy(witem->data, buf, run->size);
		queue_work(run->wq, &witem->work);
		return 0;
	case MECH_PERCPU:
		return bench_post_percpu(run, p, buf);
	default:
		return -EINVAL;
	}
}
