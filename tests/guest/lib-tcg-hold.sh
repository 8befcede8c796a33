# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# lib-tcg-hold.sh - holds against a hazard of QEMU 7.2's threaded TCG,
# sourced after lib.sh by the scenarios whose system sleeps or tracers
# would otherwise patch a site that a helper thread or a vCPU is running
# (suspend, unload, helper-outcomes, trace, tracecmd).  Not a
# scenario.

# freezer_key_hold NAME: a result NAME for holding the freezer's static key
# (freezer_active, 6.1 and later) on with an empty v1 freezer cgroup set
# FROZEN, so that the system sleeps that follow do not patch its sites
# while a helper thread runs them; freezer_key_release NAME lets it go.
# Under QEMU 7.2's threaded TCG a vCPU could keep running its translation
# of such a site with the patch's int3 after the patch was done, and the
# kernel's int3 handler, seeing the jump in memory, sent it back there: a
# loop until the thaw patched the site again (a soft lockup at the site,
# "Freezing of tasks failed"; suspend.sh in about 1 boot of 12).  Real
# hardware refetches after the iret.  A kernel without the v1 freezer
# cgroup gets a SKIP, and its sleeps flip the key.
KTH_FZ=/tmp/kth-freezer
freezer_key_hold() {
	if ! grep -q '^freezer[[:space:]]' /proc/cgroups; then
		skip "$1" "no v1 freezer cgroup in this kernel: each sleep flips the freezer's key"
		return 0
	fi
	check "$1" _kth_freezer_key_hold
}
_kth_freezer_key_hold() {
	mkdir -p $KTH_FZ && mount -t cgroup -o freezer kth-freezer $KTH_FZ &&
		mkdir $KTH_FZ/hold && echo FROZEN >$KTH_FZ/hold/freezer.state &&
		[ "$(cat $KTH_FZ/hold/freezer.state)" = FROZEN ]
}
freezer_key_release() {
	[ ! -d $KTH_FZ/hold ] ||
		check "$1" sh -c "echo THAWED >$KTH_FZ/hold/freezer.state && rmdir $KTH_FZ/hold && umount $KTH_FZ"
}

# sched_switch_hold NAME: a result NAME for holding sched_switch's
# tracepoint at two probes (an instance's event and its task-name
# recording), done while the system is quiet.  Probes added and removed
# above two leave __schedule()'s static call and key as they are, so a
# tracer turned on and off later patches no scheduler site: the QEMU 7.2
# hazard of freezer_key_hold, met at __schedule+0x1bc when trace-cmd
# record stopped (tracecmd.sh, 1 boot in 4 at 53c51f0).  trace.sh turns
# the kthelper events on and off with task-name recording: it holds too.
sched_switch_hold() {
	tracefs
	# an instance records task names as the top one does by default
	check "$1" sh -c "mkdir -p $TR/instances/kth-hold &&
		echo 1 >$TR/instances/kth-hold/events/sched/sched_switch/enable"
}
