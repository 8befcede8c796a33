/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_internal.h - the framework's private data, shared by its files.
 */
#ifndef _KTH_INTERNAL_H
#define _KTH_INTERNAL_H

#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kthelper.h>
#include <kth_compat.h>

/* Bits of kth_thread.sample_flags. */
#define KTH_SAMPLE_BUSY		0	/* a sample hook is running */
#define KTH_SAMPLE_AGAIN	1	/* run it (once more) */

/*
 * The thread takes events out of each CPU's ring in batches: at most
 * KTH_BATCH, and at most KTH_BATCH_BYTES of them, copied with interrupts
 * off.
 */
#define KTH_BATCH		64
#define KTH_BATCH_BYTES		4096
/* Slots of a notification environment and the bytes behind them. */
#define KTH_ENV_SLOTS		48
#define KTH_ENV_BYTES		1536
/*
 * What the framework keeps of them for itself, after the driver's
 * variables: one slot and its bytes for KTH_SUPPRESSED=<n>.
 */
#define KTH_ENV_RESERVED_SLOTS	1
#define KTH_ENV_RESERVED_BYTES	32

/*
 * Internal lifecycle states.  STARTING and DRAINING read as running and
 * STOPPING as stopped through kth_get_state() and sysfs.
 */
enum kth_phase {
	KTH_PHASE_STOPPED,
	KTH_PHASE_STARTING,
	KTH_PHASE_RUNNING,
	KTH_PHASE_PAUSED,
	KTH_PHASE_DRAINING,	/* SIGTERM: no new posts, handle what is queued */
	KTH_PHASE_STOPPING,	/* kth_stop() waits for the thread */
	KTH_PHASE_FROZEN,	/* never stored: kth_state's "frozen" */
};

/* Why the phase changed, for the kth_state tracepoint. */
enum kth_cause {
	KTH_CAUSE_API,		/* kth_start(), kth_stop(), ... by the driver */
	KTH_CAUSE_SYSFS,	/* a write to control */
	KTH_CAUSE_SIGNAL,	/* a signal, whose number is traced too */
	KTH_CAUSE_FREEZER,	/* into and out of the freezer */
	KTH_CAUSE_THREAD,	/* the thread itself: setup or drain done */
};

/* What kth_post() did with an event, for the kth_post tracepoint. */
enum kth_post_result {
	KTH_POST_QUEUED,
	KTH_POST_EVICTED,	/* queued by evicting the oldest event */
	KTH_POST_FULL,		/* refused: full, KTH_DROP_NEWEST */
	KTH_POST_STOPPED,	/* refused: stopped or stopping */
};

/*
 * Why an event was dropped: the index of &kth_ring.dropped.  The causes
 * of &struct kth_stats, in its order.
 */
enum kth_drop_cause {
	KTH_DROPPED_FULL,	/* refused: full, KTH_DROP_NEWEST */
	KTH_DROPPED_EVICTED,	/* evicted by a newer one, KTH_DROP_OLDEST */
	KTH_DROPPED_STOPPED,	/* refused: stopped or stopping */
	KTH_DROPPED_KILLED,	/* queued, discarded when the thread stopped */
	KTH_DROP_CAUSES,
};

/* What became of a uevent, for kth_uevent. */
enum kth_notify_result {
	KTH_NOTIFY_SENT,
	KTH_NOTIFY_FAILED,
};

/*
 * How a helper run ended: exactly one per run (helper.c).  The index of
 * &kth_helpers.outcome; kth_helper traces each by this name.
 */
enum kth_helper_outcome {
	KTH_HELPER_EXITED,	/* exit status 0 */
	KTH_HELPER_EXITED_NONZERO,	/* exit status 1..255 */
	KTH_HELPER_KILLED,	/* by a signal not ours */
	KTH_HELPER_TIMEDOUT,	/* killed by us after helper_timeout_ms */
	KTH_HELPER_EXEC_FAILED,	/* never ran: by errno in exec_errno[] */
	KTH_HELPER_REFUSED,	/* unsafe path at run time (-EPERM) */
	KTH_HELPER_NOT_RUN,	/* this kernel runs no helpers */
	KTH_HELPER_SUPPRESSED,	/* over the rate limit */
	KTH_HELPER_DROPPED,	/* over helper_max_pending, or at stop */
	KTH_HELPER_OUTCOMES,
	/* Steps on the way, traced but not outcomes: */
	KTH_HELPER_STARTED = KTH_HELPER_OUTCOMES,	/* handed to exec */
	KTH_HELPER_DEFERRED,	/* waits for the end of a system suspend */
	KTH_HELPER_WAITED,	/* waits for a run of its thread to end */
};

/* The exec errnos counted one by one; the index of exec_errno[]. */
enum kth_helper_errno {
	KTH_HELPER_ENOENT,
	KTH_HELPER_EACCES,
	KTH_HELPER_ENOEXEC,
	KTH_HELPER_ENOMEM,
	KTH_HELPER_EOTHER,
	KTH_HELPER_ERRNOS,
};

/*
 * struct kth_helpers - a thread's user-mode helper runs (helper.c)
 * @lock: L below.  Taken in process context only: the thread, the run
 *	works, the PM notifier, sysfs.
 * @pending: L: runs waiting to start, in the order the thread made them.
 * @n_pending: L: how many.
 * @running: L: runs handed to their work, not yet finished.
 * @paused: L: a system sleep is under way: no run starts (PM notifier).
 * @closed: L: the thread is stopping: no run starts or waits.
 * @idle: woken when @running drops to 0.
 * @timeout_ms, @max_running, @max_pending: the limits; written under
 *	&kth_thread.config_lock, read with READ_ONCE.
 * @suppressed_since: runs suppressed since the last one let through;
 *	the thread only.
 * @outcome, @exec_errno, @deferred, @waited, @last_exit, @last_signal:
 *	L: the counters, read without it (READ_ONCE) by kth_get_stats().
 * @pm_nb: the PM notifier that holds runs back around a system sleep.
 */
struct kth_helpers {
	spinlock_t lock;	/* L: see above */
	struct list_head pending;
	unsigned int n_pending;
	unsigned int running;
	bool paused;
	bool closed;
	wait_queue_head_t idle;
	unsigned int timeout_ms;
	unsigned int max_running;
	unsigned int max_pending;
	unsigned int suppressed_since;
	u64 outcome[KTH_HELPER_OUTCOMES];
	u64 exec_errno[KTH_HELPER_ERRNOS];
	u64 deferred;
	u64 waited;
	int last_exit;
	int last_signal;
	struct notifier_block pm_nb;
};

/*
 * struct kth_hist - a log2 histogram of nanoseconds (histogram.c)
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

/*
 * struct kth_ring - one CPU's part of the queue (queue.c)
 * @lock: raw, taken with interrupts off by kth_post() on this CPU only and
 *	by the thread when it takes events out: never by two producers.
 * @head: index of the next slot to fill; the oldest is @head - @depth.
 * @depth: events in @slots, in sequence order.
 * @dropped: posts on this CPU refused, and events evicted or discarded
 *	from this ring, by cause (enum kth_drop_cause).
 * @wakeups: posts on this CPU that woke the sleeping thread.
 * @slots: the queue's @len slots of its @slot_size bytes.
 * Every field is guarded by @lock.
 */
struct kth_ring {
	raw_spinlock_t lock;
	u32 head;
	u32 depth;
	u64 dropped[KTH_DROP_CAUSES];
	u64 wakeups;
	void *slots;
};

/*
 * struct kth_stash - events the thread took from one CPU's ring
 * @events: room for &kth_queue.stash_len events, in sequence order.
 * @pos: the next one to handle.
 * @n: events held; @pos..@n-1 wait.
 */
struct kth_stash {
	void *events;
	unsigned int pos;
	unsigned int n;
};

/*
 * struct kth_queue - bounded multi-producer, single-consumer event queue
 *
 * Each CPU posts into a ring of its own (@rings); the one thing every post
 * writes that other CPUs write too is @posted, the source of sequence
 * numbers.  The thread takes events from every ring into a stash per CPU
 * and hands them to the handler merged in sequence order.
 *
 * @posted: every kth_post() call; the last sequence number given.
 * @taken_seq: every event numbered up to it is out of the rings (taken by
 *	the thread, or dropped).  A post numbered more than @len beyond it
 *	finds the queue full.  Written by the thread once per batch.
 * @waiting: the thread is going to sleep and needs a wakeup (0 or 1).
 * @lock: the control lock: the thread's phase, task and freezer state.
 * @seen: @posted when the thread last took events (the thread's own).
 * @limit: stashed events numbered up to it may be handled: no event with
 *	a smaller number can still be in a ring (the thread's own).
 * @active: the CPUs whose stashes hold events, @n_active of them, and
 *	@cur the index in it of the stash whose event is handled next.
 * @bound: the current stash's events numbered up to it come next, with
 *	no look at the other stashes; 0 when a merge must find the next.
 * @taken, @handled, @lost: events the thread took out of the rings, whose
 *	handler returned, and that it dropped when it stopped (so of cause
 *	%KTH_DROPPED_KILLED).  Written by the thread only; @taken - @handled
 *	- @lost are in its hands.
 */
struct kth_queue {
	atomic64_t posted ____cacheline_aligned_in_smp;

	u64 taken_seq ____cacheline_aligned_in_smp;
	int waiting;
	u32 len;
	size_t slot_size;
	enum kth_overflow overflow;
	struct kth_ring __percpu *rings;
	raw_spinlock_t lock;

	struct kth_stash *stash ____cacheline_aligned_in_smp;
	unsigned int stash_len;
	unsigned int *active;
	unsigned int n_active;
	unsigned int cur;
	u64 seen;
	u64 limit;
	u64 bound;
	u64 taken;
	u64 handled;
	u64 lost;
};

/*
 * struct kth_env - a notification environment under construction
 * @envp: envp[0] is "ACTION=<event>" for the helper only; the uevent gets
 *	&envp[1], because the kernel sets a uevent's ACTION itself.
 * @argv: {helper, event, NULL} for the user-mode helper.
 * @error: first error of kth_env_add*(); kth_notify() returns it.
 */
struct kth_env {
	char *envp[KTH_ENV_SLOTS + 1];
	unsigned int count;
	char buf[KTH_ENV_BYTES];
	size_t used;
	int error;
	char event[32];
	char helper[KTH_HELPER_MAX];
	char *argv[3];
};

/*
 * struct kth_thread - one helper thread and everything it owns
 * @kobj: /sys/kernel/kthelper/<name>; its release frees the thread.
 * @lifecycle_lock: serialises start, stop, pause and resume callers.
 * @task: the thread, with a reference of our own so that kthread_stop()
 *	is safe after the thread exited by a signal.  Written under both
 *	@lifecycle_lock and @queue.lock.
 * @phase: lifecycle state; written under @queue.lock.
 * @in_freezer: the thread is in the freezer and kth_state last said so;
 *	under @queue.lock.
 * @ready: completed by the thread once its setup hook has run.
 * @dev: /sys/class/kthelper/<name>, a device of its own (its uevents
 *	suppressed) for dev_printk_emit(): kth_printk()'s lines carry its
 *	subsystem and name.  NULL until kth_create() adds it; put by the
 *	release.
 * @config_lock: protects @helper, the rate_* fields and the limits of
 *	@helpers.
 */
struct kth_thread {
	struct kobject kobj;
	char name[KTH_NAME_MAX + 1];
	char module[MODULE_NAME_LEN];	/* the creator's, for sysfs */
	const struct kth_ops *ops;
	void *priv;
	size_t event_size;
	unsigned int flags;
	int nice;
	const struct attribute_group **groups;
	struct cpumask *cpus;		/* NULL: any CPU */
	struct device *dev;

	struct mutex lifecycle_lock;	/* start, stop, pause, resume */
	struct task_struct *task;
	enum kth_phase phase;
	bool in_freezer;
	struct completion ready;
	int setup_result;

	/*
	 * Apart from the read-mostly fields above that posts and the thread
	 * both read on every event (@phase, @ops): @queue keeps what every
	 * post writes, what posts read and the thread's own fields on cache
	 * lines of their own.
	 */
	struct kth_queue queue ____cacheline_aligned_in_smp;
	u64 cur_seq;	/* the event being handled, 0 outside the handler */

	/*
	 * Latency histograms (histogram.c): written by the thread only; a
	 * reset snapshots them into @hist_base and bumps @hist_epoch, which
	 * tells the thread to restart the maxima.
	 */
	struct kth_hist wait_hist;
	struct kth_hist handle_hist;
	unsigned int hist_seen_epoch;	/* the thread's copy of @hist_epoch */
	unsigned int hist_epoch;	/* bumped by each reset */
	struct mutex hist_lock;		/* protects @hist_base, @hist_epoch */
	struct kth_hist hist_base[2];	/* wait, handle at the last reset */

	/* @config_lock: @helper and rate_*; @uevent is WRITE_ONCE, no lock */
	struct mutex config_lock ____cacheline_aligned_in_smp;
	char helper[KTH_HELPER_MAX];
	bool uevent;

	/* helper rate limit: a token bucket kept in nanoseconds of credit */
	unsigned int rate_burst;
	unsigned int rate_per_sec;
	u64 rate_credit_ns;
	u64 rate_cost_ns;
	u64 rate_capacity_ns;
	u64 rate_last_ns;

	/* the helper runs (helper.c) */
	struct kth_helpers helpers;

	/* written by the thread only, read by sysfs */
	u64 uevents;
	u64 uevent_failures;

	/* the optional sampler (sampler.c) */
	struct timer_list sample_timer;
	unsigned int sample_ms;
	bool sampling;
	unsigned long sample_flags;	/* KTH_SAMPLE_BUSY, KTH_SAMPLE_AGAIN */
	u64 sample_runs;

	struct kth_env env;

	/* the driver's metrics (metrics.c): values set from any context */
	struct kth_metrics *metrics;
};

/* core.c */
extern struct kset *kth_kset;

/* queue.c */
int kth_queue_init(struct kth_queue *q, unsigned int len, size_t event_size,
		   enum kth_overflow overflow);
void kth_queue_free(struct kth_queue *q);
void kth_queue_open(struct kth_queue *q);
u64 kth_queue_discard(struct kth_queue *q);
u64 kth_queue_in_hand(const struct kth_queue *q);
void kth_queue_stats(struct kth_queue *q, struct kth_stats *stats);
int kth_queue_next(struct kth_thread *t);
const struct kth_event *kth_queue_merge(struct kth_queue *q);
void kth_queue_retire(struct kth_queue *q);
void kth_queue_close(struct kth_thread *t);

static inline struct kth_event *kth_stash_slot(const struct kth_queue *q,
					       const struct kth_stash *s,
					       unsigned int index)
{
	return s->events + (size_t)index * q->slot_size;
}

/*
 * kth_queue_peek() - the next event to handle, in sequence order
 * @q: the thread's queue
 *
 * Inline, once per event: while the current stash's next event is within
 * @q->bound, it is the next one; else kth_queue_merge() looks at all.
 *
 * Return: the stashed event with the smallest number, if that number is
 * up to @q->limit; else NULL.
 */
static inline const struct kth_event *kth_queue_peek(struct kth_queue *q)
{
	const struct kth_stash *s;
	const struct kth_event *ev;

	if (q->bound) {
		s = &q->stash[q->active[q->cur]];
		ev = kth_stash_slot(q, s, s->pos);
		if (ev->seq <= q->bound)
			return ev;
	}
	return kth_queue_merge(q);
}

/*
 * kth_queue_pop() - the event kth_queue_peek() returned was handled
 * @q: the thread's queue
 */
static inline void kth_queue_pop(struct kth_queue *q)
{
	struct kth_stash *s = &q->stash[q->active[q->cur]];

	WRITE_ONCE(q->handled, q->handled + 1);
	if (++s->pos == s->n)
		kth_queue_retire(q);
}

/* lifecycle.c */
int kth_thread_fn(void *data);
enum kth_state kth_phase_to_state(enum kth_phase phase);
const char *kth_state_name(enum kth_state state);
void kth_set_phase(struct kth_thread *t, enum kth_phase to,
		   enum kth_cause cause, int sig);
bool kth_change_phase(struct kth_thread *t, enum kth_phase from,
		      enum kth_phase to, enum kth_cause cause, int sig);
int kth_start_by(struct kth_thread *t, enum kth_cause cause);
void kth_stop_by(struct kth_thread *t, enum kth_cause cause);
int kth_pause_by(struct kth_thread *t, enum kth_cause cause);
int kth_resume_by(struct kth_thread *t, enum kth_cause cause);

/* core.c */
void kth_log_stats(struct kth_thread *t, const char *why);

/* histogram.c */
/* Which of a thread's histograms: the index of its &kth_thread.hist_base. */
enum kth_hist_kind {
	KTH_HIST_WAIT,
	KTH_HIST_HANDLE,
};

void kth_hist_init(struct kth_thread *t);
void kth_hist_record(struct kth_thread *t, u64 wait_ns, u64 handle_ns);
void kth_hist_read(struct kth_thread *t, enum kth_hist_kind kind,
		   struct kth_hist *out);
u64 kth_hist_count(const struct kth_hist *h);
u64 kth_hist_percentile(const struct kth_hist *h, unsigned int pct);
ssize_t kth_hist_emit(const struct kth_hist *h, char *buf);
void kth_hist_reset(struct kth_thread *t);

/* notify.c */
void kth_rate_init(struct kth_thread *t, unsigned int burst,
		   unsigned int rate);
int kth_helper_validate(const char *path, size_t len);

/* helper.c */
int kth_helpers_global_init(void);
void kth_helpers_global_exit(void);
void kth_helpers_init(struct kth_thread *t, const struct kth_config *cfg);
int kth_helpers_register(struct kth_thread *t);
void kth_helpers_unregister(struct kth_thread *t);
void kth_helpers_open(struct kth_thread *t);
void kth_helpers_quiesce(struct kth_thread *t);
int kth_helper_check(struct kth_thread *t, const char *path, bool at_run);
void kth_helper_submit(struct kth_thread *t, struct kth_env *env,
		       const char *path);
void kth_helper_suppressed(struct kth_thread *t, const char *event);
void kth_helpers_stats(struct kth_thread *t, struct kth_stats *stats);
const char *kth_helper_dispatcher(void);
bool kth_helper_none(void);
const char *kth_helper_runner(void);

/* sysfs.c */
extern const struct attribute_group *kth_groups[];

/* metrics.c */
int kth_metrics_check(const struct kth_config *cfg);
int kth_metrics_create(struct kth_thread *t, const struct kth_config *cfg);
const struct attribute_group *kth_metrics_group(struct kth_thread *t);
void kth_metrics_free(struct kth_thread *t);

/* sampler.c */
void kth_sampler_init(struct kth_thread *t, unsigned int ms);
void kth_sampler_start(struct kth_thread *t);
void kth_sampler_stop(struct kth_thread *t);

/* signals.c */
void kth_allow_signals(void);
bool kth_take_signals(struct kth_thread *t);
bool kth_signal_waiting(void);

#endif /* _KTH_INTERNAL_H */
