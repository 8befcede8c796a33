# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # topdir, name, version: kth-dkms
#
# dkms-deb.sh - `kth-dkms deb`: the kthelper-dkms and kthelper-tools
# packages, sourced by scripts/kth-dkms (which defines name, version,
# topdir, log, die, usage_error and stage_source).

cmd_deb() {
	local out=$topdir/build/deb ver=$version work pkgdir date tool deb
	while [[ $# -gt 0 ]]; do
		case $1 in
		--out) out=${2:?}; shift 2 ;;
		--version) ver=${2:?}; shift 2 ;;
		*) usage_error "deb: unknown option '$1'" ;;
		esac
	done
	for tool in dpkg-buildpackage dh dh_dkms; do
		command -v "$tool" >/dev/null ||
			die "$tool not found: run scripts/kth-setup (dpkg-dev, debhelper, dh-dkms)"
	done
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	work=$out/work-$ver
	rm -rf "$work"
	pkgdir=$work/$name-$ver
	mkdir -p "$pkgdir"
	stage_source "$pkgdir/src" "$ver"
	install -D -m 0755 "$topdir/tools/kthctl/kthctl" "$pkgdir/tools/kthctl/kthctl"
	install -m 0644 "$topdir/tools/kthctl/trace.sh" "$topdir/tools/kthctl/metrics.sh" \
		"$topdir/tools/kthctl/metrics.awk" "$pkgdir/tools/kthctl/"
	cp -r "$topdir/scripts/packaging/debian" "$pkgdir/debian"
	# the metrics timer, as dh_installsystemd --name takes it
	for unit in kthelper-metrics.service kthelper-metrics.timer; do
		cp "$topdir/scripts/packaging/systemd/$unit" "$pkgdir/debian/$name-tools.$unit"
	done
	# the journal's helper, udev rules and unit, and the Secure Boot
	# check, as debian/*.install takes them
	cp -r "$topdir/scripts/packaging/journal" "$pkgdir/journal"
	cp -r "$topdir/scripts/packaging/secureboot" "$pkgdir/secureboot"
	# The changelog's date is the last commit's, so the same tree gives
	# the same package.
	date=$(git -C "$topdir" log -1 --format=%cD 2>/dev/null) || date=
	[[ -n $date ]] || date=$(date -R)
	for f in "$pkgdir"/debian/*.in; do
		sed -e "s|@VERSION@|$ver|g" -e "s|@DATE@|$date|g" \
			-e "s|@MAINTAINER@|${DEBFULLNAME:-kthelper developers} <${DEBEMAIL:-kthelper@example.org}>|g" \
			"$f" >"${f%.in}"
		rm "$f"
	done
	log "dpkg-buildpackage in $pkgdir (log: $work/build.log)"
	if ! (cd "$pkgdir" && dpkg-buildpackage -b --no-sign) >"$work/build.log" 2>&1; then
		tail -n 20 "$work/build.log" >&2
		die "dpkg-buildpackage failed, see $work/build.log"
	fi
	for deb in "${name}-dkms_${ver}_all.deb" "${name}-tools_${ver}_all.deb"; do
		mv -f "$work/$deb" "$out/$deb"
		log "built $out/$deb"
		echo "$out/$deb"
	done
	rm -rf "$pkgdir"
}
