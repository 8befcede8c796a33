// SPDX-License-Identifier: GPL-2.0
/*
 * kth_bench - kth_post() against what a kernel author would use instead,
 * side by side in one run (Documentation/testing.rst, "Benchmarks").
 *
 * Throughput, one producer and one on each of two CPUs, payloads of 16,
 * 64 and 256 bytes: kthelper, kthread_worker with preallocated items and
 * with a kmalloc() per event, a hand-written kfifo, an ordered workqueue
 * with a kmalloc() per event.  The post side alone, the consumer held off,
 * on one CPU and on two.  Producers in hard IRQ on both CPUs.  Latency
 * from hard IRQ to the handler.  A helper thread's wakeups while idle.
 * At the end, the targets of issue 15 as same-run ratios, one line each:
 * "# target NAME RATIOx (goal GOALx)".
 *
 * With icount=1 (tests/run --accel icount: one vCPU, its clocks counting
 * instructions), every figure is in instructions, the runs on two CPUs
 * are skipped, a calibration loop checks the instrument, and the targets
 * are those on instruction counts (bench_icount.c).  Without it, the
 * figures are wall time: host-dependent.
 *
 * With post_only=1, only the cost of kth_post() into a paused thread,
 * post_runs times (bench.sh loads it so with tracing off, then with the
 * kthelper:kth_post event on).
 *
 * Results go to the kernel log as "kth_bench: ..." lines; the KTAP checks
 * are that every event arrived, in order, with its payload.  No check is
 * on speed: figures are printed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <kth_ktap.h>
#include "bench.h"

MODULE_IMPORT_NS(KTH_NS);

unsigned int bench_n_events = 10000;
module_param_named(n_events, bench_n_events, uint, 0444);
MODULE_PARM_DESC(n_events, "events per run (1000..1000000); the post-side and hard-IRQ runs take at most 65536");

unsigned int bench_rounds = 9;
module_param_named(rounds, bench_rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "runs of each case (1..15); the best is the figure, the median shows the spread");

bool bench_icount;
module_param_named(icount, bench_icount, bool, 0444);
MODULE_PARM_DESC(icount, "the guest counts instructions (QEMU -icount shift=0, one vCPU): figures in instructions, the icount targets");

static bool post_only;
module_param(post_only, bool, 0444);
MODULE_PARM_DESC(post_only, "only measure kth_post() into a paused thread, post_runs times");

static unsigned int post_runs = 11;
module_param(post_runs, uint, 0444);
MODULE_PARM_DESC(post_runs, "runs of the post_only measurement (1..100); the median is the figure");

/* How long the idle thread is watched. */
#define BENCH_IDLE_MS	1000

struct bench_figures bench_fig;
static struct kth_ktap bench_ktap;

void bench_result(bool ok, const char *name)
{
	kth_ktap_result(&bench_ktap, ok, name);
}

void bench_result_skip(const char *name, const char *why)
{
	kth_ktap_skip(&bench_ktap, name, why);
}

int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n values; sorts @v. */
u64 bench_median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	return v[n / 2];
}

/* @num / @den as "1.23x" in @buf, or "n/a" if either was not measured. */
const char *bench_ratio(char *buf, size_t size, u64 num, u64 den)
{
	u64 r;

	if (!num || !den) {
		strscpy(buf, "n/a", size);
		return buf;
	}
	r = div64_u64(num * 100 + den / 2, den);
	snprintf(buf, size, "%llu.%02llux", div_u64(r, 100), r % 100);
	return buf;
}

/* What the parts of a post cost here, in bench_unit() (a VM's clock can dominate). */
static void bench_parts(void)
{
	const unsigned int n = 65536;
	atomic64_t counter = ATOMIC64_INIT(0);
	u64 t0, t1, t2, t3, t4, sink = 0;
	raw_spinlock_t lock;
	unsigned long flags;
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
	pr_info("# cost here, %s: ktime_get_ns %llu, local_clock %llu, raw lock+unlock irqsave %llu, atomic64_inc_return %llu (%llu)\n",
		bench_unit(), div_u64(t1 - t0, n), div_u64(t2 - t1, n),
		div_u64(t3 - t2, n), div_u64(t4 - t3, n), sink & 1);
}

/* ---- idle ---- */

static void bench_idle_handle(struct kth_thread *t, const struct kth_event *ev)
{
}

static const struct kth_ops bench_idle_ops = { .handle = bench_idle_handle };

/* The kernel thread named @comm, with a reference, or NULL. */
struct task_struct *bench_find_kthread(const char *comm)
{
	struct task_struct *task = NULL, *p;

	rcu_read_lock();
	for_each_process(p) {
		if ((p->flags & PF_KTHREAD) && !strcmp(p->comm, comm)) {
			task = get_task_struct(p);
			break;
		}
	}
	rcu_read_unlock();
	return task;
}

/*
 * A helper thread's context switches while idle for BENCH_IDLE_MS, after
 * a burst it has handled: into bench_fig.idle_switches.
 */
static bool bench_idle(void)
{
	struct kth_config cfg = {
		.name = "kth_bench_idle", .ops = &bench_idle_ops,
		.event_size = sizeof(struct bench_payload), .queue_len = 1024,
	};
	struct bench_payload pl = { .len = sizeof(pl) };
	struct task_struct *task;
	struct kth_stats stats = {};
	struct kth_thread *t;
	unsigned long before;
	unsigned int i;
	bool ok = false;

	bench_fig.idle_switches = -1;
	t = kth_create(&cfg);
	if (IS_ERR(t))
		return false;
	if (kth_start(t))
		goto out_destroy;
	for (pl.index = 0; pl.index < cfg.queue_len; pl.index++)
		if (kth_post(t, &pl, sizeof(pl)))
			goto out_destroy;
	for (i = 0; i < 500; i++) {
		kth_get_stats(t, &stats);
		if (stats.handled == cfg.queue_len)
			break;
		msleep(20);
	}
	if (stats.handled != cfg.queue_len)
		goto out_destroy;
	msleep(20);
	task = bench_find_kthread(cfg.name);
	if (!task)
		goto out_destroy;
	before = task->nvcsw + task->nivcsw;
	msleep(BENCH_IDLE_MS);
	bench_fig.idle_switches = task->nvcsw + task->nivcsw - before;
	put_task_struct(task);
	pr_info("# idle: a helper thread, after a burst of %u events it handled, made %ld context switches in %u ms\n",
		cfg.queue_len, bench_fig.idle_switches, BENCH_IDLE_MS);
	ok = true;
out_destroy:
	kth_destroy(t);
	return ok;
}

/* ---- the targets ---- */

/* The targets on wall time (host-dependent), without icount. */
static void bench_targets(void)
{
	const struct bench_figures *f = &bench_fig;
	char r[BENCH_RATIO_LEN], r2[BENCH_RATIO_LEN];

	pr_info("# targets, ratios of this run's wall-time figures (host-dependent): kthelper's throughput or post rate over the other's, higher is better; latency kthelper's (cpus: the timer's CPU) / system_highpri_wq's, lower is better:\n");
	pr_info("# target vs-kthread_worker-1cpu %s (goal 1.00x)\n",
		bench_ratio(r, sizeof(r), f->tput[0][MECH_KWORKER][0],
			    f->tput[0][MECH_KTH][0]));
	pr_info("# target vs-kthread_worker-2cpu %s (goal 1.50x)\n",
		bench_ratio(r, sizeof(r), f->tput[0][MECH_KWORKER][1],
			    f->tput[0][MECH_KTH][1]));
	pr_info("# target post-scaling-2cpu %s (goal 1.80x)\n",
		bench_ratio(r, sizeof(r), f->post[0][MECH_KTH][0],
			    f->post[0][MECH_KTH][1]));
	pr_info("# target latency-p50-vs-highpri %s (goal 1.00x)\n",
		bench_ratio(r, sizeof(r), f->lat_p50[LAT_KTH],
			    f->lat_p50[LAT_HIGHPRI_WQ]));
	pr_info("# target latency-p99-vs-highpri %s (goal 1.00x)\n",
		bench_ratio(r, sizeof(r), f->lat_p99[LAT_KTH],
			    f->lat_p99[LAT_HIGHPRI_WQ]));
	if (f->idle_switches >= 0)
		pr_info("# target idle-wakeups %ld (goal 0)\n",
			f->idle_switches);
	else
		pr_info("# target idle-wakeups n/a (goal 0)\n");
	/* what the machine lets two CPUs do at all, see bench_post_side() */
	pr_info("# target post-scaling-vs-percpu-ring %s (goal 0.95x)\n",
		bench_ratio(r, sizeof(r),
			    f->post[0][MECH_KTH][0] * f->post[0][MECH_PERCPU][1],
			    f->post[0][MECH_KTH][1] * f->post[0][MECH_PERCPU][0]));
	/* what the clock reads cost: the same reads added to the anchor */
	pr_info("# figure vs-kthread_worker+clock-1cpu %s (kthelper's throughput over kthread_worker reading the clock as kthelper does; 2 CPUs: %s)\n",
		bench_ratio(r, sizeof(r), f->tput[0][MECH_KWORKER_CLOCK][0],
			    f->tput[0][MECH_KTH][0]),
		bench_ratio(r2, sizeof(r2), f->tput[0][MECH_KWORKER_CLOCK][1],
			    f->tput[0][MECH_KTH][1]));
	/* what placement costs: the thread left on any CPU */
	pr_info("# figure latency-any-cpu-vs-highpri p50 %s p99 %s (kthelper's thread on any CPU, the default, / system_highpri_wq's)\n",
		bench_ratio(r, sizeof(r), f->lat_p50[LAT_KTH_ANY],
			    f->lat_p50[LAT_HIGHPRI_WQ]),
		bench_ratio(r2, sizeof(r2), f->lat_p99[LAT_KTH_ANY],
			    f->lat_p99[LAT_HIGHPRI_WQ]));
	/* no goal: a regression shows only against another run's figure */
	pr_info("# figure hardirq-post-ns-1cpu %llu (kthread_queue_work %llu)\n",
		f->irq_post[MECH_KTH][0], f->irq_post[MECH_KWORKER][0]);
	pr_info("# figure hardirq-post-ns-2cpu %llu (kthread_queue_work %llu)\n",
		f->irq_post[MECH_KTH][1], f->irq_post[MECH_KWORKER][1]);
}

/* ---- the run ---- */

static void bench_run_post_only(void)
{
	unsigned int n;
	u64 ns[3];
	bool ok;

	kth_ktap_plan(1);
	ok = bench_post_cost(post_runs, ns, &n);
	if (ok)
		pr_info("# post cost: median %llu %s/event (min %llu, max %llu; %u runs of %u posts into a paused thread)\n",
			ns[0], bench_unit(), ns[1], ns[2], post_runs, n);
	bench_result(ok, "post_cost_all_events_in_order");
}

static void bench_run_all(void)
{
	kth_ktap_plan(bench_scale_results() + BENCH_LAT_RESULTS + 1 +
		      (bench_icount ? BENCH_ICOUNT_RESULTS : 0));
	if (!bench_have_cpus(bench_cpus()))
		pr_warn("fewer than %u online CPUs: the runs on %u CPUs fail\n",
			bench_cpus(), bench_cpus());
	bench_throughput();
	bench_post_side();
	bench_hardirq();
	bench_parts();
	bench_latencies();
	bench_result(bench_idle(), "idle_wakeups_measured");
	if (bench_icount) {
		bench_icount_calibrate();
		bench_icount_targets();
	} else {
		bench_targets();
	}
}

static int __init bench_init(void)
{
	if (bench_n_events < 1000 || bench_n_events > 1000000 ||
	    bench_rounds < 1 || bench_rounds > BENCH_ROUNDS_MAX || post_runs < 1 ||
	    post_runs > BENCH_POST_RUNS_MAX) {
		pr_err("n_events 1000..1000000, rounds 1..%u, post_runs 1..%u\n",
		       BENCH_ROUNDS_MAX, BENCH_POST_RUNS_MAX);
		return -EINVAL;
	}
	if (!bench_latency_params_ok())
		return -EINVAL;
	if (post_only)
		bench_run_post_only();
	else
		bench_run_all();
	kth_ktap_summary(&bench_ktap);
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("kthelper benchmark: kth_post() against kthread_worker, kfifo and workqueues, on one CPU and two");
MODULE_LICENSE("GPL");
