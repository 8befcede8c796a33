// SPDX-License-Identifier: GPL-2.0
/*
 * softnet_data.dropped became drop_counters, a struct numa_drop_counters
 * read with numa_drop_read() (7.2 has it).
 */
#include <linux/build_bug.h>
#include <linux/netdevice.h>

static_assert(__same_type(((struct softnet_data *)NULL)->drop_counters,
			  struct numa_drop_counters));
static_assert(__same_type(numa_drop_read(NULL), int));
