// SPDX-License-Identifier: GPL-2.0
/*
 * bench_scale.c - throughput with one producer and with producers on both
 * CPUs, for every payload size; the post side alone with the consumer held
 * off; hard-IRQ producers.
 *
 * Each case runs bench_rounds times (the module parameter rounds), the
 * cases taken in turns within a round, so that a burst of load on the
 * host falls on all of them alike.  The figure is the best run (the
 * lowest time): under QEMU the host only ever adds time, by running
 * something else on the vCPU's core, so the best run is the least
 * disturbed one.  The median is printed beside it, as the spread.
 * Under instruction counting (icount=1) the figures are instructions,
 * the host's load does not change them, and the runs on two CPUs are
 * skipped: the guest has one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include "bench.h"

const unsigned int bench_sizes[BENCH_SIZES] = { 16, 64, 256 };

struct bench_case {
	enum bench_mech mech;
	unsigned int size;	/* index into bench_sizes */
};

/* Throughput: everything at 16 bytes, what a payload costs at 64 and 256. */
static const struct bench_case tput_cases[] = {
	{ MECH_KTH, 0 }, { MECH_KWORKER, 0 }, { MECH_KWORKER_KMALLOC, 0 },
	{ MECH_KWORKER_CLOCK, 0 }, { MECH_KFIFO, 0 }, { MECH_WQ_KMALLOC, 0 },
	{ MECH_KTH, 1 }, { MECH_KWORKER, 1 }, { MECH_KWORKER_KMALLOC, 1 },
	{ MECH_KTH, 2 }, { MECH_KWORKER, 2 }, { MECH_KWORKER_KMALLOC, 2 },
};

/*
 * The post side alone, the consumer held off (percpu-ring has none), and
 * then the drain: kthelper against kthread_worker, bare and with
 * kthelper's clock reads, at every size.
 */
static const struct bench_case post_cases[] = {
	{ MECH_KTH, 0 }, { MECH_KWORKER, 0 }, { MECH_KWORKER_CLOCK, 0 },
	{ MECH_PERCPU, 0 },
	{ MECH_KTH, 1 }, { MECH_KWORKER, 1 }, { MECH_KWORKER_CLOCK, 1 },
	{ MECH_KTH, 2 }, { MECH_KWORKER, 2 }, { MECH_KWORKER_CLOCK, 2 },
};

/* Hard-IRQ producers. */
static const struct bench_case irq_cases[] = {
	{ MECH_KTH, 0 }, { MECH_KWORKER, 0 },
};

/*
 * Results reported by this file: one per case and producer count (one
 * count under icount: bench-smp's boot runs the two-CPU ones).
 */
unsigned int bench_scale_results(void)
{
	return (ARRAY_SIZE(tput_cases) + ARRAY_SIZE(post_cases) - 1 +
		ARRAY_SIZE(irq_cases)) * bench_cpus();
}

/*
 * The runs of one case, [producers - 1][round], and what they come to
 * (0 where a run failed or was skipped: @ok false).
 */
struct bench_samples {
	u64 v[BENCH_CPUS][BENCH_ROUNDS_MAX];
	u64 drain[BENCH_ROUNDS_MAX];
	bool ok[BENCH_CPUS];
	bool set_up;
	u64 best[BENCH_CPUS], median[BENCH_CPUS], drain_best;
	u64 wakeups[2];		/* kthelper, 1 CPU: the fewest and the most */
	struct bench_result best_res;	/* kthelper, 1 CPU: the best run's */
};

static void bench_case_name(char *buf, size_t size, const char *what,
			    const struct bench_case *c, unsigned int cpus)
{
	snprintf(buf, size, "%s_%s_%uB_%ucpu_all_events_in_order", what,
		 bench_mech_names[c->mech], bench_sizes[c->size], cpus);
}

/* The best and the median of each case's runs. */
static void bench_summarize(struct bench_samples *s, unsigned int n)
{
	unsigned int c, i;

	for (c = 0; c < n; c++) {
		for (i = 0; i < BENCH_CPUS; i++) {
			if (!s[c].ok[i])
				continue;
			s[c].median[i] = bench_median(s[c].v[i], bench_rounds);
			s[c].best[i] = s[c].v[i][0];	/* sorted */
		}
		if (s[c].ok[0]) {
			bench_median(s[c].drain, bench_rounds);
			s[c].drain_best = s[c].drain[0];
		}
	}
}

/*
 * Set up every case, run them bench_rounds times in turns, tear them
 * down; keep the time @which of each run.  False if out of memory.
 */
static bool bench_cases(const struct bench_case *cases, unsigned int n,
			struct bench_samples *s, unsigned int max_events,
			bool held, bool irq, enum bench_ns which)
{
	struct bench_result res;
	struct bench_run *runs;
	unsigned int c, r, cpus;

	memset(s, 0, n * sizeof(*s));
	runs = kvcalloc(n, sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return false;
	for (c = 0; c < n; c++) {
		s[c].set_up = !bench_setup(&runs[c], cases[c].mech,
					   bench_sizes[cases[c].size],
					   max_events);
		for (cpus = 1; cpus <= bench_cpus(); cpus++)
			s[c].ok[cpus - 1] = s[c].set_up;
	}
	for (r = 0; r < bench_rounds; r++) {
		for (c = 0; c < n; c++) {
			for (cpus = 1; cpus <= bench_cpus(); cpus++) {
				if (!s[c].ok[cpus - 1])
					continue;
				s[c].ok[cpus - 1] =
					bench_run_once(&runs[c], cpus, held,
						       irq, &res);
				s[c].v[cpus - 1][r] = res.ns[which];
				if (cpus != 1)
					continue;
				s[c].drain[r] = res.ns[BENCH_NS_DRAIN];
				if (!r || res.wakeups < s[c].wakeups[0])
					s[c].wakeups[0] = res.wakeups;
				s[c].wakeups[1] = max(s[c].wakeups[1],
						      res.wakeups);
				if (!r || res.ns[which] < s[c].best_res.ns[which])
					s[c].best_res = res;
			}
		}
	}
	for (c = 0; c < n; c++)
		if (s[c].set_up)
			bench_teardown(&runs[c]);
	kvfree(runs);
	bench_summarize(s, n);
	return true;
}

static int bench_case_find(const struct bench_case *cases, unsigned int n,
			   enum bench_mech mech, unsigned int size)
{
	unsigned int c;

	for (c = 0; c < n; c++)
		if (cases[c].mech == mech && cases[c].size == size)
			return c;
	return -1;
}

/* One result per case and producer count: every event arrived, in order. */
static void bench_case_results(const struct bench_case *cases, unsigned int n,
			       const struct bench_samples *s, const char *what)
{
	unsigned int c, cpus;
	char name[96];

	for (c = 0; c < n; c++) {
		if (cases[c].mech == MECH_PERCPU)
			continue;	/* no consumer: nothing arrives */
		for (cpus = 1; cpus <= bench_cpus(); cpus++) {
			bench_case_name(name, sizeof(name), what, &cases[c],
					cpus);
			bench_result(s[c].ok[cpus - 1], name);
		}
	}
}

/* One case's line: its best and median, on one CPU and, if run, on two. */
static void bench_case_line(const char *what, const struct bench_case *c,
			    const struct bench_samples *s, const char *rate)
{
	char r[BENCH_RATIO_LEN];

	if (bench_cpus() == 1) {
		pr_info("# %s %3u B %-22s 1 CPU %6llu (%6llu)\n", what,
			bench_sizes[c->size], bench_mech_names[c->mech],
			s->best[0], s->median[0]);
		return;
	}
	pr_info("# %s %3u B %-22s 1 CPU %6llu (%6llu)  2 CPUs %6llu (%6llu)  %s 2 CPUs/1: %s\n",
		what, bench_sizes[c->size], bench_mech_names[c->mech],
		s->best[0], s->median[0], s->best[1], s->median[1], rate,
		bench_ratio(r, sizeof(r), s->best[0], s->best[1]));
}

/* kthelper against each other mechanism: same size, same CPUs. */
static void bench_throughput_ratios(const struct bench_samples *s)
{
	char r1[BENCH_RATIO_LEN], r2[BENCH_RATIO_LEN];
	unsigned int c, size;
	int k;

	for (size = 0; size < BENCH_SIZES; size++) {
		k = bench_case_find(tput_cases, ARRAY_SIZE(tput_cases),
				    MECH_KTH, size);
		for (c = 0; c < ARRAY_SIZE(tput_cases) && k >= 0; c++) {
			if (tput_cases[c].size != size || c == k)
				continue;
			pr_info("# kthelper vs %-22s %3u B: 1 CPU %s%s%s (its %s/event / kthelper's: above 1 is kthelper faster)\n",
				bench_mech_names[tput_cases[c].mech],
				bench_sizes[size],
				bench_ratio(r1, sizeof(r1), s[c].best[0],
					    s[k].best[0]),
				bench_cpus() == 1 ? "" : ", 2 CPUs ",
				bench_cpus() == 1 ? "" :
				bench_ratio(r2, sizeof(r2), s[c].best[1],
					    s[k].best[1]), bench_unit());
		}
	}
}

/**
 * bench_throughput() - events per second from first post to last handled,
 *	one producer and one on each of two CPUs, for every case
 */
void bench_throughput(void)
{
	static struct bench_samples s[ARRAY_SIZE(tput_cases)];
	const struct bench_case *tc;
	unsigned int c;

	if (!bench_cases(tput_cases, ARRAY_SIZE(tput_cases), s,
			 bench_n_events, false, false, BENCH_NS_EVENT))
		pr_err("no memory for the throughput runs\n");
	pr_info("# throughput, first post to last handled, %s/event: the best of %u runs of %u events (the median in brackets)%s\n",
		bench_unit(), bench_rounds, bench_n_events,
		bench_cpus() == 1 ? ":" :
		"; 2 CPUs: a producer bound to each, half the events each:");
	for (c = 0; c < ARRAY_SIZE(tput_cases); c++) {
		tc = &tput_cases[c];
		bench_fig.tput[tc->size][tc->mech][0] = s[c].best[0];
		bench_fig.tput[tc->size][tc->mech][1] = s[c].best[1];
		bench_case_line("throughput", tc, &s[c], "events/s");
		if (tc->mech == MECH_KTH)
			pr_info("# throughput %3u B kthelper: the thread was woken %llu to %llu times in a 1-CPU run of %u events; in the best run %llu times, the producer switched %llu times and the thread %llu\n",
				bench_sizes[tc->size], s[c].wakeups[0],
				s[c].wakeups[1], bench_n_events,
				s[c].best_res.wakeups,
				s[c].best_res.switches[0],
				s[c].best_res.switches[1]);
	}
	bench_case_results(tput_cases, ARRAY_SIZE(tput_cases), s,
			   "throughput");
	bench_throughput_ratios(s);
}

/**
 * bench_post_side() - the producers' cost alone, the consumer held off:
 *	kth_post() into a paused thread, kthread_queue_work() to a worker
 *	blocked in its first item, and a copy into a ring of the CPU's own
 *	(no shared line: how far this machine lets two CPUs scale at all)
 */
void bench_post_side(void)
{
	static struct bench_samples s[ARRAY_SIZE(post_cases)];
	unsigned int c, max = min_t(unsigned int, bench_n_events,
					  KTH_QUEUE_LEN_MAX);
	const struct bench_case *pc;

	if (!bench_cases(post_cases, ARRAY_SIZE(post_cases), s, max, true,
			 false, BENCH_NS_POST))
		pr_err("no memory for the post-side runs\n");
	pr_info("# post side alone, consumer held off, %s/post: the best of %u runs of %u posts (the median in brackets)%s\n",
		bench_unit(), bench_rounds, max, bench_cpus() == 1 ? ":" :
		"; 2 CPUs: a producer bound to each, per post of both together:");
	for (c = 0; c < ARRAY_SIZE(post_cases); c++) {
		pc = &post_cases[c];
		bench_fig.post[pc->size][pc->mech][0] = s[c].best[0];
		bench_fig.post[pc->size][pc->mech][1] = s[c].best[1];
		bench_fig.drain[pc->size][pc->mech] = s[c].drain_best;
		bench_case_line("post side", pc, &s[c], "posts/s");
	}
	for (c = 0; c < ARRAY_SIZE(post_cases); c++)
		if (post_cases[c].mech != MECH_PERCPU)
			pr_info("# drain after release %3u B %-22s %6llu %s/event (1 CPU runs, the best)\n",
				bench_sizes[post_cases[c].size],
				bench_mech_names[post_cases[c].mech],
				s[c].drain_best, bench_unit());
	bench_case_results(post_cases, ARRAY_SIZE(post_cases), s,
			   "post_side");
}

/**
 * bench_hardirq() - producers in hard IRQ: a pinned hrtimer on one CPU,
 *	then on each of two, posting bursts of BENCH_IRQ_BURST; the time
 *	each post takes
 */
void bench_hardirq(void)
{
	static struct bench_samples s[ARRAY_SIZE(irq_cases)];
	unsigned int c, max = min_t(unsigned int, bench_n_events,
					  KTH_QUEUE_LEN_MAX);
	const struct bench_case *ic;

	if (!bench_cases(irq_cases, ARRAY_SIZE(irq_cases), s, max, false,
			 true, BENCH_NS_IRQ_POST))
		pr_err("no memory for the hard-IRQ runs\n");
	pr_info("# hard-IRQ producers, a pinned hrtimer posting bursts of %u every %u us, %s/post: the best of %u runs of %u events (the median in brackets)%s\n",
		BENCH_IRQ_BURST, BENCH_IRQ_PERIOD_US, bench_unit(),
		bench_rounds, max, bench_cpus() == 1 ? ":" :
		"; 2 CPUs: a timer on each, both posting at once:");
	for (c = 0; c < ARRAY_SIZE(irq_cases); c++) {
		ic = &irq_cases[c];
		bench_fig.irq_post[ic->mech][0] = s[c].best[0];
		bench_fig.irq_post[ic->mech][1] = s[c].best[1];
		bench_case_line("hard-IRQ post", ic, &s[c], "posts/s");
	}
	bench_case_results(irq_cases, ARRAY_SIZE(irq_cases), s, "hardirq");
}

/**
 * bench_post_cost() - kth_post()'s cost alone: @runs runs of one producer
 *	posting into a paused thread (post_only=1)
 * @runs: 1..BENCH_POST_RUNS_MAX
 * @ns: [0] the median, [1] the lowest, [2] the highest, in ns per post
 * @n: set to the posts of a run
 *
 * Return: true if every event of every run arrived, in order.
 */
bool bench_post_cost(unsigned int runs, u64 *ns, unsigned int *n)
{
	static u64 post[BENCH_POST_RUNS_MAX];
	struct bench_result res;
	struct bench_run *run;
	unsigned int r;
	bool ok = false;

	*n = min_t(unsigned int, bench_n_events, KTH_QUEUE_LEN_MAX);
	if (!runs || runs > ARRAY_SIZE(post))
		return false;
	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return false;
	if (bench_setup(run, MECH_KTH, bench_sizes[0], *n))
		goto out_free;
	ok = true;
	for (r = 0; r < runs && ok; r++) {
		ok = bench_run_once(run, 1, true, false, &res);
		post[r] = res.ns[BENCH_NS_POST];
	}
	bench_teardown(run);
	if (ok) {
		ns[0] = bench_median(post, runs);	/* sorts */
		ns[1] = post[0];
		ns[2] = post[runs - 1];
	}
out_free:
	kfree(run);
	return ok;
}
