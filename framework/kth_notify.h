/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_notify.h - notifications: the environment, the uevent, the helper's
 * path and rate limit (notify.c).
 */
#ifndef _KTH_NOTIFY_H
#define _KTH_NOTIFY_H

#include <linux/types.h>
#include <kthelper.h>

struct kth_thread;

/* Slots of a notification environment and the bytes behind them. */
#define KTH_ENV_SLOTS		48
#define KTH_ENV_BYTES		1536
/*
 * What the framework keeps of them for itself, after the driver's
 * variables: one slot and its bytes for KTH_SUPPRESSED=<n>.
 */
#define KTH_ENV_RESERVED_SLOTS	1
#define KTH_ENV_RESERVED_BYTES	32

/* What became of a uevent, for kth_uevent. */
enum kth_notify_result {
	KTH_NOTIFY_SENT,
	KTH_NOTIFY_FAILED,
};

/*
 * struct kth_env - a notification environment under construction; the
 * thread's own, built and used by the thread only
 * @envp: envp[0] is "ACTION=<event>" for the helper only; the uevent gets
 *	&envp[1], because the kernel sets a uevent's ACTION itself.
 * @argv: {helper, event, NULL} for the user-mode helper.
 * @error: first error of kth_env_add*(); kth_notify() returns it.
 */
struct kth_env {
	char *envp[KTH_ENV_SLOTS + 1];
	unsigned int count;
	char buf[KTH_ENV_BYTES];
	size_t used;
	int error;
	char event[32];
	char helper[KTH_HELPER_MAX];
	char *argv[3];
};

void kth_rate_init(struct kth_thread *t, unsigned int burst,
		   unsigned int rate);
int kth_set_helper_buf(struct kth_thread *t, const char *buf, size_t len);

#endif /* _KTH_NOTIFY_H */
