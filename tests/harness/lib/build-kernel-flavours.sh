# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# build-kernel-flavours.sh - the flavours of tests/harness/kth-build-kernel,
# sourced by it.  kernel_flavour FLAVOUR sets, for that flavour:
#   base       the first configuration: a make target, then fragments of
#              the kernel's own kernel/configs/ merged first
#   fragments  ours (tests/harness/*.config), merged after them, in order
#   cache      its directory under $kcache
#   layout     o (make O=build/) or inplace (make in src/)
#   llvm       1 to build with LLVM=1
#   expected   objects compiled from scratch, until a build has counted them
# and dies on an unknown flavour.  Uses $here, $kcache and die().

kernel_flavour() {
	layout=o
	llvm=0
	case $1 in
	debug)
		base=(x86_64_defconfig kvm_guest.config)
		fragments=("$here/debug-kernel-common.config" "$here/debug-kernel.config")
		cache=$kcache/debug-kernel
		expected=2800	# 6.1
		;;
	kcsan)
		base=(x86_64_defconfig kvm_guest.config)
		fragments=("$here/debug-kernel-common.config" "$here/debug-kernel-kcsan.config")
		cache=$kcache/debug-kernel-kcsan
		expected=2800
		;;
	tree|tree-o|tree-clang)
		base=(tinyconfig)
		fragments=("$here/tree-kernel.config")
		cache=$kcache/trees/$1
		[[ $1 != tree ]] || layout=inplace
		[[ $1 != tree-clang ]] || llvm=1
		# tree-o is also the kernel that runs no user-mode helpers
		# (CONFIG_STATIC_USERMODEHELPER, empty path): make check-trees
		# boots it for tests/guest/helper-static.sh.
		[[ $1 != tree-o ]] || fragments+=("$here/tree-kernel-static-umh.config")
		expected=1240	# 6.1, gcc
		;;
	*) die "unknown flavour '$1' (debug, kcsan, tree, tree-o or tree-clang)" ;;
	esac
}
