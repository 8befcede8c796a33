/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kthelper - kernel helper threads made easy and correct.
 *
 * A helper thread sleeps until some part of the kernel posts an event
 * (from any context, hard IRQ included), then runs the driver's handler in
 * process context, where it may log, run a user-mode helper or emit a
 * uevent.  The framework owns the thread's lifecycle, the bounded event
 * queue and its accounting, signals, sysfs and the notification sinks.
 *
 * See Documentation/api.rst for the full guide.
 */
#ifndef _KTHELPER_H
#define _KTHELPER_H

#include <linux/compiler.h>
#include <linux/bits.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <linux/ratelimit.h>
#include <linux/types.h>
#include <kth_compat.h>

struct attribute_group;
struct kobject;
struct kth_thread;
struct kth_env;

/* Longest thread name: a task name holds 15 characters. */
#define KTH_NAME_MAX		15
/* Longest helper path, terminating NUL included. */
#define KTH_HELPER_MAX		256
/* Largest event payload and queue a thread may ask for. */
#define KTH_EVENT_SIZE_MAX	4096
#define KTH_QUEUE_LEN_MAX	65536
/* Largest helper burst and rate (runs per second). */
#define KTH_HELPER_RATE_MAX	100000
/*
 * A helper run's time limit in milliseconds: the default, and the range
 * (below the kernel's 120 s hung-task warning, which a stop waiting for
 * a helper must never reach).
 */
#define KTH_HELPER_TIMEOUT_MS		10000
#define KTH_HELPER_TIMEOUT_MS_MIN	10
#define KTH_HELPER_TIMEOUT_MS_MAX	60000
/* Runs of one thread at once, and runs waiting to start: default, most. */
#define KTH_HELPER_RUNNING		4
#define KTH_HELPER_RUNNING_MAX		64
#define KTH_HELPER_PENDING		64
#define KTH_HELPER_PENDING_MAX		4096
/* Longest sample period, in milliseconds (one hour). */
#define KTH_SAMPLE_MS_MAX	3600000
/* Longest sanitised string put into a notification environment. */
#define KTH_UNTRUSTED_MAX	128
/* A driver's metrics: most per thread, longest name, most label values. */
#define KTH_METRICS_MAX		32
#define KTH_METRIC_NAME_MAX	32
#define KTH_METRIC_VALUES_MAX	32

/**
 * enum kth_overflow - what kth_post() does when the queue is full
 * @KTH_DROP_NEWEST: the event being posted is dropped.
 * @KTH_DROP_OLDEST: the oldest queued event is dropped to make room: the
 *	queue keeps the newest queue_len posts, whichever CPU made them.
 *
 * Either way the drop is counted, so that at any quiet moment
 * posted == handled + dropped + depth.
 */
enum kth_overflow {
	KTH_DROP_NEWEST,
	KTH_DROP_OLDEST,
};

/**
 * enum kth_state - lifecycle state of a helper thread
 * @KTH_STOPPED: no thread runs; posts are rejected and counted as dropped.
 * @KTH_RUNNING: the thread handles events as they come.
 * @KTH_PAUSED: the thread sleeps; posts queue up to the bound.
 */
enum kth_state {
	KTH_STOPPED,
	KTH_RUNNING,
	KTH_PAUSED,
};

/* Flags for &struct kth_config.flags. */
/* Root may signal the thread: TERM, KILL, HUP, STOP, CONT, USR1. */
#define KTH_SIGNALS	BIT(0)
/* Every notification is also sent as a KOBJ_CHANGE uevent. */
#define KTH_UEVENT	BIT(1)
/* Every flag kth_create() knows. */
#define KTH_FLAGS_ALL	(KTH_SIGNALS | KTH_UEVENT)

/**
 * struct kth_event - one event as the handler sees it
 * @seq: sequence number, 1 for the first kth_post() on this thread; every
 *	post takes one, dropped or not, so a gap shows a drop.
 * @timestamp_ns: time of the post, local_clock() (nanoseconds since boot,
 *	the clock of printk and ftrace): cheap, monotonic on one CPU,
 *	within a tick across CPUs.
 * @len: number of payload bytes the poster supplied.
 * @data: the payload, copied at post time, aligned for any type.
 */
struct kth_event {
	u64 seq;
	u64 timestamp_ns;
	u32 len;
	u8 data[] __aligned(8);
};

/**
 * struct kth_ops - a driver's hooks; every one of them is optional
 * @setup: runs first in the new thread; a non-zero return makes
 *	kth_start() fail with that error.  Process context, may sleep.
 * @handle: runs once per event, in post order.  Process context, may
 *	sleep; must not call kth_stop() or kth_destroy() on its own thread.
 * @teardown: runs last in the thread when it stops for any reason after
 *	a successful @setup.  Process context, may sleep.
 * @reload: runs in the thread when root sends it SIGHUP, between events:
 *	re-read parameters here.  Process context, may sleep.
 * @sample: with &kth_config.sample_ms, runs every sample_ms while the
 *	thread runs or is paused (posts queue up then), from a deferrable
 *	timer (softirq context), and at once on kth_sample_now() (in its
 *	caller's context): look at a level, kth_post() when it crosses a
 *	line.  Must not sleep.  Samples never overlap one another, so the
 *	hook's own state needs no lock.
 */
struct kth_ops {
	int (*setup)(struct kth_thread *t);
	void (*handle)(struct kth_thread *t, const struct kth_event *ev);
	void (*teardown)(struct kth_thread *t);
	void (*reload)(struct kth_thread *t);
	void (*sample)(struct kth_thread *t);
};

/**
 * enum kth_metric_type - what kind of figure a driver's metric is
 * @KTH_GAUGE: a level that goes up and down (a count of devices, a
 *	percentage); Prometheus's gauge.
 * @KTH_COUNTER: a count that only goes up from 0 while the thread exists
 *	(alerts sent, drops seen); Prometheus's counter, shown with the
 *	``_total`` suffix there.
 */
enum kth_metric_type {
	KTH_GAUGE,
	KTH_COUNTER,
};

/**
 * struct kth_metric - one of a driver's own figures, declared once
 * @name: 1 to %KTH_METRIC_NAME_MAX characters, [a-z] then [a-z0-9_];
 *	not ``schema``; a counter's does not end in ``_total``.  The file
 *	/sys/kernel/kthelper/<thread>/metrics/<name>, and in Prometheus
 *	``kthelper_<module>_<name>`` (``kth_`` left off the module's name).
 * @type: %KTH_GAUGE or %KTH_COUNTER.
 * @help: one line for an operator: what it counts, in which unit.
 * @label: NULL for a metric of one value; else the name of its one label
 *	([a-z] then [a-z0-9_]), such as ``proto``.
 * @values: with @label, the label's values, NULL-terminated, 1 to
 *	%KTH_METRIC_VALUES_MAX of [a-z0-9_.-]: one value of the metric
 *	each, its *series*, numbered from 0 in this order.
 *
 * Declare them as a static const array and give it to
 * &kth_config.metrics; set them with kth_metric_set(), kth_metric_add()
 * and kth_metric_select().
 */
struct kth_metric {
	const char *name;
	enum kth_metric_type type;
	const char *help;
	const char *label;
	const char *const *values;
};

#define KTH_METRIC(_name, _type, _help)					\
	{ .name = (_name), .type = (_type), .help = (_help) }
#define KTH_METRIC_LABELLED(_name, _type, _help, _label, _values)	\
	{ .name = (_name), .type = (_type), .help = (_help),		\
	  .label = (_label), .values = (_values) }

/**
 * struct kth_config - how to create a helper thread
 * @name: thread name, shown by ps and used as the sysfs directory; 1 to
 *	%KTH_NAME_MAX characters out of [a-z0-9_].
 * @ops: the driver's hooks.
 * @priv: driver data, returned by kth_priv().
 * @event_size: largest payload kth_post() accepts, 1..%KTH_EVENT_SIZE_MAX.
 * @queue_len: the queue's bound, all CPUs together, 1..%KTH_QUEUE_LEN_MAX
 *	(each possible CPU gets a ring of that many slots).
 * @overflow: what to drop when the queue is full.
 * @flags: %KTH_SIGNALS, %KTH_UEVENT.
 * @helper: absolute path of the user-mode helper, or NULL or "" for none.
 * @helper_burst: helper runs allowed back to back (0 means 10), at most
 *	%KTH_HELPER_RATE_MAX.
 * @helper_rate: helper runs allowed per second after the burst (0 means 5),
 *	at most %KTH_HELPER_RATE_MAX.
 * @helper_timeout_ms: a run still going after this long is killed and
 *	counted as timed out (0 means %KTH_HELPER_TIMEOUT_MS), in
 *	%KTH_HELPER_TIMEOUT_MS_MIN..%KTH_HELPER_TIMEOUT_MS_MAX.
 * @helper_max_running: runs of this thread at once (0 means
 *	%KTH_HELPER_RUNNING), at most %KTH_HELPER_RUNNING_MAX; more wait.
 * @helper_max_pending: runs that may wait to start (0 means
 *	%KTH_HELPER_PENDING), at most %KTH_HELPER_PENDING_MAX; more are
 *	dropped and counted.
 * @sample_ms: period of the sample hook in milliseconds, 0 for none, at
 *	most %KTH_SAMPLE_MS_MAX.
 * @nice: the thread's nice value, -20..19 (0 by default); -20 is what
 *	system_highpri_wq's workers run at, for a handler that must start
 *	soon after a post even on a busy CPU.
 * @cpus: the CPUs the thread may run on, or NULL for any (the default);
 *	copied.  Name the CPU your events are posted from (the interrupt's)
 *	when the time from post to handler matters: the post then wakes the
 *	thread on the CPU it runs on, as a per-CPU workqueue's work runs
 *	where it was queued, instead of waking another, idle CPU.  Each
 *	kth_start() applies it; it must hold a possible CPU.  If all of them
 *	go offline, the scheduler lets the thread run on any CPU until its
 *	next start.
 * @groups: the driver's own attributes, NULL-terminated, added to
 *	/sys/kernel/kthelper/<name>/ (a ``trigger`` file, say); their show
 *	and store get the thread's kobject: kth_from_kobj() turns it into
 *	the thread.  kth_destroy() removes them, waiting for calls in
 *	progress, before it stops the thread, so they are safe at unload.
 * @metrics: the driver's own figures, @n_metrics of them (at most
 *	%KTH_METRICS_MAX), or NULL: the framework shows them in
 *	/sys/kernel/kthelper/<name>/metrics/ and ``kthctl metrics`` in
 *	Prometheus's format.  Not copied: a static const array.  Each
 *	value starts at 0.
 * @n_metrics: how many @metrics there are (ARRAY_SIZE()).
 */
struct kth_config {
	const char *name;
	const struct kth_ops *ops;
	void *priv;
	size_t event_size;
	unsigned int queue_len;
	enum kth_overflow overflow;
	unsigned int flags;
	const char *helper;
	unsigned int helper_burst;
	unsigned int helper_rate;
	unsigned int helper_timeout_ms;
	unsigned int helper_max_running;
	unsigned int helper_max_pending;
	unsigned int sample_ms;
	int nice;
	const struct attribute_group **groups;
	const struct cpumask *cpus;
	const struct kth_metric *metrics;
	unsigned int n_metrics;
};

/**
 * struct kth_stats - a thread's counters, exact at any quiet moment
 * @posted: kth_post() calls, accepted or not.
 * @handled: events whose handler has returned.
 * @dropped: events rejected, evicted or discarded at stop: the sum of
 *	the four that follow.
 * @dropped_full: posts refused because the queue was full
 *	(%KTH_DROP_NEWEST; kth_post() returned -ENOSPC).
 * @dropped_evicted: queued events evicted to make room for newer ones
 *	(%KTH_DROP_OLDEST).
 * @dropped_stopped: posts refused because the thread was stopped or
 *	stopping (kth_post() returned -ESHUTDOWN).
 * @dropped_killed: queued events discarded, never handled, because the
 *	thread stopped: SIGKILL, kth_stop(), ``stop`` through sysfs, unload.
 * @depth: events waiting in the queue.
 * @wakeups: times a post woke the sleeping thread.
 * @helper_runs: helper runs that started and have ended: the sum of
 *	@helper_exited, @helper_exited_nonzero, @helper_killed and
 *	@helper_timeouts.
 * @helper_failures: helper runs that never started: the sum of
 *	@helper_exec_failed, @helper_refused and @helper_not_run.
 * @helper_suppressed: helper runs skipped by the rate limit.
 * @helper_exited: runs that exited with status 0.
 * @helper_exited_nonzero: runs that exited with status 1..255; the last
 *	one's is @helper_last_exit.
 * @helper_killed: runs killed by a signal that kthelper did not send;
 *	the last one's is @helper_last_signal.
 * @helper_timeouts: runs killed because they outlived helper_timeout_ms.
 * @helper_exec_failed: runs whose exec failed: the sum of the five
 *	that follow, by errno.
 * @helper_exec_enoent: ... with -ENOENT (no such file).
 * @helper_exec_eacces: ... with -EACCES (not executable, noexec mount).
 * @helper_exec_enoexec: ... with -ENOEXEC (not a format the kernel runs).
 * @helper_exec_enomem: ... with -ENOMEM.
 * @helper_exec_other: ... with any other errno.
 * @helper_refused: runs refused because the helper or a directory above
 *	it is no longer owned by root or is writable by group or others.
 * @helper_not_run: runs this kernel cannot make (CONFIG_STATIC_USERMODEHELPER
 *	with an empty path).
 * @helper_dropped: runs dropped: more than helper_max_pending waited, or
 *	the thread stopped while they waited.
 * @helper_deferred: runs held back by a system sleep, then run (and
 *	counted again by their outcome).
 * @helper_waited: runs that waited for helper_max_running to allow them.
 * @helper_running: runs under way now.
 * @helper_pending: runs waiting to start now.
 * @helper_last_exit: the last non-zero exit status, 0 if none.
 * @helper_last_signal: the signal of the last @helper_killed, 0 if none.
 * @uevents: uevents sent.
 * @uevent_failures: uevents the kernel could not send.
 * @sample_runs: times the sample hook ran.
 */
struct kth_stats {
	u64 posted;
	u64 handled;
	u64 dropped;
	u64 dropped_full;
	u64 dropped_evicted;
	u64 dropped_stopped;
	u64 dropped_killed;
	u64 depth;
	u64 wakeups;
	u64 helper_runs;
	u64 helper_failures;
	u64 helper_suppressed;
	u64 helper_exited;
	u64 helper_exited_nonzero;
	u64 helper_killed;
	u64 helper_timeouts;
	u64 helper_exec_failed;
	u64 helper_exec_enoent;
	u64 helper_exec_eacces;
	u64 helper_exec_enoexec;
	u64 helper_exec_enomem;
	u64 helper_exec_other;
	u64 helper_refused;
	u64 helper_not_run;
	u64 helper_dropped;
	u64 helper_deferred;
	u64 helper_waited;
	u64 helper_running;
	u64 helper_pending;
	u64 helper_last_exit;
	u64 helper_last_signal;
	u64 uevents;
	u64 uevent_failures;
	u64 sample_runs;
};

struct module;
struct kth_thread *__kth_create(const struct kth_config *cfg,
				struct module *owner);
/**
 * kth_create() - create a helper thread, stopped
 * @cfg: configuration; copied, it need not outlive the call
 *
 * Allocates the queue and every buffer the thread will need, and creates
 * /sys/kernel/kthelper/<name>/, whose ``module`` file names the calling
 * module.  Start the thread with kth_start().  Invalid configuration is
 * refused with one kernel-log line saying what is allowed.
 *
 * Context: Process context; sleeps.
 * Return: the thread, or ERR_PTR(-EINVAL) for a bad @cfg (including a bad
 * helper path), ERR_PTR(-EEXIST) if the name is taken, ERR_PTR(-ENOMEM).
 */
#define kth_create(cfg)	__kth_create(cfg, THIS_MODULE)
void kth_destroy(struct kth_thread *t);
int kth_start(struct kth_thread *t);
void kth_stop(struct kth_thread *t);
int kth_pause(struct kth_thread *t);
int kth_resume(struct kth_thread *t);

int kth_post(struct kth_thread *t, const void *data, size_t len);

enum kth_state kth_get_state(struct kth_thread *t);
void kth_get_stats(struct kth_thread *t, struct kth_stats *stats);
/*
 * struct kth_thread_head - the start of every &struct kth_thread, which
 * is otherwise private: what a driver reads inline, once per event.
 * @priv: &kth_config.priv.
 */
struct kth_thread_head {
	void *priv;
};

/**
 * kth_priv() - the driver data given in &struct kth_config.priv
 * @t: the thread
 *
 * Inline: a handler calls it for every event.
 *
 * Context: Any context.
 * Return: the pointer.
 */
static inline void *kth_priv(const struct kth_thread *t)
{
	return ((const struct kth_thread_head *)t)->priv;
}

struct kth_thread *kth_from_kobj(struct kobject *kobj);
const char *kth_name(const struct kth_thread *t);
int kth_set_helper(struct kth_thread *t, const char *path);
int kth_set_helper_limits(struct kth_thread *t, unsigned int timeout_ms,
			  unsigned int max_running, unsigned int max_pending);
int kth_set_helper_rate(struct kth_thread *t, unsigned int burst,
			unsigned int rate);
void kth_set_uevent(struct kth_thread *t, bool on);
int kth_set_sample_period(struct kth_thread *t, unsigned int ms);
void kth_sample_now(struct kth_thread *t);

struct kth_env *kth_env_begin(struct kth_thread *t,
			      const struct kth_event *ev, const char *event);
__printf(2, 3) int kth_env_add(struct kth_env *env, const char *fmt, ...);
int kth_env_add_untrusted(struct kth_env *env, const char *key,
			  const char *value, size_t len);
int kth_notify(struct kth_thread *t, struct kth_env *env);

size_t kth_sanitize(char *dst, size_t size, const char *src, size_t len);

void kth_metric_set(struct kth_thread *t, unsigned int metric,
		    unsigned int series, s64 value);
void kth_metric_add(struct kth_thread *t, unsigned int metric,
		    unsigned int series, s64 delta);
void kth_metric_select(struct kth_thread *t, unsigned int metric,
		       unsigned int series);

__printf(3, 4) void kth_printk(const struct kth_thread *t, int level,
			       const char *fmt, ...);

/*
 * kth_err(), kth_warn(), kth_notice(), kth_info(): a kernel-log line about
 * thread @t, with the caller's pr_fmt() prefix, as pr_err() and friends
 * print it, and the thread's device attached, so that the journal gives
 * it _KERNEL_SUBSYSTEM=kthelper and _KERNEL_DEVICE=+kthelper:<thread>.
 * Any context.  The _ratelimited forms print at most 10 lines in 5 s per
 * call site, as printk_ratelimited() does, but never lose one of those
 * 10 to two CPUs logging at the same time.
 */
#define kth_err(t, fmt, ...)						\
	kth_printk(t, LOGLEVEL_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define kth_warn(t, fmt, ...)						\
	kth_printk(t, LOGLEVEL_WARNING, pr_fmt(fmt), ##__VA_ARGS__)
#define kth_notice(t, fmt, ...)						\
	kth_printk(t, LOGLEVEL_NOTICE, pr_fmt(fmt), ##__VA_ARGS__)
#define kth_info(t, fmt, ...)						\
	kth_printk(t, LOGLEVEL_INFO, pr_fmt(fmt), ##__VA_ARGS__)

/*
 * __ratelimit() only try-locks its state and reports "too many" when it
 * loses the race, so two CPUs logging at once could lose a line well
 * within the burst.  The call site's own lock makes the count exact.
 */
#define kth_printk_ratelimited(t, level, fmt, ...)			\
({									\
	static DEFINE_RATELIMIT_STATE(_kth_rs,				\
				      DEFAULT_RATELIMIT_INTERVAL,	\
				      DEFAULT_RATELIMIT_BURST);		\
	static DEFINE_RAW_SPINLOCK(_kth_rs_lock);			\
	unsigned long _kth_flags;					\
	int _kth_ok;							\
									\
	raw_spin_lock_irqsave(&_kth_rs_lock, _kth_flags);		\
	_kth_ok = __ratelimit(&_kth_rs);				\
	raw_spin_unlock_irqrestore(&_kth_rs_lock, _kth_flags);		\
	if (_kth_ok)							\
		kth_printk(t, level, pr_fmt(fmt), ##__VA_ARGS__);	\
})
#define kth_err_ratelimited(t, fmt, ...)				\
	kth_printk_ratelimited(t, LOGLEVEL_ERR, fmt, ##__VA_ARGS__)
#define kth_warn_ratelimited(t, fmt, ...)				\
	kth_printk_ratelimited(t, LOGLEVEL_WARNING, fmt, ##__VA_ARGS__)
#define kth_info_ratelimited(t, fmt, ...)				\
	kth_printk_ratelimited(t, LOGLEVEL_INFO, fmt, ##__VA_ARGS__)

#endif /* _KTHELPER_H */
