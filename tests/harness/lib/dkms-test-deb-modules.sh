# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154,SC2016 # kth-dkms-test's variables; eval'd checks
#
# dkms-test-deb-modules.sh - part 3 of tests/harness/kth-dkms-test, sourced
# by it: the prebuilt module package (scripts/kth-deb-modules) for this
# machine's kernel, results dkms.debmod-NAME.
#   * built with a throwaway key and certificate made here: its control
#     data (name, version, kernel and kthelper-tools dependencies,
#     Conflicts: kthelper-dkms), contents (the modules under updates/, the
#     certificate in DER), the postinst's depmod and Secure Boot check,
#     the postrm's depmod; every module for KVER, signed (the PKCS#7
#     signature verified against the certificate, modinfo's signer);
#   * bad input, each an error that says what is wrong and no package:
#     an ABI no Debian suite has, a key without its certificate, a
#     certificate without its key, a key that is not the certificate's;
#     without a key at all, the warning about Secure Boot;
#   * kth-secureboot-check with a stubbed mokutil on the PATH in each of
#     its states (off, no EFI, on and enrolled, on and not enrolled, on
#     and no certificate, on without mokutil), and DKMS's certificate read
#     from its framework.conf.
# Installing the package where no compiler is, booting it, removing it and
# its conflict with kthelper-dkms need a fresh root of the kernel's suite:
# make check-packages (tests/tiers/kth-check-packages).

# A throwaway signing key and certificate in DIR: key.pem, cert.pem (CN
# CN), and another key, other.pem.
debmod_keys() { # DIR CN
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2/O=kthelper tests" \
		-keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1 &&
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1/other.pem" >/dev/null 2>&1
}

deb_modules_quick() {
	local t0=$EPOCHREALTIME d=$work/debmod out deb rc info x ko f cn="kthelper dkms-test $$"
	rm -rf "$d"
	mkdir -p "$d/keys" "$d/out"
	debmod_keys "$d/keys" "$cn" || { not_ok debmod-keys "openssl could not make a key"; return; }
	deb=$d/out/kthelper-modules-${kver}_${version}_amd64.deb
	if run_logged debmod-build "$topdir/scripts/kth-deb-modules" --out "$d/out" \
		--sign-key "$d/keys/key.pem" --sign-cert "$d/keys/cert.pem" "$kver"; then
		ok debmod-build
	else
		not_ok debmod-build "kth-deb-modules failed, see $logs/debmod-build.log"
		return
	fi
	check debmod-file -m "no $deb" test -f "$deb"
	check debmod-tools -m "no kthelper-tools $version next to it" \
		test -f "$d/out/kthelper-tools_${version}_all.deb"
	info=$(dpkg-deb -f "$deb" Package Version Architecture Depends Provides Conflicts Description 2>&1)
	while read -r name field; do
		check "debmod-control-$name" -m "control: $info" has_line "$info" "^$field"
	done <<EOF
package Package: kthelper-modules-$(re "$kver")$
version Version: $version_re$
arch Architecture: amd64$
depends-kernel Depends: linux-image-$(re "$kver") \| linux-image-$(re "$kver")-unsigned, 
depends-tools Depends: .*kthelper-tools \(= $version_re\)
provides Provides: kthelper-modules$
conflicts Conflicts: kthelper-dkms$
signer [[:space:]]+Signer: $(re "$cn")$
EOF
	out=$(dpkg-deb -c "$deb")
	x=$(re "./lib/modules/$kver/updates/kthelper/")
	for m in kthelper kth_usbwatch kth_netbufwatch; do
		check "debmod-has-$m" -m "no $m.ko under updates/kthelper in the package" \
			has_line "$out" "^-rw-r--r-- .* $x$m\\.ko$"
	done
	check debmod-has-cert -m "no certificate in the package" \
		has_line "$out" " \\./usr/share/kthelper/signing/kthelper-modules-$(re "$kver")\\.der$"
	rm -rf "$d/root"
	dpkg-deb -R "$deb" "$d/root"
	for ko in "$d/root/lib/modules/$kver/updates/kthelper/"*.ko; do
		f=${ko##*/}
		check "debmod-vermagic-${f%.ko}" -m "$f: vermagic '$(modinfo -F vermagic "$ko" 2>&1)'" \
			test "$(modinfo -F vermagic "$ko" | cut -d ' ' -f 1)" = "$kver"
		if x=$(sig_check "$ko" "$d/root/usr/share/kthelper/signing/kthelper-modules-$kver.der"); then
			ok "debmod-signed-${f%.ko}"
		else
			not_ok "debmod-signed-${f%.ko}" "$x"
		fi
		check "debmod-stripped-${f%.ko}" -m "$f still has debug information" \
			lacks_line "$(readelf -S "$ko" 2>&1)" '\.debug_info'
	done
	check debmod-postinst-depmod -m "the postinst runs no depmod -a for $kver" \
		has_line "$(cat "$d/root/DEBIAN/postinst")" '^[[:space:]]*depmod -a .*"\$abi"$'
	check debmod-postinst-secureboot -m "the postinst does not check Secure Boot with the shipped certificate" \
		has_line "$(cat "$d/root/DEBIAN/postinst")" \
		"kth-secureboot-check /usr/share/kthelper/signing/kthelper-modules-$(re "$kver")\\.der "
	check debmod-postrm-depmod -m "the postrm runs no depmod -a" \
		has_line "$(cat "$d/root/DEBIAN/postrm")" '^[[:space:]]*depmod -a "\$abi"$'
	check debmod-md5sums -m "md5sums does not check" \
		sh -c "cd '$d/root' && md5sum --quiet -c DEBIAN/md5sums"

	debmod_bad_input "$d"
	debmod_secureboot "$d"
	log "dkms: the prebuilt module package built and checked in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

# bad NAME PATTERN ARGS...: kth-deb-modules ARGS fails, says PATTERN, and
# leaves nothing in DIR/bad: no package, not even kthelper-tools.
debmod_bad() { # DIR NAME PATTERN ARGS...
	# shellcheck disable=SC2034 # pattern: read by the eval in check
	local d=$1 name=$2 pattern=$3 out rc
	shift 3
	rm -rf "$d/bad"
	mkdir -p "$d/bad"
	out=$("$topdir/scripts/kth-deb-modules" --out "$d/bad" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/debmod-$name.log"
	check "debmod-$name" -m "exit $rc, left in the output directory: '$(find "$d/bad" -mindepth 1 -maxdepth 1 -printf '%f ')', output: '$(tail -n 2 <<<"$out")'" \
		eval '[[ $rc -ne 0 && -z $(find "$d/bad" -mindepth 1 -print -quit) ]] && has_line "$out" "$pattern"'
}

debmod_bad_input() { # DIR
	local d=$1 k=$1/keys
	debmod_bad "$d" bad-abi "error: .*no Debian suite .*linux-headers-9\\.9\\.9-1-amd64|9\\.9\\.9-1-amd64: no such kernel ABI" \
		--sign-key "$k/key.pem" --sign-cert "$k/cert.pem" 9.9.9-1-amd64
	debmod_bad "$d" key-without-cert "error: SIGN_KEY=.* is given without SIGN_CERT" \
		--sign-key "$k/key.pem" "$kver"
	debmod_bad "$d" cert-without-key "error: SIGN_CERT=.* is given without SIGN_KEY" \
		--sign-cert "$k/cert.pem" "$kver"
	debmod_bad "$d" key-mismatch "error: the key .*other\\.pem does not match the certificate" \
		--sign-key "$k/other.pem" --sign-cert "$k/cert.pem" "$kver"
	debmod_bad "$d" cert-not-x509 "error: .*key\\.pem is not an X\\.509 certificate" \
		--sign-key "$k/key.pem" --sign-cert "$k/key.pem" "$kver"
	# unsigned: the warning, before the (bad) ABI stops it
	debmod_bad "$d" unsigned-warning "warning: no SIGN_KEY and SIGN_CERT: the modules will be UNSIGNED.*Secure Boot" \
		9.9.9-1-amd64
}

# sbcheck NAME EXPECT ARGS...: kth-secureboot-check ARGS with the stub
# mokutil of $sb_state / $sb_enrolled says EXPECT (an ERE; empty: nothing).
debmod_sbcheck() { # NAME EXPECT ARGS...
	local name=$1 expect=$2 out rc
	shift 2
	out=$(PATH=$stub:$PATH KTH_EFIVARS=$efivars KTH_DKMS_CONF=$dkmsconf \
		"$topdir/scripts/packaging/secureboot/kth-secureboot-check" "$@" 2>&1)
	rc=$?
	if [[ -z $expect ]]; then
		check "debmod-sb-$name" -m "exit $rc, said '$out' (expected nothing)" test "$rc" -eq 0 -a -z "$out"
	else
		check "debmod-sb-$name" -m "exit $rc, said '$out'" eval '[[ $rc -eq 0 ]] && has_line "$out" "$expect"'
	fi
}

debmod_secureboot() { # DIR
	local d=$1 cert=$1/root/usr/share/kthelper/signing/kthelper-modules-$kver.der
	local stub=$1/stub efivars=$1/efivars dkmsconf=$1/dkms
	mkdir -p "$stub" "$efivars" "$dkmsconf/framework.conf.d"
	# the stub answers as mokutil 0.6 does, from $SB and $ENROLLED
	cat >"$stub/mokutil" <<'EOF'
#!/bin/sh
case $1 in
--sb-state)
	case $SB in
	on) echo "SecureBoot enabled" ;;
	off) echo "SecureBoot disabled" ;;
	*) echo "EFI variables are not supported on this system" >&2; exit 1 ;;
	esac ;;
--test-key)
	[ -f "$2" ] || { echo "Failed to read $2" >&2; exit 1; }
	if [ "$ENROLLED" = yes ]; then echo "$2 is already enrolled"; exit 1; fi
	echo "$2 is not enrolled" ;;
*) exit 2 ;;
esac
EOF
	chmod +x "$stub/mokutil"
	local pkg=kthelper-modules-$kver
	SB=off ENROLLED=no debmod_sbcheck off "" "$cert" "$pkg"
	SB=none ENROLLED=no debmod_sbcheck no-efi "" "$cert" "$pkg"
	SB=on ENROLLED=yes debmod_sbcheck on-enrolled "Secure Boot is on and $(re "$cert") is enrolled: $pkg's modules will load$" \
		"$cert" "$pkg"
	SB=on ENROLLED=no debmod_sbcheck on-not-enrolled "warning: Secure Boot is on and $(re "$cert") is not enrolled.*mokutil --import $(re "$cert")$" \
		"$cert" "$pkg"
	SB=on ENROLLED=no debmod_sbcheck on-no-cert "warning: Secure Boot is on but there is no certificate at /nonexistent\\.der" \
		/nonexistent.der "$pkg"
	# DKMS's certificate: its default, then framework.conf.d's
	SB=on ENROLLED=no debmod_sbcheck dkms-default "/var/lib/dkms/mok\\.pub" --dkms
	echo "mok_certificate=\"$cert\"" >"$dkmsconf/framework.conf.d/kth.conf"
	SB=on ENROLLED=no debmod_sbcheck dkms-conf "warning: Secure Boot is on and $(re "$cert") is not enrolled.*mokutil --import $(re "$cert")$" \
		--dkms
	# no mokutil: the firmware's variable (attributes, then 1 = on)
	rm "$stub/mokutil"
	if PATH=$stub:$PATH command -v mokutil >/dev/null; then
		skip debmod-sb-on-no-mokutil "this machine has $(command -v mokutil): the case without it cannot be made here"
		return
	fi
	printf '\007\000\000\000\001' >"$efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	debmod_sbcheck on-no-mokutil "warning: Secure Boot is on and mokutil is not installed.*mokutil --test-key" \
		"$cert" "$pkg"
	printf '\007\000\000\000\000' >"$efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	debmod_sbcheck off-no-mokutil "" "$cert" "$pkg"
}
