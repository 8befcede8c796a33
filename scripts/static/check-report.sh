# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-report.sh - scripts/kth-check's results, sourced by it: one result
# a check (ktap_report, scripts/lib/ktap.sh: a human line, or with --ktap
# a KTAP result with the findings on "# " lines after it), the closing
# summary and exit status (finish), and the findings of each check filed
# by the target they are in (distribute, report).  scripts/static/check-*.sh are the parts of
# kth-check, one concern each; they use its variables and log()/die().

# shellcheck source=scripts/lib/ktap.sh
. "$here/lib/ktap.sh"
[[ $ktap -eq 0 ]] || ktap_print_header

# --ktap or not: ktap_report and ktap_note (scripts/lib/ktap.sh) print for
# both, and count the results either way.
[[ $ktap -eq 1 ]] || KTAP_PLAIN=1

finish() {
	local line
	line="kth-check: $((KTAP_TESTNO - 1)) checks, $KTAP_CNT_FAIL failed"
	[[ $KTAP_CNT_SKIP -eq 0 ]] || line+=", $KTAP_CNT_SKIP skipped"
	line+=", $(elapsed "$start_all") s"
	ktap_note "$line"
	[[ $ktap -eq 0 ]] || ktap_finished || true
	[[ $KTAP_CNT_FAIL -eq 0 ]] || exit 1
	exit 0
}

# The target of a path (absolute or relative to the project), or nothing.
owner_of() {
	local path=$1 i best='' len=0
	[[ $path == /* ]] || path=$topdir/$path
	for i in "${!tdir[@]}"; do
		if [[ $path == "${tdir[$i]}"/* && ${#tdir[$i]} -gt $len ]]; then
			best=$i
			len=${#tdir[$i]}
		fi
	done
	printf '%s' "$best"
}
# Show paths of the project relative to it.
relpath() { sed "s|$topdir/||g"; }
# Append the lines of FILE to findings.CHECK.TARGET by the path that
# starts each line.
distribute() { # CHECK FILE
	local check=$1 file=$2 line path i
	while IFS= read -r line; do
		path=${line%%:*}
		i=$(owner_of "$path")
		[[ -z $i ]] || printf '%s\n' "$line" | relpath >>"$work/findings.$check.$i"
	done <"$file"
}
# Report CHECK for target I: ok, or the findings.
report() { # CHECK I [REASON-IF-OK]
	local check=$1 i=$2 okreason=${3:-} f=$work/findings.$1.$2 n first
	if [[ -s $f ]]; then
		sort -t: -k1,1 -k2,2n -u -o "$f" "$f"
		n=$(wc -l <"$f")
		first=$(head -n 1 "$f")
		ktap_report "not ok" "$check.${tname[$i]}" "$n finding(s), first: ${first:0:200}" "$f"
	else
		ktap_report ok "$check.${tname[$i]}" "$okreason"
	fi
}
