#!/bin/sh
# /sys/kernel/kthelper/<thread>/: attributes, modes, junk writes refused.
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
kth_insmod kthelper && kth_insmod kth_selftest run_tests=0 queue_len=32 ||
	{ not_ok load "insmod failed"; exit 1; }

check kset-exists [ -d $KTH_SYSFS ]
for a in state pid posted handled dropped depth queue_len helper_runs \
	 helper_failures helper_suppressed wakeups uevents uevent_failures \
	 dropped_full dropped_evicted dropped_stopped dropped_killed \
	 wait_sum_ns wait_count handle_sum_ns handle_count \
	 helper_exited helper_exited_nonzero helper_last_exit helper_killed \
	 helper_last_signal helper_timeouts helper_exec_failed \
	 helper_exec_enoent helper_exec_eacces helper_exec_enoexec \
	 helper_exec_enomem helper_exec_other helper_refused helper_not_run \
	 helper_dropped helper_deferred helper_waited helper_running \
	 helper_pending helper_runner; do
	check_eq "mode-$a" "-r--r--r--" "$(ls -l $D/$a | cut -c1-10)"
done
for a in helper helper_burst helper_rate helper_timeout_ms \
	 helper_max_running helper_max_pending; do
	check_eq "mode-$a" "-rw-r--r--" "$(ls -l $D/$a | cut -c1-10)"
done
check_eq mode-control "--w-------" "$(ls -l $D/control | cut -c1-10)"
check_eq queue_len-param 32 "$(cat $D/queue_len)"
check_eq state-running running "$(cat $D/state)"
check_eq helper-empty "" "$(cat $D/helper)"

# junk writes: -EINVAL, a log line, nothing changes
for junk in "bogus" "start now" "STOP" "pause2" "startx"; do
	dmesg_mark
	if printf '%s' "$junk" >$D/control 2>/dev/null; then
		not_ok "control-rejects-'$junk'" "write succeeded"
	else
		ok "control-rejects-'$junk'"
	fi
done
if echo >$D/control 2>/dev/null; then
	not_ok control-rejects-empty-line "write succeeded"
else
	ok control-rejects-empty-line
fi
check control-junk-logs sh -c "dmesg | grep -q 'control accepts start, stop, pause, resume or reset'"
# the line carries the thread's device: journald's _KERNEL_SUBSYSTEM and
# _KERNEL_DEVICE (cat blocks at the end of /dev/kmsg: timeout ends it)
timeout 3 cat /dev/kmsg >/tmp/kmsg 2>/dev/null
check_eq control-junk-line-metadata " SUBSYSTEM=kthelper
 DEVICE=+kthelper:$T" "$(grep -A2 'control accepts start' /tmp/kmsg | tail -n 2)"
check_eq state-unchanged-by-junk running "$(cat $D/state)"
for junk in "relative/path" "/has space" "/tab	x"; do
	if printf '%s' "$junk" >$D/helper 2>/dev/null; then
		not_ok "helper-rejects-'$junk'" "write succeeded"
	else
		ok "helper-rejects-'$junk'"
	fi
done
check helper-junk-logs sh -c "dmesg | grep -q 'helper must be empty or an absolute path'"
check_eq helper-unchanged-by-junk "" "$(cat $D/helper)"
# a helper must exist: refused when it is set (-ENOENT), nothing changes
dmesg_mark
if echo /sbin/nothing-here 2>/tmp/write.err >$D/helper; then
	not_ok helper-missing-refused "write succeeded"
else
	check helper-missing-refused-ENOENT grep -q "No such file or directory" /tmp/write.err
fi
check helper-missing-logged sh -c "dmesg | tail -n 5 | grep -q '$T: helper /sbin/nothing-here refused: cannot be found: -2'"
check_eq helper-unchanged-by-missing "" "$(cat $D/helper)"
h=$(printf '#!/bin/sh\nexit 0\n' | make_helper kth-nothing)
echo "$h" >$D/helper
check_eq helper-set "$h" "$(cat $D/helper)"
echo >$D/helper
check_eq helper-cleared "" "$(cat $D/helper)"
long=/$(printf '%0300d' 0)
if printf '%s' "$long" >$D/helper 2>/dev/null; then
	not_ok helper-rejects-too-long "write succeeded"
else
	ok helper-rejects-too-long
fi

# the helper's rate limit
check_eq helper_burst-from-param 1000 "$(cat $D/helper_burst)"
for junk in abc 0 100001 -1 "5 5"; do
	if printf '%s' "$junk" >$D/helper_burst 2>/dev/null ||
	   printf '%s' "$junk" >$D/helper_rate 2>/dev/null; then
		not_ok "rate-rejects-'$junk'" "write succeeded"
	else
		ok "rate-rejects-'$junk'"
	fi
done
check rate-junk-logs sh -c "dmesg | grep -q 'helper burst and rate must be 1..100000'"
check_eq rate-unchanged-by-junk "1000 1000" "$(cat $D/helper_burst) $(cat $D/helper_rate)"
echo 7 >$D/helper_burst
echo 3 >$D/helper_rate
check_eq rate-set "7 3" "$(cat $D/helper_burst) $(cat $D/helper_rate)"

# the helper's limits: defaults, bad values refused (-EINVAL, a log line,
# nothing changes), good ones taken
check_eq helper-limits-defaults "10000 4 64" \
	"$(cat $D/helper_timeout_ms) $(cat $D/helper_max_running) $(cat $D/helper_max_pending)"
check helper_runner-known grep -qxE 'direct|dispatcher|none' $D/helper_runner
for bad in helper_timeout_ms=0 helper_timeout_ms=9 helper_timeout_ms=60001 \
	   helper_max_running=0 helper_max_running=65 helper_max_pending=0 \
	   helper_max_pending=4097 helper_timeout_ms=abc helper_max_running=-1 \
	   helper_max_pending=5x "helper_timeout_ms=100 100" helper_max_running=; do
	a=${bad%%=*}
	dmesg_mark
	if echo "${bad#*=}" 2>/tmp/write.err >$D/$a; then
		not_ok "limit-rejects-'$bad'" "write succeeded"
	elif ! grep -q "Invalid argument" /tmp/write.err; then
		not_ok "limit-rejects-'$bad'" "not EINVAL: $(cat /tmp/write.err)"
	else
		ok "limit-rejects-'$bad'"
	fi
	check "limit-logged-'$bad'" sh -c "dmesg | tail -n 5 | grep -qE '$T: $a (must be|takes a number)'"
done
check_eq helper-limits-unchanged-by-junk "10000 4 64" \
	"$(cat $D/helper_timeout_ms) $(cat $D/helper_max_running) $(cat $D/helper_max_pending)"
echo 10 >$D/helper_timeout_ms
echo 64 >$D/helper_max_running
echo 4096 >$D/helper_max_pending
check_eq helper-limits-highest "10 64 4096" \
	"$(cat $D/helper_timeout_ms) $(cat $D/helper_max_running) $(cat $D/helper_max_pending)"
echo 60000 >$D/helper_timeout_ms
echo 1 >$D/helper_max_running
echo 1 >$D/helper_max_pending
check_eq helper-limits-lowest "60000 1 1" \
	"$(cat $D/helper_timeout_ms) $(cat $D/helper_max_running) $(cat $D/helper_max_pending)"
# control: pause, resume, stop, start, and the wrong-state errors
echo pause >$D/control
check_eq control-pause paused "$(cat $D/state)"
echo resume >$D/control
check_eq control-resume running "$(cat $D/state)"
if echo start >$D/control 2>/dev/null; then
	not_ok control-start-when-running-refused "write succeeded"
else
	ok control-start-when-running-refused
fi
check control-start-when-running-logged sh -c "dmesg | tail -n 3 | grep -qF '$T: cannot start: it is not stopped'"
echo stop >$D/control
check_eq control-stop stopped "$(cat $D/state)"
check_eq pid-zero-when-stopped 0 "$(cat $D/pid)"
if echo pause >$D/control 2>/dev/null; then
	not_ok control-pause-when-stopped-refused "write succeeded"
else
	ok control-pause-when-stopped-refused
fi
check control-pause-when-stopped-logged sh -c "dmesg | tail -n 3 | grep -qF '$T: cannot pause: it is not running'"
if echo resume >$D/control 2>/dev/null; then
	not_ok control-resume-when-stopped-refused "write succeeded"
else
	ok control-resume-when-stopped-refused
fi
check control-resume-when-stopped-logged sh -c "dmesg | tail -n 3 | grep -qF '$T: cannot resume: it is stopped'"
check_eq stopped-stays-stopped stopped "$(cat $D/state)"
echo start >$D/control
check_eq control-start running "$(cat $D/state)"

# non-root may read but not write
if kth-asuser 65534 sh -c "echo stop >$D/control" 2>/dev/null; then
	not_ok control-root-only "non-root write succeeded"
else
	ok control-root-only
fi
if kth-asuser 65534 sh -c "echo $h >$D/helper" 2>/dev/null; then
	not_ok helper-root-only "non-root write succeeded"
else
	ok helper-root-only
fi
check_eq helper-unchanged-by-non-root "" "$(cat $D/helper)"
for a in helper_timeout_ms helper_max_running helper_max_pending; do
	if kth-asuser 65534 sh -c "echo 20 >$D/$a" 2>/dev/null; then
		not_ok "$a-root-only" "non-root write succeeded"
	else
		ok "$a-root-only"
	fi
done
check_eq helper-limits-unchanged-by-non-root "60000 1 1" \
	"$(cat $D/helper_timeout_ms) $(cat $D/helper_max_running) $(cat $D/helper_max_pending)"
check_eq state-readable-by-all running "$(kth-asuser 65534 cat $D/state)"
check_eq unchanged-by-non-root running "$(cat $D/state)"

# drops by cause add up to dropped; histogram counts and sums
cause_sum() {
	echo $(($(cat $D/dropped_full) + $(cat $D/dropped_evicted) + \
		$(cat $D/dropped_stopped) + $(cat $D/dropped_killed)))
}
echo pause >$D/control
echo "fill 40" >$D/trigger		# a queue of 32: 8 refused, full
check_eq dropped-full 8 "$(cat $D/dropped_full)"
echo stop >$D/control			# the 32 queued are discarded
check_eq dropped-killed 32 "$(cat $D/dropped_killed)"
echo "late 3" >$D/trigger 2>/dev/null	# refused: stopped
check_eq dropped-stopped 3 "$(cat $D/dropped_stopped)"
check_eq dropped-evicted 0 "$(cat $D/dropped_evicted)"
check_eq dropped-is-sum-of-causes "$(cat $D/dropped)" "$(cause_sum)"
echo start >$D/control
echo "count 5" >$D/trigger
check handled-5 wait_for 10 attr_is $T handled 5
check_eq wait_count-is-handled 5 "$(cat $D/wait_count)"
check_eq handle_count-is-handled 5 "$(cat $D/handle_count)"
hist_total() { awk '{ n += $3 } END { print n + 0 }' $D/$1; }
check_eq wait_count-is-hist-total "$(hist_total wait_hist)" "$(cat $D/wait_count)"
check wait_sum-at-least-max [ "$(cat $D/wait_sum_ns)" -ge "$(cat $D/wait_max_ns)" ]
check handle_sum-at-most-count-times-max \
	[ "$(cat $D/handle_sum_ns)" -le $(($(cat $D/handle_max_ns) * 5)) ]
echo reset >$D/control
check_eq reset-clears-count 0 "$(cat $D/wait_count)"
check_eq reset-clears-sum 0 "$(cat $D/handle_sum_ns)"
check_eq reset-keeps-handled 5 "$(cat $D/handled)"

# the driver's own metrics (kth_selftest declares one of each call)
M=$D/metrics
check_eq metrics-schema "triggers counter - events posted through the trigger file
delay gauge - the delay_ms parameter when the last event was handled, in milliseconds
phase gauge phase busy while a handler runs" "$(cat $M/schema)"
check_eq metric-counter-add 48 "$(cat $M/triggers)"
check_eq metric-gauge-set 0 "$(cat $M/delay)"
check_eq metric-stateset "idle 1
busy 0" "$(cat $M/phase)"
check_eq mode-metric "-r--r--r--" "$(ls -l $M/triggers | cut -c1-10)"
if echo 5 >$M/triggers 2>/dev/null; then
	not_ok metric-read-only "write succeeded"
else
	ok metric-read-only
fi
check_eq class-device-link ../../devices/virtual/kthelper/$T \
	"$(readlink /sys/class/kthelper/$T)"

# bad module parameters are refused with a clear log line
kth_rmmod kth_selftest
for bad in "queue_len=0" "queue_len=70000" "delay_ms=20000" "helper=relative" \
	   "helper=/sbin/nothing-here"; do
	dmesg_mark
	if kth_insmod kth_selftest run_tests=0 "$bad" 2>/dev/null; then
		not_ok "param-refused-$bad" "insmod succeeded"
		kth_rmmod kth_selftest
	else
		ok "param-refused-$bad"
	fi
	check "param-logged-$bad" sh -c "dmesg | tail -n 5 | grep -qE 'out of range|must be empty or an absolute path|helper /sbin/nothing-here refused: cannot be found: -2'"
done
check no-thread-left-after-bad-params [ ! -d $D ]
check rmmod-kthelper kth_rmmod kthelper
