#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# helper-outcomes - every user-mode helper run ends in exactly one counted
# and traced outcome (issue 24), with kth_selftest and the kth_helper
# tracepoint (tracefs, no trace-cmd):
#  1. bad helper_timeout_ms / helper_max_running / helper_max_pending are
#     refused, change nothing, log one line;
#  2. helpers that exit 0, exit 3, kill themselves (SIGKILL, SIGTERM),
#     hang past helper_timeout_ms, are removed after they were set
#     (ENOENT), are no executable format (ENOEXEC) and sit on a noexec
#     mount (EACCES): after each run the whole set of counters changed by
#     exactly that outcome; one trace record per outcome, with its
#     status/err, after a `started` where the exec was tried;
#  3. unsafe helpers are refused when set (a world-writable directory, a
#     file owned by uid 65534; at load too) and at run time (a directory
#     or the file made writable, or chowned, after the helper was set:
#     counted refused, traced refused err=-1, the helper does not run);
#  4. a storm over the rate limit: every run's environment and uevent
#     carry KTH_SUPPRESSED=<runs suppressed since the last run>, exactly;
#  5. a storm of slow helpers with helper_max_running=2 and
#     helper_max_pending=3: never more than 2 at once, 3 waited, the rest
#     dropped;
#  6. (pm_test) events posted as a freezer cycle begins: their runs are
#     deferred, run after the thaw in order; a cycle with hanging
#     helpers outstanding finishes within the timeout and kills them;
#  7. stop, SIGKILL then rmmod, and rmmod, each with hanging helpers
#     outstanding, finish within helper_timeout_ms + 1.5 s; the hangs are
#     killed and counted as timeouts.
# After each part: every attempt so far ended in exactly one outcome.
# Parts 5-7 are in lib-helper-bounds.sh, the helpers and the tools that
# read counters and trace records in lib-helper.sh (both sourced: one
# boot).
# The measured times are printed as "# " lines.
#
# kth-vm: --timeout 240
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
P=/sys/module/kth_selftest/parameters
H=$KTH_HELPERS
SLACK_MS=$(slow_ms 1500)	# the bounds' slack, times KTH_SLOW like the timeouts
T_BEGIN=$(_kth_uptime_cs)

tracefs

# shellcheck source=tests/guest/lib-helper.sh
. /scenarios/lib-helper.sh

# --- load ----------------------------------------------------------------
kth_insmod kthelper && kth_insmod $T run_tests=0 uevent=1 helper_burst=1000 helper_rate=1000 ||
	{ not_ok load "insmod failed"; exit 1; }
if [ ! -d $TR/events/kthelper/kth_helper ]; then
	not_ok events-registered "no $TR/events/kthelper/kth_helper (a module with taints other than O/E/C gets its tracepoints disabled: $(cat /proc/sys/kernel/tainted))"
	exit 1
fi
runner=$(sysfs_get $T helper_runner)
echo "# helper_runner: $runner"
case $runner in
direct) ;;
none)
	dmesg_mark
	check set-helper-refused-no-umh sh -c "! echo $H/kth-exit0 >$D/helper"
	check set-helper-refused-no-umh-logged logged "$T: helper $H/kth-exit0 refused: this kernel runs no user-mode helpers"
	skip helper-outcomes "this kernel runs no user-mode helpers (CONFIG_STATIC_USERMODEHELPER with an empty path)"
	kth_rmmod $T; kth_rmmod kthelper
	exit 0 ;;
*)
	skip helper-outcomes "helper runs go to this kernel's dispatcher (CONFIG_STATIC_USERMODEHELPER_PATH): the outcomes are its"
	kth_rmmod $T; kth_rmmod kthelper
	exit 0 ;;
esac
check_eq default-helper_timeout_ms 10000 "$(sysfs_get $T helper_timeout_ms)"
check_eq default-helper_max_running 4 "$(sysfs_get $T helper_max_running)"
check_eq default-helper_max_pending 64 "$(sysfs_get $T helper_max_pending)"

# --- 1. bad limits: refused, unchanged, one log line --------------------------
bad_limit() { # ATTR VALUE LOG
	_before=$(sysfs_get $T "$1")
	dmesg_mark
	if echo "$2" >$D/"$1" 2>/dev/null; then _w=accepted; else _w=refused; fi
	check_eq "bad-$1-$2-refused" refused $_w
	check_eq "bad-$1-$2-unchanged" "$_before" "$(sysfs_get $T "$1")"
	check_eq "bad-$1-$2-one-log-line" "1 1" \
		"$(dmesg_since_mark | grep -c "$T: ") $(dmesg_since_mark | grep -cF "$T: $3")"
}
bad_limit helper_timeout_ms 9 "helper_timeout_ms must be 10..60000"
bad_limit helper_timeout_ms 60001 "helper_timeout_ms must be 10..60000"
bad_limit helper_timeout_ms abc "helper_timeout_ms takes a number"
bad_limit helper_max_running 0 "helper_max_running must be 1..64"
bad_limit helper_max_running 65 "helper_max_running must be 1..64"
bad_limit helper_max_pending 0 "helper_max_pending must be 1..4096"
bad_limit helper_max_pending 4097 "helper_max_pending must be 1..4096"
good_limit() { # ATTR VALUE
	echo "$2" >$D/"$1" 2>/dev/null
	check_eq "good-$1-$2" "$2" "$(sysfs_get $T "$1")"
}
good_limit helper_timeout_ms 60000
good_limit helper_timeout_ms 10
good_limit helper_max_running 64
good_limit helper_max_pending 4096
good_limit helper_max_pending 64
good_limit helper_max_running 4
good_limit helper_timeout_ms 1000
HT=$(slow_ms 1000)	# part 2's timeout, 1 s times KTH_SLOW
echo $HT >$D/helper_timeout_ms

# --- 2. the outcomes, one at a time ----------------------------------------
# outcome NAME HELPER EVENT DELTA: one event with HELPER; afterwards the
# counters changed by exactly DELTA.
outcome() {
	set_helper "$2"
	_s0=$(snap)
	trig "$3" 1
	wait_for 10 delta_is "$_s0" "$4"
	check_eq "$1-counters" "$4" "$(delta "$_s0")"
}
trace_on
dmesg_mark
outcome exit-0 $H/kth-exit0 ok "runs=1 exited=1"
outcome exit-3 $H/kth-exit3 three "runs=1 exited_nonzero=1"
check_eq exit-3-last_exit 3 "$(sysfs_get $T helper_last_exit)"
outcome self-sigkill $H/kth-selfkill kill "runs=1 killed=1"
check_eq self-sigkill-last_signal 9 "$(sysfs_get $T helper_last_signal)"
outcome self-sigterm $H/kth-selfterm term "runs=1 killed=1"
check_eq self-sigterm-last_signal 15 "$(sysfs_get $T helper_last_signal)"
t0=$(_kth_uptime_cs)
outcome hang-1000ms $H/kth-hang hang "runs=1 timeouts=1"
echo "# a helper that hangs, helper_timeout_ms $HT: its timeout counted $(ms_since "$t0") ms after the event"
check_eq hang-killed 0 "$(nalive hang)"
check hang-logged logged "$T: helper $H/kth-hang for event 5 killed after $HT ms"
set_helper $H/kth-gone
rm -f $H/kth-gone
_s0=$(snap)
trig gone 1
wait_for 10 delta_is "$_s0" "failures=1 exec_failed=1 exec_enoent=1"
check_eq removed-enoent-counters "failures=1 exec_failed=1 exec_enoent=1" "$(delta "$_s0")"
check removed-enoent-logged logged "$T: helper $H/kth-gone refused: cannot be found: -2"
check removed-enoent-no-start-failure-line not_logged "helper $H/kth-gone failed to start"
outcome noformat-enoexec $H/kth-noformat noexec "failures=1 exec_failed=1 exec_enoexec=1"
check noformat-enoexec-logged logged "$T: helper $H/kth-noformat failed to start: -8"
NX=/mnt/kth-noexec
mkdir -p $NX
chmod 0755 /mnt
if mount -t tmpfs -o noexec,mode=0755 tmpfs $NX; then
	printf '#!/bin/sh\nexit 0\n' >$NX/kth-ok
	chmod 0755 $NX/kth-ok
	outcome noexec-mount-eacces $NX/kth-ok eacces "failures=1 exec_failed=1 exec_eacces=1"
	check noexec-mount-eacces-logged logged "$T: helper $NX/kth-ok failed to start: -13"
	EACCES_RECS="8 eacces started 0 0;8 eacces failed -13 0;"
else
	skip noexec-mount-eacces "cannot mount a noexec tmpfs at $NX"
	EACCES_RECS=
fi
check_eq outcomes-last_exit-last_signal "3 15" "$(sysfs_get $T helper_last_exit) $(sysfs_get $T helper_last_signal)"
trace_read outcomes
check_eq outcomes-trace-records "1 ok started 0 0;1 ok exited 0 0;\
2 three started 0 0;2 three exited-nonzero 0 3;\
3 kill started 0 0;3 kill killed 0 9;\
4 term started 0 0;4 term killed 0 15;\
5 hang started 0 0;5 hang timeout 0 9;\
6 gone failed -2 0;\
7 noexec started 0 0;7 noexec failed -8 0;$EACCES_RECS" \
	"$(grep '^H ' /tmp/outcomes | cut -d' ' -f2- | list)"
every_attempt outcomes

# --- 3. unsafe helpers -----------------------------------------------------
# at set time: refused with EPERM, unchanged, the offender and its mode logged
printf '#!/bin/sh\nexit 0\n' >/tmp/kth-ww
chmod 0755 /tmp/kth-ww
mkdir -p $H/ww
printf '#!/bin/sh\nexit 0\n' >$H/ww/h
chmod 0755 $H/ww/h
chmod 0777 $H/ww
printf '#!/bin/sh\nexit 0\n' | make_helper kth-nobody >/dev/null
chown 65534 $H/kth-nobody
refuse_set() { # NAME PATH WHY
	_before=$(sysfs_get $T helper)
	dmesg_mark
	_err=$( (echo "$2" >$D/helper) 2>&1)
	check_eq "$1-set-refused-eperm" yes "$(echo "$_err" | grep -q 'Operation not permitted' && echo yes)"
	check_eq "$1-set-unchanged" "$_before" "$(sysfs_get $T helper)"
	check_eq "$1-set-logged-once" 1 "$(dmesg_since_mark | grep -cF "$T: helper $2 refused: $3")"
}
refuse_set world-writable-tmp /tmp/kth-ww "directory /tmp is owned by uid 0 with mode 1777"
refuse_set world-writable-dir $H/ww/h "directory $H/ww is owned by uid 0 with mode 0777"
refuse_set non-root-owner $H/kth-nobody "the file is owned by uid 65534 with mode 0755"

# at run time: the file or a directory changed after the helper was set
mkdir -p $H/rt
chmod 0755 $H/rt
printf '#!/bin/sh\necho "$KTH_EVENT" >>/tmp/rt.log\n' >$H/rt/h
chmod 0755 $H/rt/h
set_helper $H/rt/h
refuse_run() { # NAME EVENT WHY
	_s0=$(snap)
	dmesg_mark
	trig "$2" 1
	wait_for 10 delta_is "$_s0" "failures=1 refused=1"
	check_eq "$1-run-refused-counted" "failures=1 refused=1" "$(delta "$_s0")"
	check "$1-run-refused-logged" logged "$T: helper $H/rt/h refused: $3"
}
trace_on
seq0=$(sysfs_get $T posted)
chmod 0777 $H/rt
refuse_run dir-made-writable rtdir "directory $H/rt is owned by uid 0 with mode 0777"
chmod 0755 $H/rt
chmod 0775 $H/rt/h
refuse_run file-made-group-writable rtfile "the file is owned by uid 0 with mode 0775"
chmod 0755 $H/rt/h
chown 65534 $H/rt/h
refuse_run file-chowned rtowner "the file is owned by uid 65534 with mode 0755"
chown 0 $H/rt/h
chmod 0755 $H/rt/h
_s0=$(snap)
trig rtok 1
check made-safe-again-runs wait_for 10 delta_is "$_s0" "runs=1 exited=1"
check_eq refused-helpers-never-ran "rtok;" "$(cat /tmp/rt.log 2>/dev/null | list)"
trace_read unsafe
check_eq unsafe-trace-records "$((seq0 + 1)) rtdir refused -1 0;$((seq0 + 2)) rtfile refused -1 0;\
$((seq0 + 3)) rtowner refused -1 0;$((seq0 + 4)) rtok started 0 0;$((seq0 + 4)) rtok exited 0 0;" \
	"$(grep '^H ' /tmp/unsafe | cut -d' ' -f2- | list)"
every_attempt unsafe

# --- 4. KTH_SUPPRESSED: a storm over the rate limit -------------------------
rm -rf /tmp/rec
mkdir -p /tmp/rec
set_helper $H/kth-rec
echo 1 >$D/helper_rate
echo 2 >$D/helper_burst		# the bucket full: 2 runs, then 1 a second
seq0=$(sysfs_get $T posted)
sup0=$(sysfs_get $T helper_suppressed)
h0=$(sysfs_get $T handled)
kth-uevent-listen kthelper 11 30 >/tmp/uev 2>/tmp/uev.err &
lpid=$!
wait_for 10 grep -q ready /tmp/uev.err
trace_on
trig storm 10
wait_for 10 attr_is $T handled $((h0 + 10))
sleep 1.1	# the rate limit (under test) lets one more through
trig after 1
check suppressed-storm-handled wait_for 10 attr_is $T handled $((h0 + 11))
wait $lpid
check_eq suppressed-uevents-received 0 $?
wait_for 10 idle
trace_read supp
last=$((seq0 + 11))
# By the trace, in seq order: each event either suppressed (its status:
# the suppressed since the last run, counting up) or run; what a run's
# environment and uevent must carry: "SEQ:N" (KTH_SUPPRESSED=N), "SEQ:-"
# (none); a suppressed event: no run ("SEQ:none"), a uevent without it.
for q in $(range $((seq0 + 1)) $last); do grep -m 1 "^H $q " /tmp/supp; done >/tmp/supp.first
awk -v out=/tmp/supp.uev '
	$4 == "suppressed" {
		c++
		if ($6 != c) bad = bad " " $2 ":status=" $6 "/" c
		print $2 ":none"; print $2 ":-" >out; next
	}
	{ v = c ? c : "-"; print $2 ":" v; print $2 ":" v >out; c = 0 }
	END { if (bad != "") print "bad-status" bad }' /tmp/supp.first >/tmp/supp.env
check_eq suppressed-trace-one-first-record-per-event 11 "$(grep -c . /tmp/supp.first)"
nsupp=$(grep -c ' suppressed ' /tmp/supp.first)
check_eq suppressed-counter-is-records "$nsupp" $(($(sysfs_get $T helper_suppressed) - sup0))
check suppressed-some-in-storm [ "$nsupp" -ge 1 ]
check_eq suppressed-status-counts-up "" "$(grep '^bad-status' /tmp/supp.env)"
env_supp() { # SEQ: KTH_SUPPRESSED in its run's environment
	if [ ! -f /tmp/rec/$1.env ]; then
		echo "$1:none"
	else
		echo "$1:$(sed -n 's/^KTH_SUPPRESSED=//p' /tmp/rec/$1.env | grep . || echo -)"
	fi
}
check_eq suppressed-helper-env-exact "$(list </tmp/supp.env)" \
	"$(for q in $(range $((seq0 + 1)) $last); do env_supp $q; done | list)"
check_eq suppressed-uevent-exact "$(list </tmp/supp.uev)" "$(awk '
	/^KTH_SEQ=/ { s = substr($0, 9) }
	/^KTH_SUPPRESSED=/ { v = substr($0, 16) }
	/^--$/ { print s ":" (v == "" ? "-" : v); s = ""; v = "" }' /tmp/uev | list)"
after=$(env_supp $last)
check_eq suppressed-next-run-carries-count "$last:$(tail -n 1 /tmp/supp.env | cut -d: -f2)" "$after"
check suppressed-next-run-nonzero [ "${after#*:}" -ge 1 ] 2>/dev/null
echo "# rate limit burst 2, 1/s: a storm of 10 then 1 a second later: $((11 - nsupp)) ran, $nsupp suppressed; the next run got KTH_SUPPRESSED=${after#*:}"
echo 1000 >$D/helper_rate
echo 1000 >$D/helper_burst
every_attempt suppressed

# parts 5-7
# shellcheck source=tests/guest/lib-helper-bounds.sh
. /scenarios/lib-helper-bounds.sh

# an unsafe helper refused at load
dmesg_mark
check load-unsafe-helper-refused sh -c "! insmod $KTH_MODDIR/$T.ko run_tests=0 helper=/tmp/kth-ww 2>/dev/null"
check load-unsafe-helper-logged logged "$T: helper /tmp/kth-ww refused: directory /tmp is owned by uid 0 with mode 1777"
[ ! -d $D ] || kth_rmmod $T

umount $NX 2>/dev/null
check rmmod-kthelper kth_rmmod kthelper
echo "# the scenario took $(ms_since "$T_BEGIN") ms in the guest"
