/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_ktap.h - KTAP output of kthelper's in-kernel test modules
 * (kth_selftest, kth_stress, kth_bench): one printk line each, read back
 * from the kernel log by ktap_results in tests/guest/lib.sh.  The module
 * defines pr_fmt as KBUILD_MODNAME ": " fmt before its includes.
 */
#ifndef KTH_KTAP_H
#define KTH_KTAP_H

#include <linux/printk.h>
#include <linux/types.h>

/* A diagnostic line: "# ..." */
#define kth_ktap_diag(fmt, ...) pr_info("# " fmt "\n", ##__VA_ARGS__)

/**
 * struct kth_ktap - the tests a module has reported so far
 * @number: results printed
 * @failed: of which "not ok"
 * @skipped: of which "ok ... # SKIP"
 */
struct kth_ktap {
	unsigned int number;
	unsigned int failed;
	unsigned int skipped;
};

/* The header: the version line and the plan of @n results. */
static inline void kth_ktap_plan(unsigned int n)
{
	pr_info("KTAP version 1\n");
	pr_info("1..%u\n", n);
}

/* One result line, numbered in order. */
static inline void kth_ktap_result(struct kth_ktap *k, bool ok,
				   const char *name)
{
	k->number++;
	if (!ok)
		k->failed++;
	pr_info("%sok %u %s\n", ok ? "" : "not ", k->number, name);
}

/* One result that did not run, and why: "ok N NAME # SKIP WHY". */
static inline void kth_ktap_skip(struct kth_ktap *k, const char *name,
				 const char *why)
{
	k->number++;
	k->skipped++;
	pr_info("ok %u %s # SKIP %s\n", k->number, name, why);
}

/* The closing diagnostic: "# <module>: N passed, N failed". */
static inline void kth_ktap_summary(const struct kth_ktap *k)
{
	if (k->skipped)
		pr_info("# %s: %u passed, %u failed, %u skipped\n",
			KBUILD_MODNAME, k->number - k->failed - k->skipped,
			k->failed, k->skipped);
	else
		pr_info("# %s: %u passed, %u failed\n", KBUILD_MODNAME,
			k->number - k->failed, k->failed);
}

#endif /* KTH_KTAP_H */
