#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# suspend - suspend with events in flight.  kth_selftest handles a slow
# stream of events (5 ms each, each logged), kth_netbufwatch samples every
# 100 ms, kth_usbwatch is paused by SIGSTOP with events queued; then the
# guest goes through every suspend test point it supports
# (/sys/power/pm_test: freezer, devices, platform for s2idle; and
# processors, core for mem when the guest has S3).  Each time:
# the suspend succeeds, the freezer froze every task, kth_selftest handled
# events before the freeze and after the thaw and none in the frozen window
# (100 ms or more, found in the kernel log by the freezer's own lines on
# every kernel; no window found is a failure), then all of them: nothing
# dropped, posted == handled + dropped + depth, the same thread (pid) as
# before; the paused thread is still paused with its queue intact and runs
# it on SIGCONT.
#
# Not a real suspend: QEMU's RTC alarm wakes neither s2idle nor S3 here,
# and after an S3 woken by QMP's system_wakeup the guest no longer powers
# off (6.1 generic: "reboot: Power down" and QEMU runs on) or its serial
# console stalls (6.1 -rt); "core" is the last test point before the
# firmware's sleep, and it runs every suspend and resume callback.
#
# The freezer's static key is held on throughout (freezer_key_hold in
# lib-tcg-hold.sh): QEMU 7.2's threaded TCG could otherwise leave the thread
# looping on a stale int3 at its freezing() site.
#
# kth-vm: --usb --timeout 300 --extra-append log_buf_len=4M
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh
# shellcheck source=tests/guest/lib-tcg-hold.sh
. /scenarios/lib-tcg-hold.sh

T=kth_selftest
D=$KTH_SYSFS/$T
U=kth_usbwatch
EVENTS=300

if [ ! -w /sys/power/pm_test ]; then
	skip suspend "this kernel has no /sys/power/pm_test (CONFIG_PM_DEBUG)"
	exit 0
fi
states=$(cat /sys/power/state)
echo "# /sys/power/state: $states; mem_sleep: $(cat /sys/power/mem_sleep 2>/dev/null)"
echo 1 >/sys/module/suspend/parameters/pm_test_delay

freezer_key_hold hold-freezer-key

kth_insmod kthelper && kth_insmod $T run_tests=0 delay_ms=5 queue_len=4096 &&
	kth_insmod kth_netbufwatch period_ms=100 && kth_insmod $U ||
	{ not_ok load "insmod failed"; exit 1; }
upid=$(thread_pid $U)
kill -STOP "$upid"
wait_for 5 attr_is $U state paused
udepth=$(sysfs_get $U depth)
pid=$(thread_pid $T)
nbpid=$(thread_pid kth_netbufwatch)

since_has() { dmesg_since_mark | grep -q "$1"; }
balanced() {
	[ "$(sysfs_get $1 posted)" -eq $(($(sysfs_get $1 handled) + $(sysfs_get $1 dropped) + $(sysfs_get $1 depth))) ]
}
# The kernel log since the mark, split at the freezer's two lines: when the
# freezable kernel threads are frozen, and when tasks restart.  Prints
# "B F A FROZE THAWED MS": the kth_selftest events handled before the
# freeze, while frozen, after the thaw; 1 if the freeze line was found, 1 if
# the restart line followed it; the frozen window in ms (-1 if unknown).
# The freeze line: from 6.1, "Freezing remaining freezable tasks completed
# (elapsed N seconds)"; 5.10 prints "Freezing remaining freezable tasks
# ... " and, when they are frozen, "(elapsed N seconds) done." on the same
# line, or on a line of its own if other lines came in between.  The
# restart: "Restarting tasks ... done.", later "Restarting tasks: Starting".
freeze_split() {
	dmesg_since_mark | awk -v t="$T: event" '
		function stamp() {
			if (!match($0, /^\[ *[0-9]+\.[0-9]+\]/))
				return -1
			return substr($0, 2, RLENGTH - 2) + 0
		}
		phase == 0 && /Freezing remaining freezable tasks/ { freezing = 1 }
		phase == 0 && freezing && /\(elapsed [0-9.]+ seconds\)/ {
			phase = 1
			t1 = stamp()
		}
		phase == 1 && /Restarting tasks/ {
			phase = 2
			t2 = stamp()
		}
		index($0, t) { n[phase + 0]++ }
		END {
			ms = (phase == 2 && t1 >= 0 && t2 >= 0) ? (t2 - t1) * 1000 : -1
			printf "%d %d %d %d %d %d\n", n[0], n[1], n[2],
				(phase >= 1), (phase == 2), ms
		}'
}

cycle() { # NAME COMMAND...
	name=$1
	shift
	h0=$(sysfs_get $T handled)
	target=$(($(sysfs_get $T posted) + EVENTS))
	echo "sus $EVENTS" >$D/trigger
	# the thread is busy with them now
	wait_for 5 sh -c "[ \$(cat $D/handled) -gt $h0 ]"
	dmesg_mark
	t0=$(cut -d' ' -f1 /proc/uptime)
	"$@"
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	check_eq "$name-succeeds" 0 "$rc"
	if since_has 'Freezing of tasks failed'; then
		not_ok "$name-no-freeze-failure" "the freezer gave up: the kernel's lines on it follow"
		# what the kernel said of the tasks that did not freeze
		dmesg_since_mark | sed -n '/Freezing of tasks failed/,/Restarting tasks/p' |
			head -n 80 | sed 's/^/# /'
	else
		ok "$name-no-freeze-failure"
	fi

	check "$name-all-handled" wait_for 60 attr_is $T handled "$target"
	set -- $(freeze_split)
	echo "# $name: $t0 .. $t1 s uptime; events handled before the freeze $1, while frozen $2 (for $6 ms), after the thaw $3"
	if [ "$4" = 1 ]; then
		ok "$name-froze-tasks"
	else
		not_ok "$name-froze-tasks" "the kernel log has no 'Freezing remaining freezable tasks' line followed by '(elapsed N seconds)'"
	fi
	# Frozen for 100 ms or more (pm_test_delay is 1 s; under TCG the
	# windows measure 1.9-2.8 s, the core test point's 0.6 s), with
	# events queued all along (some handled after the thaw), and none
	# handled: at 5 ms an event, a thread that ran would have handled
	# 20 or more.
	if [ "$5" != 1 ]; then
		not_ok "$name-frozen-window" "no 'Restarting tasks' line after the freeze in the kernel log"
	else
		check "$name-frozen-window" [ "$6" -ge 100 ]
	fi
	check "$name-events-in-flight" [ "$1" -gt 0 -a "$3" -gt 0 ]
	if [ "$5" = 1 ]; then
		check_eq "$name-thread-frozen" 0 "$2"
	else
		not_ok "$name-thread-frozen" "no frozen window to count events in"
	fi
	check_eq "$name-nothing-dropped" 0 "$(sysfs_get $T dropped)"
	check "$name-balanced" balanced $T
	check_eq "$name-same-thread" "$pid" "$(thread_pid $T)"
	check_eq "$name-sampler-thread-same" "$nbpid" "$(thread_pid kth_netbufwatch)"
	check_eq "$name-paused-stays-paused" "paused $udepth" "$(sysfs_get $U state) $(sysfs_get $U depth)"
}

for level in freezer devices platform; do
	cycle "freeze-$level" pm_cycle $level freeze
done
case " $states " in
*" mem "*)
	for level in freezer devices platform processors core; do
		cycle "mem-$level" pm_cycle $level mem
	done
	;;
*) skip mem-test-points "no S3 in this guest (/sys/power/state: $states)" ;;
esac

kill -CONT "$upid"
check paused-thread-runs-its-queue wait_for 10 attr_is $U depth 0
check usbwatch-balanced balanced $U
check rmmod-usbwatch kth_rmmod $U
check rmmod-netbufwatch kth_rmmod kth_netbufwatch
check rmmod-selftest kth_rmmod $T
check rmmod-kthelper kth_rmmod kthelper
freezer_key_release release-freezer-key
