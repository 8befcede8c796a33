/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_internal.h - the framework's private data, shared by its files.
 */
#ifndef _KTH_INTERNAL_H
#define _KTH_INTERNAL_H

#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <kthelper.h>
#include <kth_compat.h>

/* Bits of kth_thread.sample_flags. */
#define KTH_SAMPLE_BUSY		0	/* a sample hook is running */
#define KTH_SAMPLE_AGAIN	1	/* run it (once more) */

/*
 * The thread takes events off the queue in batches: at most KTH_BATCH, and
 * at most KTH_BATCH_BYTES of them, copied with interrupts off.
 */
#define KTH_BATCH		64
#define KTH_BATCH_BYTES		4096
/* Slots of a notification environment and the bytes behind them. */
#define KTH_ENV_SLOTS		48
#define KTH_ENV_BYTES		1536

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
};

/*
 * struct kth_queue - bounded multi-producer, single-consumer event ring
 * @lock: raw, so posting is safe from hard IRQ and on PREEMPT_RT.
 * @slots: @len slots of @slot_size bytes, each a &struct kth_event.
 * @head: index of the next slot to fill; the oldest is @head - @depth.
 * @waiting: the consumer is going to sleep and needs a wakeup.
 * @posted: every kth_post() call; also the source of sequence numbers.
 * @rejected: posts refused without the lock (counted as dropped too).
 * @in_hand: events the thread has taken but not handled yet (they count
 *	in the depth).
 */
struct kth_queue {
	raw_spinlock_t lock;
	void *slots;
	size_t slot_size;
	u32 len;
	u32 head;
	u32 depth;
	bool waiting;
	enum kth_overflow overflow;
	atomic64_t posted;
	atomic64_t rejected;
	u32 in_hand;
	u64 handled;
	u64 dropped;
	u64 wakeups;
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
 * @ready: completed by the thread once its setup hook has run.
 * @config_lock: protects @helper.
 */
struct kth_thread {
	struct kobject kobj;
	char name[KTH_NAME_MAX + 1];
	const struct kth_ops *ops;
	void *priv;
	size_t event_size;
	unsigned int flags;
	int nice;
	const struct attribute_group **groups;

	struct mutex lifecycle_lock;	/* start, stop, pause, resume */
	struct task_struct *task;
	enum kth_phase phase;
	struct completion ready;
	int setup_result;

	/*
	 * Three cache lines apart: what kth_post() writes on every post
	 * (@queue), what the thread writes on every event it handles (the
	 * batch), and the read-mostly fields above that both read on every
	 * event (@phase, @ops), so that posting and handling at once on two
	 * CPUs do not steal each other's lines.
	 */
	struct kth_queue queue ____cacheline_aligned_in_smp;
	void *batch ____cacheline_aligned_in_smp;	/* the thread's own */
	unsigned int batch_len;	/* room in @batch */
	unsigned int batch_n;	/* events in @batch */
	unsigned int batch_pos;	/* the next one to handle */
	unsigned int batch_accounted;	/* handled ones already counted */

	/* protects helper and rate_* */
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

	/* written by the thread only, read by sysfs */
	u64 helper_runs;
	u64 helper_failures;
	u64 helper_suppressed;
	u64 uevents;

	/* the optional sampler (sampler.c) */
	struct timer_list sample_timer;
	unsigned int sample_ms;
	bool sampling;
	unsigned long sample_flags;	/* KTH_SAMPLE_BUSY, KTH_SAMPLE_AGAIN */
	u64 sample_runs;

	struct kth_env env;
};

/* core.c */
extern struct kset *kth_kset;

/* queue.c */
int kth_queue_init(struct kth_queue *q, unsigned int len, size_t event_size,
		   enum kth_overflow overflow);
void kth_queue_free(struct kth_queue *q);
void kth_queue_discard(struct kth_queue *q);
int kth_queue_next(struct kth_thread *t);
void kth_queue_close(struct kth_thread *t);

/* lifecycle.c */
int kth_thread_fn(void *data);
enum kth_state kth_phase_to_state(enum kth_phase phase);
const char *kth_state_name(enum kth_state state);
bool kth_change_phase(struct kth_thread *t, enum kth_phase from,
		      enum kth_phase to);

/* core.c */
void kth_log_stats(struct kth_thread *t, const char *why);

/* notify.c */
void kth_rate_init(struct kth_thread *t, unsigned int burst,
		   unsigned int rate);
int kth_helper_validate(const char *path, size_t len);

/* sysfs.c */
extern const struct attribute_group *kth_groups[];

/* sampler.c */
void kth_sampler_init(struct kth_thread *t, unsigned int ms);
void kth_sampler_start(struct kth_thread *t);
void kth_sampler_stop(struct kth_thread *t);

/* signals.c */
void kth_allow_signals(void);
bool kth_take_signals(struct kth_thread *t);
bool kth_signal_waiting(void);

#endif /* _KTH_INTERNAL_H */
