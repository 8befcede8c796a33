/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_compat.h - every kernel-version difference kthelper deals with.
 *
 * Nothing else in the tree tests LINUX_VERSION_CODE: code calls the
 * helpers below and stays the same on every supported kernel (5.10+).
 */
#ifndef _KTH_COMPAT_H
#define _KTH_COMPAT_H

#include <linux/version.h>
#include <linux/module.h>
#include <linux/preempt.h>

/*
 * The namespace argument of EXPORT_SYMBOL_NS_GPL() and MODULE_IMPORT_NS()
 * became a string literal in 6.13.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define KTH_EXPORT(sym)		EXPORT_SYMBOL_NS_GPL(sym, "KTHELPER")
#define KTH_IMPORT_NS()		MODULE_IMPORT_NS("KTHELPER")
#else
#define KTH_EXPORT(sym)		EXPORT_SYMBOL_NS_GPL(sym, KTHELPER)
#define KTH_IMPORT_NS()		MODULE_IMPORT_NS(KTHELPER)
#endif

/* in_hardirq() replaced in_irq() in 5.11. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define kth_in_hardirq()	in_hardirq()
#else
#define kth_in_hardirq()	in_irq()
#endif

#endif /* _KTH_COMPAT_H */
