// SPDX-License-Identifier: GPL-2.0
/*
 * kth_template - a helper-thread driver on the kthelper framework.
 *
 * One helper thread, named kth_template like the module, handles the
 * events of two sources:
 *
 *   trigger  each write to /sys/kernel/kthelper/kth_template/trigger
 *            posts one event; the text written (31 characters at most)
 *            is its note;
 *   tick     with period_ms set, one event every period_ms milliseconds.
 *
 * The thread logs every event and notifies user space: it runs the
 * helper, if one is set (helper= or /sys/kernel/kthelper/kth_template/
 * helper), with KTH_TEMPLATE_NOTE and KTH_TEMPLATE_TIME_NS in its
 * environment, and with uevent=1 sends the same variables as a uevent.
 *
 * The framework owns the thread, the queue, signals, sysfs, the sinks,
 * and the two sources' machinery (the trigger file, the timer); replace
 * the sources and the handler with your own.  See
 * Documentation/writing-a-driver.rst in kthelper.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <kthelper.h>

MODULE_IMPORT_NS(KTH_NS);

/*
 * Parameters, read at load time.  kth_create() checks helper and
 * queue_len and logs what is allowed; period_ms is checked below.  The
 * helper can be changed later in /sys/kernel/kthelper/<thread>/helper.
 */
static char *helper = "";
module_param(helper, charp, 0444);
MODULE_PARM_DESC(helper, "user-mode helper: absolute path, or empty for none");

static bool uevent;
module_param(uevent, bool, 0444);
MODULE_PARM_DESC(uevent, "also send a uevent for every event");

static unsigned int queue_len = 64;
module_param(queue_len, uint, 0444);
MODULE_PARM_DESC(queue_len, "events the queue holds (1..65536)");

static unsigned int period_ms;
module_param(period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "post a tick event every period_ms ms (0: off)");

/* One event as kth_post() copies it into the queue: small and flat. */
struct kth_template_event {
	bool tick;		/* from the periodic source, else trigger */
	char note[32];		/* what was written to trigger: untrusted */
};

static struct kth_thread *thread;

/*
 * The driver's own figures: the framework shows them in the thread's
 * metrics/ directory and `kthctl metrics` in Prometheus's format as
 * kthelper_<module>_<name> (kth_ left off the module name; a counter
 * gets _total).  Index them with an enum; set them from any context.
 */
enum { M_EVENTS, M_NOTE_LENGTH };

static const char * const sources[] = { "trigger", "tick", NULL };

static const struct kth_metric kth_template_metrics[] = {
	[M_EVENTS] = KTH_METRIC_LABELLED("events", KTH_COUNTER,
		"events handled, by source", "source", sources),
	[M_NOTE_LENGTH] = KTH_METRIC("note_length", KTH_GAUGE,
		"characters in the last trigger's note, after sanitising"),
};

/*
 * The handler: runs in the thread, once per event, in post order.
 * Process context, so it may sleep; it must not stop its own thread.
 */
static void handle_event(struct kth_thread *t, const struct kth_event *ev)
{
	const struct kth_template_event *e = (const void *)ev->data;
	const char *name = e->tick ? "tick" : "trigger";
	char note[KTH_UNTRUSTED_MAX];
	struct kth_env *env;
	size_t len;

	len = kth_sanitize(note, sizeof(note), e->note, sizeof(e->note));
	/* kth_info() and friends: the journal knows which thread said it */
	kth_info_ratelimited(t, "%s seq=%llu note=%s\n", name, ev->seq, note);
	kth_metric_add(t, M_EVENTS, e->tick, 1);	/* "trigger", "tick" */
	if (!e->tick)
		kth_metric_set(t, M_NOTE_LENGTH, 0, len);

	/* HOME, PATH, KTH_THREAD, KTH_EVENT=<name>, KTH_SEQ, then ours */
	env = kth_env_begin(t, ev, name);
	kth_env_add(env, "KTH_TEMPLATE_TIME_NS=%llu", ev->timestamp_ns);
	kth_env_add_untrusted(env, "KTH_TEMPLATE_NOTE", e->note,
			      sizeof(e->note));
	kth_notify(t, env);
}

/*
 * Source 1, the trigger: a write-only file in the thread's own sysfs
 * directory, listed in kth_config.groups.  kth_create() adds it;
 * kth_destroy() removes it, waiting for a write in progress, before the
 * thread stops: safe at unload.  buf is NUL-terminated.  kth_post()
 * never sleeps and works in any context, hard IRQ included; a refused
 * post (queue full, thread stopped) is counted in "dropped" and the
 * write fails with its error.
 */
static ssize_t trigger_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct kth_template_event e = {};
	int ret;

	strscpy(e.note, buf, sizeof(e.note));	/* cut at 31 characters */
	e.note[strcspn(e.note, "\n")] = '\0';
	ret = kth_post(kth_from_kobj(kobj), &e, sizeof(e));
	return ret ? ret : count;
}

static struct kobj_attribute trigger_attr = __ATTR_WO(trigger);

static struct attribute *kth_template_attrs[] = {
	&trigger_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kth_template);

/*
 * Source 2, periodic: with .sample_ms set, the framework calls this
 * every period_ms while the thread runs, from a deferrable timer (an
 * idle CPU is not woken for it), and stops it with the thread.  Timer
 * context: it must not sleep.  A real driver reads a level here and
 * posts only when it crosses a line.
 */
static void tick(struct kth_thread *t)
{
	struct kth_template_event e = { .tick = true };

	kth_post(t, &e, sizeof(e));
}

/*
 * All hooks are optional.  In the thread: .setup first (its error is
 * kth_start()'s), .handle per event, .reload on SIGHUP, .teardown last.
 * .sample runs only if kth_config.sample_ms is not 0.
 */
static const struct kth_ops kth_template_ops = {
	.handle = handle_event,
	.sample = tick,
};

static int __init kth_template_init(void)
{
	struct kth_config cfg = {
		.name = KBUILD_MODNAME,		/* the thread's name */
		.ops = &kth_template_ops,
		.event_size = sizeof(struct kth_template_event),
		.queue_len = queue_len,
		.overflow = KTH_DROP_NEWEST,
		.flags = KTH_SIGNALS | (uevent ? KTH_UEVENT : 0),
		.helper = helper,
		.sample_ms = period_ms,		/* 0: no tick */
		.groups = kth_template_groups,	/* the trigger */
		.metrics = kth_template_metrics,
		.n_metrics = ARRAY_SIZE(kth_template_metrics),
	};
	int ret;

	if (period_ms > KTH_SAMPLE_MS_MAX) {
		pr_err("period_ms=%u out of range: 0 (off) or 1..%d\n",
		       period_ms, KTH_SAMPLE_MS_MAX);
		return -EINVAL;
	}
	thread = kth_create(&cfg);
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	ret = kth_start(thread);	/* and the tick with it */
	if (ret)
		goto out_destroy;
	return 0;

out_destroy:
	kth_destroy(thread);
	return ret;
}

/*
 * kth_destroy() ends both sources: it removes the trigger (waiting for a
 * write in progress), then stops the tick and the thread.  A source of
 * the driver's own must be ended, waiting, before it.
 */
static void __exit kth_template_exit(void)
{
	kth_destroy(thread);
}

module_init(kth_template_init);
module_exit(kth_template_exit);
MODULE_DESCRIPTION("kth_template: a helper-thread driver on kthelper");
MODULE_LICENSE("GPL");
