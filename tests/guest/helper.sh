#!/bin/sh
# The user-mode helper sink: environment, argv, sanitising, a helper
# refused when it is set, a helper gone by the time it runs, the
# outcome counters, rate limit and KTH_SUPPRESSED, and a helper that
# never exits (killed at helper_timeout_ms, by rmmod's wait too).
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
mkdir -p /tmp/rec
make_helper kth-record >/dev/null <<'EOS'
#!/bin/sh
env | sort >/tmp/rec/$KTH_SEQ.env.tmp
echo "$0 $*" >/tmp/rec/$KTH_SEQ.argv
mv /tmp/rec/$KTH_SEQ.env.tmp /tmp/rec/$KTH_SEQ.env
EOS
# exec: the pid it records is the process the kernel must kill
printf '#!/bin/sh\necho $$ >>/tmp/hang.pids\nexec sleep 100000\n' | make_helper kth-hang >/dev/null

# write_fails FILE VALUE ERRTEXT: writing VALUE to FILE fails, with the
# error ERRTEXT (strerror's words, as the shell reports them).
write_fails() {
	if echo "$2" 2>/tmp/write.err >"$1"; then
		echo "writing '$2' to $1 succeeded"
		return 1
	fi
	grep -q "$3" /tmp/write.err || { echo "error: $(cat /tmp/write.err)"; return 1; }
}
# logged PATTERN: a kernel log line since the last dmesg_mark matches.
logged() { dmesg_since_mark | grep -q "$1"; }
# ended: every run handed out has ended (its outcome is counted).
ended() { attr_is $T helper_running 0 && attr_is $T helper_pending 0; }
# outcomes: the outcome counters, "name=value ..." for the nonzero ones.
outcomes() {
	for a in exited exited_nonzero killed timeouts exec_failed refused \
		 not_run suppressed dropped; do
		v=$(sysfs_get $T helper_$a)
		[ "$v" = 0 ] || printf '%s=%s ' "$a" "$v"
	done
}

kth_insmod kthelper && kth_insmod kth_selftest run_tests=0 helper=$KTH_HELPERS/kth-record ||
	{ not_ok load "insmod failed"; exit 1; }
check_eq helper-from-param $KTH_HELPERS/kth-record "$(sysfs_get $T helper)"
check_eq helper_runner-direct direct "$(sysfs_get $T helper_runner)"

# shellcheck disable=SC2016 # a hostile note, on purpose not expanded
echo 'add 1 $(reboot);`id`|x&y>z"q' >$D/trigger
check helper-ran wait_for 10 [ -f /tmp/rec/1.env ]
env1=$(cat /tmp/rec/1.env 2>/dev/null)
has() { echo "$env1" | grep -qxF "$1"; }
check env-ACTION has "ACTION=add"
check env-KTH_EVENT has "KTH_EVENT=add"
check env-KTH_THREAD has "KTH_THREAD=$T"
check env-KTH_SEQ has "KTH_SEQ=1"
check env-HOME has "HOME=/"
check env-PATH has "PATH=/sbin:/bin:/usr/sbin:/usr/bin"
check env-note-sanitised has 'SELFTEST_NOTE=__reboot___id__x_y_z_q'
check env-timestamp sh -c "echo '$env1' | grep -qE '^SELFTEST_TIMESTAMP=[0-9]+$'"
check_eq env-no-KTH_SUPPRESSED-without-suppression "" "$(echo "$env1" | grep '^KTH_SUPPRESSED=')"
check_eq argv-is-helper-and-event "$KTH_HELPERS/kth-record add" "$(cat /tmp/rec/1.argv 2>/dev/null)"
check_eq env-no-other-vars 8 "$(echo "$env1" | grep -cvE '^(PWD|SHLVL|_)=')"
# counted when the run ends, which is after the recorder wrote its file
check run-1-ends wait_for 10 ended
check_eq helper_runs-counted 1 "$(sysfs_get $T helper_runs)"
check_eq outcome-exited-1 "exited=1 " "$(outcomes)"

# events in order, each exactly once
echo "change 5" >$D/trigger
all_six() { for i in 1 2 3 4 5 6; do [ -f /tmp/rec/$i.env ] || return 1; done; }
check helper-runs-for-each wait_for 10 all_six
seqs=$(ls /tmp/rec | sed -n 's/\.env$//p' | sort -n | tr '\n' ' ')
check_eq helper-each-seq-once "1 2 3 4 5 6 " "$seqs"
check runs-6-end wait_for 10 ended
check_eq helper_runs-6 6 "$(sysfs_get $T helper_runs)"
check_eq outcome-exited-6 "exited=6 " "$(outcomes)"

# a helper that does not exist is refused when it is set: -ENOENT, a
# log line, nothing changes
dmesg_mark
check helper-missing-refused-ENOENT write_fails $D/helper /nonexistent/helper "No such file or directory"
check_eq helper-missing-not-set $KTH_HELPERS/kth-record "$(sysfs_get $T helper)"
check helper-missing-logged logged "$T: helper /nonexistent/helper refused: cannot be found: -2"

# a helper gone by the time it runs: exec failed, ENOENT, counted
gone=$(printf '#!/bin/sh\nexit 0\n' | make_helper kth-gone)
check helper-gone-set sh -c "echo '$gone' >$D/helper"
check_eq helper-gone-is-set "$gone" "$(sysfs_get $T helper)"
rm -f "$gone"
dmesg_mark
echo "add" >$D/trigger
check helper-gone-failure-counted wait_for 10 attr_is $T helper_failures 1
check helper-gone-ended wait_for 10 ended
check_eq helper-gone-exec_failed 1 "$(sysfs_get $T helper_exec_failed)"
check_eq helper-gone-exec_enoent 1 "$(sysfs_get $T helper_exec_enoent)"
check_eq helper-gone-outcomes "exited=6 exec_failed=1 " "$(outcomes)"
check_eq helper-gone-not-a-run 6 "$(sysfs_get $T helper_runs)"
check helper-gone-logged logged "$T: helper $gone refused: cannot be found: -2"
check_eq helper-gone-no-failed-to-start "" "$(dmesg_since_mark | grep 'failed to start')"

# turned off: nothing runs
echo >$D/helper
echo "add" >$D/trigger
check off-handled wait_for 10 attr_is $T handled 8
check_eq helper-off-no-run 6 "$(sysfs_get $T helper_runs)"
check_eq helper-off-nothing-counted "exited=6 exec_failed=1 " "$(outcomes)"

# a helper that never exits blocks neither the thread nor unload: it is
# killed at helper_timeout_ms and counted as a timeout.  Bounds on how
# late: 3 s over; the timeouts and the bound times KTH_SLOW (make
# check-debug's sanitizer kernels)
slack=$((300 * KTH_SLOW))	# centiseconds
ht=$(slow_ms 2000)
echo $ht >$D/helper_timeout_ms
check_eq helper_timeout_ms-set $ht "$(sysfs_get $T helper_timeout_ms)"
echo $KTH_HELPERS/kth-hang >$D/helper
dmesg_mark
t0=$(_kth_uptime_cs)
echo "add" >$D/trigger
check hanging-helper-started wait_for 10 [ -s /tmp/hang.pids ]
hang1=$(head -n 1 /tmp/hang.pids)
check hanging-helper-timed-out wait_for 20 attr_is $T helper_timeouts 1
t1=$(_kth_uptime_cs)
echo "# hanging helper killed $((t1 - t0))0 ms after its trigger (helper_timeout_ms $ht)"
# (a timer may fire a jiffy early; uptime counts in 10 ms)
check hanging-helper-not-killed-early [ $((t1 - t0)) -ge $((ht / 10 - 5)) ]
check hanging-helper-killed-in-time [ $((t1 - t0)) -le $((ht / 10 + slack)) ]
check hanging-helper-ended wait_for 10 ended
check hanging-helper-gone sh -c "! kill -0 $hang1 2>/dev/null"
check_eq hanging-helper-outcomes "exited=6 timeouts=1 exec_failed=1 " "$(outcomes)"
check_eq hanging-helper-is-a-run 7 "$(sysfs_get $T helper_runs)"
check hanging-helper-logged logged "$T: helper $KTH_HELPERS/kth-hang for event 9 killed after $ht ms"

# unload with three of them hanging (a timeout of 3 s now): rmmod waits
# for them, at most about the timeout, and they are gone when it returns
ht=$(slow_ms 3000)
echo $ht >$D/helper_timeout_ms
: >/tmp/hang.pids
dmesg_mark
echo "add 3" >$D/trigger
check thread-not-blocked-by-helper wait_for 10 attr_is $T handled 12
check hanging-helpers-3-started wait_for 10 sh -c "[ \$(wc -l </tmp/hang.pids) -eq 3 ]"
check_eq hanging-helpers-3-running 3 "$(sysfs_get $T helper_running)"
# alive PID...: all of them are; dead PID...: none is
alive() { for _p in "$@"; do kill -0 "$_p" 2>/dev/null || return 1; done; }
dead() { for _p in "$@"; do ! kill -0 "$_p" 2>/dev/null || return 1; done; }
pids=$(cat /tmp/hang.pids)
# shellcheck disable=SC2086 # the pids are words
check hanging-helpers-alive-before-rmmod alive $pids
t0=$(_kth_uptime_cs)
# (no kmemleak scan in this rmmod's time: tests/guest/rmmod)
check rmmod-with-helpers-hanging env KTH_KMEMLEAK_SCAN=0 timeout 20 rmmod kth_selftest
t1=$(_kth_uptime_cs)
echo "# rmmod with 3 hanging helpers took $((t1 - t0))0 ms (helper_timeout_ms $ht)"
check rmmod-within-about-the-timeout [ $((t1 - t0)) -le $((ht / 10 + slack)) ]
# shellcheck disable=SC2086
check hanging-helpers-gone-after-rmmod dead $pids
check_eq rmmod-hanging-helpers-killed-logged 3 \
	"$(dmesg_since_mark | grep -c "$T: helper $KTH_HELPERS/kth-hang for event 1[012] killed after $ht ms")"

# rate limit: a burst of 3, then 1 per second; the rest suppressed, and
# the next run after suppressed ones gets KTH_SUPPRESSED=<how many>
rm -rf /tmp/rec; mkdir -p /tmp/rec
kth_insmod kth_selftest run_tests=0 helper=$KTH_HELPERS/kth-record helper_burst=3 helper_rate=1 ||
	not_ok load-ratelimited "insmod failed"
echo "add 20" >$D/trigger
check rate-limited-all-handled wait_for 10 attr_is $T handled 20
check rate-limited-runs-ended wait_for 10 ended
runs=$(sysfs_get $T helper_runs)
supp=$(sysfs_get $T helper_suppressed)
echo "# rate limit: $runs runs, $supp suppressed of 20"
check_eq runs-plus-suppressed 20 $((runs + supp))
check rate-limit-bounds sh -c "[ '$runs' -ge 3 ] && [ '$runs' -le 5 ]"
check_eq rate-limited-outcomes "exited=$runs suppressed=$supp " "$(outcomes)"
check_eq rate-limited-a-file-per-run "$runs" "$(find /tmp/rec -name '*.env' | grep -c .)"
# each run's KTH_SUPPRESSED: the runs suppressed since the one before
# (none: absent); what is suppressed after the last run is still owed
suppressed_ok() { # FIRST LAST: check seqs FIRST..LAST; prints what is owed
	awk -v first="$1" -v last="$2" -v dir=/tmp/rec 'BEGIN {
		for (i = first; i <= last; i++) {
			f = dir "/" i ".env"; got = ""; ran = 0
			while ((getline l <f) > 0) {
				ran = 1
				if (l ~ /^KTH_SUPPRESSED=/) got = substr(l, 16)
			}
			close(f)
			if (!ran) { owed++; continue }
			want = owed ? owed : ""
			if (got != want) { print "seq " i ": KTH_SUPPRESSED=\"" got "\", want \"" want "\""; bad = 1 }
			owed = 0
		}
		if (!bad) print owed + 0
	}'
}
owed=$(suppressed_ok 1 20)
case $owed in
''|*[!0-9]*) not_ok rate-limited-KTH_SUPPRESSED-each-run "$owed" ;;
*) ok rate-limited-KTH_SUPPRESSED-each-run ;;
esac
echo "# KTH_SUPPRESSED: $(cat /tmp/rec/*.env | grep -c '^KTH_SUPPRESSED='), $owed suppressed after the last run"
# a token comes back 1 s after the last one was taken: one run more,
# which carries what is owed (nothing: no KTH_SUPPRESSED)
sleep 1.2
echo "add 1" >$D/trigger
check rate-limited-one-more-runs wait_for 10 [ -f /tmp/rec/21.env ]
check rate-limited-one-more-ended wait_for 10 ended
want=
[ "$owed" = 0 ] || want="KTH_SUPPRESSED=$owed"
check_eq rate-limited-KTH_SUPPRESSED-after-a-pause "$want" \
	"$(grep '^KTH_SUPPRESSED=' /tmp/rec/21.env 2>/dev/null)"
check_eq rate-limited-KTH_SUPPRESSED-adds-up "$(sysfs_get $T helper_suppressed)" \
	"$(cat /tmp/rec/*.env | sed -n 's/^KTH_SUPPRESSED=//p' | awk '{ n += $1 } END { print n + 0 }')"
check rmmod kth_rmmod kth_selftest
check rmmod-kthelper kth_rmmod kthelper
