# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-prepare.sh - what tests/run makes ready before the boots, sourced by
# it: the project modules (find_modules, check_vermagic), the kernel
# (fetch_kernel), the host preparations NAME.prep (run_preps), the static
# guest helpers (build_guest_helpers) and the initramfs images
# (build_initramfs).

declare -A seen=()	# module file name -> path: two of one name are an error
declare -A prep_rc=() prep_secs=()
declare -A initrd_of=()	# scenario -> its initramfs
modules=()
preps=()
bins=()

# The project modules: KTH_MODULES, or every *.ko of the tree.
find_modules() {
	local ko base
	if [[ -n ${KTH_MODULES:-} ]]; then
		read -ra modules <<<"$KTH_MODULES"
	else
		mapfile -t modules < <(cd "$topdir" &&
			find framework drivers tests templates -name '*.ko' 2>/dev/null |
			sort | sed "s|^|$topdir/|")
	fi
	[[ ${#modules[@]} -gt 0 ]] ||
		die "no .ko found under framework/ drivers/ tests/ templates/: build first (make) or set KTH_MODULES"
	for ko in "${modules[@]}"; do
		[[ -f $ko ]] || die "module $ko not found"
		base=$(basename "$ko")
		[[ -z ${seen[$base]:-} ]] || die "two modules named $base: ${seen[$base]} and $ko"
		seen[$base]=$ko
	done
}

# Host tools and the kernel: sets kroot, kver and kernel.
# (a kernel of --kernel-root has no headers package to install)
fetch_kernel() {
	local setup_kver=$kver
	[[ -z $kernel_root ]] || setup_kver=
	[[ ${KTH_NO_SETUP:-0} == 1 ]] || "$scripts/kth-setup" ${setup_kver:+"$setup_kver"}
	if [[ -n $kernel_root ]]; then
		kroot=$kernel_root
	else
		kroot=$("$harness/kth-fetch-kernel" ${kver:+"$kver"})
		kver=$(basename "$kroot")
	fi
	kernel=$kroot/boot/vmlinuz-$kver
}

# Host-side preparation (NAME.prep) of each selected scenario that has one;
# the modules it leaves go into the initramfs.
run_preps() {
	local name prep prepout preplog start ko base
	for name in "${selected[@]}"; do
		prep=$guestdir/$name.prep
		[[ -x $prep ]] || continue
		prepout=$builddir/prep/$name
		preplog=$builddir/vm/logs/$kver/$name.prep.log
		rm -rf "$prepout"
		mkdir -p "$prepout" "${preplog%/*}"
		printf "[kth] host preparation for '%s' ... " "$name" >&2
		start=$EPOCHREALTIME
		set +e
		KTH_KVER=$kver KTH_PREP_OUT=$prepout timeout -k 5 600 "$prep" >"$preplog" 2>&1
		prep_rc[$name]=$?
		set -e
		prep_secs[$name]=$(elapsed_since "$start")
		printf '%s s\n' "${prep_secs[$name]}" >&2
		preps+=("$name")
		for ko in "$prepout"/*.ko; do
			[[ -f $ko ]] || continue
			base=$(basename "$ko")
			[[ -z ${seen[$base]:-} ]] || die "two modules named $base: ${seen[$base]} and $ko"
			seen[$base]=$ko
			modules+=("$ko")
		done
	done
}

check_vermagic() {
	local ko magic
	for ko in "${modules[@]}"; do
		magic=$(modinfo -F vermagic "$ko" 2>/dev/null) || magic=
		[[ ${magic%% *} == "$kver" ]] ||
			die "$ko is built for '${magic%% *}', testing $kver: rebuild it for $kver (or pass --kver)"
	done
}

# Every tests/guest/*.c built static into build/guest-bin/ when stale.
build_guest_helpers() {
	local sources headers src bin stale h
	shopt -s nullglob
	sources=("$guestdir"/*.c)
	headers=("$guestdir"/*.h)
	shopt -u nullglob
	[[ ${#sources[@]} -gt 0 ]] || return 0
	mkdir -p "$builddir/guest-bin"
	for src in "${sources[@]}"; do
		bin=$builddir/guest-bin/$(basename "$src" .c)
		stale=0
		[[ -f $bin && ! $src -nt $bin ]] || stale=1
		for h in "${headers[@]}"; do
			[[ ! $h -nt $bin ]] || stale=1
		done
		if [[ $stale -eq 1 ]]; then
			log "cc ${src#"$topdir"/}"
			gcc -static -O2 -Wall -o "$bin" "$src"
		fi
		bins+=("$bin")
	done
}

# One image per distinct set of `# kth-initramfs:` options (the later
# --out wins); the scenarios without any share the plain one.
build_initramfs() {
	local initrd=$builddir/vm/initramfs-$kver.gz mkargs ko bin name words
	local -A made=()
	mkargs=(--kver "$kver" --kernel-root "$kroot" --out "$initrd" --scenario-dir "$guestdir")
	for ko in "${modules[@]}"; do mkargs+=(--ko "$ko"); done
	for bin in "${bins[@]}"; do mkargs+=(--static-bin "$bin"); done
	for name in "${selected[@]}"; do
		read -ra words <<<"$(sed -n 's/^#[[:space:]]*kth-initramfs://p' "$guestdir/$name.sh" | tr '\n' ' ')"
		initrd_of[$name]=$initrd
		[[ ${#words[@]} -eq 0 ]] ||
			initrd_of[$name]=${initrd%.gz}-$(tr -cs 'A-Za-z0-9' - <<<"${words[*]}" | sed 's/^-*//; s/-*$//').gz
		[[ -z ${made[${initrd_of[$name]}]:-} ]] || continue
		made[${initrd_of[$name]}]=1
		"$harness/kth-mkinitramfs" "${mkargs[@]}" "${words[@]}" --out "${initrd_of[$name]}"
	done
}
