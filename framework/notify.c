// SPDX-License-Identifier: GPL-2.0
/*
 * notify.c - the notification sinks: a user-mode helper and a uevent,
 * both fed from one environment the handler builds with kth_env_*().
 *
 * The helper is started with UMH_WAIT_EXEC: the thread waits for the exec
 * (so that a missing program is counted as a failure) but never for the
 * program's run time, so a helper that hangs blocks neither the thread
 * nor kth_stop() nor module unload.  Runs are rate-limited by a token
 * bucket: a burst, then a steady rate; runs over the limit are counted as
 * suppressed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/umh.h>
#include "kth_internal.h"
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

/**
 * kth_helper_validate() - is this an acceptable helper path?
 * @path: candidate, not necessarily NUL-terminated
 * @len: its length
 *
 * Return: 0 if @path is empty (helper off) or an absolute path shorter
 * than %KTH_HELPER_MAX of printable characters; -EINVAL otherwise.
 */
int kth_helper_validate(const char *path, size_t len)
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

/**
 * kth_set_helper() - set or clear the user-mode helper
 * @t: the thread
 * @path: absolute path, or NULL or "" to turn the helper off
 *
 * Context: Process context; sleeps (takes a mutex).
 * Return: 0, or -EINVAL (logged) if @path is not an absolute path of at
 * most %KTH_HELPER_MAX - 1 printable characters without spaces.
 */
int kth_set_helper(struct kth_thread *t, const char *path)
{
	size_t len = path ? strlen(path) : 0;

	if (kth_helper_validate(path, len)) {
		kth_err(t, "%s: helper must be empty or an absolute path of at most %d printable characters without spaces\n",
			t->name, KTH_HELPER_MAX - 1);
		return -EINVAL;
	}
	mutex_lock(&t->config_lock);
	memcpy(t->helper, path, len);
	t->helper[len] = '\0';
	mutex_unlock(&t->config_lock);
	return 0;
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

static __printf(2, 0) int kth_env_vadd(struct kth_env *env, const char *fmt,
					va_list args)
{
	size_t room = sizeof(env->buf) - env->used;
	char *slot = env->buf + env->used;
	int len;

	if (env->error)
		return env->error;
	if (env->count >= KTH_ENV_SLOTS) {
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
	ret = kth_env_vadd(env, fmt, args);
	va_end(args);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kth_env_add, KTH_NS);

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

static void kth_run_helper(struct kth_thread *t, struct kth_env *env)
{
	bool allowed;
	int ret;

	mutex_lock(&t->config_lock);
	strscpy(env->helper, t->helper, sizeof(env->helper));
	allowed = env->helper[0] && kth_rate_allow(t);
	mutex_unlock(&t->config_lock);
	if (!env->helper[0])
		return;
	if (!allowed) {
		WRITE_ONCE(t->helper_suppressed, t->helper_suppressed + 1);
		trace_kth_helper(t, t->cur_seq, env->event,
				 KTH_NOTIFY_SUPPRESSED, 0);
		return;
	}
	env->argv[0] = env->helper;
	env->argv[1] = env->event;
	env->argv[2] = NULL;
	ret = call_usermodehelper(env->helper, env->argv, env->envp,
				  UMH_WAIT_EXEC);
	if (ret) {
		WRITE_ONCE(t->helper_failures, t->helper_failures + 1);
		trace_kth_helper(t, t->cur_seq, env->event, KTH_NOTIFY_FAILED,
				 ret);
		kth_warn_ratelimited(t, "%s: helper %s failed to start: %d\n",
				     t->name, env->helper, ret);
		return;
	}
	WRITE_ONCE(t->helper_runs, t->helper_runs + 1);
	trace_kth_helper(t, t->cur_seq, env->event, KTH_NOTIFY_STARTED, 0);
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
 * the helper's run time.
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
