#!/bin/sh
# The in-kernel tests of kth_selftest: its KTAP becomes our results.
. /scenarios/lib.sh

check load-kthelper kth_insmod kthelper
dmesg_mark
if ! kth_insmod kth_selftest run_tests=1; then
	not_ok load-kth_selftest "insmod failed"
	exit 1
fi
ktap_results kth_selftest selftest
check unload-kth_selftest kth_rmmod kth_selftest
check unload-kthelper kth_rmmod kthelper
