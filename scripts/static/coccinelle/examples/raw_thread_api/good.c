// SPDX-License-Identifier: GPL-2.0
/*
 * raw_thread_api, good: the same driver on kthelper.  The framework owns
 * the thread, its signals and the helper; nothing here may be flagged.
 */
#include <linux/module.h>
#include <kthelper.h>

MODULE_IMPORT_NS(KTH_NS);

static struct kth_thread *watcher;

struct watcher_event {
	u32 free_pct;
};

static void watcher_handle(struct kth_thread *t, const struct kth_event *ev)
{
	const struct watcher_event *e = (const void *)ev->data;
	struct kth_env *env;

	env = kth_env_begin(t, ev, "low");
	kth_env_add(env, "FREE_PCT=%u", e->free_pct);
	kth_notify(t, env);
}

static const struct kth_ops watcher_ops = {
	.handle = watcher_handle,
};

static int __init watcher_init(void)
{
	struct kth_config cfg = {
		.name = "kth_watcher",
		.ops = &watcher_ops,
		.event_size = sizeof(struct watcher_event),
		.queue_len = 16,
		.flags = KTH_SIGNALS,
		.helper = "/sbin/netbuf-alert",
	};
	int ret;

	watcher = kth_create(&cfg);
	if (IS_ERR(watcher))
		return PTR_ERR(watcher);
	ret = kth_start(watcher);
	if (ret)
		kth_destroy(watcher);
	return ret;
}

static void __exit watcher_exit(void)
{
	kth_destroy(watcher);
}

module_init(watcher_init);
module_exit(watcher_exit);
MODULE_LICENSE("GPL");
