# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-coccinelle.sh - scripts/kth-check's coccinelle checks, sourced by
# it: spatch in report mode (run_spatch, also used by --selftest), the
# kernel's coccinelle scripts (locks, free, null, api, misc) on every
# kernel target (findings.coccinelle.I) and kthelper's own rules
# (scripts/static/coccinelle/*.cocci) on every target but framework/
# (findings.kth-rules.I).

kernel_scripts=()	# the kernel's scripts that ran
skipped_scripts=()	# and those that need OCaml
kth_rules=()

# Options a coccinelle script asks for in its "// Options:" line.
cocci_options() {
	sed -n 's|^//[[:space:]]*Options:||p' "$1" | head -n 1
}

# run_spatch SCRIPT GROUPS OUT: report mode, one file per group; the
# report lines go to OUT, spatch's own messages to OUT.err.
run_spatch() {
	local script=$1 groups=$2 out=$3 opts rc=0
	opts=$(cocci_options "$script")
	# shellcheck disable=SC2086 # the options are words
	(cd "$work" && spatch -D report --very-quiet --no-show-diff $opts \
		--cocci-file "$script" --file-groups "$groups") \
		>"$out" 2>"$out.err" || rc=$?
	echo "$rc" >"$out.rc"
}

# (GROUPS.NAME, when it exists, is the file list of script NAME.cocci.)
coccinelle_run() { # CHECK GROUPS SCRIPTS...
	local check=$1 groups=$2 s k=0 g
	shift 2
	mkdir -p "$work/$check"
	for s in "$@"; do
		k=$((k + 1))
		g=$groups.$(basename "$s" .cocci)
		[[ -f $g ]] || g=$groups
		run_spatch "$s" "$g" "$work/$check/out.$k" &
		[[ $((k % jobs)) -ne 0 ]] || wait
	done
	wait
	: >"$work/$check.all"
	: >"$work/$check.errors"
	k=0
	for s in "$@"; do
		k=$((k + 1))
		cat "$work/$check/out.$k" >>"$work/$check.all"
		if [[ $(<"$work/$check/out.$k.rc") != 0 ]]; then
			echo "spatch failed ($(<"$work/$check/out.$k.rc")) on ${s#"$lsrc"/}: $(tail -n 3 "$work/$check/out.$k.err" | tr '\n' ' ')" |
				relpath >>"$work/$check.errors"
		fi
	done
	distribute "$check" "$work/$check.all"
	# a report line without a file of ours is a finding of every target
	grep -v -E '^/[^:]+:[0-9]+' "$work/$check.all" >>"$work/$check.errors" || true
}

# Every file is its own group: nothing a rule learns in one file (a
# function's name) leaks into another.
run_coccinelle() {
	local i t0 s rule skips g d f bad
	: >"$work/groups.kernel"
	: >"$work/groups.kth"
	for i in "${kernel_targets[@]}"; do
		sed 's/$/\n/' "$work/files.$i" >>"$work/groups.kernel"
		[[ ${tdir[$i]} == "$topdir/framework" || ${tdir[$i]} == "$topdir/framework/"* ]] ||
			sed 's/$/\n/' "$work/files.$i" >>"$work/groups.kth"
	done
	if [[ -s $work/groups.kernel ]]; then
		t0=$EPOCHREALTIME
		while IFS= read -r s; do
			grep -q '^virtual report' "$s" || continue
			# OCaml script rules need an OCaml compiler (~300 MB); sparse's
			# "plain integer as NULL pointer" covers null/badzero.cocci.
			if grep -q -E '^@[^@]*(script|initialize|finalize):ocaml' "$s"; then
				skipped_scripts+=("${s#"$kcocci"/}")
				continue
			fi
			kernel_scripts+=("$s")
		done < <(find "$kcocci"/{locks,free,null,api,misc} -name '*.cocci' | sort)
		coccinelle_run coccinelle "$work/groups.kernel" "${kernel_scripts[@]}"
		stage_secs[coccinelle]=$(elapsed "$t0")
	fi
	if [[ -s $work/groups.kth ]]; then
		t0=$EPOCHREALTIME
		shopt -s nullglob
		kth_rules=("$rulesdir"/*.cocci)
		shopt -u nullglob
		[[ ${#kth_rules[@]} -gt 0 ]] || die "no rules in $rulesdir"
		# A rule's "// kth-check: skip DIR..." line names project directories
		# where what it forbids is the point (the benchmark's baselines).
		for rule in "${kth_rules[@]}"; do
			skips=$(sed -n 's|^//[[:space:]]*kth-check:[[:space:]]*skip[[:space:]]||p' "$rule")
			[[ -n $skips ]] || continue
			g=$work/groups.kth.$(basename "$rule" .cocci)
			cp "$work/groups.kth" "$g"
			for d in $skips; do
				d=$topdir/${d%/}/
				grep -v -F "$d" "$g" >"$g.tmp" || true
				mv "$g.tmp" "$g"
			done
		done
		coccinelle_run kth-rules "$work/groups.kth" "${kth_rules[@]}"
		# Code spatch cannot parse is code no rule sees: say so.
		while IFS= read -r f; do
			[[ -n $f ]] || continue
			bad=$(cd "$work" && spatch --parse-c "$f" 2>&1 |
			      sed -n 's/.*nb bad = \([0-9]*\).*/\1/p' | tail -n 1) || bad=
			[[ -z $bad || $bad == 0 ]] ||
				build_notes+=("kth-rules: spatch could not parse $bad line(s) of ${f#"$topdir"/}: the rules do not see them (spatch --parse-c shows where)")
		done <"$work/groups.kth"
		stage_secs[kth-rules]=$(elapsed "$t0")
	fi
}
