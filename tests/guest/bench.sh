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
ktap_results kth_bench bench
# the idle thread's wakeups are measured by kth_selftest (idle_no_wakeups)
check unload-kth_bench kth_rmmod kth_bench
check unload-kthelper kth_rmmod kthelper
