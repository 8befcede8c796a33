/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kth_trace.h - the kthelper tracepoints (system "kthelper").
 *
 * Named after workqueue's (queue -> execute_start -> execute_end).  The
 * thread is a string in every record, and results print by name, so
 * trace-cmd, perf and bpftrace decode them from the format files alone.
 * Off, each costs a static-key branch.  trace.c creates them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kthelper

#if !defined(_KTH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KTH_TRACE_H

#include <linux/tracepoint.h>
#include "kth_thread.h"

TRACE_DEFINE_ENUM(KTH_POST_QUEUED);
TRACE_DEFINE_ENUM(KTH_POST_EVICTED);
TRACE_DEFINE_ENUM(KTH_POST_FULL);
TRACE_DEFINE_ENUM(KTH_POST_STOPPED);
TRACE_DEFINE_ENUM(KTH_NOTIFY_SENT);
TRACE_DEFINE_ENUM(KTH_NOTIFY_FAILED);
TRACE_DEFINE_ENUM(KTH_HELPER_EXITED);
TRACE_DEFINE_ENUM(KTH_HELPER_EXITED_NONZERO);
TRACE_DEFINE_ENUM(KTH_HELPER_KILLED);
TRACE_DEFINE_ENUM(KTH_HELPER_TIMEDOUT);
TRACE_DEFINE_ENUM(KTH_HELPER_EXEC_FAILED);
TRACE_DEFINE_ENUM(KTH_HELPER_REFUSED);
TRACE_DEFINE_ENUM(KTH_HELPER_NOT_RUN);
TRACE_DEFINE_ENUM(KTH_HELPER_SUPPRESSED);
TRACE_DEFINE_ENUM(KTH_HELPER_DROPPED);
TRACE_DEFINE_ENUM(KTH_HELPER_STARTED);
TRACE_DEFINE_ENUM(KTH_HELPER_DEFERRED);
TRACE_DEFINE_ENUM(KTH_HELPER_WAITED);
TRACE_DEFINE_ENUM(KTH_PHASE_STOPPED);
TRACE_DEFINE_ENUM(KTH_PHASE_STARTING);
TRACE_DEFINE_ENUM(KTH_PHASE_RUNNING);
TRACE_DEFINE_ENUM(KTH_PHASE_PAUSED);
TRACE_DEFINE_ENUM(KTH_PHASE_DRAINING);
TRACE_DEFINE_ENUM(KTH_PHASE_STOPPING);
TRACE_DEFINE_ENUM(KTH_PHASE_FROZEN);
TRACE_DEFINE_ENUM(KTH_CAUSE_API);
TRACE_DEFINE_ENUM(KTH_CAUSE_SYSFS);
TRACE_DEFINE_ENUM(KTH_CAUSE_SIGNAL);
TRACE_DEFINE_ENUM(KTH_CAUSE_FREEZER);
TRACE_DEFINE_ENUM(KTH_CAUSE_THREAD);

#define kth_show_post_result(r)					\
	__print_symbolic(r,					\
		{ KTH_POST_QUEUED, "queued" },			\
		{ KTH_POST_EVICTED, "evicted-oldest" },		\
		{ KTH_POST_FULL, "refused-full" },		\
		{ KTH_POST_STOPPED, "refused-stopped" })

#define kth_show_notify_result(r)				\
	__print_symbolic(r,					\
		{ KTH_NOTIFY_SENT, "sent" },			\
		{ KTH_NOTIFY_FAILED, "failed" })

#define kth_show_helper_result(r)				\
	__print_symbolic(r,					\
		{ KTH_HELPER_EXITED, "exited" },		\
		{ KTH_HELPER_EXITED_NONZERO, "exited-nonzero" },	\
		{ KTH_HELPER_KILLED, "killed" },		\
		{ KTH_HELPER_TIMEDOUT, "timeout" },		\
		{ KTH_HELPER_EXEC_FAILED, "failed" },		\
		{ KTH_HELPER_REFUSED, "refused" },		\
		{ KTH_HELPER_NOT_RUN, "not-run" },		\
		{ KTH_HELPER_SUPPRESSED, "suppressed" },	\
		{ KTH_HELPER_DROPPED, "dropped" },		\
		{ KTH_HELPER_STARTED, "started" },		\
		{ KTH_HELPER_DEFERRED, "deferred" },		\
		{ KTH_HELPER_WAITED, "waited" })

#define kth_show_phase(p)					\
	__print_symbolic(p,					\
		{ KTH_PHASE_STOPPED, "stopped" },		\
		{ KTH_PHASE_STARTING, "starting" },		\
		{ KTH_PHASE_RUNNING, "running" },		\
		{ KTH_PHASE_PAUSED, "paused" },			\
		{ KTH_PHASE_DRAINING, "draining" },		\
		{ KTH_PHASE_STOPPING, "stopping" },		\
		{ KTH_PHASE_FROZEN, "frozen" })

#define kth_show_cause(c)					\
	__print_symbolic(c,					\
		{ KTH_CAUSE_API, "api" },			\
		{ KTH_CAUSE_SYSFS, "sysfs" },			\
		{ KTH_CAUSE_SIGNAL, "signal" },			\
		{ KTH_CAUSE_FREEZER, "freezer" },		\
		{ KTH_CAUSE_THREAD, "thread" })

/* One per kth_post() counted in posted: seq is the count it made. */
TRACE_EVENT(kth_post,
	    TP_PROTO(const struct kth_thread *t, u64 seq, u32 len, int result),
	    TP_ARGS(t, seq, len, result),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(u64, seq)
			     __field(u32, len)
			     __field(int, result)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->seq = seq;
			   __entry->len = len;
			   __entry->result = result;),
	    TP_printk("thread=%s seq=%llu len=%u result=%s", __get_str(thread),
		      __entry->seq, __entry->len,
		      kth_show_post_result(__entry->result))
);

/* kth_post() woke the sleeping thread; its CPU's ring depth after queueing. */
TRACE_EVENT(kth_wakeup,
	    TP_PROTO(const struct kth_thread *t, u32 depth),
	    TP_ARGS(t, depth),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(u32, depth)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->depth = depth;),
	    TP_printk("thread=%s depth=%u", __get_str(thread), __entry->depth)
);

TRACE_EVENT(kth_handle_start,
	    TP_PROTO(const struct kth_thread *t, u64 seq, u64 wait_ns),
	    TP_ARGS(t, seq, wait_ns),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(u64, seq)
			     __field(u64, wait_ns)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->seq = seq;
			   __entry->wait_ns = wait_ns;),
	    TP_printk("thread=%s seq=%llu wait_ns=%llu", __get_str(thread),
		      __entry->seq, __entry->wait_ns)
);

TRACE_EVENT(kth_handle_end,
	    TP_PROTO(const struct kth_thread *t, u64 seq, u64 wait_ns,
		     u64 handle_ns),
	    TP_ARGS(t, seq, wait_ns, handle_ns),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(u64, seq)
			     __field(u64, wait_ns)
			     __field(u64, handle_ns)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->seq = seq;
			   __entry->wait_ns = wait_ns;
			   __entry->handle_ns = handle_ns;),
	    TP_printk("thread=%s seq=%llu wait_ns=%llu handle_ns=%llu",
		      __get_str(thread), __entry->seq, __entry->wait_ns,
		      __entry->handle_ns)
);

/* A lifecycle change; sig is the signal's number when cause=signal. */
TRACE_EVENT(kth_state,
	    TP_PROTO(const struct kth_thread *t, int old, int new, int cause,
		     int sig),
	    TP_ARGS(t, old, new, cause, sig),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(int, old)
			     __field(int, new)
			     __field(int, cause)
			     __field(int, sig)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->old = old;
			   __entry->new = new;
			   __entry->cause = cause;
			   __entry->sig = sig;),
	    TP_printk("thread=%s old=%s new=%s cause=%s sig=%d",
		      __get_str(thread), kth_show_phase(__entry->old),
		      kth_show_phase(__entry->new),
		      kth_show_cause(__entry->cause), __entry->sig)
);

/*
 * A helper run for the event seq: a step (started, deferred, waited) or
 * its outcome.  err < 0 when it failed or was refused; status is the
 * exit status (exited-nonzero), the signal (killed, timeout) or, for
 * suppressed, how many runs were suppressed since the last one.
 */
TRACE_EVENT(kth_helper,
	    TP_PROTO(const struct kth_thread *t, u64 seq, const char *action,
		     int result, int err, int status),
	    TP_ARGS(t, seq, action, result, err, status),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(u64, seq)
			     __string(event, action)
			     __field(int, result)
			     __field(int, err)
			     __field(int, status)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->seq = seq;
			   kth_assign_str(event, action);
			   __entry->result = result;
			   __entry->err = err;
			   __entry->status = status;),
	    TP_printk("thread=%s seq=%llu event=%s result=%s err=%d status=%d",
		      __get_str(thread), __entry->seq, __get_str(event),
		      kth_show_helper_result(__entry->result), __entry->err,
		      __entry->status)
);

/* A uevent for the event seq; err < 0 when it failed. */
TRACE_EVENT(kth_uevent,
	    TP_PROTO(const struct kth_thread *t, u64 seq, const char *action,
		     int result, int err),
	    TP_ARGS(t, seq, action, result, err),
	    TP_STRUCT__entry(__string(thread, t->name)
			     __field(u64, seq)
			     __string(event, action)
			     __field(int, result)
			     __field(int, err)),
	    TP_fast_assign(kth_assign_str(thread, t->name);
			   __entry->seq = seq;
			   kth_assign_str(event, action);
			   __entry->result = result;
			   __entry->err = err;),
	    TP_printk("thread=%s seq=%llu event=%s result=%s err=%d",
		      __get_str(thread), __entry->seq, __get_str(event),
		      kth_show_notify_result(__entry->result), __entry->err)
);

#endif /* _KTH_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kth_trace
#include <trace/define_trace.h>
