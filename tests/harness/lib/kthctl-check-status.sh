# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kthctl-check-status.sh - `kthctl status` and `kthctl stats` against
# the fake trees, checked by tests/harness/kth-kthctl-check, sourced by
# it: the same output under dash and under busybox's sh; the table's
# columns as they were, with a note under it where the kernel runs no
# helper (helper_runner none) or runs each through its dispatcher, and
# none where it runs them itself or the kthelper predates helper_runner;
# --json parsed strictly, its keys in the documented order and each value
# equal to its file (null for a file an older kthelper lacks); stats
# listing every file, the note on stderr; `kthctl metrics` on such a
# kernel; and `kthctl trace` on a kernel locked down for confidentiality.
# shellcheck disable=SC2154 # $fake and the others: set by kth-kthctl-check

# json_flat: JSON on stdin as PATH=VALUE lines (tests/guest/json-flat.awk)
json_flat() { awk -f "$topdir/tests/guest/json-flat.awk"; }

# kcs NAME SYSFS SHELL ARGS...: kthctl ARGS under SHELL (dash, "busybox
# sh") against SYSFS; rc, $work/NAME.out, $work/NAME.err
kcs() {
	local n=$1 sys=$2 sh=$3
	shift 3
	set +e
	# shellcheck disable=SC2086 # SHELL's words
	KTH_SYSFS=$sys $sh "$kthctl" "$@" >"$work/$n.out" 2>"$work/$n.err"
	rc=$?
	set -e
}

# The keys of status --json after name, in the documented order.
# shellcheck disable=SC2086 # HELPER_FILES's words
STATUS_KEYS="module state pid posted handled dropped depth queue_len signals
wait_p50_ns wait_p99_ns wait_max_ns handle_p50_ns handle_p99_ns handle_max_ns
helper_runs helper_failures helper_suppressed $(printf 'helper_%s ' $HELPER_FILES)"
NOTE_NONE='helpers: none — this kernel runs no user-mode helpers (CONFIG_STATIC_USERMODEHELPER with an empty path); use uevents'
NOTE_DISPATCHER="helpers: dispatcher — every run goes through this kernel's dispatcher"

# json_expected SYSFS THREAD [INDEX]: what status --json's object for
# THREAD must flatten to, each value its file's (null where it is missing)
json_expected() {
	local sys=$1 t=$2 p=${3:+[$3]} k v
	echo "$p.name=\"$t\""
	for k in $STATUS_KEYS; do
		if [[ ! -f $sys/$t/$k ]]; then
			v=null
		else
			v=$(head -n 1 "$sys/$t/$k")
			[[ $v =~ ^(0|[1-9][0-9]*)$ ]] || v="\"$v\""
		fi
		echo "$p.$k=$v"
	done
}

status_check() {
	local c t i bad same
	# --- the same in dash and busybox's sh ---
	same=
	for c in "status" "status --json" "stats kth_a" "stats kth_a --json" "stats kth_old"; do
		# shellcheck disable=SC2086 # the words of the command
		kcs st-dash "$fake" dash $c
		# shellcheck disable=SC2086
		kcs st-bb "$fake" "busybox sh" $c
		cmp -s "$work/st-dash.out" "$work/st-bb.out" || same+=" '$c'"
	done
	check status-same-in-dash-and-busybox -m "differs:$same" test -z "$same"

	# --- the table: its columns as they were, no note on a direct kernel ---
	kcs st "$fake" dash status
	check status-exit-0 -m "exit $rc: $(head -c 200 "$work/st.err")" test "$rc" = 0
	check status-row-columns -m "kth_a's row: $(grep '^kth_a ' "$work/st.out")" \
		test "$(awk '$1 == "kth_a" { print NF, $3, $5, $10 }' "$work/st.out")" = "10 running 1012 40/3"
	check status-old-row -m "kth_old's row: $(grep '^kth_old ' "$work/st.out")" \
		test "$(awk '$1 == "kth_old" { print NF, $10 }' "$work/st.out")" = "10 1/2"
	check status-direct-no-note -m "$(grep helpers: "$work/st.out")" \
		test "$(wc -l <"$work/st.out")" = 5

	# --- --json: every key, in order, each value its file's ---
	kcs st "$fake" dash status --json
	if json_flat <"$work/st.out" >"$work/st.flat" 2>"$work/st.jerr"; then
		i=0
		for t in "$fake"/*; do	# in ls's order, as kthctl's
			json_expected "$fake" "${t##*/}" $i
			i=$((i + 1))
		done >"$work/st.want"
		check status-json-equals-files -m "$(diff "$work/st.want" "$work/st.flat" | grep '^[<>]' | head -n 4)" \
			cmp -s "$work/st.want" "$work/st.flat"
	else
		not_ok status-json-equals-files "not JSON: $(cat "$work/st.jerr")"
	fi
	check status-json-old-helper-null -m "kth_old (the fourth): $(grep '^\[3\]\.helper_runner=' "$work/st.flat")" \
		grep -qx '\[3\]\.helper_runner=null' "$work/st.flat"

	# --- stats: every file, the new ones included; none of kth_old's ---
	kcs st "$fake" dash stats kth_a
	bad=
	for f in "$fake"/kth_a/*; do
		[[ -f $f ]] || continue
		k=${f##*/}
		[[ $k != *_hist ]] || continue
		grep -qxF "$k $(cat "$f")" "$work/st.out" || bad+=" $k"
	done
	check stats-lists-every-file -m "missing or wrong:$bad" test -z "$bad"
	check stats-has-helper-limits -m "$(grep -e helper_timeout_ms -e helper_runner "$work/st.out")" \
		sh -c "grep -qx 'helper_timeout_ms 10000' '$work/st.out' && grep -qx 'helper_runner direct' '$work/st.out'"
	check stats-direct-no-note -m "stderr: $(cat "$work/st.err")" sh -c "! grep -q 'helpers:' '$work/st.err'"
	kcs st "$fake" dash stats kth_old
	check stats-old-no-new-files -m "$(grep -c -e helper_exited -e helper_runner "$work/st.out") lines" \
		sh -c "[ $rc = 0 ] && ! grep -q -e helper_exited -e helper_runner '$work/st.out'"
	kcs st "$fake" dash stats kth_a --json
	json_flat <"$work/st.out" >"$work/st.flat" 2>"$work/st.jerr" || true
	check stats-json-helper-figures -m "$(grep -e '\.helper_timeout_ms=' -e '\.helper_runner=' -e '\.helper_waited=' "$work/st.flat" | tr '\n' ' ')" \
		test "$(grep -e '\.helper_timeout_ms=' -e '\.helper_runner=' -e '\.helper_waited=' "$work/st.flat" | tr '\n' ' ')" \
		= '.helper_runner="direct" .helper_timeout_ms=10000 .helper_waited=11 '

	# --- a kernel that runs no helpers: the note, under the table and in stats ---
	make_runner_tree "$work/sys-none" none
	for c in dash "busybox sh"; do
		kcs st "$work/sys-none" "$c" status
		check "status-none-note-${c%% *}" -m "$(cat "$work/st.out")" \
			test "$(tail -n 1 "$work/st.out")" = "$NOTE_NONE"
	done
	kcs st "$work/sys-none" dash status --json
	check status-none-json -m "$(head -c 300 "$work/st.out")" \
		sh -c "! grep -q 'helpers:' '$work/st.out' && grep -q '\"helper_runner\": \"none\"}' '$work/st.out'"
	kcs st "$work/sys-none" dash stats kth_r
	check stats-none-note -m "stderr: $(cat "$work/st.err")" grep -qxF "kthctl: $NOTE_NONE" "$work/st.err"
	kcs st "$work/sys-none" dash metrics
	check metrics-runner-none -m "$(grep kthelper_helper_runner "$work/st.out" | tr '\n' ' ')" \
		grep -qxF 'kthelper_helper_runner{thread="kth_r",module="kth_r",runner="none"} 1' "$work/st.out"
	check metrics-none-not-run -m "$(grep 'outcome="not_run"' "$work/st.out")" \
		grep -qxF 'kthelper_helper_attempts_total{thread="kth_r",module="kth_r",outcome="not_run"} 2' "$work/st.out"
	if [[ -n $promtool ]]; then
		check metrics-runner-none-promtool -m "$("$promtool" check metrics <"$work/st.out" 2>&1 | head -c 300)" \
			"$promtool" check metrics <"$work/st.out"
	fi

	# --- a kernel with a dispatcher ---
	make_runner_tree "$work/sys-dispatcher" dispatcher
	kcs st "$work/sys-dispatcher" dash status
	check status-dispatcher-note -m "$(tail -n 1 "$work/st.out")" \
		grep -qF "$NOTE_DISPATCHER" "$work/st.out"
	kcs st "$work/sys-dispatcher" dash stats kth_r
	check stats-dispatcher-note -m "stderr: $(cat "$work/st.err")" grep -qF "kthctl: $NOTE_DISPATCHER" "$work/st.err"
}

# --- trace on a kernel locked down for confidentiality: exit 5, why ---
lockdown_check() {
	local sec=$work/securityfs tr=$work/tracefs
	if [[ $(id -u) -ne 0 ]]; then
		skip trace-lockdown "kthctl trace needs root"
		return
	fi
	mkdir -p "$sec" "$tr/events/kthelper/kth_post" "$tr/instances"
	: >"$tr/trace_pipe"
	echo 'none integrity [confidentiality]' >"$sec/lockdown"
	set +e
	KTH_SYSFS=$fake KTH_TRACEFS=$tr KTH_SECURITYFS=$sec dash "$kthctl" trace -n 1 >"$work/tr.out" 2>"$work/tr.err"
	rc=$?
	set -e
	check trace-lockdown-exit-5 -m "exit $rc: $(cat "$work/tr.err")" test "$rc" = 5
	check trace-lockdown-says -m "stderr: $(cat "$work/tr.err")" \
		grep -qx "kthctl: the kernel is locked down for confidentiality ($sec/lockdown): tracefs is closed, .*; status, stats, watch and metrics read sysfs and still work" "$work/tr.err"
	check trace-lockdown-nothing-made -m "$tr/instances: $(ls "$tr/instances")" test -z "$(ls "$tr/instances")"
	# integrity leaves tracefs open: the usual answer when it is missing
	echo 'none [integrity] confidentiality' >"$sec/lockdown"
	set +e
	KTH_SYSFS=$fake KTH_TRACEFS=$work/nonexistent KTH_SECURITYFS=$sec dash "$kthctl" trace -n 1 >"$work/tr.out" 2>"$work/tr.err"
	rc=$?
	set -e
	check trace-integrity-is-not-lockdown -m "exit $rc: $(cat "$work/tr.err")" \
		sh -c "[ $rc = 5 ] && grep -q 'tracefs is not mounted' '$work/tr.err'"
}
