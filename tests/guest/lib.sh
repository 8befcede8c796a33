# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# lib.sh - helpers for the guest scenarios of the kthelper test VM.
#
# Sourced by every /scenarios/NAME.sh (busybox ash: POSIX sh, no bashisms):
#
#	. /scenarios/lib.sh
#	kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
#	check_eq thread-state running "$(sysfs_get kth_template state)"
#
# Results are KTAP (scripts/lib/ktap.sh, in the guest at /lib/kth/ktap.sh,
# sourced here): ok NAME, not_ok NAME REASON, skip NAME WHY,
# check NAME [-m WHY] CMD [ARGS...], check_eq NAME EXPECTED ACTUAL.
# tests/guest/init frames each scenario's as one KTAP document (version
# line, the results numbered through KTAP_STATE, the plan at the end),
# which tests/run collects.  NAME must be unique within the scenario.

KTH_SYSFS=/sys/kernel/kthelper
KTH_MODDIR=/lib/modules/kth
KTH_MARK_SEQ=0
KTH_MARK=

# shellcheck source=scripts/lib/ktap.sh
. "${KTH_KTAP_LIB:-/lib/kth/ktap.sh}"

# KTH_SLOW: how many times slower than Debian's kernel this one runs,
# kth.slow=N on the kernel command line (tests/run --timeout-scale N puts
# it there: make check-debug's KASAN and lockdep kernel, 5), 1 when
# absent.  wait_for's limits are multiplied by it, and the scenarios
# multiply their helper timeouts and time bounds by it (slow_ms).
KTH_SLOW=$(sed -n 's/.*kth\.slow=\([0-9]*\).*/\1/p' /proc/cmdline)
KTH_SLOW=${KTH_SLOW:-1}

# KTH_ACCEL: how QEMU runs this guest (kth.accel= of tests/harness/kth-vm):
# tcg, icount (one vCPU; its clocks count instructions) or kvm.
KTH_ACCEL=$(sed -n 's/.*kth\.accel=\([a-z]*\).*/\1/p' /proc/cmdline)
KTH_ACCEL=${KTH_ACCEL:-tcg}

# slow_ms MS: MS milliseconds on this kernel (MS times KTH_SLOW).
slow_ms() {
	echo $(($1 * KTH_SLOW))
}

# wait_for TIMEOUT_S CMD [ARGS...]: poll CMD every 50 ms until it exits 0.
# Returns 0 as soon as it does, 1 once TIMEOUT_S (whole seconds, times
# KTH_SLOW) have passed.
wait_for() {
	_kth_deadline=$(($(_kth_uptime_cs) + $1 * 100 * KTH_SLOW))
	shift
	while :; do
		"$@" && return 0
		[ "$(_kth_uptime_cs)" -lt "$_kth_deadline" ] || return 1
		sleep 0.05
	done
}

# Centiseconds since boot (monotonic).
_kth_uptime_cs() {
	read -r _kth_up _kth_rest </proc/uptime
	_kth_up="${_kth_up%.*}${_kth_up#*.}"
	while [ "${_kth_up#0}" != "$_kth_up" ] && [ "${#_kth_up}" -gt 1 ]; do
		_kth_up=${_kth_up#0}
	done
	echo "$_kth_up"
}

# kth_insmod NAME [PARAM=VALUE...]: load /lib/modules/kth/NAME.ko.
kth_insmod() {
	_kth_m=$1
	shift
	insmod "$KTH_MODDIR/$_kth_m.ko" "$@"
}

# load_params MODULE: the parameters of a project module's cheapest load,
# for the scenarios that load every module (smoke, perms); the test
# modules have scenarios of their own.  Status 1: the module cannot load
# on this kernel (kth_failarm, fault.sh's, needs fail-nth).
load_params() {
	case $1 in
	kth_selftest) echo "run_tests=0" ;;
	kth_bench) echo "n_events=1000 rounds=1 lat_samples=100 lat_period_us=50" ;;
	kth_failarm) [ -e /proc/thread-self/fail-nth ] ;;
	esac
}

# kth_rmmod NAME: unload a module.
kth_rmmod() {
	rmmod "$1"
}

# thread_pid NAME: the pid of helper thread NAME.
thread_pid() {
	cat "$KTH_SYSFS/$1/pid"
}

# sysfs_get THREAD ATTR: an attribute of helper thread THREAD.
sysfs_get() {
	cat "$KTH_SYSFS/$1/$2"
}

# kth_log MSG...: a line in the kernel log (and so in the dmesg dump).
kth_log() {
	echo "<5>kth-scenario: $*" >/dev/kmsg
}

# dmesg_mark: remember this point of the kernel log.  It writes a unique
# marker line to the log (kth-vm boots with printk.devkmsg=on so that such
# writes are not rate limited) instead of clearing the buffer, so the full
# dmesg stays available for the final dump.
dmesg_mark() {
	KTH_MARK_SEQ=$((KTH_MARK_SEQ + 1))
	KTH_MARK="kth-mark ${KTH_SCENARIO:-shell}.$$.$KTH_MARK_SEQ"
	echo "<5>$KTH_MARK" >/dev/kmsg
}

# dmesg_since_mark: the kernel log lines after the last dmesg_mark (all of
# it if there was none or the marker left the ring buffer).
dmesg_since_mark() {
	if [ -z "$KTH_MARK" ]; then
		dmesg
		return
	fi
	dmesg | awk -v m="$KTH_MARK" '
		{ line[NR] = $0 }
		index($0, m) && substr($0, index($0, m) + length(m)) == "" { at = NR }
		END { for (i = at + 1; i <= NR; i++) print line[i] }'
}

# attr_is THREAD ATTR VALUE: the attribute reads VALUE now (for wait_for,
# which must re-read it on every poll).
attr_is() {
	[ "$(cat "$KTH_SYSFS/$1/$2" 2>/dev/null)" = "$3" ]
}

# ktap_results MODULE PREFIX: turn the KTAP a test module wrote to the
# kernel log since the last dmesg_mark ("MODULE: ok 3 name", diagnostics
# "MODULE: # ...") into results named PREFIX-name, show the diagnostics
# as "# MODULE: ..." (tests/run prints them as KTAP diagnostics: the
# figures), and check that the plan ("1..N") was complete.
ktap_results() {
	_kth_log=$(dmesg_since_mark | sed -n "s/^.*$1: //p")
	echo "$_kth_log" | grep '^# ' | sed "s/^# /# $1: /"
	check_eq "$2-plan-complete" \
		"$(echo "$_kth_log" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')" \
		"$(echo "$_kth_log" | grep -cE '^(not )?ok [0-9]+ ')"
	echo "$_kth_log" | grep -E '^(not )?ok [0-9]+ ' |
	while read -r _kth_a _kth_b _kth_c _kth_rest; do
		if [ "$_kth_a" = ok ] && [ "${_kth_rest#\# SKIP}" != "$_kth_rest" ]; then
			skip "$2-$_kth_c" "${_kth_rest#\# SKIP }"
		elif [ "$_kth_a" = ok ]; then
			ok "$2-$_kth_c"
		else
			not_ok "$2-${_kth_rest%% *}" "in-kernel test failed (see the diagnostics above)"
		fi
	done
}

# Where scenarios put their user-mode helpers: kthelper runs only a
# helper that is owned by root and not writable by group or others, in
# directories that are the same all the way up (the guest's /tmp is
# world-writable, so not there).
KTH_HELPERS=/usr/libexec/kth-test

# make_helper NAME: install stdin as the helper $KTH_HELPERS/NAME, mode
# 0755, and print its path.
make_helper() {
	mkdir -p "$KTH_HELPERS"
	chmod 0755 / /usr /usr/libexec "$KTH_HELPERS"
	cat >"$KTH_HELPERS/$1.tmp" && chmod 0755 "$KTH_HELPERS/$1.tmp" &&
		mv "$KTH_HELPERS/$1.tmp" "$KTH_HELPERS/$1" && echo "$KTH_HELPERS/$1"
}

# make_recorder PATH DIR: a user-mode helper at PATH that writes the
# environment it gets, sorted, to DIR/$KTH_SEQ.env (atomically).  PATH
# is normally $KTH_HELPERS/something.
make_recorder() {
	mkdir -p "$2"
	mkdir -p "$(dirname "$1")"
	chmod 0755 / /usr /usr/libexec "$(dirname "$1")" 2>/dev/null
	cat >"$1" <<EOS
#!/bin/sh
env | sort >$2/\$KTH_SEQ.tmp
mv $2/\$KTH_SEQ.tmp $2/\$KTH_SEQ.env
EOS
	chmod 0755 "$1"
}

# stress_count BASE: BASE scaled by kth.stress=PERCENT on the kernel
# command line (tests/run --append; 100 when absent), for the stress
# scenarios.
stress_count() {
	_kth_pct=$(sed -n 's/.*kth\.stress=\([0-9]*\).*/\1/p' /proc/cmdline)
	echo $(($1 * ${_kth_pct:-100} / 100))
}

# range FIRST LAST: the numbers FIRST..LAST, each followed by a space.
range() {
	_i=$1
	while [ "$_i" -le "$2" ]; do
		printf '%s ' "$_i"
		_i=$((_i + 1))
	done
}

# tracefs: TR, tracefs's directory (/sys/kernel/tracing, mounted if it is
# not, else under debugfs); a scenario that reads trace events calls it
# first, and ends with a failed "tracefs" check where there is none.
tracefs() {
	TR=/sys/kernel/tracing
	[ -e $TR/trace ] || mount -t tracefs nodev $TR 2>/dev/null
	[ -e $TR/trace ] || TR=/sys/kernel/debug/tracing
	[ -e $TR/trace ] && return 0
	not_ok tracefs "no tracefs at /sys/kernel/tracing or under debugfs"
	exit 1
}

# uptime_s: seconds since boot, with decimals.
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# pm_cycle LEVEL STATE: one system sleep to STATE (freeze, mem) that
# /sys/power/pm_test stops at LEVEL (freezer, devices, platform...), then
# pm_test back to none; the status of the write to /sys/power/state.
pm_cycle() {
	echo "$1" >/sys/power/pm_test
	echo "$2" >/sys/power/state
	# shellcheck disable=SC2320 # the write's status is the sleep's
	_kth_rc=$?
	echo none >/sys/power/pm_test
	return $_kth_rc
}

# kmemleak_scan: a kmemleak scan now, where the kernel has kmemleak (the
# debug kernel; /bin/rmmod scans at most every 30 s by itself).
kmemleak_scan() {
	[ ! -w /sys/kernel/debug/kmemleak ] || echo scan >/sys/kernel/debug/kmemleak
}

# USB devices in sysfs, for the hotplug scenarios (usbwatch, udev, tracecmd).
KTH_USB_DEVICES=/sys/bus/usb/devices
# dev_with FILE VALUE: the sysfs name of the USB device whose FILE reads
# VALUE; false if none.  has_dev and no_dev: whether there is one.
dev_with() {
	for _kth_d in "$KTH_USB_DEVICES"/*; do
		[ "$(cat "$_kth_d/$1" 2>/dev/null)" = "$2" ] && basename "$_kth_d" && return 0
	done
	return 1
}
has_dev() { dev_with "$1" "$2" >/dev/null; }
no_dev() { ! has_dev "$1" "$2"; }

# udev_control ARG...: udevadm control ARG..., asked again (three tries in
# all) while udevd ignores it.  udevd now and then gets a request without
# its sender's credentials and drops it ("Invalid sender uid 65534,
# ignoring message", udevd's and the kernel's doing: the udev scenario on
# 6.1 and 6.12 under load).  udevadm returns once udevd has read the
# request, and udevd logs to the kernel log (SYSTEMD_LOG_TARGET=kmsg), so
# a new such line there says this request was the one dropped.
udev_control() {
	for _kth_try in 1 2 3; do
		_kth_drops=$(dmesg | grep -c 'Invalid sender uid')
		udevadm control "$@" || return 1
		[ "$(dmesg | grep -c 'Invalid sender uid')" -gt "$_kth_drops" ] || return 0
		echo "# udevd dropped 'udevadm control $*' (try $_kth_try of 3)"
	done
	return 1
}

# The UDP flooder (kth-udpflood), driven through a fifo on fd 3:
# flood_start starts it, its pid in $flooder; flood CMD sends it CMD,
# waits for its reply line and prints it.
flood_start() {
	mkfifo /tmp/flood.in
	kth-udpflood </tmp/flood.in >/tmp/flood.out 2>&1 &
	flooder=$!
	exec 3>/tmp/flood.in
}
flood() {
	_n=$(wc -l </tmp/flood.out)
	echo "$*" >&3
	wait_for 120 sh -c "[ \$(wc -l </tmp/flood.out) -gt $_n ]"
	tail -n 1 /tmp/flood.out
}
