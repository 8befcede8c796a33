// SPDX-License-Identifier: GPL-2.0
/*
 * unsanitized_env, good: numbers and literals through kth_env_add(),
 * device strings through kth_env_add_untrusted() or kth_sanitize().
 */
#include <linux/usb.h>
#include <kthelper.h>

#define PLUG_KIND	"usb"

static const char * const plug_speeds[] = {
	[0] = "low",
	[1] = "full",
	[2] = "high",
};

struct plug_event {
	char name[32];
	char serial[128];
	char product[128];
	u16 vendor, product_id;
	bool removable;
	u8 speed;
};

static void plug_handle(struct kth_thread *t, const struct kth_event *ev)
{
	const struct plug_event *e = (const void *)ev->data;
	char product[KTH_UNTRUSTED_MAX];
	struct kth_env *env;

	kth_sanitize(product, sizeof(product), e->product, sizeof(e->product));
	env = kth_env_begin(t, ev, "add");
	kth_env_add(env, "PRODUCT=%x/%x", e->vendor, e->product_id);
	kth_env_add(env, "KIND=%s", PLUG_KIND);
	kth_env_add(env, "DRIVER=%s", KBUILD_MODNAME);
	kth_env_add(env, "THREAD=%s", kth_name(t));
	kth_env_add(env, "REMOVABLE=%s", e->removable ? "yes" : "no");
	kth_env_add(env, "RATE=100%%");
	kth_env_add(env, "SPEED=%s", plug_speeds[e->speed]);
	kth_env_add(env, "PRODUCT_NAME=%s", product);
	kth_env_add_untrusted(env, "USB_DEVICE", e->name, sizeof(e->name));
	kth_env_add_untrusted(env, "SERIAL", e->serial, sizeof(e->serial));
	kth_notify(t, env);
}
