#!/bin/sh
# The in-kernel tests of kth_selftest: its KTAP becomes our results.
. /scenarios/lib.sh

check load-kthelper kth_insmod kthelper
dmesg_mark
if ! kth_insmod kth_selftest run_tests=1; then
	not_ok load-kth_selftest "insmod failed"
	exit 1
fi
log=$(dmesg_since_mark | sed -n 's/^.*kth_selftest: //p')
echo "$log" | grep '^#' | sed 's/^/    /'
plan=$(echo "$log" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')
results=$(echo "$log" | grep -cE '^(not )?ok [0-9]+ ')
check_eq selftest-plan-complete "$plan" "$results"
echo "$log" | grep -E '^(not )?ok [0-9]+ ' | while read -r first second third rest; do
	if [ "$first" = ok ]; then
		ok "selftest-$third"
	else
		not_ok "selftest-$(echo "$rest" | cut -d' ' -f1)" "in-kernel test failed (see diagnostics above)"
	fi
done
check unload-kth_selftest kth_rmmod kth_selftest
check unload-kthelper kth_rmmod kthelper
