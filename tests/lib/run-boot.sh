# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# run-boot.sh - tests/run's boots, sourced by it: the host preparations'
# results (collect_preps), one scenario's boot with its host helper
# (boot_once), booted once more when the kernel died before the scenario
# began, and its results (boot_scenario), and the dkms scenario, which
# tests/harness/kth-dkms-test boots itself (run_dkms), and the end of
# make demo (demo_summary).

# kth-vm with its messages in $vmerr (and, with KTH_VERBOSE=1, the serial
# console on the terminal too; for --demo, only the narrative's KTH-DEMO
# lines and kth-vm's own).
run_vm() {
	if [[ $demo -eq 1 ]]; then
		"$harness/kth-vm" "$@" 2>&1 | tee "$vmerr" |
			sed -un -e 's/^.*KTH-DEMO //p' -e '/^\[kth\]/p' >&2
		return "${PIPESTATUS[0]}"
	fi
	if [[ ${KTH_VERBOSE:-0} == 1 ]]; then
		"$harness/kth-vm" "$@" 2>&1 | tee "$vmerr" >&2
		return "${PIPESTATUS[0]}"
	fi
	"$harness/kth-vm" "$@" 2>"$vmerr"
}

# The results of the host preparations (run_preps): their KTAP results
# lines and NAME.prep.
collect_preps() {
	local name preplog
	for name in "${preps[@]}"; do
		preplog=$logdir/$name.prep.log
		collect_results "$preplog" "$name"
		if [[ ${prep_rc[$name]} -eq 0 ]]; then
			add_result ok "$name.prep"
		else
			add_result "not ok" "$name.prep" "exited ${prep_rc[$name]}, see $preplog"
		fi
		add_note "host preparation for $name: ${prep_secs[$name]} s, log ${preplog#"$topdir"/}"
	done
}

# The dkms and dkms-driver scenarios (see the top of tests/run):
# kth-dkms-test does the boot itself (--driver for dkms-driver).
run_dkms() { # INDEX TOTAL [NAME]
	local name=${3:-dkms} out err rc secs nfailed start failed_before what args=()
	out=$logdir/$name.results
	err=$logdir/$name.test.log
	what="DKMS, .deb"
	[[ $name == dkms ]] || { args=(--driver); what="a driver's DKMS package, kernel upgrade"; }
	printf "[kth] boot %d/%d scenario '%s' (%s) ... " "$1" "$2" "$name" "$what" >&2
	start=$EPOCHREALTIME
	failed_before=$failed
	set +e
	KTH_BAD_LOG=$bad_log "$harness/kth-dkms-test" "${args[@]}" --kver "$kver" --kernel-root "$kroot" \
		--timeout "$timeout" >"$out" 2>"$err"
	rc=$?
	set -e
	secs=$(elapsed_since "$start")
	collect_results "$out" "$name" diag	# diag: a retried boot says so
	if [[ $rc -le 1 ]]; then
		add_result ok "$name.completed"
	else
		add_result "not ok" "$name.completed" "kth-dkms-test stopped (exit $rc), see $err"
	fi
	add_note "scenario $name: boot $1/$2, $secs s, log ${err#"$topdir"/}"
	nfailed=$((failed - failed_before))
	if [[ $nfailed -eq 0 ]]; then
		printf '%s s, %d checks\n' "$secs" "$collected" >&2
	else
		printf '%s s, %d checks, %d FAILED, log %s\n' "$secs" "$collected" "$nfailed" "$err" >&2
	fi
}

# One boot of the scenario $name with the variables of boot_scenario:
# sets vmrc, and hostrc when it has a host helper.
boot_once() {
	local sock vm helper
	# A host helper follows the log: it must not see the last run's.
	: >"$logfile"
	set +e
	if [[ -z $host ]]; then
		run_vm "${vmargs[@]}"
		vmrc=$?
	else
		sock=$qmpdir/$name.sock
		run_vm "${vmargs[@]}" --qmp "$sock" &
		vm=$!
		KTH_QMP=$sock KTH_LOG=$logfile KTH_SCENARIO=$name KTH_VM_PID=$vm \
			timeout -k 5 $((limit + 90)) "$host" >"$hostlog" 2>&1 &
		helper=$!
		wait "$vm"
		vmrc=$?
		# The guest is gone: give the helper a moment, then stop it.
		for _ in $(seq 50); do
			kill -0 "$helper" 2>/dev/null || break
			sleep 0.2
		done
		kill "$helper" 2>/dev/null
		wait "$helper"
		hostrc=$?
	fi
	set -e
}

# Boot NAME (tests/guest/NAME.sh, with its `# kth-vm:` options and its
# NAME.host helper if any) and count its results.  When the kernel died
# before the scenario began (early_death), that boot's logs are kept as
# NAME.early-death.*, a KTAP diagnostic says so, and NAME boots once more:
# the results are the second boot's.  A death after the scenario began is
# never retried.
boot_scenario() { # NAME INDEX TOTAL
	local name=$1 index=$2 total=$3 script logfile vmerr vmargs line words i
	local host hostlog hostrc vmrc start failed_before secs nresults nfailed death f
	local limit=$timeout	# the guest's limit: the scenario's own if it has one
	script=$guestdir/$name.sh
	logfile=$logdir/$name.log
	vmerr=$logdir/$name.vm.txt
	hostlog=$logdir/$name.host.log
	vmargs=(--kernel "$kernel" --initrd "${initrd_of[$name]}" --log "$logfile"
		--scenarios "$name" --timeout "$timeout")
	[[ -z $append ]] || vmargs+=(--extra-append "$append")
	while IFS= read -r line; do
		read -ra words <<<"${line#*kth-vm:}"
		for i in "${!words[@]}"; do	# a scenario's own limit scales too
			[[ ${words[i]} == --timeout ]] || continue
			words[i + 1]=$((words[i + 1] * timeout_scale))
			limit=${words[i + 1]}
		done
		vmargs+=("${words[@]}")
	done < <(grep -E '^#[[:space:]]*kth-vm:' "$script" || true)
	# tests/run --accel wins over the scenario's own (kth-vm takes the last)
	[[ -z $accel ]] || vmargs+=(--accel "$accel")

	host=$guestdir/$name.host
	[[ -x $host ]] || host=
	printf "[kth] boot %d/%d scenario '%s' ... " "$index" "$total" "$name" >&2
	[[ ${KTH_VERBOSE:-0} != 1 ]] || echo >&2
	rm -f "$logdir/$name".early-death.*
	start=$EPOCHREALTIME
	failed_before=$failed
	boot_once
	if death=$(early_death "$logfile" "$vmrc"); then
		for f in log vm.txt host.log; do
			[[ ! -e $logdir/$name.$f ]] || mv -f "$logdir/$name.$f" "$logdir/$name.early-death.$f"
		done
		printf 'kernel died before the scenario began (%s), booting it again ... ' "$death" >&2
		[[ ${KTH_VERBOSE:-0} != 1 ]] || echo >&2
		add_diag "$name: boot retried: kernel died before the scenario began: $death (log ${logdir#"$topdir"/}/$name.early-death.log)"
		boot_once
	fi
	secs=$(elapsed_since "$start")

	collect_results "$logfile" "$name" diag
	nresults=$collected
	if [[ -n $host ]]; then
		collect_results "$hostlog" "$name" diag	# its "# " lines too
		nresults=$((nresults + collected))
		if [[ $hostrc -eq 0 ]]; then
			add_result ok "$name.host"
		else
			add_result "not ok" "$name.host" "host helper exited $hostrc, see $hostlog"
		fi
	fi
	judge_completed "$name" "$logfile" "$vmerr" "$vmrc" "$nresults"
	judge_clean_log "$name" "$logfile"

	add_note "scenario $name: boot $index/$total, $secs s, log ${logfile#"$topdir"/}"
	nfailed=$((failed - failed_before))
	if [[ $nfailed -eq 0 ]]; then
		printf '%s s, %d checks\n' "$secs" "$nresults" >&2
	else
		printf '%s s, %d checks, %d FAILED%s, log %s\n' "$secs" "$nresults" \
			"$nfailed" "${why:+ ($why)}" "$logfile" >&2
	fi
}

# The end of `make demo`: what was shown, the demo's own checks (their KTAP
# in a file), where the whole console log is, what to try next.  Exits
# with the checks' status.
demo_summary() {
	local ktapfile=$logdir/demo.ktap rc=0 line
	print_ktap >"$ktapfile" || rc=1
	line=$(tail -n 1 "$ktapfile")
	cat <<EOS

==> Summary
    Shown, on Linux $kver under QEMU: kthelper and a driver on it; events
    posted, each run through a user-mode helper (with sanitised identity
    codes) and sent as a uevent; SIGSTOP/SIGCONT, SIGUSR1's statistics,
    the latency histograms and kthctl status; SIGKILL with the queued
    events counted as dropped, a restart through sysfs; kth_usbwatch
    reporting real USB hotplug.
    The demo's own checks: $line (KTAP: ${ktapfile#"$topdir"/})
    The whole console log: ${logdir#"$topdir"/}/demo.log

    Try next:
      make new-driver NAME=mydrv   your own driver from the template
                                   (Documentation/writing-a-driver.rst)
      make check                   the whole suite on real kernels
                                   (Documentation/testing.rst)
      sudo make install            kthctl, to watch and drive helper
                                   threads on a machine with kthelper
                                   (Documentation/observability.rst)
EOS
	[[ $rc -eq 0 ]] || log "the demo's checks failed: see ${ktapfile#"$topdir"/}"
	exit "$rc"
}
