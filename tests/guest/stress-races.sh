#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress-races - signals against module unload: 1000 times `kill -KILL`
# of the thread racing `rmmod`, 1000 times `kill -STOP` racing `rmmod`,
# with events queued and a handler running; then 200 times SIGKILL for
# `insmod` itself while kth_start() creates the thread (kthread_create()
# returns -EINTR to a killed caller).  The signal and the unload are
# started together, one of them after a varying delay of 0-3 ms, so the
# signal lands before, during and after kth_stop().  Every rmmod must
# return (a stuck one is a hung-task report and the scenario's time
# limit), and afterwards the module is gone and loads again.
# rcu_expedited=1: module unload's RCU grace periods take microseconds
# instead of jiffies, twice as many races a second.
# kth.stress=PERCENT on the kernel command line (tests/run --append)
# scales the counts; 100, the full counts, without it.
#
# kth-vm: --timeout 900
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
N=$(stress_count 1000)
NK=$(stress_count 200)
kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
echo 1 >/sys/kernel/rcu_expedited

# race SIG: N rounds of `kill -SIG <thread>` against `rmmod`
race() {
	sig=$1
	n=0
	load_fails=0
	unload_fails=0
	stuck=0
	t0=$(uptime_s)
	while [ $n -lt $N ]; do
		if ! kth_insmod $T run_tests=0 queue_len=8 delay_ms=$((n % 3)); then
			load_fails=$((load_fails + 1))
			n=$((n + 1))
			continue
		fi
		pid=$(thread_pid $T)
		echo "race 20" >$D/trigger
		d=$((RANDOM % 3000))
		if [ $((n % 2)) -eq 0 ]; then
			( usleep $d; kill -"$sig" "$pid" 2>/dev/null ) &
			busybox rmmod $T || unload_fails=$((unload_fails + 1))
		else
			kill -"$sig" "$pid" 2>/dev/null &
			usleep $d
			busybox rmmod $T || unload_fails=$((unload_fails + 1))
		fi
		wait
		# the thread is gone with its module
		[ ! -d /proc/"$pid" ] || [ "$(cat /proc/"$pid"/comm 2>/dev/null)" != $T ] ||
			stuck=$((stuck + 1))
		n=$((n + 1))
		[ $((n % 250)) -ne 0 ] || kmemleak_scan
	done
	t1=$(uptime_s)
	echo "# $N races of kill -$sig against rmmod: $(awk -v a="$t0" -v b="$t1" -v n=$N 'BEGIN { printf "%.1f s, %.1f ms per race", b - a, (b - a) * 1000 / n }'); $load_fails load, $unload_fails unload failures, $stuck threads left"
	check_eq "kill-$sig-vs-rmmod-loads" 0 "$load_fails"
	check_eq "kill-$sig-vs-rmmod-unloads" 0 "$unload_fails"
	check_eq "kill-$sig-vs-rmmod-no-thread-left" 0 "$stuck"
	check "kill-$sig-vs-rmmod-module-gone" sh -c "! grep -q '^$T ' /proc/modules && [ ! -d $D ]"
}
race KILL
race STOP

# SIGKILL for insmod while kth_start() waits for the new thread: either
# the load completes, or it fails cleanly and leaves nothing behind.
n=0
loaded=0
refused=0
unclean=0
t0=$(uptime_s)
while [ $n -lt $NK ]; do
	insmod $KTH_MODDIR/$T.ko run_tests=0 2>/dev/null &
	ins=$!
	usleep $((RANDOM % 4000))
	kill -KILL $ins 2>/dev/null
	wait $ins 2>/dev/null
	if grep -q "^$T " /proc/modules; then
		loaded=$((loaded + 1))
		busybox rmmod $T || unclean=$((unclean + 1))
	else
		refused=$((refused + 1))
		[ ! -d $D ] || unclean=$((unclean + 1))
	fi
	n=$((n + 1))
done
echo "# $NK insmods killed after 0-4 ms: $loaded loaded, $refused refused, $unclean left something behind, $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f s", b - a }')"
check_eq killed-insmod-clean 0 "$unclean"
check killed-insmod-no-thread-left sh -c "! ps | grep -q '\[$T\]'"
dmesg | grep -E "kth_selftest: start failed: -4$|$T: start failed: -4" | head -n 1 | sed 's/^/# seen: /'

# and the module still works
kth_insmod $T run_tests=0
echo "after 10" >$D/trigger
check works-after-races wait_for 10 attr_is $T handled 10
check rmmod-selftest kth_rmmod $T
check rmmod-kthelper kth_rmmod kthelper
