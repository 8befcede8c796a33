# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-judge.sh - what tests/run makes of a boot's serial log, sourced by
# it: the kernel log lines that mean something went wrong ($bad_log, also
# given to kth-dkms-test), NAME.completed (judge_completed) and
# NAME.clean-log (judge_clean_log); early_death (tests/lib/early-death.sh)
# tells a kernel that died before the scenario began; the selftests of
# both on their examples (judge_selftest, early_death_selftest).

# shellcheck source=tests/lib/early-death.sh
. "$topdir/tests/lib/early-death.sh"

# Kernel log lines that mean something went wrong.  BUG: is not matched
# inside words (DEBUG:); kmemleak only counts when it reports leaks.
bad_log='Oops|(^|[^A-Za-z_])BUG:|WARNING:|Kernel panic|general protection fault'
bad_log+='|sleeping function called from invalid context|blocked for more than'
bad_log+='|UBSAN:|KASAN:|kmemleak:.*suspected|list_add corruption'
bad_log+='|possible recursive locking|INFO: possible circular locking'
bad_log+='|unreferenced object|Call Trace:'
# The debug kernel's checkers (tests/harness/debug-kernel.config): debug objects,
# list debugging, BUG(), a checker that switched itself off.
bad_log+='|ODEBUG:|list_del corruption|kernel BUG at|invalid opcode:'
bad_log+='|turning off the locking correctness validator|INFO: lockdep is turned off'
bad_log+='|kmemleak: Memory pool empty|kmemleak: Cannot allocate|Kernel memory leak detector disabled'
# The KCSAN kernel (tests/harness/debug-kernel-kcsan.config): a data race is
# "BUG: KCSAN: data-race in A / B" (matched by BUG: above) and the report's
# own line, matched as well should another CPU's output split the first.
bad_log+='|Reported by Kernel Concurrency Sanitizer'

# NAME.completed: the scenario ran to its end, reported results and the
# guest reached KTH-DONE.  Sets $why (empty when it completed).
judge_completed() { # NAME LOGFILE VMERR VMRC NRESULTS
	local name=$1 logfile=$2 vmerr=$3 vmrc=$4 nresults=$5 end death
	end=$(grep -o "KTH-SCENARIO-END $name rc=[0-9]*" "$logfile" | tail -n 1) || end=
	why=
	if death=$(early_death "$logfile" "$vmrc"); then
		why="kernel died before the scenario began: $death"
	elif [[ $vmrc -ne 0 ]]; then
		why=$(grep -o 'FAILED: .*' "$vmerr" | tail -n 1 | sed 's/ (see .*)$//') || why=
		why=${why:-kth-vm exited $vmrc}
	elif [[ -z $end ]]; then
		why="no KTH-SCENARIO-END"
	elif [[ ${end##*rc=} != 0 ]]; then
		why="scenario exited rc=${end##*rc=}"
	elif [[ $nresults -eq 0 && $demo -eq 0 ]]; then
		why="scenario reported no results"
	fi
	if [[ -z $why ]]; then
		add_result ok "$name.completed"
	else
		add_result "not ok" "$name.completed" "$why"
	fi
}

# The log without the stack dumps of injected allocation failures: the
# kernel reports a failed allocation (warn_alloc(): "COMM: vmalloc error:"
# or "COMM: page allocation failure:", then the task's stack), and when a
# fault-injection line ("FAULT_INJECTION: forcing a failure", with
# CONFIG_FAULT_INJECTION, the fault scenario) precedes the report by at
# most 4 lines, that report is the injected fault's, not a bug: its "Call
# Trace:" (at most 4 lines after the report) is dropped.  Anything else in
# the dump is judged as ever.
without_injected_alloc_reports() { # LOGFILE
	awk '
	/FAULT_INJECTION: forcing a failure/ { fault = NR }
	/: (vmalloc error|page allocation failure): / && fault && NR - fault <= 4 { report = NR }
	/Call Trace:/ && report && NR - report <= 4 { report = 0; next }
	{ print }' "$1"
}

# static.clean-log.selftest: the judge on its examples, tests/harness/
# clean-log/.  In bad.log the bad lines are exactly those that end in
# "expected"; good.log (injected faults' reports) has bad lines only
# before its injected reports are taken out, and none after.
judge_selftest() {
	local dir=$topdir/tests/harness/clean-log got want
	got=$(without_injected_alloc_reports "$dir/bad.log" | grep -E "$bad_log") || got=
	want=$(grep -E ' expected$' "$dir/bad.log") || want=
	if [[ -z $want || $got != "$want" ]]; then
		add_result "not ok" static.clean-log.selftest \
			"bad.log: $(wc -l <<<"$want") line(s) marked expected, judged bad: $(grep -c . <<<"$got")"
	elif ! grep -Eq "$bad_log" "$dir/good.log"; then
		add_result "not ok" static.clean-log.selftest "good.log has no stack dump to take out: it tests nothing"
	elif got=$(without_injected_alloc_reports "$dir/good.log" | grep -E "$bad_log"); then
		add_result "not ok" static.clean-log.selftest "good.log: judged bad: ${got%%$'\n'*}"
	else
		add_result ok static.clean-log.selftest
	fi
}

# static.early-death.selftest: early_death on its examples, tests/harness/
# early-death/NAME.VMRC.WHAT.log: WHAT "early" must be told a kernel that
# died before the scenario began, "late" must not.
early_death_selftest() {
	local f base vmrc what got bad=() n=0
	for f in "$topdir"/tests/harness/early-death/*.log; do
		base=${f##*/}
		base=${base%.log}
		what=${base##*.}
		base=${base%.*}
		vmrc=${base##*.}
		n=$((n + 1))
		if got=$(early_death "$f" "$vmrc"); then
			[[ $what == early ]] || bad+=("${f##*/}: told early ($got)")
		else
			[[ $what == late ]] || bad+=("${f##*/}: not told early")
		fi
	done
	if [[ $n -lt 2 ]]; then
		add_result "not ok" static.early-death.selftest "$n example(s) in tests/harness/early-death/: it tests nothing"
	elif [[ ${#bad[@]} -gt 0 ]]; then
		add_result "not ok" static.early-death.selftest "${bad[*]}"
	else
		add_result ok static.early-death.selftest "$n examples"
	fi
}

# NAME.clean-log (results quoting a bad line are not counted twice).  The
# whole log is read: a `grep -m 1` would end the pipe early, and pipefail
# would then turn the SIGPIPE of the first grep into "no bad line".
judge_clean_log() { # NAME LOGFILE
	local name=$1 logfile=$2 bad first nbad
	bad=$(without_injected_alloc_reports "$logfile" | grep -vE '^(not )?ok [0-9]+ ' |
	      grep -E "$bad_log") || bad=
	if [[ -z $bad ]]; then
		add_result ok "$name.clean-log"
	else
		nbad=$(wc -l <<<"$bad")
		first=${bad%%$'\n'*}
		add_result "not ok" "$name.clean-log" "$nbad bad line(s), first: ${first:0:120}"
	fi
}
