# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-results.sh - tests/run's result bookkeeping, sourced by it: the
# results in order (add_result, add_note), the KTH-RESULT lines of a log
# turned into results (collect_results) and the KTAP printed at the end
# (print_ktap).  tests/lib/run-*.sh are the parts of tests/run, one concern
# each; they use its variables and log()/die().

ktap=()	# KTAP lines without their numbers: "ok|not ok<TAB>name<TAB>directive"
passed=0
failed=0
skipped=0

add_result() { # status name [directive]
	ktap+=("$1"$'\t'"$2"$'\t'"${3:-}")
	case $1 in
	ok) if [[ ${3:-} == "SKIP"* ]]; then skipped=$((skipped + 1)); else passed=$((passed + 1)); fi ;;
	*) failed=$((failed + 1)) ;;
	esac
}
add_note() { ktap+=("#"$'\t'"$1"$'\t'); }
add_diag() { ktap+=("diag"$'\t'"$1"$'\t'); }	# a KTAP diagnostic line "# TEXT"

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

# Print the results as KTAP; false if any failed.
print_ktap() {
	local ntests n fail_in_group entry st nm dir summary
	ntests=$((passed + failed + skipped))
	echo "KTAP version 1"
	echo "1..$ntests"
	n=0
	fail_in_group=0
	for entry in "${ktap[@]}"; do
		IFS=$'\t' read -r st nm dir <<<"$entry"
		if [[ $st == diag ]]; then
			echo "# $nm"
			continue
		fi
		if [[ $st == "#" ]]; then
			# The note closes a boot's group: name its log when it failed.
			if [[ $fail_in_group -eq 1 ]]; then
				echo "# FAILED $nm"
			else
				echo "# $nm"
			fi
			fail_in_group=0
			continue
		fi
		n=$((n + 1))
		[[ $st == ok ]] || fail_in_group=1
		echo "$st $n $nm${dir:+ # $dir}"
	done
	summary="$passed passed, $failed failed"
	[[ $skipped -eq 0 ]] || summary+=", $skipped skipped"
	echo "$summary"
	[[ $failed -eq 0 ]]
}
