# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# mkinitramfs-kmods.sh - the kernel modules of tests/harness/kth-mkinitramfs,
# sourced by it: each module named (--kmod, the default USB/HID/storage
# set, pvpanic) with its dependencies from the unpacked kernel, decompressed
# into the image's /lib/modules/KVER, and /etc/kth/modules, the names the
# guest's init modprobes.  tests/harness/lib/mkinitramfs-*.sh are the parts
# of kth-mkinitramfs, one concern each; they use its variables and
# log()/warn()/die().

declare -A have=()	# module file (relative to $kmoddir) -> staged

# Print the module files (path relative to $kmoddir) NAME needs, deps first.
# Returns 1 if NAME is unknown, prints nothing if it is built in.
module_files() {
	local deps line path
	deps=$(modprobe --show-depends -d "$kroot" -S "$kver" "$1" 2>/dev/null) || return 1
	while read -r line; do
		case $line in
		insmod\ *)
			path=${line#insmod }
			path=${path%% *}
			printf '%s\n' "${path#"$kmoddir"/}"
			;;
		esac
	done <<<"$deps"
}

stage_kernel_modules() {
	local name files rel dest f loaded=()
	for name in "${kmods[@]}" "${panic_kmods[@]}"; do
		if ! files=$(module_files "$name"); then
			warn "kernel module '$name' not found for $kver, skipped"
			continue
		fi
		if [[ -z $files ]]; then
			log "kernel module '$name' is built into $kver"
			continue
		fi
		loaded+=("$name")
		while read -r rel; do
			[[ -n $rel && -z ${have[$rel]:-} ]] || continue
			have[$rel]=1
			dest=$stage/lib/modules/$kver/$rel
			mkdir -p "${dest%/*}"
			case $rel in
			*.ko.xz) xz -dc "$kmoddir/$rel" >"${dest%.xz}" ;;
			*.ko.zst) zstd -qdc "$kmoddir/$rel" >"${dest%.zst}" ;;
			*.ko.gz) gzip -dc "$kmoddir/$rel" >"${dest%.gz}" ;;
			*) cp "$kmoddir/$rel" "$dest" ;;
			esac
		done <<<"$files"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[[ ! -f $kmoddir/$f ]] || cp "$kmoddir/$f" "$stage/lib/modules/$kver/"
	done
	printf '%s\n' "${loaded[@]}" >"$stage/etc/kth/modules"
	printf '%s\n' "$kver" >"$stage/etc/kth/kver"
}
