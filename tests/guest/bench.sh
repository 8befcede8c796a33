#!/bin/sh
# kth_bench: kth_post() side by side with kthread_worker, a hand-written
# kfifo + wait queue + kthread, and a workqueue with a kmalloc() per event;
# hard-IRQ -> handler latency against kthread_worker and system_highpri_wq.
# The checks are that every event arrived; the speeds are printed (figures,
# not pass/fail: see Documentation/testing.rst, "Benchmarks").
# kth-vm: --timeout 300
. /scenarios/lib.sh

kth_insmod kthelper || { not_ok load "insmod kthelper failed"; exit 1; }
dmesg_mark
if ! kth_insmod kth_bench ${KTH_BENCH_ARGS:-}; then
	not_ok load-kth_bench "insmod failed"
	exit 1
fi
log=$(dmesg_since_mark | sed -n 's/^.*kth_bench: //p')
echo "$log" | grep '^#' | sed 's/^/    /'
echo "$log" | grep -E '^(not )?ok [0-9]+ ' | while read -r first second third rest; do
	if [ "$first" = ok ]; then
		ok "$third"
	else
		not_ok "$(echo "$rest" | cut -d' ' -f1)" "see the log"
	fi
done
check_eq all-runs-reported 7 "$(echo "$log" | grep -cE '^(not )?ok [0-9]+ ')"
# the idle thread's wakeups are measured by kth_selftest (idle_no_wakeups)
check unload-kth_bench kth_rmmod kth_bench
check unload-kthelper kth_rmmod kthelper
