#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lib-metrics.sh - metrics.sh's own reader of sysfs (sourced by it, not a
# scenario): what `kthctl metrics` must print, read from the files it
# comes from with the map in /lib/kth/metrics.map (tests/guest/
# metrics.map), and the check of the histograms against the kernel's
# buckets.

# metrics.map's rows, read once: expect() wants them for every thread at
# every try of a snapshot (a grep each time was one more process each)
MAP_ROWS=$(grep -v '^#' /lib/kth/metrics.map)
# map_rows: metrics.map without its comments
map_rows() {
	echo "$MAP_ROWS"
}

# expect: what sysfs says, read here: the samples (histograms aside) and,
# on "# " lines, the histograms' buckets and sums; sorted
expect() {
	for d in "$KTH_SYSFS"/*; do
		t=${d##*/}
		read -r m <"$d/module"
		l="thread=\"$t\",module=\"$m\""
		read -r st <"$d/state"
		for s in running paused stopped; do
			[ "$st" = $s ] && v=1 || v=0
			echo "kthelper_state{$l,state=\"$s\"} $v"
		done
		map_rows | while read -r f metric extra; do
			{ read -r v <"$d/$f"; } 2>/dev/null && echo "$metric{$l$extra} $v"
		done
		# helper_timeout_ms in seconds; helper_runner a StateSet
		read -r ms <"$d/helper_timeout_ms"
		echo "kthelper_helper_timeout_seconds{$l} $(awk -v ms="$ms" 'BEGIN { s = sprintf("%d.%03d", ms / 1000, ms % 1000); sub(/\.?0+$/, "", s); print s }')"
		read -r rn <"$d/helper_runner"
		for s in direct dispatcher none; do
			[ "$rn" = $s ] && v=1 || v=0
			echo "kthelper_helper_runner{$l,runner=\"$s\"} $v"
		done
		for h in wait handle; do
			sed "s/^/# $t $h /" "$d/${h}_hist"
			{ read -r v <"$d/${h}_sum_ns"; } 2>/dev/null && echo "# $t ${h}_sum $v"
		done
		[ -f "$d/metrics/schema" ] || continue
		p=kthelper_${m#kth_}
		while read -r name type label _; do
			[ "$type" = counter ] && name=${name}_total
			if [ "$label" = - ]; then
				read -r v <"$d/metrics/${name%_total}" && echo "${p}_$name{$l} $v"
				continue
			fi
			while read -r lv v; do
				echo "${p}_$name{$l,$label=\"$lv\"} $v"
			done <"$d/metrics/${name%_total}"
		done <"$d/metrics/schema"
	done | sort
}
# The histograms, from the kernel's buckets (# T H LOW HIGH COUNT in
# /tmp/e1) with edges 2^10 .. 2^35 ns: the bucket le=2^k counts the
# values of every kernel bucket whose HIGH (exclusive) is <= 2^k.
hist_problems() {
	awk '
	function tname(s) { sub(/^[^"]*"/, "", s); sub(/".*/, "", s); return s }
	FNR == NR {
		if ($1 == "#" && $3 ~ /_sum$/) { sum[$2, substr($3, 1, length($3) - 4)] = $4; next }
		if ($1 == "#") { n = ++nk[$2, $3]; high[$2, $3, n] = $5; cnt[$2, $3, n] = $6; next }
		if ($1 ~ /^kthelper_events_handled_total\{/) handled[tname($1)] = $2
		next
	}
	/^kthelper_(queue_wait|handler)_seconds_/ {
		t = tname($1)
		h = $1 ~ /^kthelper_queue_wait/ ? "wait" : "handle"
		seen[t, h] = 1
		if ($1 ~ /_bucket\{/) {
			le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le)
			k = ++nb[t, h]; les[t, h, k] = le; bv[t, h, k] = $2
		} else if ($1 ~ /_sum\{/) {
			osum[t, h] = $2
		} else {
			ocount[t, h] = $2
		}
	}
	END {
		for (key in seen) {
			split(key, a, SUBSEP); t = a[1]; h = a[2]
			if (nb[t, h] != 27) print t " " h ": " nb[t, h] " buckets, not 27"
			e = 512
			for (k = 1; k <= 26; k++) {
				e *= 2; c = 0
				for (i = 1; i <= nk[t, h]; i++) if (high[t, h, i] + 0 <= e) c += cnt[t, h, i]
				ns = sprintf("%.0f", e)
				while (length(ns) < 10) ns = "0" ns
				s = substr(ns, 1, length(ns) - 9) "." substr(ns, length(ns) - 8); sub(/\.?0+$/, "", s)
				if (les[t, h, k] != s || bv[t, h, k] != c)
					print t " " h ": bucket " k " le=" les[t, h, k] " " bv[t, h, k] ", expected le=" s " " c
				if (k > 1 && bv[t, h, k] < bv[t, h, k - 1]) print t " " h ": bucket " k " below the one before"
			}
			total = 0
			for (i = 1; i <= nk[t, h]; i++) total += cnt[t, h, i]
			if (les[t, h, 27] != "+Inf" || bv[t, h, 27] != total || ocount[t, h] != total ||
			    total != handled[t])
				print t " " h ": +Inf " bv[t, h, 27] ", _count " ocount[t, h] ", buckets " total ", handled " handled[t]
			s = osum[t, h]; f = ""
			if (s ~ /\./) { f = substr(s, index(s, ".") + 1); s = substr(s, 1, index(s, ".") - 1) }
			while (length(f) < 9) f = f "0"
			s = s f; sub(/^0+/, "", s); if (s == "") s = "0"
			if (s != sum[t, h]) print t " " h ": _sum " osum[t, h] " is not " sum[t, h] " ns"
		}
	}' /tmp/e1 /tmp/m.prom
}
