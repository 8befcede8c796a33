// SPDX-License-Identifier: GPL-2.0
/*
 * bench_icount.c - kth_bench under instruction counting (icount=1).
 *
 * QEMU's -icount shift=0 advances the guest's clocks by 1 ns per guest
 * instruction executed, and skips idle time (sleep=off), so every figure
 * kth_bench takes with the clock is a count of instructions: the same from
 * boot to boot, whatever the host's load.  This file checks that the
 * instrument reads as it should (a loop of known length) and prints the
 * targets on those counts.
 *
 * What an instruction count is not: a cycle count.  A locked atomic, a
 * cache miss and an add each count one; QEMU 7.2 counts a rep movs once
 * per iteration, so a payload copy is overcounted by its length in bytes
 * (over every mechanism alike: each copies the payload once per post).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/sched/clock.h>
#include "bench.h"

/* Iterations of the calibration loop: two runs, of one and two times it. */
#define BENCH_CAL_LOOPS		1000000ULL
/* Instructions per iteration: dec and jnz. */
#define BENCH_CAL_INSNS		2

/*
 * The guest time (local_clock()) of @loops iterations of a two-instruction
 * loop, interrupts off so that no handler's instructions count in it.
 */
static noinline u64 bench_cal_loop(u64 loops)
{
	unsigned long flags;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = local_clock();
#ifdef CONFIG_X86
	asm volatile("1:\n\tdec %0\n\tjnz 1b" : "+r" (loops) : : "cc");
#endif
	t1 = local_clock();
	local_irq_restore(flags);
	return t1 - t0;
}

/**
 * bench_icount_calibrate() - the instrument reads a loop of known length
 *	as its length: the difference between runs of 2 N and N iterations
 *	of a two-instruction loop (the clock reads cancel out) is 2 N
 *	instructions, within 1 %
 */
void bench_icount_calibrate(void)
{
	const u64 want = BENCH_CAL_LOOPS * BENCH_CAL_INSNS;
	u64 one, two, got;
	bool ok;

	if (!IS_ENABLED(CONFIG_X86)) {
		bench_result_skip("icount_calibration_loop_reads_its_length",
				  "the loop is x86 assembly");
		return;
	}
	one = bench_cal_loop(BENCH_CAL_LOOPS);
	two = bench_cal_loop(2 * BENCH_CAL_LOOPS);
	got = two > one ? two - one : 0;
	ok = got * 100 >= want * 99 && got * 100 <= want * 101;
	pr_info("# icount calibration: a loop of %llu instructions read as %llu (runs of %llu and %llu iterations: %llu and %llu)\n",
		want, got, BENCH_CAL_LOOPS, 2 * BENCH_CAL_LOOPS, one, two);
	bench_result(ok, "icount_calibration_loop_reads_its_length");
}

/* One target line: "# target NAME-SIZEB RATIOx (goal GOAL)". */
static void bench_icount_target(const char *name, unsigned int size_index,
				u64 theirs, u64 ours, const char *goal)
{
	char r[BENCH_RATIO_LEN];

	pr_info("# target %s-%uB %s (goal %s)\n", name,
		bench_sizes[size_index],
		bench_ratio(r, sizeof(r), theirs, ours), goal);
}

/**
 * bench_icount_targets() - the targets on instruction counts, one
 *	"# target NAME RATIOx (goal GOALx)" line each, per payload size:
 *	kthread_worker's count over kthelper's, end to end, per post (the
 *	consumer held off) and per drained event (against kthread_worker
 *	reading the clock as kthelper does); and the idle thread's wakeups
 */
void bench_icount_targets(void)
{
	const struct bench_figures *f = &bench_fig;
	char r[BENCH_RATIO_LEN];
	unsigned int i;

	pr_info("# targets on instruction counts (1 guest instruction = 1 ns of guest time; no host dependence): kthread_worker's count over kthelper's, higher is better; an instruction is not a cycle, and QEMU 7.2 counts each byte a rep movs copies as one\n");
	for (i = 0; i < BENCH_SIZES; i++)
		bench_icount_target("icount-vs-kthread_worker-1cpu", i,
				    f->tput[i][MECH_KWORKER][0],
				    f->tput[i][MECH_KTH][0], "1.50x");
	for (i = 0; i < BENCH_SIZES; i++)
		bench_icount_target("icount-post-vs-kthread_worker", i,
				    f->post[i][MECH_KWORKER][0],
				    f->post[i][MECH_KTH][0], "1.00x");
	for (i = 0; i < BENCH_SIZES; i++)
		bench_icount_target("icount-drain-vs-kthread_worker+clock", i,
				    f->drain[i][MECH_KWORKER_CLOCK],
				    f->drain[i][MECH_KTH], "1.00x");
	if (f->idle_switches >= 0)
		pr_info("# target idle-wakeups %ld (goal 0)\n", f->idle_switches);
	else
		pr_info("# target idle-wakeups n/a (goal 0)\n");
	/* no goal: where kthelper stands against the other anchors */
	pr_info("# figure icount-vs-kthread_worker+clock-1cpu %s (kthelper over kthread_worker reading the clock as kthelper does, 16 B, end to end)\n",
		bench_ratio(r, sizeof(r), f->tput[0][MECH_KWORKER_CLOCK][0],
			    f->tput[0][MECH_KTH][0]));
	pr_info("# figure icount-drain-vs-kthread_worker %s (kthelper's drain against bare kthread_worker's, which reads no clock, 16 B)\n",
		bench_ratio(r, sizeof(r), f->drain[0][MECH_KWORKER],
			    f->drain[0][MECH_KTH]));
	pr_info("# figure icount-post-vs-percpu-ring %s (kthelper's post against a copy and a clock read into a ring of the CPU's own, 16 B)\n",
		bench_ratio(r, sizeof(r), f->post[0][MECH_PERCPU][0],
			    f->post[0][MECH_KTH][0]));
}
