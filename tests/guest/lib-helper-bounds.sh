#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lib-helper-bounds.sh - parts 5 to 7 of helper-outcomes.sh, sourced by it
# (not a scenario): the concurrency bound under a storm, a system sleep
# with runs deferred and hangs outstanding, and stop, SIGKILL and rmmod
# with hanging helpers.  Uses lib-helper.sh's tools.

# shellcheck source=tests/guest/lib-tcg-hold.sh
. /scenarios/lib-tcg-hold.sh

HT2=$(slow_ms 2000)	# parts 5-7's timeout, 2 s times KTH_SLOW

# --- 5. the concurrency bound under a storm ---------------------------------
set_helper $H/kth-conc
echo 2 >$D/helper_max_running
echo 3 >$D/helper_max_pending
echo $HT2 >$D/helper_timeout_ms
seq0=$(sysfs_get $T posted)
_s0=$(snap)
trace_on
trig conc 10
wait_for 20 delta_is "$_s0" "runs=5 exited=5 dropped=5 waited=3"
check_eq storm-counters "runs=5 exited=5 dropped=5 waited=3" "$(delta "$_s0")"
trace_read storm
maxc=$(cut -d' ' -f2 /tmp/conc/log | sort -n | tail -n 1)
echo "# helper_max_running 2, 10 helpers of 0.5 s at once: at most $maxc seen running together"
check_eq storm-at-most-2-at-once 2 "$maxc"
check_eq storm-ran-the-first-5 "$(range $((seq0 + 1)) $((seq0 + 5)))" "$(cut -d' ' -f1 /tmp/conc/log | sort -n | tr '\n' ' ')"
check_eq storm-first-records "$((seq0 + 1)) conc started 0 0;$((seq0 + 2)) conc started 0 0;\
$((seq0 + 3)) conc waited 0 0;$((seq0 + 4)) conc waited 0 0;$((seq0 + 5)) conc waited 0 0;\
$((seq0 + 6)) conc dropped 0 0;$((seq0 + 7)) conc dropped 0 0;$((seq0 + 8)) conc dropped 0 0;\
$((seq0 + 9)) conc dropped 0 0;$((seq0 + 10)) conc dropped 0 0;" \
	"$(for q in $(range $((seq0 + 1)) $((seq0 + 10))); do grep -m 1 "^H $q " /tmp/storm; done | cut -d' ' -f2- | list)"
check_eq storm-each-run-started-and-exited "5 5" "$(grep -c '^H .* conc started 0 0$' /tmp/storm) $(grep -c '^H .* conc exited 0 0$' /tmp/storm)"
echo 64 >$D/helper_max_pending
echo 4 >$D/helper_max_running
every_attempt storm

# --- 6. system sleep (pm_test freezer) --------------------------------------
# pm_phases: of the pm_test cycle since the last dmesg_mark, in ms by the
# kernel log: "PREPARE DELAY", from "suspend entry" to the freezer (the PM
# notifiers, kthelper's waiting for the helpers under way), and pm_test's
# delay (from "suspend debug: Waiting" to "Restarting tasks"); -1 if the
# lines are missing.
pm_phases() {
	dmesg_since_mark | awk '
		function stamp() {
			if (!match($0, /^\[ *[0-9]+\.[0-9]+\]/))
				return -1
			return substr($0, 2, RLENGTH - 2) + 0
		}
		/suspend entry/ && e == "" { e = stamp() }
		/Freezing user space processes/ && f == "" { f = stamp() }
		/suspend debug: Waiting for/ && w == "" { w = stamp() }
		/Restarting tasks/ && w != "" && r == "" { r = stamp() }
		END {
			printf "%d %d\n", (e != "" && f != "") ? (f - e) * 1000 : -1,
				(w != "" && r != "") ? (r - w) * 1000 : -1
		}'
}
if [ ! -w /sys/power/pm_test ]; then
	skip suspend "this kernel has no /sys/power/pm_test (CONFIG_PM_DEBUG)"
elif ! grep -qw freeze /sys/power/state; then
	skip suspend "no freeze in /sys/power/state: $(cat /sys/power/state)"
else
	echo 1 >/sys/module/suspend/parameters/pm_test_delay
	# lib-tcg-hold.sh: QEMU's stale int3
	freezer_key_hold freezer-key-held
	: >/tmp/pm.log
	printf '#!/bin/sh\necho "$KTH_SEQ $KTH_EVENT $SELFTEST_NOTE" >>/tmp/pm.log\n' |
		make_helper kth-pmrec >/dev/null
	set_helper $H/kth-pmrec
	echo 1 >$D/helper_max_running	# one at a time: the log is their order
	seq0=$(sysfs_get $T posted)
	_s0=$(snap)
	echo 5 >$P/suspend_posts
	trace_on
	dmesg_mark
	t0=$(_kth_uptime_cs)
	pm_cycle freezer freeze
	rc=$?
	base_ms=$(ms_since "$t0")
	echo 0 >$P/suspend_posts
	A=$((A + 5))
	echo "# a pm_test freezer cycle (pm_test_delay 1 s), 5 events posted as it begins: $base_ms ms ($(pm_phases | sed 's/ / ms before the freezer, delay /') ms)"
	check_eq suspend-succeeds 0 $rc
	check suspend-no-freeze-failure not_logged 'Freezing of tasks failed'
	wait_for 10 delta_is "$_s0" "runs=5 exited=5 deferred=5"
	check_eq suspend-deferred-then-exited "runs=5 exited=5 deferred=5" "$(delta "$_s0")"
	check_eq suspend-runs-in-order "$((seq0 + 1)) suspend 1;$((seq0 + 2)) suspend 2;\
$((seq0 + 3)) suspend 3;$((seq0 + 4)) suspend 4;$((seq0 + 5)) suspend 5;" "$(list </tmp/pm.log)"
	trace_read pm
	check_eq suspend-trace-records "$((seq0 + 1)) suspend deferred 0 0;$((seq0 + 2)) suspend deferred 0 0;\
$((seq0 + 3)) suspend deferred 0 0;$((seq0 + 4)) suspend deferred 0 0;$((seq0 + 5)) suspend deferred 0 0;\
$((seq0 + 1)) suspend started 0 0;$((seq0 + 1)) suspend exited 0 0;\
$((seq0 + 2)) suspend started 0 0;$((seq0 + 2)) suspend exited 0 0;\
$((seq0 + 3)) suspend started 0 0;$((seq0 + 3)) suspend exited 0 0;\
$((seq0 + 4)) suspend started 0 0;$((seq0 + 4)) suspend exited 0 0;\
$((seq0 + 5)) suspend started 0 0;$((seq0 + 5)) suspend exited 0 0;" \
		"$(grep '^H ' /tmp/pm | cut -d' ' -f2- | list)"
	check suspend-thread-was-frozen grep -qx 'S running frozen freezer' /tmp/pm
	if grep -q '^P ' /tmp/pm; then
		# deferred before the freezer began, run after the thaw ended
		check_eq suspend-deferred-before-freeze-run-after-thaw "D D D D D F T R R R R R " "$(awk '
			/^H .* deferred / { printf "D " }
			/^P freeze_processes begin$/ { printf "F " }
			/^P thaw_processes end$/ { printf "T " }
			/^H .* started / { printf "R " }' /tmp/pm)"
	else
		skip suspend-deferred-before-freeze-run-after-thaw "no power:suspend_resume trace event"
	fi
	every_attempt suspend

	# a cycle with hanging helpers outstanding: it waits for them, at
	# most helper_timeout_ms, and they are killed
	set_helper $H/kth-hang
	echo 4 >$D/helper_max_running
	_s0=$(snap)
	trig pmhang 2
	check suspend-hangs-running wait_for 10 hangs_are pmhang 2
	dmesg_mark
	t0=$(_kth_uptime_cs)
	pm_cycle freezer freeze
	rc=$?
	ms=$(ms_since "$t0")
	set -- $(pm_phases)
	echo "# a pm_test freezer cycle with 2 hanging helpers, helper_timeout_ms $HT2: $ms ms, of which $1 ms before the freezer (the helpers' end) and $2 ms pm_test's delay (1 s of mdelay)"
	check_eq suspend-with-hangs-succeeds 0 $rc
	check suspend-with-hangs-no-freeze-failure not_logged 'Freezing of tasks failed'
	if [ "$2" -lt 0 ]; then
		not_ok suspend-with-hangs-within-bound "no 'suspend debug: Waiting' then 'Restarting tasks' line in the kernel log"
	else
		# all but pm_test's own delay (under TCG 0.3-3.2 s for its 1 s)
		check suspend-with-hangs-within-bound [ $((ms - $2)) -le $((HT2 + SLACK_MS)) ]
	fi
	check suspend-with-hangs-notifier-within-timeout [ "$1" -ge 0 -a "$1" -le $((HT2 + SLACK_MS)) ]
	check_eq suspend-with-hangs-counted-timeouts "runs=2 timeouts=2" "$(delta "$_s0")"
	check_eq suspend-with-hangs-killed 0 "$(nalive pmhang)"
	every_attempt suspend-hangs
	freezer_key_release freezer-key-released
fi

# --- 7. stop, SIGKILL, rmmod with hanging helpers outstanding ---------------
set_helper $H/kth-hang
echo $HT2 >$D/helper_timeout_ms
echo 2 >$D/helper_max_running
seq0=$(sysfs_get $T posted)
_s0=$(snap)
trace_on
trig stophang 4
stop_ready() { [ "$(npids stophang)" = 2 ] && attr_is $T helper_running 2 && attr_is $T helper_pending 2; }
check stop-2-hang-2-wait wait_for 10 stop_ready
t0=$(_kth_uptime_cs)
echo stop >$D/control
rc=$?
ms=$(ms_since "$t0")
echo "# stop with 2 hanging helpers running and 2 waiting, helper_timeout_ms $HT2: $ms ms"
check_eq stop-with-hangs-succeeds 0 $rc
check stop-with-hangs-within-bound [ "$ms" -le $((HT2 + SLACK_MS)) ]
check_eq stop-with-hangs-counters "runs=2 timeouts=2 dropped=2 waited=2" "$(delta "$_s0")"
check_eq stop-with-hangs-killed 0 "$(nalive stophang)"
trace_read stop
check_eq stop-trace-records "$((seq0 + 1)) stophang started 0 0;$((seq0 + 1)) stophang timeout 0 9;\
$((seq0 + 2)) stophang started 0 0;$((seq0 + 2)) stophang timeout 0 9;\
$((seq0 + 3)) stophang waited 0 0;$((seq0 + 3)) stophang dropped -108 0;\
$((seq0 + 4)) stophang waited 0 0;$((seq0 + 4)) stophang dropped -108 0;" \
	"$(hrecs stop $(range $((seq0 + 1)) $((seq0 + 4))))"
every_attempt stop
echo start >$D/control
wait_for 5 attr_is $T state running

# SIGKILL: the thread goes at once, its helpers run on until their
# timeout; rmmod waits for them
echo 4 >$D/helper_max_running
seq0=$(sysfs_get $T posted)
trace_on
trig killhang 3
kill_ready() { [ "$(npids killhang)" = 3 ] && attr_is $T helper_running 3; }
check sigkill-3-hang wait_for 10 kill_ready
t0=$(_kth_uptime_cs)
kill -KILL "$(thread_pid $T)"
check sigkill-thread-stops wait_for 5 attr_is $T state stopped
check_eq sigkill-helpers-run-on 3 "$(nalive killhang)"
kth_rmmod $T
rc=$?
ms=$(ms_since "$t0")
echo "# SIGKILL to the thread with 3 hanging helpers, then rmmod, helper_timeout_ms $HT2: $ms ms from the signal to rmmod's return"
check_eq sigkill-rmmod-succeeds 0 $rc
check sigkill-rmmod-within-bound [ "$ms" -le $((HT2 + SLACK_MS)) ]
check_eq sigkill-helpers-killed 0 "$(nalive killhang)"
trace_read sigkill
check_eq sigkill-trace-records "$((seq0 + 1)) killhang started 0 0;$((seq0 + 1)) killhang timeout 0 9;\
$((seq0 + 2)) killhang started 0 0;$((seq0 + 2)) killhang timeout 0 9;\
$((seq0 + 3)) killhang started 0 0;$((seq0 + 3)) killhang timeout 0 9;" \
	"$(hrecs sigkill $(range $((seq0 + 1)) $((seq0 + 3))))"

# rmmod with hanging helpers outstanding
kth_insmod $T run_tests=0 helper=$H/kth-hang helper_burst=1000 helper_rate=1000 ||
	{ not_ok load-again "insmod failed"; exit 1; }
echo $HT2 >$D/helper_timeout_ms
trace_on
trig rmhang 3
rm_ready() { [ "$(npids rmhang)" = 3 ] && attr_is $T helper_running 3; }
check rmmod-3-hang wait_for 10 rm_ready
t0=$(_kth_uptime_cs)
kth_rmmod $T
rc=$?
ms=$(ms_since "$t0")
echo "# rmmod with 3 hanging helpers, helper_timeout_ms $HT2: $ms ms"
check_eq rmmod-with-hangs-succeeds 0 $rc
check rmmod-with-hangs-within-bound [ "$ms" -le $((HT2 + SLACK_MS)) ]
check_eq rmmod-with-hangs-killed 0 "$(nalive rmhang)"
trace_read rmmod
check_eq rmmod-trace-records "1 rmhang started 0 0;1 rmhang timeout 0 9;\
2 rmhang started 0 0;2 rmhang timeout 0 9;3 rmhang started 0 0;3 rmhang timeout 0 9;" \
	"$(hrecs rmmod 1 2 3)"

