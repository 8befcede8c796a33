// SPDX-License-Identifier: GPL-2.0
/*
 * kth_stress - kthelper under load: millions of posts from hard-IRQ
 * context on every CPU into a slow handler, and the sanitiser at its
 * bounds.  Runs at load time and writes KTAP to the kernel log, each line
 * prefixed with "kth_stress: ", like kth_selftest.
 *
 * hardirq_flood_drop_newest, hardirq_flood_drop_oldest:
 *	one pinned hard-IRQ hrtimer per online CPU posts batches of events
 *	(producer id, index, a check word) until @posts events in all have
 *	been posted; the handler is slow (@handler_us of busy delay per
 *	event), so the queue overflows all along.  Every kth_post() return
 *	is counted by the producers.  Afterwards, once the queue is empty:
 *	posted == handled + dropped exactly, posted is the number of
 *	kth_post() calls, the handler ran once per accepted event
 *	(drop-newest: accepted == calls - -ENOSPC returns; drop-oldest: every
 *	call is accepted and each eviction counted dropped), every event
 *	arrived intact, sequence numbers rise, and each producer's events
 *	arrive in the order it posted them.
 * sanitize_bounds:
 *	kth_sanitize() on exactly sized buffers (KASAN sees any byte read or
 *	written beyond them): every byte value at the start, middle and end
 *	of a string, a NUL in the middle, sizes 0, 1 and 2, sources without
 *	a NUL, and a result that never holds a byte outside the safe set.
 *
 * Nothing runs unless asked: run=all, or run= a comma-separated subset of
 * the tests above (so that loading every module, as the smoke scenario
 * does, costs nothing).  Other parameters (read-only): posts, handler_us,
 * queue_len, per_tick, time_limit_s.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <kthelper.h>
#include "kth_test_compat.h"
#include "kth_ktap.h"

MODULE_IMPORT_NS(KTH_NS);

static unsigned long posts = 10000000;
module_param(posts, ulong, 0444);
MODULE_PARM_DESC(posts, "events the hard-IRQ producers post in all, per flood test (default 10000000)");

static unsigned int handler_us = 20;
module_param(handler_us, uint, 0444);
MODULE_PARM_DESC(handler_us, "busy delay of the handler per event, in microseconds (default 20)");

static unsigned int queue_len = 1024;
module_param(queue_len, uint, 0444);
MODULE_PARM_DESC(queue_len, "queue length of the flooded thread (default 1024)");

static unsigned int per_tick = 64;
module_param(per_tick, uint, 0444);
MODULE_PARM_DESC(per_tick, "events each producer posts per timer interrupt (default 64)");

static unsigned int time_limit_s = 600;
module_param(time_limit_s, uint, 0444);
MODULE_PARM_DESC(time_limit_s, "a flood still running after this many seconds fails (default 600)");

static char *run = "";
module_param(run, charp, 0444);
MODULE_PARM_DESC(run, "comma-separated tests to run, or \"all\" (default: none, so that loading it costs nothing)");

#define SS_MAX_PRODUCERS	8

/* ---------------------------------------------------------------------
 * KTAP
 */

static struct kth_ktap ss_ktap;

#define ss_diag kth_ktap_diag

/* ---------------------------------------------------------------------
 * The flooded thread: a slow handler that checks every event
 */

struct ss_payload {
	u32 producer;
	u32 check;	/* ss_check(producer, index) */
	u64 index;
};

static u32 ss_check(u32 producer, u64 index)
{
	return (u32)(index * 2654435761u) ^ (producer << 24) ^ 0x5a5aa5a5;
}

struct ss_flood {
	struct kth_thread *t;
	/* consumer side, written by the handler only */
	u64 handled;
	u64 last_seq;
	u64 next_index[SS_MAX_PRODUCERS];
	u64 out_of_order;
	u64 corrupt;
	u64 seq_backwards;
	/* producer side */
	struct ss_producer {
		struct hrtimer timer;
		struct ss_flood *f;
		u32 id;
		u32 cpu;
		u64 next;	/* index of the next post */
		u64 count;	/* posts this producer makes */
		u64 accepted;	/* kth_post() returned 0 */
		u64 full;	/* -ENOSPC */
		u64 other;	/* any other return */
		u64 ticks;
		u64 irq_ns;	/* time spent posting */
		bool not_hardirq;
	} prod[SS_MAX_PRODUCERS];
	unsigned int nprod;
	atomic_t running;
};

static void ss_handle(struct kth_thread *t, const struct kth_event *ev)
{
	struct ss_flood *f = kth_priv(t);
	const struct ss_payload *p = (const void *)ev->data;

	if (handler_us)
		udelay(handler_us);
	f->handled++;
	if (ev->seq <= f->last_seq)
		f->seq_backwards++;
	f->last_seq = ev->seq;
	if (ev->len != sizeof(*p) || p->producer >= f->nprod ||
	    p->check != ss_check(p->producer, p->index)) {
		f->corrupt++;
		return;
	}
	if (p->index < f->next_index[p->producer])
		f->out_of_order++;
	f->next_index[p->producer] = p->index + 1;
}

static const struct kth_ops ss_ops = {
	.handle = ss_handle,
};

static enum hrtimer_restart ss_tick(struct hrtimer *timer)
{
	struct ss_producer *pr = container_of(timer, struct ss_producer, timer);
	struct ss_payload p = { .producer = pr->id };
	u64 start = ktime_get_ns(), spent, gap;
	unsigned int i;
	int ret;

	if (!kth_in_hardirq())
		pr->not_hardirq = true;
	for (i = 0; i < per_tick && pr->next < pr->count; i++) {
		p.index = pr->next++;
		p.check = ss_check(p.producer, p.index);
		ret = kth_post(pr->f->t, &p, sizeof(p));
		if (!ret)
			pr->accepted++;
		else if (ret == -ENOSPC)
			pr->full++;
		else
			pr->other++;
	}
	spent = ktime_get_ns() - start;
	pr->irq_ns += spent;
	pr->ticks++;
	if (pr->next < pr->count) {
		/*
		 * At most a quarter of the CPU in this interrupt: the thread,
		 * RCU and the timer code itself keep running, however slow
		 * the kernel (KASAN and lockdep under TCG).
		 */
		gap = max_t(u64, 3 * spent, 20 * NSEC_PER_USEC);
		hrtimer_forward_now(timer, ns_to_ktime(gap));
		return HRTIMER_RESTART;
	}
	atomic_dec(&pr->f->running);
	return HRTIMER_NORESTART;
}

static void ss_arm(void *data)
{
	struct ss_producer *pr = data;

	hrtimer_start(&pr->timer, ns_to_ktime(20 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static bool ss_drained(struct ss_flood *f, struct kth_stats *s)
{
	kth_get_stats(f->t, s);
	return !s->depth && s->posted == s->handled + s->dropped &&
	       READ_ONCE(f->handled) == s->handled;
}

static bool ss_flood_run(const char *name, enum kth_overflow policy)
{
	struct kth_config cfg = {
		.name = "kth_stress",
		.ops = &ss_ops,
		.event_size = sizeof(struct ss_payload),
		.queue_len = queue_len,
		.overflow = policy,
	};
	u64 calls = 0, accepted = 0, full = 0, other = 0, irq_ns = 0, ticks = 0;
	unsigned long deadline;
	struct ss_flood *f;
	struct kth_stats s;
	unsigned int cpu, i;
	bool ok = true, hardirq = true;
	u64 t0, t1, t2;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return false;
	cfg.priv = f;
	f->t = kth_create(&cfg);
	if (IS_ERR(f->t)) {
		ss_diag("%s: kth_create: %ld", name, PTR_ERR(f->t));
		kfree(f);
		return false;
	}
	if (kth_start(f->t)) {
		ok = false;
		goto out_destroy;
	}
	for_each_online_cpu(cpu) {
		if (f->nprod == SS_MAX_PRODUCERS)
			break;
		f->prod[f->nprod].cpu = cpu;
		f->nprod++;
	}
	for (i = 0; i < f->nprod; i++) {
		struct ss_producer *pr = &f->prod[i];

		pr->f = f;
		pr->id = i;
		/* the remainder goes to the first producer */
		pr->count = posts / f->nprod + (i ? 0 : posts % f->nprod);
		kth_hrtimer_setup(&pr->timer, ss_tick, CLOCK_MONOTONIC,
				  HRTIMER_MODE_REL_PINNED_HARD);
		atomic_inc(&f->running);
	}
	t0 = ktime_get_ns();
	for (i = 0; i < f->nprod; i++)
		smp_call_function_single(f->prod[i].cpu, ss_arm, &f->prod[i], 1);

	deadline = jiffies + (unsigned long)time_limit_s * HZ;
	while (atomic_read(&f->running) && time_before(jiffies, deadline))
		msleep(20);
	t1 = ktime_get_ns();
	if (atomic_read(&f->running)) {
		ss_diag("%s: producers still running after %u s", name,
			time_limit_s);
		ok = false;
	}
	for (i = 0; i < f->nprod; i++)
		hrtimer_cancel(&f->prod[i].timer);
	while (!ss_drained(f, &s) && time_before(jiffies, deadline + 60 * HZ))
		msleep(20);
	t2 = ktime_get_ns();

	for (i = 0; i < f->nprod; i++) {
		struct ss_producer *pr = &f->prod[i];

		calls += pr->next;
		accepted += pr->accepted;
		full += pr->full;
		other += pr->other;
		irq_ns += pr->irq_ns;
		ticks += pr->ticks;
		hardirq &= !pr->not_hardirq;
		ss_diag("%s: producer %u on cpu %u: %llu posts in %llu interrupts",
			name, i, pr->cpu, pr->next, pr->ticks);
	}
	kth_get_stats(f->t, &s);
	pr_info("# %s: %u producers, %llu kth_post() calls in %llu interrupts in %llu ms (%llu ns per post in hard IRQ), drained %llu ms later\n",
		name, f->nprod, calls, ticks, (t1 - t0) / NSEC_PER_MSEC,
		calls ? irq_ns / calls : 0, (t2 - t1) / NSEC_PER_MSEC);
	pr_info("# %s: posted=%llu handled=%llu dropped=%llu depth=%llu wakeups=%llu; returns: 0=%llu -ENOSPC=%llu other=%llu\n",
		name, s.posted, s.handled, s.dropped, s.depth, s.wakeups,
		accepted, full, other);
	pr_info("# %s: handler saw %llu events: %llu out of producer order, %llu corrupt, %llu sequence numbers not rising\n",
		name, f->handled, f->out_of_order, f->corrupt, f->seq_backwards);

#define SS_EXPECT(cond) do {						\
		if (!(cond)) {						\
			ss_diag("%s: expected %s", name, #cond);	\
			ok = false;					\
		}							\
	} while (0)
	SS_EXPECT(calls == posts);
	SS_EXPECT(s.posted == calls);
	SS_EXPECT(s.posted == s.handled + s.dropped);
	SS_EXPECT(s.depth == 0);
	SS_EXPECT(f->handled == s.handled);
	SS_EXPECT(other == 0);
	if (policy == KTH_DROP_NEWEST) {
		SS_EXPECT(accepted == s.handled);
		SS_EXPECT(full == s.dropped);
	} else {
		SS_EXPECT(accepted == calls);
		SS_EXPECT(full == 0);
	}
	SS_EXPECT(s.dropped > 0);	/* the handler really was too slow */
	SS_EXPECT(s.handled > 0);
	SS_EXPECT(f->out_of_order == 0);
	SS_EXPECT(f->corrupt == 0);
	SS_EXPECT(f->seq_backwards == 0);
	SS_EXPECT(hardirq);
#undef SS_EXPECT

out_destroy:
	kth_destroy(f->t);
	kfree(f);
	return ok;
}

static bool test_flood_drop_newest(void)
{
	return ss_flood_run("drop_newest", KTH_DROP_NEWEST);
}

static bool test_flood_drop_oldest(void)
{
	return ss_flood_run("drop_oldest", KTH_DROP_OLDEST);
}

/* ---------------------------------------------------------------------
 * The sanitiser at its bounds
 */

static bool ss_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("._-,:+@", c));
}

/*
 * Sanitise @len bytes of @in (a copy in a buffer of exactly @len bytes)
 * into a buffer of exactly @size bytes; check the result against the
 * byte-by-byte rule.  Every buffer is its own allocation, so KASAN
 * reports a read or write past either end.
 */
static bool ss_sanitize_one(const char *in, size_t len, size_t size)
{
	char *src = kmemdup(in, len ? len : 1, GFP_KERNEL);
	char *dst = kmalloc(size ? size : 1, GFP_KERNEL);
	size_t want = 0, got, i;
	bool ok = true;

	if (!src || !dst) {
		ok = false;
		goto out_free;
	}
	if (size)
		while (want < len && want < size - 1 && in[want])
			want++;
	got = kth_sanitize(dst, size, src, len);
	if (got != want) {
		ss_diag("sanitize len %zu size %zu: returned %zu, expected %zu",
			len, size, got, want);
		ok = false;
		goto out_free;
	}
	if (!size)
		goto out_free;
	for (i = 0; i < want; i++) {
		char expect = ss_safe(in[i]) ? in[i] : '_';

		if (dst[i] != expect || !ss_safe(dst[i])) {
			ss_diag("sanitize len %zu size %zu: byte %zu 0x%02x gave 0x%02x",
				len, size, i, (u8)in[i], (u8)dst[i]);
			ok = false;
			goto out_free;
		}
	}
	if (dst[want]) {
		ss_diag("sanitize len %zu size %zu: no NUL at %zu", len, size,
			want);
		ok = false;
	}
out_free:
	kfree(dst);
	kfree(src);
	return ok;
}

static bool test_sanitize_bounds(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 8, KTH_UNTRUSTED_MAX };
	char buf[KTH_UNTRUSTED_MAX + 8];
	unsigned int b, i;
	bool ok = true;

	/* every byte value alone, first, in the middle and last */
	for (b = 0; b < 256; b++) {
		memset(buf, 'x', sizeof(buf));
		buf[0] = b;
		ok &= ss_sanitize_one(buf, 1, 2);
		ok &= ss_sanitize_one(buf, 5, 6);
		buf[0] = 'x';
		buf[2] = b;
		ok &= ss_sanitize_one(buf, 5, 6);
		buf[2] = 'x';
		buf[4] = b;
		ok &= ss_sanitize_one(buf, 5, 6);
		if (!ok) {
			ss_diag("sanitize: byte 0x%02x", b);
			return false;
		}
	}
	/* sizes around the string's length, sources without a NUL */
	for (b = 0; b < 256; b++)
		buf[b % sizeof(buf)] = 0x80 | b;
	memcpy(buf, "safe-part_1.2:3+4@5,", 20);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ok &= ss_sanitize_one(buf, 0, sizes[i]);
		ok &= ss_sanitize_one(buf, 1, sizes[i]);
		ok &= ss_sanitize_one(buf, 20, sizes[i]);
		ok &= ss_sanitize_one(buf, sizeof(buf), sizes[i]);
	}
	/* a NUL in the middle ends the string there */
	ok &= ss_sanitize_one("abc\0def", 7, 16);
	/* a hostile string: nothing of it survives but letters and digits */
	ok &= ss_sanitize_one("$(id)`id`;|&<>'\"\\ \t\n=%*?[]{}~#!/", 32,
			      KTH_UNTRUSTED_MAX);
	return ok;
}

/* ---------------------------------------------------------------------
 * Module
 */

static const struct {
	const char *name;
	bool (*fn)(void);
} ss_tests[] = {
	{ "hardirq_flood_drop_newest", test_flood_drop_newest },
	{ "hardirq_flood_drop_oldest", test_flood_drop_oldest },
	{ "sanitize_bounds", test_sanitize_bounds },
};

/* Is @name in the comma-separated @run? */
static bool ss_selected(const char *name)
{
	size_t len = strlen(name);
	const char *p = run;

	if (!strcmp(run, "all"))
		return true;
	while (p && *p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static int __init ss_init(void)
{
	unsigned int i, n = 0;

	if (!queue_len || queue_len > KTH_QUEUE_LEN_MAX || !per_tick ||
	    handler_us > 10000 || !time_limit_s) {
		pr_err("queue_len 1..%d, per_tick > 0, handler_us 0..10000, time_limit_s > 0\n",
		       KTH_QUEUE_LEN_MAX);
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(ss_tests); i++)
		n += ss_selected(ss_tests[i].name);
	if (!n) {
		pr_info("no test selected: load with run=all or run=NAME,...\n");
		return 0;
	}
	kth_ktap_plan(n);
	ss_diag("posts=%lu handler_us=%u queue_len=%u per_tick=%u cpus=%u",
		posts, handler_us, queue_len, per_tick, num_online_cpus());
	for (i = 0; i < ARRAY_SIZE(ss_tests); i++)
		if (ss_selected(ss_tests[i].name))
			kth_ktap_result(&ss_ktap, ss_tests[i].fn(),
					ss_tests[i].name);
	kth_ktap_summary(&ss_ktap);
	return 0;
}

static void __exit ss_exit(void)
{
}

module_init(ss_init);
module_exit(ss_exit);
MODULE_DESCRIPTION("kthelper stress tests: hard-IRQ floods, sanitiser bounds");
MODULE_LICENSE("GPL");
