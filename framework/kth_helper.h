/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_helper.h - a thread's user-mode helper runs (helper.c).
 */
#ifndef _KTH_HELPER_H
#define _KTH_HELPER_H

#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct kth_config;
struct kth_env;
struct kth_stats;
struct kth_thread;

/*
 * How a helper run ended: exactly one per run.  The index of
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
 * struct kth_helpers - a thread's user-mode helper runs
 *
 * Locking, per field:
 *  L: @lock.  Taken in process context only: the thread, the run works,
 *     the PM notifier, sysfs.
 *  L/R: written under @lock, read without it (READ_ONCE) by
 *     kth_get_stats() and sysfs.
 *  G: written under &kth_thread.config_lock, read with READ_ONCE.
 *  T: the thread only.
 *
 * @pending: L: runs waiting to start, in the order the thread made them.
 * @n_pending: L/R: how many.
 * @running: L/R: runs handed to their work, not yet finished.
 * @paused: L: a system sleep is under way: no run starts (PM notifier).
 * @closed: L: the thread is stopping: no run starts or waits.
 * @idle: woken when @running drops to 0.
 * @timeout_ms, @max_running, @max_pending: G: the limits.
 * @suppressed_since: T: runs suppressed since the last one let through.
 * @outcome, @exec_errno, @deferred, @waited, @last_exit, @last_signal:
 *	L/R: the counters.
 * @pm_nb: the PM notifier that holds runs back around a system sleep.
 */
struct kth_helpers {
	spinlock_t lock;	/* L */
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

#endif /* _KTH_HELPER_H */
