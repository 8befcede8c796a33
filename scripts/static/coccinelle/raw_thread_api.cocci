// SPDX-License-Identifier: GPL-2.0
/// raw_thread_api: a driver starts kernel threads, takes signals or runs
/// user-mode helpers itself instead of through kthelper.
///
/// kth_create()/kth_start() own the thread (ready handshake, a task
/// reference of their own for kthread_stop(), freezer, signals) and
/// kth_notify() owns the helper (sanitised environment, rate limit, safe
/// path, every run's outcome with no wait in the thread, a timeout).  A driver that calls
/// the raw API re-creates the bugs kthelper exists to remove.  The rule
/// is run on everything but framework/, which implements that API, and
/// tests/bench/, whose baselines (kthread_worker, a raw kfifo + kthread)
/// are what kthelper is measured against.
//
// Options: --no-includes --include-headers
// kth-check: skip tests/bench/

virtual report

@raw@
position p;
identifier fn = {
	kthread_run, kthread_create, kthread_create_on_node,
	kthread_create_on_cpu, kthread_run_on_cpu, kernel_thread,
	allow_signal, disallow_signal, kernel_dequeue_signal,
	call_usermodehelper, call_usermodehelper_setup,
	call_usermodehelper_exec
};
@@

fn@p(...)

@script:python depends on report@
p << raw.p;
fn << raw.fn;
@@

if fn.startswith("call_usermodehelper"):
	use = "kth_notify() (sanitised environment, rate limit, never waits for the helper)"
elif fn.endswith("signal"):
	use = "KTH_SIGNALS in struct kth_config (the framework dequeues signals between events)"
else:
	use = "kth_create() and kth_start() (ready handshake, safe stop, freezer)"
coccilib.report.print_report(p[0], "raw_thread_api: %s() in a driver: use %s" % (fn, use))
