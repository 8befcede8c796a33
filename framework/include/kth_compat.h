/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_compat.h - every kernel-version difference that kthelper.h and the
 * framework deal with; installed with kthelper.h, so it carries nothing
 * else.  A sample driver's own differences are in its directory
 * (drivers/netbufwatch/netbufwatch_compat.h), the test modules' in
 * tests/selftest/kth_test_compat.h.
 *
 * Nothing but these compat headers tests LINUX_VERSION_CODE: code calls
 * the helpers below and stays the same on every supported kernel (5.10+).
 *
 * A version test stays only where the older API exists on every kernel the
 * test sends to it, so that no backport can break it.  Where a distribution
 * kernel may have the newer API under an older version number, the feature
 * itself is tested: a compile probe (framework/probes/, run by ./Kbuild
 * with the kernel's own flags) defines KTH_HAVE_<FEATURE>.
 */
#ifndef _KTH_COMPAT_H
#define _KTH_COMPAT_H

#include <linux/version.h>
#include <linux/module.h>

/*
 * kvmalloc(), kvcalloc() and kvfree() moved from <linux/mm.h> to
 * <linux/slab.h> in 5.16: before, <linux/slab.h> alone does not declare them.
 */
#if KERNEL_VERSION(5, 16, 0) > LINUX_VERSION_CODE
#include <linux/mm.h>
#endif

/*
 * kthelper's symbol namespace, for EXPORT_SYMBOL_NS_GPL(sym, KTH_NS) and
 * MODULE_IMPORT_NS(KTH_NS): the argument became a string literal in 6.13.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define KTH_NS			"KTHELPER"
#else
#define KTH_NS			KTHELPER
#endif

/*
 * 5.10's EXPORT_SYMBOL_NS_GPL() and MODULE_IMPORT_NS() stringify their
 * argument as written (#ns), so KTH_NS named a namespace "KTH_NS" there,
 * not the documented KTHELPER; later kernels expand it first
 * (__stringify(ns)).  Do as they do.  Below 6.1, __EXPORT_SYMBOL(sym, sec,
 * ns) is the same on every kernel, so the definitions below are exact
 * (identical to the kernel's own from 5.11 on).  The headers come first so
 * that a later include cannot bring the old definitions back.
 */
#if KERNEL_VERSION(6, 1, 0) > LINUX_VERSION_CODE
#include <linux/export.h>
#include <linux/module.h>
#include <linux/stringify.h>
#undef EXPORT_SYMBOL_NS_GPL
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	__EXPORT_SYMBOL(sym, "_gpl", __stringify(ns))
#undef MODULE_IMPORT_NS
#define MODULE_IMPORT_NS(ns)		MODULE_INFO(import_ns, __stringify(ns))
#endif

/* del_timer_sync() became timer_delete_sync() in 6.2 (and went in 6.15). */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define kth_timer_delete_sync(timer)	timer_delete_sync(timer)
#else
#define kth_timer_delete_sync(timer)	del_timer_sync(timer)
#endif

/* from_timer() became timer_container_of() in 6.16. */
#ifdef from_timer
#define kth_timer_container(var, timer, field)	from_timer(var, timer, field)
#else
#define kth_timer_container(var, timer, field)	timer_container_of(var, timer, field)
#endif

/*
 * Tracepoints (framework/kth_trace.h): __assign_str() lost its second
 * argument in 6.10; the source given to __string() is copied.
 */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#define kth_assign_str(dst, src)	__assign_str(dst)
#else
#define kth_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * Probed.  The helpers below need the probe results, which only kthelper's
 * own build has (-DKTH_PROBED): a driver built out of tree against the
 * installed headers includes this file too and gets none of them.
 */
#ifdef KTH_PROBED

/*
 * kobject_init() takes a const struct kobj_type since 6.2 (Debian's 6.1 has
 * it from 6.1.y stable); before, it takes a plain one and never writes it.
 */
#ifdef KTH_HAVE_CONST_KOBJ_TYPE
#define kth_kobject_init(kobj, ktype)	kobject_init(kobj, ktype)
#else
#define kth_kobject_init(kobj, ktype)	\
	kobject_init(kobj, (struct kobj_type *)(ktype))
#endif

#endif /* KTH_PROBED */

#endif /* _KTH_COMPAT_H */
