// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - a driver's own figures: declared once in &kth_config.metrics,
 * set from any context, shown in /sys/kernel/kthelper/<thread>/metrics/:
 *
 *   schema   one line per metric, in declaration order:
 *            NAME TYPE LABEL HELP (TYPE gauge or counter, LABEL - if none)
 *   NAME     a metric of one value: the value; a labelled one: one line
 *            "LABELVALUE VALUE" per value of its label, in their order
 *
 * kthctl metrics turns them into Prometheus's text format; the driver
 * writes no sysfs code.  Each series is an atomic64_t: a set or an add is
 * one atomic operation, with no lock, so hard IRQs may set them too.  A
 * reader sees each series as it was at some moment of its read, not all of
 * them at one instant.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "kth_thread.h"

#define KTH_LOWER	"abcdefghijklmnopqrstuvwxyz"
#define KTH_NAME_CHARS	KTH_LOWER "0123456789_"
#define KTH_VALUE_CHARS	KTH_NAME_CHARS ".-"

/*
 * struct kth_metrics - a thread's metrics, allocated with it
 * @desc: the driver's declarations, @n of them (static: not copied)
 * @first: @first[i] is the index in @values of metric i's first series
 * @values: one per series; written with atomic64_set()/atomic64_add()
 *	from any context, read by sysfs
 * @group: the "metrics" directory; @attrs[i] shows metric i, the last
 *	one before the NULL is "schema"
 */
struct kth_metrics {
	const struct kth_metric *desc;
	unsigned int n;
	unsigned int *first;
	atomic64_t *values;
	struct kobj_attribute *attrs;
	struct attribute **attr_list;
	struct attribute_group group;
};

/* How many values a metric has: its label's, or 1. */
static unsigned int kth_metric_series(const struct kth_metric *m)
{
	unsigned int n = 0;

	if (!m->label)
		return 1;
	while (m->values[n])
		n++;
	return n;
}

static bool kth_is_name(const char *s, const char *chars, size_t max)
{
	size_t len = strlen(s);

	return len && len <= max && strspn(s, chars) == len;
}

/* One metric's declaration; 0 or -EINVAL with one line that says why. */
static int kth_metric_check(const char *thread, const struct kth_metric *m)
{
	const char *name = m->name ?: "(null)";
	size_t len = m->name ? strlen(m->name) : 0;
	unsigned int i, n;

	if (!m->name || !strchr(KTH_LOWER, m->name[0]) ||
	    !kth_is_name(m->name, KTH_NAME_CHARS, KTH_METRIC_NAME_MAX) ||
	    !strcmp(m->name, "schema")) {
		pr_err("%s: metric '%s': a name is 1-%d characters, [a-z] then [a-z0-9_], and not 'schema'\n",
		       thread, name, KTH_METRIC_NAME_MAX);
		return -EINVAL;
	}
	if (m->type != KTH_GAUGE && m->type != KTH_COUNTER) {
		pr_err("%s: metric '%s': type must be KTH_GAUGE or KTH_COUNTER\n",
		       thread, name);
		return -EINVAL;
	}
	if (m->type == KTH_COUNTER && len > 6 &&
	    !strcmp(m->name + len - 6, "_total")) {
		pr_err("%s: metric '%s': leave '_total' off a counter's name: Prometheus's output adds it\n",
		       thread, name);
		return -EINVAL;
	}
	if (!m->help || !m->help[0] || strchr(m->help, '\n')) {
		pr_err("%s: metric '%s': help must be one line of text\n",
		       thread, name);
		return -EINVAL;
	}
	if (!m->label)
		return 0;
	if (!strchr(KTH_LOWER, m->label[0]) ||
	    !kth_is_name(m->label, KTH_NAME_CHARS, KTH_METRIC_NAME_MAX) ||
	    !m->values) {
		pr_err("%s: metric '%s': a label's name is 1-%d characters, [a-z] then [a-z0-9_], and it needs values\n",
		       thread, name, KTH_METRIC_NAME_MAX);
		return -EINVAL;
	}
	for (n = 0; n <= KTH_METRIC_VALUES_MAX && m->values[n]; n++) {
		if (!kth_is_name(m->values[n], KTH_VALUE_CHARS,
				 KTH_METRIC_NAME_MAX))
			break;
		for (i = 0; i < n; i++)
			if (!strcmp(m->values[i], m->values[n]))
				break;
		if (i < n)
			break;
	}
	if (!n || n > KTH_METRIC_VALUES_MAX || m->values[n]) {
		pr_err("%s: metric '%s': label '%s' needs 1-%d distinct values of 1-%d characters of [a-z0-9_.-], NULL-terminated\n",
		       thread, name, m->label, KTH_METRIC_VALUES_MAX,
		       KTH_METRIC_NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/**
 * kth_metrics_check() - is &kth_config.metrics well declared?
 * @cfg: the configuration kth_create() was given
 *
 * Return: 0, or -EINVAL after one kernel-log line that says what is wrong
 * and what is allowed.
 */
int kth_metrics_check(const struct kth_config *cfg)
{
	unsigned int i, j;
	int ret;

	if (!cfg->metrics && !cfg->n_metrics)
		return 0;
	if (!cfg->metrics || !cfg->n_metrics ||
	    cfg->n_metrics > KTH_METRICS_MAX) {
		pr_err("%s: metrics: give 1-%d of them and their number, or neither\n",
		       cfg->name, KTH_METRICS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_metrics; i++) {
		ret = kth_metric_check(cfg->name, &cfg->metrics[i]);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (!strcmp(cfg->metrics[j].name,
				    cfg->metrics[i].name)) {
				pr_err("%s: metric '%s' is declared twice\n",
				       cfg->name, cfg->metrics[i].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static struct kth_metrics *kth_metrics_of(struct kobject *kobj)
{
	return kth_from_kobj(kobj)->metrics;
}

static ssize_t kth_metric_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct kth_metrics *ms = kth_metrics_of(kobj);
	unsigned int i = attr - ms->attrs, s, n;
	const struct kth_metric *m = &ms->desc[i];
	const atomic64_t *v = &ms->values[ms->first[i]];
	ssize_t len = 0;

	if (!m->label)
		return sysfs_emit(buf, m->type == KTH_GAUGE ? "%lld\n" :
				  "%llu\n", (s64)atomic64_read(v));
	n = kth_metric_series(m);
	for (s = 0; s < n; s++)
		len += sysfs_emit_at(buf, len, m->type == KTH_GAUGE ?
				     "%s %lld\n" : "%s %llu\n", m->values[s],
				     (s64)atomic64_read(&v[s]));
	return len;
}

static ssize_t kth_schema_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct kth_metrics *ms = kth_metrics_of(kobj);
	ssize_t len = 0;
	unsigned int i;

	for (i = 0; i < ms->n; i++) {
		const struct kth_metric *m = &ms->desc[i];

		len += sysfs_emit_at(buf, len, "%s %s %s %s\n", m->name,
				     m->type == KTH_GAUGE ? "gauge" : "counter",
				     m->label ?: "-", m->help);
	}
	return len;
}

/**
 * kth_metrics_create() - allocate a thread's metrics and their attributes
 * @t: the thread, not yet in sysfs
 * @cfg: its configuration, checked by kth_metrics_check()
 *
 * The "metrics" group is added to the thread's directory by the caller
 * (&kth_metrics.group through kth_metrics_group()); kth_metrics_free()
 * frees what this allocates, from the thread's release.
 *
 * Context: Process context; sleeps.
 * Return: 0 or -ENOMEM.
 */
int kth_metrics_create(struct kth_thread *t, const struct kth_config *cfg)
{
	struct kth_metrics *ms;
	unsigned int i, total = 0;

	if (!cfg->n_metrics)
		return 0;
	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		return -ENOMEM;
	t->metrics = ms;	/* kth_metrics_free() frees what is here */
	ms->desc = cfg->metrics;
	ms->n = cfg->n_metrics;
	ms->first = kcalloc(ms->n, sizeof(*ms->first), GFP_KERNEL);
	ms->attrs = kcalloc(ms->n + 1, sizeof(*ms->attrs), GFP_KERNEL);
	ms->attr_list = kcalloc(ms->n + 2, sizeof(*ms->attr_list),
				GFP_KERNEL);
	if (!ms->first || !ms->attrs || !ms->attr_list)
		return -ENOMEM;
	for (i = 0; i < ms->n; i++) {
		ms->first[i] = total;
		total += kth_metric_series(&ms->desc[i]);
		sysfs_attr_init(&ms->attrs[i].attr);
		ms->attrs[i].attr.name = ms->desc[i].name;
		ms->attrs[i].attr.mode = 0444;
		ms->attrs[i].show = kth_metric_show;
		ms->attr_list[i] = &ms->attrs[i].attr;
	}
	sysfs_attr_init(&ms->attrs[i].attr);
	ms->attrs[i].attr.name = "schema";
	ms->attrs[i].attr.mode = 0444;
	ms->attrs[i].show = kth_schema_show;
	ms->attr_list[i] = &ms->attrs[i].attr;
	ms->values = kcalloc(total, sizeof(*ms->values), GFP_KERNEL);
	if (!ms->values)
		return -ENOMEM;
	ms->group.name = "metrics";
	ms->group.attrs = ms->attr_list;
	return 0;
}

/**
 * kth_metrics_group() - the thread's "metrics" attribute group
 * @t: the thread
 *
 * Return: the group, or NULL if the driver declared no metrics.
 */
const struct attribute_group *kth_metrics_group(struct kth_thread *t)
{
	return t->metrics ? &t->metrics->group : NULL;
}

/**
 * kth_metrics_free() - free what kth_metrics_create() allocated
 * @t: the thread, out of sysfs
 */
void kth_metrics_free(struct kth_thread *t)
{
	struct kth_metrics *ms = t->metrics;

	if (!ms)
		return;
	kfree(ms->values);
	kfree(ms->attr_list);
	kfree(ms->attrs);
	kfree(ms->first);
	kfree(ms);
}

/* The series of @metric, or NULL (and a warning: a driver's bug). */
static atomic64_t *kth_metric_value(struct kth_thread *t, unsigned int metric,
				    unsigned int series)
{
	struct kth_metrics *ms = t->metrics;

	if (WARN_ONCE(!ms || metric >= ms->n ||
		      series >= kth_metric_series(&ms->desc[metric]),
		      "kthelper: %s: no metric %u series %u\n", t->name,
		      metric, series))
		return NULL;
	return &ms->values[ms->first[metric] + series];
}

/**
 * kth_metric_set() - set one value of a driver's metric
 * @t: the thread
 * @metric: the metric's index in &kth_config.metrics
 * @series: the index of its label's value (0 for a metric of one value)
 * @value: the new value; a counter's must not be less than its last
 *	(set a counter to a total the driver reads, add to one it counts)
 *
 * An index out of range is a driver's bug: it warns once and sets nothing.
 *
 * Context: Any context, hard IRQ included; never sleeps.
 */
void kth_metric_set(struct kth_thread *t, unsigned int metric,
		    unsigned int series, s64 value)
{
	atomic64_t *v = kth_metric_value(t, metric, series);

	if (v)
		atomic64_set(v, value);
}
EXPORT_SYMBOL_NS_GPL(kth_metric_set, KTH_NS);

/**
 * kth_metric_add() - add to one value of a driver's metric
 * @t: the thread
 * @metric: the metric's index in &kth_config.metrics
 * @series: the index of its label's value (0 for a metric of one value)
 * @delta: what to add; a counter's is never negative
 *
 * Context: Any context, hard IRQ included; never sleeps.
 */
void kth_metric_add(struct kth_thread *t, unsigned int metric,
		    unsigned int series, s64 delta)
{
	atomic64_t *v = kth_metric_value(t, metric, series);

	if (v)
		atomic64_add(delta, v);
}
EXPORT_SYMBOL_NS_GPL(kth_metric_add, KTH_NS);

/**
 * kth_metric_select() - one value 1, the others 0: a state as a gauge
 * @t: the thread
 * @metric: a labelled gauge whose label's values are the states
 * @series: the index of the current state
 *
 * Prometheus's StateSet: ``state{state="low"} 1``, ``state{state="ok"} 0``.
 * One atomic store per value, the others cleared first: a reader in the
 * middle of the change may see it half done.
 *
 * Context: Any context, hard IRQ included; never sleeps.  Callers of one
 * metric must not race one another (one sample hook, say).
 */
void kth_metric_select(struct kth_thread *t, unsigned int metric,
		       unsigned int series)
{
	atomic64_t *v = kth_metric_value(t, metric, series);
	unsigned int s, n;

	if (!v)
		return;
	n = kth_metric_series(&t->metrics->desc[metric]);
	for (s = 0; s < n; s++)
		if (s != series)
			atomic64_set(v - series + s, 0);
	atomic64_set(v, 1);
}
EXPORT_SYMBOL_NS_GPL(kth_metric_select, KTH_NS);
