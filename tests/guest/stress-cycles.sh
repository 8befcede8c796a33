#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress-cycles - 1000 insmod/rmmod cycles of kth_selftest while events are
# posted all along: a writer hammers the trigger from user space across
# the cycles, each cycle posts a burst more, the handler is slow enough
# that rmmod finds events queued and a handler running.  Bounded by the
# scenario's limit (a stuck rmmod is also a hung-task report).  On a
# kernel with kmemleak a scan runs every 250 cycles.  rcu_expedited=1:
# module unload waits for RCU grace periods, which expedited take
# microseconds instead of jiffies, so twice as many cycles fit in a
# second.
# kth.stress=PERCENT on the kernel command line (tests/run --append)
# scales the counts; 100, the full counts, without it.
#
# kth-vm: --timeout 900
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
N=$(stress_count 1000)
kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
echo 1 >/sys/kernel/rcu_expedited

# the writer: posts whenever the trigger exists, until /tmp/stop-writer
( while [ ! -e /tmp/stop-writer ]; do
	echo "flow 20" >$D/trigger 2>/dev/null || usleep 1000
done ) &
writer=$!

n=0
load_fails=0
unload_fails=0
t0=$(uptime_s)
while [ $n -lt $N ]; do
	# 1 ms per event: rmmod meets a handler in progress and a queue
	if kth_insmod $T run_tests=0 queue_len=16 delay_ms=$((n % 2)); then
		echo "burst 40" >$D/trigger 2>/dev/null
		busybox rmmod $T || unload_fails=$((unload_fails + 1))
	else
		load_fails=$((load_fails + 1))
	fi
	n=$((n + 1))
	[ $((n % 250)) -ne 0 ] && [ $n -ne $N ] || {
		echo "# $n cycles, $(uptime_s) s uptime"
		kmemleak_scan
	}
done
t1=$(uptime_s)
touch /tmp/stop-writer
wait $writer
ms=$(awk -v a="$t0" -v b="$t1" -v n=$N 'BEGIN { printf "%d ms in all, %.1f ms per cycle", (b - a) * 1000, (b - a) * 1000 / n }')
echo "# $N insmod/rmmod cycles with events posted: $ms; $load_fails load and $unload_fails unload failures"
check_eq cycles-loads-all-succeeded 0 "$load_fails"
check_eq cycles-unloads-all-succeeded 0 "$unload_fails"
check cycles-no-thread-left sh -c "[ ! -d $D ] && ! ps | grep -q '\[$T\]'"
check cycles-module-gone sh -c "! grep -q '^$T ' /proc/modules"

# and it still works: load, post, handle, counters exact
kth_insmod $T run_tests=0
echo "after 10" >$D/trigger
check works-after-cycles wait_for 10 attr_is $T handled 10
check_eq counters-after-cycles "10 10 0 0" "$(sysfs_get $T posted) $(sysfs_get $T handled) $(sysfs_get $T dropped) $(sysfs_get $T depth)"
check rmmod-selftest kth_rmmod $T
check rmmod-kthelper kth_rmmod kthelper
