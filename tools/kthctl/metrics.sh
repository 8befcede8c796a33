# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC2154 # kthctl sets libdir, name, textfile, SYSFS
#
# metrics.sh - `kthctl metrics [NAME] [--textfile DIR]`, sourced by kthctl
# (tools/kthctl/kthctl, whose err, fail, opts, need_thread and threads it
# uses): the Prometheus text exposition of every thread, or of NAME, made
# by metrics.awk (in $libdir, beside this file), on stdout or into
# DIR/kthelper.prom for node_exporter's textfile collector.  POSIX sh:
# busybox ash and dash.  Documentation/observability.rst, "Prometheus
# metrics".

# The exposition of $name, or of every thread.  Without kthelper, no
# metrics at all (a comment): node_exporter reads a valid file, a timer
# succeeds, and a textfile from before the unload is not left standing.
metrics_text() {
	if [ ! -d "$SYSFS" ]; then
		echo "# kthelper is not loaded (no $SYSFS): no metrics"
		return
	fi
	KTH_SYSFS=$SYSFS KTH_THREADS=${name:-$(threads | tr '\n' ' ')} awk -f "$libdir/metrics.awk"
}

cmd_metrics() {
	opts --textfile "$@"
	[ -z "$name" ] || need_thread "$name"
	if [ -z "$textfile" ]; then
		metrics_text || fail 6 "the metrics could not be written (awk failed: see above)"
		return
	fi
	# A file of our own in DIR (node_exporter reads *.prom files only),
	# renamed over DIR/kthelper.prom: a scrape sees the old or the new.
	if [ ! -d "$textfile" ]; then
		[ -e "$textfile" ] && _why="not a directory" || _why="no such directory"
		fail 6 "--textfile $textfile: $_why: give an existing one, node_exporter's --collector.textfile.directory (Debian: /var/lib/prometheus/node-exporter)"
	fi
	_out=${textfile%/}/kthelper.prom
	[ ! -d "$_out" ] || fail 6 "--textfile $textfile: $_out is a directory: the metrics go to a file of that name; remove it"
	_tmp=$(mktemp "${textfile%/}/.kthelper.prom.XXXXXX" 2>&1) ||
		fail 6 "--textfile $textfile: cannot write there: ${_tmp##*: }: it must be a directory this user can write to (kthelper-metrics.service runs as root)"
	trap 'rm -f "$_tmp"; exit 129' HUP
	trap 'rm -f "$_tmp"; exit 130' INT
	trap 'rm -f "$_tmp"; exit 143' TERM
	# 0644: node_exporter runs as a user of its own
	if metrics_text >"$_tmp" && chmod 0644 "$_tmp" && mv -f "$_tmp" "$_out"; then
		trap - HUP INT TERM
		return
	fi
	rm -f "$_tmp"
	fail 6 "--textfile $textfile: could not write $_out (see above): it was left as it was"
}
