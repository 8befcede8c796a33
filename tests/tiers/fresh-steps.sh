# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2154,SC2004 # the caller's variables, associative arrays
#
# fresh-steps.sh - the steps of tests/tiers/kth-check-fresh, sourced by it:
# running one with its time and progress, and reporting it as a KTAP line.
# Uses the caller's log(), $logdir, $topdir, $rootdir, $tree, $nsteps and
# its counters n, passed, failed, skipped and arrays result, secs.

human() { # seconds -> "1 min 5 s"
	if [[ $1 -ge 60 ]]; then printf '%d min %d s' $(($1 / 60)) $(($1 % 60)); else printf '%d s' "$1"; fi
}

# report STEP ok|fail|skip [REASON]: one KTAP line; a failure shows the
# tail of the step's log and names it.
report() {
	local step=$1 status=$2 reason=${3:-} logf=$logdir/$1.log
	n=$((n + 1))
	result[$step]=$status
	case $status in
	ok) passed=$((passed + 1)); echo "ok $n fresh.$step" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n fresh.$step # SKIP $reason" ;;
	*)
		failed=$((failed + 1))
		if [[ -s $logf ]]; then
			echo "# fresh.$step: the last lines of ${logf#"$topdir"/}:"
			tail -n 25 "$logf" | sed 's/^/#   /'
		fi
		echo "not ok $n fresh.$step${reason:+ # $reason}"
		;;
	esac
}

# last_line LOG: the last line of LOG, or of the log the clone's build/
# changed last if that is newer (the static gate's, a VM's serial log).
last_line() {
	local f=$1 newest line
	newest=$(find "$rootdir$tree/build" -name '*.log' -newer "$f" \
		-printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1) || newest=
	newest=${newest#* }
	[[ -z $newest ]] || f=$newest
	line=$(tail -n 1 "$f" 2>/dev/null | tr -d '\r' | cut -c1-100) || line=
	f=${f#"$topdir"/}
	printf '%s: %s' "${f#"$rootdir$tree"/}" "$line"
}

# timed STEP WHAT LIMIT CMD...: run CMD, its output in build/fresh/STEP.log,
# with a line of progress every minute; sets $rc and secs[STEP].
timed() {
	local step=$1 what=$2 limit=$3 start next
	shift 3
	log "fresh: step $((n + 1))/$nsteps $step: $what ..."
	start=$SECONDS
	next=$((start + 60))
	"$@" >>"$logdir/$step.log" 2>&1 &
	step_pid=$!
	while kill -0 "$step_pid" 2>/dev/null; do
		sleep 1
		[[ $SECONDS -ge $next ]] || continue
		next=$((next + 60))
		log "fresh:   $step: $(human $((SECONDS - start))) (limit $limit): $(last_line "$logdir/$step.log")"
	done
	rc=0
	wait "$step_pid" || rc=$?
	step_pid=
	secs[$step]=$((SECONDS - start))
	log "fresh: step $((n + 1))/$nsteps $step: exit $rc after $(human "${secs[$step]}")"
	echo "# fresh.$step: $what: $(human "${secs[$step]}")"
}

# ktap_step STEP: pass if the step exited 0 and its log's last summary
# line says 0 failed.
ktap_step() {
	local step=$1 line
	# make check's last line, or make demo's "The demo's own checks: ..."
	line=$(grep -oE "(^|The demo's own checks: )[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?" \
		"$logdir/$step.log" | tail -n 1 | sed 's/^.*checks: //') || line=
	[[ -z $line ]] || echo "# fresh.$step: $line"
	if [[ $rc -ne 0 ]]; then
		report "$step" fail "exit $rc${line:+: $line}"
	elif [[ ! $line =~ ^[0-9]+\ passed,\ 0\ failed ]]; then
		report "$step" fail "no summary with 0 failed in its log"
	else
		report "$step" ok
	fi
}
