#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fault - allocation failures and thread-creation failures at every step
# of loading each module: kthelper, kth_selftest, kth_usbwatch,
# kth_netbufwatch, kth_template (kth_create(), kth_start(), the drivers'
# own init).  Needs CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB (the debug
# kernel of `make check-debug`); skipped elsewhere.
#
# The systematic sweep of fault-injection.rst ("fail-nth"), with kth-failnth:
# for N = 1, 2, 3... the N-th slab allocation (GFP_KERNEL ones included)
# of the insmod task fails, until a load passes fewer than N allocations.
# The count begins where the module's own code is about to run (its
# parameters, sysfs directory and init): kth_failarm (tests/fault/) arms
# fail-nth there.  The kernel's loader before that point is not swept:
# its notifiers WARN by design when they cannot allocate (jump labels,
# trace events), which would test the kernel, not kthelper.
# Every injected load must either fail with an error or load a working
# module (the failure was absorbed, kvmalloc() falling back to vmalloc()
# say); a failed load leaves no module, no sysfs directory, no thread.
# The last, uninjected load works.  The same sweep over kthreadd (PID 2,
# which creates every kernel thread: copy_process()) makes kth_start()'s
# kthread_create() fail at each of its allocations.  Leaks are kmemleak's
# part (a scan at the end of the boot); oopses, lockdep, KASAN the
# clean-log check's.
#
# A failed allocation the kernel reports (warn_alloc(): "vmalloc error",
# "page allocation failure", with a stack dump), such as kthreadd's
# thread stack, is the report of the injected fault: tests/run's
# clean-log check accepts the stack dump of such a report only when a
# "FAULT_INJECTION: forcing a failure" line directly precedes it.
#
# Only the kernel's ordinary slab caches fail (failslab's cache-filter:
# slub_debug=A marks every cache but kmemleak's and debug objects'): those
# two fall back to reserves of their own, so failing them would test the
# debug kernel, not kthelper, at the cost of a load each.
#
# The kernel log is 16 MiB: an hour of injected faults on the debug kernel
# overflowed the default, and the full dmesg at the end (what clean-log
# reads) had lost its first 20 minutes.
#
# kth-vm: --usb --timeout 1200 --extra-append log_buf_len=16M
# kth-vm: --extra-append slub_debug=A;-,kmemleak_object,kmemleak_scan_area,debug_objects_cache
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

FS=/sys/kernel/debug/failslab
if [ ! -e /proc/thread-self/fail-nth ] || [ ! -d $FS ]; then
	skip fault-injection "this kernel has no fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB); make check-debug runs this"
	exit 0
fi
# GFP_KERNEL allocations too; one line per injected fault, no stack dump
# (the clean-log check would take it for a bug); probability 0: only
# fail-nth injects.
echo N >$FS/ignore-gfp-wait
echo 1 >$FS/verbose
echo 0 >$FS/probability
echo Y >$FS/cache-filter
echo "# failslab on $(grep -lx 1 /sys/kernel/slab/*/failslab | wc -l) of $(ls /sys/kernel/slab | wc -l) slab caches; not on: $(grep -Lx 1 /sys/kernel/slab/*/failslab | cut -d/ -f5 | tr '\n' ' ')"
MAX=3000
kth_insmod kth_failarm || { not_ok load-kth_failarm "insmod failed"; exit 1; }

loaded() { grep -q "^$1 " /proc/modules; }
thread_of() { # MODULE: its thread's name
	case $1 in
	kthelper) echo "" ;;
	*) echo "$1" ;;
	esac
}
# Does MODULE work?  Its thread runs and handles a post (kth_selftest,
# kth_template: the trigger file); or, for kthelper, the kset exists.
works() { # MODULE
	t=$(thread_of "$1")
	if [ -z "$t" ]; then
		[ -d $KTH_SYSFS ]
		return
	fi
	[ "$(sysfs_get "$t" state)" = running ] || return 1
	[ -w "$KTH_SYSFS/$t/trigger" ] || return 0
	h=$(sysfs_get "$t" handled)
	echo "fault 1" >"$KTH_SYSFS/$t/trigger" &&
		wait_for 10 handled_over "$t" "$h"
}
handled_over() { [ "$(sysfs_get "$1" handled)" -gt "$2" ]; }
# Nothing of MODULE is left: not loaded, no sysfs directory, no thread.
gone() { # MODULE
	t=$(thread_of "$1")
	! loaded "$1" || return 1
	[ -z "$t" ] && { [ ! -d $KTH_SYSFS ]; return; }
	[ ! -d "$KTH_SYSFS/$t" ] && ! ps | grep -q "\[$t\]"
}

# sweep NAME [--task PID] MODULE PARAMS...
sweep() {
	name=$1
	shift
	task=
	if [ "$1" = --task ]; then
		task="--task $2"
		shift 2
	fi
	mod=$1
	shift
	n=0
	refused=0
	absorbed=0
	bad=0
	errnos=
	t0=$(cut -d' ' -f1 /proc/uptime)
	while [ $n -lt $MAX ]; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		out=$(kth-failnth $task $n "$KTH_MODDIR/$mod.ko" "$@")
		rc=$?
		case $out in
		*injected=1*) ;;
		*) break ;;	# fewer than n points: the sweep is complete
		esac
		if [ $rc -eq 0 ]; then
			absorbed=$((absorbed + 1))
			if ! works "$mod"; then
				bad=$((bad + 1))
				echo "# $name: fault $n: loaded but does not work"
			fi
			KTH_KMEMLEAK_SCAN=0 timeout 20 rmmod "$mod" || {
				bad=$((bad + 1))
				echo "# $name: fault $n: rmmod failed"
			}
		else
			refused=$((refused + 1))
			e=${out#rc=}
			e=${e%% *}
			case " $errnos " in *" $e "*) ;; *) errnos="$errnos $e" ;; esac
		fi
		if ! gone "$mod"; then
			bad=$((bad + 1))
			echo "# $name: fault $n ($out): something left behind"
			KTH_KMEMLEAK_SCAN=0 rmmod "$mod" 2>/dev/null
		fi
	done
	secs=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
	echo "# $name: $((n - 1)) faults injected in $secs s: $refused loads failed cleanly ($errnos ), $absorbed absorbed; the load with no fault: $out"
	check_eq "$name-every-fault-clean" 0 "$bad"
	check "$name-swept-them-all" [ $n -lt $MAX ]
	check "$name-faults-hit-the-load" [ $refused -gt 0 ]
	if [ $rc -eq 0 ] && works "$mod"; then
		ok "$name-loads-afterwards"
	else
		not_ok "$name-loads-afterwards" "$out"
	fi
	KTH_KMEMLEAK_SCAN=0 rmmod "$mod" 2>/dev/null
	check "$name-unloads-afterwards" gone "$mod"
}

dmesg_mark
# the framework alone
sweep kthelper-alloc kthelper
kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
# the drivers, with the framework loaded; every step of kth_create() and
# kth_start() (and the sampler, the tracepoint, the USB notifier...)
sweep selftest-alloc kth_selftest run_tests=0
sweep usbwatch-alloc kth_usbwatch
sweep netbufwatch-alloc kth_netbufwatch fast=1
sweep template-alloc kth_template period_ms=100
# thread creation: every allocation of kthreadd's copy_process()
sweep selftest-thread --task 2 kth_selftest run_tests=0
sweep usbwatch-thread --task 2 kth_usbwatch
sweep netbufwatch-thread --task 2 kth_netbufwatch
sweep template-thread --task 2 kth_template period_ms=100
injected=$(dmesg_since_mark | grep -c 'FAULT_INJECTION: forcing a failure')
echo "# $injected faults reported by the kernel"
check faults-reported [ "$injected" -gt 0 ]
check start-failures-logged sh -c "dmesg | grep -q 'start failed: -12'"
check rmmod-kthelper kth_rmmod kthelper
check rmmod-kth_failarm kth_rmmod kth_failarm
