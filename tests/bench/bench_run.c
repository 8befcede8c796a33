// SPDX-License-Identifier: GPL-2.0
/*
 * bench_run.c - one run: producers bound to CPUs post, the consumer of the
 * mechanism checks every event, the controller takes the times.
 *
 * The producers are kthreads bound to the first CPUs (kthread_create() and
 * kthread_bind(), which every supported kernel exports), or hrtimers
 * pinned to those CPUs for the hard-IRQ runs.  They all wait on one
 * completion, so that they start together.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <kth_test_compat.h>
#include "bench.h"

#define BENCH_IRQ_PERIOD_NS	(BENCH_IRQ_PERIOD_US * NSEC_PER_USEC)

/* ---- the producers ---- */

static void bench_producer_done(struct bench_run *run)
{
	if (atomic_dec_and_test(&run->producers_left))
		complete(&run->posted);
}

/* Set the index of the event about to be posted into @p's payload. */
static void bench_payload_index(struct bench_run *run,
				struct bench_producer *p, u64 index)
{
	struct bench_payload *pl = (struct bench_payload *)p->buf;

	pl->index = index;
	if (run->size > sizeof(*pl))
		((u8 *)p->buf)[run->size - 1] = (u8)index;
}

static enum hrtimer_restart bench_irq_tick(struct hrtimer *timer)
{
	struct bench_producer *p = container_of(timer, struct bench_producer,
						timer);
	struct bench_run *run = p->run;
	unsigned int i, n = min_t(u64, p->irq_left, BENCH_IRQ_BURST);
	u64 t0 = local_clock();

	for (i = 0; i < n && !p->error; i++) {
		bench_payload_index(run, p, run->per_producer - p->irq_left);
		p->error = bench_post(run, p, p->buf);
		p->irq_left--;
	}
	p->irq_ns += local_clock() - t0;
	if (p->irq_left && !p->error) {
		hrtimer_forward_now(timer, ns_to_ktime(BENCH_IRQ_PERIOD_NS));
		return HRTIMER_RESTART;
	}
	bench_producer_done(run);
	return HRTIMER_NORESTART;
}

static int bench_producer_fn(void *data)
{
	struct bench_producer *p = data;
	struct bench_run *run = p->run;
	u64 i;

	while (!wait_for_completion_timeout(&run->go, HZ))
		if (kthread_should_stop())
			return 0;
	if (run->irq) {
		/* pinned: the timer fires on this thread's CPU */
		hrtimer_start(&p->timer, ns_to_ktime(BENCH_IRQ_PERIOD_NS),
			      HRTIMER_MODE_REL_PINNED_HARD);
	} else {
		p->t_start = ktime_get_ns();
		for (i = 0; i < run->per_producer && !p->error; i++) {
			bench_payload_index(run, p, i);
			p->error = bench_post(run, p, p->buf);
			cond_resched();
		}
		p->t_end = ktime_get_ns();
		bench_producer_done(run);
	}
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* Stop the first @nr producers (created, woken or not). */
static void bench_producers_stop(struct bench_run *run, unsigned int nr)
{
	while (nr--) {
		hrtimer_cancel(&run->prod[nr].timer);
		kthread_stop(run->prod[nr].task);
	}
}

/* Create the producers, each bound to its CPU, and wake them. */
static int bench_producers_start(struct bench_run *run)
{
	unsigned int i, cpu = cpumask_first(cpu_online_mask);
	struct bench_producer *p;
	struct bench_payload *pl;

	for (i = 0; i < run->nr_producers; i++) {
		p = &run->prod[i];
		p->run = run;
		p->id = i;
		p->cpu = cpu;
		p->t_start = 0;
		p->t_end = 0;
		p->error = 0;
		p->irq_left = run->per_producer;
		p->irq_ns = 0;
		memset(p->buf, 0, sizeof(p->buf));
		pl = (struct bench_payload *)p->buf;
		pl->producer = i;
		pl->len = run->size;
		kth_hrtimer_setup(&p->timer, bench_irq_tick, CLOCK_MONOTONIC,
				  HRTIMER_MODE_REL_PINNED_HARD);
		p->task = kthread_create(bench_producer_fn, p, "kth_bench_p%u",
					 cpu);
		if (IS_ERR(p->task)) {
			bench_producers_stop(run, i);
			return PTR_ERR(p->task);
		}
		kthread_bind(p->task, cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
	}
	for (i = 0; i < run->nr_producers; i++)
		wake_up_process(run->prod[i].task);
	return 0;
}

bool bench_have_cpus(unsigned int nr)
{
	return nr >= 1 && nr <= BENCH_CPUS && num_online_cpus() >= nr;
}

/* What the run measured, from its timestamps. */
static void bench_measure(struct bench_run *run, struct bench_result *res)
{
	u64 start = U64_MAX, end = 0, irq_ns = 0;
	unsigned int i;

	for (i = 0; i < run->nr_producers; i++) {
		start = min(start, run->prod[i].t_start);
		end = max(end, run->prod[i].t_end);
		irq_ns += run->prod[i].irq_ns;
	}
	if (run->mech != MECH_PERCPU)
		res->ns[BENCH_NS_EVENT] = div64_u64(run->t_end - run->t_go,
						    run->total);
	if (run->mech == MECH_KTH) {
		struct kth_stats s;
		struct task_struct *p = run->prod[0].task;

		kth_get_stats(run->thread, &s);
		res->wakeups = s.wakeups - run->wakeups0;
		/* figures, read while the scheduler may count */
		res->switches[0] = data_race(p->nvcsw + p->nivcsw);
		if (run->consumer)
			/* as above */
			res->switches[1] = data_race(run->consumer->nvcsw +
						     run->consumer->nivcsw) -
					   run->switches0;
	}
	if (run->irq) {
		res->ns[BENCH_NS_IRQ_POST] = div64_u64(irq_ns, run->total);
		return;
	}
	res->ns[BENCH_NS_POST] = div64_u64(end - start, run->total);
	if (run->held && run->mech != MECH_PERCPU)
		res->ns[BENCH_NS_DRAIN] = div64_u64(run->t_end - run->t_release,
						    run->total);
}

/*
 * Wait until the consumer has seen every event.  Give up as soon as one
 * came out of order (a lost event shows so, unless it was the last), or
 * once none arrived for 5 s, however slow the machine.
 */
static bool bench_wait_done(struct bench_run *run)
{
	unsigned int still = 0;
	u64 seen, last = 0;

	while (!wait_for_completion_timeout(&run->done, HZ)) {
		seen = READ_ONCE(run->seen);
		if (READ_ONCE(run->errors))
			return false;
		still = seen == last ? still + 1 : 0;
		if (still == 5)
			return false;
		last = seen;
	}
	return true;
}

/**
 * bench_run_once() - one run: producers on @nr_producers CPUs post
 *	run->max_events events between them, the consumer checks each
 * @run: set up by bench_setup()
 * @nr_producers: 1..BENCH_CPUS
 * @held: hold the consumer off until every producer is done (the post
 *	side alone); kthelper, kthread_worker and percpu-ring only
 * @irq: the producers are pinned hrtimers (hard IRQ), in bursts of
 *	BENCH_IRQ_BURST; kthelper and kthread_worker only
 * @res: what it measured, zero where not
 *
 * Return: true if every event arrived, in order, with its payload.
 */
bool bench_run_once(struct bench_run *run, unsigned int nr_producers,
		    bool held, bool irq, struct bench_result *res)
{
	unsigned int i;
	bool ok;

	memset(res, 0, sizeof(*res));
	if (!bench_have_cpus(nr_producers))
		return false;
	run->nr_producers = nr_producers;
	run->per_producer = run->max_events / nr_producers;
	run->total = run->per_producer * nr_producers;
	run->held = held;
	run->irq = irq;
	run->seen = 0;
	run->errors = 0;
	run->last_seq = 0;
	memset(run->next, 0, sizeof(run->next));
	reinit_completion(&run->go);
	reinit_completion(&run->posted);
	reinit_completion(&run->done);
	atomic_set(&run->producers_left, nr_producers);
	if (held && bench_hold(run))
		return false;
	if (bench_producers_start(run))
		goto out_release;
	if (run->mech == MECH_KTH) {
		struct kth_stats s;

		kth_get_stats(run->thread, &s);
		run->wakeups0 = s.wakeups;
		run->consumer = bench_find_kthread(kth_name(run->thread));
		if (run->consumer)
			/* a figure, read while the scheduler may count */
			run->switches0 = data_race(run->consumer->nvcsw +
						   run->consumer->nivcsw);
	}
	run->t_go = ktime_get_ns();
	complete_all(&run->go);
	wait_for_completion(&run->posted);
	for (i = 0; i < nr_producers; i++)
		if (run->prod[i].error)
			break;
	ok = i == nr_producers;
	run->t_release = ktime_get_ns();
	if (held)
		bench_release(run);
	if (ok && run->mech != MECH_PERCPU)
		ok = bench_wait_done(run) && !run->errors;
	/* before the producers stop: it reads their tasks */
	if (ok)
		bench_measure(run, res);
	bench_producers_stop(run, nr_producers);
	if (run->consumer) {
		put_task_struct(run->consumer);
		run->consumer = NULL;
	}
	if (!ok)
		pr_info("# %s, %u B, %u CPU%s: %llu of %llu events arrived, %llu not next in order or not as posted, %s\n",
			bench_mech_names[run->mech], run->size, nr_producers,
			nr_producers == 1 ? "" : "s",
			READ_ONCE(run->seen), run->total, READ_ONCE(run->errors),
			i < nr_producers ? "a post failed" : "no post failed");
	return ok;

out_release:
	if (held)
		bench_release(run);
	return false;
}
