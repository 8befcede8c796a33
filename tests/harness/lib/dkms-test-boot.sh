# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-boot.sh - the boot of tests/harness/kth-dkms-test, sourced by
# it: the modules the private DKMS tree built, in an initramfs, booted in
# QEMU with tests/guest/dkms.sh; the guest's results as guest.NAME,
# guest.completed and guest.clean-log.  A boot whose kernel died before the
# scenario began (tests/lib/early-death.sh) is not kthelper's failure: its
# logs are kept as *.early-death.log, a "# guest boot retried: ..." line
# says so, and the modules boot once more; a second such death fails
# guest.completed with "kernel died before the scenario began: LINE".

# shellcheck source=tests/lib/early-death.sh
. "$topdir/tests/lib/early-death.sh"

# One boot of the DKMS-built modules: sets rc.
dkms_boot_once() {
	"$here/kth-vm" --kernel "$kroot/boot/vmlinuz-$kver" --initrd "$initrd" --log "$vmlog" \
		--scenarios dkms --timeout "$timeout" --extra-append "kth.dkms_version=$version" \
		"${vmargs[@]}" >"$logs/vm.log" 2>&1
	rc=$?
}

# --- boot the DKMS-built modules ---
boot_dkms_modules() {
	local death
	kos=()
	for m in $mods; do kos+=(--ko "$(plain_ko "$(module_file "$inst" "$m")")"); done
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
		rm -f "${vmlog%.log}.early-death.log" "$logs/vm.early-death.log"
		dkms_boot_once
		if death=$(early_death "$vmlog" "$rc"); then
			mv -f "$vmlog" "${vmlog%.log}.early-death.log"
			mv -f "$logs/vm.log" "$logs/vm.early-death.log"
			log "dkms: the kernel died before the scenario began ($death): booting it again..."
			echo "# guest boot retried: kernel died before the scenario began: $death (log ${vmlog%.log}.early-death.log)"
			dkms_boot_once
		fi
		# The guest's results, outside its dmesg dump, as guest.NAME.
		ktap_relay guest <"$vmlog"
		end=$(grep -o 'KTH-SCENARIO-END dkms rc=[0-9]*' "$vmlog" | tail -n 1)
		if death=$(early_death "$vmlog" "$rc"); then
			not_ok guest.completed "kernel died before the scenario began: $death"
		else
			check guest.completed -m "kth-vm exit $rc, '${end:-no KTH-SCENARIO-END}', see $vmlog" \
				test "$rc" -eq 0 -a "$end" = "KTH-SCENARIO-END dkms rc=0"
		fi
		bad_log=${KTH_BAD_LOG:-'Oops|(^|[^A-Za-z_])BUG:|WARNING:|Kernel panic|Call Trace:'}
		bad=$(grep -vE '^(not )?ok [0-9]+ ' "$vmlog" | grep -E -m 1 "$bad_log")
		check guest.clean-log -m "bad kernel log line: ${bad:0:120}" test -z "$bad"
	else
		not_ok guest.completed "kth-mkinitramfs failed, see $logs/initramfs.log"
	fi
}
