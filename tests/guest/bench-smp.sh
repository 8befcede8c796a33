#!/bin/sh
# bench-smp: kth_bench (bench.sh) with two vCPUs under plain TCG: its
# figures are wall time, so host-dependent (Documentation/testing.rst,
# "Benchmarks"), and it runs what one vCPU cannot: the runs with a
# producer on each CPU, the post-side scaling against percpu-ring's, and
# its targets on wall time.
# kth-vm: --timeout 300 --accel tcg
. /scenarios/bench.sh
