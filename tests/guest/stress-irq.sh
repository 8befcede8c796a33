#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress-irq - kth_stress.ko: 10 million posts from hard-IRQ context on
# every CPU into a slow handler (drop-newest), as many again into a
# drop-oldest queue, and the sanitiser at its bounds.  Its KTAP (and its
# figures, the "#" lines) become our results.  kth.stress=PERCENT on the
# kernel command line (tests/run --append) scales the drop-oldest flood;
# the drop-newest one always posts 10 million.
#
# kth-vm: --timeout 900
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

# stress NAME TESTS POSTS: load kth_stress to run TESTS, its KTAP as our
# results named NAME-test
stress() {
	dmesg_mark
	t0=$(uptime_s)
	if ! kth_insmod kth_stress run="$2" posts="$3" handler_us=20 time_limit_s=800; then
		not_ok "$1-load-kth_stress" "insmod failed"
		return
	fi
	echo "# kth_stress run=$2 posts=$3: $t0 .. $(uptime_s) s uptime"
	ktap_results kth_stress "$1"
	check "$1-no-thread-left" [ ! -d $KTH_SYSFS/kth_stress ]
	check "$1-unload-kth_stress" kth_rmmod kth_stress
}

check load-kthelper kth_insmod kthelper
stress newest hardirq_flood_drop_newest,sanitize_bounds 10000000
stress oldest hardirq_flood_drop_oldest "$(stress_count 10000000)"
check unload-kthelper kth_rmmod kthelper
