# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-results.sh - tests/run's result bookkeeping, sourced by it: the
# results in order (add_result, add_note), the KTAP results of a log
# turned into its results (collect_results) and the KTAP printed at the end
# (print_ktap).  tests/lib/run-*.sh are the parts of tests/run, one concern
# each; they use its variables and log()/die().
#
# A result's name is GROUP.CHECK (a scenario, or static, dkms...): the KTAP
# has one subtest per group, with its checks inside.

# KTAP entries in order, "kind<TAB>group<TAB>name<TAB>directive"; kind is
# ok, "not ok", note (a line that ends a boot) or diag.
ktap=()
groups=()	# group names in order of their first entry
declare -A group_seen=()
cur_group=	# the group of the last result, for the note that follows
passed=0
failed=0
skipped=0

add_entry() { # kind group name directive
	if [[ -z ${group_seen[$2]:-} ]]; then
		group_seen[$2]=1
		groups+=("$2")
	fi
	ktap+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4")
}

add_result() { # status GROUP.CHECK [directive]
	cur_group=${2%%.*}
	add_entry "$1" "$cur_group" "${2#*.}" "${3:-}"
	case $1 in
	ok) if [[ ${3:-} == "SKIP"* ]]; then skipped=$((skipped + 1)); else passed=$((passed + 1)); fi ;;
	*) failed=$((failed + 1)) ;;
	esac
}
# A note ends the group of the results just added (a boot, a stage).
add_note() { add_entry note "${cur_group:-run}" "$1" ""; }
# A KTAP diagnostic "# GROUP: TEXT", in GROUP's subtest.
add_diag() { add_entry diag "${1%%: *}" "$1" ""; }

# Turn the KTAP result lines of FILE (a guest's console log, a host
# program's output: scripts/lib/ktap.sh) into results named PREFIX.NAME;
# counts them in $collected.  Lines of the guest's dmesg dump are not
# results (the in-kernel tests' KTAP is in it, read by the scenarios).
# Where a document has a plan ("1..N", first or last), N must be the
# number of its results: else PREFIX.plan fails (a result line lost or
# garbled on the console).  With a third argument, the lines a guest
# scenario prints starting with "# " (its figures) become KTAP
# diagnostics too.
collect_results() {
	local file=$1 prefix=$2 diag=${3:-} line res name dir in_dmesg=0 doc=0 plan=
	collected=0
	while IFS= read -r line; do
		case $line in
		*KTH-DMESG-BEGIN*) in_dmesg=1; continue ;;
		*KTH-DMESG-END*) in_dmesg=0; continue ;;
		"KTAP version "*)
			[[ $in_dmesg -eq 0 ]] || continue
			check_plan "$prefix" "$plan" "$doc"
			doc=0 plan=
			continue
			;;
		"ok "[0-9]* | "not ok "[0-9]*) [[ $in_dmesg -eq 0 ]] || continue ;;
		1..[0-9]*)
			[[ $in_dmesg -eq 0 && $line =~ ^1\.\.([0-9]+)$ ]] || continue
			plan=${BASH_REMATCH[1]}
			continue
			;;
		"# "*)
			[[ -z $diag || $in_dmesg -eq 1 || $line == "# Totals: "* ]] ||
				add_diag "$prefix: ${line#\# }"
			continue
			;;
		*) continue ;;
		esac
		dir=
		[[ $line != *" # "* ]] || dir=${line#*" # "}
		res=${line%%" # "*}
		name=${res#*ok }	# "N NAME"
		name=${name#* }
		case $res:$dir in
		"not ok "*) add_result "not ok" "$prefix.$name" "$dir" ;;
		*:SKIP*) dir=${dir#SKIP}; add_result ok "$prefix.$name" "SKIP ${dir# }" ;;
		*) add_result ok "$prefix.$name" ;;
		esac
		collected=$((collected + 1))
		doc=$((doc + 1))
	done <"$file"
	check_plan "$prefix" "$plan" "$doc"
}
# check_plan PREFIX PLAN N: a document's plan (if it had one) against the
# N results read
check_plan() {
	[[ -z $2 || $2 -eq $3 ]] ||
		add_result "not ok" "$1.plan" "the plan says $2 results, $3 were read (a result line lost or garbled?)"
}

# Print the results as KTAP, one subtest per group (each with its plan,
# its checks, and its notes; a note after a failure says FAILED), then the
# plain summary line; false if any failed.
print_ktap() {
	local g i n entry kind grp nm dir sub_n sub_fail sub_skip sub_ok summary
	echo "KTAP version 1"
	echo "1..${#groups[@]}"
	i=0
	for g in "${groups[@]}"; do
		i=$((i + 1))
		sub_n=0 sub_fail=0 sub_skip=0
		for entry in "${ktap[@]}"; do
			IFS=$'\t' read -r kind grp _ dir <<<"$entry"
			[[ $grp == "$g" ]] || continue
			case $kind in
			ok) sub_n=$((sub_n + 1)); [[ $dir != SKIP* ]] || sub_skip=$((sub_skip + 1)) ;;
			"not ok") sub_n=$((sub_n + 1)); sub_fail=$((sub_fail + 1)) ;;
			esac
		done
		echo "    KTAP version 1"
		echo "    # Subtest: $g"
		echo "    1..$sub_n"
		n=0
		sub_ok=1
		for entry in "${ktap[@]}"; do
			IFS=$'\t' read -r kind grp nm dir <<<"$entry"
			[[ $grp == "$g" ]] || continue
			case $kind in
			diag) echo "    # $nm" ;;
			note)
				if [[ $sub_ok -eq 0 ]]; then echo "    # FAILED $nm"; else echo "    # $nm"; fi
				sub_ok=1
				;;
			*)
				n=$((n + 1))
				[[ $kind == ok ]] || sub_ok=0
				echo "    $kind $n $nm${dir:+ # $dir}"
				;;
			esac
		done
		if [[ $sub_fail -gt 0 ]]; then
			echo "not ok $i $g"
		elif [[ $sub_n -gt 0 && $sub_skip -eq $sub_n ]]; then
			echo "ok $i $g # SKIP every check skipped"
		else
			echo "ok $i $g"
		fi
	done
	summary="$passed passed, $failed failed"
	[[ $skipped -eq 0 ]] || summary+=", $skipped skipped"
	echo "$summary"
	[[ $failed -eq 0 ]]
}
