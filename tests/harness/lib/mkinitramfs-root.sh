# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# mkinitramfs-root.sh - programs and files from an unpacked Debian root in
# the image of tests/harness/kth-mkinitramfs, sourced by it: --root-bin (a
# dynamically linked program with its loader and libraries), --root-file,
# --udev (Debian's systemd-udevd, udevadm, rules and the groups they name)
# and --trace-cmd (Debian's trace-cmd, libtraceevent's plugins).

lib_dirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /lib /usr/lib)
declare -A staged=()	# guest path -> copied
with_extras=		# ", udev, trace-cmd" for the summary

# PATH inside ROOT with its symbolic links followed inside ROOT.
root_resolve() { # ROOT PATH
	local path=$2 target n=0
	while [[ -L $1$path ]]; do
		target=$(readlink "$1$path")
		[[ $target == /* ]] || target=${path%/*}/$target
		path=$(realpath -m -s "$target")
		n=$((n + 1))
		[[ $n -lt 40 ]] || die "$1$2: too many levels of symbolic links"
	done
	printf '%s\n' "$path"
}

# Copy the ELF file SRC to DEST in the guest, then its loader and each
# NEEDED library, looked up in its RUNPATH and the system directories, in
# ROOT first, on the host second; the library goes to the directory it was
# found in.
stage_elf() { # ROOT SRC DEST
	local root=$1 src=$2 dest=$3 dyn interp name dir base found rpath=() needed=()
	[[ -z ${staged[$dest]:-} ]] || return 0
	staged[$dest]=1
	mkdir -p "$stage${dest%/*}"
	cp -L "$src" "$stage$dest"
	interp=$(readelf -lW "$src" | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
	if [[ -n $interp ]]; then
		if [[ -e $root$interp ]]; then
			stage_elf "$root" "$root$interp" "$interp"
		else
			[[ -e $interp ]] || die "loader $interp of $dest not found"
			stage_elf "$root" "$interp" "$interp"
		fi
	fi
	dyn=$(readelf -dW "$src")
	IFS=: read -ra rpath <<<"$(sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]$/\1/p' <<<"$dyn" |
		sed "s|\\\$ORIGIN|${dest%/*}|g; s|\\\${ORIGIN}|${dest%/*}|g")"
	mapfile -t needed < <(sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' <<<"$dyn")
	for name in "${needed[@]}"; do
		found=
		for base in "$root" ""; do
			for dir in "${rpath[@]}" "${lib_dirs[@]}"; do
				[[ -n $dir && -e $base$dir/$name ]] || continue
				found=$base$dir/$name
				break 2
			done
		done
		[[ -n $found ]] || die "$name (needed by $dest) found neither in $root nor on the host"
		stage_elf "$root" "$found" "$dir/$name"
	done
}

# --root-bin, --root-file, --udev and --trace-cmd; sets $with_extras for
# the summary.
stage_from_roots() {
	local uroot troot spec root path real gid group
	if [[ $trace_cmd -eq 1 ]]; then
		troot=$("$here/kth-fetch-trace-cmd") || die "kth-fetch-trace-cmd failed"
		# the plugins are dlopen()ed: their one library comes with trace-cmd
		root_bins+=("$troot:/usr/bin/trace-cmd")
		root_files+=("$troot:/usr/lib/x86_64-linux-gnu/traceevent")
		with_extras+=", trace-cmd"
	fi
	if [[ $udev -eq 1 ]]; then
		uroot=$("$here/kth-fetch-udev") || die "kth-fetch-udev failed"
		root_bins+=("$uroot:/lib/systemd/systemd-udevd" "$uroot:/bin/udevadm")
		root_files+=("$uroot:/etc/udev" "$uroot:/lib/udev/rules.d")
	fi
	for spec in "${root_bins[@]}"; do
		root=${spec%%:*}
		path=${spec#*:}
		[[ $spec == *:/* && -d $root ]] || die "--root-bin $spec: give ROOT:/PATH with ROOT a directory"
		[[ -e $root$path || -L $root$path ]] || die "--root-bin $spec: $root$path not found"
		real=$(root_resolve "$root" "$path")
		stage_elf "$root" "$root$real" "$real"
		if [[ $real != "$path" ]]; then
			mkdir -p "$stage${path%/*}"
			ln -sfn "$real" "$stage$path"
		fi
	done
	for spec in "${root_files[@]}"; do
		root=${spec%%:*}
		path=${spec#*:}
		[[ $spec == *:/* && -e $root$path ]] || die "--root-file $spec: $root$path not found"
		mkdir -p "$stage${path%/*}"
		if [[ -d $root$path ]]; then
			mkdir -p "$stage$path"
			cp -a "$root$path/." "$stage$path/"
		else
			cp -a "$root$path" "$stage$path"
		fi
	done
	if [[ $udev -eq 1 ]]; then
		mkdir -p "$stage/etc/udev/rules.d"
		# the groups Debian's rules give devices to, as on a Debian system
		gid=100
		while read -r group; do
			printf '%s:x:%d:\n' "$group" "$gid" >>"$stage/etc/group"
			gid=$((gid + 1))
		done < <(grep -oh 'GROUP="[a-z0-9_-]*"' "$uroot"/lib/udev/rules.d/*.rules |
			cut -d'"' -f2 | sort -u)
		with_extras+=", udev"
	fi
}
