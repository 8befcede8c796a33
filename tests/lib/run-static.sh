# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-static.sh - tests/run's static stage, sourced by it: the static
# analysis gate (scripts/kth-check --ktap and its --selftest), the lint of
# the guest scenarios' checks (tests/harness/kth-lint-guest and its
# --selftest), kthctl against a fake sysfs tree
# (tests/harness/kth-kthctl-check --ktap), the build matrix
# (tests/harness/kth-build-matrix --ktap), the builds against the kernel
# trees already built (tests/harness/kth-tree-builds --ktap) and the
# selftests of the clean-log judge and of early_death (run-judge.sh)
# before any boot, their results static.*, their logs in build/static/.

# static_step NAME LOG CMD...: CMD's KTAP into build/static/LOG (after
# what an earlier step wrote there); CMD stopping (exit > 1) is kept in
# $static_stopped for static.NAME.
static_step() {
	local name=$1 log=$staticlog/$2 rc
	shift 2
	[[ -n ${static_logs[$log]:-} ]] || : >"$log"
	static_logs[$log]=1
	set +e
	"$@" >>"$log" 2>&1
	rc=$?
	set -e
	[[ $rc -le 1 ]] ||
		static_stopped+=("$name"$'\t'"${1##*/} exited $rc: $(tail -n 1 "$log")")
}

run_static_stage() {
	local staticlog=$builddir/static start failed_before secs nresults=0 nfailed log s
	local -A static_logs=()
	local -a static_stopped=()
	[[ ${KTH_NO_SETUP:-0} == 1 ]] || "$scripts/kth-setup" ${kver:+"$kver"}
	mkdir -p "$staticlog"
	printf '[kth] static analysis (scripts/kth-check) ... ' >&2
	start=$EPOCHREALTIME
	failed_before=$failed
	static_step kth-check kth-check.log "$scripts/kth-check" --ktap ${kver:+--kver "$kver"}
	static_step rules rules.log "$scripts/kth-check" --ktap --selftest
	static_step guest-checks guest-checks.log "$harness/kth-lint-guest" --ktap "$topdir"/tests/guest/*.sh
	static_step guest-checks.selftest guest-checks.log "$harness/kth-lint-guest" --ktap --selftest
	static_step kthctl kthctl.log "$harness/kth-kthctl-check" --ktap
	static_step build-matrix build-matrix.log "$harness/kth-build-matrix" --ktap
	static_step trees trees.log "$harness/kth-tree-builds" --ktap
	secs=$(elapsed_since "$start")
	for log in kth-check rules guest-checks kthctl build-matrix trees; do
		collect_results "$staticlog/$log.log" static
		nresults=$((nresults + collected))
	done
	for s in "${static_stopped[@]}"; do
		add_result "not ok" "static.${s%%$'\t'*}" "${s#*$'\t'}"
	done
	judge_selftest
	early_death_selftest
	nresults=$((nresults + 2))
	add_note "static analysis: $secs s, findings in ${staticlog#"$topdir"/}/kth-check.log, rules.log, guest-checks.log, kthctl.log, build-matrix.log and trees.log"
	nfailed=$((failed - failed_before))
	if [[ $nfailed -eq 0 ]]; then
		printf '%s s, %d checks\n' "$secs" "$nresults" >&2
	else
		printf '%s s, %d checks, %d FAILED, log %s\n' "$secs" "$nresults" \
			"$nfailed" "$staticlog/kth-check.log" >&2
	fi
}
