# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-driver.sh - the `dkms-driver` scenario of
# tests/harness/kth-dkms-test (--driver), sourced by it: a driver made by
# scripts/kth-new-driver, shipped as a DKMS package of its own, survives a
# kernel upgrade.  In a throwaway root (an overlay of / in a private mount
# namespace, as for the .deb; this machine is not changed):
#  1. kthelper (make dkms-install) and the driver (its make dkms-install)
#     installed with DKMS for kernel A (KVER, this machine's headers);
#  2. kernel B's headers installed with dpkg (B: Debian 12's 6.12,
#     scripts/kth-kernel resolve bookworm-6.12; its .debs from the cached
#     bookworm root): their postinst runs DKMS's autoinstall, which builds
#     and installs kthelper, then the driver, for B (BUILD_DEPENDS; the
#     driver's name sorts before kthelper's, so DKMS's own order would be
#     the wrong one), and the driver is linked against B's kthelper: every
#     kth_* CRC it records is the one in B's Module.symvers;
#  3. B booted with the modules DKMS built (tests/guest/dkms-driver.sh,
#     then the driver's own tests/NAME.sh: its thread, helper, uevent);
#  4. kthelper removed for B, installed again, removed everywhere
#     (dkms-test-driver-remove.sh).
# Results are KTAP (dkms-driver.NAME in tests/run); every
# failure names the module and the kernel.

drv_name=kth_drv_e2e	# sorts before "kthelper" (C collation: _ < e)

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# The outer part: kernel B, its headers' .debs and image, then the rest in
# a mount namespace of its own (kth-dkms-test --in-driver-root).
driver_scenario() {
	local t0 rc pkg dep deb debs=() suite codename
	work=$builddir/dkms-driver/$kver
	logs=$work/logs
	rm -rf "$work"
	mkdir -p "$logs"
	t0=$EPOCHREALTIME
	if [[ ${#inroot[@]} -gt 0 ]]; then
		skip dkms-driver "runs with this machine's own kernel (its headers here, its dkms), not with $kver: the driver's DKMS package is tested once, across a kernel upgrade (tests/run --only dkms-driver)"
		return 0
	fi
	if [[ $(dpkg-query -W -f="$dpkg_status" kthelper-dkms 2>/dev/null) == installed ]]; then
		skip dkms-driver "kthelper-dkms is installed on this machine: the throwaway root would start with it"
		return 0
	fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	kver_b=${KTH_DKMS_DRIVER_KVER_B:-}
	if [[ -z $kver_b ]] && ! kver_b=$("$topdir/scripts/kth-kernel" resolve bookworm-6.12 2>"$logs/resolve.log"); then
		die "kernel B: scripts/kth-kernel resolve bookworm-6.12 failed, see $logs/resolve.log"
	fi
	suite=$("$topdir/scripts/kth-kernel" suite "$kver_b" 2>/dev/null) || suite=
	if [[ $suite != "$codename" || $kver_b == "$kver" ]]; then
		skip dkms-driver "kernel B ($kver_b, of '$suite') must be another kernel of this machine's Debian release ($codename) than A ($kver): its headers are installed here, in the throwaway root"
		return 0
	fi
	echo "# kernel A $kver, kernel B $kver_b, dkms $dkms_version"
	log "dkms-driver: kernel A $kver, kernel B $kver_b: fetching B's headers and image..."
	run_logged prepare-b "$topdir/scripts/kth-kernel" prepare "$kver_b" ||
		die "kernel B $kver_b: scripts/kth-kernel prepare failed, see $logs/prepare-b.log"
	kroot_b=$("$here/kth-fetch-kernel" "$kver_b" 2>"$logs/fetch-b.log") ||
		die "kernel B $kver_b: kth-fetch-kernel failed, see $logs/fetch-b.log"
	# linux-headers-B, the -common and linux-kbuild it depends on
	deb=$(driver_deb "linux-headers-$kver_b") || die "no .deb of linux-headers-$kver_b in ${KTH_CACHE:-$HOME/.cache/kthelper}/debs/$suite"
	debs=("$deb")
	for dep in $(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed 's/(.*//' | tr -d ' '); do
		case $dep in
		linux-headers-*-common* | linux-kbuild-* | linux-base)
			pkg=$(driver_deb "$dep") || die "no .deb of $dep (for linux-headers-$kver_b)"
			debs+=("$pkg")
			;;
		esac
	done
	# linux-kbuild's pahole: the module build runs it (BTF)
	if ! command -v pahole >/dev/null; then
		pkg=$(driver_deb pahole) || die "no .deb of pahole (for linux-kbuild of $kver_b)"
		debs+=("$pkg")
	fi
	export KTH_DRIVER_KVER_B=$kver_b KTH_DRIVER_KROOT_B=$kroot_b KTH_DRIVER_DEBS="${debs[*]}"
	unshare -m --propagation private "$0" --in-driver-root --kver "$kver" --timeout "$timeout"
	rc=$?
	[[ $rc -le 1 ]] || not_ok driver-root-completed "the throwaway-root part stopped (exit $rc), see $logs"
	log "dkms-driver: done in $(since "$t0") s"
}

# driver_deb PACKAGE: the cached .deb of PACKAGE (the suite roots' cache).
driver_deb() {
	local f
	for f in "${KTH_CACHE:-$HOME/.cache/kthelper}"/debs/*/"$1"_*.deb; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	return 1
}

# status_of MODULE KVER: MODULE's state for KVER in the root's DKMS
# (installed, built, or empty).
status_of() {
	# "MODULE/VERSION, KVER, ARCH: STATE"
	in_root dkms status -m "$1" -k "$2" 2>/dev/null | awk -F ': ' -v m="$1/" -v k="$2" '
		index($0, m) == 1 { split($1, f, ", "); if (f[2] == k) { split($2, s, " "); print s[1]; exit } }'
}

# crc_check NAME KO SYMVERS: every kth_* symbol KO imports has SYMVERS's CRC.
crc_check() {
	local name=$1 ko=$2 symvers=$3 out
	# CRCs as written: 0x plus 8 hex digits (modprobe), or fewer (6.x's
	# Module.symvers drops leading zeros on some kernels)
	out=$(modprobe --dump-modversions "$ko" 2>&1 | awk -v sv="$symvers" '
		function norm(x) { x = tolower(x); sub(/^0x0*/, "", x); return x }
		BEGIN { while ((getline l < sv) > 0) { split(l, f, "\t"); crc[f[2]] = norm(f[1]) } }
		$2 ~ /^_*kth_/ { n++; if (!($2 in crc)) bad = bad " " $2 " (not in B)"
			else if (norm($1) != crc[$2]) bad = bad " " $2 " (" $1 ", B has 0x" crc[$2] ")" }
		END { if (n == 0) print "no kth_* symbol"; else if (bad != "") print bad; else print "ok " n }')
	if [[ $out == ok* ]]; then
		ok "$name"
		echo "# $drv_name imports ${out#ok } kth_* symbols, each with B's CRC"
	else
		not_ok "$name" "$drv_name for $kver_b: $out"
	fi
}

# The inner part, in its own mount namespace.
driver_in_root() {
	local t root k drv out rc ko ko_b sv_b initrd vmlog scen f death end bad m debfiles gen
	work=$builddir/dkms-driver/$kver
	logs=$work/logs
	kver_b=$KTH_DRIVER_KVER_B
	throwaway_mount
	drv=/root/$drv_name
	mods_b=$root/lib/modules/$kver_b/updates/dkms
	t=$EPOCHREALTIME

	# --- 1. kthelper, then the driver, for A ---
	# generated outside the tree (its build/ holds the root), then copied
	# into the root: a driver generated inside the tree joins its Kbuild
	gen=$(mktemp -d "${TMPDIR:-/tmp}/kth-drv-e2e.XXXXXX")
	if run_logged driver-generate "$topdir/scripts/kth-new-driver" "$drv_name" "$gen/$drv_name" &&
		cp -a "$gen/$drv_name" "$root$drv"; then
		rm -rf "$gen"
		ok generate
	else
		not_ok generate "kth-new-driver $drv_name failed, see $logs/driver-generate.log"
		rm -rf "$gen"
		return
	fi
	check generate-dkms-conf -m "$drv_name's dkms.conf lacks BUILD_DEPENDS=\"kthelper\"" \
		grep -qx 'BUILD_DEPENDS="kthelper"' "$root$drv/dkms.conf"
	if run_logged kthelper-install-a in_root make -C "$topdir" dkms-install KERNELRELEASE="$kver"; then
		ok kthelper-install-a
	else
		not_ok kthelper-install-a "kthelper for $kver: make dkms-install failed, see $logs/kthelper-install-a.log"
	fi
	log "dkms-driver: kthelper for $kver took $(since "$t") s"
	t=$EPOCHREALTIME
	if run_logged driver-install-a in_root make -C "$drv" dkms-install KVER="$kver"; then
		ok driver-install-a
	else
		not_ok driver-install-a "$drv_name for $kver: make dkms-install failed, see $logs/driver-install-a.log"
	fi
	log "dkms-driver: $drv_name for $kver took $(since "$t") s"
	out=$(status_of "$drv_name" "$kver")
	check driver-installed-a -m "$drv_name for $kver: dkms status says '$out'" equals "$out" installed
	ko=$(module_file "$root/lib/modules/$kver/updates/dkms" "$drv_name")
	out=$(modinfo -F depends "$ko" 2>&1):$(modinfo -F vermagic "$ko" 2>&1 | cut -d' ' -f1)
	check driver-module-a -m "$drv_name for $kver: depends:vermagic is '$out'" equals "$out" "kthelper:$kver"
	driver_make_check

	# --- 2. kernel B's headers: DKMS's autoinstall, kthelper first ---
	mkdir -p "$root/tmp/kernel-b"
	read -ra debfiles <<<"$KTH_DRIVER_DEBS"
	cp "${debfiles[@]}" "$root/tmp/kernel-b/"
	for f in "${!debfiles[@]}"; do
		debfiles[f]=/tmp/kernel-b/${debfiles[f]##*/}
	done
	log "dkms-driver: installing $kver_b's headers (DKMS autoinstall: kthelper, then $drv_name)..."
	t=$EPOCHREALTIME
	# --force-depends: not the image (booted from the harness's cache)
	run_logged headers-b in_root dpkg -i --force-depends "${debfiles[@]}"
	rc=$?
	driver_keep_logs autoinstall-b
	log "dkms-driver: headers and autoinstall for $kver_b took $(since "$t") s"
	check headers-b-installed -m "dpkg -i of $kver_b's headers exited $rc (the autoinstall runs in their postinst), see $logs/headers-b.log" \
		test "$rc" -eq 0
	for m in kthelper "$drv_name"; do
		out=$(status_of "$m" "$kver_b")
		check "autoinstall-$m-b" -m "$m for $kver_b: dkms status says '$out' after the autoinstall, see $logs/headers-b.log" \
			equals "$out" installed
	done
	ko_b=$(module_file "$mods_b" "$drv_name")
	k=$(module_file "$mods_b" kthelper)
	out=$(find "$k" "$ko_b" -printf '%T@ %f\n' 2>/dev/null | sort -n | awk '{ printf "%s ", $2 }')
	check autoinstall-order -m "installed for $kver_b in the order '$out', not kthelper then $drv_name" \
		has_line "$out" "^kthelper\.ko[.a-z]* $drv_name\.ko"
	out=$(modinfo -F vermagic "$ko_b" 2>&1 | cut -d' ' -f1)
	check driver-module-b -m "$drv_name for $kver_b: vermagic '$out'" equals "$out" "$kver_b"
	sv_b=$root/usr/lib/kthelper/$kver_b/Module.symvers
	crc_check driver-links-b-symbols "$ko_b" "$sv_b"
	f=$root/var/lib/dkms/$drv_name/$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$root$drv/dkms.conf")/$kver_b/$(uname -m)/log/make.log
	bad=$(grep -E 'undefined!|WARNING:|error:' "$f" 2>&1)
	check driver-make-log-b -m "$drv_name for $kver_b: $f: ${bad:-}" test -f "$f" -a -z "$bad"

	# --- 3. boot B with the DKMS-built modules ---
	scen=$work/scenarios
	mkdir -p "$scen"
	ln -sf "$topdir"/tests/guest/*.sh "$root$drv/tests/$drv_name.sh" "$scen/"
	initrd=$work/initramfs-b.gz
	vmlog=$logs/boot-b.log
	if run_logged initramfs-b "$here/kth-mkinitramfs" --kver "$kver_b" --kernel-root "$KTH_DRIVER_KROOT_B" \
		--out "$initrd" --ko "$(plain_ko "$k")" --ko "$(plain_ko "$ko_b")" --scenario-dir "$scen" \
		--static-bin "$(driver_listener)"; then
		log "dkms-driver: booting $kver_b with the DKMS-built kthelper and $drv_name..."
		t=$EPOCHREALTIME
		driver_boot_once
		if death=$(early_death "$vmlog" "$rc"); then
			mv -f "$vmlog" "${vmlog%.log}.early-death.log"
			echo "# guest boot retried: kernel died before the scenario began: $death"
			driver_boot_once
		fi
		log "dkms-driver: the boot took $(since "$t") s"
		ktap_relay guest "$kver_b" <"$vmlog"
		end=$(grep -c "KTH-SCENARIO-END .* rc=0" "$vmlog")
		check guest.completed -m "$kver_b with kthelper and $drv_name: kth-vm exit $rc, $end of 2 scenarios ended with rc=0, see $vmlog" \
			test "$rc" -eq 0 -a "$end" -eq 2
		bad=$(grep -vE '^(not )?ok [0-9]+ ' "$vmlog" | grep -E -m 1 "${KTH_BAD_LOG:-Oops|(^|[^A-Za-z_])BUG:|WARNING:|Kernel panic|Call Trace:}")
		check guest.clean-log -m "$kver_b: bad kernel log line: ${bad:0:120}" test -z "$bad"
	else
		not_ok guest.completed "kth-mkinitramfs for $kver_b failed, see $logs/initramfs-b.log"
	fi

	# --- 4. kthelper removed, installed again, removed everywhere ---
	t=$EPOCHREALTIME
	driver_removal
	log "dkms-driver: kthelper removed for $kver_b, installed again, removed everywhere: $(since "$t") s"
	driver_keep_logs end
}

# make check in the generated tree against the DKMS-installed framework
# (KTH_TREE= : not the tree's; its harness all the same), for A.
driver_make_check() {
	local t=$EPOCHREALTIME out last
	in_root env KTH_NO_SETUP=1 make -C "$drv" check KVER="$kver" KTH_TREE= KTH_HARNESS="$topdir" \
		>"$logs/driver-make-check-a.log" 2>&1
	rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/driver-make-check-a.log" | tail -n 1)
	out=$(grep -c "^kthelper framework: the installed kthelper in /usr/lib/kthelper" "$logs/driver-make-check-a.log")
	check make-check-installed-framework -m "$drv_name for $kver: make check KTH_TREE= did not build against /usr/lib/kthelper, see $logs/driver-make-check-a.log" \
		test "$out" -ge 1
	if [[ $rc -eq 0 && $last =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]]; then
		ok make-check-installed-a
	else
		not_ok make-check-installed-a "$drv_name for $kver: make check against the installed kthelper exited $rc, '${last:-no summary}', see $logs/driver-make-check-a.log"
	fi
	log "dkms-driver: make check of -m $drv_name against the installed kthelper for $kver: ${last:-no summary} in $(since "$t") s"
}

# The static kth-uevent-listen the driver's scenario runs (tests/run
# builds it into build/guest-bin; built here if it is not there).
driver_listener() {
	local bin=$work/guest-bin/kth-uevent-listen
	mkdir -p "${bin%/*}"
	gcc -static -O2 -Wall -o "$bin" "$topdir/tests/guest/kth-uevent-listen.c" >&2 ||
		die "cannot build kth-uevent-listen"
	echo "$bin"
}

driver_boot_once() {
	"$here/kth-vm" --kernel "$KTH_DRIVER_KROOT_B/boot/vmlinuz-$kver_b" --initrd "$initrd" \
		--log "$vmlog" --scenarios "dkms-driver,$drv_name" --timeout "$timeout" \
		--extra-append "kth.dkms_version=$version kth.driver=$drv_name" >"$logs/vm-b.log" 2>&1
	rc=$?
}
