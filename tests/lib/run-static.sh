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
# clean-log judge's selftest (run-judge.sh) before any boot, their results
# static.*, their logs in build/static/.

run_static_stage() {
	local staticlog=$builddir/static start failed_before gate_rc rules_rc matrix_rc
	local lint_rc lint_self_rc trees_rc kthctl_rc
	local secs nresults nfailed
	[[ ${KTH_NO_SETUP:-0} == 1 ]] || "$scripts/kth-setup" ${kver:+"$kver"}
	mkdir -p "$staticlog"
	printf '[kth] static analysis (scripts/kth-check) ... ' >&2
	start=$EPOCHREALTIME
	failed_before=$failed
	set +e
	"$scripts/kth-check" --ktap ${kver:+--kver "$kver"} >"$staticlog/kth-check.log" 2>&1
	gate_rc=$?
	"$scripts/kth-check" --ktap --selftest >"$staticlog/rules.log" 2>&1
	rules_rc=$?
	"$harness/kth-lint-guest" --ktap "$topdir"/tests/guest/*.sh >"$staticlog/guest-checks.log" 2>&1
	lint_rc=$?
	"$harness/kth-lint-guest" --ktap --selftest >>"$staticlog/guest-checks.log" 2>&1
	lint_self_rc=$?
	"$harness/kth-kthctl-check" --ktap >"$staticlog/kthctl.log" 2>&1
	kthctl_rc=$?
	"$harness/kth-build-matrix" --ktap >"$staticlog/build-matrix.log" 2>&1
	matrix_rc=$?
	"$harness/kth-tree-builds" --ktap >"$staticlog/trees.log" 2>&1
	trees_rc=$?
	set -e
	secs=$(elapsed_since "$start")
	collect_results "$staticlog/kth-check.log" static
	nresults=$collected
	[[ $gate_rc -le 1 ]] || add_result "not ok" static.kth-check \
		"exited $gate_rc: $(tail -n 1 "$staticlog/kth-check.log")"
	collect_results "$staticlog/rules.log" static
	nresults=$((nresults + collected))
	[[ $rules_rc -le 1 ]] || add_result "not ok" static.rules \
		"exited $rules_rc: $(tail -n 1 "$staticlog/rules.log")"
	collect_results "$staticlog/guest-checks.log" static
	nresults=$((nresults + collected))
	[[ $lint_rc -le 1 ]] || add_result "not ok" static.guest-checks \
		"kth-lint-guest exited $lint_rc: $(tail -n 1 "$staticlog/guest-checks.log")"
	[[ $lint_self_rc -le 1 ]] || add_result "not ok" static.guest-checks.selftest \
		"kth-lint-guest --selftest exited $lint_self_rc: $(tail -n 1 "$staticlog/guest-checks.log")"
	collect_results "$staticlog/kthctl.log" static
	nresults=$((nresults + collected))
	[[ $kthctl_rc -le 1 ]] || add_result "not ok" static.kthctl \
		"kth-kthctl-check exited $kthctl_rc: $(tail -n 1 "$staticlog/kthctl.log")"
	collect_results "$staticlog/build-matrix.log" static
	nresults=$((nresults + collected))
	[[ $matrix_rc -le 1 ]] || add_result "not ok" static.build-matrix \
		"exited $matrix_rc: $(tail -n 1 "$staticlog/build-matrix.log")"
	collect_results "$staticlog/trees.log" static
	nresults=$((nresults + collected))
	[[ $trees_rc -le 1 ]] || add_result "not ok" static.trees \
		"kth-tree-builds exited $trees_rc: $(tail -n 1 "$staticlog/trees.log")"
	judge_selftest
	nresults=$((nresults + 1))
	add_note "static analysis: $secs s, findings in ${staticlog#"$topdir"/}/kth-check.log, rules.log, guest-checks.log, kthctl.log, build-matrix.log and trees.log"
	nfailed=$((failed - failed_before))
	if [[ $nfailed -eq 0 ]]; then
		printf '%s s, %d checks\n' "$secs" "$nresults" >&2
	else
		printf '%s s, %d checks, %d FAILED, log %s\n' "$secs" "$nresults" \
			"$nfailed" "$staticlog/kth-check.log" >&2
	fi
}
