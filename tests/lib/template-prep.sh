# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# template-prep.sh - two parts of tests/guest/template.prep, sourced by it
# (they use its variables, $drv, $G, $kver, $work, and its ok, not_ok,
# skip, check): what the generated driver gets besides its source.

# The generated DKMS package: dkms.conf (the driver's name, BUILD_DEPENDS
# on kthelper, built for $kernelver with the installed framework, never
# the running kernel), the DKMS source tree (sources only), and make
# dkms-install refused, naming the driver and the kernel, where kthelper
# is not installed with DKMS.
check_generated_dkms() {
	local conf got msg
	conf=$drv/$G/dkms.conf
	check dkms-conf-name grep -qxF "PACKAGE_NAME=\"$G\"" "$conf"
	check dkms-conf-module grep -qxF "BUILT_MODULE_NAME[0]=\"$G\"" "$conf"
	check dkms-conf-build-depends grep -qxF 'BUILD_DEPENDS="kthelper"' "$conf"
	# shellcheck disable=SC2016 # DKMS's variables, literally
	check dkms-conf-kernelver sh -c "grep -F 'MAKE[0]=' '$conf' | grep -qF 'KERNELRELEASE=\${kernelver} KDIR=\${kernel_source_dir} KTH_TREE= '"
	check dkms-conf-no-uname sh -c "! grep -q 'uname' '$conf'"
	# the DKMS source tree: sources only, and the Makefile's compiler script
	if sh "$drv/$G/scripts/dkms" source "$work/dkms-src" >"$work/dkms-src.log" 2>&1; then
		got=$(cd "$work/dkms-src" && find . -type f -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ')
		if [[ $got == "Kbuild Makefile dkms.conf $G.c scripts/kth-kernel-cc " ]]; then
			ok dkms-source-files
		else
			not_ok dkms-source-files "got '$got'"
		fi
	else
		not_ok dkms-source-files "scripts/dkms source failed: $(cat "$work/dkms-src.log")"
	fi
	# make dkms-install without kthelper installed by DKMS for the kernel:
	# refused, naming the driver and the kernel (kthelper-dkms is not
	# installed here; on a machine where it is, this says so)
	if dkms status -m kthelper -k "$kver" 2>/dev/null | grep -q ': installed'; then
		skip dkms-install-needs-kthelper "kthelper is installed with DKMS for $kver on this machine"
	elif ! command -v dkms >/dev/null; then
		skip dkms-install-needs-kthelper "dkms is not installed"
	else
		msg=$(make -s -C "$drv/$G" dkms-install KVER="$kver" 2>&1)
		if [[ $? -ne 0 && $msg == *"$G needs kthelper installed with DKMS for $kver first"* ]]; then
			ok dkms-install-needs-kthelper
		else
			not_ok dkms-install-needs-kthelper "$msg"
		fi
		check dkms-install-refused-wrote-nothing test ! -e "/usr/src/$G-0.1.0" -a ! -e "/var/lib/dkms/$G"
	fi
}

# make check in the generated tree: kthelper's tests/run boots the kernel
# with the framework and the driver and runs its tests/NAME.sh.
check_generated_make_check() {
	local start rc secs last n
	if [[ -f $drv/$G/$G.ko ]]; then
		start=$EPOCHREALTIME
		KTH_NO_SETUP=1 make -C "$drv/$G" check KVER="$kver" >"$work/make-check.log" 2>&1
		rc=$?
		secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
		last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/make-check.log" | tail -n 1)
		n=${last%% passed*}
		if [[ $rc -eq 0 && $last == *" passed, 0 failed"* && ${n:-0} -ge 20 ]] &&
			grep -qF "scenario '$G' ..." "$work/make-check.log"; then
			ok make-check-generated
			echo "# make check in the generated $G: $last in $secs s"
		else
			not_ok make-check-generated "make check in $G exited $rc, '${last:-no summary}': $(grep -E 'not ok|error' "$work/make-check.log" | head -n 5)"
		fi
	else
		not_ok make-check-generated "$G.ko was not built"
	fi
}
