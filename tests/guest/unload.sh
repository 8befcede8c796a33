#!/bin/sh
# rmmod in every state of the thread, and insmod/rmmod cycles with events
# flowing.
. /scenarios/lib.sh
# shellcheck source=tests/guest/lib-tcg-hold.sh
. /scenarios/lib-tcg-hold.sh

T=kth_selftest
P=/sys/module/kth_selftest/parameters
D=$KTH_SYSFS/$T
kth_insmod kthelper || { not_ok load "insmod kthelper failed"; exit 1; }

load() { kth_insmod kth_selftest run_tests=0 "$@"; }
state_is() { [ "$(sysfs_get $T state)" = "$1" ]; }

load && check rmmod-running timeout 20 rmmod kth_selftest

load && echo pause >$D/control && echo "ev 5" >$D/trigger
check rmmod-paused-by-sysfs timeout 20 rmmod kth_selftest

load && kill -STOP "$(thread_pid $T)" && wait_for 5 state_is paused
echo "ev 5" >$D/trigger
check rmmod-sigstopped timeout 20 rmmod kth_selftest

load && kill -KILL "$(thread_pid $T)" && wait_for 5 state_is stopped
check rmmod-stopped-by-sigkill timeout 20 rmmod kth_selftest

load && kill -TERM "$(thread_pid $T)" && wait_for 5 state_is stopped
check rmmod-stopped-by-sigterm timeout 20 rmmod kth_selftest

load delay_ms=3000 && echo "ev 3" >$D/trigger
wait_for 5 attr_is $T depth 2
check rmmod-mid-handler timeout 20 rmmod kth_selftest

load && echo stop >$D/control
check rmmod-stopped-by-sysfs timeout 20 rmmod kth_selftest

# 100 load/unload cycles with a producer posting all along
n=0
fails=0
t0=$(cut -d' ' -f1 /proc/uptime)
while [ $n -lt 100 ]; do
	load queue_len=16 || fails=$((fails + 1))
	( i=0; while [ $i -lt 20 ] && echo "flow 50" >$D/trigger 2>/dev/null; do i=$((i + 1)); done ) &
	rmmod kth_selftest || fails=$((fails + 1))
	wait
	n=$((n + 1))
done
t1=$(cut -d' ' -f1 /proc/uptime)
echo "# 100 insmod/rmmod cycles with events flowing: $t0 -> $t1 s uptime"
check_eq cycles-100-clean 0 "$fails"
check no-thread-left [ ! -d $D ]

# suspend to the freezer test point with the thread busy: it freezes and
# thaws, and nothing is lost
if [ -w /sys/power/pm_test ] && grep -qw freeze /sys/power/state; then
	# lib-tcg-hold.sh: QEMU's stale int3
	freezer_key_hold freezer-key-held
	load delay_ms=5 queue_len=256
	echo "ev 200" >$D/trigger
	echo freezer >/sys/power/pm_test
	dmesg_mark
	echo freeze >/sys/power/state
	rc=$?
	check_eq freezer-cycle-ok 0 "$rc"
	check freezer-no-failure sh -c "! dmesg | grep -q 'Freezing of tasks failed'"
	check freezer-froze-tasks sh -c "dmesg | grep -q 'Freezing remaining freezable tasks'"
	check freezer-all-handled wait_for 30 attr_is $T handled 200
	check_eq freezer-nothing-dropped 0 "$(sysfs_get $T dropped)"
	echo none >/sys/power/pm_test
	kth_rmmod kth_selftest
	freezer_key_release freezer-key-released
else
	skip freezer-cycle "this kernel has no /sys/power/pm_test (CONFIG_PM_DEBUG)"
fi
check rmmod-kthelper kth_rmmod kthelper
