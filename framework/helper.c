// SPDX-License-Identifier: GPL-2.0
/*
 * helper.c - running a thread's user-mode helper, and knowing how each
 * run ended.
 *
 * The thread hands each run to kth_helper_submit(), which copies the
 * environment and returns at once: a work item on kth_helper_wq waits
 * for the helper (UMH_WAIT_PROC), so the thread never waits for a
 * helper's run time and the exit status is known.  Every run ends in
 * exactly one counted outcome (enum kth_helper_outcome).
 *
 * The traps this file must get right:
 *  - UMH_WAIT_PROC keeps the kernel's running_helpers count up for the
 *    whole run, and freeze_processes() gives up on a system sleep after
 *    waiting 5 s for it to reach 0.  So the PM notifier holds new runs
 *    back (deferred, in order, bounded) and waits for the running ones,
 *    which the timeout bounds, before the freezer starts; they start
 *    again after the thaw.  A run that still meets -EBUSY (helpers
 *    disabled) is deferred the same way.
 *  - A timed-out helper is killed through the pid its child records
 *    before exec; a kill that comes before the child exists makes the
 *    child give up (its init hook returns -ETIME).
 *  - A run holds a reference on the thread's kobject: the thread is
 *    freed only after its last run's work has finished with it.
 *  - kth_helpers_quiesce() (stop, unload) drops what waits and waits for
 *    what runs: at most helper_timeout_ms, since each run is killed then.
 *  - A helper runs as root with every capability, so the file and every
 *    directory above it must be owned by root and writable by no one
 *    else (OpenSSH's StrictModes, sudo): checked when it is set and
 *    again before each run.
 *  - With CONFIG_STATIC_USERMODEHELPER, the kernel runs its own
 *    dispatcher instead of the helper, or nothing at all when the
 *    dispatcher's path is empty (and still returns 0).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/suspend.h>
#include <linux/umh.h>
#include "kth_thread.h"
#include "kth_trace.h"

/* What the kernel runs for a helper: NULL the helper itself. */
#ifdef CONFIG_STATIC_USERMODEHELPER
#define KTH_UMH_DISPATCHER	CONFIG_STATIC_USERMODEHELPER_PATH
#else
#define KTH_UMH_DISPATCHER	NULL
#endif

static struct workqueue_struct *kth_helper_wq;

/*
 * struct kth_helper_run - one run, from the thread's submit to its end
 * @node: in &kth_helpers.pending while it waits.
 * @work: waits for the helper, on kth_helper_wq.
 * @kill: kills the helper at its timeout.
 * @t: the thread; the run holds a reference on its kobject.
 * @lock: guards @pid and @timed_out, between the child, @kill and @work.
 * @pid: the child's, recorded before exec; NULL until then.
 * @timed_out: @kill has fired.
 * @deferred: counted as deferred once already.
 * @seq: the event's sequence number; @event its name.
 * @argv, @envp: point into @path and @buf.
 */
struct kth_helper_run {
	struct list_head node;
	struct work_struct work;
	struct delayed_work kill;
	struct kth_thread *t;
	spinlock_t lock;	/* @pid, @timed_out */
	struct pid *pid;
	bool timed_out;
	bool deferred;
	u64 seq;
	char event[32];
	char *argv[3];
	char *envp[KTH_ENV_SLOTS + 1];
	char path[KTH_HELPER_MAX];
	char buf[KTH_ENV_BYTES];
};

/**
 * kth_helper_dispatcher() - what this kernel runs instead of a helper
 *
 * Return: NULL if it runs the helper itself, else its
 * CONFIG_STATIC_USERMODEHELPER_PATH: the dispatcher every run goes to,
 * or "" when it runs nothing at all.
 */
const char *kth_helper_dispatcher(void)
{
	return KTH_UMH_DISPATCHER;
}

/* Does this kernel run no helpers at all (an empty dispatcher path)? */
bool kth_helper_none(void)
{
	const char *dispatcher = KTH_UMH_DISPATCHER;

	return dispatcher && !dispatcher[0];
}

/**
 * kth_helper_runner() - what this kernel runs for a helper, in a word
 *
 * Return: "direct", "dispatcher" (every run goes to the kernel's
 * CONFIG_STATIC_USERMODEHELPER_PATH, with the helper as argv[0]) or
 * "none" (that path is empty: the kernel runs nothing).
 */
const char *kth_helper_runner(void)
{
	const char *dispatcher = KTH_UMH_DISPATCHER;

	if (!dispatcher)
		return "direct";
	return kth_helper_none() ? "none" : "dispatcher";
}

/* Is @inode owned by root and writable by no one else? */
static bool kth_inode_safe(const struct inode *inode)
{
	return uid_eq(inode->i_uid, GLOBAL_ROOT_UID) &&
	       !(inode->i_mode & 0022);	/* group, others: no write */
}

/* Log, once per call, why the helper at @path is not accepted. */
static __printf(4, 5) void kth_helper_refuse(struct kth_thread *t,
					     bool at_run, const char *path,
					     const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (at_run)
		kth_warn_ratelimited(t, "%s: helper %s refused: %pV\n",
				     t->name, path, &vaf);
	else
		kth_err(t, "%s: helper %s refused: %pV\n", t->name, path,
			&vaf);
	va_end(args);
}

/*
 * Check the directories above @p, up to the root: each must be owned by
 * root and not writable by group or others.  Consumes @p.
 */
static int kth_check_dirs(struct kth_thread *t, bool at_run,
			  const char *helper, struct path *p)
{
	char buf[KTH_HELPER_MAX];
	struct dentry *parent;
	struct inode *inode;
	int ret = 0;

	for (;;) {
		if (p->dentry == p->mnt->mnt_root) {
			/* the top of a mount: go on from where it is mounted */
			if (!follow_up(p))
				break;
			continue;
		}
		parent = dget_parent(p->dentry);
		dput(p->dentry);
		p->dentry = parent;
		inode = d_inode(parent);
		if (!kth_inode_safe(inode)) {
			kth_helper_refuse(t, at_run, helper,
					  "directory %s is owned by uid %u with mode %04o; a helper and every directory above it must be owned by root and not writable by group or others",
					  d_path(p, buf, sizeof(buf)),
					  i_uid_read(inode),
					  inode->i_mode & 07777);
			ret = -EPERM;
			break;
		}
	}
	path_put(p);
	return ret;
}

/**
 * kth_helper_check() - may the helper at @path run as root?
 * @t: the thread, for the log
 * @path: absolute path, already syntactically valid
 * @at_run: true before a run (the log line is rate-limited), false when
 *	the helper is set
 *
 * @path must name a regular file with an execute bit, owned by root and
 * not writable by group or others, and so must every directory above
 * it, and above the symbolic link @path names if it names one.
 *
 * Context: Process context; sleeps (path lookup).
 * Return: 0; -ENOENT (or another lookup error) if it cannot be found,
 * -EACCES if it is not a regular executable file, -EPERM if it or a
 * directory above it is unsafe.  Each error is logged with the offending
 * file and its mode.
 */
int kth_helper_check(struct kth_thread *t, const char *path, bool at_run)
{
	struct path link, file;
	struct inode *inode;
	bool is_link;
	int ret;

	ret = kern_path(path, 0, &link);
	if (ret) {
		kth_helper_refuse(t, at_run, path, "cannot be found: %d", ret);
		return ret;
	}
	is_link = d_is_symlink(link.dentry);
	if (is_link) {
		/* the directories above the link decide what it points to */
		ret = kth_check_dirs(t, at_run, path, &link);
		if (ret)
			return ret;
		ret = kern_path(path, LOOKUP_FOLLOW, &file);
		if (ret) {
			kth_helper_refuse(t, at_run, path,
					  "its symbolic link leads nowhere: %d",
					  ret);
			return ret;
		}
	} else {
		file = link;
	}
	inode = d_inode(file.dentry);
	if (!S_ISREG(inode->i_mode) || !(inode->i_mode & 0111)) {
		kth_helper_refuse(t, at_run, path,
				  "not a regular executable file (mode %04o)",
				  inode->i_mode & 07777);
		path_put(&file);
		return -EACCES;
	}
	if (!kth_inode_safe(inode)) {
		kth_helper_refuse(t, at_run, path,
				  "the file is owned by uid %u with mode %04o; a helper and every directory above it must be owned by root and not writable by group or others",
				  i_uid_read(inode), inode->i_mode & 07777);
		path_put(&file);
		return -EPERM;
	}
	return kth_check_dirs(t, at_run, path, &file);
}

/*
 * Counting.  Every run reaches kth_helper_end() exactly once, with its
 * outcome; the counters are written under &kth_helpers.lock.
 */
static enum kth_helper_errno kth_errno_index(int err)
{
	switch (err) {
	case -ENOENT:
		return KTH_HELPER_ENOENT;
	case -EACCES:
		return KTH_HELPER_EACCES;
	case -ENOEXEC:
		return KTH_HELPER_ENOEXEC;
	case -ENOMEM:
		return KTH_HELPER_ENOMEM;
	default:
		return KTH_HELPER_EOTHER;
	}
}

static void kth_helper_count(struct kth_helpers *h,
			     enum kth_helper_outcome outcome, int err,
			     int status)
{
	lockdep_assert_held(&h->lock);
	WRITE_ONCE(h->outcome[outcome], h->outcome[outcome] + 1);
	if (outcome == KTH_HELPER_EXEC_FAILED) {
		enum kth_helper_errno i = kth_errno_index(err);

		WRITE_ONCE(h->exec_errno[i], h->exec_errno[i] + 1);
	} else if (outcome == KTH_HELPER_EXITED_NONZERO) {
		WRITE_ONCE(h->last_exit, status);
	} else if (outcome == KTH_HELPER_KILLED) {
		WRITE_ONCE(h->last_signal, status);
	}
}

/*
 * Trace and count the outcome of a run that never reached its work (or
 * never existed): suppressed, dropped, or not even allocated.
 */
static void kth_helper_record(struct kth_thread *t, u64 seq,
			      const char *event,
			      enum kth_helper_outcome outcome, int err,
			      int status)
{
	struct kth_helpers *h = &t->helpers;

	trace_kth_helper(t, seq, event, outcome, err, status);
	spin_lock(&h->lock);
	kth_helper_count(h, outcome, err, status);
	spin_unlock(&h->lock);
}

static void kth_run_free(struct kth_helper_run *run)
{
	struct kth_thread *t = run->t;

	put_pid(run->pid);
	kfree(run);
	kobject_put(&t->kobj);	/* may free the thread: the last use of it */
}

/*
 * Take runs off the pending list while the limits allow, counting each
 * as running, onto @start.  Called with the lock held.
 */
static void kth_helper_take(struct kth_helpers *h, struct list_head *start)
{
	struct kth_helper_run *run;

	lockdep_assert_held(&h->lock);
	while (!h->paused && !h->closed && h->n_pending &&
	       h->running < READ_ONCE(h->max_running)) {
		run = list_first_entry(&h->pending, struct kth_helper_run,
				       node);
		list_move_tail(&run->node, start);
		WRITE_ONCE(h->n_pending, h->n_pending - 1);
		WRITE_ONCE(h->running, h->running + 1);
	}
}

static void kth_helper_start_list(struct list_head *start)
{
	struct kth_helper_run *run, *next;

	list_for_each_entry_safe(run, next, start, node) {
		list_del_init(&run->node);
		queue_work(kth_helper_wq, &run->work);
	}
}

/* A run that was handed to its work has ended with @outcome. */
static void kth_helper_end(struct kth_helper_run *run,
			   enum kth_helper_outcome outcome, int err, int status)
{
	struct kth_thread *t = run->t;
	struct kth_helpers *h = &t->helpers;
	LIST_HEAD(start);

	trace_kth_helper(t, run->seq, run->event, outcome, err, status);
	spin_lock(&h->lock);
	kth_helper_count(h, outcome, err, status);
	WRITE_ONCE(h->running, h->running - 1);
	kth_helper_take(h, &start);
	/* pairs with wait_event() in kth_helpers_wait_idle() */
	if (!h->running)
		wake_up_all(&h->idle);
	spin_unlock(&h->lock);
	kth_helper_start_list(&start);
	kth_run_free(run);
}

/* Runs in the child, before exec: record its pid for the timeout. */
static int kth_helper_child_init(struct subprocess_info *info,
				 struct cred *new)
{
	struct kth_helper_run *run = info->data;
	int ret = 0;

	spin_lock(&run->lock);
	if (run->timed_out)
		ret = -ETIME;	/* too late: do not exec */
	else
		run->pid = get_task_pid(current, PIDTYPE_PID);
	spin_unlock(&run->lock);
	return ret;
}

static void kth_helper_kill(struct work_struct *work)
{
	struct kth_helper_run *run = container_of(to_delayed_work(work),
						  struct kth_helper_run, kill);

	spin_lock(&run->lock);
	run->timed_out = true;
	if (run->pid)
		kill_pid(run->pid, SIGKILL, 1);
	spin_unlock(&run->lock);
}

/*
 * Put a run that met -EBUSY back at the head of the queue, deferred.
 * Once it is on the list, another context may start and free it.
 */
static bool kth_helper_defer_again(struct kth_helper_run *run)
{
	struct kth_thread *t = run->t;
	struct kth_helpers *h = &t->helpers;
	bool kept = false;

	spin_lock(&h->lock);
	if (!h->closed) {
		if (!run->deferred) {
			WRITE_ONCE(h->deferred, h->deferred + 1);
			trace_kth_helper(t, run->seq, run->event,
					 KTH_HELPER_DEFERRED, -EBUSY, 0);
		}
		run->deferred = true;
		h->paused = true;	/* until the PM notifier's POST */
		WRITE_ONCE(h->running, h->running - 1);
		list_add(&run->node, &h->pending);
		WRITE_ONCE(h->n_pending, h->n_pending + 1);
		if (!h->running)
			wake_up_all(&h->idle);
		kept = true;
	}
	spin_unlock(&h->lock);
	return kept;
}

static void kth_helper_work(struct work_struct *work)
{
	struct kth_helper_run *run = container_of(work, struct kth_helper_run,
						  work);
	struct kth_thread *t = run->t;
	struct subprocess_info *info;
	unsigned int ms;
	int ret;

	if (kth_helper_none()) {
		kth_helper_end(run, KTH_HELPER_NOT_RUN, -EOPNOTSUPP, 0);
		return;
	}
	ret = kth_helper_check(t, run->path, true);
	if (ret) {
		kth_helper_end(run, ret == -EPERM ? KTH_HELPER_REFUSED :
			       KTH_HELPER_EXEC_FAILED, ret, 0);
		return;
	}
	info = call_usermodehelper_setup(run->path, run->argv, run->envp,
					 GFP_KERNEL, kth_helper_child_init,
					 NULL, run);
	if (!info) {
		kth_helper_end(run, KTH_HELPER_EXEC_FAILED, -ENOMEM, 0);
		return;
	}
	trace_kth_helper(t, run->seq, run->event, KTH_HELPER_STARTED, 0, 0);
	ms = READ_ONCE(t->helpers.timeout_ms);
	queue_delayed_work(kth_helper_wq, &run->kill, msecs_to_jiffies(ms));
	/*
	 * Killable, so that the wait does not count as a hung task: no one
	 * signals a workqueue's worker, and the timeout bounds it.
	 */
	ret = call_usermodehelper_exec(info, UMH_WAIT_PROC | UMH_KILLABLE);
	cancel_delayed_work_sync(&run->kill);

	if (ret == -EBUSY) {	/* helpers disabled: a system sleep */
		if (!kth_helper_defer_again(run))
			kth_helper_end(run, KTH_HELPER_DROPPED, ret, 0);
		return;
	}
	if (run->timed_out && (ret < 0 || (ret & 0x7f) == SIGKILL)) {
		kth_warn_ratelimited(t, "%s: helper %s for event %llu killed after %u ms\n",
				     t->name, run->path, run->seq, ms);
		kth_helper_end(run, KTH_HELPER_TIMEDOUT, 0, SIGKILL);
	} else if (ret < 0) {
		kth_warn_ratelimited(t, "%s: helper %s failed to start: %d\n",
				     t->name, run->path, ret);
		kth_helper_end(run, KTH_HELPER_EXEC_FAILED, ret, 0);
	} else if (ret & 0x7f) {
		/* ret is a wait status: signal in bits 0-6, exit code 8-15 */
		kth_helper_end(run, KTH_HELPER_KILLED, 0, ret & 0x7f);
	} else if (ret) {
		kth_helper_end(run, KTH_HELPER_EXITED_NONZERO, 0,
			       (ret >> 8) & 0xff);
	} else {
		kth_helper_end(run, KTH_HELPER_EXITED, 0, 0);
	}
}

/* The thread's kth_notify(): a run the rate limit suppressed. */
void kth_helper_suppressed(struct kth_thread *t, const char *event)
{
	unsigned int missed = ++t->helpers.suppressed_since;

	/* traced status: runs suppressed since the last one let through */
	kth_helper_record(t, t->cur_seq, event, KTH_HELPER_SUPPRESSED, 0,
			  missed);
}

/* A run that never reached its work: count it, trace it, free it. */
static void kth_helper_discard(struct kth_helper_run *run,
			       enum kth_helper_outcome outcome, int err)
{
	kth_helper_record(run->t, run->seq, run->event, outcome, err, 0);
	kth_run_free(run);
}

/*
 * A run of the helper at @path for the event being handled, with its own
 * copy of @env; it holds a reference on the thread.  NULL: no memory.
 */
static struct kth_helper_run *kth_run_new(struct kth_thread *t,
					  const struct kth_env *env,
					  const char *path)
{
	struct kth_helper_run *run;
	unsigned int i;

	run = kmalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return NULL;
	INIT_LIST_HEAD(&run->node);
	INIT_WORK(&run->work, kth_helper_work);
	INIT_DELAYED_WORK(&run->kill, kth_helper_kill);
	spin_lock_init(&run->lock);
	run->pid = NULL;
	run->timed_out = false;
	run->deferred = false;
	run->seq = t->cur_seq;
	strscpy(run->event, env->event, sizeof(run->event));
	strscpy(run->path, path, sizeof(run->path));
	memcpy(run->buf, env->buf, env->used);
	for (i = 0; i < env->count; i++)
		run->envp[i] = run->buf + (env->envp[i] - env->buf);
	run->envp[i] = NULL;
	run->argv[0] = run->path;
	run->argv[1] = run->event;
	run->argv[2] = NULL;
	kobject_get(&t->kobj);
	run->t = t;
	return run;
}

/**
 * kth_helper_submit() - run the helper at @path for the event being handled
 * @t: the thread (called from kth_notify(), in its handler)
 * @env: the finished environment; copied, so the thread may reuse it
 * @path: the helper, as set when the run was decided
 *
 * Starts the run at once if fewer than helper_max_running runs are under
 * way and no system sleep holds runs back; else the run waits, in order,
 * if fewer than helper_max_pending wait; else it is dropped.  Never
 * waits for the helper.
 *
 * Context: The thread's handler; may sleep (allocates).
 */
void kth_helper_submit(struct kth_thread *t, struct kth_env *env,
		       const char *path)
{
	struct kth_helpers *h = &t->helpers;
	enum kth_helper_outcome step;
	struct kth_helper_run *run;
	bool start = false;

	run = kth_run_new(t, env, path);
	if (!run) {
		kth_helper_record(t, t->cur_seq, env->event,
				  KTH_HELPER_EXEC_FAILED, -ENOMEM, 0);
		return;
	}

	spin_lock(&h->lock);

	if (h->closed) {
		step = KTH_HELPER_DROPPED;
	} else if (!h->paused && !h->n_pending &&
		   h->running < READ_ONCE(h->max_running)) {
		WRITE_ONCE(h->running, h->running + 1);
		start = true;
	} else if (h->n_pending < READ_ONCE(h->max_pending)) {
		list_add_tail(&run->node, &h->pending);
		WRITE_ONCE(h->n_pending, h->n_pending + 1);
		if (h->paused) {
			run->deferred = true;
			WRITE_ONCE(h->deferred, h->deferred + 1);
			step = KTH_HELPER_DEFERRED;
		} else {
			WRITE_ONCE(h->waited, h->waited + 1);
			step = KTH_HELPER_WAITED;
		}
	} else {
		step = KTH_HELPER_DROPPED;
	}
	spin_unlock(&h->lock);

	if (start) {
		queue_work(kth_helper_wq, &run->work);
	} else if (step == KTH_HELPER_DROPPED) {
		kth_warn_ratelimited(t, "%s: helper run for event %llu dropped: %u runs already wait (helper_max_pending)\n",
				     t->name, run->seq,
				     READ_ONCE(h->max_pending));
		kth_helper_discard(run, KTH_HELPER_DROPPED, 0);
	} else {
		/* run may already be running: only its copies may be used */
		trace_kth_helper(t, t->cur_seq, env->event, step, 0, 0);
	}
}

/*
 * Wait for the runs under way to end: each ends within helper_timeout_ms
 * of its start, when it is killed.
 */
static void kth_helpers_wait_idle(struct kth_helpers *h)
{
	/*
	 * Pairs with wake_up_all() after the decrement in kth_helper_end()
	 * and kth_helper_defer_again(): wait_event() orders the test after
	 * its prepare_to_wait(), the waker's wake_up after its write.
	 */
	wait_event(h->idle, !READ_ONCE(h->running));
}

/*
 * Around a system sleep: before the freezer, hold new runs back and let
 * those under way end (the freezer would give up on them after 5 s);
 * after the thaw, start what was held back, in order.
 */
static int kth_helpers_pm(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct kth_helpers *h = container_of(nb, struct kth_helpers, pm_nb);
	LIST_HEAD(start);

	switch (action) {
	case PM_HIBERNATION_PREPARE:
	case PM_SUSPEND_PREPARE:
	case PM_RESTORE_PREPARE:
		spin_lock(&h->lock);
		h->paused = true;
		spin_unlock(&h->lock);
		kth_helpers_wait_idle(h);
		break;
	case PM_POST_HIBERNATION:
	case PM_POST_SUSPEND:
	case PM_POST_RESTORE:
		spin_lock(&h->lock);
		h->paused = false;
		kth_helper_take(h, &start);
		spin_unlock(&h->lock);
		kth_helper_start_list(&start);
		break;
	}
	return NOTIFY_DONE;
}

/*
 * The counters, for kth_get_stats(): from any context, so without the
 * lock; each is written with WRITE_ONCE under it.
 */
void kth_helpers_stats(struct kth_thread *t, struct kth_stats *s)
{
	struct kth_helpers *h = &t->helpers;
	const u64 *o = h->outcome;
	const u64 *e = h->exec_errno;

	s->helper_exited = READ_ONCE(o[KTH_HELPER_EXITED]);
	s->helper_exited_nonzero = READ_ONCE(o[KTH_HELPER_EXITED_NONZERO]);
	s->helper_killed = READ_ONCE(o[KTH_HELPER_KILLED]);
	s->helper_timeouts = READ_ONCE(o[KTH_HELPER_TIMEDOUT]);
	s->helper_exec_failed = READ_ONCE(o[KTH_HELPER_EXEC_FAILED]);
	s->helper_refused = READ_ONCE(o[KTH_HELPER_REFUSED]);
	s->helper_not_run = READ_ONCE(o[KTH_HELPER_NOT_RUN]);
	s->helper_suppressed = READ_ONCE(o[KTH_HELPER_SUPPRESSED]);
	s->helper_dropped = READ_ONCE(o[KTH_HELPER_DROPPED]);
	s->helper_exec_enoent = READ_ONCE(e[KTH_HELPER_ENOENT]);
	s->helper_exec_eacces = READ_ONCE(e[KTH_HELPER_EACCES]);
	s->helper_exec_enoexec = READ_ONCE(e[KTH_HELPER_ENOEXEC]);
	s->helper_exec_enomem = READ_ONCE(e[KTH_HELPER_ENOMEM]);
	s->helper_exec_other = READ_ONCE(e[KTH_HELPER_EOTHER]);
	s->helper_deferred = READ_ONCE(h->deferred);
	s->helper_waited = READ_ONCE(h->waited);
	s->helper_running = READ_ONCE(h->running);
	s->helper_pending = READ_ONCE(h->n_pending);
	s->helper_last_exit = READ_ONCE(h->last_exit);
	s->helper_last_signal = READ_ONCE(h->last_signal);
	s->helper_runs = s->helper_exited + s->helper_exited_nonzero +
			 s->helper_killed + s->helper_timeouts;
	s->helper_failures = s->helper_exec_failed + s->helper_refused +
			     s->helper_not_run;
}

/**
 * kth_set_helper_limits() - bound the thread's helper runs
 * @t: the thread
 * @timeout_ms: a run is killed after this long,
 *	%KTH_HELPER_TIMEOUT_MS_MIN..%KTH_HELPER_TIMEOUT_MS_MAX; applies to
 *	runs that start from now on
 * @max_running: runs at once, 1..%KTH_HELPER_RUNNING_MAX
 * @max_pending: runs that may wait, 1..%KTH_HELPER_PENDING_MAX
 *
 * Context: Process context; sleeps (takes a mutex).
 * Return: 0, or -EINVAL (logged, nothing changed) if a value is out of
 * range.
 */
int kth_set_helper_limits(struct kth_thread *t, unsigned int timeout_ms,
			  unsigned int max_running, unsigned int max_pending)
{
	struct kth_helpers *h = &t->helpers;
	LIST_HEAD(start);

	if (timeout_ms < KTH_HELPER_TIMEOUT_MS_MIN ||
	    timeout_ms > KTH_HELPER_TIMEOUT_MS_MAX) {
		kth_err(t, "%s: helper_timeout_ms must be %d..%d\n", t->name,
			KTH_HELPER_TIMEOUT_MS_MIN, KTH_HELPER_TIMEOUT_MS_MAX);
		return -EINVAL;
	}
	if (!max_running || max_running > KTH_HELPER_RUNNING_MAX) {
		kth_err(t, "%s: helper_max_running must be 1..%d\n", t->name,
			KTH_HELPER_RUNNING_MAX);
		return -EINVAL;
	}
	if (!max_pending || max_pending > KTH_HELPER_PENDING_MAX) {
		kth_err(t, "%s: helper_max_pending must be 1..%d\n", t->name,
			KTH_HELPER_PENDING_MAX);
		return -EINVAL;
	}
	mutex_lock(&t->config_lock);
	WRITE_ONCE(h->timeout_ms, timeout_ms);
	WRITE_ONCE(h->max_pending, max_pending);
	spin_lock(&h->lock);
	WRITE_ONCE(h->max_running, max_running);
	kth_helper_take(h, &start);	/* a higher limit lets more run */
	spin_unlock(&h->lock);
	mutex_unlock(&t->config_lock);
	kth_helper_start_list(&start);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kth_set_helper_limits, KTH_NS);

/* Set up @t's runs from the driver's config (checked by core.c). */
void kth_helpers_init(struct kth_thread *t, const struct kth_config *cfg)
{
	struct kth_helpers *h = &t->helpers;

	spin_lock_init(&h->lock);
	INIT_LIST_HEAD(&h->pending);
	init_waitqueue_head(&h->idle);
	h->timeout_ms = cfg->helper_timeout_ms ?: KTH_HELPER_TIMEOUT_MS;
	h->max_running = cfg->helper_max_running ?: KTH_HELPER_RUNNING;
	h->max_pending = cfg->helper_max_pending ?: KTH_HELPER_PENDING;
	h->closed = true;	/* until the first start */
	h->pm_nb.notifier_call = kth_helpers_pm;
}

/* Once the thread is visible: follow system sleeps. */
int kth_helpers_register(struct kth_thread *t)
{
	return register_pm_notifier(&t->helpers.pm_nb);
}

/* At destroy, after the last stop. */
void kth_helpers_unregister(struct kth_thread *t)
{
	unregister_pm_notifier(&t->helpers.pm_nb);
}

/* The thread starts: runs may start again. */
void kth_helpers_open(struct kth_thread *t)
{
	struct kth_helpers *h = &t->helpers;

	spin_lock(&h->lock);
	h->closed = false;
	spin_unlock(&h->lock);
}

/**
 * kth_helpers_quiesce() - the thread has stopped: end its runs
 * @t: the thread, whose handler no longer runs
 *
 * Runs that wait are dropped and counted; runs under way are waited
 * for, each at most until its timeout kills it.
 *
 * Context: Process context; sleeps up to helper_timeout_ms.
 */
void kth_helpers_quiesce(struct kth_thread *t)
{
	struct kth_helpers *h = &t->helpers;
	struct kth_helper_run *run, *next;
	LIST_HEAD(drop);

	spin_lock(&h->lock);
	h->closed = true;
	list_splice_init(&h->pending, &drop);
	WRITE_ONCE(h->n_pending, 0);
	spin_unlock(&h->lock);
	list_for_each_entry_safe(run, next, &drop, node) {
		list_del(&run->node);
		kth_helper_discard(run, KTH_HELPER_DROPPED, -ESHUTDOWN);
	}
	kth_helpers_wait_idle(h);
}

int kth_helpers_global_init(void)
{
	/* unbound: a run's work sleeps for as long as its helper runs */
	kth_helper_wq = alloc_workqueue("kthelper_helpers", WQ_UNBOUND, 0);
	return kth_helper_wq ? 0 : -ENOMEM;
}

void kth_helpers_global_exit(void)
{
	destroy_workqueue(kth_helper_wq);
}
