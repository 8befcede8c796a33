# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-shell.sh - scripts/kth-check's check of the shell targets (tools/*/:
# what a user runs on a target system, busybox's ash included), sourced by
# it: shellcheck on every shell program there (its dialect from the #! line
# or a "shellcheck shell=" directive) and, where devscripts' checkbashisms
# is installed, checkbashisms --posix --extra on the POSIX sh ones
# (findings.shell.I).

# The shell programs of target I, one a line: files whose first line is a
# #! of sh or bash, and *.sh.
shell_files() { # I
	local f first
	while IFS= read -r f; do
		IFS= read -r first <"$f" || first=
		case $first in
		'#!'*[/\ ]sh | '#!'*[/\ ]bash) printf '%s\n' "$f" ;;
		*) [[ $f != *.sh ]] || printf '%s\n' "$f" ;;
		esac
	done < <(find "${tdir[$1]}" -type f | sort)
}

# A POSIX sh program: #!/bin/sh, or "# shellcheck shell=sh" in a library.
is_posix_sh() { # FILE
	local first
	IFS= read -r first <"$1" || first=
	[[ $first == '#!'*[/\ ]sh ]] || grep -q '^# shellcheck shell=sh$' "$1"
}

run_shellcheck() {
	local t0=$EPOCHREALTIME i f out
	for i in "${!tdir[@]}"; do
		[[ ${tkind[$i]} == shell ]] || continue
		shell_files "$i" >"$work/shell-files.$i"
		while IFS= read -r f; do
			# -x: follow the files it sources (paths from the project's top)
			(cd "$topdir" && shellcheck -x -f gcc "$f" 2>&1) | relpath \
				>>"$work/findings.shell.$i" || true
			if ! is_posix_sh "$f" || ! command -v checkbashisms >/dev/null; then
				continue
			fi
			# "possible bashism in FILE line N (WHAT):" and the line below
			out=$(checkbashisms --posix --extra "$f" 2>&1) || true
			printf '%s\n' "$out" | relpath | sed -n \
				's/^possible bashism in \(.*\) line \([0-9]*\) (\(.*\)):$/\1:\2: bashism: \3/p' \
				>>"$work/findings.shell.$i"
		done <"$work/shell-files.$i"
	done
	stage_secs[shell]=$(elapsed "$t0")
}
