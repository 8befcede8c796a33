# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# module-trees.sh - the project's module trees, as the top Makefile's
# `make tests` builds them, sourced by the builders of the tests
# (tests/harness/kth-build-modules, tests/harness/kth-build-matrix): the
# product (./Kbuild), then, against its Module.symvers and headers, the
# test modules (tests/Kbuild) and the template (templates/kth_template).

kth_test_trees=(tests templates/kth_template)

# kth_trees_make TREE CMD...: `CMD M=... modules` for each tree of the
# copy TREE in turn (CMD: make -C KDIR and its arguments, perhaps in a
# root).  Every tree is tried; non-zero when any failed.
kth_trees_make() {
	local tree=$1 rc=0 sub
	shift
	"$@" M="$tree" modules || rc=1
	for sub in "${kth_test_trees[@]}"; do
		"$@" M="$tree/$sub" KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" \
			KTH_INCLUDE="$tree/framework/include" modules || rc=1
	done
	return "$rc"
}

# kth_trees_module_dirs TOPDIR: every directory that builds a module,
# relative to TOPDIR, one a line.
kth_trees_module_dirs() {
	local sub
	sed -n 's|^obj-m[[:space:]]*+=[[:space:]]*\(.*\)/[[:space:]]*$|\1|p' "$1/Kbuild"
	for sub in "${kth_test_trees[@]}"; do
		if grep -qE '^[^#]*\.o\b' "$1/$sub/Kbuild"; then
			echo "$sub"
		else
			sed -n "s|^obj-m[[:space:]]*+=[[:space:]]*\\(.*\\)/[[:space:]]*\$|$sub/\\1|p" "$1/$sub/Kbuild"
		fi
	done
}
