// SPDX-License-Identifier: GPL-2.0
/// sleep_in_atomic: a call that may sleep where sleeping is forbidden.
///
/// kth_post() may be called anywhere, hard IRQ and raw spinlocks
/// included, which is exactly why drivers post from places that must not
/// sleep; the rest of kthelper's API (kth_create, kth_start, kth_stop,
/// kth_destroy, kth_pause, kth_resume, kth_set_helper, kth_env_*,
/// kth_notify) sleeps, as do msleep(), mutex_lock(), wait_event(),
/// GFP_KERNEL allocations and their like.  A sleeping call in atomic
/// context is "BUG: scheduling while atomic" or a deadlock, and on
/// PREEMPT_RT a raw spinlock region is atomic even where a spinlock_t is
/// not.  Flagged:
///  - a sleeping call between spin_lock*(), raw_spin_lock*(),
///    read_lock*()/write_lock*(), local_irq_disable()/local_irq_save(),
///    preempt_disable() or rcu_read_lock() and the matching release on
///    some path;
///  - a sleeping call in an hrtimer callback (a function returning enum
///    hrtimer_restart), a hard-IRQ handler (the handler given to
///    request_irq() and friends; not a threaded IRQ's thread function), a
///    timer_list callback, a tasklet, or a kth_ops .sample hook (the
///    framework's deferrable timer, or kth_sample_now()'s caller);
///  - in both places, a call to a function of the same file that itself
///    makes such a call (one level deep).
/// An allocation sleeps when its gfp argument names GFP_KERNEL, GFP_USER,
/// GFP_NOFS, GFP_NOIO or GFP_HIGHUSER; vmalloc() and kvmalloc() always
/// may.
//
// Options: --no-includes --include-headers

virtual report

@initialize:python@
@@

import re

sleepy_gfp = re.compile(r'\bGFP_(KERNEL|USER|NOFS|NOIO|HIGHUSER)')
# (file, line, column) of every call that may sleep -> its description
sleep_at = {}
# function (file, name) -> (sleeping call, line) for the one-level check
sleepers = {}

def at(pos):
	return (pos.file, pos.line, pos.column)

def why(f, pos):
	"""Why the call of f at pos may sleep, or None."""
	if at(pos) in sleep_at:
		return sleep_at[at(pos)]
	if (pos.file, f) in sleepers:
		s, line = sleepers[(pos.file, f)]
		return "%s() calls %s() (line %s), which may sleep" % (f, s, line)
	return None

def gfp_sleeps(args):
	return sleepy_gfp.search(str(args)) is not None

// ---- functions that sleep directly ---------------------------------

@sleeps@
identifier s = {msleep, msleep_interruptible, ssleep, usleep_range, fsleep,
		schedule, schedule_timeout, schedule_timeout_interruptible,
		schedule_timeout_uninterruptible, schedule_timeout_killable,
		schedule_timeout_idle, io_schedule, mutex_lock,
		mutex_lock_interruptible, mutex_lock_killable, mutex_lock_nested,
		down, down_interruptible, down_killable, down_timeout,
		down_read, down_write, down_read_killable, down_write_killable,
		wait_event, wait_event_interruptible, wait_event_killable,
		wait_event_timeout, wait_event_interruptible_timeout,
		wait_event_freezable, wait_event_idle,
		wait_for_completion, wait_for_completion_interruptible,
		wait_for_completion_killable, wait_for_completion_timeout,
		wait_for_completion_interruptible_timeout,
		flush_work, flush_delayed_work, flush_workqueue,
		cancel_work_sync, cancel_delayed_work_sync, synchronize_rcu,
		synchronize_net, rcu_barrier, kthread_stop, kthread_park,
		kthread_run, kthread_create, call_usermodehelper,
		vmalloc, vzalloc, copy_from_user, copy_to_user,
		request_firmware, kth_create, kth_destroy, kth_start, kth_stop,
		kth_pause, kth_resume, kth_set_helper, kth_env_begin,
		kth_env_add, kth_env_add_untrusted, kth_notify};
position p;
@@

s@p(...)

@script:python@
s << sleeps.s;
p << sleeps.p;
@@

sleep_at[at(p[0])] = "%s() may sleep" % s
if p[0].current_element:
	sleepers.setdefault((p[0].file, p[0].current_element), (s, p[0].line))

@allocs@
identifier a = {kmalloc, kzalloc, kcalloc, kmalloc_array, krealloc,
		kmemdup, kstrdup, kstrndup, kasprintf, kvasprintf,
		kmem_cache_alloc, kmem_cache_zalloc, alloc_pages, alloc_page,
		__get_free_pages, __get_free_page, get_zeroed_page,
		kvmalloc, kvzalloc, kvcalloc, kvmalloc_array, devm_kzalloc,
		devm_kmalloc, devm_kcalloc, kmalloc_node, kzalloc_node};
expression list args;
position p;
@@

a@p(args)

@script:python@
a << allocs.a;
args << allocs.args;
p << allocs.p;
@@

if a.startswith("kv") or gfp_sleeps(args):
	sleep_at[at(p[0])] = "%s(%s) may sleep" % (a, re.sub(r"\s+,", ",", str(args)))
	if p[0].current_element:
		sleepers.setdefault((p[0].file, p[0].current_element), (a, p[0].line))

// ---- atomic regions: from a lock to its release ---------------------

@region exists@
identifier lock = {spin_lock, spin_lock_irq, spin_lock_irqsave, spin_lock_bh,
		   spin_lock_nested, raw_spin_lock, raw_spin_lock_irq,
		   raw_spin_lock_irqsave, raw_spin_lock_bh, read_lock,
		   read_lock_irq, read_lock_irqsave, read_lock_bh, write_lock,
		   write_lock_irq, write_lock_irqsave, write_lock_bh,
		   local_irq_disable, local_irq_save, preempt_disable,
		   rcu_read_lock, rcu_read_lock_bh};
identifier unlock = {spin_unlock, spin_unlock_irq, spin_unlock_irqrestore,
		     spin_unlock_bh, raw_spin_unlock, raw_spin_unlock_irq,
		     raw_spin_unlock_irqrestore, raw_spin_unlock_bh,
		     read_unlock, read_unlock_irq, read_unlock_irqrestore,
		     read_unlock_bh, write_unlock, write_unlock_irq,
		     write_unlock_irqrestore, write_unlock_bh,
		     local_irq_enable, local_irq_restore, preempt_enable,
		     preempt_enable_no_resched, rcu_read_unlock,
		     rcu_read_unlock_bh};
identifier f;
position p1, p2;
@@

lock@p1(...)
... when != unlock(...)
f@p2(...)

@script:python depends on report@
lock << region.lock;
f << region.f;
p1 << region.p1;
p2 << region.p2;
@@

what = why(f, p2[0])
if what:
	coccilib.report.print_report(p2[0],
		"sleep_in_atomic: %s, inside the atomic section %s() opens on line %s" % (what, lock, p1[0].line))

// ---- atomic functions: hrtimer, hard IRQ, timer, tasklet, .sample ----

@hrtimer_cb@
identifier h;
@@

enum hrtimer_restart h(...) { ... }

@irq_cb@
identifier h;
expression e1, e2;
@@

(
request_irq(e1, h, ...)
|
request_threaded_irq(e1, h, ...)
|
request_any_context_irq(e1, h, ...)
|
devm_request_irq(e1, e2, h, ...)
|
devm_request_threaded_irq(e1, e2, h, ...)
)

@timer_cb@
identifier h;
expression e1;
@@

(
timer_setup(e1, h, ...)
|
tasklet_setup(e1, h)
|
tasklet_init(e1, h, ...)
)

@sample_init@
identifier ops, h;
@@

struct kth_ops ops = { ..., .sample = h, ... };

@sample_assign@
struct kth_ops *pops;
struct kth_ops sops;
identifier h;
@@

(
pops->sample = h
|
sops.sample = h
)

@in_handler exists@
identifier h = {hrtimer_cb.h, irq_cb.h, timer_cb.h, sample_init.h,
		sample_assign.h};
identifier f;
position p;
@@

h(...)
{
<+...
f@p(...)
...+>
}

@script:python depends on report@
h << in_handler.h;
f << in_handler.f;
p << in_handler.p;
@@

what = why(f, p[0])
if what:
	coccilib.report.print_report(p[0],
		"sleep_in_atomic: %s, in %s(), which runs in atomic context (IRQ, hrtimer, timer, tasklet or kth_ops .sample): post an event with kth_post() and do it in the handle hook" % (what, h))
