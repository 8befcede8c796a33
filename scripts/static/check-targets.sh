# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-targets.sh - what scripts/kth-check checks, sourced by it: the
# target directories (the DIRs given, or every directory of the project
# with a Kbuild file, tests/guest and tools/*), their kind (kernel, user
# space or shell: tools/*),
# whether they are inside the project, and the .c and .h files of each
# ($work/files.I).

tdir=()		# absolute directory
tname=()	# name in results: path relative to the project, or as given
tkind=()	# kernel | user | shell
tinside=()	# 1 if inside the project
kernel_targets=()	# the indexes of the kernel targets
# kind_of DIR: shell (the project's tools/*/), kernel (a Kbuild or a
# Makefile: a module's directory) or user (C with neither: programs)
kind_of() {
	if [[ $1 == "$topdir"/tools/* ]]; then
		echo shell
	elif [[ -e $1/Kbuild || -e $1/Makefile ]] || ! compgen -G "$1/*.c" >/dev/null; then
		echo kernel
	else
		echo user
	fi
}
add_target() { # DIR NAME
	local dir=$1 name=$2 i
	for i in "${!tdir[@]}"; do
		[[ ${tdir[$i]} != "$dir" ]] || return 0
	done
	tdir+=("$dir")
	tname+=("$name")
	tkind+=("$(kind_of "$dir")")
	if [[ $dir == "$topdir"/* ]]; then
		tinside+=(1)
	else
		tinside+=(0)
	fi
}

# kbuild_only_dirs KBUILD: it builds no object of its own, only directories.
kbuild_only_dirs() {
	! grep -qE '^[^#]*\.o\b' "$1"
}

# find_targets DIR...: the targets, and the files of each.
find_targets() {
	local d a i prune
	if [[ $# -eq 0 ]]; then
		# a Kbuild that only lists directories (the top's, tests/')
		# is no target: its directories are
		while IFS= read -r d; do
			! kbuild_only_dirs "$d/Kbuild" || continue
			add_target "$d" "${d#"$topdir"/}"
		done < <(find "$topdir" \( -path "$topdir/.git" -o -path "$topdir/build" \
			-o -path "$staticdir" \) -prune -o -name Kbuild -type f -printf '%h\n' | sort)
		# user-space programs: C in a directory that no Kbuild builds,
		# outside the kernel targets (their probes/ are theirs)
		while IFS= read -r d; do
			[[ $(kind_of "$d") == user && -z $(owner_of "$d/x") ]] || continue
			add_target "$d" "${d#"$topdir"/}"
		done < <(find "$topdir" \( -path "$topdir/.git" -o -path "$topdir/build" \
			-o -path "$staticdir" \) -prune -o -name '*.c' -type f -printf '%h\n' | sort -u)
		for d in "$topdir"/tools/*/; do
			[[ ! -d $d ]] || add_target "${d%/}" "tools/$(basename "$d")"
		done
	else
		for a in "$@"; do
			[[ -d $a ]] || die "no directory '$a'"
			d=$(cd "$a" && pwd -P)
			if [[ $d == "$topdir" ]]; then
				die "name subdirectories (or none for the whole project), not the project itself"
			elif [[ $d == "$topdir"/* ]]; then
				add_target "$d" "${d#"$topdir"/}"
			else
				add_target "$d" "${a%/}"
			fi
		done
	fi
	[[ ${#tdir[@]} -gt 0 ]] || die "nothing to check"

	# Files of each target: .c and .h, build outputs and the rules' examples
	# (unless asked for) left out.
	for i in "${!tdir[@]}"; do
		prune=(-path "$topdir/.git" -o -path "$topdir/build")
		[[ ${tdir[$i]} == "$staticdir"* ]] || prune+=(-o -path "$staticdir")
		find "${tdir[$i]}" \( "${prune[@]}" \) -prune -o -type f \
			\( -name '*.c' -o -name '*.h' \) ! -name '*.mod.c' -print |
			sort >"$work/files.$i"
	done
	for i in "${!tdir[@]}"; do
		[[ ${tkind[$i]} != kernel ]] || kernel_targets+=("$i")
	done
}
