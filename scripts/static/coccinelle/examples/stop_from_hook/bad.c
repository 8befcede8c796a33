// SPDX-License-Identifier: GPL-2.0
/*
 * stop_from_hook, bad: hooks that stop or destroy their own thread,
 * directly or through a helper of the same file.
 */
#include <linux/module.h>
#include <kthelper.h>

static struct kth_thread *mon;
static struct kth_ops mon_ops_runtime;

static void mon_give_up(void)
{
	pr_err("too many errors, giving up\n");
	kth_destroy(mon); /* expected: stop_from_hook */
}

static int mon_setup(struct kth_thread *t)
{
	return 0;
}

static void mon_handle(struct kth_thread *t, const struct kth_event *ev)
{
	if (ev->len == 0) {
		kth_stop(t); /* expected: stop_from_hook */
		return;
	}
	if (ev->seq > 1000)
		mon_give_up();
}

static void mon_teardown(struct kth_thread *t)
{
	kth_stop(mon); /* expected: stop_from_hook */
}

static void mon_reload(struct kth_thread *t)
{
	kth_destroy(t); /* expected: stop_from_hook */
}

static const struct kth_ops mon_ops = {
	.setup = mon_setup,
	.handle = mon_handle,
	.teardown = mon_teardown,
};

static void mon_init_ops(void)
{
	mon_ops_runtime.reload = mon_reload;
}
