# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-style.sh - scripts/kth-check's checks of the source text, sourced
# by it: the kernel's checkpatch.pl --strict on every .c and .h of every
# target (findings.checkpatch.I; checkpatch's own trouble in
# checkpatch.errors) and kernel-doc on the .c files and public headers of
# the kernel targets (findings.kernel-doc.I).

checkpatch_one() { # FILE OUT
	local file=$1 out=$2 ignore=()
	# The compat headers (*_compat.h: the framework's, a driver's own,
	# the tests') are the one place allowed to test the version.
	case $file in
	*_compat.h) ignore=(--ignore LINUX_VERSION_CODE) ;;
	esac
	(cd "$cpdir" && perl "$checkpatch" --strict --no-tree --show-types --emacs --terse -q \
		--no-summary "${ignore[@]}" -f "$file") >"$out" 2>"$out.err" || true
}

run_checkpatch() {
	local t0 camel_cache n=0 i f k
	t0=$EPOCHREALTIME
	cpdir=$work/checkpatch
	mkdir -p "$cpdir"
	# checkpatch --no-tree cannot see the kernel's headers, so it would call
	# every CamelCase name from them (USB descriptors: idVendor...) a finding.
	# Seed its CamelCase cache with the names the headers use, as it does
	# itself inside a kernel tree; the cache is read from the working directory.
	camel_cache=${KTH_CACHE:-$HOME/.cache/kthelper}/camelcase/$(basename "$ksrc").txt
	if [[ ! -s $camel_cache || $ksrc/include -nt $camel_cache ]]; then
		mkdir -p "$(dirname "$camel_cache")"
		grep -rhoE --include='*.h' '\b[A-Za-z_][A-Za-z0-9_]*[a-z][A-Z][A-Za-z0-9_]*\b' \
			"$ksrc/include" "$ksrc/arch/x86/include" "$kdir/include" \
			"$kdir/arch/x86/include" 2>/dev/null | sort -u >"$camel_cache.$$" || true
		mv "$camel_cache.$$" "$camel_cache"
	fi
	cp "$camel_cache" "$cpdir/.checkpatch-camelcase.date.0"
	for i in "${!tdir[@]}"; do
		while IFS= read -r f; do
			n=$((n + 1))
			checkpatch_one "$f" "$cpdir/out.$n" &
			[[ $((n % jobs)) -ne 0 ]] || wait
		done <"$work/files.$i"
	done
	wait
	: >"$work/checkpatch.all"
	for ((k = 1; k <= n; k++)); do
		grep -E ': (ERROR|WARNING|CHECK):' "$cpdir/out.$k" >>"$work/checkpatch.all" || true
		# checkpatch's own trouble (not the --no-tree CamelCase noise)
		# shellcheck disable=SC2016,SC1112 # a literal $root; checkpatch's own quotes
		grep -v -e 'uninitialized value \$root' -e "find: '/include'" -e 'find: ‘/include’' \
			"$cpdir/out.$k.err" | sed 's/^/checkpatch: /' >>"$work/checkpatch.errors" || true
	done
	distribute checkpatch "$work/checkpatch.all"
	stage_secs[checkpatch]=$(elapsed "$t0")
}

# -none -v: parse every /** comment of the .c files and of the public
# headers (those under an include/ directory), warn about anything
# malformed or missing (members, parameters, Return:).  Not -export: 6.1's
# kernel-doc does not know EXPORT_SYMBOL_NS_GPL.  Private headers are left
# out, as the kernel's own W=1 build leaves them.
run_kernel_doc() {
	local t0 i
	t0=$EPOCHREALTIME
	for i in "${kernel_targets[@]}"; do
		grep -E '\.c$|/include/[^/]+\.h$' "$work/files.$i" >"$work/kdoc-files.$i" || true
		[[ -s $work/kdoc-files.$i ]] || continue
		xargs -d '\n' perl "$kerneldoc" -none -v <"$work/kdoc-files.$i" >"$work/kdoc.$i" 2>&1 || true
		grep -E ': (warning|error): |^(Warning|Error)' "$work/kdoc.$i" | relpath \
			>>"$work/findings.kernel-doc.$i" || true
	done
	stage_secs[kernel-doc]=$(elapsed "$t0")
}
