// SPDX-License-Identifier: GPL-2.0
/*
 * kobject_init() takes a const struct kobj_type: 6.2, and Debian's 6.1
 * (6.1.y stable has it), which LINUX_VERSION_CODE cannot tell from 6.1.
 */
#include <linux/build_bug.h>
#include <linux/kobject.h>

static_assert(__same_type(kobject_init,
			  void (struct kobject *, const struct kobj_type *)));
