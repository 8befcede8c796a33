// SPDX-License-Identifier: GPL-2.0
/*
 * kth_bench - kth_post() against what a kernel author would use instead,
 * side by side in one run (Documentation/testing.rst, "Benchmarks").
 *
 * Throughput, a process-context producer, n_events events each:
 *   kthelper         kth_post() -> the helper thread's handler
 *   kthread_worker   kthread_queue_work() of preallocated items
 *   kfifo            kfifo_in_spinlocked() + wake_up() -> a kthread
 *   workqueue        kmalloc() + queue_work() on an ordered workqueue
 * Latency, hard IRQ (a pinned hrtimer) -> handler, lat_samples each:
 *   kthelper, kthread_worker, system_highpri_wq
 * With post_only=1, only the cost of kth_post() into a paused thread,
 * post_runs times (bench.sh loads it so twice: tracing off, then with the
 * kthelper:kth_post event on).
 *
 * Results go to the kernel log as "kth_bench: ..." lines and KTAP checks
 * that every event arrived.  No check is on speed: figures are printed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kfifo.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/prio.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kthelper.h>
#include <kth_ktap.h>

MODULE_IMPORT_NS(KTH_NS);

static unsigned int n_events = 100000;
module_param(n_events, uint, 0444);
MODULE_PARM_DESC(n_events, "events per throughput run (1000..10000000)");

static unsigned int lat_samples = 2000;
module_param(lat_samples, uint, 0444);
MODULE_PARM_DESC(lat_samples, "samples per latency run (100..100000)");

static unsigned int lat_period_us = 500;
module_param(lat_period_us, uint, 0444);
MODULE_PARM_DESC(lat_period_us, "hrtimer period of the latency runs (50..100000 us)");

static int lat_nice = MIN_NICE;
module_param(lat_nice, int, 0444);
MODULE_PARM_DESC(lat_nice, "nice of kthelper's thread in the latency run (default -20, system_highpri_wq's)");

static bool post_only;
module_param(post_only, bool, 0444);
MODULE_PARM_DESC(post_only, "only measure kth_post() into a paused thread, post_runs times");

static unsigned int post_runs = 11;
module_param(post_runs, uint, 0444);
MODULE_PARM_DESC(post_runs, "runs of the post_only measurement (1..100); the median is the figure");

static struct kth_ktap bench_ktap;

static void bench_result(bool ok, const char *name)
{
	kth_ktap_result(&bench_ktap, ok, name);
}

/* ---- throughput ---- */

static struct completion bench_done;
static unsigned int bench_seen;
static u64 bench_order_errors;

static void bench_count(u64 value)
{
	if (value != bench_seen)
		bench_order_errors++;
	if (++bench_seen == n_events)
		complete(&bench_done);
}

static void bench_reset(void)
{
	bench_seen = 0;
	bench_order_errors = 0;
	reinit_completion(&bench_done);
}

/* kthelper */
static void kth_bench_handle(struct kth_thread *t, const struct kth_event *ev)
{
	bench_count(*(const u64 *)ev->data);
}

static const struct kth_ops kth_bench_ops = { .handle = kth_bench_handle };

static s64 bench_kthelper(void)
{
	struct kth_config cfg = {
		.name = "kth_bench", .ops = &kth_bench_ops,
		.event_size = sizeof(u64), .queue_len = 65536,
	};
	struct kth_thread *t = kth_create(&cfg);
	struct kth_stats stats;
	u64 i, t0;
	s64 ns;

	if (IS_ERR(t) || kth_start(t))
		return -1;
	bench_reset();
	t0 = ktime_get_ns();
	for (i = 0; i < n_events; i++)
		while (kth_post(t, &i, sizeof(i)) == -ENOSPC)
			cond_resched();
	wait_for_completion(&bench_done);
	ns = ktime_get_ns() - t0;
	kth_get_stats(t, &stats);
	pr_info("# kthelper: %llu posts for %u events (%llu refused: queue full), %llu wakeups\n",
		stats.posted, n_events, stats.dropped, stats.wakeups);
	kth_destroy(t);
	return ns;
}

/*
 * The two halves of kthelper apart: *n posts into a paused thread (the
 * producer's cost, in *post_ns per event), then the drain once resumed (the
 * consumer's, *handle_ns).  False if a thread could not be run or an event
 * went missing.
 */
static bool bench_halves(unsigned int *n, u64 *post_ns, u64 *handle_ns)
{
	struct kth_config cfg = {
		.name = "kth_bench", .ops = &kth_bench_ops,
		.event_size = sizeof(u64), .queue_len = KTH_QUEUE_LEN_MAX,
	};
	struct kth_thread *t = kth_create(&cfg);
	u64 i, t0, t1, t2;
	bool ok = false;

	*n = min_t(unsigned int, n_events, KTH_QUEUE_LEN_MAX);
	if (IS_ERR(t))
		return false;
	if (kth_start(t) || kth_pause(t))
		goto out;
	bench_reset();
	bench_seen = n_events - *n;	/* complete after n */
	t0 = ktime_get_ns();
	for (i = n_events - *n; i < n_events; i++)
		kth_post(t, &i, sizeof(i));
	t1 = ktime_get_ns();
	kth_resume(t);
	ok = wait_for_completion_timeout(&bench_done, 60 * HZ) &&
	     !bench_order_errors;
	t2 = ktime_get_ns();
	*post_ns = div_u64(t1 - t0, *n);
	*handle_ns = div_u64(t2 - t1, *n);
out:
	kth_destroy(t);
	return ok;
}

static void bench_kthelper_halves(void)
{
	u64 post_ns, handle_ns;
	unsigned int n;

	if (bench_halves(&n, &post_ns, &handle_ns))
		pr_info("# kthelper alone: kth_post %llu ns/event, handler side %llu ns/event (%u events)\n",
			post_ns, handle_ns, n);
}

/* What the parts of a post cost here (a VM's clock can dominate). */
static void bench_parts(void)
{
	const unsigned int n = 65536;
	raw_spinlock_t lock;
	atomic64_t counter = ATOMIC64_INIT(0);
	unsigned long flags;
	u64 t0, t1, t2, t3, t4, sink = 0;
	unsigned int i;

	raw_spin_lock_init(&lock);	/* a static lockdep key, unlike DEFINE_ */
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sink += ktime_get_ns();
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sink += local_clock();
	t2 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		raw_spin_lock_irqsave(&lock, flags);
		sink++;
		raw_spin_unlock_irqrestore(&lock, flags);
	}
	t3 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sink += atomic64_inc_return(&counter);
	t4 = ktime_get_ns();
	pr_info("# cost here: ktime_get_ns %llu ns, local_clock %llu ns, raw lock+unlock irqsave %llu ns, atomic64_inc_return %llu ns (%llu)\n",
		div_u64(t1 - t0, n), div_u64(t2 - t1, n), div_u64(t3 - t2, n),
		div_u64(t4 - t3, n), sink & 1);
}

/* kthread_worker with preallocated items */
struct bench_kwork {
	struct kthread_work work;
	u64 value;
	u64 t0;
};

static void bench_kwork_fn(struct kthread_work *work)
{
	bench_count(container_of(work, struct bench_kwork, work)->value);
}

static s64 bench_kworker(void)
{
	struct kthread_worker *w;
	struct bench_kwork *items;
	u64 i, t0;
	s64 ns;

	items = kvcalloc(n_events, sizeof(*items), GFP_KERNEL);
	if (!items)
		return -1;
	w = kthread_create_worker(0, "kth_bench_kw");
	if (IS_ERR(w)) {
		kvfree(items);
		return -1;
	}
	for (i = 0; i < n_events; i++) {
		kthread_init_work(&items[i].work, bench_kwork_fn);
		items[i].value = i;
	}
	bench_reset();
	t0 = ktime_get_ns();
	for (i = 0; i < n_events; i++)
		kthread_queue_work(w, &items[i].work);
	wait_for_completion(&bench_done);
	ns = ktime_get_ns() - t0;
	kthread_destroy_worker(w);
	kvfree(items);
	return ns;
}

/* a raw kfifo + wait queue + kthread, as written by hand */
static DEFINE_KFIFO(bench_fifo, u64, 4096);
static DEFINE_SPINLOCK(bench_fifo_lock);
static DECLARE_WAIT_QUEUE_HEAD(bench_fifo_wq);

static int bench_fifo_thread(void *unused)
{
	u64 value;

	while (!kthread_should_stop()) {
		wait_event_interruptible(bench_fifo_wq,
					 !kfifo_is_empty(&bench_fifo) ||
					 kthread_should_stop());
		while (kfifo_out_spinlocked(&bench_fifo, &value, 1,
					    &bench_fifo_lock))
			bench_count(value);
	}
	return 0;
}

static s64 bench_kfifo(void)
{
	struct task_struct *task;
	u64 i, t0;
	s64 ns;

	kfifo_reset(&bench_fifo);
	task = kthread_run(bench_fifo_thread, NULL, "kth_bench_fifo");
	if (IS_ERR(task))
		return -1;
	bench_reset();
	t0 = ktime_get_ns();
	for (i = 0; i < n_events; i++) {
		while (!kfifo_in_spinlocked(&bench_fifo, &i, 1, &bench_fifo_lock))
			cond_resched();
		wake_up_interruptible(&bench_fifo_wq);
	}
	wait_for_completion(&bench_done);
	ns = ktime_get_ns() - t0;
	kthread_stop(task);
	return ns;
}

/* an ordered workqueue with a kmalloc() per event */
struct bench_work {
	struct work_struct work;
	u64 value;
};

static void bench_work_fn(struct work_struct *work)
{
	struct bench_work *bw = container_of(work, struct bench_work, work);

	bench_count(bw->value);
	kfree(bw);
}

static s64 bench_workqueue(void)
{
	struct workqueue_struct *wq = alloc_ordered_workqueue("kth_bench_wq", 0);
	u64 i, t0;
	s64 ns;

	if (!wq)
		return -1;
	bench_reset();
	t0 = ktime_get_ns();
	for (i = 0; i < n_events; i++) {
		struct bench_work *bw = kmalloc(sizeof(*bw), GFP_KERNEL);

		if (!bw)
			break;
		INIT_WORK(&bw->work, bench_work_fn);
		bw->value = i;
		queue_work(wq, &bw->work);
	}
	wait_for_completion(&bench_done);
	ns = ktime_get_ns() - t0;
	destroy_workqueue(wq);
	return ns;
}

/* ---- latency: hard IRQ -> handler ---- */

enum bench_lat_kind { LAT_KTH, LAT_KWORKER, LAT_HIGHPRI_WQ };

static u64 *lat;		/* lat_samples latencies, in ns */
static atomic_t lat_seen;
static unsigned int lat_fired;
static enum bench_lat_kind lat_kind;
static struct kth_thread *lat_thread;
static struct kthread_worker *lat_worker;
static struct bench_kwork *lat_kworks;	/* one per sample */
static struct bench_lat_work {
	struct work_struct work;
	u64 t0;
} *lat_works;
static struct hrtimer lat_timer;

static void lat_record(u64 t0)
{
	int i = atomic_inc_return(&lat_seen) - 1;

	if (i < lat_samples)
		lat[i] = ktime_get_ns() - t0;
	if (i + 1 == lat_samples)
		complete(&bench_done);
}

static void lat_kth_handle(struct kth_thread *t, const struct kth_event *ev)
{
	lat_record(*(const u64 *)ev->data);
}

static const struct kth_ops lat_kth_ops = { .handle = lat_kth_handle };

static void lat_kwork_fn(struct kthread_work *work)
{
	lat_record(container_of(work, struct bench_kwork, work)->t0);
}

static void lat_work_fn(struct work_struct *work)
{
	lat_record(container_of(work, struct bench_lat_work, work)->t0);
}

static enum hrtimer_restart lat_tick(struct hrtimer *timer)
{
	unsigned int i = lat_fired++;
	u64 now = ktime_get_ns();

	switch (lat_kind) {
	case LAT_KTH:
		kth_post(lat_thread, &now, sizeof(now));
		break;
	case LAT_KWORKER:
		lat_kworks[i].t0 = now;
		kthread_queue_work(lat_worker, &lat_kworks[i].work);
		break;
	case LAT_HIGHPRI_WQ:
		lat_works[i].t0 = now;
		queue_work(system_highpri_wq, &lat_works[i].work);
		break;
	}
	if (lat_fired == lat_samples)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(lat_period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int lat_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static bool bench_latency(enum bench_lat_kind kind, u64 *p50, u64 *p99)
{
	bool ok;

	lat_kind = kind;
	lat_fired = 0;
	atomic_set(&lat_seen, 0);
	reinit_completion(&bench_done);
	hrtimer_start(&lat_timer, ns_to_ktime(lat_period_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	ok = wait_for_completion_timeout(&bench_done, 60 * HZ);
	hrtimer_cancel(&lat_timer);
	if (!ok)
		return false;
	sort(lat, lat_samples, sizeof(*lat), lat_cmp, NULL);
	*p50 = lat[lat_samples / 2];
	*p99 = lat[lat_samples * 99 / 100];
	return true;
}

static int lat_setup(void)
{
	struct kth_config cfg = {
		.name = "kth_bench_lat", .ops = &lat_kth_ops,
		.event_size = sizeof(u64), .queue_len = 1024,
		.nice = lat_nice,
	};
	unsigned int i;

	lat = kvcalloc(lat_samples, sizeof(*lat), GFP_KERNEL);
	lat_kworks = kvcalloc(lat_samples, sizeof(*lat_kworks), GFP_KERNEL);
	lat_works = kvcalloc(lat_samples, sizeof(*lat_works), GFP_KERNEL);
	if (!lat || !lat_kworks || !lat_works)
		return -ENOMEM;
	for (i = 0; i < lat_samples; i++) {
		kthread_init_work(&lat_kworks[i].work, lat_kwork_fn);
		INIT_WORK(&lat_works[i].work, lat_work_fn);
	}
	lat_thread = kth_create(&cfg);
	if (IS_ERR(lat_thread))
		return PTR_ERR(lat_thread);
	lat_worker = kthread_create_worker(0, "kth_bench_lkw");
	if (IS_ERR(lat_worker))
		return PTR_ERR(lat_worker);
	kth_hrtimer_setup(&lat_timer, lat_tick, CLOCK_MONOTONIC,
			  HRTIMER_MODE_REL_PINNED_HARD);
	return kth_start(lat_thread);
}

static void lat_teardown(void)
{
	if (!IS_ERR_OR_NULL(lat_worker))
		kthread_destroy_worker(lat_worker);
	kth_destroy(lat_thread);
	kvfree(lat_works);
	kvfree(lat_kworks);
	kvfree(lat);
}

/* ---- the run ---- */

/*
 * post_only: the kth_post() cost alone, post_runs times, the median the
 * figure.  Whether the kthelper:kth_post event is on is bench.sh's doing.
 */
static void bench_post_only(void)
{
	static u64 post[100];
	unsigned int r, n = 0;
	u64 handle_ns;
	bool ok = true;

	for (r = 0; r < post_runs && ok; r++)
		ok = bench_halves(&n, &post[r], &handle_ns);
	if (ok) {
		sort(post, post_runs, sizeof(*post), lat_cmp, NULL);
		pr_info("# post cost: median %llu ns/event (min %llu, max %llu; %u runs of %u posts into a paused thread)\n",
			post[post_runs / 2], post[0], post[post_runs - 1],
			post_runs, n);
	}
	bench_result(ok, "post_cost_all_events_in_order");
}

static void bench_throughput(void)
{
	static const struct {
		const char *name;
		s64 (*fn)(void);
	} runs[] = {
		{ "kthelper", bench_kthelper },
		{ "kthread_worker", bench_kworker },
		{ "kfifo", bench_kfifo },
		{ "workqueue+kmalloc", bench_workqueue },
	};
	u64 per_event[ARRAY_SIZE(runs)];
	unsigned int i;
	char name[64];

	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		s64 ns = runs[i].fn();
		bool ok = ns > 0 && bench_seen == n_events &&
			  !bench_order_errors;

		per_event[i] = ok ? div_u64(ns, n_events) : 0;
		pr_info("# throughput %-18s %6llu ns/event (%u events, %llu out of order)\n",
			runs[i].name, per_event[i], n_events, bench_order_errors);
		snprintf(name, sizeof(name), "throughput_%s_all_events_in_order",
			 runs[i].name);
		bench_result(ok, name);
	}
	bench_kthelper_halves();
	bench_parts();
	for (i = 1; i < ARRAY_SIZE(runs); i++)
		if (per_event[0])
			pr_info("# kthelper vs %-18s %llu.%02llux faster\n",
				runs[i].name, div_u64(per_event[i], per_event[0]),
				div_u64(per_event[i] * 100, per_event[0]) % 100);
}

static void bench_latencies(void)
{
	static const char * const names[] = {
		[LAT_KTH] = "kthelper", [LAT_KWORKER] = "kthread_worker",
		[LAT_HIGHPRI_WQ] = "system_highpri_wq",
	};
	u64 p50, p99;
	unsigned int k;
	char name[64];
	bool ok;

	if (lat_setup()) {
		bench_result(false, "latency_setup");
		goto out;
	}
	for (k = 0; k < ARRAY_SIZE(names); k++) {
		ok = bench_latency(k, &p50, &p99);
		if (ok)
			pr_info("# latency hardirq->handler %-18s p50 %6llu us  p99 %6llu us (%u samples%s)\n",
				names[k], div_u64(p50, 1000), div_u64(p99, 1000),
				lat_samples,
				k == LAT_KTH ? ", thread at lat_nice" : "");
		snprintf(name, sizeof(name), "latency_%s_all_samples", names[k]);
		bench_result(ok, name);
	}
out:
	lat_teardown();
}

static int __init bench_init(void)
{
	if (n_events < 1000 || n_events > 10000000 || lat_samples < 100 ||
	    lat_samples > 100000 || lat_period_us < 50 ||
	    lat_period_us > 100000) {
		pr_err("n_events 1000..10000000, lat_samples 100..100000, lat_period_us 50..100000\n");
		return -EINVAL;
	}
	if (post_only && (post_runs < 1 || post_runs > 100)) {
		pr_err("post_runs 1..100\n");
		return -EINVAL;
	}
	init_completion(&bench_done);
	if (post_only) {
		kth_ktap_plan(1);
		bench_post_only();
	} else {
		kth_ktap_plan(7);
		bench_throughput();
		bench_latencies();
	}
	kth_ktap_summary(&bench_ktap);
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("kthelper benchmark: kth_post() against kthread_worker, kfifo and workqueues");
MODULE_LICENSE("GPL");
