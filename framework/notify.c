// SPDX-License-Identifier: GPL-2.0
/*
 * notify.c - the notification sinks: a user-mode helper and a uevent,
 * both fed from one environment the handler builds with kth_env_*().
 *
 * Helper runs are rate-limited here by a token bucket: a burst, then a
 * steady rate; runs over the limit are counted as suppressed, and the
 * next run let through, and its uevent, carry KTH_SUPPRESSED=<n>.  What
 * a run does after that, and how it ends, is helper.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include "kth_thread.h"
#include "kth_trace.h"

#define KTH_DEFAULT_BURST	10
#define KTH_DEFAULT_RATE	5

/* Set the bucket for @burst runs, then @rate per second; starts full. */
void kth_rate_init(struct kth_thread *t, unsigned int burst,
		   unsigned int rate)
{
	t->rate_burst = burst ? burst : KTH_DEFAULT_BURST;
	t->rate_per_sec = rate ? rate : KTH_DEFAULT_RATE;
	t->rate_cost_ns = NSEC_PER_SEC / t->rate_per_sec;
	t->rate_capacity_ns = t->rate_cost_ns * t->rate_burst;
	t->rate_credit_ns = t->rate_capacity_ns;
	t->rate_last_ns = ktime_get_ns();
}

/* Take one token; false if the helper must be suppressed. */
static bool kth_rate_allow(struct kth_thread *t)
{
	u64 now = ktime_get_ns();

	t->rate_credit_ns = min(t->rate_capacity_ns,
				t->rate_credit_ns + (now - t->rate_last_ns));
	t->rate_last_ns = now;
	if (t->rate_credit_ns < t->rate_cost_ns)
		return false;
	t->rate_credit_ns -= t->rate_cost_ns;
	return true;
}

/*
 * kth_helper_validate() - is this an acceptable helper path?
 * @path: candidate, not necessarily NUL-terminated
 * @len: its length
 *
 * Return: 0 if @path is empty (helper off) or an absolute path shorter
 * than %KTH_HELPER_MAX of printable characters; -EINVAL otherwise.
 */
static int kth_helper_validate(const char *path, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	if (path[0] != '/' || len >= KTH_HELPER_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (path[i] < 0x21 || path[i] > 0x7e)
			return -EINVAL;
	return 0;
}

/*
 * kth_set_helper() on the @len bytes at @buf, which need not end in a NUL
 * (a sysfs write).  Each error is logged and changes nothing.
 */
int kth_set_helper_buf(struct kth_thread *t, const char *buf, size_t len)
{
	const char *dispatcher = kth_helper_dispatcher();
	char path[KTH_HELPER_MAX];
	int ret;

	if (kth_helper_validate(buf, len)) {
		kth_err(t, "%s: helper must be empty or an absolute path of at most %d printable characters without spaces\n",
			t->name, KTH_HELPER_MAX - 1);
		return -EINVAL;
	}
	if (len)
		memcpy(path, buf, len);
	path[len] = '\0';
	if (len && kth_helper_none()) {
		kth_err(t, "%s: helper %s refused: this kernel runs no user-mode helpers (CONFIG_STATIC_USERMODEHELPER with an empty CONFIG_STATIC_USERMODEHELPER_PATH); use the uevent sink\n",
			t->name, path);
		return -EOPNOTSUPP;
	}
	if (len) {
		ret = kth_helper_check(t, path, false);
		if (ret)
			return ret;
	}
	if (len && dispatcher)
		kth_info(t, "%s: helper %s runs through this kernel's dispatcher %s (CONFIG_STATIC_USERMODEHELPER), which gets it as argv[0]; outcomes are the dispatcher's\n",
			 t->name, path, dispatcher);
	mutex_lock(&t->config_lock);
	memcpy(t->helper, path, len + 1);
	mutex_unlock(&t->config_lock);
	return 0;
}

/**
 * kth_set_helper() - set or clear the user-mode helper
 * @t: the thread
 * @path: absolute path, or NULL or "" to turn the helper off
 *
 * The helper must be a regular executable file owned by root and not
 * writable by group or others, in directories that are the same, all the
 * way up (kth_helper_check()).
 *
 * Context: Process context; sleeps (takes a mutex, looks the path up).
 * Return: 0; -EINVAL if @path is not an absolute path of at most
 * %KTH_HELPER_MAX - 1 printable characters without spaces; -ENOENT,
 * -EACCES or -EPERM if the file is missing, not executable or unsafe;
 * -EOPNOTSUPP if this kernel runs no helpers.  Each error is logged and
 * changes nothing.
 */
int kth_set_helper(struct kth_thread *t, const char *path)
{
	return kth_set_helper_buf(t, path, path ? strlen(path) : 0);
}
EXPORT_SYMBOL_NS_GPL(kth_set_helper, KTH_NS);

/**
 * kth_set_uevent() - turn the uevent sink on or off
 * @t: the thread
 * @on: send a KOBJ_CHANGE uevent for every notification
 *
 * Context: Any context.
 */
void kth_set_uevent(struct kth_thread *t, bool on)
{
	WRITE_ONCE(t->uevent, on);
}
EXPORT_SYMBOL_NS_GPL(kth_set_uevent, KTH_NS);

static bool kth_event_name_valid(const char *event)
{
	size_t len = strlen(event);

	if (!len || len >= sizeof(((struct kth_env *)NULL)->event))
		return false;
	return strspn(event, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

/**
 * kth_env_begin() - start the notification environment for one event
 * @t: the thread (called from its handler)
 * @ev: the event being handled
 * @event: the event's name, for example "add": 1 to 31 characters out of
 *	[a-z0-9-]; passed to the helper as argv[1], ACTION and KTH_EVENT
 *
 * Fills in HOME, PATH, KTH_THREAD, KTH_EVENT and KTH_SEQ.  The
 * environment lives in the thread; no allocation.
 *
 * Context: The thread's handler only.
 * Return: the environment, to extend with kth_env_add() and friends and
 * hand to kth_notify().
 */
struct kth_env *kth_env_begin(struct kth_thread *t,
			      const struct kth_event *ev, const char *event)
{
	struct kth_env *env = &t->env;

	env->count = 0;
	env->used = 0;
	env->error = 0;
	env->envp[0] = NULL;
	if (!kth_event_name_valid(event)) {
		kth_err_ratelimited(t, "%s: event name must be 1-31 characters of [a-z0-9-]\n",
				    t->name);
		env->error = -EINVAL;
		return env;
	}
	strscpy(env->event, event, sizeof(env->event));
	kth_env_add(env, "ACTION=%s", event);
	kth_env_add(env, "HOME=/");
	kth_env_add(env, "PATH=/sbin:/bin:/usr/sbin:/usr/bin");
	kth_env_add(env, "KTH_THREAD=%s", t->name);
	kth_env_add(env, "KTH_EVENT=%s", event);
	kth_env_add(env, "KTH_SEQ=%llu", ev->seq);
	return env;
}
EXPORT_SYMBOL_NS_GPL(kth_env_begin, KTH_NS);

/*
 * Add a variable; the driver's may not use the last
 * KTH_ENV_RESERVED_SLOTS slots and KTH_ENV_RESERVED_BYTES bytes, which
 * kth_notify() keeps for its own (@reserved true).
 */
static __printf(3, 0) int kth_env_vadd(struct kth_env *env, bool reserved,
				       const char *fmt, va_list args)
{
	size_t bytes = sizeof(env->buf) -
		       (reserved ? 0 : KTH_ENV_RESERVED_BYTES);
	unsigned int slots = KTH_ENV_SLOTS -
			     (reserved ? 0 : KTH_ENV_RESERVED_SLOTS);
	size_t room = bytes - min(bytes, env->used);
	char *slot = env->buf + env->used;
	int len;

	if (env->error)
		return env->error;
	if (env->count >= slots || !room) {
		env->error = -E2BIG;
		return env->error;
	}
	len = vsnprintf(slot, room, fmt, args);
	if (len >= room) {
		env->error = -E2BIG;
		return env->error;
	}
	env->envp[env->count++] = slot;
	env->envp[env->count] = NULL;
	env->used += len + 1;
	return 0;
}

/**
 * kth_env_add() - add a trusted "KEY=value" variable
 * @env: from kth_env_begin()
 * @fmt: printf format producing "KEY=value"; the value must not come from
 *	a device or from user space (use kth_env_add_untrusted() for that)
 *
 * Context: The thread's handler only.
 * Return: 0, or -E2BIG when the environment is full; the first error is
 * remembered and returned again by kth_notify().
 */
int kth_env_add(struct kth_env *env, const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = kth_env_vadd(env, false, fmt, args);
	va_end(args);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kth_env_add, KTH_NS);

/* kth_env_add() into the room kept for the framework. */
static __printf(2, 3) int kth_env_add_reserved(struct kth_env *env,
					       const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = kth_env_vadd(env, true, fmt, args);
	va_end(args);
	return ret;
}

/**
 * kth_env_add_untrusted() - add "KEY=value" with a sanitised value
 * @env: from kth_env_begin()
 * @key: variable name (trusted, a constant of the driver's)
 * @value: untrusted bytes, for example a USB serial number; NULL adds an
 *	empty value
 * @len: at most this many bytes of @value are read
 *
 * The value goes through kth_sanitize() and is cut to
 * %KTH_UNTRUSTED_MAX - 1 characters.
 *
 * Context: The thread's handler only.
 * Return: 0, or -E2BIG when the environment is full.
 */
int kth_env_add_untrusted(struct kth_env *env, const char *key,
			  const char *value, size_t len)
{
	char clean[KTH_UNTRUSTED_MAX];

	kth_sanitize(clean, sizeof(clean), value ? value : "",
		     value ? len : 0);
	return kth_env_add(env, "%s=%s", key, clean);
}
EXPORT_SYMBOL_NS_GPL(kth_env_add_untrusted, KTH_NS);

/**
 * kth_set_helper_rate() - change the helper's rate limit
 * @t: the thread
 * @burst: runs allowed back to back, 1..%KTH_HELPER_RATE_MAX
 * @rate: runs allowed per second after the burst, 1..%KTH_HELPER_RATE_MAX
 *
 * The bucket starts full again.
 *
 * Context: Process context; sleeps (takes a mutex).
 * Return: 0, or -EINVAL (logged) if a value is out of range.
 */
int kth_set_helper_rate(struct kth_thread *t, unsigned int burst,
			unsigned int rate)
{
	if (!burst || !rate || burst > KTH_HELPER_RATE_MAX ||
	    rate > KTH_HELPER_RATE_MAX) {
		kth_err(t, "%s: helper burst and rate must be 1..%d\n", t->name,
			KTH_HELPER_RATE_MAX);
		return -EINVAL;
	}
	mutex_lock(&t->config_lock);
	kth_rate_init(t, burst, rate);
	mutex_unlock(&t->config_lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kth_set_helper_rate, KTH_NS);

/*
 * The helper's part of a notification: suppressed by the rate limit, or
 * handed to helper.c with KTH_SUPPRESSED if runs were suppressed since
 * the last one.
 */
static void kth_run_helper(struct kth_thread *t, struct kth_env *env)
{
	unsigned int missed;
	bool allowed;

	mutex_lock(&t->config_lock);
	strscpy(env->helper, t->helper, sizeof(env->helper));
	allowed = env->helper[0] && kth_rate_allow(t);
	mutex_unlock(&t->config_lock);
	if (!env->helper[0])
		return;
	if (!allowed) {
		kth_helper_suppressed(t, env->event);
		return;
	}
	missed = t->helpers.suppressed_since;
	if (missed) {
		/* the room is reserved: this cannot fail */
		kth_env_add_reserved(env, "KTH_SUPPRESSED=%u", missed);
		t->helpers.suppressed_since = 0;
	}
	kth_helper_submit(t, env, env->helper);
}

static void kth_send_uevent(struct kth_thread *t, struct kth_env *env)
{
	int ret;

	if (!READ_ONCE(t->uevent))
		return;
	/* skip envp[0], "ACTION=": the kernel sets a uevent's own ACTION */
	ret = kobject_uevent_env(&t->kobj, KOBJ_CHANGE, &env->envp[1]);
	if (ret) {
		WRITE_ONCE(t->uevent_failures, t->uevent_failures + 1);
		trace_kth_uevent(t, t->cur_seq, env->event, KTH_NOTIFY_FAILED,
				 ret);
		kth_warn_ratelimited(t, "%s: uevent failed: %d\n", t->name, ret);
		return;
	}
	WRITE_ONCE(t->uevents, t->uevents + 1);
	trace_kth_uevent(t, t->cur_seq, env->event, KTH_NOTIFY_SENT, 0);
}

/**
 * kth_notify() - run the helper and send the uevent for one event
 * @t: the thread (called from its handler)
 * @env: from kth_env_begin(), with the driver's identity codes added
 *
 * The helper runs as {helper, event} with @env if a helper is set and the
 * rate limit allows; the uevent is sent if enabled.  Neither waits for
 * the helper's run time: how each run ends is counted (helper.c).  If
 * runs were suppressed since the last one, both carry
 * KTH_SUPPRESSED=<how many>.
 *
 * Context: The thread's handler only; sleeps.
 * Return: 0, or the first error met while building @env (nothing is
 * sent then).  Helper failures are counted, not returned.
 */
int kth_notify(struct kth_thread *t, struct kth_env *env)
{
	if (env->error) {
		kth_err_ratelimited(t, "%s: notification not sent: environment error %d\n",
				    t->name, env->error);
		return env->error;
	}
	kth_run_helper(t, env);
	kth_send_uevent(t, env);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kth_notify, KTH_NS);
