// SPDX-License-Identifier: GPL-2.0
/*
 * unsanitized_env, bad: device strings put into the helper's and the
 * uevent's environment as they came from the device.
 */
#include <linux/usb.h>
#include <kthelper.h>

/* not constant: something may store a device string in it */
static const char *plug_labels[] = { "left", "right" };

struct plug_event {
	struct usb_device *udev;
	char name[32];
	char serial[128];
	char fmt[64];
	u16 vendor;
	u8 side;
};

static void plug_handle(struct kth_thread *t, const struct kth_event *ev)
{
	const struct plug_event *e = (const void *)ev->data;
	struct usb_device *udev = e->udev;
	const char *product = udev->product;
	struct kth_env *env;

	env = kth_env_begin(t, ev, "add");
	kth_env_add(env, "SERIAL=%s", udev->serial); /* expected: unsanitized_env */
	kth_env_add(env, "MANUFACTURER=%s", udev->manufacturer); /* expected: unsanitized_env */
	kth_env_add(env, "PRODUCT_NAME=%s", product); /* expected: unsanitized_env */
	kth_env_add(env, "USB_DEVICE=%s", e->name); /* expected: unsanitized_env */
	kth_env_add(env, "VENDOR=%04x SERIAL=%.*s", e->vendor, 16, e->serial); /* expected: unsanitized_env */
	kth_env_add(env, "DEV=%s", dev_name(&udev->dev)); /* expected: unsanitized_env */
	kth_env_add(env, e->fmt); /* expected: unsanitized_env */
	kth_env_add(env, "SIDE=%s", plug_labels[e->side]); /* expected: unsanitized_env */
	kth_notify(t, env);
}
