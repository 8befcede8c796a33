// SPDX-License-Identifier: GPL-2.0
/*
 * kth_template - a helper-thread driver on the kthelper framework.
 *
 * One helper thread, named kth_template like the module, handles the
 * events of two sources:
 *
 *   trigger  each write to /sys/kernel/debug/kth_template/trigger posts
 *            one event; the text written (31 characters at most) is its
 *            note;
 *   tick     with period_ms set, a periodic source posts one event every
 *            period_ms milliseconds.
 *
 * The thread logs every event and notifies user space: it runs the
 * helper, if one is set (helper= or /sys/kernel/kthelper/kth_template/
 * helper), with KTH_TEMPLATE_NOTE and KTH_TEMPLATE_TIME_NS in its
 * environment, and with uevent=1 sends the same variables as a uevent.
 *
 * The framework owns the thread, the queue, signals, sysfs and the
 * sinks; replace the two sources and the handler with your own.  See
 * Documentation/writing-a-driver.rst in kthelper.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <kthelper.h>

MODULE_IMPORT_NS(KTH_NS);

/* Longest period_ms: an hour. */
#define PERIOD_MAX_MS	3600000

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
static struct dentry *debug_dir;

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

	kth_sanitize(note, sizeof(note), e->note, sizeof(e->note));
	pr_info_ratelimited("%s seq=%llu note=%s\n", name, ev->seq, note);

	/* HOME, PATH, KTH_THREAD, KTH_EVENT=<name>, KTH_SEQ, then ours */
	env = kth_env_begin(t, ev, name);
	kth_env_add(env, "KTH_TEMPLATE_TIME_NS=%llu", ev->timestamp_ns);
	kth_env_add_untrusted(env, "KTH_TEMPLATE_NOTE", e->note,
			      sizeof(e->note));
	kth_notify(t, env);
}

/*
 * All hooks are optional and run in the thread: .setup first (its error
 * is kth_start()'s), .handle per event, .reload on SIGHUP, .teardown last.
 */
static const struct kth_ops kth_template_ops = {
	.handle = handle_event,
};

/*
 * Source 1, the trigger file: a write posts one event.  kth_post() never
 * sleeps and works in any context, hard IRQ included; a refused post
 * (queue full, thread stopped) is counted in "dropped" and the write
 * fails with its error.
 */
static ssize_t trigger_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct kth_template_event e = {};
	size_t len = min(count, sizeof(e.note) - 1);
	int ret;

	if (copy_from_user(e.note, buf, len))
		return -EFAULT;
	e.note[strcspn(e.note, "\n")] = '\0';
	ret = kth_post(thread, &e, sizeof(e));
	return ret ? ret : count;
}

static const struct file_operations trigger_fops = {
	.owner = THIS_MODULE,		/* an open trigger pins the module */
	.write = trigger_write,
};

/*
 * Source 2, periodic: a deferrable work, so that it never wakes an idle
 * CPU just for itself.  It posts, then queues itself again.
 */
static void tick(struct work_struct *work)
{
	struct kth_template_event e = { .tick = true };

	kth_post(thread, &e, sizeof(e));
	schedule_delayed_work(to_delayed_work(work),
			      msecs_to_jiffies(period_ms));
}

static DECLARE_DEFERRABLE_WORK(ticker, tick);

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
	};
	int ret;

	if (period_ms > PERIOD_MAX_MS) {
		pr_err("period_ms=%u out of range: 0 (off) or 1..%u\n",
		       period_ms, PERIOD_MAX_MS);
		return -EINVAL;
	}
	thread = kth_create(&cfg);
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	ret = kth_start(thread);
	if (ret)
		goto out_destroy;

	/* The sources start once the thread runs; exit ends them first. */
	debug_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("trigger", 0200, debug_dir, NULL, &trigger_fops);
	if (period_ms)
		schedule_delayed_work(&ticker, msecs_to_jiffies(period_ms));
	return 0;

out_destroy:
	kth_destroy(thread);
	return ret;
}

static void __exit kth_template_exit(void)
{
	/*
	 * End the sources and wait for them: debugfs_remove() waits for a
	 * write in progress, cancel_delayed_work_sync() for a tick, even one
	 * that queues itself again.  No post can follow kth_destroy().
	 */
	debugfs_remove(debug_dir);
	cancel_delayed_work_sync(&ticker);
	kth_destroy(thread);
}

module_init(kth_template_init);
module_exit(kth_template_exit);
MODULE_DESCRIPTION("kth_template: a helper-thread driver on kthelper");
MODULE_LICENSE("GPL");
