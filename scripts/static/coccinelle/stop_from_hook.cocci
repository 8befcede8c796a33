// SPDX-License-Identifier: GPL-2.0
/// stop_from_hook: kth_stop() or kth_destroy() called from a kth_ops hook.
///
/// The hooks (.setup, .handle, .teardown, .reload of a struct kth_ops) run
/// in the helper thread itself.  kth_stop() waits for the thread to exit:
/// called from the thread it waits for itself (the framework warns and
/// returns, so the stop silently does not happen), and kth_destroy() would
/// free the thread under its own feet.  Stopping another helper thread
/// from a hook is flagged too: the argument is usually a global the rule
/// cannot tell apart from the hook's own thread, and two threads that stop
/// each other deadlock.  Calls made by a function of the same file that a
/// hook calls (one level) count as the hook's.
//
// Options: --no-includes --include-headers

virtual report

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

@direct exists@
identifier hook = {hook_init.fn, hook_assign.fn};
identifier stop = {kth_stop, kth_destroy};
position p;
@@

hook(...)
{
<+...
stop@p(...)
...+>
}

@callee exists@
identifier hook = {hook_init.fn, hook_assign.fn};
identifier helper;
position pc;
@@

hook(...)
{
<+...
helper@pc(...)
...+>
}

@indirect exists@
identifier callee.helper;
identifier stop = {kth_stop, kth_destroy};
position p;
@@

helper(...)
{
<+...
stop@p(...)
...+>
}

@script:python depends on report@
p << direct.p;
hook << direct.hook;
stop << direct.stop;
@@

coccilib.report.print_report(p[0],
	"stop_from_hook: %s() in %s(), a kth_ops hook that runs in the helper thread: it would wait for itself; stop the thread from process context (module exit, sysfs) instead" % (stop, hook))

@script:python depends on report@
p << indirect.p;
helper << callee.helper;
hook << callee.hook;
stop << indirect.stop;
@@

coccilib.report.print_report(p[0],
	"stop_from_hook: %s() in %s(), called from %s(), a kth_ops hook that runs in the helper thread: it would wait for itself" % (stop, helper, hook))
