# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# fresh-root.sh - the minimal Debian root of tests/tiers/kth-check-fresh,
# sourced by it: made once with mmdebstrap and cached as a tar, unpacked
# afresh for every run, entered in a private mount and PID namespace so
# that nothing stays mounted or running however the run ends, removed at
# the end.  Needs log() and die() from the caller.

# fresh_make_root TAR DEBS SUITE MIRROR [APTOPT]: make TAR, a tar of a
# minimal SUITE root with git, make and ca-certificates, as a user's fresh
# machine would be made (the command of the issue), unless TAR is there and
# was made from the same arguments (TAR.args).  The .debs stay in DEBS,
# outside the root, for the next time.  APTOPT is one apt option line for
# mmdebstrap (sid's Acquire::Check-Valid-Until).  Its progress goes to
# stderr.
fresh_make_root() {
	local tar=$1 debs=$2 suite=$3 mirror=$4 aptopt=${5:-} args
	args="--variant=minbase --include=git,make,ca-certificates $suite $mirror"
	[[ -z $aptopt ]] || args="--aptopt=$aptopt $args"
	if [[ -f $tar && -f $tar.args && $(<"$tar.args") == "$args" ]]; then
		log "fresh: minimal $suite root cached: $tar"
		return 0
	fi
	[[ $debs != *[[:space:]]* ]] || die "the .deb cache path '$debs' has white space (mmdebstrap's sync-in cannot take it)"
	command -v mmdebstrap >/dev/null || {
		log "fresh: installing mmdebstrap..."
		apt-get install -y -qq --no-install-recommends mmdebstrap >&2 ||
			die "mmdebstrap is missing and apt-get install mmdebstrap failed"
	}
	mkdir -p "$debs"
	rm -f "$tar" "$tar.args" "$tar.tmp"
	fresh_remove "$tar.tmpdir"
	mkdir -p "$tar.tmpdir"
	log "fresh: mmdebstrap $args (.debs cached in $debs)"
	# In a private mount namespace, so that its mounts go with it; if the
	# caller dies, unshare gets a SIGKILL (a SIGTERM would wait: unshare
	# holds it until its child ends) and mmdebstrap a SIGTERM, on which it
	# cleans up after itself.  --skip=essential/unlink keeps the essential
	# .debs in the archive for sync-out (mmdebstrap(1), "cache the
	# downloaded packages").
	# shellcheck disable=SC2016 # $1 is mmdebstrap's, for its hook's shell
	TMPDIR=$tar.tmpdir setpriv --pdeathsig KILL -- \
		unshare --mount --propagation private --kill-child=TERM -- \
		mmdebstrap --variant=minbase --include=git,make,ca-certificates \
		${aptopt:+"--aptopt=$aptopt"} --skip=essential/unlink \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
		--setup-hook="sync-in $debs /var/cache/apt/archives" \
		--customize-hook="sync-out /var/cache/apt/archives $debs" \
		--format=tar "$suite" "$tar.tmp" "$mirror" ||
		{ rm -f "$tar.tmp"; die "mmdebstrap failed (see its messages above)"; }
	fresh_remove "$tar.tmpdir"
	mv "$tar.tmp" "$tar"
	printf '%s\n' "$args" >"$tar.args"
}

# fresh_unpack TAR DIR: a pristine copy of the cached root in DIR (removed
# first if a killed run left it), with the host's resolv.conf and, as an
# installed system has, an /etc/hosts that names the machine (the root
# shares the host's host name; sudo looks it up).
fresh_unpack() {
	local tar=$1 dir=$2
	fresh_remove "$dir"
	mkdir -p "$dir"
	tar -C "$dir" --numeric-owner --xattrs --xattrs-include='*' -xpf "$tar" ||
		die "cannot unpack $tar into $dir"
	rm -f "$dir/etc/resolv.conf"
	cp /etc/resolv.conf "$dir/etc/resolv.conf" ||
		die "cannot copy /etc/resolv.conf into the root"
	if [[ ! -s $dir/etc/hosts ]]; then
		printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$(uname -n)" >"$dir/etc/hosts"
	fi
}

# The script that enters the root: runs in a new mount namespace (private
# propagation: nothing mounted here is seen outside, and it all goes when
# the namespace's last process exits) and a new PID namespace (when its
# first process dies the kernel kills every other one: no VM or build
# outlives the step).  The root is bound on itself first: a machine's / is
# a mount point, and `unshare --propagation` (which the project's build
# roots use) fails with EINVAL in a chroot whose / is not.
# shellcheck disable=SC2016 # expanded by the inner bash, not here
fresh_enter='
set -euo pipefail
root=$1 debs=$2 cmd=$3
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --bind "$debs" "$root/var/cache/apt/archives"
envs=(HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 TERM=dumb
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for v in KTH_DEBIAN_MIRROR KTH_DEBIAN_SECURITY_MIRROR KTH_STRESS http_proxy https_proxy; do
	[[ -z ${!v:-} ]] || envs+=("$v=${!v}")
done
exec chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/bash -c "cd /root && $cmd"
'

# fresh_run DIR DEBS LIMIT CMD: run CMD with bash as root in the root DIR,
# at most LIMIT (timeout(1) syntax); DEBS is apt's archive there (the
# cache outside the root).  stdin is /dev/null, stdout and stderr are the
# caller's.  It replaces the calling shell: call it in a background
# subshell of the script, whose death, even of SIGKILL, then takes
# timeout, unshare and every process in the root with it (parent-death
# signals all the way down).
fresh_run() {
	local dir=$1 debs=$2 limit=$3 cmd=$4
	exec setpriv --pdeathsig KILL -- timeout --kill-after=20 "$limit" \
		setpriv --pdeathsig KILL -- \
		unshare --mount --propagation private --pid --kill-child -- \
		/bin/bash -c "$fresh_enter" fresh-enter "$dir" "$debs" "$cmd" </dev/null
}

# fresh_leftovers DIR: print every mount under DIR and every process whose
# root is under DIR, as seen from here; false if there is any.
fresh_leftovers() {
	local dir=$1 found=0 mnt p r
	while read -r _ _ _ _ mnt _; do
		[[ $mnt == "$dir" || $mnt == "$dir"/* ]] || continue
		printf 'mounted: %s\n' "$mnt"
		found=1
	done </proc/self/mountinfo
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $r == "$dir" || $r == "$dir"/* ]] || continue
		printf 'process %s (%s) in the root\n' "${p#/proc/}" "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-80)"
		found=1
	done
	[[ $found -eq 0 ]]
}

# fresh_remove DIR: remove the working copy, never across a mount.
fresh_remove() {
	local dir=$1 left
	[[ -e $dir ]] || return 0
	left=$(fresh_leftovers "$dir") || die "will not remove $dir: $left"
	rm -rf --one-file-system "$dir" || die "cannot remove $dir"
}
