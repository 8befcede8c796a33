// SPDX-License-Identifier: GPL-2.0
/// wait_ignores_stop: a kernel thread waits in a way kthread_stop() cannot
/// end.
///
/// kth_stop(), module unload and kthread_stop() set the thread's stop flag
/// and wake it; a wait whose condition does not test kthread_should_stop()
/// goes back to sleep (stop and rmmod hang), and an interruptible one
/// spins, because since 6.1 kthread_stop() leaves signal_pending() true.
/// Checked in thread functions (passed to kthread_run() and friends) and
/// in kth_ops hooks (.setup, .handle, .teardown, .reload, which run in
/// the helper thread and which kth_stop() waits for):
///  - wait_event*() without a timeout whose condition does not call
///    kthread_should_stop();
///  - wait_for_completion*() and down*() without a timeout;
///  - a thread function that never calls kthread_should_stop(), itself
///    or in a function of the same file it calls (the classic "loop
///    until signal_pending()" thread).
//
// Options: --no-includes --include-headers

virtual report

@initialize:python@
@@

import re

stoppers = set()
# (file, function) -> names of the functions it calls
callees = {}

def pretty(expr):
	"""An expression as coccinelle prints it, with C's usual spacing."""
	s = re.sub(r"\s*(->|\.)\s*", r"\1", str(expr))
	s = re.sub(r"\s*([\[(])\s*", r"\1", s)
	s = re.sub(r"\s+([\])])", r"\1", s)
	return re.sub(r"([\[(,]\s*)([&*!~-])\s+", r"\1\2", s)

@thread_fn@
identifier fn;
identifier mk = {kthread_run, kthread_create, kthread_create_on_node,
		 kthread_run_on_cpu, kthread_create_on_cpu};
@@

mk(fn, ...)

@hook_init@
identifier ops, fld = {setup, handle, teardown, reload};
identifier fn;
@@

struct kth_ops ops = { ..., .fld = fn, ... };

@hook_assign@
struct kth_ops *pops;
struct kth_ops sops;
identifier fld = {setup, handle, teardown, reload};
identifier fn;
@@

(
pops->fld = fn
|
sops.fld = fn
)

@cond_wait exists@
identifier f = {thread_fn.fn, hook_init.fn, hook_assign.fn};
identifier w = {wait_event, wait_event_interruptible, wait_event_killable,
		wait_event_freezable, wait_event_idle,
		wait_event_interruptible_exclusive, wait_event_idle_exclusive,
		wait_event_freezable_exclusive, wait_event_killable_exclusive,
		wait_event_interruptible_locked,
		wait_event_interruptible_locked_irq, wait_event_lock_irq,
		wait_event_interruptible_lock_irq, wait_event_cmd};
expression wq, C;
position p;
@@

f(...)
{
<+...
w@p(wq, C, ...)
...+>
}

@script:python depends on report@
p << cond_wait.p;
f << cond_wait.f;
w << cond_wait.w;
C << cond_wait.C;
@@

if "kthread_should_stop" not in C and "kthread_freezable_should_stop" not in C:
	coccilib.report.print_report(p[0],
		"wait_ignores_stop: %s() in %s(), which runs in a kernel thread, waits for '%s' only: add '|| kthread_should_stop()' to the condition, or kth_stop() and rmmod hang" % (w, f, pretty(C)))

@plain_wait exists@
identifier f = {thread_fn.fn, hook_init.fn, hook_assign.fn};
identifier w = {wait_for_completion, wait_for_completion_interruptible,
		wait_for_completion_killable, wait_for_completion_io,
		wait_for_completion_state, down, down_interruptible,
		down_killable};
position p;
@@

f(...)
{
<+...
w@p(...)
...+>
}

@script:python depends on report@
p << plain_wait.p;
f << plain_wait.f;
w << plain_wait.w;
@@

coccilib.report.print_report(p[0],
	"wait_ignores_stop: %s() in %s(), which runs in a kernel thread, has no timeout and no stop condition: kth_stop() and rmmod hang until it returns; wait with a timeout in a loop that tests kthread_should_stop()" % (w, f))

@checks_stop@
identifier stop = {kthread_should_stop, kthread_freezable_should_stop};
position p;
@@

stop@p(...)

@script:python@
p << checks_stop.p;
@@

stoppers.add((p[0].file, p[0].current_element))

@calls@
identifier g;
position p;
@@

g@p(...)

@script:python@
g << calls.g;
p << calls.p;
@@

callees.setdefault((p[0].file, p[0].current_element), set()).add(g)

@thread_body@
identifier thread_fn.fn;
position p;
@@

fn@p(...)
{
...
}

@script:python depends on report@
fn << thread_fn.fn;
p << thread_body.p;
@@

key = (p[0].file, fn)
if key not in stoppers and \
   not any((p[0].file, g) in stoppers for g in callees.get(key, ())):
	coccilib.report.print_report(p[0],
		"wait_ignores_stop: thread function %s() never calls kthread_should_stop(): kthread_stop() cannot end it (and since 6.1 a loop on signal_pending() spins once it is called)" % fn)
