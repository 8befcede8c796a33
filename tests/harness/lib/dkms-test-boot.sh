# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-boot.sh - the boot of tests/harness/kth-dkms-test, sourced by
# it: the modules the private DKMS tree built, in an initramfs, booted in
# QEMU with tests/guest/dkms.sh; the guest's results as guest.NAME,
# guest.completed and guest.clean-log.

# --- boot the DKMS-built modules ---
boot_dkms_modules() {
	kos=()
	for m in $mods; do kos+=(--ko "$inst/$m.ko"); done
	kos+=(--ko "$client/kth_dkms_client.ko")
	initrd=$work/initramfs.gz
	vmlog=$builddir/vm/logs/$kver/dkms.log
	vmargs=()
	while IFS= read -r line; do
		read -ra words <<<"${line#*kth-vm:}"
		vmargs+=("${words[@]}")
	done < <(grep -E '^#[[:space:]]*kth-vm:' "$topdir/tests/guest/dkms.sh" || true)
	if run_logged initramfs "$here/kth-mkinitramfs" --kver "$kver" --kernel-root "$kroot" \
		--out "$initrd" "${kos[@]}"; then
		log "dkms: booting $kver with the DKMS-built modules..."
		"$here/kth-vm" --kernel "$kroot/boot/vmlinuz-$kver" --initrd "$initrd" --log "$vmlog" \
			--scenarios dkms --timeout "$timeout" --extra-append "kth.dkms_version=$version" \
			"${vmargs[@]}" >"$logs/vm.log" 2>&1
		rc=$?
		# The guest's results, outside its dmesg dump, as guest.NAME.
		while read -r st rest; do
			case $st in
			ok) ok "guest.$rest" ;;
			skip) skip "guest.${rest%% # *}" "${rest#* # }" ;;
			not) rest=${rest#ok }; not_ok "guest.${rest%% # *}" "${rest#* # }" ;;
			esac
		done < <(awk '/KTH-DMESG-BEGIN/ { d = 1 } /KTH-DMESG-END/ { d = 0; next }
			!d && /KTH-RESULT / { sub(/.*KTH-RESULT /, ""); print }' "$vmlog")
		end=$(grep -o 'KTH-SCENARIO-END dkms rc=[0-9]*' "$vmlog" | tail -n 1)
		check guest.completed "kth-vm exit $rc, '${end:-no KTH-SCENARIO-END}', see $vmlog" \
			test "$rc" -eq 0 -a "$end" = "KTH-SCENARIO-END dkms rc=0"
		bad_log=${KTH_BAD_LOG:-'Oops|(^|[^A-Za-z_])BUG:|WARNING:|Kernel panic|Call Trace:'}
		bad=$(grep -v 'KTH-RESULT' "$vmlog" | grep -E -m 1 "$bad_log")
		check guest.clean-log "bad kernel log line: ${bad:0:120}" test -z "$bad"
	else
		not_ok guest.completed "kth-mkinitramfs failed, see $logs/initramfs.log"
	fi
}
