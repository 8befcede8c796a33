# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-fresh.sh - `tests/harness/kth-dkms-test --fresh-root`, sourced
# by it: in its own mount namespace, a new minimal Debian 12 made with
# mmdebstrap, where `apt-get install ./kthelper-dkms_V_all.deb
# ./kthelper-tools_V_all.deb` must install and sign the modules for every
# kernel whose headers it pulls in, and a purge must leave nothing.

# --fresh-root, in its own mount namespace: a new minimal Debian 12.
fresh_root() {
	local t root deb tools k n=0 out
	deb=$(ls "$debdir"/kthelper-dkms_"$version"_all.deb) || die "no .deb in $debdir"
	tools=$(ls "$debdir"/kthelper-tools_"$version"_all.deb) || die "no kthelper-tools .deb in $debdir"
	t=$work/fresh	# a tmpfs, in this mount namespace only
	mkdir -p "$t"
	mount -t tmpfs -o size=4g tmpfs "$t" || die "cannot mount a tmpfs"
	root=$t/root
	log "dkms: mmdebstrap of a minimal bookworm in $root..."
	if run_logged fresh-mmdebstrap mmdebstrap --variant=minbase --mode=root bookworm "$root" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main"; then
		ok fresh-mmdebstrap
	else
		not_ok fresh-mmdebstrap "see $logs/fresh-mmdebstrap.log"
		return
	fi
	if ! mount --rbind /dev "$root/dev" || ! mount -t proc proc "$root/proc"; then
		die "cannot mount /dev, /proc in the fresh root"
	fi
	cp "$deb" "$tools" "$root/tmp/"
	# mmdebstrap leaves no package lists behind.
	run_logged fresh-apt-update in_root apt-get -q update ||
		not_ok fresh-apt-update "see $logs/fresh-apt-update.log"
	log "dkms: apt-get install ./${deb##*/} in the fresh root..."
	# Recommends too, as `apt install` does by default: that brings the headers.
	if run_logged fresh-install in_root apt-get -y -q -o Dpkg::Use-Pty=0 install "/tmp/${deb##*/}" "/tmp/${tools##*/}"; then
		ok fresh-install
	else
		not_ok fresh-install "see $logs/fresh-install.log"
	fi
	for k in "$root"/lib/modules/*/build; do
		[[ -e $k ]] || continue
		k=${k%/build}
		k=${k##*/}
		n=$((n + 1))
		out=$(in_root dkms status -m kthelper -k "$k" 2>&1)
		check "fresh-status-installed-$k" -m "dkms status: '$out'" \
			has_line "$out" "^kthelper/$version_re, $k, [^:]*: installed$"
		if out=$(sig_check "$root/lib/modules/$k/updates/dkms/kthelper.ko" "$root/var/lib/dkms/mok.pub"); then
			ok "fresh-signed-$k"
		else
			not_ok "fresh-signed-$k" "$out"
		fi
		check "fresh-framework-files-$k" -m "/usr/lib/kthelper/{include/kthelper.h,$k/Module.symvers} missing" \
			test -f "$root/usr/lib/kthelper/include/kthelper.h" -a -s "$root/usr/lib/kthelper/$k/Module.symvers"
	done
	check fresh-headers-installed -m "no kernel headers were installed with the package" test "$n" -gt 0
	if run_logged fresh-purge apt_in_root purge kthelper-dkms kthelper-tools; then
		ok fresh-purge
	else
		not_ok fresh-purge "see $logs/fresh-purge.log"
	fi
	out=$(kthelper_files_in_root)
	check fresh-purge-clean -m "left: $out" test -z "$out"
}
