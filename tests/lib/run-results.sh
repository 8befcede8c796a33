# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-results.sh - tests/run's result bookkeeping, sourced by it: the
# results in order (add_result, add_note), the KTH-RESULT lines of a log
# turned into results (collect_results) and the KTAP printed at the end
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

# Turn the KTH-RESULT lines of FILE into results; counts them in $collected.
# With a third argument, the lines a guest scenario prints starting with
# "# " (its figures) become KTAP diagnostics too.
collect_results() {
	local file=$1 prefix=$2 diag=${3:-} line rest reason in_dmesg=0
	collected=0
	while IFS= read -r line; do
		case $line in
		*KTH-DMESG-BEGIN*) in_dmesg=1; continue ;;
		*KTH-DMESG-END*) in_dmesg=0; continue ;;
		*KTH-RESULT\ *) [[ $in_dmesg -eq 0 ]] || continue ;;
		"# "*)
			[[ -z $diag || $in_dmesg -eq 1 ]] || add_diag "$prefix: ${line#\# }"
			continue
			;;
		*) continue ;;
		esac
		rest=${line#*KTH-RESULT }
		reason=
		if [[ $rest == *" # "* ]]; then
			reason=${rest#*" # "}
			rest=${rest%%" # "*}
		fi
		read -r rest <<<"$rest"	# trim
		case $rest in
		"ok "*) add_result ok "$prefix.${rest#ok }" ;;
		"not ok "*) add_result "not ok" "$prefix.${rest#not ok }" "$reason" ;;
		"skip "*) add_result ok "$prefix.${rest#skip }" "SKIP $reason" ;;
		*) add_result "not ok" "$prefix.malformed-result" "$line" ;;
		esac
		collected=$((collected + 1))
	done <"$file"
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
