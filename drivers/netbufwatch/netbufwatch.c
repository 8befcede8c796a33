// SPDX-License-Identifier: GPL-2.0
/*
 * kth_netbufwatch - a network receive-buffer low-watermark watcher on
 * kthelper.
 *
 * The framework's sampler (a deferrable timer) calls netbufwatch_sample()
 * every period_ms: it reads UDP's and TCP's receive-memory use through
 * udp_prot and tcp_prot (the raw *_memory_allocated symbols are not
 * exported) against each protocol's effective limit, and the per-CPU
 * backlog drops.  Free space below low_pct posts one "low" event; only a
 * climb back above high_pct re-arms it ("recovered"): hysteresis, no alert
 * storm.  New backlog drops post "drops".  The thread does the rest.
 *
 * With fast=1 a probe on the sock_exceed_buf_limit tracepoint (the kernel
 * refusing socket memory) asks for a sample at once, so the alert comes
 * within a tick of the first refusal however long the period is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/udp.h>
#include <kthelper.h>
#include "netbufwatch_compat.h"

MODULE_IMPORT_NS(KTH_NS);

enum netbuf_proto { NETBUF_UDP, NETBUF_TCP, NETBUF_NR_PROTOS };

/* NULL-terminated: the values of the metrics' proto label too */
static const char * const netbuf_proto_names[NETBUF_NR_PROTOS + 1] = {
	[NETBUF_UDP] = "udp",
	[NETBUF_TCP] = "tcp",
};

/* ---- parameters: validated at load and on every runtime write ---- */

static unsigned int low_pct = 20;
static unsigned int high_pct = 30;
static unsigned int period_ms = 1000;
static unsigned int protos = BIT(NETBUF_UDP) | BIT(NETBUF_TCP);
/* after init, every write must keep low_pct < high_pct on its own */
static bool loaded;

static int netbuf_set_pct(const char *val, const struct kernel_param *kp)
{
	bool is_low = kp->arg == &low_pct;
	unsigned int pct;

	if (kstrtouint(val, 10, &pct) || pct < 1 || pct > 99 ||
	    (loaded && (is_low ? pct >= READ_ONCE(high_pct) :
				 pct <= READ_ONCE(low_pct)))) {
		pr_err("%s=%s refused: low_pct and high_pct are 1..99 with low_pct < high_pct (now %u and %u)\n",
		       kp->name, val, low_pct, high_pct);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, pct);
	return 0;
}

static const struct kernel_param_ops netbuf_pct_ops = {
	.set = netbuf_set_pct,
	.get = param_get_uint,
};

module_param_cb(low_pct, &netbuf_pct_ops, &low_pct, 0644);
MODULE_PARM_DESC(low_pct, "alert when free space falls below this % of the limit (1..99, below high_pct; default 20)");
module_param_cb(high_pct, &netbuf_pct_ops, &high_pct, 0644);
MODULE_PARM_DESC(high_pct, "re-arm when free space climbs above this % (1..99, above low_pct; default 30)");

static int netbuf_set_period(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 10, &ms) || ms < 10 || ms > KTH_SAMPLE_MS_MAX) {
		pr_err("period_ms=%s refused: 10..%d\n", val, KTH_SAMPLE_MS_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(period_ms, ms);
	return 0;
}

static const struct kernel_param_ops netbuf_period_ops = {
	.set = netbuf_set_period,
	.get = param_get_uint,
};

module_param_cb(period_ms, &netbuf_period_ops, &period_ms, 0644);
MODULE_PARM_DESC(period_ms, "sampling period in ms (10..3600000, default 1000; a runtime write applies at the next SIGHUP)");

static int netbuf_set_protos(const char *val, const struct kernel_param *kp)
{
	char buf[16], *cur, *name;
	unsigned int mask = 0, i;

	strscpy(buf, val, sizeof(buf));
	cur = strim(buf);
	while ((name = strsep(&cur, ","))) {
		for (i = 0; i < NETBUF_NR_PROTOS; i++)
			if (!strcmp(name, netbuf_proto_names[i]))
				break;
		if (i == NETBUF_NR_PROTOS || (mask & BIT(i)))
			goto out_invalid;
		mask |= BIT(i);
	}
	if (!mask)
		goto out_invalid;
	WRITE_ONCE(protos, mask);
	return 0;

out_invalid:
	pr_err("protos=%s refused: udp, tcp or udp,tcp\n", val);
	return -EINVAL;
}

static int netbuf_get_protos(char *buf, const struct kernel_param *kp)
{
	unsigned int mask = READ_ONCE(protos);

	return sysfs_emit(buf, "%s%s%s\n",
			  mask & BIT(NETBUF_UDP) ? "udp" : "",
			  mask == (BIT(NETBUF_UDP) | BIT(NETBUF_TCP)) ? "," : "",
			  mask & BIT(NETBUF_TCP) ? "tcp" : "");
}

static const struct kernel_param_ops netbuf_protos_ops = {
	.set = netbuf_set_protos,
	.get = netbuf_get_protos,
};

module_param_cb(protos, &netbuf_protos_ops, NULL, 0644);
MODULE_PARM_DESC(protos, "protocols to watch: udp, tcp or udp,tcp (default)");

static char *helper = "";
module_param(helper, charp, 0444);
MODULE_PARM_DESC(helper, "user-mode helper: absolute path, or empty for none (runtime: /sys/kernel/kthelper/kth_netbufwatch/helper)");

static bool uevent = true;
module_param(uevent, bool, 0444);
MODULE_PARM_DESC(uevent, "send a KOBJ_CHANGE uevent for every alert (default on)");

static bool fast;
module_param(fast, bool, 0444);
MODULE_PARM_DESC(fast, "also sample at once when the kernel refuses socket memory (sock_exceed_buf_limit tracepoint)");

/* ---- the sampler: timer context, never concurrent with itself ---- */

enum netbuf_action { NETBUF_LOW, NETBUF_RECOVERED, NETBUF_DROPS };

static const char * const netbuf_action_names[] = {
	[NETBUF_LOW] = "low",
	[NETBUF_RECOVERED] = "recovered",
	[NETBUF_DROPS] = "drops",
	NULL
};

/* ---- what it shows in metrics/ and kthctl metrics ---- */

enum netbuf_metric {
	NETBUF_M_STATE,
	NETBUF_M_FREE_PCT,
	NETBUF_M_USED,
	NETBUF_M_LIMIT,
	NETBUF_M_ALERTS,
	NETBUF_M_BACKLOG_DROPS,
};

enum netbuf_state { NETBUF_OK, NETBUF_IS_LOW };

static const char * const netbuf_state_names[] = { "ok", "low", NULL };

static const struct kth_metric netbuf_metrics[] = {
	[NETBUF_M_STATE] = KTH_METRIC_LABELLED("state", KTH_GAUGE,
		"low while a watched protocol's free receive memory is below low_pct, until it climbs above high_pct",
		"state", netbuf_state_names),
	[NETBUF_M_FREE_PCT] = KTH_METRIC_LABELLED("free_percent", KTH_GAUGE,
		"free receive memory at the last sample, percent of the limit",
		"proto", netbuf_proto_names),
	[NETBUF_M_USED] = KTH_METRIC_LABELLED("used_pages", KTH_GAUGE,
		"receive memory in use at the last sample, pages",
		"proto", netbuf_proto_names),
	[NETBUF_M_LIMIT] = KTH_METRIC_LABELLED("limit_pages", KTH_GAUGE,
		"the limit: udp_mem[0] for UDP, tcp_mem[2] for TCP, pages",
		"proto", netbuf_proto_names),
	[NETBUF_M_ALERTS] = KTH_METRIC_LABELLED("alerts", KTH_COUNTER,
		"notifications sent, by action",
		"kind", netbuf_action_names),
	[NETBUF_M_BACKLOG_DROPS] = KTH_METRIC("backlog_drops", KTH_COUNTER,
		"packets dropped by the per-CPU backlogs, seen by the sampler"),
};

struct netbuf_event {
	u8 action;
	u8 proto;
	u8 free_pct;
	u8 pressure;
	long used_pages;
	long limit_pages;
	u64 drops;
	u64 refusal_ns;		/* first refusal before a fast alert */
};

static struct kth_thread *netbuf;
static bool netbuf_low[NETBUF_NR_PROTOS];	/* sampler's own state */
static u64 netbuf_drops_seen;			/* sampler's own state */
static atomic64_t netbuf_first_refusal[NETBUF_NR_PROTOS];

static struct proto *netbuf_prot(enum netbuf_proto p)
{
	return p == NETBUF_UDP ? &udp_prot : &tcp_prot;
}

/*
 * UDP has no pressure mode: past udp_mem[0] a socket gets memory only
 * while it holds less than its minimum, so udp_mem[0] is its cap.  TCP
 * enters pressure at tcp_mem[1] and refuses at tcp_mem[2].
 */
static long netbuf_limit(enum netbuf_proto p)
{
	return READ_ONCE(netbuf_prot(p)->sysctl_mem[p == NETBUF_UDP ? 0 : 2]);
}

static u64 netbuf_backlog_drops(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += netbuf_softnet_dropped(&per_cpu(softnet_data, cpu));
	return sum;
}

static void netbuf_post_level(enum netbuf_action action, enum netbuf_proto p,
			      long used, long limit, int free_pct)
{
	struct proto *prot = netbuf_prot(p);
	struct netbuf_event e = {
		.action = action,
		.proto = p,
		.free_pct = free_pct,
		.pressure = prot->memory_pressure &&
			    READ_ONCE(*prot->memory_pressure),
		.used_pages = used,
		.limit_pages = limit,
		.refusal_ns = atomic64_xchg(&netbuf_first_refusal[p], 0),
	};

	WRITE_ONCE(netbuf_low[p], action == NETBUF_LOW);
	kth_post(netbuf, &e, sizeof(e));
}

/* The figures of protocol @p for metrics/; alerts only if it is watched. */
static void netbuf_sample_proto(enum netbuf_proto p, bool watched)
{
	long used = atomic_long_read(netbuf_prot(p)->memory_allocated);
	long limit = netbuf_limit(p);
	int free_pct;

	if (limit <= 0)
		return;
	used = max(used, 0L);
	free_pct = used >= limit ? 0 : (limit - used) * 100 / limit;
	kth_metric_set(netbuf, NETBUF_M_FREE_PCT, p, free_pct);
	kth_metric_set(netbuf, NETBUF_M_USED, p, used);
	kth_metric_set(netbuf, NETBUF_M_LIMIT, p, limit);
	if (!watched)
		return;
	if (!netbuf_low[p] && free_pct < READ_ONCE(low_pct))
		netbuf_post_level(NETBUF_LOW, p, used, limit, free_pct);
	else if (netbuf_low[p] && free_pct > READ_ONCE(high_pct))
		netbuf_post_level(NETBUF_RECOVERED, p, used, limit, free_pct);
}

static void netbuf_sample(struct kth_thread *t)
{
	unsigned int mask = READ_ONCE(protos);
	u64 drops = netbuf_backlog_drops();
	enum netbuf_proto p;
	bool low = false;

	for (p = 0; p < NETBUF_NR_PROTOS; p++) {
		netbuf_sample_proto(p, mask & BIT(p));
		low |= (mask & BIT(p)) && READ_ONCE(netbuf_low[p]);
	}
	kth_metric_select(t, NETBUF_M_STATE, low ? NETBUF_IS_LOW : NETBUF_OK);
	if (drops != netbuf_drops_seen) {
		struct netbuf_event e = {
			.action = NETBUF_DROPS,
			.drops = drops - netbuf_drops_seen,
		};

		kth_metric_add(t, NETBUF_M_BACKLOG_DROPS, 0, e.drops);
		netbuf_drops_seen = drops;
		kth_post(t, &e, sizeof(e));
	}
}

/* ---- the fast path: the kernel just refused socket memory ---- */

static void netbuf_refused(void *data, struct sock *sk, struct proto *prot,
			   long allocated, int kind)
{
	enum netbuf_proto p;

	for (p = 0; p < NETBUF_NR_PROTOS; p++) {
		if (prot != netbuf_prot(p) || !(READ_ONCE(protos) & BIT(p)) ||
		    READ_ONCE(netbuf_low[p]))
			continue;
		atomic64_cmpxchg(&netbuf_first_refusal[p], 0, ktime_get_ns());
		kth_sample_now(netbuf);
	}
}

static struct tracepoint *netbuf_tp;

static void netbuf_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sock_exceed_buf_limit"))
		netbuf_tp = tp;
}

/* ---- the thread ---- */

static int netbuf_setup(struct kth_thread *t)
{
	enum netbuf_proto p;

	/* the sampler starts after this returns: no race on its state */
	for (p = 0; p < NETBUF_NR_PROTOS; p++) {
		WRITE_ONCE(netbuf_low[p], false);
		atomic64_set(&netbuf_first_refusal[p], 0);
	}
	netbuf_drops_seen = netbuf_backlog_drops();
	kth_metric_select(t, NETBUF_M_STATE, NETBUF_OK);
	return 0;
}

static void netbuf_reload(struct kth_thread *t)
{
	kth_set_sample_period(t, READ_ONCE(period_ms));
	kth_info(t, "reloaded: low_pct=%u high_pct=%u period_ms=%u protos=0x%x\n",
		 low_pct, high_pct, period_ms, protos);
}

static void netbuf_handle(struct kth_thread *t, const struct kth_event *ev)
{
	const struct netbuf_event *e = (const void *)ev->data;
	const char *action = netbuf_action_names[e->action];
	struct kth_env *env;
	u64 delay_us = 0;

	if (e->refusal_ns)
		delay_us = div_u64(ktime_get_ns() - e->refusal_ns, 1000);
	env = kth_env_begin(t, ev, action);
	if (e->action == NETBUF_DROPS) {
		kth_info(t, "drops: %llu new backlog drops\n", e->drops);
		kth_env_add(env, "NETBUF_DROPS=%llu", e->drops);
	} else {
		kth_info(t, "%s: %s used %ld of %ld pages, %u%% free%s\n",
			 action, netbuf_proto_names[e->proto], e->used_pages,
			 e->limit_pages, e->free_pct,
			 e->pressure ? ", under pressure" : "");
		kth_env_add(env, "NETBUF_PROTO=%s", netbuf_proto_names[e->proto]);
		kth_env_add(env, "NETBUF_USED_PAGES=%ld", e->used_pages);
		kth_env_add(env, "NETBUF_LIMIT_PAGES=%ld", e->limit_pages);
		kth_env_add(env, "NETBUF_FREE_PCT=%u", e->free_pct);
		kth_env_add(env, "NETBUF_PRESSURE=%u", e->pressure);
		kth_env_add(env, "NETBUF_DROPS=0");
		if (e->refusal_ns)
			kth_env_add(env, "NETBUF_REFUSAL_DELAY_US=%llu",
				    delay_us);
	}
	kth_notify(t, env);
	kth_metric_add(t, NETBUF_M_ALERTS, e->action, 1);
}

static const struct kth_ops netbuf_ops = {
	.setup = netbuf_setup,
	.handle = netbuf_handle,
	.reload = netbuf_reload,
	.sample = netbuf_sample,
};

static int __init netbuf_init(void)
{
	struct kth_config cfg = {
		.name = KBUILD_MODNAME,
		.ops = &netbuf_ops,
		.event_size = sizeof(struct netbuf_event),
		.queue_len = 64,
		.overflow = KTH_DROP_NEWEST,
		.flags = KTH_SIGNALS | (uevent ? KTH_UEVENT : 0),
		.helper = helper,
		.sample_ms = period_ms,
		.metrics = netbuf_metrics,
		.n_metrics = ARRAY_SIZE(netbuf_metrics),
	};
	int ret;

	if (low_pct >= high_pct) {
		pr_err("low_pct=%u high_pct=%u refused: low_pct must be below high_pct\n",
		       low_pct, high_pct);
		return -EINVAL;
	}
	if (fast) {
		for_each_kernel_tracepoint(netbuf_find_tp, NULL);
		if (!netbuf_tp) {
			pr_err("fast=1 needs the sock_exceed_buf_limit tracepoint, which this kernel lacks\n");
			return -ENOENT;
		}
	}
	netbuf = kth_create(&cfg);
	if (IS_ERR(netbuf))
		return PTR_ERR(netbuf);
	ret = kth_start(netbuf);
	if (ret)
		goto out_destroy;
	if (fast) {
		ret = tracepoint_probe_register(netbuf_tp, netbuf_refused, NULL);
		if (ret)
			goto out_destroy;
	}
	loaded = true;
	return 0;

out_destroy:
	kth_destroy(netbuf);
	return ret;
}

static void __exit netbuf_exit(void)
{
	if (fast) {
		tracepoint_probe_unregister(netbuf_tp, netbuf_refused, NULL);
		tracepoint_synchronize_unregister();	/* no probe runs now */
	}
	kth_destroy(netbuf);
}

module_init(netbuf_init);
module_exit(netbuf_exit);
MODULE_DESCRIPTION("kthelper sample: network receive-buffer low-watermark watcher");
MODULE_LICENSE("GPL");
MODULE_VERSION(KTH_VERSION);
