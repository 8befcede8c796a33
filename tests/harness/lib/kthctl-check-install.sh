# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kthctl-check-install.sh - kthctl's other ways in and out, checked by
# tests/harness/kth-kthctl-check, sourced by it: `--textfile DIR` (the
# file, its mode, no temporary file left; a missing, non-directory or
# unwritable DIR: exit 6, one line, nothing written, an old file kept);
# kthelper not loaded; the usage errors; kthctl as `make install` lays it
# out (and without its metrics files: exit 5); the metrics units,
# `systemd-analyze verify`ed in a root of their own.  $out is `kthctl
# metrics`'s output and $promtool promtool (kthctl-check-exposition.sh).
# shellcheck disable=SC2154 # $out and the others: set by kth-kthctl-check

# --- --textfile ---
kc() { # ARGS...: rc, $work/kc.out, $work/kc.err
	set +e
	KTH_SYSFS=${sysfs:-$fake} dash "$kthctl" "$@" >"$work/kc.out" 2>"$work/kc.err"
	rc=$?
	set -e
}
files_in() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '; }

# $tf: the directory it writes to (textfile_check makes it)
textfile_check() {
	tf=$work/textfile
	mkdir -p "$tf"
	kc metrics --textfile "$tf"
	check textfile-exit-0 -m "exit $rc: $(cat "$work/kc.err")" test "$rc" = 0
	check textfile-equals-stdout -m "$tf/kthelper.prom differs from kthctl metrics" cmp -s "$out" "$tf/kthelper.prom"
	check textfile-mode-0644 -m "mode $(stat -c %a "$tf/kthelper.prom")" test "$(stat -c %a "$tf/kthelper.prom")" = 644
	check textfile-nothing-else -m "in $tf: $(files_in "$tf")" test "$(files_in "$tf")" = "kthelper.prom "
	kc metrics --textfile "$work/nonexistent"
	check textfile-missing-exit-6 -m "exit $rc" test "$rc" = 6
	check textfile-missing-says -m "stderr: $(cat "$work/kc.err")" \
		grep -qx "kthctl: --textfile $work/nonexistent: no such directory: give an existing one, .*" "$work/kc.err"
	check textfile-missing-one-line -m "$(wc -l <"$work/kc.err") lines" test "$(wc -l <"$work/kc.err")" = 1
	check textfile-missing-not-made -m "$work/nonexistent exists" test ! -e "$work/nonexistent"
	kc metrics --textfile "$tf/kthelper.prom"
	check textfile-not-a-directory-exit-6 -m "exit $rc: $(cat "$work/kc.err")" \
		sh -c "[ $rc = 6 ] && grep -q 'not a directory' '$work/kc.err'"
	echo old >"$tf/kthelper.prom"
	chmod 0555 "$tf"
	if [[ $(id -u) -eq 0 ]]; then
		# nobody must reach kthctl, the fake tree and DIR, and be refused
		# by DIR's mode alone: the checkout may be in root's 0700 home
		# (a fresh root's /root/kthelper), and $work is 0700
		mkdir -p "$work/pub"
		cp "$kthctl" "${kthctl%/*}/metrics.sh" "${kthctl%/*}/metrics.awk" "$work/pub/"
		chmod -R a+rX "$work"
		set +e
		KTH_SYSFS=$fake setpriv --reuid=65534 --regid=65534 --clear-groups \
			dash "$work/pub/kthctl" metrics --textfile "$tf" >"$work/kc.out" 2>"$work/kc.err"
		rc=$?
		set -e
	else
		kc metrics --textfile "$tf"
	fi
	chmod 0755 "$tf"
	check textfile-unwritable-exit-6 -m "exit $rc" test "$rc" = 6
	check textfile-unwritable-says -m "stderr: $(cat "$work/kc.err")" \
		grep -qx "kthctl: --textfile $tf: cannot write there: Permission denied: it must be .*" "$work/kc.err"
	check textfile-unwritable-old-kept -m "$tf: $(files_in "$tf"), kthelper.prom: $(head -c 50 "$tf/kthelper.prom")" \
		sh -c "[ '$(files_in "$tf")' = 'kthelper.prom ' ] && [ \"\$(cat '$tf/kthelper.prom')\" = old ]"
	rm "$tf/kthelper.prom"
	mkdir "$tf/kthelper.prom"
	kc metrics --textfile "$tf"
	check textfile-target-a-directory-exit-6 -m "exit $rc: $(cat "$work/kc.err")" \
		sh -c "[ $rc = 6 ] && grep -q 'kthelper.prom is a directory' '$work/kc.err' && [ -z \"\$(ls -A '$tf/kthelper.prom')\" ]"
	rmdir "$tf/kthelper.prom"
}

# --- kthelper not loaded; usage ---
not_loaded_check() {
	sysfs=$work/none kc metrics
	check not-loaded-exit-0 -m "exit $rc: $(cat "$work/kc.err")" test "$rc" = 0
	check not-loaded-no-metrics -m "output: $(head -c 200 "$work/kc.out")" \
		test "$(cat "$work/kc.out")" = "# kthelper is not loaded (no $work/none): no metrics"
	if [[ -n $promtool ]]; then
		check not-loaded-promtool -m "$("$promtool" check metrics <"$work/kc.out" 2>&1 | head -c 300)" \
			"$promtool" check metrics <"$work/kc.out"
	fi
	sysfs=$work/none kc metrics --textfile "$tf"
	check not-loaded-textfile -m "exit $rc, $tf/kthelper.prom: $(head -c 100 "$tf/kthelper.prom" 2>&1)" \
		sh -c "[ $rc = 0 ] && grep -q '^# kthelper is not loaded' '$tf/kthelper.prom'"
	sysfs=$work/none kc metrics kth_a
	check not-loaded-name-exit-3 -m "exit $rc" test "$rc" = 3
}

usage_check() {
	local a
	kc metrics kth_nosuch
	check unknown-thread-exit-3 -m "exit $rc: $(cat "$work/kc.err")" \
		sh -c "[ $rc = 3 ] && grep -q \"no thread 'kth_nosuch'\" '$work/kc.err'"
	kc metrics kth_b
	check one-thread -m "kth_b's metrics name other threads" \
		sh -c "[ $rc = 0 ] && ! grep -v '^#' '$work/kc.out' | grep -qv 'thread=\"kth_b\"'"
	for a in "--textfile" "--json" "kth_a kth_b"; do
		# shellcheck disable=SC2086 # the words of the arguments
		kc metrics $a
		check "usage-exit-2-${a//[^a-z]/}" -m "kthctl metrics $a: exit $rc" test "$rc" = 2
	done
	kc --help
	check help-lists-metrics -m "kthctl --help: $(head -c 200 "$work/kc.out")" \
		sh -c "grep -q 'kthctl metrics \[NAME\] \[--textfile DIR\]' '$work/kc.out' && grep -q ' 6 metrics not' '$work/kc.out'"
}

# without_file NAME FILE PATTERN ARGS...: with FILE removed from the
# /usr install, kthctl ARGS exits 5 with a message matching PATTERN
without_file() {
	local name=$1 file=$2 pattern=$3 rc
	shift 3
	rm -f "$work/dest-usr/usr/share/kthctl/$file"
	set +e
	KTH_SYSFS=$fake "$work/dest-usr/usr/sbin/kthctl" "$@" >/dev/null 2>"$work/inst.err"
	rc=$?
	set -e
	check "$name" -m "exit $rc: $(cat "$work/inst.err")" \
		sh -c "[ $rc = 5 ] && grep -q '$pattern' '$work/inst.err'"
}

# --- as installed: PREFIX/sbin/kthctl, PREFIX/share/kthctl, the units ---
install_check() {
	local prefix dest
	for prefix in /usr /usr/local; do
		dest=$work/dest${prefix//\//-}
		if ! make -s -C "$topdir" install DESTDIR="$dest" PREFIX="$prefix" >"$work/install.log" 2>&1; then
			not_ok "install${prefix//\//-}" "make install failed: $(tail -n 3 "$work/install.log")"
			continue
		fi
		set +e
		KTH_SYSFS=$fake "$dest$prefix/sbin/kthctl" metrics >"$work/inst.out" 2>"$work/inst.err"
		rc=$?
		set -e
		check "install${prefix//\//-}-metrics" -m "exit $rc: $(head -c 200 "$work/inst.err")" \
			cmp -s "$out" "$work/inst.out"
		check "install${prefix//\//-}-execstart" -m "$(grep ExecStart= "$dest$prefix/lib/systemd/system/kthelper-metrics.service" 2>&1)" \
			grep -qx "ExecStart=$prefix/sbin/kthctl metrics --textfile /var/lib/prometheus/node-exporter" \
			"$dest$prefix/lib/systemd/system/kthelper-metrics.service"
	done
	without_file install-without-metrics-files-exit-5 metrics.awk \
		'kthctl is installed without them' metrics
	without_file install-without-trace-file-exit-5 trace.sh \
		'no trace.sh in .*kthctl is installed without them' trace
}

# --- the units, verified in a root with the system's targets ---
units_check() {
	local vroot verify
	if command -v systemd-analyze >/dev/null && [[ -d /lib/systemd/system ]]; then
		vroot=$work/vroot
		mkdir -p "$vroot/usr/lib/systemd/system" "$vroot/usr/sbin" "$vroot/var/lib/prometheus/node-exporter"
		cp -a /lib/systemd/system/*.target "$vroot/usr/lib/systemd/system/"
		cp "$topdir"/scripts/packaging/systemd/kthelper-metrics.* "$vroot/usr/lib/systemd/system/"
		install -m 0755 "$kthctl" "$vroot/usr/sbin/kthctl"
		# a warning (an unknown key, say) is a finding too
		if verify=$(systemd-analyze verify --root="$vroot" kthelper-metrics.service \
				kthelper-metrics.timer 2>&1) && [[ -z $verify ]]; then
			ok units-verify
		else
			not_ok units-verify "systemd-analyze verify: $verify"
		fi
	else
		skip units-verify "no systemd-analyze on this machine"
	fi
}
