# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154,SC2016 # kth-check-packages's variables; eval'd checks
#
# packages-steps.sh - one kernel's steps of tests/tiers/kth-check-packages,
# sourced by it: package_scenario ABI SUITE builds, installs in a fresh
# root, boots, tries the conflict and removes; results pkg-SUITE.NAME,
# the boot's in $out/boot-SUITE.out.

# in_root LOG CMD: CMD (bash) as root in $root, at most 20 minutes, its
# output appended to LOG (tests/tiers/fresh-root.sh's namespaces).
in_root() { # LOG CMD
	(fresh_run "$root" "$debs" 20m "$2") >>"$1" 2>&1
}

# pcheck NAME REASON CMD...: a result of group pkg-$suite.
pcheck() { # NAME REASON CMD...
	local name=$1 reason=$2
	shift 2
	if "$@"; then
		add_result ok "pkg-$suite.$name"
	else
		add_result "not ok" "pkg-$suite.$name" "$reason"
	fi
}

# compilerless: no compiler and no kernel headers in the root.
compilerless() {
	in_root "$work/gcc.log" '! command -v gcc && ! command -v cc && ! command -v clang &&
		! ls -d /usr/src/linux-headers-* 2>/dev/null'
}

package_scenario() { # ABI SUITE
	local abi=$1 suite=$2 work=$out/$1 root tar deb tools dkms kos=() selftest x t moddir
	root=$work/root
	mkdir -p "$work"
	deb=$out/deb/kthelper-modules-${abi}_${version}_amd64.deb
	tools=$out/deb/kthelper-tools_${version}_all.deb
	dkms=$out/deb/kthelper-dkms_${version}_all.deb

	# 1. build
	t=$SECONDS
	log "$abi: step 1/6: the package (kth-deb-modules) and kth_selftest"
	if "$topdir/scripts/kth-deb-modules" --out "$out/deb" --sign-key "$out/keys/key.pem" \
		--sign-cert "$out/keys/cert.pem" "$abi" >"$work/deb-modules.log" 2>&1 &&
		[[ -f $deb && -f $tools && -f $dkms ]]; then
		add_result ok "pkg-$suite.build" "$((SECONDS - t)) s, $(du -k "$deb" | cut -f1) KiB"
	else
		add_result "not ok" "pkg-$suite.build" "kth-deb-modules failed: $(tail -n 1 "$work/deb-modules.log")"
		return
	fi
	selftest=$("$topdir/tests/harness/kth-build-modules" --kver "$abi" --out "$work/modules" \
		2>"$work/selftest.log" | grep '/kth_selftest\.ko$') || {
		add_result "not ok" "pkg-$suite.selftest-build" "kth-build-modules failed, see $work/selftest.log"
		return
	}

	# 2. a fresh root of the suite, apt pointed at it
	log "$abi: step 2/6: a fresh minimal $suite root"
	tar=$kth_cache/fresh/$suite-minbase.tar
	fresh_make_root "$tar" "$debs" "$suite" "$kth_mirror" "$(kth_suite_aptopts "$suite")" \
		2>"$work/root.log" || {
		add_result "not ok" "pkg-$suite.root" "mmdebstrap failed, see $work/root.log"
		return
	}
	fresh_unpack "$tar" "$root"
	rm -f "$root"/etc/apt/sources.list.d/*
	kth_sources "$suite" >"$root/etc/apt/sources.list"
	kth_suite_aptopts "$suite" >"$root/etc/apt/apt.conf.d/99kthelper"
	cp "$deb" "$tools" "$dkms" "$root/tmp/"
	compilerless && x=0 || x=$?
	pcheck compilerless-before "the fresh root has a compiler or headers: $(cat "$work/gcc.log")" test "$x" -eq 0

	# 3. install, as an operator would
	t=$SECONDS
	log "$abi: step 3/6: apt-get install ./${tools##*/} ./${deb##*/} (brings linux-image-$abi)"
	if in_root "$work/install.log" "apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o Dpkg::Use-Pty=0 /tmp/${tools##*/} /tmp/${deb##*/}"; then
		add_result ok "pkg-$suite.install" "$((SECONDS - t)) s"
	else
		add_result "not ok" "pkg-$suite.install" "apt-get install failed, see $work/install.log"
		return
	fi
	: >"$work/gcc.log"
	compilerless && x=0 || x=$?
	pcheck compilerless-after "the install brought a compiler or headers: $(cat "$work/gcc.log")" test "$x" -eq 0
	moddir=$root/lib/modules/$abi
	mapfile -t kos < <(find "$moddir/updates/kthelper" -name '*.ko' | sort)
	pcheck installed "expected 3 modules in $moddir/updates/kthelper, found ${#kos[@]}" test "${#kos[@]}" -eq 3
	for x in "${kos[@]}"; do
		t=$(modinfo -F signer "$x" 2>&1)
		pcheck "signer-$(basename "$x" .ko)" "modinfo -F signer: '$t', not '$cn'" test "$t" = "$cn"
		echo "# $(basename "$x"): modinfo -F signer: $t" >>"$work/signers.txt"
	done
	x=$(in_root /dev/stdout "modinfo -k $abi -F filename kthelper" 2>&1)
	pcheck depmod "modinfo -k $abi kthelper in the root: '$x'" \
		eval '[[ $x == */lib/modules/$abi/updates/kthelper/kthelper.ko ]]'

	# 4. boot the installed kernel with the installed modules
	log "$abi: step 4/6: boot $abi with the installed modules (selftest, usbwatch)"
	# 7.x ships the kernel as (usr/)lib/modules/ABI/vmlinuz: /boot has no
	# copy, or one linked by an absolute path, which means the host's here
	if [[ ! -e $root/boot/vmlinuz-$abi && -f $moddir/vmlinuz ]]; then
		ln -sfn "../lib/modules/$abi/vmlinuz" "$root/boot/vmlinuz-$abi"
	fi
	ls -l "$root/boot" >"$work/boot-dir.txt"
	KTH_NO_SETUP=1 KTH_BUILDDIR=$work/run KTH_MODULES="${kos[*]} $selftest" \
		"$topdir/tests/run" --kernel-root "$root" --kver "$abi" --only selftest,usbwatch \
		>"$out/boot-$suite.out" 2>"$work/boot.log" || true
	tail -n 1 "$out/boot-$suite.out" >&2

	# 5. the conflict with kthelper-dkms
	log "$abi: step 5/6: kthelper-dkms next to it"
	x=$(in_root /dev/stdout "dpkg -i /tmp/${dkms##*/}; echo rc=\$?")
	printf '%s\n' "$x" >"$work/conflict-dpkg.log"
	pcheck conflict-dpkg "dpkg -i kthelper-dkms: $(tail -n 3 <<<"$x" | tr '\n' ' ')" \
		eval '[[ $x != *"rc=0"* && $x == *"kthelper-dkms conflicts with kthelper-modules"* ]]'
	x=$(in_root /dev/stdout "apt-get install -y -q --no-remove /tmp/${dkms##*/}; echo rc=\$?")
	printf '%s\n' "$x" >"$work/conflict-apt.log"
	pcheck conflict-apt "apt-get install --no-remove kthelper-dkms: $(tail -n 3 <<<"$x" | tr '\n' ' ')" \
		eval '[[ $x != *"rc=0"* && $x == *"remove is disabled"* && $x == *"kthelper-modules-$abi"* ]]'
	x=$(in_root /dev/stdout "for p in kthelper-modules-$abi kthelper-dkms; do
		echo \$p=\$(dpkg-query -W -f='\${db:Status-Status}' \$p 2>/dev/null); done" | paste -sd ' ')
	pcheck conflict-kept "after the conflict: '$x'" \
		eval '[[ $x == "kthelper-modules-$abi=installed kthelper-dkms="* && $x != *"kthelper-dkms=installed"* ]]'

	# 6. remove
	log "$abi: step 6/6: apt-get purge kthelper-modules-$abi"
	if in_root "$work/purge.log" "apt-get purge -y -q kthelper-modules-$abi"; then
		add_result ok "pkg-$suite.purge"
	else
		add_result "not ok" "pkg-$suite.purge" "see $work/purge.log"
	fi
	x=$(find "$moddir/updates" -mindepth 1 2>/dev/null || true)
	pcheck purge-clean "left under $moddir/updates: $x" test -z "$x"
	x=$(grep -c kthelper "$moddir/modules.dep" || true)
	pcheck purge-depmod "modules.dep still names kthelper ($x lines)" test "$x" -eq 0
	if [[ $keep == 0 ]]; then
		fresh_remove "$root"
	fi
}
