/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_test_compat.h - the kernel-version differences that only kthelper's
 * in-kernel test modules (kth_selftest, kth_stress, kth_bench) meet: they
 * arm hrtimers to post from hard IRQ and check that they run there.  The
 * framework's own are in framework/include/kth_compat.h, which is
 * installed for drivers; these are not.
 */
#ifndef _KTH_TEST_COMPAT_H
#define _KTH_TEST_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/preempt.h>
#include <linux/version.h>

/* in_hardirq() replaced in_irq() in 5.11. */
#ifdef in_hardirq
#define kth_in_hardirq()	in_hardirq()
#else
#define kth_in_hardirq()	in_irq()
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

#endif /* _KTH_TEST_COMPAT_H */
