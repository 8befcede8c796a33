#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# metrics - `kthctl metrics` (Prometheus's text format) under busybox,
# with real traffic: kth_selftest's thread (events whose handler sleeps),
# kth_usbwatch and a tablet plugged in and out (QMP, metrics.host), and
# kth_netbufwatch taken low by a UDP flood (kth-udpflood) and back.
# Every sample equals the sysfs file it came from, read here by a reader
# of our own at a quiet moment; each histogram's buckets are the kernel's
# buckets made cumulative (monotone, fixed edges), +Inf = _count =
# handled, _sum = *_sum_ns in seconds; # HELP and # TYPE once per family;
# the state a StateSet.  Each output goes to the console between
# KTH-PROM-BEGIN NAME and KTH-PROM-END NAME MD5 for metrics.host, which
# runs Debian's `promtool check metrics` on it.  Then --textfile: written
# whole, 0644, nothing else left; a missing directory, a read-only one,
# one that nobody may write: exit 6, one line, nothing left, an old file
# kept; kthelper not loaded (before the load and after the unload): no
# metrics, exit 0, and the textfile says so.
# kth-vm: --usb --timeout 150
#
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh
# expect and hist_problems, the scenario's own reader of sysfs
# shellcheck source=tests/guest/lib-metrics.sh
. /scenarios/lib-metrics.sh

S=kth_selftest
N=kth_netbufwatch
U=kth_usbwatch
NOBODY=65534
qmp() { echo "KTH-QMP $*"; }

# kc ARGS...: kthctl ARGS; rc, /tmp/kc.out, /tmp/kc.err
kc() {
	kthctl "$@" >/tmp/kc.out 2>/tmp/kc.err
	rc=$?
}
# one_line_has TEXT: kthctl's last stderr is one line and says TEXT
one_line_has() {
	[ "$(wc -l </tmp/kc.err)" = 1 ] && grep -qF -e "$1" /tmp/kc.err
}
# prom_block NAME FILE: FILE on the console for metrics.host, each line
# after "KTH-PROM "; its md5sum lets the host see a kernel message cut
# into it
prom_block() {
	echo "KTH-PROM-BEGIN $1"
	sed 's/^/KTH-PROM /' "$2"
	echo "KTH-PROM-END $1 $(md5sum <"$2" | cut -d' ' -f1)"
}
only_comments() { ! grep -qv '^#' "$1"; }

# --- 1. kthelper not loaded: no metrics, exit 0 ---
kc metrics
check_eq not-loaded-exit-0 0 "$rc"
check_eq not-loaded-no-metrics "# kthelper is not loaded (no $KTH_SYSFS): no metrics" "$(cat /tmp/kc.out)"
prom_block not-loaded /tmp/kc.out
kc metrics $S
check_eq not-loaded-name-exit-3 3 "$rc"

# --- 2. traffic ---
echo "4096 4096 4096" >/proc/sys/net/ipv4/udp_mem
if ! kth_insmod kthelper || ! kth_insmod $S run_tests=0 || ! kth_insmod $U ||
   ! kth_insmod $N low_pct=50 high_pct=80 period_ms=100 protos=udp; then
	not_ok load "insmod failed"
	exit 1
fi
# kth_selftest: 30 events, each handler 3 ms (the waits pile up)
echo 3 >/sys/module/$S/parameters/delay_ms
echo "ev 30" >$KTH_SYSFS/$S/trigger
# kth_usbwatch: a tablet in and out
plugged() { has_dev product "QEMU USB Tablet"; }
unplugged() { ! plugged; }
qmp device_add driver=usb-tablet bus=xhci.0 id=tab0
check tablet-in wait_for 30 plugged
qmp device_del id=tab0
check tablet-out wait_for 30 unplugged
# kth_netbufwatch: UDP memory over half its limit: low
flood_start
flood open 48 524288 >/dev/null
echo "# flood: $(flood fill 3000) pages"
state_is() { # STATE: netbufwatch's state metric says STATE
	grep -qx "$1 1" $KTH_SYSFS/$N/metrics/state
}
check netbufwatch-low wait_for 20 state_is low
# a sample every 10 s (times KTH_SLOW) from now on: sysfs holds still
# while it is read
slow_ms 10000 >/sys/module/$N/parameters/period_ms
kill -HUP "$(thread_pid $N)"
wait_for 10 attr_is $N sample_ms "$(slow_ms 10000)"

# --- 3. a quiet moment: kthctl metrics against sysfs ---
quiet() {
	for t in $S $U $N; do
		attr_is "$t" depth 0 || return 1
	done
}
check quiet wait_for 30 quiet
missing=
for t in $S $U $N; do
	for f in $(map_rows | cut -d' ' -f1) wait_sum_ns handle_sum_ns wait_count handle_count \
		 helper_timeout_ms helper_runner; do
		[ -f "$KTH_SYSFS/$t/$f" ] || missing="$missing $t/$f"
	done
done
check_eq sysfs-has-every-file "" "$missing"
# kthctl metrics between two equal readings of sysfs
snapshot() { # OUT
	i=0
	while [ $i -lt 5 ]; do
		expect >/tmp/e1
		kthctl metrics >"$1" 2>/tmp/m.err
		mrc=$?
		expect >/tmp/e2
		cmp -s /tmp/e1 /tmp/e2 && return 0
		i=$((i + 1))
	done
	return 1
}
check snapshot-at-a-quiet-moment snapshot /tmp/m.prom
check_eq metrics-exit-0 0 "$mrc"
check_eq metrics-no-stderr "" "$(cat /tmp/m.err)"
prom_block traffic /tmp/m.prom
t0=$(uptime_s)
kthctl metrics >/dev/null
echo "# kthctl metrics: $(wc -l </tmp/m.prom) lines, $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }') s (3 threads, busybox, TCG)"
grep -v '^#' /tmp/e1 >/tmp/e.samples
grep -v -e '^#' -e '_seconds_bucket{' -e '_seconds_sum{' -e '_seconds_count{' /tmp/m.prom |
	sort >/tmp/m.samples
if cmp -s /tmp/e.samples /tmp/m.samples; then
	ok values-equal-sysfs
else
	not_ok values-equal-sysfs "$(diff /tmp/e.samples /tmp/m.samples | grep '^[-+][^-+]' | head -n 4)"
fi
echo "# $(wc -l </tmp/m.samples) samples besides the histograms', each equal to its file"
check_eq help-type-once-per-family "" \
	"$(grep -E '^# (HELP|TYPE) ' /tmp/m.prom | awk '{ print $2, $3 }' | sort | uniq -d)"
check_eq stateset-one-state-per-thread "1 1 1" \
	"$(for t in $S $U $N; do grep -c "^kthelper_state{thread=\"$t\",.* 1\$" /tmp/m.prom; done | tr '\n' ' ' | sed 's/ $//')"

check_eq histograms-cumulative-from-sysfs "" "$(hist_problems)"
set -- "$KTH_SYSFS"/*
check_eq histograms-two-per-thread $((2 * $#)) "$(grep -c '_seconds_count{' /tmp/m.prom)"
value() { # SERIES: its value in /tmp/m.prom
	grep -F "$1} " /tmp/m.prom | sed 's/.* //'
}
check_eq selftest-count-is-handled-30 30 \
	"$(value "kthelper_queue_wait_seconds_count{thread=\"$S\",module=\"$S\"")"
check_eq netbufwatch-low-in-metrics "1 0" \
	"$(value "kthelper_netbufwatch_state{thread=\"$N\",module=\"$N\",state=\"low\"") $(value "kthelper_netbufwatch_state{thread=\"$N\",module=\"$N\",state=\"ok\"")"
check usbwatch-add-and-remove-counted sh -c \
	"[ '$(value "kthelper_usbwatch_events_total{thread=\"$U\",module=\"$U\",action=\"add\"")' -ge 1 ] && [ '$(value "kthelper_usbwatch_events_total{thread=\"$U\",module=\"$U\",action=\"remove\"")' -ge 1 ]"
echo "# an excerpt:"
grep -e "^kthelper_queue_wait_seconds_.*thread=\"$S\"" -e '^kthelper_netbufwatch_state' \
	-e '^kthelper_events_posted_total' /tmp/m.prom | sed 's/^/#   /'

# --- 4. back to ok; --textfile ---
flood close >/dev/null
echo 100 >/sys/module/$N/parameters/period_ms
kill -HUP "$(thread_pid $N)"
check netbufwatch-recovered wait_for 20 state_is ok
mkdir -p /tmp/tf
kc metrics --textfile /tmp/tf
check_eq textfile-exit-0 0 "$rc"
check_eq textfile-mode-0644 644 "$(stat -c %a /tmp/tf/kthelper.prom)"
check_eq textfile-nothing-else kthelper.prom "$(ls -A /tmp/tf)"
check textfile-recovered grep -qx "kthelper_netbufwatch_state{thread=\"$N\",module=\"$N\",state=\"ok\"} 1" /tmp/tf/kthelper.prom
prom_block textfile /tmp/tf/kthelper.prom
kc metrics --textfile /tmp/nonexistent
check_eq textfile-missing-exit-6 6 "$rc"
check textfile-missing-says one_line_has "--textfile /tmp/nonexistent: no such directory"
check textfile-missing-nothing-made [ ! -e /tmp/nonexistent ]
mkdir /tmp/ro
mount -t tmpfs -o ro tmpfs /tmp/ro
kc metrics --textfile /tmp/ro
check_eq textfile-read-only-exit-6 6 "$rc"
check textfile-read-only-says one_line_has "--textfile /tmp/ro: cannot write there: Read-only file system"
check_eq textfile-read-only-nothing-left "" "$(ls -A /tmp/ro)"
# an old file stays whole when the new one cannot be written
mkdir /tmp/old
mount -t tmpfs tmpfs /tmp/old
kthctl metrics --textfile /tmp/old
cp /tmp/old/kthelper.prom /tmp/old.copy
mount -o remount,ro /tmp/old
kc metrics --textfile /tmp/old
check_eq textfile-old-kept-exit-6 6 "$rc"
check textfile-old-kept cmp -s /tmp/old/kthelper.prom /tmp/old.copy
check_eq textfile-old-nothing-else kthelper.prom "$(ls -A /tmp/old)"
kth-asuser $NOBODY kthctl metrics --textfile /tmp/tf >/tmp/kc.out 2>/tmp/kc.err
check_eq textfile-not-root-exit-6 6 $?
check textfile-not-root-says one_line_has "--textfile /tmp/tf: cannot write there: Permission denied"
check_eq textfile-not-root-nothing-left kthelper.prom "$(ls -A /tmp/tf)"
kth-asuser $NOBODY kthctl metrics >/tmp/kc.out 2>/tmp/kc.err
check_eq not-root-stdout-exit-0 0 $?

# --- 5. unloaded: the textfile says so, no stale figures ---
echo quit >&3
for m in $N $U $S kthelper; do
	check "rmmod-$m" kth_rmmod "$m"
done
kc metrics --textfile /tmp/tf
check_eq unloaded-textfile-exit-0 0 "$rc"
check unloaded-textfile-no-metrics only_comments /tmp/tf/kthelper.prom
