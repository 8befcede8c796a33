// SPDX-License-Identifier: GPL-2.0
/*
 * bench_latency.c - from hard IRQ (an hrtimer pinned to the last online
 * CPU) to the handler, p50 and p99 over lat_samples events: kthelper (its
 * thread at lat_nice) with &kth_config.cpus naming the timer's CPU, and
 * on any CPU; kthread_worker (any CPU); system_highpri_wq, whose work runs
 * on the CPU that queued it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/prio.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <kth_test_compat.h>
#include "bench.h"

static unsigned int lat_samples = 2000;
module_param(lat_samples, uint, 0444);
MODULE_PARM_DESC(lat_samples, "samples per latency run (100..100000)");

static unsigned int lat_period_us = 500;
module_param(lat_period_us, uint, 0444);
MODULE_PARM_DESC(lat_period_us, "hrtimer period of the latency runs (50..100000 us)");

static int lat_nice = MIN_NICE;
module_param(lat_nice, int, 0444);
MODULE_PARM_DESC(lat_nice, "nice of kthelper's thread in the latency run (default -20, system_highpri_wq's)");

struct lat_kwork {
	struct kthread_work work;
	u64 t0;
};

struct lat_work {
	struct work_struct work;
	u64 t0;
};

static u64 *lat;		/* lat_samples latencies, in ns */
static atomic_t lat_seen;
static unsigned int lat_tick_cpu;	/* the pinned timer's CPU */
static atomic_t lat_on_tick_cpu;	/* samples handled on that CPU */
static unsigned int lat_fired;
static enum bench_lat_kind lat_kind;
static struct completion lat_done;
static struct kth_thread *lat_thread[2];	/* LAT_KTH, LAT_KTH_ANY */
static struct kthread_worker *lat_worker;
static struct lat_kwork *lat_kworks;	/* one per sample */
static struct lat_work *lat_works;
static struct hrtimer lat_timer;

bool bench_latency_params_ok(void)
{
	if (lat_samples >= 100 && lat_samples <= 100000 &&
	    lat_period_us >= 50 && lat_period_us <= 100000 &&
	    lat_nice >= MIN_NICE && lat_nice <= MAX_NICE)
		return true;
	pr_err("lat_samples 100..100000, lat_period_us 50..100000, lat_nice -20..19\n");
	return false;
}

static void lat_record(u64 t0)
{
	int i = atomic_inc_return(&lat_seen) - 1;

	/* a handler on another CPU had that CPU woken up: it shows here */
	if (raw_smp_processor_id() == lat_tick_cpu)
		atomic_inc(&lat_on_tick_cpu);

	if (i < lat_samples)
		lat[i] = ktime_get_ns() - t0;
	if (i + 1 == lat_samples)
		complete(&lat_done);
}

static void lat_kth_handle(struct kth_thread *t, const struct kth_event *ev)
{
	lat_record(*(const u64 *)ev->data);
}

static const struct kth_ops lat_kth_ops = { .handle = lat_kth_handle };

static void lat_kwork_fn(struct kthread_work *work)
{
	lat_record(container_of(work, struct lat_kwork, work)->t0);
}

static void lat_work_fn(struct work_struct *work)
{
	lat_record(container_of(work, struct lat_work, work)->t0);
}

static enum hrtimer_restart lat_tick(struct hrtimer *timer)
{
	unsigned int i = lat_fired++;
	u64 now = ktime_get_ns();

	switch (lat_kind) {
	case LAT_KTH:
	case LAT_KTH_ANY:
		kth_post(lat_thread[lat_kind], &now, sizeof(now));
		break;
	case LAT_KWORKER:
		lat_kworks[i].t0 = now;
		kthread_queue_work(lat_worker, &lat_kworks[i].work);
		break;
	case LAT_HIGHPRI_WQ:
		lat_works[i].t0 = now;
		queue_work(system_highpri_wq, &lat_works[i].work);
		break;
	default:
		break;
	}
	if (lat_fired == lat_samples)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(lat_period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* On lat_tick_cpu, from an IPI: the pinned timer stays there. */
static void lat_arm(void *unused)
{
	hrtimer_start(&lat_timer, ns_to_ktime(lat_period_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static bool bench_latency(enum bench_lat_kind kind, u64 *p50, u64 *p99)
{
	bool ok;

	lat_kind = kind;
	lat_fired = 0;
	atomic_set(&lat_seen, 0);
	atomic_set(&lat_on_tick_cpu, 0);
	reinit_completion(&lat_done);
	if (smp_call_function_single(lat_tick_cpu, lat_arm, NULL, 1)) {
		pr_err("latency runs: CPU %u, the timer's, is offline\n",
		       lat_tick_cpu);
		return false;
	}
	ok = wait_for_completion_timeout(&lat_done, 60 * HZ);
	hrtimer_cancel(&lat_timer);
	if (!ok)
		return false;
	sort(lat, lat_samples, sizeof(*lat), bench_cmp_u64, NULL);
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
	int ret;

	init_completion(&lat_done);
	lat = kvcalloc(lat_samples, sizeof(*lat), GFP_KERNEL);
	lat_kworks = kvcalloc(lat_samples, sizeof(*lat_kworks), GFP_KERNEL);
	lat_works = kvcalloc(lat_samples, sizeof(*lat_works), GFP_KERNEL);
	if (!lat || !lat_kworks || !lat_works)
		return -ENOMEM;
	for (i = 0; i < lat_samples; i++) {
		kthread_init_work(&lat_kworks[i].work, lat_kwork_fn);
		INIT_WORK(&lat_works[i].work, lat_work_fn);
	}
	lat_tick_cpu = cpumask_last(cpu_online_mask);
	cfg.cpus = cpumask_of(lat_tick_cpu);
	lat_thread[LAT_KTH] = kth_create(&cfg);
	if (IS_ERR(lat_thread[LAT_KTH]))
		return PTR_ERR(lat_thread[LAT_KTH]);
	cfg.name = "kth_bench_lany";
	cfg.cpus = NULL;
	lat_thread[LAT_KTH_ANY] = kth_create(&cfg);
	if (IS_ERR(lat_thread[LAT_KTH_ANY]))
		return PTR_ERR(lat_thread[LAT_KTH_ANY]);
	lat_worker = kthread_create_worker(0, "kth_bench_lkw");
	if (IS_ERR(lat_worker))
		return PTR_ERR(lat_worker);
	kth_hrtimer_setup(&lat_timer, lat_tick, CLOCK_MONOTONIC,
			  HRTIMER_MODE_REL_PINNED_HARD);
	ret = kth_start(lat_thread[LAT_KTH]);
	return ret ? ret : kth_start(lat_thread[LAT_KTH_ANY]);
}

/* Undo lat_setup(), as far as it went. */
static void lat_teardown(void)
{
	if (!IS_ERR_OR_NULL(lat_worker))
		kthread_destroy_worker(lat_worker);
	kth_destroy(lat_thread[LAT_KTH_ANY]);	/* NULL or ERR_PTR: no-op */
	kth_destroy(lat_thread[LAT_KTH]);
	kvfree(lat_works);
	kvfree(lat_kworks);
	kvfree(lat);
}

/**
 * bench_latencies() - hard IRQ to handler, p50 and p99, for each kind;
 *	the figures go to bench_fig
 */
void bench_latencies(void)
{
	static const char * const names[LAT_COUNT] = {
		[LAT_KTH] = "kthelper", [LAT_KTH_ANY] = "kthelper_any_cpu",
		[LAT_KWORKER] = "kthread_worker",
		[LAT_HIGHPRI_WQ] = "system_highpri_wq",
	};
	int ret = lat_setup();
	bool set_up = !ret, ok;
	unsigned int k;
	char name[64];

	if (ret)
		pr_err("latency runs: setup failed: %d\n", ret);

	for (k = 0; k < LAT_COUNT; k++) {
		ok = set_up && bench_latency(k, &bench_fig.lat_p50[k],
					     &bench_fig.lat_p99[k]);
		if (ok)
			pr_info("# latency hardirq->handler %-18s p50 %6llu us  p99 %6llu us (%u samples, %u handled on the timer's CPU%s)\n",
				names[k],
				div_u64(bench_fig.lat_p50[k], 1000),
				div_u64(bench_fig.lat_p99[k], 1000),
				lat_samples, atomic_read(&lat_on_tick_cpu),
				k == LAT_KTH ? ", thread at lat_nice, cpus = the timer's" :
				k == LAT_KTH_ANY ? ", thread at lat_nice, any CPU" : "");
		snprintf(name, sizeof(name), "latency_%s_all_samples", names[k]);
		bench_result(ok, name);
	}
	lat_teardown();
}
