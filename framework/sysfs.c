// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - /sys/kernel/kthelper/<thread>/
 *
 *   state      running | paused | stopped
 *   pid        the thread's pid, 0 when stopped
 *   posted handled dropped depth queue_len wakeups
 *   dropped_{full,evicted,stopped,killed}   dropped, by cause
 *   helper     (rw, root) absolute path of the user-mode helper, or empty
 *   helper_burst helper_rate (rw, root) the helper's rate limit
 *   helper_runs helper_failures helper_suppressed
 *   helper_{exited,exited_nonzero,killed,timeouts,refused,not_run,dropped}
 *   helper_exec_{failed,enoent,eacces,enoexec,enomem,other}
 *   helper_{deferred,waited,running,pending,last_exit,last_signal}
 *              how helper runs ended, and where they are (helper.c)
 *   helper_timeout_ms helper_max_running helper_max_pending (rw, root)
 *   helper_runner  direct | dispatcher | none: what this kernel runs
 *   uevents uevent_failures
 *   sample_ms sample_runs   the sampler's period (0: none) and its runs
 *   module     the module that created the thread
 *   signals    1 if the thread takes the documented signals, else 0
 *   wait_hist handle_hist   log2 histograms of queue wait and handler time
 *   {wait,handle}_{p50,p99,max,sum}_ns, {wait,handle}_count
 *              figures derived from them
 *   control    (w, root) start | stop | pause | resume | reset
 *   metrics/   the driver's own figures (metrics.c), if it declared any
 *
 * A write that is not one of these returns -EINVAL, logs what is allowed
 * and changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "kth_thread.h"

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kth_state_name(kth_get_state(kth_from_kobj(kobj))));
}

static ssize_t pid_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	struct kth_thread *t = kth_from_kobj(kobj);
	pid_t pid = 0;

	raw_spin_lock_irq(&t->ctl_lock);
	if (t->task && kth_phase_to_state(t->phase) != KTH_STOPPED)
		pid = task_pid_nr(t->task);
	raw_spin_unlock_irq(&t->ctl_lock);
	return sysfs_emit(buf, "%d\n", pid);
}

/* A read-only counter: one show function, the field found by offset. */
struct kth_stat_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t kth_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct kth_stat_attr *sa = container_of(attr, struct kth_stat_attr, attr);
	struct kth_stats stats;

	kth_get_stats(kth_from_kobj(kobj), &stats);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((void *)&stats + sa->offset));
}

static ssize_t module_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", kth_from_kobj(kobj)->module);
}

static ssize_t signals_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", !!(kth_from_kobj(kobj)->flags & KTH_SIGNALS));
}

/*
 * A latency figure or histogram: which histogram, and which figure of it
 * (a percentile 1..100, or one of KTH_HIST_MAX ... KTH_HIST_COUNT).
 */
struct kth_hist_attr {
	struct kobj_attribute attr;
	enum kth_hist_kind kind;
	int figure;
};

#define KTH_HIST_MAX	0
#define KTH_HIST_ALL	(-1)
#define KTH_HIST_SUM	(-2)
#define KTH_HIST_COUNT	(-3)

static ssize_t kth_hist_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct kth_hist_attr *ha = container_of(attr, struct kth_hist_attr, attr);
	struct kth_hist h;

	u64 value;

	kth_hist_read(kth_from_kobj(kobj), ha->kind, &h);
	switch (ha->figure) {
	case KTH_HIST_ALL:
		return kth_hist_emit(&h, buf);
	case KTH_HIST_MAX:
		value = h.max;
		break;
	case KTH_HIST_SUM:
		value = h.sum;
		break;
	case KTH_HIST_COUNT:
		value = kth_hist_count(&h);
		break;
	default:
		value = kth_hist_percentile(&h, ha->figure);
	}
	return sysfs_emit(buf, "%llu\n", value);
}

#define KTH_HIST_ATTR(_name, _kind, _figure)				\
static struct kth_hist_attr kth_hist_##_name = {			\
	.attr = __ATTR(_name, 0444, kth_hist_show, NULL),		\
	.kind = _kind,							\
	.figure = _figure,						\
}

KTH_HIST_ATTR(wait_hist, KTH_HIST_WAIT, KTH_HIST_ALL);
KTH_HIST_ATTR(wait_p50_ns, KTH_HIST_WAIT, 50);
KTH_HIST_ATTR(wait_p99_ns, KTH_HIST_WAIT, 99);
KTH_HIST_ATTR(wait_max_ns, KTH_HIST_WAIT, KTH_HIST_MAX);
KTH_HIST_ATTR(wait_sum_ns, KTH_HIST_WAIT, KTH_HIST_SUM);
KTH_HIST_ATTR(wait_count, KTH_HIST_WAIT, KTH_HIST_COUNT);
KTH_HIST_ATTR(handle_hist, KTH_HIST_HANDLE, KTH_HIST_ALL);
KTH_HIST_ATTR(handle_p50_ns, KTH_HIST_HANDLE, 50);
KTH_HIST_ATTR(handle_p99_ns, KTH_HIST_HANDLE, 99);
KTH_HIST_ATTR(handle_max_ns, KTH_HIST_HANDLE, KTH_HIST_MAX);
KTH_HIST_ATTR(handle_sum_ns, KTH_HIST_HANDLE, KTH_HIST_SUM);
KTH_HIST_ATTR(handle_count, KTH_HIST_HANDLE, KTH_HIST_COUNT);

#define KTH_STAT_ATTR(_field)						\
static struct kth_stat_attr kth_stat_##_field = {			\
	.attr = {							\
		.attr = { .name = #_field, .mode = 0444 },		\
		.show = kth_stat_show,					\
	},								\
	.offset = offsetof(struct kth_stats, _field),			\
}

KTH_STAT_ATTR(posted);
KTH_STAT_ATTR(handled);
KTH_STAT_ATTR(dropped);
KTH_STAT_ATTR(dropped_full);
KTH_STAT_ATTR(dropped_evicted);
KTH_STAT_ATTR(dropped_stopped);
KTH_STAT_ATTR(dropped_killed);
KTH_STAT_ATTR(depth);
KTH_STAT_ATTR(wakeups);
KTH_STAT_ATTR(helper_runs);
KTH_STAT_ATTR(helper_failures);
KTH_STAT_ATTR(helper_suppressed);
KTH_STAT_ATTR(uevents);
KTH_STAT_ATTR(uevent_failures);
KTH_STAT_ATTR(sample_runs);
KTH_STAT_ATTR(helper_exited);
KTH_STAT_ATTR(helper_exited_nonzero);
KTH_STAT_ATTR(helper_killed);
KTH_STAT_ATTR(helper_timeouts);
KTH_STAT_ATTR(helper_exec_failed);
KTH_STAT_ATTR(helper_exec_enoent);
KTH_STAT_ATTR(helper_exec_eacces);
KTH_STAT_ATTR(helper_exec_enoexec);
KTH_STAT_ATTR(helper_exec_enomem);
KTH_STAT_ATTR(helper_exec_other);
KTH_STAT_ATTR(helper_refused);
KTH_STAT_ATTR(helper_not_run);
KTH_STAT_ATTR(helper_dropped);
KTH_STAT_ATTR(helper_deferred);
KTH_STAT_ATTR(helper_waited);
KTH_STAT_ATTR(helper_running);
KTH_STAT_ATTR(helper_pending);
KTH_STAT_ATTR(helper_last_exit);
KTH_STAT_ATTR(helper_last_signal);

static ssize_t queue_len_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", kth_from_kobj(kobj)->queue.len);
}

static ssize_t sample_ms_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kth_from_kobj(kobj)->sample_ms));
}

static ssize_t helper_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct kth_thread *t = kth_from_kobj(kobj);
	ssize_t ret;

	mutex_lock(&t->config_lock);
	ret = sysfs_emit(buf, "%s\n", t->helper);
	mutex_unlock(&t->config_lock);
	return ret;
}

static ssize_t helper_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	size_t len = count;

	if (len && buf[len - 1] == '\n')
		len--;
	return kth_set_helper_buf(kth_from_kobj(kobj), buf, len) ?: count;
}

static ssize_t helper_burst_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kth_from_kobj(kobj)->rate_burst));
}

static ssize_t helper_rate_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kth_from_kobj(kobj)->rate_per_sec));
}

/* helper_burst and helper_rate: a number 1..KTH_HELPER_RATE_MAX each */
static ssize_t kth_rate_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	struct kth_thread *t = kth_from_kobj(kobj);
	bool is_burst = !strcmp(attr->attr.name, "helper_burst");
	unsigned int value;
	int ret;

	if (kstrtouint(buf, 10, &value)) {
		kth_err(t, "%s: %s takes a number 1..%d\n", t->name,
			attr->attr.name, KTH_HELPER_RATE_MAX);
		return -EINVAL;
	}
	ret = is_burst ?
	      kth_set_helper_rate(t, value, READ_ONCE(t->rate_per_sec)) :
	      kth_set_helper_rate(t, READ_ONCE(t->rate_burst), value);
	return ret ?: count;
}

static ssize_t helper_runner_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", kth_helper_runner());
}

/* helper_timeout_ms, helper_max_running, helper_max_pending */
static ssize_t kth_limit_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct kth_helpers *h = &kth_from_kobj(kobj)->helpers;
	unsigned int value;

	if (!strcmp(attr->attr.name, "helper_timeout_ms"))
		value = READ_ONCE(h->timeout_ms);
	else if (!strcmp(attr->attr.name, "helper_max_running"))
		value = READ_ONCE(h->max_running);
	else
		value = READ_ONCE(h->max_pending);
	return sysfs_emit(buf, "%u\n", value);
}

static ssize_t kth_limit_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	struct kth_thread *t = kth_from_kobj(kobj);
	struct kth_helpers *h = &t->helpers;
	unsigned int timeout_ms = READ_ONCE(h->timeout_ms);
	unsigned int running = READ_ONCE(h->max_running);
	unsigned int pending = READ_ONCE(h->max_pending);
	unsigned int value;
	int ret;

	if (kstrtouint(buf, 10, &value)) {
		kth_err(t, "%s: %s takes a number (timeout %d..%d ms, running 1..%d, pending 1..%d)\n",
			t->name, attr->attr.name, KTH_HELPER_TIMEOUT_MS_MIN,
			KTH_HELPER_TIMEOUT_MS_MAX, KTH_HELPER_RUNNING_MAX,
			KTH_HELPER_PENDING_MAX);
		return -EINVAL;
	}
	if (!strcmp(attr->attr.name, "helper_timeout_ms"))
		timeout_ms = value;
	else if (!strcmp(attr->attr.name, "helper_max_running"))
		running = value;
	else
		pending = value;
	ret = kth_set_helper_limits(t, timeout_ms, running, pending);
	return ret ?: count;
}

static ssize_t control_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct kth_thread *t = kth_from_kobj(kobj);
	int ret = 0;

	if (sysfs_streq(buf, "start")) {
		/* kth_start_by() logs every failure but this one */
		ret = kth_start_by(t, KTH_CAUSE_SYSFS);
		if (ret == -EBUSY)
			kth_err(t, "%s: cannot start: it is not stopped\n",
				t->name);
	} else if (sysfs_streq(buf, "stop")) {
		kth_stop_by(t, KTH_CAUSE_SYSFS);
	} else if (sysfs_streq(buf, "pause")) {
		ret = kth_pause_by(t, KTH_CAUSE_SYSFS);
		if (ret)
			kth_err(t, "%s: cannot pause: it is not running\n",
				t->name);
	} else if (sysfs_streq(buf, "resume")) {
		ret = kth_resume_by(t, KTH_CAUSE_SYSFS);
		if (ret)
			kth_err(t, "%s: cannot resume: it is stopped\n",
				t->name);
	} else if (sysfs_streq(buf, "reset")) {
		kth_hist_reset(t);
	} else {
		kth_err(t, "%s: control accepts start, stop, pause, resume or reset\n",
			t->name);
		return -EINVAL;
	}
	return ret ?: count;
}

static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute pid_attr = __ATTR_RO(pid);
static struct kobj_attribute queue_len_attr = __ATTR_RO(queue_len);
static struct kobj_attribute sample_ms_attr = __ATTR_RO(sample_ms);
static struct kobj_attribute helper_attr = __ATTR_RW(helper);
static struct kobj_attribute helper_burst_attr =
	__ATTR(helper_burst, 0644, helper_burst_show, kth_rate_store);
static struct kobj_attribute helper_rate_attr =
	__ATTR(helper_rate, 0644, helper_rate_show, kth_rate_store);
static struct kobj_attribute control_attr = __ATTR_WO(control);
static struct kobj_attribute helper_runner_attr = __ATTR_RO(helper_runner);
static struct kobj_attribute helper_timeout_ms_attr =
	__ATTR(helper_timeout_ms, 0644, kth_limit_show, kth_limit_store);
static struct kobj_attribute helper_max_running_attr =
	__ATTR(helper_max_running, 0644, kth_limit_show, kth_limit_store);
static struct kobj_attribute helper_max_pending_attr =
	__ATTR(helper_max_pending, 0644, kth_limit_show, kth_limit_store);
static struct kobj_attribute module_attr = __ATTR_RO(module);
static struct kobj_attribute signals_attr = __ATTR_RO(signals);

static struct attribute *kth_attrs[] = {
	&state_attr.attr,
	&pid_attr.attr,
	&kth_stat_posted.attr.attr,
	&kth_stat_handled.attr.attr,
	&kth_stat_dropped.attr.attr,
	&kth_stat_depth.attr.attr,
	&queue_len_attr.attr,
	&helper_attr.attr,
	&helper_burst_attr.attr,
	&helper_rate_attr.attr,
	&kth_stat_helper_runs.attr.attr,
	&kth_stat_helper_failures.attr.attr,
	&kth_stat_helper_suppressed.attr.attr,
	&sample_ms_attr.attr,
	&kth_stat_sample_runs.attr.attr,
	&control_attr.attr,
	&module_attr.attr,
	&signals_attr.attr,
	&kth_hist_wait_hist.attr.attr,
	&kth_hist_wait_p50_ns.attr.attr,
	&kth_hist_wait_p99_ns.attr.attr,
	&kth_hist_wait_max_ns.attr.attr,
	&kth_hist_wait_sum_ns.attr.attr,
	&kth_hist_wait_count.attr.attr,
	&kth_hist_handle_hist.attr.attr,
	&kth_hist_handle_p50_ns.attr.attr,
	&kth_hist_handle_p99_ns.attr.attr,
	&kth_hist_handle_max_ns.attr.attr,
	&kth_hist_handle_sum_ns.attr.attr,
	&kth_hist_handle_count.attr.attr,
	&kth_stat_dropped_full.attr.attr,
	&kth_stat_dropped_evicted.attr.attr,
	&kth_stat_dropped_stopped.attr.attr,
	&kth_stat_dropped_killed.attr.attr,
	&kth_stat_wakeups.attr.attr,
	&kth_stat_uevents.attr.attr,
	&kth_stat_uevent_failures.attr.attr,
	&helper_runner_attr.attr,
	&helper_timeout_ms_attr.attr,
	&helper_max_running_attr.attr,
	&helper_max_pending_attr.attr,
	&kth_stat_helper_exited.attr.attr,
	&kth_stat_helper_exited_nonzero.attr.attr,
	&kth_stat_helper_killed.attr.attr,
	&kth_stat_helper_timeouts.attr.attr,
	&kth_stat_helper_exec_failed.attr.attr,
	&kth_stat_helper_exec_enoent.attr.attr,
	&kth_stat_helper_exec_eacces.attr.attr,
	&kth_stat_helper_exec_enoexec.attr.attr,
	&kth_stat_helper_exec_enomem.attr.attr,
	&kth_stat_helper_exec_other.attr.attr,
	&kth_stat_helper_refused.attr.attr,
	&kth_stat_helper_not_run.attr.attr,
	&kth_stat_helper_dropped.attr.attr,
	&kth_stat_helper_deferred.attr.attr,
	&kth_stat_helper_waited.attr.attr,
	&kth_stat_helper_running.attr.attr,
	&kth_stat_helper_pending.attr.attr,
	&kth_stat_helper_last_exit.attr.attr,
	&kth_stat_helper_last_signal.attr.attr,
	NULL,
};

static const struct attribute_group kth_group = {
	.attrs = kth_attrs,
};

const struct attribute_group *kth_groups[] = {
	&kth_group,
	NULL,
};
