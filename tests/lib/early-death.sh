# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# early-death.sh - tell a kernel that died before a scenario began from a
# kthelper failure; sourced by tests/lib/run-judge.sh (tests/run) and by
# tests/harness/kth-dkms-test, which boot such a scenario once more.
#
# Under QEMU TCG a kernel can, rarely, die in early boot before any module
# was loaded: an `int3` Oops when patching its own text races another vCPU
# (trixie's 6.12 -rt died so in sched_clock_idle_wakeup_event on CPU 1 at
# 3.7 s, `Modules linked in:` empty).  That is the kernel's or QEMU's
# failure, not kthelper's.
#
# early_death LOG VMRC: true, printing the first line of the death (at
# most 160 characters), if the boot's serial log LOG shows that the kernel
# died before the scenario began:
#  * the boot failed: kth-vm exited VMRC != 0 (no KTH-DONE: a panic, or a
#    host timeout after an Oops that did not panic);
#  * tests/guest/init never printed KTH-SCENARIO-BEGIN (before it, init
#    has loaded only the kernel's own modules, none of the project's);
#  * a line of LOG says the kernel died: Oops, BUG:, kernel BUG at,
#    general protection fault, Kernel panic, or x86's die() header
#    `STR: ERR [#N]` (5.10 prints `int3: 0000 [#1] SMP NOPTI`, without
#    the `Oops: ` 6.12 puts before it); or no line says so, the boot timed
#    out (VMRC 124) and init never ran: no KTH-BOOT, which init prints
#    before it loads any module (a kernel that hung in early boot with
#    nothing on the console, which kth-vm stops at its --boot-limit, as
#    the debug kernel did once);
#  * no `Modules linked in:` line names a kthelper module (kthelper,
#    kth_*), which would mean the project's code was in the kernel.
# False otherwise: a death after the scenario began is a plain failure.
early_death() { # LOG VMRC
	local log=$1 vmrc=$2 death
	[[ $vmrc -ne 0 && -f $log ]] || return 1
	! grep -q 'KTH-SCENARIO-BEGIN' "$log" || return 1
	! grep -qE 'Modules linked in:.*(kthelper|kth_[A-Za-z0-9_]+)' "$log" || return 1
	if ! death=$(grep -E 'Oops|(^|[^A-Za-z_])BUG:|kernel BUG at|general protection fault|Kernel panic|: [0-9a-f]{4} \[#[0-9]+\]' "$log"); then
		[[ $vmrc -eq 124 ]] && ! grep -q 'KTH-BOOT uptime=' "$log" || return 1
		death="the kernel did not reach init: no KTH-BOOT on the console"
	fi
	death=${death%%$'\n'*}
	printf '%s\n' "${death:0:160}"
}
