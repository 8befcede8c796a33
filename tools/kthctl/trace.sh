# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC2154 # kthctl sets name, count, werr
#
# trace.sh - `kthctl trace [NAME] [-n COUNT]`, sourced by kthctl
# (tools/kthctl/kthctl, whose err, fail, opts, need_thread, need_root and
# put it uses): kthelper's tracepoints, of every thread or of NAME, read
# live from a trace instance of kthctl's own and printed one event a
# line with human times.  POSIX sh: busybox ash and dash.
# Documentation/observability.rst, "Tracepoints".

# Is the kernel locked down for confidentiality?  Then tracefs is closed
# to everyone, root included (its files are not even made at boot).
locked_down() {
	lockdown=${KTH_SECURITYFS:-/sys/kernel/security}/lockdown
	_l=
	{ read -r _l <"$lockdown"; } 2>/dev/null
	case $_l in *'[confidentiality]'*) return 0 ;; esac
	return 1
}
cmd_trace() {
	opts -n "$@"
	[ -z "$name" ] || need_thread "$name"
	need_root
	! locked_down || fail 5 "the kernel is locked down for confidentiality ($lockdown): tracefs is closed, to root too, so there is no trace here (nor trace-cmd, perf or bpftrace on tracepoints); status, stats, watch and metrics read sysfs and still work"
	tr=
	for d in ${KTH_TRACEFS:-/sys/kernel/tracing /sys/kernel/debug/tracing}; do
		[ -e "$d/trace_pipe" ] && tr=$d && break
	done
	[ -n "$tr" ] || fail 5 "tracefs is not mounted: mount -t tracefs nodev /sys/kernel/tracing"
	[ -d "$tr/events/kthelper" ] || fail 5 "no kthelper tracepoints in $tr/events: kthelper is not loaded, predates them, or a taint other than O, E or C disabled them"
	# A trace instance of our own: the global buffer and its settings,
	# somebody else's, stay untouched; removing it undoes everything.
	inst=$tr/instances/kthctl-$$
	mkdir "$inst" 2>/dev/null || fail 1 "cannot make the trace instance $inst"
	apid=
	trap 'trace_off; exit 130' INT
	trap 'trace_off; exit 143' TERM
	for f in "$inst"/events/kthelper/*/enable; do
		ev=${f%/enable}
		if [ -n "$name" ] && ! put "$ev/filter" "thread == \"$name\""; then
			trace_off; fail 1 "the kernel refused the filter of ${ev##*/}: $werr"
		fi
		put "$f" 1 || { trace_off; fail 1 "the kernel refused to enable ${ev##*/}: $werr"; }
	done
	[ "$count" = 0 ] && until= || until=" until $count records"
	err "tracing kthelper events${name:+ of $name}$until; interrupt to stop (trace instance $inst)"
	awk -v n="$count" '
	function human(ns) {
		if (ns < 1000) return ns "ns"
		if (ns < 1e6) return sprintf("%.1fus", ns / 1e3)
		if (ns < 1e9) return sprintf("%.1fms", ns / 1e6)
		return sprintf("%.2fs", ns / 1e9)
	}
	!match($0, / kth_[a-z_]+: /) { print; fflush(); next }
	{
		nh = split(substr($0, 1, RSTART - 1), h, " ")
		ts = h[nh]; sub(/:$/, "", ts)
		ev = substr($0, RSTART + 1, RLENGTH - 3)
		nf = split(substr($0, RSTART + RLENGTH), f, " ")
		thread = ""; out = ""
		for (i = 1; i <= nf; i++) {
			if (f[i] ~ /^thread=/) { thread = substr(f[i], 8); continue }
			if (f[i] ~ /_ns=[0-9]+$/) { split(f[i], kv, "="); sub(/_ns$/, "", kv[1]); f[i] = kv[1] "=" human(kv[2]) }
			out = out (out == "" ? "" : " ") f[i]
		}
		printf "%14s %-15s %-16s %s\n", ts, thread, ev, out
		fflush()
		if (n && ++k >= n) exit
	}' "$inst/trace_pipe" &
	apid=$!
	wait "$apid"
	apid=
	trace_off
}
# Stop reading, disable the events, clear the filters, remove the instance.
trace_off() {
	[ -z "$apid" ] || kill "$apid" 2>/dev/null
	[ -z "$apid" ] || wait "$apid" 2>/dev/null
	for f in "$inst"/events/kthelper/*/enable; do
		put "$f" 0
		put "${f%/enable}/filter" 0
	done
	rmdir "$inst" 2>/dev/null || { sleep 1; rmdir "$inst"; } ||
		err "could not remove the trace instance $inst: rmdir it"
}
