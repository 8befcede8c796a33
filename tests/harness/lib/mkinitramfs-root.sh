# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# mkinitramfs-root.sh - programs and files from an unpacked Debian root in
# the image of tests/harness/kth-mkinitramfs, sourced by it: --root-bin (a
# dynamically linked program with its loader and libraries), --root-file,
# --udev (Debian's systemd-udevd, udevadm, rules and the groups they name),
# --trace-cmd (Debian's trace-cmd, libtraceevent's plugins),
# --node-exporter (Debian's node_exporter, with kthelper's metrics service)
# and --journal (Debian's journald and systemd, kthelper's journal files).

lib_dirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /lib /usr/lib)
declare -A staged=()	# guest path -> copied
with_extras=		# ", udev, trace-cmd, node_exporter, journal" for the summary

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
# NEEDED library, looked up in its RUNPATH, the RUNPATHs of the objects
# that need it (DIRS: the loader has loaded by name what they found, as
# systemd's RUNPATH finds libsystemd-shared for libsystemd-core) and the
# system directories, in ROOT first, on the host second; the library goes
# to the directory it was found in.
stage_elf() { # ROOT SRC DEST [DIRS]
	local root=$1 src=$2 dest=$3 dyn interp name dir base found rpath=() needed=()
	local inherited=()
	[[ -z ${4:-} ]] || IFS=: read -ra inherited <<<"$4"
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
			for dir in "${rpath[@]}" "${inherited[@]}" "${lib_dirs[@]}"; do
				[[ -n $dir && -e $base$dir/$name ]] || continue
				found=$base$dir/$name
				break 2
			done
		done
		[[ -n $found ]] || die "$name (needed by $dest) found neither in $root nor on the host"
		stage_elf "$root" "$found" "$dir/$name" "$(IFS=:; echo "${rpath[*]}${4:+:$4}")"
	done
}

# --root-bin, --root-file, --udev, --trace-cmd, --node-exporter and
# --journal; sets $with_extras for the summary.
stage_from_roots() {
	local uroot troot proot jroot spec root path real gid group unit
	if [[ $trace_cmd -eq 1 ]]; then
		troot=$("$here/kth-fetch-trace-cmd") || die "kth-fetch-trace-cmd failed"
		# the plugins are dlopen()ed: their one library comes with trace-cmd
		root_bins+=("$troot:/usr/bin/trace-cmd")
		root_files+=("$troot:/usr/lib/x86_64-linux-gnu/traceevent")
		with_extras+=", trace-cmd"
	fi
	if [[ $node_exporter -eq 1 ]]; then
		proot=$("$here/kth-fetch-prometheus") || die "kth-fetch-prometheus failed"
		root_bins+=("$proot:/usr/bin/prometheus-node-exporter")
		root_files+=("$proot:/lib/systemd/system/prometheus-node-exporter.service"
			     "$proot:/etc/default/prometheus-node-exporter"
			     "$proot:/var/lib/prometheus/node-exporter")
		# the service that writes kthelper.prom (tests/guest/scrape.sh
		# runs its ExecStart)
		unit=$topdir/scripts/packaging/systemd/kthelper-metrics.service
		[[ -f $unit ]] || die "$unit missing"
		install -D -m 0644 "$unit" "$stage/lib/systemd/system/${unit##*/}"
		with_extras+=", node_exporter"
	fi
	if [[ $journal -eq 1 ]]; then
		jroot=$("$here/kth-fetch-journal") || die "kth-fetch-journal failed"
		root_bins+=("$jroot:/lib/systemd/systemd-journald" "$jroot:/bin/journalctl"
			    "$jroot:/usr/bin/logger" "$jroot:/lib/systemd/systemd"
			    "$jroot:/bin/systemctl")
		# what a service's default dependencies name; without their
		# .wants directories nothing else starts
		for unit in basic sysinit shutdown slices sockets paths timers local-fs swap; do
			root_files+=("$jroot:/lib/systemd/system/$unit.target")
		done
		printf 'systemd-journal:x:90:\n' >>"$stage/etc/group"
		# kthelper's files, installed as for the .deb (tests/guest/journal.sh)
		make -s -C "$topdir" install-journal DESTDIR="$stage" PREFIX=/usr >&2 ||
			die "make install-journal (kthelper's journal files) failed"
		with_extras+=", journal"
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
