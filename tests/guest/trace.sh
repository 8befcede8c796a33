#!/bin/sh
# The kthelper tracepoints through tracefs alone (no trace-cmd), with
# kth_selftest: every event fires with the fields of its format; the
# records agree with the sysfs counters (kth_post records = the posted
# delta, refused-full / evicted-oldest / refused-stopped = the dropped
# delta, kth_helper results: started and exited = helper_runs, failed
# = helper_failures, suppressed = helper_suppressed deltas, one outcome
# per event) and with the latency histograms (count, max,
# every wait in a non-empty bucket); kth_handle_end comes in seq order;
# kth_state for sysfs, SIGSTOP/SIGCONT/SIGKILL/SIGTERM, the freezer, the
# driver (api) and the thread.  Then the histograms themselves: a 20 ms
# handler lands in [2^24, 2^25) ns, SIGUSR1's line agrees, `reset` clears.
# kth-vm: --timeout 240
. /scenarios/lib.sh
# shellcheck source=tests/guest/lib-tcg-hold.sh
. /scenarios/lib-tcg-hold.sh

T=kth_selftest
D=$KTH_SYSFS/$T
P=/sys/module/kth_selftest/parameters
LEN=96		# sizeof(struct demo_event) in kth_selftest.c
STATES='stopped|starting|running|paused|draining|stopping|frozen'

tracefs
sched_switch_hold sched-switch-held
kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
if [ ! -d $TR/events/kthelper ]; then
	not_ok events-registered "no $TR/events/kthelper (a module with taints other than O/E/C gets its tracepoints disabled: $(cat /proc/sys/kernel/tainted))"
	exit 1
fi
for ev in kth_post kth_wakeup kth_handle_start kth_handle_end kth_state \
	  kth_helper kth_uevent; do
	check "format-$ev-thread-is-a-string" \
		grep -q 'field:__data_loc char\[\] thread;' $TR/events/kthelper/$ev/format
done

# trace_on: an empty buffer, every kthelper event on.
trace_on() {
	echo 0 >$TR/tracing_on
	echo >$TR/trace
	echo 1 >$TR/events/kthelper/enable
	echo 1 >$TR/tracing_on
}
# trace_off PART: tracing off; the records since trace_on in /tmp/PART,
# one "EVENT thread=... FIELD=VALUE..." a line; none lost, all parsed.
trace_off() {
	echo 0 >$TR/tracing_on
	cat $TR/trace >/tmp/$1.raw
	sed -n 's/^.* \(kth_[a-z_]*\): \(thread=.*\)$/\1 \2/p' /tmp/$1.raw >/tmp/$1
	_e=$(sed -n 's|^# entries-in-buffer/entries-written: \([0-9]*/[0-9]*\).*|\1|p' /tmp/$1.raw)
	check_eq "$1-no-record-lost" "${_e#*/}" "${_e%/*}"
	check_eq "$1-every-record-parsed" "$(grep -c ': kth_' /tmp/$1.raw)" "$(grep -c . /tmp/$1)"
	cat /tmp/$1 >>/tmp/all
}
recs() { grep "^$1 thread=$T " /tmp/$2; }		# EVENT PART
nrecs() { recs "$1" "$2" | grep -c -- "${3:-.}"; }	# EVENT PART [PATTERN]
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }		# NAME (stdin: records)
list() { tr '\n' ' '; }
delta() { echo $(($(sysfs_get $T "$1") - $2)); }	# ATTR BEFORE
runs() { recs "$1" "$2" | field "$3" | uniq -c | awk '{ printf "%s*%s ", $2, $1 }'; }

# hist_check PART KIND: the KIND (wait, handle) histogram agrees with the
# KIND_ns of PART's kth_handle_end records (the histogram was reset before
# PART): the same count, the histogram is the values put in their log2
# buckets, max is the largest value, p50 and p99 are the HIGH of the
# nearest-rank value's bucket capped by max; the file's format (ascending
# log2 buckets).
hist_check() {
	recs kth_handle_end "$1" | field "${2}_ns" | sort -n >/tmp/values
	cat $D/${2}_hist >/tmp/hist
	check_eq "$1-${2}_hist-count-is-records" "$(grep -c . /tmp/values)" \
		"$(awk '{ n += $3 } END { print n + 0 }' /tmp/hist)"
	check_eq "$1-${2}_hist-is-the-records-bucketed" "$(awk '
		function low(v, l) { if (v < 2) return 0; for (l = 2; l * 2 <= v; l *= 2); return l }
		{ l = low($1); if (NR > 1 && l != last) print last, high, n; if (NR == 1 || l != last) n = 0
		  last = l; high = l ? 2 * l : 2; n++ }
		END { if (NR) print last, high, n }' /tmp/values | list)" "$(list </tmp/hist)"
	check_eq "$1-${2}_max_ns-is-largest" "$(tail -n 1 /tmp/values)" "$(cat $D/${2}_max_ns)"
	check_eq "$1-${2}_p50_p99_ns" "$(awk '{ v[NR] = $1 } END {
		for (p = 50; p <= 99; p += 49) { r = int((NR * p + 99) / 100); x = v[r]
			for (h = 2; h <= x; h *= 2); if (h > v[NR]) h = v[NR]; printf "%d ", h } }' /tmp/values)" \
		"$(cat $D/${2}_p50_ns) $(cat $D/${2}_p99_ns) "
	check_eq "$1-${2}_hist-format" "" "$(awk '
		!(NF == 3 && $3 > 0 && (($1 == 0 && $2 == 2) || ($1 >= 2 && $2 == 2 * $1)) && (NR == 1 || $1 > last)) { print NR ": " $0 }
		{ last = $1 }
		$1 >= 2 { x = $1; while (x > 2) x /= 2; if (x != 2) print NR ": not a power of 2: " $0 }' /tmp/hist | list)"
}
# fields_check EVENT ERE: every EVENT record ever taken has the fields of its format.
fields_check() {
	check_eq "$1-fires" yes "$(grep -q "^$1 " /tmp/all && echo yes || echo no)"
	check_eq "$1-fields" "" "$(grep "^$1 " /tmp/all | grep -vE "^$1 thread=$T $2\$" | head -n 3 | list)"
}
: >/tmp/all

# 1. kth_selftest starts (api); a paused thread with a queue of 4 and
# KTH_DROP_NEWEST: 10 posts give 4 queued and 6 refused-full; 3 more once
# it runs again
trace_on
kth_insmod kth_selftest run_tests=0 queue_len=4 || { not_ok load-kth_selftest "insmod failed"; exit 1; }
pid=$(thread_pid $T)
echo reset >$D/control
p0=$(sysfs_get $T posted); d0=$(sysfs_get $T dropped); h0=$(sysfs_get $T handled)
kill -STOP "$pid"
wait_for 5 attr_is $T state paused
echo "full 10" >$D/trigger
kill -CONT "$pid"
wait_for 5 attr_is $T state running
echo "ev 3" >$D/trigger
check newest-handled-7 wait_for 10 attr_is $T handled $((h0 + 7))
trace_off newest
check_eq newest-api-start yes "$(recs kth_state newest | grep -q 'old=stopped new=starting cause=api sig=0$' && echo yes)"
check_eq newest-thread-running yes "$(recs kth_state newest | grep -q 'old=starting new=running cause=thread sig=0$' && echo yes)"
check_eq newest-posted-delta-13 13 "$(delta posted "$p0")"
check_eq newest-kth_post-is-posted-delta "$(delta posted "$p0")" "$(nrecs kth_post newest)"
check_eq newest-refused-full-is-dropped-delta "$(delta dropped "$d0")" "$(nrecs kth_post newest ' result=refused-full$')"
check_eq newest-results "queued*4 refused-full*6 queued*3 " "$(runs kth_post newest result)"
check_eq newest-post-seqs "$(range $((p0 + 1)) $((p0 + 13)))" "$(recs kth_post newest | field seq | list)"
check_eq newest-post-len "$LEN*13 " "$(runs kth_post newest len)"
check_eq newest-handle_end-seqs-are-the-queued-in-order \
	"$(recs kth_post newest | grep ' result=queued$' | field seq | list)" \
	"$(recs kth_handle_end newest | field seq | list)"
check_eq newest-handle_start-seqs "$(recs kth_handle_end newest | field seq | list)" \
	"$(recs kth_handle_start newest | field seq | list)"
check_eq newest-start-and-end-same-waits "$(recs kth_handle_end newest | field wait_ns | list)" \
	"$(recs kth_handle_start newest | field wait_ns | list)"
check_eq newest-first-wakeup-depth-1 1 "$(recs kth_wakeup newest | head -n 1 | field depth)"
check_eq newest-wakeup-depths-within-queue "" "$(recs kth_wakeup newest | field depth | awk '$1 < 1 || $1 > 4' | list)"
hist_check newest wait
hist_check newest handle

# 2. the same with KTH_DROP_OLDEST: 6 evicted-oldest, the last 4 handled
kth_rmmod kth_selftest
kth_insmod kth_selftest run_tests=0 queue_len=4 drop_oldest=1 || { not_ok load-drop_oldest "insmod failed"; exit 1; }
pid=$(thread_pid $T)
p0=$(sysfs_get $T posted); d0=$(sysfs_get $T dropped)
trace_on
kill -STOP "$pid"
wait_for 5 attr_is $T state paused
echo "old 10" >$D/trigger
kill -CONT "$pid"
check oldest-handled-4 wait_for 10 attr_is $T handled 4
trace_off oldest
check_eq oldest-kth_post-is-posted-delta "$(delta posted "$p0")" "$(nrecs kth_post oldest)"
check_eq oldest-evicted-is-dropped-delta "$(delta dropped "$d0")" "$(nrecs kth_post oldest ' result=evicted-oldest$')"
check_eq oldest-results "queued*4 evicted-oldest*6 " "$(runs kth_post oldest result)"
check_eq oldest-handled-the-last-4 "$(range $((p0 + 7)) $((p0 + 10)))" "$(recs kth_handle_end oldest | field seq | list)"

# 3. kth_state: sysfs pause/resume, SIGSTOP/SIGCONT, SIGKILL (then posts
# are refused-stopped), a sysfs start, SIGTERM, the freezer, rmmod (api)
state_is() { attr_is $T state "$1"; }
trace_on
echo pause >$D/control
echo resume >$D/control
kill -STOP "$pid"; wait_for 5 state_is paused
kill -CONT "$pid"; wait_for 5 state_is running
kill -KILL "$pid"
check state-sigkill-stops wait_for 5 state_is stopped
p0=$(sysfs_get $T posted); d0=$(sysfs_get $T dropped)
echo "late 2" >$D/trigger
echo start >$D/control
pid=$(thread_pid $T)
kill -TERM "$pid"
check state-sigterm-stops wait_for 5 state_is stopped
echo start >$D/control
frozen=no
if [ -w /sys/power/pm_test ] && grep -qw freeze /sys/power/state; then
	echo 1 >/sys/module/suspend/parameters/pm_test_delay
	echo freezer >/sys/power/pm_test
	echo freeze >/sys/power/state && frozen=yes
	echo none >/sys/power/pm_test
	# the thread out of the refrigerator: it handles an event
	h0=$(sysfs_get $T handled)
	echo "thawed 1" >$D/trigger
	check state-handles-after-thaw wait_for 10 attr_is $T handled $((h0 + 1))
fi
kth_rmmod kth_selftest
trace_off state
recs kth_state state | sed 's/^kth_state thread=[^ ]* //' >/tmp/transitions
sed 's/^/# /' /tmp/transitions
has() { grep -qx "$1" /tmp/transitions; }
check state-pause-sysfs has 'old=running new=paused cause=sysfs sig=0'
check state-resume-sysfs has 'old=paused new=running cause=sysfs sig=0'
check state-sigstop has 'old=running new=paused cause=signal sig=19'
check state-sigcont has 'old=paused new=running cause=signal sig=18'
check state-sigkill grep -qE '^old=running new=(stopping|stopped) cause=signal sig=9$' /tmp/transitions
check state-start-sysfs has 'old=stopped new=starting cause=sysfs sig=0'
check state-setup-done-thread has 'old=starting new=running cause=thread sig=0'
check state-sigterm-drains has 'old=running new=draining cause=signal sig=15'
check state-drained-thread has 'old=draining new=stopped cause=thread sig=0'
if [ $frozen = yes ]; then
	check state-frozen has 'old=running new=frozen cause=freezer sig=0'
	check state-thawed has 'old=frozen new=running cause=freezer sig=0'
else
	skip state-freezer "no /sys/power/pm_test freezer test point (CONFIG_PM_DEBUG) or the freeze failed"
fi
check state-rmmod-api grep -qE '^old=running new=(stopping|draining|stopped) cause=api sig=0$' /tmp/transitions
check_eq state-sig-only-for-signals "" "$(grep -v 'cause=signal' /tmp/transitions | grep -v ' sig=0$' | list)"
check_eq state-each-old-is-the-last-new "" "$(awk '{ o = $1; n = $2; sub(/^old=/, "", o); sub(/^new=/, "", n)
	if (NR > 1 && o != last) print NR ": " $0; last = n }' /tmp/transitions | list)"
check_eq state-ends-stopped new=stopped "$(tail -n 1 /tmp/transitions | cut -d' ' -f2)"
check_eq stopped-refused-is-dropped-delta 2 "$(nrecs kth_post state ' result=refused-stopped$')"
check_eq stopped-posted-refused "$(range $((p0 + 1)) $((p0 + 2)))" \
	"$(recs kth_post state | grep ' result=refused-stopped$' | field seq | list)"

# 4. kth_helper (started then exited, failed: ENOENT, refused: EPERM,
# suppressed with the count since the last run) and kth_uevent
make_recorder $KTH_HELPERS/kth-record /tmp/rec
gone=$(printf '#!/bin/sh\nexit 0\n' | make_helper kth-gone)
unsafe=$(printf '#!/bin/sh\nexit 0\n' | make_helper kth-unsafe)
kth_insmod kth_selftest run_tests=0 uevent=1 helper=$KTH_HELPERS/kth-record || { not_ok load-helper "insmod failed"; exit 1; }
r0=0; f0=0; s0=0; h0=$(sysfs_get $T handled)
ended() { attr_is $T helper_running 0 && attr_is $T helper_pending 0; }
trace_on
echo "hlp 2" >$D/trigger
check helper-runs-2 wait_for 10 attr_is $T helper_runs 2
# a helper gone when it is to run (set, then removed): failed, -ENOENT
echo "$gone" >$D/helper
rm -f "$gone"
echo "nohelper 1" >$D/trigger
check helper-fails-1 wait_for 10 attr_is $T helper_failures 1
# a helper made unsafe after it was set (writable by others): refused
echo "$unsafe" >$D/helper
chmod 0757 "$unsafe"
echo "unsafe 1" >$D/trigger
check helper-fails-2 wait_for 10 attr_is $T helper_failures 2
echo $KTH_HELPERS/kth-record >$D/helper
echo 1 >$D/helper_rate
echo 2 >$D/helper_burst
echo "burst 6" >$D/trigger
check helper-handled-10 wait_for 10 attr_is $T handled $((h0 + 10))
check helper-runs-ended wait_for 10 ended
trace_off helper
# the outcome records: one per event, whatever the order they came in
outcome=' result=(exited|exited-nonzero|killed|timeout|failed|refused|not-run|suppressed|dropped) '
check_eq helper-started-is-runs-delta "$(delta helper_runs $r0)" "$(nrecs kth_helper helper ' result=started err=0 status=0$')"
check_eq helper-exited-is-runs-delta "$(delta helper_runs $r0)" "$(nrecs kth_helper helper ' result=exited err=0 status=0$')"
check_eq helper-failed-and-refused-are-failures-delta "$(delta helper_failures $f0)" \
	"$(($(nrecs kth_helper helper ' result=failed ') + $(nrecs kth_helper helper ' result=refused ')))"
check_eq helper-failed-enoent "1 1" "$(nrecs kth_helper helper ' event=nohelper result=failed err=-2 status=0$') $(sysfs_get $T helper_exec_enoent)"
check_eq helper-refused-eperm "1 1" "$(nrecs kth_helper helper ' event=unsafe result=refused err=-1 status=0$') $(sysfs_get $T helper_refused)"
check_eq helper-failed-and-refused-never-started "" "$(recs kth_helper helper | grep -E ' event=(nohelper|unsafe) result=started ')"
check_eq helper-suppressed-is-suppressed-delta "$(delta helper_suppressed $s0)" "$(nrecs kth_helper helper ' result=suppressed err=0 ')"
check helper-some-suppressed [ "$(delta helper_suppressed $s0)" -ge 1 ]
check_eq helper-one-outcome-per-event "$(recs kth_handle_end helper | field seq | sort -n | list)" \
	"$(recs kth_helper helper | grep -E "$outcome" | field seq | sort -n | list)"
check_eq helper-started-then-exited "" "$(recs kth_helper helper | awk '
	{ s = $3; r = $5 }
	r == "result=started" { if (s in started) print "twice: " $0; started[s] = 1 }
	r == "result=exited" { if (!(s in started)) print "no start: " $0; delete started[s] }
	END { for (s in started) print "no end: " s }' | list)"
# a suppressed record counts the runs suppressed since the last one (in
# seq order: a start is traced when its work runs, maybe after the next
# event was already suppressed)
check_eq helper-suppressed-status-counts "" "$(recs kth_helper helper | grep ' event=burst ' | awk '
	{ s = substr($3, 5) + 0; r = substr($5, 8); st = substr($7, 8) + 0
	  if (r == "started") ran[s] = 1; else if (r == "suppressed") { sup[s] = st; n++ }
	  if (NR == 1 || s < lo) lo = s; if (s > hi) hi = s }
	END { for (s = lo; s <= hi; s++) {
		if (s in ran) c = 0
		else if (s in sup) { c++; if (sup[s] != c) print "seq " s ": status=" sup[s] ", want " c }
		else print "seq " s ": neither started nor suppressed" } }' | list)"
check_eq uevent-sent-per-event "hlp*2 nohelper*1 unsafe*1 burst*6 " "$(recs kth_uevent helper | grep ' result=sent err=0$' | field event | uniq -c | awk '{ printf "%s*%s ", $2, $1 }')"
check_eq uevent-seqs "$(recs kth_handle_end helper | field seq | list)" "$(recs kth_uevent helper | field seq | list)"

# 5. the histograms: 5 events of a 20 ms handler (msleep: 20..24 ms with
# HZ=250) land in [16777216, 33554432) and none below; a late timer under
# TCG on a loaded host (35 ms seen) may put some in the next bucket, which
# hist_check's exact comparison with the records covers.  SIGUSR1 reports
# them; `reset` (here while paused) clears them
echo >$D/helper
echo reset >$D/control
echo 20 >$P/delay_ms
h0=$(sysfs_get $T handled)
trace_on
echo "slow 5" >$D/trigger
check slow-handled-5 wait_for 10 attr_is $T handled $((h0 + 5))
trace_off slow
echo 0 >$P/delay_ms
hist_check slow wait
hist_check slow handle
echo "# handle_hist: $(list <$D/handle_hist)"
check_eq slow-handle-lowest-bucket-16-33ms "16777216 33554432" "$(head -n 1 $D/handle_hist | cut -d' ' -f1,2)"
check_eq slow-handle-each-at-least-20ms "" "$(recs kth_handle_end slow | field handle_ns | awk '$1 < 20000000' | list)"
check slow-wait_max_ns-4-handlers [ "$(sysfs_get $T wait_max_ns)" -ge 80000000 ]
dmesg_mark
kill -USR1 "$(thread_pid $T)"
wait_for 5 sh -c "dmesg | grep -q '$T: SIGUSR1: .*handle_max_ns='"
line=$(dmesg_since_mark | grep "$T: SIGUSR1: ")
echo "# $line"
for f in wait_p99_ns wait_max_ns handle_p99_ns handle_max_ns; do
	check_eq "sigusr1-$f" "$(sysfs_get $T $f)" "$(echo "$line" | field $f)"
done
p1=$(sysfs_get $T posted); h1=$(sysfs_get $T handled)
echo pause >$D/control
echo reset >$D/control
check_eq reset-clears-hists "" "$(cat $D/wait_hist $D/handle_hist)"
check_eq reset-clears-figures "0 0 0 0 0 0" "$(for f in wait_p50_ns wait_p99_ns wait_max_ns \
	handle_p50_ns handle_p99_ns handle_max_ns; do sysfs_get $T $f; done | list | sed 's/ $//')"
check_eq reset-keeps-counters "$p1 $h1" "$(sysfs_get $T posted) $(sysfs_get $T handled)"
echo resume >$D/control

# every event fired, every record has the fields of its format
fields_check kth_post "seq=[0-9]+ len=$LEN result=(queued|evicted-oldest|refused-full|refused-stopped)"
fields_check kth_wakeup 'depth=[0-9]+'
fields_check kth_handle_start 'seq=[0-9]+ wait_ns=[0-9]+'
fields_check kth_handle_end 'seq=[0-9]+ wait_ns=[0-9]+ handle_ns=[0-9]+'
fields_check kth_state "old=($STATES) new=($STATES) cause=(api|sysfs|signal|freezer|thread) sig=[0-9]+"
fields_check kth_helper 'seq=[0-9]+ event=[a-z]+ result=(started|exited|exited-nonzero|killed|timeout|failed|refused|not-run|suppressed|dropped|deferred|waited) err=(0|-[0-9]+) status=[0-9]+'
fields_check kth_uevent 'seq=[0-9]+ event=[a-z]+ result=(sent|failed) err=(0|-[0-9]+)'
check rmmod-kth_selftest kth_rmmod kth_selftest
check rmmod-kthelper kth_rmmod kthelper
