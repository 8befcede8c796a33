// SPDX-License-Identifier: GPL-2.0
/*
 * Not a feature: a module file compiles at all with this kernel's headers
 * and flags.  If it does not, no probe result could be trusted, and
 * probes.mk stops the build with the compiler's own message.
 */
#include <linux/module.h>
