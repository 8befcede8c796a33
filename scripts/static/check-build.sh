# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-build.sh - scripts/kth-check's builds, sourced by it: a W=1 build
# and a sparse build (C=2) of the kernel targets in a copy of the tree (the
# product by ./Kbuild; a tree of modules of its own, such as tests/Kbuild,
# whole, against the product, as `make tests` builds it; a target outside
# the project, or one no Kbuild of the project builds, in a copy of its
# own against the framework), their reports filed by
# target (findings.w1-build.I, findings.sparse.I), reports inside the
# kernel's own headers counted and shown as ignored ($build_notes).

build_notes=()	# notes printed before the summary
declare -A extdir=()	# target -> its own build directory (see above)
subtrees=()	# trees of modules of their own in the project, built whole
tree=		# the copy of the project that is built

kmake() { # LOG ARGS...
	local logf=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u KERNELRELEASE -u M -u W -u C \
		make -C "$kdir" -k -j"$jobs" "${kernel_cc[@]}" "$@" modules >"$logf" 2>&1
}

# Builds run on a copy of the tree, so that nothing is written into it and
# a build in progress in the tree itself does not disturb this one.
run_builds() {
	local t0 i d n
	t0=$EPOCHREALTIME
	tree=$work/tree
	mkdir -p "$tree"
	tar -C "$topdir" --warning=no-file-changed --exclude=./.git --exclude=./build \
		--exclude=./scripts/static/coccinelle/examples --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.order' \
		--exclude=Module.symvers --exclude='*.deb' --exclude='*.gz' --exclude='*.xz' \
		-cf - . | tar -C "$tree" -xf - || [[ $? -eq 1 ]]
	# ext DIR for target I: where it is built when the project's Kbuild
	# does not build it (a driver of your own, or one not yet listed).
	kmake "$work/w1.log" M="$tree" W=1 || true
	find_subtrees
	for n in "${!subtrees[@]}"; do
		kmake "$work/w1.sub.$n.log" M="$tree/${subtrees[$n]}" W=1 \
			KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" \
			KCFLAGS="-I$tree/framework/include" KTH_INCLUDE="$tree/framework/include" || true
	done
	for i in "${kernel_targets[@]}"; do
		if [[ ${tinside[$i]} -eq 1 ]]; then
			d=$tree/${tdir[$i]#"$topdir"/}
		else
			d=$work/ext.$i
			mkdir -p "$d"
			tar -C "${tdir[$i]}" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
				--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.order' \
				--exclude=Module.symvers -cf - . | tar -C "$d" -xf -
		fi
		[[ -f $d/Kbuild || -f $d/Makefile ]] || continue
		if [[ ${tinside[$i]} -eq 0 ]] || ! compgen -G "$d/*.ko" >/dev/null; then
			extdir[$i]=$d
			kmake "$work/w1.ext.$i.log" M="$d" W=1 \
				KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" \
				KCFLAGS="-I$tree/framework/include" KTH_INCLUDE="$tree/framework/include" || true
		fi
	done
	stage_secs[w1-build]=$(elapsed "$t0")

	t0=$EPOCHREALTIME
	kmake "$work/sparse.log" M="$tree" W=1 C=2 CHECK=sparse || true
	for n in "${!subtrees[@]}"; do
		kmake "$work/sparse.sub.$n.log" M="$tree/${subtrees[$n]}" W=1 C=2 CHECK=sparse \
			KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" \
			KCFLAGS="-I$tree/framework/include" KTH_INCLUDE="$tree/framework/include" || true
	done
	for i in "${!extdir[@]}"; do
		kmake "$work/sparse.ext.$i.log" M="${extdir[$i]}" W=1 C=2 CHECK=sparse \
			KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" \
			KCFLAGS="-I$tree/framework/include" KTH_INCLUDE="$tree/framework/include" || true
	done
	stage_secs[sparse]=$(elapsed "$t0")
	file_build_reports
}

# find_subtrees: the directories of the project below the top whose
# Kbuild lists only directories (tests/), where a kernel target is.
find_subtrees() {
	local d i
	while IFS= read -r d; do
		kbuild_only_dirs "$topdir/$d/Kbuild" || continue
		for i in "${kernel_targets[@]}"; do
			if [[ ${tdir[$i]} == "$topdir/$d"/* ]]; then
				subtrees+=("$d")
				break
			fi
		done
	done < <(cd "$topdir" && find . -mindepth 2 \( -path ./.git -o -path ./build \) -prune \
		-o -name Kbuild -type f -printf '%h\n' | sed 's|^\./||' | sort)
}

# File the builds' reports by target.
file_build_reports() {
	local mapsed i check logs line path d
	# Map the copies back to the real paths.
	mapsed=(-e "s|$tree/|$topdir/|g")
	for i in "${!extdir[@]}"; do
		[[ ${tinside[$i]} -eq 1 ]] || mapsed+=(-e "s|${extdir[$i]}/|${tdir[$i]}/|g")
	done
	for check in w1-build sparse; do
		logs=("$work/${check%-build}.log")
		for i in "${!subtrees[@]}"; do logs+=("$work/${check%-build}.sub.$i.log"); done
		for i in "${!extdir[@]}"; do logs+=("$work/${check%-build}.ext.$i.log"); done
		cat "${logs[@]}" | sed "${mapsed[@]}" >"$work/$check.all"
		: >"$work/$check.elsewhere"
		: >"$work/$check.ignored"
		while IFS= read -r line; do
			if [[ $line =~ ^([^:\ ]+):[0-9]+(:[0-9]+)?:\ (warning|error):\  ]]; then
				# FILE:LINE[:COL]: warning|error: ...
				path=${BASH_REMATCH[1]}
				i=$(owner_of "$path")
				if [[ -n $i ]]; then
					printf '%s\n' "$line" | relpath >>"$work/findings.$check.$i"
				elif [[ $path == "$topdir"/* ]]; then
					printf '%s\n' "$line" | relpath >>"$work/$check.elsewhere"
				else
					printf '%s\n' "$line" >>"$work/$check.ignored"
				fi
			elif [[ $check == w1-build && $line =~ (warning|error|WARNING|ERROR): ]]; then
				# modpost, the compiler driver: a file of ours in the line
				for i in "${kernel_targets[@]}"; do
					[[ $line != *"${tdir[$i]}/"* ]] ||
						printf '%s\n' "$line" | relpath >>"$work/findings.$check.$i"
				done
			fi
		done <"$work/$check.all"
		if [[ -s $work/$check.ignored ]]; then
			build_notes+=("$check: $(wc -l <"$work/$check.ignored") report(s) located in the kernel's own headers, ignored:")
			while IFS= read -r line; do
				build_notes+=("  $line")
			done < <(sort -u "$work/$check.ignored" | head -n 20)
		fi
		if [[ -s $work/$check.elsewhere ]]; then
			build_notes+=("$check: $(wc -l <"$work/$check.elsewhere") report(s) in project files outside the checked directories; first: $(head -n 1 "$work/$check.elsewhere" | cut -c1-200)")
		fi
	done
	# A module directory that produced no module fails its build check,
	# whatever the errors were.
	for i in "${kernel_targets[@]}"; do
		d=${extdir[$i]:-$tree/${tdir[$i]#"$topdir"/}}
		if [[ -f $d/Kbuild || -f $d/Makefile ]] && ! compgen -G "$d/*.ko" >/dev/null; then
			echo "${tname[$i]}: no module was built (the errors above, or make -C ${tname[$i]})" \
				>>"$work/findings.w1-build.$i"
		fi
	done
}
