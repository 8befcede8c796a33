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
 * kthelper's symbol namespace, for EXPORT_SYMBOL_NS_GPL(sym, KTH_NS) and
 * MODULE_IMPORT_NS(KTH_NS): the argument became a string literal in 6.13.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define KTH_NS			"KTHELPER"
#else
#define KTH_NS			KTHELPER
#endif

/* in_hardirq() replaced in_irq() in 5.11. */
#ifdef in_hardirq
#define kth_in_hardirq()	in_hardirq()
#else
#define kth_in_hardirq()	in_irq()
#endif

#endif /* _KTH_COMPAT_H */
