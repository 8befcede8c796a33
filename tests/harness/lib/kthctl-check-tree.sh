# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kthctl-check-tree.sh - the fake sysfs tree of tests/harness/kth-kthctl-check,
# sourced by it: make_fake_tree writes, under $fake, the files kthelper's
# threads show in sysfs, which every other check runs `kthctl metrics`
# against.  tests/harness/lib/kthctl-check-*.sh are the parts of
# kth-kthctl-check, one concern each; they use its variables ($here,
# $topdir, $kthctl, $work, $fake) and its KTAP vocabulary (ok, not_ok,
# skip, check).
# shellcheck disable=SC2154 # $fake and the others: set by kth-kthctl-check

# --- the fake tree: THREAD FILE VALUE (a file of several lines: \n) ---
# kth_a and kth_b are one module's; kth_old an older kthelper's (no
# causes, sums, helper outcomes or driver metrics); kth_odd has a state
# kthctl does not know and a driver whose metrics cannot all be shown.
# No thread has a pid or signals file: kthctl stats sends no SIGUSR1.
# write_tree DIR: the lines of stdin, THREAD FILE VALUE, as files in DIR
write_tree() {
	local dir=$1 t f v
	while read -r t f v; do
		mkdir -p "$(dirname "$dir/$t/$f")"
		if [[ $v == '<empty>' ]]; then
			: >"$dir/$t/$f"
		else
			printf '%b\n' "$v" >"$dir/$t/$f"
		fi
	done
}

# The helper figures of a kthelper that counts outcomes: kth_a's runs
# add up (runs 40 = 30 + 5 + 2 + 3, failures 6 = 4 + 2 + 0, exec
# failures 4 = 1 + 1 + 1 + 0 + 1); kth_b's limits at their ends.
HELPER_FILES='exited exited_nonzero killed timeouts exec_failed exec_enoent
exec_eacces exec_enoexec exec_enomem exec_other refused not_run dropped
deferred waited running pending last_exit last_signal timeout_ms
max_running max_pending runner'

# make_runner_tree DIR RUNNER: one thread, kth_r, on a kernel whose
# helper_runner is RUNNER
make_runner_tree() {
	local f
	{
		for f in $HELPER_FILES; do echo "kth_r helper_$f 0"; done
		cat <<-EOF
		kth_r module kth_r
		kth_r state running
		kth_r posted 2
		kth_r handled 2
		kth_r helper_runs 0
		kth_r helper_failures 2
		kth_r helper_suppressed 0
		kth_r helper_not_run 2
		kth_r helper_timeout_ms 10000
		kth_r helper_max_running 4
		kth_r helper_max_pending 64
		kth_r helper_runner $2
		EOF
	} | write_tree "$1"
}

make_fake_tree() {
	write_tree "$fake" <<-'EOF'
	kth_a module kth_demo
	kth_a state running
	kth_a posted 1012
	kth_a handled 1000
	kth_a dropped 12
	kth_a dropped_full 5
	kth_a dropped_evicted 4
	kth_a dropped_stopped 2
	kth_a dropped_killed 1
	kth_a depth 0
	kth_a queue_len 64
	kth_a wakeups 17
	kth_a helper_runs 40
	kth_a helper_failures 6
	kth_a helper_suppressed 3
	kth_a helper_exited 30
	kth_a helper_exited_nonzero 5
	kth_a helper_killed 2
	kth_a helper_timeouts 3
	kth_a helper_exec_failed 4
	kth_a helper_exec_enoent 1
	kth_a helper_exec_eacces 1
	kth_a helper_exec_enoexec 1
	kth_a helper_exec_enomem 0
	kth_a helper_exec_other 1
	kth_a helper_refused 2
	kth_a helper_not_run 0
	kth_a helper_dropped 7
	kth_a helper_deferred 6
	kth_a helper_waited 11
	kth_a helper_running 1
	kth_a helper_pending 2
	kth_a helper_last_exit 3
	kth_a helper_last_signal 15
	kth_a helper_timeout_ms 10000
	kth_a helper_max_running 4
	kth_a helper_max_pending 64
	kth_a helper_runner direct
	kth_a uevents 40
	kth_a uevent_failures 1
	kth_a sample_runs 0
	kth_a wait_hist 0 2 3\n512 1024 2\n1024 2048 1\n1048576 2097152 900\n34359738368 68719476736 90\n9223372036854775808 18446744073709551615 4
	kth_a wait_sum_ns 3251234567890
	kth_a wait_count 1000
	kth_a handle_hist 65536 131072 1000
	kth_a handle_sum_ns 99000001
	kth_a handle_count 1000
	kth_a metrics/schema level gauge - a level, in units\nevents counter action events, by action: "quoted" and back\\slash
	kth_a metrics/level -42
	kth_a metrics/events add 7\nbus-add 1\nre.move 0
	kth_b module kth_demo
	kth_b state paused
	kth_b posted 18446744073709551615
	kth_b handled 18446744073709551615
	kth_b dropped 0
	kth_b dropped_full 0
	kth_b dropped_evicted 0
	kth_b dropped_stopped 0
	kth_b dropped_killed 0
	kth_b depth 0
	kth_b queue_len 8
	kth_b wakeups 1
	kth_b helper_runs 0
	kth_b helper_failures 0
	kth_b helper_suppressed 0
	kth_b helper_exited 0
	kth_b helper_exited_nonzero 0
	kth_b helper_killed 0
	kth_b helper_timeouts 0
	kth_b helper_exec_failed 0
	kth_b helper_exec_enoent 0
	kth_b helper_exec_eacces 0
	kth_b helper_exec_enoexec 0
	kth_b helper_exec_enomem 0
	kth_b helper_exec_other 0
	kth_b helper_refused 0
	kth_b helper_not_run 0
	kth_b helper_dropped 0
	kth_b helper_deferred 0
	kth_b helper_waited 18446744073709551615
	kth_b helper_running 0
	kth_b helper_pending 0
	kth_b helper_last_exit 0
	kth_b helper_last_signal 0
	kth_b helper_timeout_ms 10
	kth_b helper_max_running 64
	kth_b helper_max_pending 4096
	kth_b helper_runner direct
	kth_b uevents 0
	kth_b uevent_failures 0
	kth_b sample_runs 5
	kth_b wait_hist <empty>
	kth_b wait_sum_ns 0
	kth_b handle_hist <empty>
	kth_b handle_sum_ns 0
	kth_b metrics/schema level gauge - a level, in units\nevents counter action events, by action: "quoted" and back\\slash
	kth_b metrics/level 9223372036854775807
	kth_b metrics/events add 0\nbus-add 0\nre.move 3
	kth_old module kth_old
	kth_old state stopped
	kth_old posted 3
	kth_old handled 2
	kth_old dropped 1
	kth_old depth 0
	kth_old queue_len 16
	kth_old helper_runs 1
	kth_old helper_failures 0
	kth_old helper_suppressed 2
	kth_old wait_hist 1024 2048 2
	kth_old handle_hist 1024 2048 2
	kth_odd module kth_queue
	kth_odd state starting
	kth_odd posted 1
	kth_odd handled 0
	kth_odd metrics/schema depth gauge - taken by kthelper_queue_depth\nBad gauge - a capital\nfine counter - one good one\nlabelled gauge thread a label named thread\nshort gauge\nnovalue gauge -
	kth_odd metrics/depth 5
	kth_odd metrics/Bad 1
	kth_odd metrics/fine 77
	kth_odd metrics/labelled x 1
	kth_odd metrics/short 1
	kth_odd metrics/novalue not-a-number
	EOF
}
