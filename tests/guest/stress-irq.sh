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

scale=$(sed -n 's/.*kth\.stress=\([0-9]*\).*/\1/p' /proc/cmdline)
# stress TESTS POSTS: load kth_stress with them, its KTAP as our results
stress() {
	dmesg_mark
	t0=$(cut -d' ' -f1 /proc/uptime)
	if ! kth_insmod kth_stress run="$1" posts="$2" handler_us=20 time_limit_s=800; then
		not_ok "load-kth_stress-$1" "insmod failed"
		return
	fi
	echo "# kth_stress run=$1 posts=$2: $t0 .. $(cut -d' ' -f1 /proc/uptime) s uptime"
	log=$(dmesg_since_mark | sed -n 's/^.*kth_stress: //p')
	echo "$log" | grep '^# ' | sed 's/^# /# kth_stress: /'
	plan=$(echo "$log" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')
	results=$(echo "$log" | grep -cE '^(not )?ok [0-9]+ ')
	check_eq "plan-complete-$1" "$plan" "$results"
	echo "$log" | grep -E '^(not )?ok [0-9]+ ' | while read -r first second third rest; do
		if [ "$first" = ok ]; then
			ok "$third"
		else
			not_ok "$(echo "$rest" | cut -d' ' -f1)" "in-kernel test failed (see the # lines above)"
		fi
	done
	check "no-thread-left-$1" [ ! -d $KTH_SYSFS/kth_stress ]
	check "unload-kth_stress-$1" kth_rmmod kth_stress
}

check load-kthelper kth_insmod kthelper
stress hardirq_flood_drop_newest,sanitize_bounds 10000000
stress hardirq_flood_drop_oldest $((10000000 * ${scale:-100} / 100))
check unload-kthelper kth_rmmod kthelper
