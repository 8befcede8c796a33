# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-throwaway.sh - part 2 of tests/harness/kth-dkms-test in its
# throwaway root, sourced by it: an overlay of / in a private mount
# namespace (this machine is not changed) where the .deb is installed,
# upgraded to N+1, removed and purged, `make dkms-install` and
# `make dkms-remove` run, one whose build fails is rolled back, and at the
# end nothing is left but package-manager state, depmod's indexes and
# DKMS's signing key; and the ways into that root (in_root, apt_in_root).

# Runs as `unshare -m --propagation private kth-dkms-test --throwaway-root`:
# every mount below vanishes with this process.
throwaway_root() {
	local t root deb1 deb2 tools1 tools2 k m out rc leftovers mods kept
	deb1=$debdir/kthelper-dkms_${version}_all.deb
	deb2=$debdir/kthelper-dkms_${next}_all.deb
	tools1=$debdir/kthelper-tools_${version}_all.deb
	tools2=$debdir/kthelper-tools_${next}_all.deb
	if [[ $(dpkg-query -W -f="$dpkg_status" kthelper-dkms 2>/dev/null) == installed ]]; then
		skip deb-throwaway-root "kthelper-dkms is installed on this machine: the throwaway root would start with it"
		return
	fi
	throwaway_mount
	cp "$deb1" "$deb2" "$tools1" "$tools2" "$root/tmp/"
	mods=$(dpkg-deb --fsys-tarfile "$deb1" |
		tar -xO "./usr/src/kthelper-$version/dkms.conf" | conf_modules)

	# --- install ---
	if run_logged deb-install apt_in_root install "/tmp/${deb1##*/}" "/tmp/${tools1##*/}"; then
		ok deb-install
	else
		not_ok deb-install "apt-get install failed, see $logs/deb-install.log"
	fi
	out=$(in_root dkms status -m kthelper -k "$kver" 2>&1)
	check deb-status-installed -m "dkms status: '$out'" \
		has_line "$out" "^kthelper/$version_re, $kver, [^:]*: installed$"
	for m in $mods; do
		k=$root/lib/modules/$kver/updates/dkms/$m.ko
		check "deb-module-$m" -m "$k missing or not for $kver" \
			test "$(modinfo -F vermagic "$k" 2>/dev/null | cut -d' ' -f1)" = "$kver"
	done
	k=$root/lib/modules/$kver/updates/dkms/kthelper.ko
	if out=$(sig_check "$k" "$root/var/lib/dkms/mok.pub"); then
		ok deb-module-signed
	else
		not_ok deb-module-signed "$out"
	fi
	check deb-framework-files -m "/usr/lib/kthelper/{include/kthelper.h,include/kth_compat.h,$kver/Module.symvers} missing" \
		test -f "$root/usr/lib/kthelper/include/kthelper.h" -a \
		-f "$root/usr/lib/kthelper/include/kth_compat.h" -a \
		-s "$root/usr/lib/kthelper/$kver/Module.symvers"
	# kthctl finds its metrics files where the package put them (no
	# kthelper is loaded here: valid output without metrics); the
	# metrics timer is not enabled
	out=$(in_root /usr/sbin/kthctl metrics 2>&1)
	check deb-kthctl-metrics -m "kthctl metrics in the root: '$out'" \
		has_line "$out" '^# kthelper is not loaded'
	check deb-metrics-timer-off -m "kthelper-metrics.timer is enabled after the install" \
		test ! -e "$root/etc/systemd/system/timers.target.wants/kthelper-metrics.timer"
	# a textfile the timer would have written, for remove to delete
	mkdir -p "$root/var/lib/prometheus/node-exporter"
	echo 'kthelper_state{thread="x",module="x",state="running"} 1' \
		>"$root/var/lib/prometheus/node-exporter/kthelper.prom"

	# --- upgrade N -> N+1 ---
	if run_logged deb-upgrade apt_in_root install "/tmp/${deb2##*/}" "/tmp/${tools2##*/}"; then
		ok deb-upgrade
	else
		not_ok deb-upgrade "apt-get install of $next failed, see $logs/deb-upgrade.log"
	fi
	out=$(in_root dkms status -m kthelper 2>&1)
	check deb-upgrade-status -m "dkms status: '$out'" \
		has_line "$out" "^kthelper/$next_re, $kver, [^:]*: installed$"
	check deb-upgrade-old-unregistered -m "dkms status: '$out'" \
		lacks_line "$out" "^kthelper/${version_re}[,:]"
	check deb-upgrade-old-gone -m "/usr/src/kthelper-$version or /var/lib/dkms/kthelper/$version left behind" \
		test ! -e "$root/usr/src/kthelper-$version" -a ! -e "$root/var/lib/dkms/kthelper/$version"
	out=$(modinfo -F version "$k" 2>&1)
	check deb-upgrade-module-version -m "kthelper.ko has version '$out', not $next" \
		equals "$out" "$next"
	check deb-upgrade-framework-files -m "/usr/lib/kthelper/$kver/Module.symvers missing after the upgrade" \
		test -s "$root/usr/lib/kthelper/$kver/Module.symvers"

	# --- remove (dkms remove and POST_REMOVE clean up), then purge ---
	if run_logged deb-remove apt_in_root remove kthelper-dkms kthelper-tools; then
		ok deb-remove
	else
		not_ok deb-remove "apt-get remove failed, see $logs/deb-remove.log"
	fi
	out=$(kthelper_files_in_root)
	check deb-remove-clean -m "left: $out" test -z "$out"
	check deb-remove-textfile -m "/var/lib/prometheus/node-exporter/kthelper.prom left after remove" \
		test ! -e "$root/var/lib/prometheus/node-exporter/kthelper.prom"
	rmdir "$root/var/lib/prometheus/node-exporter" "$root/var/lib/prometheus" 2>/dev/null || true
	if run_logged deb-purge apt_in_root purge kthelper-dkms kthelper-tools; then
		ok deb-purge
	else
		not_ok deb-purge "apt-get purge failed, see $logs/deb-purge.log"
	fi
	out=$(in_root dpkg-query -W -f="$dpkg_status" kthelper-dkms kthelper-tools 2>/dev/null)
	check deb-purged -m "dpkg status '$out'" test -z "${out//not-installed/}"

	# --- make dkms-install / dkms-remove, on the real paths of the root ---
	if run_logged make-dkms-install in_root make -C "$topdir" dkms-install KERNELRELEASE="$kver"; then
		ok make-dkms-install
	else
		not_ok make-dkms-install "see $logs/make-dkms-install.log"
	fi
	out=$(in_root dkms status -m kthelper -k "$kver" 2>&1)
	check make-dkms-install-status -m "dkms status: '$out'" \
		has_line "$out" "^kthelper/$version_re, $kver, [^:]*: installed$"
	check make-dkms-install-files -m "/usr/src/kthelper-$version, modules or /usr/lib/kthelper/$kver missing" \
		test -f "$root/usr/src/kthelper-$version/dkms.conf" -a \
		-f "$root/lib/modules/$kver/updates/dkms/kthelper.ko" -a \
		-s "$root/usr/lib/kthelper/$kver/Module.symvers"
	if run_logged make-dkms-remove in_root make -C "$topdir" dkms-remove KERNELRELEASE="$kver"; then
		ok make-dkms-remove
	else
		not_ok make-dkms-remove "see $logs/make-dkms-remove.log"
	fi
	out=$(kthelper_files_in_root)
	check make-dkms-remove-clean -m "left: $out" test -z "$out"

	# --- make dkms-install whose build fails: rolled back ---
	k=0.0.0-kth-broken
	mkdir -p "$root/lib/modules/$k/build/include"
	broken_makefile >"$root/lib/modules/$k/build/Makefile"
	out=$(in_root make -C "$topdir" dkms-install KERNELRELEASE="$k" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/make-dkms-install-broken.log"
	check make-dkms-install-broken-fails -m "exit $rc, see $logs/make-dkms-install-broken.log" \
		test "$rc" -ne 0
	check make-dkms-install-broken-names-log -m "DKMS's 'Consult .../make.log' missing, see $logs/make-dkms-install-broken.log" \
		has_line "$out" '^Consult .*make\.log for more information'
	kept=$(sed -n 's/.*make\.log (removed with the failed build) is kept as //p' <<<"$out")
	check make-dkms-install-broken-log-kept -m "no copy of make.log with make's error ('$kept')" \
		grep -q 'broken on purpose' "$root${kept:-/nonexistent}"
	out=$(kthelper_files_in_root)
	check make-dkms-install-broken-rolled-back -m "left: $out" test -z "$out"
	rm -rf "$root/lib/modules/$k"

	# --- what is left in the root: only package-manager state, depmod's
	# indexes and DKMS's signing key (made by its first build) ---
	# Files written or deleted (whiteouts), and directories that are new.
	leftovers=$(cd "$t/upper" && {
		find . -mindepth 1 ! -type d
		find . -mindepth 1 -type d | while read -r d; do
			[[ -d /$d ]] || echo "$d/"
		done
	} | sed 's|^\./||' | grep -v -E \
		-e '^var/(lib/dpkg|lib/apt|cache|log)/' \
		-e '^var/lib/dkms/mok\.(key|pub)$' \
		-e '^(usr/)?lib/modules/[^/]+/modules\.[a-z.]+$')
	check nothing-left-behind -m "new or changed in the root: $leftovers" test -z "$leftovers"
}

# The throwaway root: $root, an overlay of / on a tmpfs ($t, in this mount
# namespace only) with /dev, /proc, a fresh /tmp and /run, only KVER's
# /lib/modules (one build per step; the private tree tests a second
# kernel) and the tree bound read-only (`make dkms-install` must not write
# to it).
throwaway_mount() {
	t=$work/throwaway	# a tmpfs, in this mount namespace only
	mkdir -p "$t"
	mount -t tmpfs -o size=4g tmpfs "$t" || die "cannot mount a tmpfs"
	mkdir "$t/upper" "$t/work" "$t/root"
	root=$t/root
	mount -t overlay overlay -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$root" ||
		die "cannot mount an overlay of /"
	if ! mount --rbind /dev "$root/dev" || ! mount -t proc proc "$root/proc" ||
		! mount -t tmpfs tmpfs "$root/tmp" || ! mount -t tmpfs tmpfs "$root/run"; then
		die "cannot mount /dev, /proc, /tmp, /run in the throwaway root"
	fi
	# Only KVER has headers in the root (one build per step; the private
	# tree tests a second kernel): hide the others' directories.
	for k in "$root"/lib/modules/*; do
		[[ ${k##*/} == "$kver" ]] || mount -t tmpfs -o size=1m tmpfs "$k" ||
			die "cannot hide $k in the throwaway root"
	done
	# The tree, read-only: `make dkms-install` must not write to it.
	mkdir -p "$root$topdir"
	if ! mount --bind "$topdir" "$root$topdir" ||
		! mount -o remount,bind,ro "$root$topdir"; then
		die "cannot bind the tree into the throwaway root"
	fi
}

# What kthelper may have put in the throwaway root $root, one a line.
kthelper_files_in_root() {
	(cd "$root" && ls -d usr/src/kthelper-* var/lib/dkms/kthelper usr/lib/kthelper 2>/dev/null
		find lib/modules/ -name 'kth*.ko*' 2>/dev/null)
}

# CMD... run in the throwaway root $root, with a clean environment.
in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}
apt_in_root() {
	in_root apt-get -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "$@"
}
