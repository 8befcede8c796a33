/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_thread.h - a helper thread and everything it owns, and the calls
 * between the framework's files about it.
 *
 * Layers, each header including only those below it:
 *	kth_thread.h	the thread: lifecycle, sysfs, signals, sampler
 *	kth_helper.h	its helper runs        kth_notify.h  notifications
 *	kth_hist.h	its latency histograms kth_queue.h   the event queue
 *	kthelper.h	the public API
 * The queue knows nothing of the thread; the thread tells it whether
 * posts are open (kth_set_phase()) and does the waking (post.c).
 */
#ifndef _KTH_THREAD_H
#define _KTH_THREAD_H

#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <kthelper.h>
#include <kth_compat.h>
#include "kth_helper.h"
#include "kth_hist.h"
#include "kth_notify.h"
#include "kth_queue.h"

/* Bits of kth_thread.sample_flags. */
#define KTH_SAMPLE_BUSY		0	/* a sample hook is running */
#define KTH_SAMPLE_AGAIN	1	/* run it (once more) */

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

/*
 * struct kth_thread - one helper thread and everything it owns
 *
 * Locking, per field, in workqueue.c's style:
 *  I: set by kth_create(), read-only after.
 *  M: @lifecycle_lock (start, stop, pause, resume callers).
 *  P: @ctl_lock, raw, interrupts off: the phase and what goes with it.
 *     Read without it with READ_ONCE where a stale value is harmless.
 *  G: @config_lock (the helper's path, rate limit and limits).
 *  H: @hist_lock.
 *  T: the thread only (read by sysfs with READ_ONCE where said).
 *  X: no lock: WRITE_ONCE()/READ_ONCE(), or atomic bit operations.
 *
 * @head: I: first, the part drivers read inline (kth_priv()).
 * @kobj: I: /sys/kernel/kthelper/<name>; its release frees the thread.
 * @name, @module, @ops, @event_size, @flags, @nice, @groups, @cpus:
 *	I: from the driver's &struct kth_config and its module.
 * @dev: I: /sys/class/kthelper/<name>, a device of its own (its uevents
 *	suppressed) for dev_printk_emit(): kth_printk()'s lines carry its
 *	subsystem and name.  NULL until kth_create() adds it; put by the
 *	release.
 * @task: M+P: the thread, with a reference of our own so that
 *	kthread_stop() is safe after the thread exited by a signal.  Read
 *	under either lock, or by kth_post() with READ_ONCE and interrupts
 *	off (kth_reap() waits for a grace period before dropping it).
 * @phase: P: lifecycle state.
 * @in_freezer: P: the thread is in the freezer and kth_state last said so.
 * @ready: completed by the thread once its setup hook has run, after it
 *	wrote @setup_result (T).
 * @queue: the event queue: its own locking (kth_queue.h); whether it is
 *	open is P.
 * @cur_seq: T: the event being handled, 0 outside the handler.
 * @wait_hist, @handle_hist, @hist_seen_epoch: T: latency histograms.
 * @hist_epoch, @hist_base: H: a reset snapshots the histograms into
 *	@hist_base and bumps @hist_epoch (read by the thread with
 *	READ_ONCE), which tells it to restart the maxima.
 * @helper, @rate_*: G.  @rate_* is a token bucket kept in nanoseconds of
 *	credit; @rate_burst and @rate_per_sec are read by sysfs with
 *	READ_ONCE.
 * @uevent: X: whether notifications go out as uevents.
 * @helpers: the helper runs: their own locking (kth_helper.h).
 * @uevents, @uevent_failures: T, read by sysfs with READ_ONCE.
 * @sample_timer: the sampler's timer (sampler.c).
 * @sample_ms, @sampling, @sample_runs: X.
 * @sample_flags: X: KTH_SAMPLE_BUSY, KTH_SAMPLE_AGAIN, atomic bit ops.
 * @env: T: the notification being built.
 * @metrics: I: the driver's metrics; their values have their own locking
 *	(metrics.c).
 */
struct kth_thread {
	struct kth_thread_head head;	/* first: kth_priv() reads it */
	struct kobject kobj;
	char name[KTH_NAME_MAX + 1];
	char module[MODULE_NAME_LEN];
	const struct kth_ops *ops;
	size_t event_size;
	unsigned int flags;
	int nice;
	const struct attribute_group **groups;
	struct cpumask *cpus;		/* NULL: any CPU */
	struct device *dev;

	struct mutex lifecycle_lock;	/* M */
	raw_spinlock_t ctl_lock;	/* P */
	struct task_struct *task;
	enum kth_phase phase;
	bool in_freezer;
	struct completion ready;
	int setup_result;

	/*
	 * Apart from the read-mostly fields above (a post reads @event_size,
	 * and @task to wake the thread; the thread reads @ops and @phase on
	 * every event): @queue keeps what every post writes, what posts read
	 * and the thread's own fields on cache lines of their own.
	 */
	struct kth_queue queue ____cacheline_aligned_in_smp;
	u64 cur_seq;

	struct kth_hist wait_hist;
	struct kth_hist handle_hist;
	unsigned int hist_seen_epoch;
	unsigned int hist_epoch;
	struct mutex hist_lock;		/* H */
	struct kth_hist hist_base[2];	/* by enum kth_hist_kind */

	struct mutex config_lock ____cacheline_aligned_in_smp;	/* G */
	char helper[KTH_HELPER_MAX];
	bool uevent;
	unsigned int rate_burst;
	unsigned int rate_per_sec;
	u64 rate_credit_ns;
	u64 rate_cost_ns;
	u64 rate_capacity_ns;
	u64 rate_last_ns;

	struct kth_helpers helpers;

	u64 uevents;
	u64 uevent_failures;

	struct timer_list sample_timer;
	unsigned int sample_ms;
	bool sampling;
	unsigned long sample_flags;
	u64 sample_runs;

	struct kth_env env;

	struct kth_metrics *metrics;
};

/**
 * kth_hist_record() - count one handled event in the thread's histograms
 * @t: the thread (called by the thread itself, once per event: inline)
 * @wait_ns: how long the event waited in the queue
 * @handle_ns: how long its handler ran
 */
static inline void kth_hist_record(struct kth_thread *t, u64 wait_ns,
				   u64 handle_ns)
{
	/* pairs with the WRITE_ONCE() of @hist_epoch in kth_hist_reset() */
	unsigned int epoch = READ_ONCE(t->hist_epoch);

	if (unlikely(epoch != t->hist_seen_epoch))
		kth_hist_restart(t, epoch);
	kth_hist_add(&t->wait_hist, wait_ns);
	kth_hist_add(&t->handle_hist, handle_ns);
}

/* core.c */
extern struct kset *kth_kset;
void kth_log_stats(struct kth_thread *t, const char *why);

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

#endif /* _KTH_THREAD_H */
