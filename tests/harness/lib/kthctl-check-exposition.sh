# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kthctl-check-exposition.sh - what `kthctl metrics` prints, checked by
# tests/harness/kth-kthctl-check, sourced by it: its output under dash with
# mawk (and gawk, where installed), under dash with busybox's awk and under
# busybox's sh, the same in each ($out and $err: dash with mawk's); every
# sample equal to the file it came from and nothing made up, a missing file
# leaving its series out (an older kthelper's helper_suppressed alone
# makes no helper outcomes); # HELP and # TYPE once per family, before its
# samples; the histograms recomputed from the kernel's buckets; a driver
# metric that cannot be shown left out with a warning; `promtool check
# metrics` ($promtool: empty when kth-fetch-prometheus cannot fetch it).
# shellcheck disable=SC2154 # $fake and the others: set by kth-kthctl-check

# kthctl metrics with SHELL and AWK: out.NAME, err.NAME, rc.NAME
run() { # NAME SHELL... (PATH may be set by the caller)
	local name=$1
	shift
	set +e
	KTH_SYSFS=$fake "$@" "$kthctl" metrics >"$work/out.$name" 2>"$work/err.$name"
	echo $? >"$work/rc.$name"
	set -e
}

exposition_in_every_shell() {
	local c same
	mkdir -p "$work/bin-bbawk"
	ln -s "$(command -v busybox)" "$work/bin-bbawk/awk"
	run dash-mawk dash
	PATH=$work/bin-bbawk:$PATH run dash-bbawk dash
	run busybox-sh busybox sh
	local combos=(dash-mawk dash-bbawk busybox-sh)
	if command -v gawk >/dev/null; then
		mkdir -p "$work/bin-gawk"
		ln -s "$(command -v gawk)" "$work/bin-gawk/awk"
		PATH=$work/bin-gawk:$PATH run dash-gawk dash
		combos+=(dash-gawk)
	fi
	for c in "${combos[@]}"; do
		check "metrics-exit-0-$c" -m "exit $(cat "$work/rc.$c"): $(head -c 300 "$work/err.$c")" \
			test "$(cat "$work/rc.$c")" = 0
	done
	same=
	for c in "${combos[@]}"; do
		cmp -s "$work/out.dash-mawk" "$work/out.$c" || same+=" $c"
	done
	check metrics-same-in-every-shell-and-awk -m "differs from dash-mawk's:$same" test -z "$same"
	out=$work/out.dash-mawk
	err=$work/err.dash-mawk
}

# --- every sample equals its file; nothing else ---
# The samples a reader of the tree expects, histograms aside.
expected() {
	local t m f metric extra v s lv n
	for t in kth_a kth_b kth_odd kth_old; do
		m=$(cat "$fake/$t/module")
		for s in running paused stopped; do
			v=0
			[[ $(cat "$fake/$t/state") != "$s" ]] || v=1
			echo "kthelper_state{thread=\"$t\",module=\"$m\",state=\"$s\"} $v"
		done
		[[ $t != kth_odd ]] || echo "kthelper_state{thread=\"$t\",module=\"$m\",state=\"starting\"} 1"
		# the outcomes only where every one is counted (not kth_old's
		# helper_suppressed alone)
		while read -r f metric extra; do
			[[ -f $fake/$t/$f ]] || continue
			[[ $extra != ,outcome=* || -f $fake/$t/helper_exited ]] || continue
			echo "$metric{thread=\"$t\",module=\"$m\"${extra}} $(cat "$fake/$t/$f")"
		done < <(grep -v '^#' "$topdir/tests/guest/metrics.map")
		[[ ! -f $fake/$t/helper_runner ]] || for s in direct dispatcher none; do
			v=0
			[[ $(cat "$fake/$t/helper_runner") != "$s" ]] || v=1
			echo "kthelper_helper_runner{thread=\"$t\",module=\"$m\",runner=\"$s\"} $v"
		done
	done
	# helper_timeout_ms in seconds, written by hand
	echo 'kthelper_helper_timeout_seconds{thread="kth_a",module="kth_demo"} 10'
	echo 'kthelper_helper_timeout_seconds{thread="kth_b",module="kth_demo"} 0.01'
	echo 'kthelper_demo_level{thread="kth_a",module="kth_demo"} -42'
	echo 'kthelper_demo_level{thread="kth_b",module="kth_demo"} 9223372036854775807'
	for t in kth_a kth_b; do
		while read -r lv n; do
			echo "kthelper_demo_events_total{thread=\"$t\",module=\"kth_demo\",action=\"$lv\"} $n"
		done <"$fake/$t/metrics/events"
	done
	echo 'kthelper_queue_fine_total{thread="kth_odd",module="kth_queue"} 77'
}

exposition_samples() {
	expected | sort >"$work/expected"
	grep -v -e '^#' -e '_seconds_\(bucket\|sum\|count\){' "$out" | sort >"$work/got"
	check metrics-values-equal-files -m "$(diff "$work/expected" "$work/got" | grep '^[<>]' | head -n 4)" \
		cmp -s "$work/expected" "$work/got"
	check metrics-missing-files-left-out -m "kth_old has series of files it lacks" \
		test -z "$(grep 'thread="kth_old"' "$out" | grep -e dropped -e wakeups -e _seconds -e attempts -e runner)"
	check metrics-old-helper-counters-kept -m "kth_old's helper_runs, helper_failures, helper_suppressed: $(grep -c 'kthelper_helper_[a-z]*_total{thread="kth_old"' "$out") series" \
		test "$(grep -c 'kthelper_helper_[a-z]*_total{thread="kth_old"' "$out")" = 3
}

# --- families: # HELP and # TYPE once each, before their samples, together ---
exposition_families() {
	local fam
	fam=$(awk '
		function base(n) { sub(/\{.*/, "", n); if (type[cur] == "histogram") sub(/_(bucket|sum|count)$/, "", n); return n }
		/^# HELP / { if (help[$3]++) print "second HELP of " $3; cur = $3; next }
		/^# TYPE / { if (type[$3] != "") print "second TYPE of " $3; type[$3] = $4
			     if ($3 != cur) print "TYPE of " $3 " not after its HELP"; next }
		/^#/ { next }
		{ if (base($1) != cur) print "sample " $1 " outside its family " cur
		  if (done[base($1)] && base($1) != last) print base($1) " in two groups"
		  done[base($1)] = 1; last = base($1) }' "$out")
	check metrics-families-once-and-together -m "$fam" test -z "$fam"
	check metrics-help-escaped -m "# HELP of kthelper_demo_events_total: $(grep '^# HELP kthelper_demo_events_total ' "$out")" \
		grep -qxF '# HELP kthelper_demo_events_total events, by action: "quoted" and back\\slash' "$out"
	check metrics-counter-type -m "no '# TYPE kthelper_demo_events_total counter'" \
		grep -qxF '# TYPE kthelper_demo_events_total counter' "$out"
}

# --- histograms: recomputed from the kernel's buckets ---
hist_expected() { # THREAD FILE METRIC
	awk -v t="$1" -v m="$3" -v mod="$(cat "$fake/$1/module")" '
	{ low[NR] = $1; high[NR] = $2; cnt[NR] = $3; total += $3 }
	END {
		e = 512
		for (k = 10; k <= 35; k++) {
			e *= 2; c = 0
			for (i = 1; i <= NR; i++) if (high[i] + 0 <= e) c += cnt[i]
			ns = sprintf("%.0f", e)
			while (length(ns) < 10) ns = "0" ns
			s = substr(ns, 1, length(ns) - 9) "." substr(ns, length(ns) - 8); sub(/\.?0+$/, "", s)
			printf "%s_bucket{thread=\"%s\",module=\"%s\",le=\"%s\"} %.0f\n", m, t, mod, s, c
		}
		printf "%s_bucket{thread=\"%s\",module=\"%s\",le=\"+Inf\"} %.0f\n", m, t, mod, total
	}' "$fake/$1/$2"
}

exposition_histograms() {
	local hist_bad t h f metric want got count inf sum ns int frac back mono
	hist_bad=
	for t in kth_a kth_b; do
		for h in "wait kthelper_queue_wait_seconds" "handle kthelper_handler_seconds"; do
			read -r f metric <<<"$h"
			want=$(hist_expected "$t" "${f}_hist" "$metric")
			got=$(grep "^${metric}_bucket{thread=\"$t\"," "$out")
			[[ $want == "$got" ]] || hist_bad+=" $t/$f: buckets differ;"
			count=$(sed -n "s/^${metric}_count{thread=\"$t\",.*} //p" "$out")
			inf=$(sed -n "s/^${metric}_bucket{thread=\"$t\",.*le=\"+Inf\"} //p" "$out")
			[[ $count == "$inf" && $count == "$(cat "$fake/$t/${f}_count" 2>/dev/null || echo 0)" ]] ||
				hist_bad+=" $t/$f: _count $count, +Inf $inf;"
			sum=$(sed -n "s/^${metric}_sum{thread=\"$t\",.*} //p" "$out")
			ns=$(cat "$fake/$t/${f}_sum_ns")
			int=${sum%%.*} frac=
			[[ $sum != *.* ]] || frac=${sum#*.}
			frac=${frac}000000000
			back=$((10#$int))${frac:0:9}
			while [[ $back == 0?* ]]; do back=${back#0}; done
			[[ $back == "$ns" ]] || hist_bad+=" $t/$f: _sum $sum is not ${f}_sum_ns $ns;"
			mono=$(awk '{ v = $NF + 0; if (NR > 1 && v < p) print "down at " $0; p = v }' <<<"$got")
			[[ -z $mono ]] || hist_bad+=" $t/$f: not monotone: $mono;"
		done
	done
	check metrics-histograms -m "$hist_bad" test -z "$hist_bad"
	check metrics-bucket-above-range-only-in-inf -m "kth_a's 2^35..2^36 bucket (90) and 2^63.. (4) must be in +Inf only" \
		grep -qF 'kthelper_queue_wait_seconds_bucket{thread="kth_a",module="kth_demo",le="34.359738368"} 906' "$out"
}

# --- a driver metric that cannot be shown: left out, with a warning ---
exposition_left_out() {
	local w
	for w in "kthelper_queue_depth is already a gauge" "'Bad gauge - a capital'" \
		 "'labelled gauge thread a label named thread'" "'short gauge' is not NAME TYPE LABEL HELP"; do
		check "metrics-warns-${w//[^a-z]/}" -m "no warning with \"$w\": $(head -c 300 "$err")" grep -qF -e "$w" "$err"
	done
	check metrics-bad-value-left-out -m "kthelper_queue_novalue has a sample" \
		test -z "$(grep '^kthelper_queue_novalue{' "$out")"
}

# --- promtool ---
exposition_promtool() {
	local proot
	promtool=
	if proot=$("$here/kth-fetch-prometheus" 2>"$work/fetch.log"); then
		promtool=$proot/usr/bin/promtool
		if "$promtool" check metrics <"$out" >"$work/promtool.out" 2>&1; then
			ok metrics-promtool
		else
			not_ok metrics-promtool "$(head -c 400 "$work/promtool.out")"
		fi
	else
		skip metrics-promtool "kth-fetch-prometheus failed: $(tail -n 1 "$work/fetch.log")"
	fi
}
