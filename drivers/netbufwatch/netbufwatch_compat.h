/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netbufwatch_compat.h - the kernel differences only kth_netbufwatch
 * meets, from its own compile probes (probes/, run by its Kbuild through
 * framework/probes/probes.mk, which defines KTH_HAVE_<PROBE>).
 */
#ifndef _NETBUFWATCH_COMPAT_H
#define _NETBUFWATCH_COMPAT_H

#include <linux/netdevice.h>

#ifndef KTH_PROBED
#error "netbufwatch_compat.h needs its probes: build with drivers/netbufwatch/Kbuild"
#endif

/*
 * softnet_data's count of backlog drops: an unsigned int, an atomic_t
 * since 6.10, then per-NUMA-node counters read by numa_drop_read() (7.2).
 */
#if defined(KTH_HAVE_SOFTNET_DROP_COUNTERS)
#define netbuf_softnet_dropped(sd)	\
	((unsigned int)numa_drop_read(&(sd)->drop_counters))
#elif defined(KTH_HAVE_SOFTNET_ATOMIC_DROPPED)
#define netbuf_softnet_dropped(sd)	\
	((unsigned int)atomic_read(&(sd)->dropped))
#else
#define netbuf_softnet_dropped(sd)	READ_ONCE((sd)->dropped)
#endif

#endif /* _NETBUFWATCH_COMPAT_H */
