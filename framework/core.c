// SPDX-License-Identifier: GPL-2.0
/*
 * core.c - the kthelper module: the "kthelper" kset and class, creating and
 * destroying helper threads, and their kernel-log lines.
 *
 * Each thread is a kobject in the kset, /sys/kernel/kthelper/<name>, whose
 * release frees it, and has a device of its own in the class,
 * /sys/class/kthelper/<name>, for one purpose: lines printed through it
 * carry the kernel's structured metadata (SUBSYSTEM=kthelper,
 * DEVICE=+kthelper:<name>), which the journal turns into fields.  The
 * device's uevents are suppressed: udev sees the thread's uevents only,
 * from the kset, as before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sched/prio.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kth_thread.h"

struct kset *kth_kset;
static struct class kth_class = {
	.name = "kthelper",
};

/* makes "is this name free?" and adding it to the kset one step */
static DEFINE_MUTEX(kth_names_lock);

static void kth_release(struct kobject *kobj)
{
	struct kth_thread *t = container_of(kobj, struct kth_thread, kobj);

	kth_queue_free(&t->queue);
	kth_metrics_free(t);
	if (t->dev)
		put_device(t->dev);
	kfree(t->cpus);
	kfree(t);
}

static const struct kobj_type kth_ktype = {
	.release = kth_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = kth_groups,
};

/* The helper's rate limit and limits of a &struct kth_config. */
static int kth_config_check_helper(const struct kth_config *cfg)
{
	if (cfg->helper_burst > KTH_HELPER_RATE_MAX ||
	    cfg->helper_rate > KTH_HELPER_RATE_MAX) {
		pr_err("%s: helper_burst and helper_rate must be 0 (default) or 1..%d\n",
		       cfg->name, KTH_HELPER_RATE_MAX);
		return -EINVAL;
	}
	if ((cfg->helper_timeout_ms &&
	     (cfg->helper_timeout_ms < KTH_HELPER_TIMEOUT_MS_MIN ||
	      cfg->helper_timeout_ms > KTH_HELPER_TIMEOUT_MS_MAX)) ||
	    cfg->helper_max_running > KTH_HELPER_RUNNING_MAX ||
	    cfg->helper_max_pending > KTH_HELPER_PENDING_MAX) {
		pr_err("%s: helper_timeout_ms must be 0 (default) or %d..%d, helper_max_running 0..%d, helper_max_pending 0..%d\n",
		       cfg->name, KTH_HELPER_TIMEOUT_MS_MIN,
		       KTH_HELPER_TIMEOUT_MS_MAX, KTH_HELPER_RUNNING_MAX,
		       KTH_HELPER_PENDING_MAX);
		return -EINVAL;
	}
	return 0;
}

static int kth_config_check(const struct kth_config *cfg)
{
	size_t len = cfg->name ? strlen(cfg->name) : 0;
	unsigned int unknown;

	if (!len || len > KTH_NAME_MAX ||
	    strspn(cfg->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != len) {
		pr_err("thread name must be 1-%d characters of [a-z0-9_]\n",
		       KTH_NAME_MAX);
		return -EINVAL;
	}
	if (!cfg->ops) {
		pr_err("%s: ops are required\n", cfg->name);
		return -EINVAL;
	}
	if (!cfg->event_size || cfg->event_size > KTH_EVENT_SIZE_MAX) {
		pr_err("%s: event_size %zu out of range 1..%d\n", cfg->name,
		       cfg->event_size, KTH_EVENT_SIZE_MAX);
		return -EINVAL;
	}
	if (!cfg->queue_len || cfg->queue_len > KTH_QUEUE_LEN_MAX) {
		pr_err("%s: queue_len %u out of range 1..%d\n", cfg->name,
		       cfg->queue_len, KTH_QUEUE_LEN_MAX);
		return -EINVAL;
	}
	if (kth_config_check_helper(cfg))
		return -EINVAL;
	if (cfg->sample_ms > KTH_SAMPLE_MS_MAX ||
	    (cfg->sample_ms && !cfg->ops->sample)) {
		pr_err("%s: sample_ms must be 0 or 1..%d, and needs a sample hook\n",
		       cfg->name, KTH_SAMPLE_MS_MAX);
		return -EINVAL;
	}
	if (cfg->nice < MIN_NICE || cfg->nice > MAX_NICE) {
		pr_err("%s: nice %d out of range %d..%d\n", cfg->name, cfg->nice,
		       MIN_NICE, MAX_NICE);
		return -EINVAL;
	}
	if (cfg->cpus && !cpumask_intersects(cfg->cpus, cpu_possible_mask)) {
		pr_err("%s: cpus '%*pbl' holds no possible CPU; allowed: a mask with one of %*pbl\n",
		       cfg->name, cpumask_pr_args(cfg->cpus),
		       cpumask_pr_args(cpu_possible_mask));
		return -EINVAL;
	}
	unknown = cfg->flags & ~(unsigned int)KTH_FLAGS_ALL;
	if (unknown) {
		pr_err("%s: unknown flags %#x: allowed are KTH_SIGNALS and KTH_UEVENT\n",
		       cfg->name, unknown);
		return -EINVAL;
	}
	if (cfg->overflow != KTH_DROP_NEWEST &&
	    cfg->overflow != KTH_DROP_OLDEST) {
		pr_err("%s: overflow must be KTH_DROP_NEWEST or KTH_DROP_OLDEST\n",
		       cfg->name);
		return -EINVAL;
	}
	return kth_metrics_check(cfg);
}

static void kth_dev_release(struct device *dev)
{
	kfree(dev);
}

/* The thread's device, for kth_printk(); no uevent announces it. */
static int kth_add_device(struct kth_thread *t)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	device_initialize(dev);
	dev->class = &kth_class;
	dev->release = kth_dev_release;
	dev_set_uevent_suppress(dev, 1);
	ret = dev_set_name(dev, "%s", t->name);
	if (ret)
		goto out_put;
	ret = device_add(dev);
	if (ret)
		goto out_put;
	t->dev = dev;
	return 0;

out_put:
	put_device(dev);
	return ret;
}

/* Add @t to the kset, refusing a name already in use with a clear line. */
static int kth_add_unique(struct kth_thread *t)
{
	struct kobject *other;
	int ret;

	mutex_lock(&kth_names_lock);
	other = kset_find_obj(kth_kset, t->name);
	if (other) {
		kobject_put(other);
		kth_err(t, "%s: a helper thread of that name exists already\n",
			t->name);
		ret = -EEXIST;
		goto out_unlock;
	}
	t->kobj.kset = kth_kset;
	ret = kobject_add(&t->kobj, NULL, "%s", t->name);
	if (ret) {
		kth_err(t, "%s: cannot create sysfs directory: %d\n", t->name, ret);
		goto out_unlock;
	}
	if (t->groups) {
		ret = sysfs_create_groups(&t->kobj, t->groups);
		if (ret) {
			kth_err(t, "%s: cannot create the driver's attributes: %d\n",
				t->name, ret);
			goto out_del;
		}
	}
	if (t->metrics) {
		ret = sysfs_create_group(&t->kobj, kth_metrics_group(t));
		if (ret) {
			kth_err(t, "%s: cannot create the metrics directory: %d\n",
				t->name, ret);
			goto out_del;
		}
	}
	ret = kth_add_device(t);
	if (ret) {
		kth_err(t, "%s: cannot create /sys/class/kthelper/%s: %d\n",
			t->name, t->name, ret);
		goto out_del;
	}
	goto out_unlock;

out_del:
	kobject_del(&t->kobj);	/* the groups with it */
out_unlock:
	mutex_unlock(&kth_names_lock);
	return ret;
}

/* Fill in a new thread from @cfg: nothing here can fail. */
static void kth_thread_init(struct kth_thread *t, const struct kth_config *cfg,
			    struct module *owner)
{
	strscpy(t->name, cfg->name, sizeof(t->name));
	strscpy(t->module, owner ? module_name(owner) : "kernel",
		sizeof(t->module));
	t->ops = cfg->ops;
	t->head.priv = cfg->priv;
	t->event_size = cfg->event_size;
	t->flags = cfg->flags;
	t->nice = cfg->nice;
	t->groups = cfg->groups;
	t->uevent = cfg->flags & KTH_UEVENT;
	mutex_init(&t->lifecycle_lock);
	raw_spin_lock_init(&t->ctl_lock);
	mutex_init(&t->config_lock);
	init_completion(&t->ready);
	kth_hist_init(t);
	kth_rate_init(t, cfg->helper_burst, cfg->helper_rate);
	kth_helpers_init(t, cfg);
	kth_sampler_init(t, cfg->sample_ms);
	kth_kobject_init(&t->kobj, &kth_ktype);
}

/**
 * __kth_create() - create a helper thread, stopped; use kth_create()
 * @cfg: configuration; copied, it need not outlive the call
 * @owner: the calling module (THIS_MODULE), named in sysfs; NULL for
 *	built-in code
 *
 * Allocates the queue and every buffer the thread will need, and creates
 * /sys/kernel/kthelper/<name>/.  Start the thread with kth_start().
 * Invalid configuration is refused with one kernel-log line saying what
 * is allowed.
 *
 * Context: Process context; sleeps.
 * Return: the thread, or ERR_PTR(-EINVAL) for a bad @cfg (including a bad
 * helper path), ERR_PTR(-EEXIST) if the name is taken, ERR_PTR(-ENOMEM).
 */
struct kth_thread *__kth_create(const struct kth_config *cfg,
				struct module *owner)
{
	struct kth_thread *t;
	int ret;

	ret = kth_config_check(cfg);
	if (ret)
		return ERR_PTR(ret);

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	kth_thread_init(t, cfg, owner);	/* from here kobject_put frees */

	if (cfg->cpus) {
		t->cpus = kmalloc(cpumask_size(), GFP_KERNEL);
		if (!t->cpus) {
			ret = -ENOMEM;
			goto out_put;
		}
		cpumask_copy(t->cpus, cfg->cpus);
	}
	ret = kth_set_helper(t, cfg->helper);
	if (ret)
		goto out_put;
	ret = kth_queue_init(&t->queue, cfg->queue_len, cfg->event_size,
			     cfg->overflow);
	if (ret)
		goto out_put;
	ret = kth_metrics_create(t, cfg);
	if (ret)
		goto out_put;
	ret = kth_helpers_register(t);
	if (ret)
		goto out_put;
	ret = kth_add_unique(t);
	if (ret)
		goto out_unregister;
	return t;

out_unregister:
	kth_helpers_unregister(t);

out_put:
	kobject_put(&t->kobj);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(__kth_create, KTH_NS);

/**
 * kth_destroy() - stop a helper thread and free everything it owns
 * @t: the thread, or NULL or an error pointer (then nothing happens)
 *
 * Removes the sysfs directory first (waiting for sysfs writes in
 * progress), then stops the thread as kth_stop() does, then frees.
 *
 * Context: Process context; sleeps.  Not from @t's own hooks.
 */
void kth_destroy(struct kth_thread *t)
{
	if (IS_ERR_OR_NULL(t))
		return;
	kobject_del(&t->kobj);	/* the driver's attributes too */
	kth_stop(t);
	kth_sampler_stop(t);	/* a late kth_sample_now() may have re-armed it */
	kth_helpers_unregister(t);	/* after the last run's end */
	device_del(t->dev);	/* kth_printk() may use it until the release */
	kobject_put(&t->kobj);
}
EXPORT_SYMBOL_NS_GPL(kth_destroy, KTH_NS);

/**
 * kth_get_stats() - read the thread's counters
 * @t: the thread
 * @stats: filled in; posted == handled + dropped + depth exactly whenever
 *	no post and no handling is under way (each CPU's part is read under
 *	its lock, not all at one instant)
 *
 * Context: Any context; never sleeps.
 */
void kth_get_stats(struct kth_thread *t, struct kth_stats *stats)
{
	kth_queue_stats(&t->queue, stats);
	kth_helpers_stats(t, stats);
	stats->uevents = READ_ONCE(t->uevents);
	stats->uevent_failures = READ_ONCE(t->uevent_failures);
	stats->sample_runs = READ_ONCE(t->sample_runs);
}
EXPORT_SYMBOL_NS_GPL(kth_get_stats, KTH_NS);

/* The counters and latency figures in one kernel-log line (SIGUSR1). */
void kth_log_stats(struct kth_thread *t, const char *why)
{
	struct kth_hist wait, handle;
	struct kth_stats s;

	kth_get_stats(t, &s);
	kth_hist_read(t, KTH_HIST_WAIT, &wait);
	kth_hist_read(t, KTH_HIST_HANDLE, &handle);
	kth_info(t, "%s: %s: state=%s posted=%llu handled=%llu dropped=%llu depth=%llu wakeups=%llu helper_runs=%llu helper_failures=%llu helper_suppressed=%llu uevents=%llu sample_runs=%llu wait_p99_ns=%llu wait_max_ns=%llu handle_p99_ns=%llu handle_max_ns=%llu\n",
		 t->name, why, kth_state_name(kth_get_state(t)), s.posted, s.handled,
		 s.dropped, s.depth, s.wakeups, s.helper_runs,
		 s.helper_failures, s.helper_suppressed, s.uevents,
		 s.sample_runs, kth_hist_percentile(&wait, 99), wait.max,
		 kth_hist_percentile(&handle, 99), handle.max);
}

/**
 * kth_from_kobj() - the thread behind a sysfs attribute's kobject
 * @kobj: the kobject a show or store of &kth_config.groups was given
 *
 * Context: Any context.
 * Return: the thread.
 */
struct kth_thread *kth_from_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct kth_thread, kobj);
}
EXPORT_SYMBOL_NS_GPL(kth_from_kobj, KTH_NS);

/**
 * kth_name() - the thread's name
 * @t: the thread
 *
 * Context: Any context.
 * Return: the name, valid until kth_destroy().
 */
const char *kth_name(const struct kth_thread *t)
{
	return t->name;
}
EXPORT_SYMBOL_NS_GPL(kth_name, KTH_NS);

static int __init kth_init(void)
{
	int ret;

	ret = kth_helpers_global_init();
	if (ret)
		return ret;
	ret = class_register(&kth_class);
	if (ret)
		goto out_helpers_exit;
	kth_kset = kset_create_and_add("kthelper", NULL, kernel_kobj);
	if (!kth_kset) {
		ret = -ENOMEM;
		goto out_unregister_class;
	}
	return 0;

out_unregister_class:
	class_unregister(&kth_class);
out_helpers_exit:
	kth_helpers_global_exit();
	return ret;
}

static void __exit kth_exit(void)
{
	kset_unregister(kth_kset);
	class_unregister(&kth_class);
	kth_helpers_global_exit();	/* waits for the last runs' works */
}

module_init(kth_init);
module_exit(kth_exit);
MODULE_DESCRIPTION("kthelper: kernel helper threads made easy and correct");
MODULE_AUTHOR("The kthelper developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KTH_VERSION);
