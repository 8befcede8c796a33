#!/bin/sh
# kth_bench: kth_post() side by side with kthread_worker (preallocated
# items, and a kmalloc() per event), a hand-written kfifo + wait queue +
# kthread, and a workqueue with a kmalloc() per event: throughput with one
# producer and with one on each CPU, payloads of 16, 64 and 256 bytes; the
# post side alone with the consumer held off; producers in hard IRQ;
# hard-IRQ -> handler latency, kthelper with &kth_config.cpus naming the
# timer's CPU and on any CPU, against kthread_worker and system_highpri_wq;
# an idle thread's context switches.  Then kth_post()'s cost alone
# (post_only=1) with tracing off, with the kthelper:kth_post event on, and
# off again.  Last, the targets, one "# target NAME RATIOx (goal GOALx)"
# line each (a script greps them).
# The checks are that every event arrived; the speeds are printed (figures,
# not pass/fail: see Documentation/testing.rst, "Benchmarks").
# It boots under instruction counting (one vCPU; its clocks count guest
# instructions, so every figure is a count, the same from boot to boot):
# kth_bench icount=1 skips the two-CPU runs, checks the instrument with a
# loop of known length, and prints the targets on instruction counts.
# bench-smp boots it with two vCPUs for the wall-time figures.
# kth-vm: --timeout 300 --accel icount
. /scenarios/lib.sh

TR=/sys/kernel/tracing
unit=ns
bench_args=
if [ "$KTH_ACCEL" = icount ]; then
	unit=insns
	bench_args="icount=1 rounds=15"
fi
echo "# accel $KTH_ACCEL, $(grep -c '^processor' /proc/cpuinfo) CPU(s): $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

kth_insmod kthelper || { not_ok load "insmod kthelper failed"; exit 1; }
dmesg_mark
if ! kth_insmod kth_bench $bench_args ${KTH_BENCH_ARGS:-}; then
	not_ok load-kth_bench "insmod failed"
	exit 1
fi
# the target and figure lines wait for the end
ktap_results kth_bench bench | grep -vE '^# kth_bench: (targets?|figure)[ ,]'
dmesg_since_mark | sed -nE 's/.*kth_bench: # ((targets?|figure)[ ,].*)/# \1/p' >/tmp/targets
check unload-kth_bench kth_rmmod kth_bench

# post_cost NAME: kth_bench post_only=1; its median in /tmp/NAME.ns
post_cost() {
	dmesg_mark
	if ! kth_insmod kth_bench post_only=1 n_events=65536 $bench_args; then
		not_ok "load-$1" "insmod kth_bench post_only=1 failed"
		return 1
	fi
	ktap_results kth_bench "$1" | grep -v '^# '
	kth_rmmod kth_bench
	dmesg_since_mark | sed -n 's/.*kth_bench: # post cost: median \([0-9]*\) .*/\1/p' >/tmp/$1.ns
	echo "# $(dmesg_since_mark | sed -n 's/.*kth_bench: # \(post cost: .*\)/\1/p')"
}
post_cost post-off
if [ -d $TR/events/kthelper/kth_post ]; then
	# No comm recording: an event turned on and off with it registers
	# and unregisters a sched_switch probe, which patches __schedule()'s
	# static call while both vCPUs run it.  Under QEMU 7.2's threaded TCG
	# a vCPU then looped in exc_int3 at __schedule+0x1bc, with the other
	# in text_poke_bp() waiting for it (1 boot of bench-smp in 10, with
	# the ring lock and without); see freezer_key_hold in lib-tcg-hold.sh.
	check post-on-no-cmdline-recording sh -c "echo 0 >$TR/options/record-cmd"
	echo 1 >$TR/tracing_on
	echo >$TR/trace
	echo 1 >$TR/events/kthelper/kth_post/enable
	post_cost post-on
	echo 0 >$TR/events/kthelper/kth_post/enable
	written=$(sed -n 's|^# entries-in-buffer/entries-written: [0-9]*/\([0-9]*\).*|\1|p' $TR/trace)
	echo >$TR/trace
	# post_runs (11) runs of 65536 posts, one record each
	check post-on-traced-every-post [ "${written:-0}" -ge $((11 * 65536)) ]
	echo 1 >$TR/options/record-cmd
else
	skip post-on "no kthelper:kth_post event in this kthelper"
fi
post_cost post-off-again
echo "# post $unit, tracing off: $(cat /tmp/post-off.ns) (again after: $(cat /tmp/post-off-again.ns))"
[ ! -s /tmp/post-on.ns ] || echo "# post $unit, kth_post on: $(cat /tmp/post-on.ns)"
check unload-kthelper kth_rmmod kthelper
cat /tmp/targets
