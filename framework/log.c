// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - kernel-log lines about a thread, through its device, so that
 * they carry the kernel's structured metadata (see core.c).
 */
/* the caller's pr_fmt() is in @fmt already (kth_err() and friends) */
#define pr_fmt(fmt) fmt

#include <linux/device.h>
#include <linux/printk.h>
#include "kth_thread.h"

/**
 * kth_printk() - a kernel-log line about a thread, with its device
 * @t: the thread
 * @level: LOGLEVEL_ERR, LOGLEVEL_WARNING, LOGLEVEL_NOTICE or LOGLEVEL_INFO
 * @fmt: printf format, printed as is (kth_err() and friends add the
 *	caller's pr_fmt())
 *
 * The line carries SUBSYSTEM=kthelper and DEVICE=+kthelper:<name> as
 * structured metadata (dev_printk_emit()), which journald stores as
 * _KERNEL_SUBSYSTEM and _KERNEL_DEVICE: ``journalctl -k
 * _KERNEL_SUBSYSTEM=kthelper`` finds every such line.  Before the thread
 * has its device (an error inside kth_create()) it is a plain line.
 *
 * Context: Any context.
 */
void kth_printk(const struct kth_thread *t, int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (t->dev)
		dev_printk_emit(level, t->dev, "%pV", &vaf);
	else if (level <= LOGLEVEL_ERR)
		pr_err("%pV", &vaf);
	else if (level == LOGLEVEL_WARNING)
		pr_warn("%pV", &vaf);
	else if (level == LOGLEVEL_NOTICE)
		pr_notice("%pV", &vaf);
	else
		pr_info("%pV", &vaf);
	va_end(args);
}
EXPORT_SYMBOL_NS_GPL(kth_printk, KTH_NS);
