# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-report.sh - scripts/kth-check's results, sourced by it: one result
# a check (result: a human line, or with --ktap a KTAP result,
# scripts/lib/ktap.sh, with the findings on "# " lines after it), notes,
# the closing summary and exit status (finish), and the findings of each
# check filed by the target they are in (distribute, report).  scripts/static/check-*.sh are the parts of
# kth-check, one concern each; they use its variables and log()/die().

# shellcheck source=scripts/lib/ktap.sh
. "$here/lib/ktap.sh"
[[ $ktap -eq 0 ]] || ktap_print_header

nchecks=0
nfailed=0
nskipped=0
# result STATUS NAME REASON [FINDINGS-FILE]
result() {
	local status=$1 name=$2 reason=${3:-} file=${4:-} n=0 line
	nchecks=$((nchecks + 1))
	case $status in
	ok) ;;
	skip) nskipped=$((nskipped + 1)) ;;
	*) nfailed=$((nfailed + 1)) ;;
	esac
	if [[ $ktap -eq 1 ]]; then
		ktap_result "$status" "$name" "$reason"
		if [[ -n $file && -s $file ]]; then
			while IFS= read -r line; do
				n=$((n + 1))
				if [[ $n -gt 100 ]]; then
					echo "#   ... $(($(wc -l <"$file") - 100)) more"
					break
				fi
				echo "#   $line"
			done <"$file"
		fi
	else
		if [[ $status == ok ]]; then
			printf '  ok      %s%s\n' "$name" "${reason:+ ($reason)}"
		elif [[ $status == skip ]]; then
			printf '  skip    %s (%s)\n' "$name" "$reason"
		else
			printf '  FAILED  %s: %s\n' "$name" "$reason"
			[[ -z $file || ! -s $file ]] || sed 's/^/            /' "$file"
		fi
	fi
}
note() {
	if [[ $ktap -eq 1 ]]; then
		echo "# $*"
	else
		echo "$*"
	fi
}
finish() {
	local line
	line="kth-check: $nchecks checks, $nfailed failed"
	[[ $nskipped -eq 0 ]] || line+=", $nskipped skipped"
	line+=", $(elapsed "$start_all") s"
	note "$line"
	[[ $ktap -eq 0 ]] || ktap_finished || true
	[[ $nfailed -eq 0 ]] || exit 1
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
		result "not ok" "$check.${tname[$i]}" "$n finding(s), first: ${first:0:200}" "$f"
	else
		result ok "$check.${tname[$i]}" "$okreason"
	fi
}
