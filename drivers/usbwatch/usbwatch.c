// SPDX-License-Identifier: GPL-2.0
/*
 * kth_usbwatch - a khubd-style USB hotplug monitor on kthelper.
 *
 * A USB notifier posts device and bus arrivals and departures; the helper
 * thread logs each one and notifies user space (helper and/or uevent)
 * with ACTION=add|remove|bus-add|bus-remove|present and the device's
 * identity codes, in the formats of the kernel's own USB uevent.
 * Everything the handler needs is copied at post time: the device may be
 * gone by the time the thread runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <linux/usb.h>
#include <kthelper.h>

MODULE_IMPORT_NS(KTH_NS);

static char *helper = "";
module_param(helper, charp, 0444);
MODULE_PARM_DESC(helper, "user-mode helper: absolute path, or empty for none (runtime: /sys/kernel/kthelper/kth_usbwatch/helper)");

static bool uevent = true;
module_param(uevent, bool, 0444);
MODULE_PARM_DESC(uevent, "send a KOBJ_CHANGE uevent for every event (default on)");

static bool coldplug = true;
module_param(coldplug, bool, 0444);
MODULE_PARM_DESC(coldplug, "report devices present at load as ACTION=present (default on)");

static unsigned int queue_len = 256;
module_param(queue_len, uint, 0444);
MODULE_PARM_DESC(queue_len, "events the queue holds, 1..65536 (default 256)");

enum usbwatch_action {
	USBWATCH_ADD,
	USBWATCH_REMOVE,
	USBWATCH_BUS_ADD,
	USBWATCH_BUS_REMOVE,
	USBWATCH_PRESENT,
};

static const char * const usbwatch_action_names[] = {
	[USBWATCH_ADD] = "add",
	[USBWATCH_REMOVE] = "remove",
	[USBWATCH_BUS_ADD] = "bus-add",
	[USBWATCH_BUS_REMOVE] = "bus-remove",
	[USBWATCH_PRESENT] = "present",
	NULL	/* the values of the events metric's label */
};

enum usbwatch_metric { USBWATCH_M_DEVICES, USBWATCH_M_EVENTS };

static const struct kth_metric usbwatch_metrics[] = {
	[USBWATCH_M_DEVICES] = KTH_METRIC("devices", KTH_GAUGE,
		"USB devices present, root hubs included, after the last event"),
	[USBWATCH_M_EVENTS] = KTH_METRIC_LABELLED("events", KTH_COUNTER,
		"events handled, by action", "action", usbwatch_action_names),
};

/* Device strings are copied raw (untrusted) and sanitised when used. */
#define USBWATCH_STR	256

struct usbwatch_event {
	u8 action;
	u8 class, subclass, protocol;
	u16 busnum, devnum;
	u16 vendor, product, bcd;
	char name[32];
	char serial[USBWATCH_STR];
	char manufacturer[USBWATCH_STR];
	char product_name[USBWATCH_STR];
};

static struct kth_thread *usbwatch;

static void usbwatch_copy_device(struct usbwatch_event *e,
				 struct usb_device *udev)
{
	const struct usb_device_descriptor *d = &udev->descriptor;

	strscpy(e->name, dev_name(&udev->dev), sizeof(e->name));
	e->busnum = udev->bus->busnum;
	e->devnum = udev->devnum;
	e->vendor = le16_to_cpu(d->idVendor);
	e->product = le16_to_cpu(d->idProduct);
	e->bcd = le16_to_cpu(d->bcdDevice);
	e->class = d->bDeviceClass;
	e->subclass = d->bDeviceSubClass;
	e->protocol = d->bDeviceProtocol;
	strscpy(e->serial, udev->serial ?: "", sizeof(e->serial));
	strscpy(e->manufacturer, udev->manufacturer ?: "",
		sizeof(e->manufacturer));
	strscpy(e->product_name, udev->product ?: "", sizeof(e->product_name));
}

static void usbwatch_post_device(enum usbwatch_action action,
				 struct usb_device *udev)
{
	struct usbwatch_event e = { .action = action };

	usbwatch_copy_device(&e, udev);
	kth_post(usbwatch, &e, sizeof(e));
}

static void usbwatch_post_bus(enum usbwatch_action action, struct usb_bus *bus)
{
	struct usbwatch_event e = {
		.action = action,
		.busnum = bus->busnum,
	};

	snprintf(e.name, sizeof(e.name), "usb%d", bus->busnum);
	kth_post(usbwatch, &e, sizeof(e));
}

/* Called in process context by the USB core, device locked. */
static int usbwatch_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	switch (action) {
	case USB_DEVICE_ADD:
		usbwatch_post_device(USBWATCH_ADD, data);
		break;
	case USB_DEVICE_REMOVE:
		usbwatch_post_device(USBWATCH_REMOVE, data);
		break;
	case USB_BUS_ADD:
		usbwatch_post_bus(USBWATCH_BUS_ADD, data);
		break;
	case USB_BUS_REMOVE:
		usbwatch_post_bus(USBWATCH_BUS_REMOVE, data);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block usbwatch_nb = {
	.notifier_call = usbwatch_notify,
};

static int usbwatch_coldplug_one(struct usb_device *udev, void *unused)
{
	usbwatch_post_device(USBWATCH_PRESENT, udev);
	return 0;
}

static int usbwatch_count_one(struct usb_device *udev, void *count)
{
	++*(unsigned int *)count;
	return 0;
}

static void usbwatch_handle(struct kth_thread *t, const struct kth_event *ev)
{
	const struct usbwatch_event *e = (const void *)ev->data;
	const char *action = usbwatch_action_names[e->action];
	char serial[KTH_UNTRUSTED_MAX], maker[KTH_UNTRUSTED_MAX];
	char product[KTH_UNTRUSTED_MAX];
	unsigned int devices = 0;
	struct kth_env *env;

	kth_sanitize(serial, sizeof(serial), e->serial, sizeof(e->serial));
	kth_sanitize(maker, sizeof(maker), e->manufacturer,
		     sizeof(e->manufacturer));
	kth_sanitize(product, sizeof(product), e->product_name,
		     sizeof(e->product_name));
	kth_info(t, "%s %s bus %03u dev %03u id %04x:%04x bcd %04x class %u/%u/%u serial \"%s\" manufacturer \"%s\" product \"%s\"\n",
		 action, e->name, e->busnum, e->devnum, e->vendor, e->product,
		 e->bcd, e->class, e->subclass, e->protocol, serial, maker,
		 product);

	env = kth_env_begin(t, ev, action);
	kth_env_add_untrusted(env, "USB_DEVICE", e->name, sizeof(e->name));
	kth_env_add(env, "BUSNUM=%03u", e->busnum);
	if (e->action != USBWATCH_BUS_ADD && e->action != USBWATCH_BUS_REMOVE) {
		/* the same formats as the kernel's own USB uevent */
		kth_env_add(env, "DEVNUM=%03u", e->devnum);
		kth_env_add(env, "PRODUCT=%x/%x/%x", e->vendor, e->product,
			    e->bcd);
		kth_env_add(env, "TYPE=%u/%u/%u", e->class, e->subclass,
			    e->protocol);
		kth_env_add(env, "SERIAL=%s", serial);
		kth_env_add(env, "MANUFACTURER=%s", maker);
		kth_env_add(env, "PRODUCT_NAME=%s", product);
	}
	kth_notify(t, env);
	usb_for_each_dev(&devices, usbwatch_count_one);
	kth_metric_set(t, USBWATCH_M_DEVICES, 0, devices);
	kth_metric_add(t, USBWATCH_M_EVENTS, e->action, 1);
}

static const struct kth_ops usbwatch_ops = {
	.handle = usbwatch_handle,
};

static int __init usbwatch_init(void)
{
	struct kth_config cfg = {
		.name = KBUILD_MODNAME,
		.ops = &usbwatch_ops,
		.event_size = sizeof(struct usbwatch_event),
		.queue_len = queue_len,
		.overflow = KTH_DROP_NEWEST,
		.flags = KTH_SIGNALS | (uevent ? KTH_UEVENT : 0),
		.helper = helper,
		.metrics = usbwatch_metrics,
		.n_metrics = ARRAY_SIZE(usbwatch_metrics),
	};
	int ret;

	usbwatch = kth_create(&cfg);
	if (IS_ERR(usbwatch))
		return PTR_ERR(usbwatch);
	ret = kth_start(usbwatch);
	if (ret)
		goto out_destroy;
	usb_register_notify(&usbwatch_nb);
	if (coldplug)
		usb_for_each_dev(NULL, usbwatch_coldplug_one);
	return 0;

out_destroy:
	kth_destroy(usbwatch);
	return ret;
}

static void __exit usbwatch_exit(void)
{
	usb_unregister_notify(&usbwatch_nb);	/* waits for running callbacks */
	kth_destroy(usbwatch);
}

module_init(usbwatch_init);
module_exit(usbwatch_exit);
MODULE_DESCRIPTION("kthelper sample: khubd-style USB hotplug monitor");
MODULE_LICENSE("GPL");
MODULE_VERSION(KTH_VERSION);
