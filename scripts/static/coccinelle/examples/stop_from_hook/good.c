// SPDX-License-Identifier: GPL-2.0
/*
 * stop_from_hook, good: hooks only handle events; stopping happens in
 * process context (module exit, an error path of init).
 */
#include <linux/module.h>
#include <kthelper.h>

static struct kth_thread *mon;
static atomic_t mon_errors = ATOMIC_INIT(0);

static void mon_handle(struct kth_thread *t, const struct kth_event *ev)
{
	if (ev->len == 0)
		atomic_inc(&mon_errors);	/* counted; exit decides */
}

static void mon_teardown(struct kth_thread *t)
{
	pr_info("%s: stopped after %d errors\n", kth_name(t),
		atomic_read(&mon_errors));
}

static const struct kth_ops mon_ops = {
	.handle = mon_handle,
	.teardown = mon_teardown,
};

static int __init mon_init(void)
{
	struct kth_config cfg = {
		.name = "kth_mon",
		.ops = &mon_ops,
		.event_size = 8,
		.queue_len = 16,
	};
	int ret;

	mon = kth_create(&cfg);
	if (IS_ERR(mon))
		return PTR_ERR(mon);
	ret = kth_start(mon);
	if (ret)
		goto out_destroy;
	return 0;

out_destroy:
	kth_destroy(mon);
	return ret;
}

static void __exit mon_exit(void)
{
	kth_stop(mon);
	kth_destroy(mon);
}
