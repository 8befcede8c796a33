/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - the parts of kth_bench (tests/bench/Kbuild) and what they share.
 *
 * bench_main.c    parameters, the run, the targets, idle, what a clock costs
 * bench_mech.c    the mechanisms compared (kthelper, kthread_worker, ...):
 *                 their consumers, one post, holding the consumer off
 * bench_run.c     one run: the producers bound to CPUs, the times
 * bench_scale.c   throughput, the post side alone, hard-IRQ producers
 * bench_latency.c hard IRQ -> handler latency
 * bench_icount.c  under instruction counting: the calibration loop and
 *                 the targets on instruction counts
 */
#ifndef KTH_BENCH_H
#define KTH_BENCH_H

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <kthelper.h>

/* Producers on at most this many CPUs: "one" and "both" of the guest's. */
#define BENCH_CPUS		2
/* The payload sizes compared; the first is the one of the targets. */
#define BENCH_SIZES		3
#define BENCH_SIZE_MAX		256
/* Events a hard-IRQ producer posts per timer tick, and the tick. */
#define BENCH_IRQ_BURST		64
#define BENCH_IRQ_PERIOD_US	100

/* Runs of each case at most (module parameter rounds). */
#define BENCH_ROUNDS_MAX	15

/* the module parameters n_events, rounds and icount */
extern unsigned int bench_n_events;
extern unsigned int bench_rounds;
extern bool bench_icount;
extern const unsigned int bench_sizes[BENCH_SIZES];

/* What carries an event from a producer to a single consumer thread. */
enum bench_mech {
	MECH_KTH,		/* kth_post() -> the helper thread's handler */
	MECH_KWORKER,		/* kthread_queue_work(), preallocated items */
	MECH_KWORKER_KMALLOC,	/* kthread_queue_work(), a kmalloc() each */
	MECH_KWORKER_CLOCK,	/* preallocated, and kthelper's clock reads */
	MECH_KFIFO,		/* kfifo_in_spinlocked() + wake_up(), a kthread */
	MECH_WQ_KMALLOC,	/* queue_work() on an ordered workqueue, kmalloc() */
	MECH_PERCPU,		/* no consumer: a copy into a ring of the CPU's own */
	MECH_COUNT,
};

extern const char * const bench_mech_names[MECH_COUNT];

/*
 * Every event's payload starts with this; bytes past it are zero but the
 * last, which is the low byte of @index.  The consumer checks all three.
 */
struct bench_payload {
	u32 producer;
	u32 len;
	u64 index;
};

/* One producer: a kthread bound to a CPU, or a pinned hrtimer on it. */
struct bench_producer {
	struct bench_run *run;
	struct task_struct *task;
	unsigned int id;
	unsigned int cpu;
	u64 t_start, t_end;	/* around its posts, ktime_get_ns() */
	int error;		/* a post that failed */
	u64 buf[BENCH_SIZE_MAX / sizeof(u64)];	/* its payload */
	/* hard IRQ */
	struct hrtimer timer;
	u64 irq_left;		/* events still to post */
	u64 irq_ns;		/* time spent posting, local_clock() */
	/* MECH_PERCPU: the ring of this producer's CPU, its own lines */
	void *ring;
	unsigned int ring_head;
};

/*
 * One mechanism with its consumer, for one payload size, and the state of
 * the run in progress.  The consumer is one thread in every mechanism, so
 * what it counts needs no lock; the controller reads it after @done.
 */
struct bench_run {
	enum bench_mech mech;
	unsigned int size;		/* payload bytes */
	unsigned int max_events;	/* per run, what setup allocated for */
	/* the consumer */
	struct kth_thread *thread;
	struct kthread_worker *worker;
	struct workqueue_struct *wq;
	struct task_struct *fifo_task;
	void *items;			/* MECH_KWORKER(_CLOCK): max_events */
	size_t item_size;
	u64 clock_sink;			/* MECH_KWORKER_CLOCK's clock reads */
	struct kthread_work gate_work;	/* holds the kthread_worker off */
	struct completion gate_entered, gate;
	/* this run */
	unsigned int nr_producers;
	u64 per_producer, total;
	bool held;			/* the consumer is held off */
	bool irq;			/* producers are hrtimers */
	struct completion go, posted, done;
	atomic_t producers_left;
	struct bench_producer prod[BENCH_CPUS];
	u64 seen, errors, last_seq;
	u64 wakeups0;			/* kthelper: wakeups before the run */
	struct task_struct *consumer;	/* kthelper: its thread, a reference */
	unsigned long switches0;	/* the thread's context switches then */
	u64 next[BENCH_CPUS];
	u64 t_go, t_release, t_end;
};

/* What one run measures, in ns (0: not measured): bench_result.ns[]. */
enum bench_ns {
	BENCH_NS_EVENT,		/* first post to last handled, per event */
	BENCH_NS_POST,		/* the producers' span, per post */
	BENCH_NS_DRAIN,		/* release to last handled, per event (held) */
	BENCH_NS_IRQ_POST,	/* one post in hard IRQ */
	BENCH_NS_COUNT,
};

struct bench_result {
	u64 ns[BENCH_NS_COUNT];
	u64 wakeups;	/* kthelper: posts that woke the thread */
	u64 switches[2];	/* kthelper: the producer's, the thread's */
};

/* bench_mech.c, bench_run.c */
int bench_setup(struct bench_run *run, enum bench_mech mech,
		unsigned int size, unsigned int max_events);
void bench_teardown(struct bench_run *run);
bool bench_run_once(struct bench_run *run, unsigned int nr_producers,
		    bool held, bool irq, struct bench_result *res);
int bench_post(struct bench_run *run, struct bench_producer *p, void *buf);
int bench_hold(struct bench_run *run);
void bench_release(struct bench_run *run);
bool bench_have_cpus(unsigned int nr);

/* bench_main.c */
struct task_struct *bench_find_kthread(const char *comm);
void bench_result(bool ok, const char *name);
void bench_result_skip(const char *name, const char *why);
u64 bench_median(u64 *v, unsigned int n);
int bench_cmp_u64(const void *a, const void *b);
const char *bench_ratio(char *buf, size_t size, u64 num, u64 den);
#define BENCH_RATIO_LEN	24

/*
 * How many producer CPUs the runs use: 1 under instruction counting (the
 * guest has one vCPU), else BENCH_CPUS.
 */
static inline unsigned int bench_cpus(void)
{
	return bench_icount ? 1 : BENCH_CPUS;
}

/*
 * The unit of every figure: under instruction counting the guest's clocks
 * advance 1 ns per guest instruction, so its "ns" are instructions.
 */
static inline const char *bench_unit(void)
{
	return bench_icount ? "insns" : "ns";
}

/*
 * The figures the targets are made of, filled by the parts, in
 * bench_unit(): ns of wall time, or instructions under icount.
 */
struct bench_figures {
	u64 tput[BENCH_SIZES][MECH_COUNT][BENCH_CPUS];	/* per event */
	u64 post[BENCH_SIZES][MECH_COUNT][BENCH_CPUS];	/* producers' span */
	u64 drain[BENCH_SIZES][MECH_COUNT];	/* per event, 1 CPU, held */
	u64 irq_post[MECH_COUNT][BENCH_CPUS];	/* ns/post in hard IRQ */
	u64 lat_p50[4], lat_p99[4];		/* enum bench_lat_kind */
	long idle_switches;			/* -1: not measured */
};

extern struct bench_figures bench_fig;

/* bench_scale.c */
unsigned int bench_scale_results(void);
void bench_throughput(void);
void bench_post_side(void);
void bench_hardirq(void);
#define BENCH_POST_RUNS_MAX	100
bool bench_post_cost(unsigned int runs, u64 *ns, unsigned int *n);

/* bench_latency.c */
enum bench_lat_kind {
	LAT_KTH,	/* kthelper, &kth_config.cpus: the timer's CPU */
	LAT_KTH_ANY,	/* kthelper on any CPU (the default) */
	LAT_KWORKER,	/* kthread_worker on any CPU (its default) */
	LAT_HIGHPRI_WQ,	/* per-CPU: runs where it was queued */
	LAT_COUNT
};

#define BENCH_LAT_RESULTS	LAT_COUNT
void bench_latencies(void);
bool bench_latency_params_ok(void);

/* bench_icount.c */
#define BENCH_ICOUNT_RESULTS	1
void bench_icount_calibrate(void);
void bench_icount_targets(void);

#endif /* KTH_BENCH_H */
