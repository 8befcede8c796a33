# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-driver-remove.sh - step 4 of the `dkms-driver` scenario
# (dkms-test-driver.sh), sourced by tests/harness/kth-dkms-test: kthelper
# removed for kernel B (make dkms-remove): the driver is removed for B too,
# with a line naming it and B, and stays registered and installed for A;
# kthelper installed for B again: the driver is built and installed for B
# again, with B's CRCs; dkms remove kthelper --all: the driver is left
# registered, built for no kernel.  And the DKMS logs kept out of the
# throwaway root.

# 4. kthelper removed for B: the driver goes with it; back with it.
driver_removal() {
	local out rc
	out=$(in_root make -C "$topdir" dkms-remove KERNELRELEASE="$kver_b" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/kthelper-remove-b.log"
	check kthelper-remove-b -m "kthelper for $kver_b: make dkms-remove exited $rc, see $logs/kthelper-remove-b.log" \
		test "$rc" -eq 0
	check remove-b-says-driver -m "no line naming $drv_name and $kver_b, see $logs/kthelper-remove-b.log" \
		has_line "$out" "^kthelper: removed for $(re "$kver_b"), so $drv_name/[^ ]*, which is built on it .*removed for $(re "$kver_b") too"
	out=$(status_of "$drv_name" "$kver_b")
	check remove-b-driver-gone -m "$drv_name for $kver_b: dkms status says '$out' after kthelper's removal" \
		test -z "$out" -a ! -e "$(module_file "$mods_b" "$drv_name")"
	out=$(status_of "$drv_name" "$kver"):$(status_of kthelper "$kver")
	check remove-b-a-untouched -m "$drv_name:kthelper for $kver: '$out' after kthelper's removal for $kver_b" \
		equals "$out" installed:installed
	check remove-b-framework-files-gone -m "/usr/lib/kthelper/$kver_b left after kthelper's removal" \
		test ! -e "$root/usr/lib/kthelper/$kver_b"

	out=$(in_root make -C "$topdir" dkms-install KERNELRELEASE="$kver_b" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/kthelper-reinstall-b.log"
	check kthelper-reinstall-b -m "kthelper for $kver_b: make dkms-install exited $rc, see $logs/kthelper-reinstall-b.log" \
		test "$rc" -eq 0
	check reinstall-b-says-driver -m "no line naming $drv_name and $kver_b, see $logs/kthelper-reinstall-b.log" \
		has_line "$out" "^kthelper: installed for $(re "$kver_b"): building $drv_name/"
	out=$(status_of "$drv_name" "$kver_b")
	check reinstall-b-driver-back -m "$drv_name for $kver_b: dkms status says '$out' after kthelper's reinstall, see $logs/kthelper-reinstall-b.log" \
		equals "$out" installed
	crc_check reinstall-b-links-symbols "$(module_file "$mods_b" "$drv_name")" \
		"$root/usr/lib/kthelper/$kver_b/Module.symvers"

	out=$(in_root dkms remove "kthelper/$version" --all 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/kthelper-remove-all.log"
	check kthelper-remove-all -m "dkms remove kthelper/$version --all exited $rc, see $logs/kthelper-remove-all.log" \
		test "$rc" -eq 0
	out=$(in_root dkms status -m "$drv_name" 2>&1)
	check remove-all-driver-registered -m "$drv_name: dkms status '$out' after kthelper's removal from every kernel, not 'added'" \
		has_line "$out" "^$drv_name/[^,]*: added$"
	out=$(find "$root/lib/modules" -name "$drv_name.ko*" 2>/dev/null)
	check remove-all-driver-modules-gone -m "$drv_name's modules left: $out" test -z "$out"
}

# driver_keep_logs STEP: DKMS's make.log files, and the copies make
# dkms-install kept of failed ones, out of the root: in $logs/STEP.
driver_keep_logs() {
	local f dest
	while IFS= read -r f; do
		dest=$logs/$1/${f#"$root"/}
		mkdir -p "${dest%/*}"
		cp "$f" "$dest"
	done < <(find "$root/var/lib/dkms" "$root/tmp" -name '*make.log*' -type f 2>/dev/null)
}
