#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lib-helper.sh - the helpers and tools of helper-outcomes.sh, sourced by
# it (not a scenario: tests/run boots no lib*.sh).  Needs lib.sh and
# helper-outcomes.sh's T, D, H and TR.

# --- the helpers ---------------------------------------------------------
mkdir -p /tmp/hang /tmp/rec /tmp/conc/run
printf '#!/bin/sh\nexit 0\n' | make_helper kth-exit0 >/dev/null
printf '#!/bin/sh\nexit 3\n' | make_helper kth-exit3 >/dev/null
printf '#!/bin/sh\nkill -KILL $$\nexit 0\n' | make_helper kth-selfkill >/dev/null
printf '#!/bin/sh\nkill -TERM $$\nexit 0\n' | make_helper kth-selfterm >/dev/null
printf 'this is no script and no ELF file\n' | make_helper kth-noformat >/dev/null
printf '#!/bin/sh\nexit 0\n' | make_helper kth-gone >/dev/null
# a helper that never ends: its pid (the one the timeout kills: exec)
make_helper kth-hang >/dev/null <<'EOS'
#!/bin/sh
echo $$ >/tmp/hang/$KTH_EVENT-$KTH_SEQ.tmp
mv /tmp/hang/$KTH_EVENT-$KTH_SEQ.tmp /tmp/hang/$KTH_EVENT-$KTH_SEQ.pid
exec sleep 100000
EOS
# how many run at once: each has a file in /tmp/conc/run while it runs
make_helper kth-conc >/dev/null <<'EOS'
#!/bin/sh
: >/tmp/conc/run/$KTH_SEQ
n=$(ls /tmp/conc/run | wc -l)
echo "$KTH_SEQ $n" >>/tmp/conc/log
sleep 0.5
rm -f /tmp/conc/run/$KTH_SEQ
EOS
make_recorder $H/kth-rec /tmp/rec

# --- tools ---------------------------------------------------------------
# Every counter of a run's fate, in one order; the outcomes among them.
NAMES="runs failures exited exited_nonzero killed timeouts exec_failed exec_enoent exec_eacces exec_enoexec exec_enomem exec_other refused not_run suppressed dropped deferred waited running pending"
OUTCOMES="exited exited_nonzero killed timeouts exec_failed refused not_run suppressed dropped"
snap() {
	_s=
	for _n in $NAMES; do read -r _v <$D/helper_$_n; _s="$_s$_v "; done
	echo "$_s"
}
# delta SNAP: the counters that changed since SNAP, "name=difference ..."
delta() {
	# shellcheck disable=SC2086 # one word per counter
	set -- $1
	_o=
	for _n in $NAMES; do
		read -r _v <$D/helper_$_n
		[ "$_v" = "$1" ] || _o="$_o$_n=$((_v - $1)) "
		shift
	done
	echo "${_o% }"
}
delta_is() { [ "$(delta "$1")" = "$2" ]; }
outcomes() {
	_t=0
	for _n in $OUTCOMES; do read -r _v <$D/helper_$_n; _t=$((_t + _v)); done
	echo $_t
}
# A: the events handled with a helper set since kth_selftest was loaded.
A=0
trig() { # NAME COUNT [NOTE]: post events while a helper is set
	echo "$*" >$D/trigger
	A=$((A + $2))
}
idle() { attr_is $T helper_running 0 && attr_is $T helper_pending 0; }
# every_attempt NAME: each attempt so far ended in exactly one outcome
every_attempt() {
	wait_for 10 idle
	check_eq "$1-every-attempt-one-outcome" "$A" "$(outcomes)"
	check_eq "$1-runs-is-its-outcomes" "$(sysfs_get $T helper_runs)" \
		$(($(sysfs_get $T helper_exited) + $(sysfs_get $T helper_exited_nonzero) + \
		   $(sysfs_get $T helper_killed) + $(sysfs_get $T helper_timeouts)))
	check_eq "$1-failures-is-its-outcomes" "$(sysfs_get $T helper_failures)" \
		$(($(sysfs_get $T helper_exec_failed) + $(sysfs_get $T helper_refused) + \
		   $(sysfs_get $T helper_not_run)))
}
logged() { dmesg_since_mark | grep -qF "$1"; }
not_logged() { ! logged "$1"; }
list() { tr '\n' ';'; }
ms_since() { echo $((($(_kth_uptime_cs) - $1) * 10)); }	# CS
# hang pid files of event NAME: how many, how many still alive
npids() {
	_c=0
	for _f in /tmp/hang/"$1"-*.pid; do [ -f "$_f" ] && _c=$((_c + 1)); done
	echo $_c
}
hangs_are() { [ "$(npids "$1")" = "$2" ]; }	# NAME N
nalive() {
	_a=0
	for _f in /tmp/hang/"$1"-*.pid; do
		[ -f "$_f" ] && kill -0 "$(cat "$_f")" 2>/dev/null && _a=$((_a + 1))
	done
	echo $_a
}
set_helper() { # PATH: must be accepted
	echo "$1" >$D/helper || not_ok "set-helper-$(basename "$1")" "refused: $(dmesg | tail -n 1)"
}

# trace_on: an empty buffer; kth_helper, kth_state (and power's
# suspend_resume where there is one) on.
trace_on() {
	echo 0 >$TR/tracing_on
	echo >$TR/trace
	echo 1 >$TR/events/kthelper/kth_helper/enable
	echo 1 >$TR/events/kthelper/kth_state/enable
	[ ! -w $TR/events/power/suspend_resume/enable ] ||
		echo 1 >$TR/events/power/suspend_resume/enable
	echo 1 >$TR/tracing_on
}
# trace_read PART: the records since trace_on in /tmp/PART, one a line:
# "H SEQ EVENT RESULT ERR STATUS" (kth_helper), "S OLD NEW CAUSE"
# (kth_state), "P WHAT begin|end" (suspend_resume); none lost.
trace_read() {
	cat $TR/trace >/tmp/$1.raw
	sed -n -e "s/^.* kth_helper: thread=$T seq=\([0-9]*\) event=\([^ ]*\) result=\([^ ]*\) err=\([-0-9]*\) status=\([-0-9]*\)\$/H \1 \2 \3 \4 \5/p" \
		-e "s/^.* kth_state: thread=$T old=\([a-z]*\) new=\([a-z]*\) cause=\([a-z]*\) .*\$/S \1 \2 \3/p" \
		-e "s/^.* suspend_resume: \([a-z_]*\)\[[0-9]*\] \([a-z]*\)\$/P \1 \2/p" \
		/tmp/$1.raw >/tmp/$1
	_e=$(sed -n 's|^# entries-in-buffer/entries-written: \([0-9]*/[0-9]*\).*|\1|p' /tmp/$1.raw)
	check_eq "$1-trace-no-record-lost" "${_e#*/}" "${_e%/*}"
}
# hrecs PART SEQ...: the kth_helper records of these events, event by
# event, each "SEQ EVENT RESULT ERR STATUS;"
hrecs() {
	_p=$1
	shift
	for _q in "$@"; do grep "^H $_q " /tmp/$_p; done | cut -d' ' -f2- | list
}

