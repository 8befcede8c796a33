// SPDX-License-Identifier: GPL-2.0
/*
 * kth_selftest - kthelper's in-kernel tests, and a thread for the guest
 * scenarios to drive from the shell.
 *
 * Loaded with run_tests=1 (the default) it runs every test below at load
 * time and writes KTAP to the kernel log, each line prefixed with
 * "kth_selftest: ".  It then keeps one helper thread, "kth_selftest",
 * whose events are posted by writing "NAME [COUNT [NOTE]]" to
 * /sys/kernel/kthelper/kth_selftest/trigger.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/suspend.h>
#include <linux/timekeeping.h>
#include <kthelper.h>
#include "kth_test_compat.h"
#include "kth_ktap.h"

MODULE_IMPORT_NS(KTH_NS);

/* ---------------------------------------------------------------------
 * A recording test thread
 */

#define ST_MAX_RECORDS	8192

struct st_payload {
	u32 producer;
	u32 index;
	bool in_hardirq;
};

struct st_record {
	u64 seq;
	u64 timestamp_ns;
	struct st_payload p;
	int cpu;			/* where the handler ran */
	int nr_cpus_allowed;		/* on how many CPUs it may run */
};

struct st_ctx {
	struct kth_thread *t;
	int setup_result;
	bool setup_ran;
	unsigned int delay_ms;
	atomic_t handled;
	atomic_t reloads;
	struct st_record *rec;
};

static int st_setup(struct kth_thread *t)
{
	struct st_ctx *c = kth_priv(t);

	c->setup_ran = true;
	return c->setup_result;
}

static void st_handle(struct kth_thread *t, const struct kth_event *ev)
{
	struct st_ctx *c = kth_priv(t);
	int i = atomic_read(&c->handled);

	if (c->delay_ms)
		msleep(c->delay_ms);
	if (i < ST_MAX_RECORDS) {
		c->rec[i].seq = ev->seq;
		c->rec[i].timestamp_ns = ev->timestamp_ns;
		memcpy(&c->rec[i].p, ev->data, sizeof(c->rec[i].p));
		c->rec[i].cpu = raw_smp_processor_id();
		c->rec[i].nr_cpus_allowed = current->nr_cpus_allowed;
	}
	atomic_inc(&c->handled);
}

static void st_reload(struct kth_thread *t)
{
	struct st_ctx *c = kth_priv(t);

	atomic_inc(&c->reloads);
}

static const struct kth_ops st_ops = {
	.setup = st_setup,
	.handle = st_handle,
	.reload = st_reload,
};

static struct st_ctx *st_create_on(const char *name, unsigned int queue_len,
				   enum kth_overflow overflow,
				   const struct cpumask *cpus)
{
	struct kth_config cfg = {
		.name = name,
		.ops = &st_ops,
		.event_size = sizeof(struct st_payload),
		.queue_len = queue_len,
		.overflow = overflow,
		.flags = KTH_SIGNALS,
		.cpus = cpus,
	};
	struct st_ctx *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->rec = kvcalloc(ST_MAX_RECORDS, sizeof(*c->rec), GFP_KERNEL);
	if (!c->rec)
		goto out_free_ctx;
	cfg.priv = c;
	c->t = kth_create(&cfg);
	if (IS_ERR(c->t))
		goto out_free_rec;
	return c;

out_free_rec:
	kvfree(c->rec);
out_free_ctx:
	kfree(c);
	return NULL;
}

static struct st_ctx *st_create(const char *name, unsigned int queue_len,
				enum kth_overflow overflow)
{
	return st_create_on(name, queue_len, overflow, NULL);
}

static void st_destroy(struct st_ctx *c)
{
	if (!c)
		return;
	kth_destroy(c->t);
	kvfree(c->rec);
	kfree(c);
}

static int st_post(struct st_ctx *c, u32 producer, u32 index)
{
	struct st_payload p = { .producer = producer, .index = index };

	return kth_post(c->t, &p, sizeof(p));
}

/* Poll (with a deadline, never a fixed sleep) until @cond(@c, @arg) holds. */
static bool st_wait(bool (*cond)(struct st_ctx *c, long arg), struct st_ctx *c,
		    long arg, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (!cond(c, arg) && time_before(jiffies, end))
		usleep_range(500, 1000);
	return cond(c, arg);
}

static bool st_handled_is(struct st_ctx *c, long n)
{
	return atomic_read(&c->handled) == n;
}

static bool st_state_is(struct st_ctx *c, long state)
{
	return kth_get_state(c->t) == state;
}

static bool st_reloads_is(struct st_ctx *c, long n)
{
	return atomic_read(&c->reloads) == n;
}

static bool st_atomic_zero(struct st_ctx *c, long arg)
{
	return !atomic_read((atomic_t *)arg);
}

static bool st_quiet_balanced(struct kth_thread *t, struct kth_stats *s)
{
	kth_get_stats(t, s);
	return s->posted == s->handled + s->dropped + s->depth;
}

static bool st_drained(struct st_ctx *c, long arg)
{
	struct kth_stats s;

	return st_quiet_balanced(c->t, &s) && !s.depth &&
	       atomic_read(&c->handled) == s.handled;
}

/* ---------------------------------------------------------------------
 * KTAP
 */

static struct kth_ktap st_ktap;

#define st_diag kth_ktap_diag

static void st_result(bool ok, const char *name)
{
	kth_ktap_result(&st_ktap, ok, name);
}

/* ---------------------------------------------------------------------
 * The tests; each returns true when every expectation held
 */

static bool test_start_ready(void)
{
	struct st_ctx *c = st_create("kth_st_ready", 16, KTH_DROP_NEWEST);
	bool ok = false;

	if (!c)
		return false;
	if (kth_start(c->t))
		goto out;
	ok = c->setup_ran && kth_get_state(c->t) == KTH_RUNNING;
	if (!ok)
		st_diag("setup_ran=%d state=%d", c->setup_ran,
			kth_get_state(c->t));
out:
	st_destroy(c);
	return ok;
}

static bool test_setup_failure(void)
{
	struct st_ctx *c = st_create("kth_st_setup", 16, KTH_DROP_NEWEST);
	bool ok = false;
	int ret;

	if (!c)
		return false;
	c->setup_result = -ENODEV;
	ret = kth_start(c->t);
	if (ret != -ENODEV || kth_get_state(c->t) != KTH_STOPPED) {
		st_diag("start returned %d, state %d", ret,
			kth_get_state(c->t));
		goto out;
	}
	if (st_post(c, 0, 0) != -ESHUTDOWN)
		goto out;
	c->setup_result = 0;
	ok = !kth_start(c->t) && kth_get_state(c->t) == KTH_RUNNING;
out:
	st_destroy(c);
	return ok;
}

static bool test_bad_config(void)
{
	struct kth_config cfg = {
		.name = "kth_st_bad", .ops = &st_ops, .event_size = 8,
		.queue_len = 4,
	};
	struct kth_thread *t;
	bool ok = true;

	cfg.name = "this_name_is_too_long";
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.name = "Bad-Name";
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.name = "kth_st_bad";
	cfg.event_size = 0;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.event_size = KTH_EVENT_SIZE_MAX + 1;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.event_size = 8;
	cfg.queue_len = 0;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.queue_len = 4;
	cfg.helper = "relative/path";
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.helper = NULL;
	cfg.helper_timeout_ms = KTH_HELPER_TIMEOUT_MS_MIN - 1;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.helper_timeout_ms = KTH_HELPER_TIMEOUT_MS_MAX + 1;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.helper_timeout_ms = 0;
	cfg.helper_max_running = KTH_HELPER_RUNNING_MAX + 1;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.helper_max_running = 0;
	cfg.helper_max_pending = KTH_HELPER_PENDING_MAX + 1;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.helper_max_pending = 0;
	cfg.flags = BIT(31);
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.flags = KTH_FLAGS_ALL;
	cfg.cpus = cpu_none_mask;
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.cpus = NULL;
	t = kth_create(&cfg);
	if (IS_ERR(t))
		return false;
	ok &= PTR_ERR(kth_create(&cfg)) == -EEXIST;
	ok &= kth_post(t, &cfg, 9) == -EMSGSIZE;
	kth_destroy(t);
	return ok;
}

static bool test_order(void)
{
	struct st_ctx *c = st_create("kth_st_order", 256, KTH_DROP_NEWEST);
	static u64 last_ts[64];
	const int n = 2000;
	struct kth_stats s;
	bool ok = false;
	int i;

	if (!c)
		return false;
	if (kth_start(c->t))
		goto out;
	for (i = 0; i < n; i++)
		while (st_post(c, raw_smp_processor_id(), i) == -ENOSPC)
			cond_resched();
	if (!st_wait(st_handled_is, c, n, 10000))
		goto out;
	for (i = 0; i < n; i++) {
		u32 cpu = c->rec[i].p.producer;

		/* timestamps are local_clock(): ordered per CPU */
		if (c->rec[i].p.index != i ||
		    (i && c->rec[i].seq <= c->rec[i - 1].seq) ||
		    (cpu < ARRAY_SIZE(last_ts) &&
		     c->rec[i].timestamp_ns < last_ts[cpu])) {
			st_diag("event %d out of order", i);
			goto out;
		}
		if (cpu < ARRAY_SIZE(last_ts))
			last_ts[cpu] = c->rec[i].timestamp_ns;
	}
	ok = st_quiet_balanced(c->t, &s) && s.handled == n;
out:
	st_destroy(c);
	return ok;
}

/* Hard-IRQ producers: one pinned hrtimer per CPU, all at once. */
#define ST_PRODUCERS	2

struct st_irq_producer {
	struct hrtimer timer;
	struct st_ctx *c;
	u32 producer;
	u32 cpu;
	u32 next;
	u32 count;
	u32 per_tick;
	atomic_t *running;
	bool saw_hardirq;
};

static enum hrtimer_restart st_irq_tick(struct hrtimer *timer)
{
	struct st_irq_producer *p = container_of(timer, struct st_irq_producer,
						 timer);
	struct st_payload pl = { .producer = p->producer };
	u32 i;

	p->saw_hardirq = kth_in_hardirq();
	for (i = 0; i < p->per_tick && p->next < p->count; i++) {
		pl.index = p->next++;
		pl.in_hardirq = p->saw_hardirq;
		kth_post(p->c->t, &pl, sizeof(pl));
	}
	if (p->next < p->count) {
		hrtimer_forward_now(timer, ns_to_ktime(50 * NSEC_PER_USEC));
		return HRTIMER_RESTART;
	}
	atomic_dec(p->running);
	return HRTIMER_NORESTART;
}

static void st_irq_arm(void *data)
{
	struct st_irq_producer *p = data;

	hrtimer_start(&p->timer, ns_to_ktime(10 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static bool st_check_per_producer_order(struct st_ctx *c, u32 handled)
{
	u32 next[ST_PRODUCERS] = {};
	u32 i;

	for (i = 0; i < min_t(u32, handled, ST_MAX_RECORDS); i++) {
		struct st_payload *pl = &c->rec[i].p;

		if (pl->producer >= ST_PRODUCERS ||
		    pl->index < next[pl->producer] ||
		    !pl->in_hardirq)
			return false;
		next[pl->producer] = pl->index + 1;
	}
	return true;
}

static bool test_hardirq_both_cpus(void)
{
	struct st_ctx *c = st_create("kth_st_irq", 1024, KTH_DROP_NEWEST);
	static struct st_irq_producer prod[ST_PRODUCERS];
	atomic_t running = ATOMIC_INIT(0);
	const u32 count = 2000;
	unsigned int cpu, n = 0;
	struct kth_stats s;
	bool ok = false;

	if (!c)
		return false;
	if (kth_start(c->t))
		goto out;
	for_each_online_cpu(cpu) {
		if (n == ARRAY_SIZE(prod))
			break;
		prod[n] = (struct st_irq_producer) {
			.c = c, .producer = n, .cpu = cpu, .count = count,
			.per_tick = 50,
			.running = &running,
		};
		kth_hrtimer_setup(&prod[n].timer, st_irq_tick, CLOCK_MONOTONIC,
				  HRTIMER_MODE_REL_PINNED_HARD);
		atomic_inc(&running);
		n++;
	}
	for (cpu = 0; cpu < n; cpu++)
		smp_call_function_single(prod[cpu].cpu, st_irq_arm, &prod[cpu],
					 1);
	if (!st_wait(st_atomic_zero, c, (long)&running, 20000))
		st_diag("producers did not finish");
	for (cpu = 0; cpu < n; cpu++)
		hrtimer_cancel(&prod[cpu].timer);
	if (!st_wait(st_drained, c, 0, 20000))
		goto out;
	kth_get_stats(c->t, &s);
	st_diag("%u producers, posted=%llu handled=%llu dropped=%llu",
		n, s.posted, s.handled, s.dropped);
	ok = s.posted == (u64)count * n && s.handled + s.dropped == s.posted &&
	     s.handled > 0 &&
	     st_check_per_producer_order(c, atomic_read(&c->handled));
	for (cpu = 0; cpu < n; cpu++)
		ok &= prod[cpu].saw_hardirq;
out:
	st_destroy(c);
	return ok;
}

/*
 * Resume a thread paused with posts 0..@n-1 queued under a bound of @keep,
 * and check that its handler gets the ones the policy kept, in order and
 * each with its sequence number (index + 1): drop-newest the first @keep,
 * drop-oldest the last.
 */
static bool st_resume_kept(struct st_ctx *c, enum kth_overflow policy,
			   u32 n, u32 keep)
{
	u32 i, first = policy == KTH_DROP_NEWEST ? 0 : n - keep;
	struct kth_stats s;

	if (kth_resume(c->t) || !st_wait(st_handled_is, c, keep, 5000))
		return false;
	for (i = 0; i < keep; i++) {
		if (c->rec[i].p.index != first + i ||
		    c->rec[i].seq != (u64)first + i + 1) {
			st_diag("event %u: index %u seq %llu, want %u %u", i,
				c->rec[i].p.index, c->rec[i].seq, first + i,
				first + i + 1);
			return false;
		}
	}
	return st_quiet_balanced(c->t, &s) && s.handled == keep;
}

static bool st_overflow(enum kth_overflow policy)
{
	struct st_ctx *c = st_create("kth_st_ovf", 8, policy);
	const int n = 30;
	int i, ret, rejected = 0;
	struct kth_stats s;
	bool ok = false;

	if (!c)
		return false;
	if (kth_start(c->t) || kth_pause(c->t))
		goto out;
	for (i = 0; i < n; i++) {
		ret = st_post(c, 0, i);
		if (ret == -ENOSPC)
			rejected++;
		else if (ret)
			goto out;
	}
	kth_get_stats(c->t, &s);
	if (s.depth != 8 || s.dropped != n - 8 ||
	    rejected != (policy == KTH_DROP_NEWEST ? n - 8 : 0) ||
	    s.dropped_full != (policy == KTH_DROP_NEWEST ? n - 8 : 0) ||
	    s.dropped_evicted != (policy == KTH_DROP_OLDEST ? n - 8 : 0) ||
	    s.dropped_stopped || s.dropped_killed) {
		st_diag("depth=%llu dropped=%llu rejected=%d by cause %llu/%llu/%llu/%llu",
			s.depth, s.dropped, rejected, s.dropped_full,
			s.dropped_evicted, s.dropped_stopped,
			s.dropped_killed);
		goto out;
	}
	/* drop-newest keeps events 0..7, drop-oldest keeps 22..29 */
	ok = st_resume_kept(c, policy, n, 8);
out:
	st_destroy(c);
	return ok;
}

static bool test_overflow_drop_newest(void)
{
	return st_overflow(KTH_DROP_NEWEST);
}

static bool test_overflow_drop_oldest(void)
{
	return st_overflow(KTH_DROP_OLDEST);
}

/*
 * The bound is the thread's, not each CPU's: posts from two CPUs in turn
 * (each from an IPI, hard IRQ), the thread paused, fill queue_len slots in
 * all, and the handler gets the kept ones in sequence order.
 */
struct st_cpu_post {
	struct st_ctx *c;
	u32 producer;
	u32 index;
	int ret;
};

static void st_cpu_post_one(void *data)
{
	struct st_cpu_post *p = data;

	p->ret = st_post(p->c, p->producer, p->index);
}

static bool st_bound_both_cpus(enum kth_overflow policy)
{
	struct st_ctx *c = st_create("kth_st_bound", 8, policy);
	const u32 n = 20, keep = 8;
	struct st_cpu_post p = {};
	unsigned int cpus[2], ncpus = 0, cpu;
	struct kth_stats s;
	bool ok = false;
	u32 i;

	if (!c)
		return false;
	for_each_online_cpu(cpu) {
		if (ncpus == ARRAY_SIZE(cpus))
			break;
		cpus[ncpus++] = cpu;
	}
	if (kth_start(c->t) || kth_pause(c->t))
		goto out;
	p.c = c;
	for (i = 0; i < n; i++) {
		p.producer = i % ncpus;
		p.index = i;
		smp_call_function_single(cpus[p.producer], st_cpu_post_one, &p,
					 1);
		if (p.ret && p.ret != -ENOSPC)
			goto out;
	}
	kth_get_stats(c->t, &s);
	if (s.posted != n || s.depth != keep || s.dropped != n - keep) {
		st_diag("%u CPUs: posted=%llu depth=%llu dropped=%llu, want %u %u %u",
			ncpus, s.posted, s.depth, s.dropped, n, keep, n - keep);
		goto out;
	}
	/* drop-newest keeps posts 0..7, drop-oldest 12..19 */
	ok = st_resume_kept(c, policy, n, keep);
out:
	st_destroy(c);
	return ok;
}

static bool test_bound_both_cpus_newest(void)
{
	return st_bound_both_cpus(KTH_DROP_NEWEST);
}

static bool test_bound_both_cpus_oldest(void)
{
	return st_bound_both_cpus(KTH_DROP_OLDEST);
}

static bool test_stop_with_queue(void)
{
	struct st_ctx *c = st_create("kth_st_stopq", 16, KTH_DROP_NEWEST);
	struct kth_stats s;
	bool ok = false;
	int i;

	if (!c)
		return false;
	if (kth_start(c->t) || kth_pause(c->t))
		goto out;
	for (i = 0; i < 5; i++)
		st_post(c, 0, i);
	kth_stop(c->t);
	ok = kth_get_state(c->t) == KTH_STOPPED &&
	     st_quiet_balanced(c->t, &s) && s.dropped == 5 && !s.depth &&
	     s.dropped_killed == 5 && st_post(c, 0, 9) == -ESHUTDOWN;
	kth_get_stats(c->t, &s);
	ok &= s.dropped == 6 && s.dropped_stopped == 1 && !s.dropped_full &&
	      !s.dropped_evicted;
	kth_stop(c->t);		/* a second stop is harmless */
out:
	st_destroy(c);
	return ok;
}

static int st_signal(const char *name, int sig)
{
	struct task_struct *p;
	int ret = -ESRCH;

	rcu_read_lock();
	for_each_process(p) {
		if ((p->flags & PF_KTHREAD) && !strcmp(p->comm, name) &&
		    pid_alive(p)) {
			ret = send_sig(sig, p, 0);
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

static bool test_sigkill_then_stop(void)
{
	struct st_ctx *c = st_create("kth_st_kill", 16, KTH_DROP_NEWEST);
	struct kth_stats s;
	bool ok = false;
	int i;

	if (!c)
		return false;
	if (kth_start(c->t) || kth_pause(c->t))
		goto out;
	for (i = 0; i < 4; i++)
		st_post(c, 0, i);
	if (st_signal("kth_st_kill", SIGKILL) ||
	    !st_wait(st_state_is, c, KTH_STOPPED, 5000))
		goto out;
	kth_stop(c->t);		/* the thread is gone: must not hang */
	if (!st_quiet_balanced(c->t, &s) || s.dropped != 4 ||
	    s.dropped_killed != 4 || st_post(c, 0, 0) != -ESHUTDOWN)
		goto out;
	/* and it can be started again */
	ok = !kth_start(c->t) && !st_post(c, 0, 5) &&
	     st_wait(st_handled_is, c, 1, 5000);
out:
	st_destroy(c);
	return ok;
}

static bool test_sigterm_drains(void)
{
	struct st_ctx *c = st_create("kth_st_term", 64, KTH_DROP_NEWEST);
	struct kth_stats s;
	bool ok = false;
	int i;

	if (!c)
		return false;
	if (kth_start(c->t) || kth_pause(c->t))
		goto out;
	for (i = 0; i < 20; i++)
		st_post(c, 0, i);
	if (st_signal("kth_st_term", SIGTERM) ||
	    !st_wait(st_state_is, c, KTH_STOPPED, 5000))
		goto out;
	ok = st_quiet_balanced(c->t, &s) && s.handled == 20 && !s.dropped &&
	     st_post(c, 0, 0) == -ESHUTDOWN;
out:
	st_destroy(c);
	return ok;
}

static bool test_sighup_reload(void)
{
	struct st_ctx *c = st_create("kth_st_hup", 16, KTH_DROP_NEWEST);
	bool ok = false;

	if (!c)
		return false;
	if (kth_start(c->t) || st_signal("kth_st_hup", SIGHUP))
		goto out;
	ok = st_wait(st_reloads_is, c, 1, 5000) &&
	     kth_get_state(c->t) == KTH_RUNNING;
out:
	st_destroy(c);
	return ok;
}

static bool test_pause_resume(void)
{
	struct st_ctx *c = st_create("kth_st_pause", 64, KTH_DROP_NEWEST);
	struct kth_stats s;
	bool ok = false;
	int i;

	if (!c)
		return false;
	if (kth_start(c->t) || kth_pause(c->t) ||
	    kth_get_state(c->t) != KTH_PAUSED)
		goto out;
	for (i = 0; i < 10; i++)
		st_post(c, 0, i);
	msleep(100);	/* a paused thread must not have handled any */
	kth_get_stats(c->t, &s);
	if (s.depth != 10 || atomic_read(&c->handled)) {
		st_diag("paused thread handled events: depth=%llu", s.depth);
		goto out;
	}
	ok = !kth_resume(c->t) && st_wait(st_handled_is, c, 10, 5000);
out:
	st_destroy(c);
	return ok;
}

static bool test_sigstop_sigcont(void)
{
	struct st_ctx *c = st_create("kth_st_stopsig", 64, KTH_DROP_NEWEST);
	bool ok = false;

	if (!c)
		return false;
	if (kth_start(c->t) || st_signal("kth_st_stopsig", SIGSTOP) ||
	    !st_wait(st_state_is, c, KTH_PAUSED, 5000))
		goto out;
	st_post(c, 0, 0);
	if (st_signal("kth_st_stopsig", SIGCONT) ||
	    !st_wait(st_handled_is, c, 1, 5000))
		goto out;
	/* kth_stop() on a SIGSTOPped thread must not hang */
	if (st_signal("kth_st_stopsig", SIGSTOP) ||
	    !st_wait(st_state_is, c, KTH_PAUSED, 5000))
		goto out;
	kth_stop(c->t);
	ok = kth_get_state(c->t) == KTH_STOPPED;
out:
	st_destroy(c);
	return ok;
}

static bool test_restart(void)
{
	struct st_ctx *c = st_create("kth_st_restart", 16, KTH_DROP_NEWEST);
	bool ok = false;
	int i;

	if (!c)
		return false;
	for (i = 0; i < 3; i++) {
		if (kth_start(c->t) || st_post(c, 0, i) ||
		    !st_wait(st_handled_is, c, i + 1, 5000))
			goto out;
		kth_stop(c->t);
	}
	ok = kth_start(c->t) == 0 && kth_start(c->t) == -EBUSY;
out:
	st_destroy(c);
	return ok;
}

/*
 * &kth_config.cpus: a thread bound to the last online CPU may run there
 * only, and handles every event there, posted from each CPU, and again
 * after a restart.
 */
static bool test_cpus(void)
{
	unsigned int cpu = cpumask_last(cpu_online_mask), post_cpu;
	struct st_cpu_post p = {};
	struct st_ctx *c;
	int i, n = 0, round;
	bool ok = false;

	c = st_create_on("kth_st_cpus", 64, KTH_DROP_NEWEST, cpumask_of(cpu));
	if (!c)
		return false;
	p.c = c;
	for (round = 0; round < 2; round++) {
		if (kth_start(c->t))
			goto out;
		for_each_online_cpu(post_cpu) {
			p.producer = post_cpu;
			p.index = n++;
			smp_call_function_single(post_cpu, st_cpu_post_one, &p, 1);
			if (p.ret)
				goto out;
		}
		if (!st_wait(st_handled_is, c, n, 5000))
			goto out;
		kth_stop(c->t);
	}
	for (i = 0; i < n; i++) {
		if (c->rec[i].cpu != cpu || c->rec[i].nr_cpus_allowed != 1) {
			pr_err("cpus: event %d handled on CPU %d by a thread allowed %d CPUs; bound to CPU %u\n",
			       i, c->rec[i].cpu, c->rec[i].nr_cpus_allowed, cpu);
			goto out;
		}
	}
	ok = true;
out:
	st_destroy(c);
	return ok;
}

/*
 * &kth_config.cpus across CPU hotplug: the thread's only CPU goes offline
 * while it sleeps; the scheduler lets it run elsewhere and posts are still
 * handled; a start while no CPU of the mask is online fails with -EINVAL;
 * once the CPU is back, a start binds the thread to it again.  The CPU is
 * the last online one, never CPU 0.
 */
static bool test_cpus_hotplug(void)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);
	bool ok = false, down = false;
	struct st_ctx *c;
	int ret;

	if (!cpu) {
		pr_err("cpus_hotplug: needs a second online CPU to take offline\n");
		return false;
	}
	c = st_create_on("kth_st_hotplug", 16, KTH_DROP_NEWEST, cpumask_of(cpu));
	if (!c)
		return false;
	if (kth_start(c->t) || st_post(c, 0, 0) ||
	    !st_wait(st_handled_is, c, 1, 5000))
		goto out;
	ret = remove_cpu(cpu);
	if (ret) {
		pr_err("cpus_hotplug: remove_cpu(%u): %d\n", cpu, ret);
		goto out;
	}
	down = true;
	if (st_post(c, 0, 1) || !st_wait(st_handled_is, c, 2, 5000) ||
	    c->rec[1].cpu == cpu || c->rec[1].nr_cpus_allowed < 2)
		goto out;
	kth_stop(c->t);
	ret = kth_start(c->t);
	if (ret != -EINVAL) {
		pr_err("cpus_hotplug: start with CPU %u offline: %d, not -EINVAL\n",
		       cpu, ret);
		goto out;
	}
	ret = add_cpu(cpu);
	down = false;
	if (ret) {
		pr_err("cpus_hotplug: add_cpu(%u): %d\n", cpu, ret);
		goto out;
	}
	ok = kth_start(c->t) == 0 && st_post(c, 0, 2) == 0 &&
	     st_wait(st_handled_is, c, 3, 5000) && c->rec[2].cpu == cpu &&
	     c->rec[2].nr_cpus_allowed == 1;
out:
	if (down)
		add_cpu(cpu);
	st_destroy(c);
	return ok;
}

/* The thread came back to the queue after @n events and found it empty. */
static bool st_queue_handled_is(struct st_ctx *c, long n)
{
	struct kth_stats s;

	kth_get_stats(c->t, &s);
	return s.handled == n && !s.depth;
}

static bool test_burst_one_wakeup(void)
{
	struct st_ctx *c = st_create("kth_st_burst", 256, KTH_DROP_NEWEST);
	struct kth_stats before, after;
	bool ok = false;
	int i;

	if (!c)
		return false;
	if (kth_start(c->t) || st_post(c, 0, 0) ||
	    !st_wait(st_queue_handled_is, c, 1, 5000))
		goto out;
	/* the thread now waits for work; make it slower than the burst */
	c->delay_ms = 2;
	kth_get_stats(c->t, &before);
	for (i = 1; i <= 100; i++)
		st_post(c, 0, i);
	if (!st_wait(st_queue_handled_is, c, 101, 10000))
		goto out;
	kth_get_stats(c->t, &after);
	st_diag("100 posts, %llu wakeups", after.wakeups - before.wakeups);
	ok = after.wakeups - before.wakeups == 1;
out:
	st_destroy(c);
	return ok;
}

static bool test_idle_no_wakeups(void)
{
	struct st_ctx *c = st_create("kth_st_idle", 16, KTH_DROP_NEWEST);
	struct task_struct *task = NULL, *p;
	unsigned long switches = 0;
	bool ok = false;

	if (!c)
		return false;
	if (kth_start(c->t) || st_post(c, 0, 0) ||
	    !st_wait(st_handled_is, c, 1, 5000))
		goto out;
	msleep(20);
	rcu_read_lock();
	for_each_process(p)
		if ((p->flags & PF_KTHREAD) && !strcmp(p->comm, "kth_st_idle"))
			task = get_task_struct(p);
	rcu_read_unlock();
	if (!task)
		goto out;
	switches = task->nvcsw + task->nivcsw;
	msleep(1000);
	switches = task->nvcsw + task->nivcsw - switches;
	put_task_struct(task);
	st_diag("idle thread: %lu context switches in 1 s", switches);
	ok = !switches;
out:
	st_destroy(c);
	return ok;
}

static bool test_sanitize(void)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "ABC-123_x.y", "ABC-123_x.y" },
		{ "a b", "a_b" },
		{ "$(reboot)", "__reboot_" },
		{ "`id`;rm -rf /", "_id__rm_-rf__" },
		{ "x\ny=1", "x_y_1" },
		{ "\"'\\|&<>*?", "_________" },
		{ "caf\xc3\xa9", "caf__" },
		{ "", "" },
	};
	char out[KTH_UNTRUSTED_MAX], big[300];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		kth_sanitize(out, sizeof(out), cases[i].in, strlen(cases[i].in));
		if (strcmp(out, cases[i].out)) {
			st_diag("sanitize case %u: got '%s'", i, out);
			return false;
		}
	}
	memset(big, 'A', sizeof(big));
	if (kth_sanitize(out, sizeof(out), big, sizeof(big)) !=
	    KTH_UNTRUSTED_MAX - 1 || kth_sanitize(out, 4, "abc\0def", 7) != 3)
		return false;
	/* every byte value: kept only if in the allowed set, else '_' */
	for (i = 1; i < 256; i++) {
		char in = i, o[2];
		bool allowed = (in >= 'a' && in <= 'z') ||
			       (in >= 'A' && in <= 'Z') ||
			       (in >= '0' && in <= '9') || strchr("._-,:+@", in);

		kth_sanitize(o, sizeof(o), &in, 1);
		if (o[0] != (allowed ? in : '_')) {
			st_diag("byte 0x%02x gives 0x%02x", i, (u8)o[0]);
			return false;
		}
	}
	return true;
}

/* Declarations kth_create() must refuse, one fault each. */
static const char * const st_good_values[] = { "a", "b-1", NULL };
static const char * const st_bad_values[] = { "a", "B", NULL };
static const char * const st_twice_values[] = { "a", "a", NULL };
static const char * const st_no_values[] = { NULL };

static const struct kth_metric st_bad_metrics[][2] = {
	{ KTH_METRIC("schema", KTH_GAUGE, "reserved") },
	{ KTH_METRIC("9lives", KTH_GAUGE, "a digit first") },
	{ KTH_METRIC("has-dash", KTH_GAUGE, "a dash") },
	{ KTH_METRIC("thirty_three_characters_is_longer", KTH_GAUGE, "long") },
	{ KTH_METRIC("runs_total", KTH_COUNTER, "_total") },
	{ KTH_METRIC("nohelp", KTH_GAUGE, "") },
	{ KTH_METRIC("twolines", KTH_GAUGE, "one\ntwo") },
	{ KTH_METRIC("badtype", 7, "type") },
	{ KTH_METRIC_LABELLED("badvalue", KTH_GAUGE, "B", "x", st_bad_values) },
	{ KTH_METRIC_LABELLED("twice", KTH_GAUGE, "a a", "x", st_twice_values) },
	{ KTH_METRIC_LABELLED("novalues", KTH_GAUGE, "none", "x", st_no_values) },
	{ KTH_METRIC_LABELLED("badlabel", KTH_GAUGE, "L", "Proto",
			      st_good_values) },
	{ KTH_METRIC("same", KTH_GAUGE, "one"),
	  KTH_METRIC("same", KTH_COUNTER, "two") },
};

/* Each bad declaration is refused with -EINVAL; a good one is created. */
static bool test_bad_metrics(void)
{
	struct kth_config cfg = {
		.name = "kth_st_metrics", .ops = &st_ops, .event_size = 8,
		.queue_len = 4,
	};
	struct kth_thread *t;
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(st_bad_metrics); i++) {
		cfg.metrics = st_bad_metrics[i];
		cfg.n_metrics = st_bad_metrics[i][1].name ? 2 : 1;
		t = kth_create(&cfg);
		if (PTR_ERR(t) != -EINVAL) {
			st_diag("bad metric declaration %u accepted", i);
			kth_destroy(t);
			ok = false;
		}
	}
	cfg.metrics = st_bad_metrics[0];
	cfg.n_metrics = 0;	/* metrics without their number */
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.metrics = NULL;
	cfg.n_metrics = 1;	/* a number without metrics */
	ok &= PTR_ERR(kth_create(&cfg)) == -EINVAL;
	cfg.metrics = st_bad_metrics[ARRAY_SIZE(st_bad_metrics) - 1];
	t = kth_create(&cfg);	/* "same" once is fine */
	if (IS_ERR(t))
		return false;
	kth_metric_set(t, 0, 0, -5);
	kth_destroy(t);
	return ok;
}

/*
 * kth_set_helper_limits() refuses what is out of range and changes
 * nothing; the stats show the limits' effect (nothing runs here).  Also
 * times kth_set_helper() on /bin/sh: the path check a run pays before
 * its exec (a diagnostic line; skipped where /bin/sh is not a safe
 * helper in this root).
 */
#define ST_CHECKS	1000
static bool test_helper_limits(void)
{
	struct kth_config cfg = {
		.name = "kth_st_lim", .ops = &st_ops, .event_size = 8,
		.queue_len = 4,
	};
	struct kth_stats s;
	struct kth_thread *t;
	unsigned int i;
	bool ok = true;
	u64 ns;

	t = kth_create(&cfg);
	if (IS_ERR(t))
		return false;
	ok &= kth_set_helper_limits(t, KTH_HELPER_TIMEOUT_MS_MIN - 1, 1, 1) ==
	      -EINVAL;
	ok &= kth_set_helper_limits(t, KTH_HELPER_TIMEOUT_MS_MAX + 1, 1, 1) ==
	      -EINVAL;
	ok &= kth_set_helper_limits(t, 1000, 0, 1) == -EINVAL;
	ok &= kth_set_helper_limits(t, 1000, KTH_HELPER_RUNNING_MAX + 1, 1) ==
	      -EINVAL;
	ok &= kth_set_helper_limits(t, 1000, 1, 0) == -EINVAL;
	ok &= kth_set_helper_limits(t, 1000, 1, KTH_HELPER_PENDING_MAX + 1) ==
	      -EINVAL;
	ok &= kth_set_helper_limits(t, 1000, 2, 3) == 0;
	kth_get_stats(t, &s);
	ok &= !s.helper_runs && !s.helper_running && !s.helper_pending;
	if (kth_set_helper(t, "/bin/sh")) {
		kth_ktap_diag("helper path check: /bin/sh is not a safe helper here");
	} else {
		ns = ktime_get_ns();
		for (i = 0; i < ST_CHECKS; i++)
			ok &= !kth_set_helper(t, "/bin/sh");
		ns = ktime_get_ns() - ns;
		kth_ktap_diag("figure helper-path-check-ns %llu (mean of %d)",
			      div_u64(ns, ST_CHECKS), ST_CHECKS);
	}
	kth_destroy(t);
	return ok;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} st_tests[] = {
	{ "start_ready", test_start_ready },
	{ "setup_failure", test_setup_failure },
	{ "bad_config", test_bad_config },
	{ "post_order", test_order },
	{ "hardirq_post_both_cpus", test_hardirq_both_cpus },
	{ "overflow_drop_newest", test_overflow_drop_newest },
	{ "overflow_drop_oldest", test_overflow_drop_oldest },
	{ "stop_with_events_queued", test_stop_with_queue },
	{ "sigkill_then_kth_stop", test_sigkill_then_stop },
	{ "sigterm_drains", test_sigterm_drains },
	{ "sighup_reload", test_sighup_reload },
	{ "pause_resume", test_pause_resume },
	{ "sigstop_sigcont", test_sigstop_sigcont },
	{ "restart", test_restart },
	{ "cpus", test_cpus },
	{ "cpus_hotplug", test_cpus_hotplug },
	{ "bound_both_cpus_newest", test_bound_both_cpus_newest },
	{ "bound_both_cpus_oldest", test_bound_both_cpus_oldest },
	{ "burst_one_wakeup", test_burst_one_wakeup },
	{ "idle_no_wakeups", test_idle_no_wakeups },
	{ "sanitize", test_sanitize },
	{ "bad_metrics", test_bad_metrics },
	{ "helper_limits", test_helper_limits },
};

static void st_run_all(void)
{
	unsigned int i;

	kth_ktap_plan(ARRAY_SIZE(st_tests));
	for (i = 0; i < ARRAY_SIZE(st_tests); i++)
		st_result(st_tests[i].fn(), st_tests[i].name);
	kth_ktap_summary(&st_ktap);
}

/* ---------------------------------------------------------------------
 * The "kth_selftest" thread, driven from the guest shell
 */

static bool run_tests = true;
module_param(run_tests, bool, 0444);
MODULE_PARM_DESC(run_tests, "run the in-kernel tests at load (KTAP in the log)");

static char *helper = "";
module_param(helper, charp, 0444);
MODULE_PARM_DESC(helper, "user-mode helper: absolute path, or empty for none");

static bool uevent;
module_param(uevent, bool, 0444);
MODULE_PARM_DESC(uevent, "send a uevent for every event");

static unsigned int queue_len = 64;
module_param(queue_len, uint, 0444);
MODULE_PARM_DESC(queue_len, "events the queue holds (1..65536)");

static bool drop_oldest;
module_param(drop_oldest, bool, 0444);
MODULE_PARM_DESC(drop_oldest, "on overflow drop the oldest event, not the newest");

static unsigned int helper_burst = 1000;
module_param(helper_burst, uint, 0444);
MODULE_PARM_DESC(helper_burst, "helper runs allowed back to back");

static unsigned int helper_rate = 1000;
module_param(helper_rate, uint, 0444);
MODULE_PARM_DESC(helper_rate, "helper runs allowed per second after the burst");

static unsigned int delay_ms;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "milliseconds each event takes to handle (0..10000)");

static unsigned int suspend_posts;
module_param(suspend_posts, uint, 0644);
MODULE_PARM_DESC(suspend_posts, "events \"suspend\" to post as a system sleep begins, after kthelper holds helper runs back (0..1000)");

struct demo_event {
	char name[32];
	char note[64];
};

static struct kth_thread *demo;

/*
 * The test thread's metrics, one of each kind and call, for the sysfs and
 * metrics scenarios: triggers (kth_metric_add()), delay
 * (kth_metric_set()) and phase (kth_metric_select(), a StateSet).
 */
enum { DEMO_M_TRIGGERS, DEMO_M_DELAY, DEMO_M_PHASE };
enum { DEMO_IDLE, DEMO_BUSY };
static const char * const demo_phases[] = { "idle", "busy", NULL };

static const struct kth_metric demo_metrics[] = {
	[DEMO_M_TRIGGERS] = KTH_METRIC("triggers", KTH_COUNTER,
		"events posted through the trigger file"),
	[DEMO_M_DELAY] = KTH_METRIC("delay", KTH_GAUGE,
		"the delay_ms parameter when the last event was handled, in milliseconds"),
	[DEMO_M_PHASE] = KTH_METRIC_LABELLED("phase", KTH_GAUGE,
		"busy while a handler runs", "phase", demo_phases),
};

/*
 * Sleep @ms of CLOCK_MONOTONIC, or until a signal.  Not msleep(): a
 * jiffies sleep can end early when the tick lags behind on a loaded
 * (sanitizer) VM and jiffies then catch up, and the trace scenario checks
 * that each handler took at least delay_ms.
 */
static void demo_sleep_ms(unsigned int ms)
{
	ktime_t end = ktime_add_ms(ktime_get(), ms);

	while (!signal_pending(current)) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* 0: the time is up; else woken early (not by a signal) */
		if (!schedule_hrtimeout(&end, HRTIMER_MODE_ABS))
			break;
	}
	__set_current_state(TASK_RUNNING);
}

static void demo_handle(struct kth_thread *t, const struct kth_event *ev)
{
	const struct demo_event *de = (const void *)ev->data;
	unsigned int delay = min(READ_ONCE(delay_ms), 10000U);
	struct kth_env *env;

	kth_metric_select(t, DEMO_M_PHASE, DEMO_BUSY);
	kth_metric_set(t, DEMO_M_DELAY, 0, delay);
	if (delay)
		demo_sleep_ms(delay);
	kth_info(t, "%s: event %s seq=%llu\n", kth_name(t), de->name,
		 ev->seq);
	env = kth_env_begin(t, ev, de->name);
	kth_env_add(env, "SELFTEST_TIMESTAMP=%llu", ev->timestamp_ns);
	kth_env_add_untrusted(env, "SELFTEST_NOTE", de->note,
			      sizeof(de->note));
	kth_notify(t, env);
	kth_metric_select(t, DEMO_M_PHASE, DEMO_IDLE);
}

static const struct kth_ops demo_ops = {
	.handle = demo_handle,
};

/*
 * /sys/kernel/kthelper/kth_selftest/trigger: write "NAME [COUNT [NOTE]]"
 * to post COUNT (default 1) events called NAME.  An attribute of the
 * thread's own directory, so kth_destroy() removes it (waiting for writes
 * in progress) before the thread goes: safe at unload.
 */
static ssize_t trigger_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct kth_thread *t = kth_from_kobj(kobj);
	struct demo_event de = {};
	unsigned int n = 1, i;
	char name[32];

	if (sscanf(buf, "%31s %u %63s", name, &n, de.note) < 1 || !n ||
	    n > 1000000) {
		pr_err("trigger takes \"NAME [COUNT [NOTE]]\", COUNT 1..1000000\n");
		return -EINVAL;
	}
	strscpy(de.name, name, sizeof(de.name));
	for (i = 0; i < n; i++)
		kth_post(t, &de, sizeof(de));
	kth_metric_add(t, DEMO_M_TRIGGERS, 0, n);
	return count;
}

static struct kobj_attribute trigger_attr = __ATTR_WO(trigger);

static struct attribute *demo_attrs[] = {
	&trigger_attr.attr,
	NULL,
};

static const struct attribute_group demo_group = {
	.attrs = demo_attrs,
};

static const struct attribute_group *demo_groups[] = {
	&demo_group,
	NULL,
};

/*
 * As a system sleep begins, after kthelper's own notifier (a lower
 * priority) has held helper runs back: post suspend_posts events and
 * wait, at most 5 s, until the thread has handled them, so that each of
 * their helper runs is deferred to the end of the sleep.
 */
static int demo_pm(struct notifier_block *nb, unsigned long action,
		   void *data)
{
	unsigned int n = min(READ_ONCE(suspend_posts), 1000U), i;
	struct demo_event de = { .name = "suspend" };
	struct kth_stats s;
	u64 goal;
	int tries;

	if (action != PM_SUSPEND_PREPARE || !n)
		return NOTIFY_DONE;
	kth_get_stats(demo, &s);
	goal = s.handled + n;
	for (i = 0; i < n; i++) {
		snprintf(de.note, sizeof(de.note), "%u", i + 1);
		kth_post(demo, &de, sizeof(de));
	}
	for (tries = 0; tries < 250; tries++) {
		kth_get_stats(demo, &s);
		if (s.handled >= goal)
			break;
		usleep_range(10000, 20000);
	}
	return NOTIFY_DONE;
}

static struct notifier_block demo_pm_nb = {
	.notifier_call = demo_pm,
	.priority = -1,
};

static int __init st_init(void)
{
	struct kth_config cfg = {
		.name = "kth_selftest",
		.ops = &demo_ops,
		.event_size = sizeof(struct demo_event),
		.queue_len = queue_len,
		.overflow = drop_oldest ? KTH_DROP_OLDEST : KTH_DROP_NEWEST,
		.flags = KTH_SIGNALS | (uevent ? KTH_UEVENT : 0),
		.helper = helper,
		.helper_burst = helper_burst,
		.helper_rate = helper_rate,
		.groups = demo_groups,
		.metrics = demo_metrics,
		.n_metrics = ARRAY_SIZE(demo_metrics),
	};
	int ret;

	if (delay_ms > 10000) {
		pr_err("delay_ms=%u out of range 0..10000\n", delay_ms);
		return -EINVAL;
	}
	if (run_tests)
		st_run_all();

	demo = kth_create(&cfg);
	if (IS_ERR(demo))
		return PTR_ERR(demo);
	kth_metric_select(demo, DEMO_M_PHASE, DEMO_IDLE);
	kth_metric_set(demo, DEMO_M_DELAY, 0, delay_ms);
	ret = kth_start(demo);
	if (ret)
		goto out_destroy;
	ret = register_pm_notifier(&demo_pm_nb);
	if (ret)
		goto out_destroy;
	return 0;

out_destroy:
	kth_destroy(demo);
	return ret;
}

static void __exit st_exit(void)
{
	unregister_pm_notifier(&demo_pm_nb);
	kth_destroy(demo);
}

module_init(st_init);
module_exit(st_exit);
MODULE_DESCRIPTION("kthelper in-kernel tests and test thread");
MODULE_LICENSE("GPL");
