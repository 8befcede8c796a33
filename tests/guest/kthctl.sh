#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kthctl - the user tool (tools/kthctl, /usr/sbin/kthctl in the guest) on
# the kth_selftest thread, under busybox ash: status (table and --json,
# parsed here and compared with sysfs), start/stop/pause/resume, reset
# (histograms), reload and stats (their kernel-log lines), watch -n (rates),
# trace -n (records after posts; a filter by thread; TERM undoes it all),
# and the errors with their exit codes: kthelper not loaded, unknown
# thread, usage, not root (uid 65534 through kth-asuser), a refused sysfs
# write, a stopped thread, a thread without signals (kth_stress's flood
# thread, the only one without KTH_SIGNALS), tracefs or tracepoints absent.
#
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
P=/sys/module/kth_selftest/parameters
TR=/sys/kernel/tracing
NOBODY=65534

# kc ARGS...: run kthctl; rc, /tmp/kc.out, /tmp/kc.err (and $err: one line)
kc() {
	kthctl "$@" >/tmp/kc.out 2>/tmp/kc.err
	rc=$?
	err=$(tr '\n' ' ' </tmp/kc.err)
}
# kc_is NAME RC ARGS...: kthctl ARGS exits RC (else the reason, with stderr)
kc_is() {
	_n=$1 _want=$2
	shift 2
	kc "$@"
	if [ "$rc" = "$_want" ]; then ok "$_n"; else not_ok "$_n" "kthctl $*: exit $rc, not $_want: $err"; fi
}
# err_has NAME TEXT: kthctl's last stderr says TEXT
err_has() { check_eq "$1" 1 "$(grep -c -F -e "$2" /tmp/kc.err | sed 's/^[1-9][0-9]*$/1/')"; }

# json_flat: JSON on stdin as PATH=VALUE lines (tests/guest/json-flat.awk)
json_flat() { awk -f /lib/kth/json-flat.awk; }

# --- no kthelper: exit 3 ---
kc_is no-kthelper-exit-3 3
err_has no-kthelper-says-so "kthelper is not loaded"
kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
kc_is no-threads-exit-0 0
check_eq no-threads-header-only "NAME MODULE STATE" "$(awk 'END { print NR == 1 ? $1 " " $2 " " $3 : NR " lines" }' /tmp/kc.out)"
kc_is no-threads-json-exit-0 0 --json
check_eq no-threads-json-empty-array "[]" "$(cat /tmp/kc.out)"

kth_insmod kth_selftest run_tests=0 || { not_ok load-kth_selftest "insmod failed"; exit 1; }
pid=$(thread_pid $T)
echo "ev 5" >$D/trigger
wait_for 10 attr_is $T handled 5

# --- status: the table ---
kc_is status-exit-0 0
# shellcheck disable=SC2046 # the row's words
set -- $(grep "^$T " /tmp/kc.out)
check_eq status-row "$T kth_selftest running $pid 5 5 0 0" "$1 $2 $3 $4 $5 $6 $7 $8"
check_eq status-helper-runs-suppressed "$(sysfs_get $T helper_runs)/$(sysfs_get $T helper_suppressed)" "${10}"
check status-wait-p99-shown sh -c "echo '$9' | grep -qE '^[0-9.]+(ns|us|ms|s)$'"
kc_is status-name-exit-0 0 status $T
check_eq status-name-one-row 2 "$(wc -l </tmp/kc.out)"

# --- status --json: parsed, every value equal to sysfs ---
kc_is json-exit-0 0 --json
if json_flat </tmp/kc.out >/tmp/json.flat 2>/tmp/json.err; then ok json-parses; else not_ok json-parses "$(cat /tmp/json.err)"; fi
i=$(sed -n "s/^\[\([0-9]*\)\]\.name=\"$T\"$/\1/p" /tmp/json.flat)
check json-has-thread [ -n "$i" ]
check_eq json-module-is-string "\"kth_selftest\"" "$(sed -n "s/^\[$i\]\.module=//p" /tmp/json.flat)"
check_eq json-state-is-string "\"running\"" "$(sed -n "s/^\[$i\]\.state=//p" /tmp/json.flat)"
bad=
for k in pid posted handled dropped depth queue_len signals wait_p50_ns wait_p99_ns \
	 wait_max_ns handle_p50_ns handle_p99_ns handle_max_ns helper_runs \
	 helper_failures helper_suppressed helper_exited helper_exited_nonzero \
	 helper_killed helper_timeouts helper_exec_failed helper_exec_enoent \
	 helper_exec_eacces helper_exec_enoexec helper_exec_enomem \
	 helper_exec_other helper_refused helper_not_run helper_dropped \
	 helper_deferred helper_waited helper_running helper_pending \
	 helper_last_exit helper_last_signal helper_timeout_ms \
	 helper_max_running helper_max_pending; do
	v=$(sed -n "s/^\[$i\]\.$k=//p" /tmp/json.flat)
	[ "$v" = "$(cat $D/$k 2>/dev/null || echo null)" ] || bad="$bad $k=$v/$(cat $D/$k 2>/dev/null)"
done
check_eq json-numbers-equal-sysfs "" "$bad"
check_eq json-helper_runner-is-string "\"$(cat $D/helper_runner)\"" \
	"$(sed -n "s/^\[$i\]\.helper_runner=//p" /tmp/json.flat)"
kc_is json-name-exit-0 0 status $T --json
check_eq json-name-one-object 1 "$(json_flat </tmp/kc.out | grep -c '\.name=')"

# --- stats: every readable file, as key value lines and as JSON ---
dmesg_mark
kc_is stats-exit-0 0 stats $T
bad='' n=0
for f in "$D"/*; do
	k=${f##*/}
	[ -f "$f" ] || continue	# metrics/, the driver's own: not stats'
	case $k in control | trigger | *_hist) continue ;; esac
	n=$((n + 1))
	v=$(cat "$f")
	[ "$(grep -E "^$k( |\$)" /tmp/kc.out)" = "$k${v:+ $v}" ] || bad="$bad $k"
done
check_eq stats-lines-equal-sysfs "" "$bad"
check stats-many-files [ "$n" -ge 15 ]
err_has stats-says-sigusr1 "SIGUSR1 sent to $T"
check stats-sigusr1-logged wait_for 5 sh -c "dmesg | grep -q '$T: SIGUSR1: state=running posted=5 '"
kc_is stats-json-exit-0 0 stats $T --json
json_flat </tmp/kc.out >/tmp/json.flat 2>/tmp/json.err
check_eq stats-json-posted 5 "$(sed -n 's/^\.posted=//p' /tmp/json.flat)"
check_eq stats-json-helper-string '""' "$(sed -n 's/^\.helper=//p' /tmp/json.flat)"

# --- reset: the histograms and maxima cleared, the counters kept ---
if [ -f $D/wait_hist ]; then
	echo 20 >$P/delay_ms
	echo "ev 4" >$D/trigger
	wait_for 10 attr_is $T handled 9
	echo 0 >$P/delay_ms
	check hist-has-buckets test -s $D/wait_hist -a -s $D/handle_hist
	kthctl stats $T --json 2>/dev/null | json_flat >/tmp/json.flat
	check_eq stats-json-hist-equals-file "$(cat $D/handle_hist)" \
		"$(awk -F= '/^\.handle_hist\[/ { split($1, ix, /[][]/); v[ix[2]] = v[ix[2]] (ix[4] ? " " : "") $2 }
			END { for (j = 0; j in v; j++) print v[j] }' /tmp/json.flat)"
	kc_is reset-exit-0 0 reset $T
	check_eq reset-clears "0 0 0 0 9" "$(wc -c <$D/wait_hist) $(wc -c <$D/handle_hist) $(cat $D/wait_max_ns) $(cat $D/handle_max_ns) $(cat $D/posted)"
else
	skip reset-clears "no wait_hist: this kthelper has no histograms (issue 13's framework part)"
fi

# --- start, stop, pause, resume; refusals ---
kc_is pause-exit-0 0 pause $T
check_eq pause-says "$T: running -> paused" "$(cat /tmp/kc.out)"
check_eq pause-state paused "$(sysfs_get $T state)"
kc_is resume-exit-0 0 resume $T
check_eq resume-state running "$(sysfs_get $T state)"
kc_is start-running-refused-exit-1 1 start $T
err_has start-running-says-busy "busy"
kc_is stop-exit-0 0 stop $T
check_eq stop-state-pid "stopped 0" "$(sysfs_get $T state) $(sysfs_get $T pid)"
kc_is pause-stopped-refused-exit-1 1 pause $T
err_has pause-stopped-errno-text "the kernel refused 'pause' for $T: Invalid argument"
kc_is reload-stopped-exit-1 1 reload $T
err_has reload-stopped-says "is stopped (pid 0)"
kc_is start-exit-0 0 start $T
check_eq start-says "$T: stopped -> running" "$(cat /tmp/kc.out)"
pid2=$(sysfs_get $T pid)
check start-new-pid test "$pid2" -gt 0 -a "$pid2" != "$pid"

# --- reload: SIGHUP, the reload line ---
dmesg_mark
kc_is reload-exit-0 0 reload $T
check reload-logged wait_for 5 sh -c "dmesg | grep -q '$T: SIGHUP: reloading'"

# --- errors: unknown thread, usage, not root ---
kc_is unknown-thread-exit-3 3 stop nosuch
err_has unknown-thread-lists-threads "no thread 'nosuch' in $KTH_SYSFS; there: $T"
kc_is unknown-command-exit-2 2 frobnicate
err_has usage-lists-forms "kthctl watch [NAME] [-n COUNT] [-d SECONDS]"
kc_is missing-name-exit-2 2 pause
kc_is bad-count-exit-2 2 watch -n x
kc_is help-exit-0 0 --help
for c in "stop $T" "start $T" "pause $T" "reset $T" "reload $T" "trace $T -n 1"; do
	# shellcheck disable=SC2086 # the words of the command
	kth-asuser $NOBODY kthctl $c >/tmp/kc.out 2>/tmp/kc.err
	check_eq "nonroot-${c%% *}-exit-4" 4 $?
done
err_has nonroot-says-root "needs root: sudo kthctl trace $T -n 1"
check_eq nonroot-changed-nothing "running" "$(sysfs_get $T state)"
kth-asuser $NOBODY kthctl status >/tmp/kc.out 2>/tmp/kc.err
check_eq nonroot-status-exit-0 0 $?
kth-asuser $NOBODY kthctl stats $T >/tmp/kc.out 2>/tmp/kc.err
check_eq nonroot-stats-exit-0 0 $?
err_has nonroot-stats-no-signal "not root: no SIGUSR1 sent"

# --- watch -n 2: two tables of rates while events come ---
echo 10 >$P/delay_ms
(for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo "ev 2" >$D/trigger; sleep 0.2; done) &
poster=$!
kc_is watch-exit-0 0 watch $T -n 2 -d 1
wait $poster
check_eq watch-two-tables 2 "$(grep -c '^kthctl watch: every 1 s' /tmp/kc.out)"
check_eq watch-two-rows 2 "$(grep -c "^$T " /tmp/kc.out)"
check_eq watch-posted-rate-positive 2 "$(awk -v t=$T '$1 == t && $3 > 0' /tmp/kc.out | wc -l)"
check watch-handled-rate-positive sh -c "awk '\$1 == \"$T\" && \$4 > 0' /tmp/kc.out | grep -q ."
check watch-rates-numbers sh -c "! awk '\$1 == \"$T\" && \$3 !~ /^[0-9]+\\.[0-9]\$/' /tmp/kc.out | grep -q ."
echo "# kthctl watch:"
sed 's/^/#   /' /tmp/kc.out
echo 0 >$P/delay_ms
wait_for 20 attr_is $T depth 0

# --- trace ---
KTH_TRACEFS=/nonexistent kc trace
check_eq trace-no-tracefs-exit-5 5 "$rc"
err_has trace-no-tracefs-says-mount "mount -t tracefs nodev /sys/kernel/tracing"
mkdir -p /tmp/fake-tracefs && : >/tmp/fake-tracefs/trace_pipe
KTH_TRACEFS=/tmp/fake-tracefs kc trace
check_eq trace-no-tracepoints-exit-5 5 "$rc"
err_has trace-no-tracepoints-says "no kthelper tracepoints"
if [ -d $TR/events/kthelper ]; then
	# -n 6: the first six records of three posts (post, wakeup, start, end)
	kthctl trace $T -n 6 >/tmp/tr.out 2>/tmp/tr.err &
	tpid=$!
	# a trace instance's buffers take a while on a sanitizer kernel
	check trace-starts wait_for 60 grep -q "tracing kthelper events of $T" /tmp/tr.err
	echo "ev 3" >$D/trigger
	# not done by then: TERM (it undoes its instance), and the exit
	# status check below fails, rather than a wait that never ends
	wait_for 60 sh -c "! kill -0 $tpid 2>/dev/null" || kill $tpid
	wait $tpid
	check_eq trace-n-exit-0 0 $?
	check_eq trace-n-records 6 "$(grep -c ' kth_' /tmp/tr.out)"
	check_eq trace-thread-column 6 "$(awk -v t=$T '$2 == t' /tmp/tr.out | wc -l)"
	check trace-post-record grep -qE " kth_post +seq=[0-9]+ len=[0-9]+ result=queued" /tmp/tr.out
	check trace-instance-removed sh -c "! ls $TR/instances | grep -q kthctl"
	check_eq trace-global-untouched 0 "$(cat $TR/events/kthelper/kth_post/enable)"
	echo "# kthctl trace:"
	sed 's/^/#   /' /tmp/tr.out
	# a filter for another thread: nothing of kth_selftest; TERM undoes it
	if kth_insmod kth_usbwatch; then
		kthctl trace kth_usbwatch >/tmp/tr.out 2>/tmp/tr.err &
		tpid=$!
		wait_for 60 grep -q "tracing kthelper events of kth_usbwatch" /tmp/tr.err
		check_eq trace-filter-set 'thread == "kth_usbwatch"' \
			"$(cat $TR/instances/kthctl-$tpid/events/kthelper/kth_post/filter)"
		echo "ev 3" >$D/trigger
		wait_for 10 attr_is $T depth 0
		sleep 1
		kill -s TERM $tpid
		wait $tpid
		check_eq trace-term-exit-143 143 $?
		check_eq trace-filter-excludes-others 0 "$(grep -c ' kth_' /tmp/tr.out)"
		check trace-term-removes-instance test ! -d $TR/instances/kthctl-$tpid
		check rmmod-kth_usbwatch kth_rmmod kth_usbwatch
	else
		not_ok load-kth_usbwatch "insmod failed"
	fi
else
	skip trace "no $TR/events/kthelper: this kthelper has no tracepoints (issue 13's framework part)"
fi

# --- a thread without signals: kth_stress's, while its flood drains ---
# (queue_len events of 10 ms each: 3 s, times KTH_SLOW, as each kthctl
# run is that much slower there)
kth_insmod kth_stress run=hardirq_flood_drop_newest posts=$((400 * KTH_SLOW)) \
	queue_len=$((300 * KTH_SLOW)) handler_us=10000 >/dev/null 2>&1 &
ins=$!
if wait_for 20 test -d $KTH_SYSFS/kth_stress; then
	kc reload kth_stress
	check_eq nosignals-reload-exit-5 5 "$rc"
	err_has nosignals-says "kth_stress takes no signals"
	kc status kth_stress --json
	check_eq nosignals-json-signals-0 0 "$(json_flat </tmp/kc.out | sed -n 's/^\[0\]\.signals=//p')"
else
	not_ok nosignals-thread "kth_stress's thread did not appear"
fi
wait $ins
check rmmod-kth_stress kth_rmmod kth_stress

check rmmod-kth_selftest kth_rmmod kth_selftest
check rmmod-kthelper kth_rmmod kthelper
