# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2016,SC2154
# (SC2016: hooks and chrooted commands are expanded where they run;
#  SC2154: kth_cache and die come from kth-debian.sh)
#
# kth-root.sh - kernel-matched build roots (scripts/kth-kernel): a minimal
# root of a kernel's own Debian suite, made once with mmdebstrap, with that
# kernel's headers and the compiler it was built with, and a way to run a
# command in it that leaves nothing mounted.  Needs kth-debian.sh.
#
#   ${KTH_CACHE:-$HOME/.cache/kthelper}/roots/SUITE/    the root
#     .kth-root                 stamp: made completely (mmdebstrap, tools)
#     .kth-kernels/KVER         stamp: linux-headers-KVER installed, and the
#                               compiler it names is there (its --version)
#   .../roots/SUITE.log         the output of mmdebstrap and of every apt-get
#                               run in the root since
#   .../debs/SUITE/             every .deb downloaded for SUITE: mmdebstrap
#                               syncs it in and out, apt-get in the root
#                               uses it as its archive cache
# A root is made under roots/.SUITE.new and renamed when complete, so a
# killed run leaves nothing that looks usable; one run per suite at a time
# (flock roots/.SUITE.lock).

kth_roots=$kth_cache/roots
kth_root_lib=${BASH_SOURCE[0]}
# What a root has besides the essential packages and apt: the toolchain
# (the kernel's own gcc-N comes with its headers), DKMS and what
# scripts/kth-dkms and the kernel's build use.
kth_root_packages=build-essential,kmod,cpio,dkms,openssl,dwarves,xz-utils,zstd

kth_need_root() {
	[[ $(id -u) -eq 0 ]] ||
		die "$1 needs root (mmdebstrap, mount namespaces, chroot): run it with sudo"
}

# Die when anything is mounted at or below DIR (never remove such a tree).
kth_root_check_unmounted() { # DIR
	local dir mnt
	dir=$(realpath -m "$1")
	while read -r _ _ _ _ mnt _; do
		mnt=$(printf '%b' "$mnt")	# /proc/self/mountinfo escapes blanks as \040
		[[ $mnt != "$dir" && $mnt != "$dir"/* ]] ||
			die "$mnt is mounted inside $dir: unmount it (umount -R $dir) and run again"
	done </proc/self/mountinfo
}

# Inside a private mount namespace: /proc, /sys and /dev in ROOT, each
# SRC bind-mounted at DST inside it, then CMD chrooted, in directory CWD.
kth_root_enter() { # ROOT CWD [SRC DST]... -- CMD...
	local root=$1 cwd=$2 src dst
	shift 2
	mount -t proc proc "$root/proc" || die "cannot mount /proc in $root"
	mount -t sysfs sysfs "$root/sys" || die "cannot mount /sys in $root"
	mount --rbind /dev "$root/dev" || die "cannot bind /dev into $root"
	while [[ $# -gt 0 && $1 != -- ]]; do
		src=$1 dst=$2
		shift 2
		if [[ -d $src ]]; then
			mkdir -p "$root$dst"
		elif [[ ! -e $root$dst ]]; then
			mkdir -p "$(dirname "$root$dst")"
			: >"$root$dst"
		fi
		mount --bind "$src" "$root$dst" || die "cannot bind $src at $dst in $root"
	done
	shift
	exec chroot "$root" /bin/sh -c 'cd "$1" || exit 126; shift; exec "$@"' kth-exec "$cwd" "$@"
}

# Run CMD in ROOT (kth_root_enter's arguments) in a private mount
# namespace: when it ends, however it ends, nothing stays mounted.
kth_root_run() { # ROOT CWD [SRC DST]... -- CMD...
	unshare --mount --propagation private -- \
		bash -c 'set -euo pipefail; . "$1"; . "$2"; shift 2; kth_root_enter "$@"' \
		kth-root "${kth_root_lib%/*}/kth-debian.sh" "$kth_root_lib" "$@"
}

# The root whose stamp says KVER is ready in it; nothing if none.
kth_root_of() { # KVER
	local stamp
	for stamp in "$kth_roots"/*/.kth-kernels/"$1"; do
		[[ -f $stamp && -f ${stamp%/.kth-kernels/*}/.kth-root ]] || continue
		echo "${stamp%/.kth-kernels/*}"
		return 0
	done
	return 1
}

kth_elapsed() { echo "$((SECONDS - $1)) s"; }

# Step 1: mmdebstrap SUITE into roots/.SUITE.new, renamed to roots/SUITE.
kth_root_make() { # SUITE
	local suite=$1 tmp=$kth_roots/.$1.new debs=$kth_cache/debs/$1 start=$SECONDS
	local logf=$kth_roots/$1.log opts=() line
	local -a sources
	command -v mmdebstrap >/dev/null ||
		die "mmdebstrap is not installed: run scripts/kth-setup (or apt-get install mmdebstrap)"
	mkdir -p "$debs"
	if [[ -e $tmp ]]; then
		kth_root_check_unmounted "$tmp"
		log "root $suite: removing the half-made root of a run that did not finish"
		rm -rf "$tmp"
	fi
	line=$(kth_suite_aptopts "$suite")
	[[ -z $line ]] || opts+=(--aptopt="$line")
	# the root's apt: compressed lists, no caches of them (~150 MB less)
	opts+=(--aptopt='Acquire::GzipIndexes "true"' --aptopt='Acquire::Languages "none"'
	       --aptopt='Dir::Cache::pkgcache ""' --aptopt='Dir::Cache::srcpkgcache ""')
	mapfile -t sources < <(kth_sources "$suite" | sed 's/ \[signed-by=[^]]*\]//')
	# Not unpacked: documentation, and the modules of a kernel image that
	# some headers depend on (trixie's), useless for building (~400 MB).
	printf '[kth] root %s: mmdebstrap (1/3)... ' "$suite" >&2
	# In a mount namespace of its own: a killed mmdebstrap leaves no
	# /proc, /sys or /dev mounted in the half-made root.
	if ! unshare --mount --propagation private -- mmdebstrap --mode=root --variant=apt \
		--include="$kth_root_packages" "${opts[@]}" \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt=force-unsafe-io \
		--dpkgopt='path-exclude=/lib/modules/*/kernel/*' \
		--dpkgopt='path-exclude=/usr/lib/modules/*/kernel/*' \
		--skip=essential/unlink \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $debs /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $debs" \
		"$suite" "$tmp" "${sources[@]}" >"$logf" 2>&1; then
		echo "FAILED" >&2
		tail -n 15 "$logf" >&2
		die "mmdebstrap of $suite failed (log: $logf)"
	fi
	rm -rf "$debs/partial" "$debs/lock"
	touch "$tmp/.kth-root"
	mv "$tmp" "$kth_roots/$suite"
	echo "done in $(kth_elapsed "$start"), $(du -sh "$kth_roots/$suite" | cut -f1)" >&2
}

# Step 2: linux-headers-KVER installed in ROOT with its apt (the compiler
# the kernel was built with comes with them), .debs kept in debs/SUITE.
# (trixie's headers depend on the image: INITRD=No spares its initramfs.)
kth_root_install_headers() { # ROOT SUITE KVER
	local root=$1 suite=$2 kver=$3 debs=$kth_cache/debs/$2 start=$SECONDS
	local logf=$kth_roots/$2.log stamp=$1/.kth-apt-updated age apt
	apt=(apt-get -q -o APT::Sandbox::User=root)
	printf '[kth] root %s: linux-headers-%s (2/3)... ' "$suite" "$kver" >&2
	age=$kth_apt_max_age
	[[ ! -f $stamp ]] || age=$(($(date +%s) - $(stat -c %Y "$stamp")))
	if ! chroot "$root" apt-cache show --no-all-versions "linux-headers-$kver" >/dev/null 2>&1 ||
	   [[ $age -ge $kth_apt_max_age ]]; then
		if kth_root_run "$root" / /etc/resolv.conf /etc/resolv.conf -- \
			"${apt[@]}" update >>"$logf" 2>&1; then
			touch "$stamp"
		else
			echo "FAILED" >&2
			tail -n 5 "$logf" >&2
			die "apt-get update in the $suite root failed (log: $logf)"
		fi
	fi
	mkdir -p "$debs"
	if ! kth_root_run "$root" / /etc/resolv.conf /etc/resolv.conf "$debs" /var/cache/apt/archives -- \
		env DEBIAN_FRONTEND=noninteractive INITRD=No sh -c 'dpkg --configure -a && "$@"' kth \
		"${apt[@]}" install -y --no-install-recommends "linux-headers-$kver" >>"$logf" 2>&1; then
		echo "FAILED" >&2
		tail -n 15 "$logf" >&2
		die "apt-get install linux-headers-$kver in the $suite root failed (log: $logf)"
	fi
	rm -rf "$debs/partial" "$debs/lock"
	echo "done in $(kth_elapsed "$start")" >&2
}

# Step 3: the compiler KVER's headers name is in ROOT; its stamp records it.
kth_root_check_compiler() { # ROOT SUITE KVER
	local root=$1 suite=$2 kver=$3 kdir cc built have
	kdir=$(chroot "$root" readlink -e "/lib/modules/$kver/build") ||
		die "linux-headers-$kver left no /lib/modules/$kver/build in the $suite root"
	kdir=$root$kdir
	[[ -f $kdir/Makefile ]] || die "no kernel build tree at $kdir"
	cc=$(sed -n 's/^CC = .*\(gcc-[0-9][0-9]*\)[[:space:]]*$/\1/p' "$kdir/.kernelvariables" 2>/dev/null | sed -n 1p)
	built=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config" 2>/dev/null)
	[[ -n $cc ]] || die "$kdir/.kernelvariables names no gcc-N compiler (built with: ${built:-?})"
	[[ -x $root/usr/bin/x86_64-linux-gnu-$cc || -x $root/usr/bin/$cc ]] ||
		die "the $suite root has no $cc, which $kver was built with (${built:-?}): linux-headers-$kver did not pull it in"
	have=$(chroot "$root" "$cc" --version 2>/dev/null | sed -n 1p) ||
		die "$cc does not run in the $suite root"
	log "root $suite: compiler (3/3): $have; $kver was built with ${built:-?}"
	mkdir -p "$root/.kth-kernels"
	printf '%s\n' "$have" >"$root/.kth-kernels/$kver"
}

# The root with KVER's headers and compiler, made or completed as needed;
# prints its path.
kth_root_prepare() { # KVER SUITE
	local kver=$1 suite=$2 root=$kth_roots/$2 lock
	if root=$(kth_root_of "$kver"); then
		echo "$root"
		return 0
	fi
	root=$kth_roots/$suite
	kth_need_root "making the $suite build root"
	mkdir -p "$kth_roots"
	lock=$kth_roots/.$suite.lock
	exec 7>"$lock"
	if ! flock -n 7; then
		log "root $suite: another run is making it, waiting..."
		flock 7
	fi
	[[ -f $root/.kth-root ]] || kth_root_make "$suite"
	if [[ ! -f $root/.kth-kernels/$kver ]]; then
		kth_root_install_headers "$root" "$suite" "$kver"
		kth_root_check_compiler "$root" "$suite" "$kver"
	fi
	exec 7>&-
	echo "$root"
}
