// SPDX-License-Identifier: GPL-2.0
/*
 * softnet_data.dropped, the per-CPU count of backlog drops, is an atomic_t
 * (since 6.10, until it became drop_counters); before, an unsigned int.
 */
#include <linux/build_bug.h>
#include <linux/netdevice.h>

static_assert(__same_type(((struct softnet_data *)NULL)->dropped, atomic_t));
