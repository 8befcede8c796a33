#!/bin/sh
# The uevent sink: KOBJ_CHANGE on /sys/kernel/kthelper/<thread>, as a
# netlink listener (what udevd reads) receives it.
. /scenarios/lib.sh

T=kth_selftest
P=/sys/module/kth_selftest/parameters
D=$KTH_SYSFS/$T
kth_insmod kthelper && kth_insmod kth_selftest run_tests=0 uevent=1 ||
	{ not_ok load "insmod failed"; exit 1; }

kth-uevent-listen kthelper 2 20 >/tmp/uevents 2>/tmp/listen.err &
lpid=$!
wait_for 10 grep -q ready /tmp/listen.err
echo 'add 1 a$b' >$D/trigger
echo 'remove 1' >$D/trigger
wait $lpid
check_eq listener-got-two 0 $?
first=$(sed -n '1,/^--$/p' /tmp/uevents)
has() { echo "$first" | grep -qxF "$1"; }
check uevent-ACTION-change has "ACTION=change"
check_eq uevent-one-ACTION 1 "$(echo "$first" | grep -c '^ACTION=')"
check uevent-SUBSYSTEM has "SUBSYSTEM=kthelper"
check uevent-DEVPATH has "DEVPATH=/kernel/kthelper/$T"
check uevent-KTH_EVENT has "KTH_EVENT=add"
check uevent-KTH_THREAD has "KTH_THREAD=$T"
check uevent-KTH_SEQ has "KTH_SEQ=1"
check uevent-note-sanitised has "SELFTEST_NOTE=a_b"
check uevent-second-is-remove sh -c "sed -n '/^--$/,\$p' /tmp/uevents | grep -qxF KTH_EVENT=remove"
check rmmod kth_rmmod kth_selftest
check rmmod-kthelper kth_rmmod kthelper
