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

/* in_hardirq() replaced in_irq() in 5.11. */
#ifdef in_hardirq
#define kth_in_hardirq()	in_hardirq()
#else
#define kth_in_hardirq()	in_irq()
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

/* hrtimer_setup() replaced hrtimer_init() + .function in 6.13. */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define kth_hrtimer_setup(timer, fn, clock, mode)	\
	hrtimer_setup(timer, fn, clock, mode)
#else
#define kth_hrtimer_setup(timer, fn, clock, mode)	\
	do {						\
		struct hrtimer *__kth_timer = (timer);	\
							\
		hrtimer_init(__kth_timer, clock, mode);	\
		__kth_timer->function = fn;		\
	} while (0)
#endif

/*
 * kobject_init() takes a const struct kobj_type since 6.2 (Debian's 6.1 has
 * it from 6.1.y stable); before, it takes a plain one and never writes it.
 */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define kth_kobject_init(kobj, ktype)	kobject_init(kobj, ktype)
#else
#define kth_kobject_init(kobj, ktype)	\
	kobject_init(kobj, (struct kobj_type *)(ktype))
#endif

/* softnet_data.dropped became an atomic_t in 6.10. */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#define kth_softnet_dropped(sd)	((unsigned int)atomic_read(&(sd)->dropped))
#else
#define kth_softnet_dropped(sd)	READ_ONCE((sd)->dropped)
#endif

#endif /* _KTH_COMPAT_H */
