#!/bin/sh
# A real scrape, as a fleet runs one: kthelper-metrics.service's command
# (its ExecStart=, run every second as its timer would) writes
# kthelper.prom into Debian's node_exporter's textfile directory;
# Debian's prometheus-node-exporter, started as its unit starts it,
# serves it on port 9100; a Prometheus server on the host (scrape.host)
# scrapes that through the port QEMU forwards and answers PromQL about
# kth_template's ticks and queue waits and kth_netbufwatch's state
# during a UDP flood.  At each step the guest prints sysfs's figures as
#   KTH-SCRAPE STEP KEY=VALUE...
# and waits for scrape.host's answer (the line STEP) on its TCP port
# 9101, so that what Prometheus is asked about is what the guest holds.
# kth-vm: --hostfwd 9100 --hostfwd 9101 --timeout 240
# kth-initramfs: --node-exporter --kmod virtio_pci --kmod virtio_net
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

TPL=kth_template
NBW=kth_netbufwatch
D=$KTH_SYSFS/$TPL
N=$KTH_SYSFS/$NBW
UNITS=/lib/systemd/system
ACK_PORT=9101

# unit_cmd UNIT: the command UNIT's first ExecStart= runs, as systemd
# would run it: its prefixes (-@:+!) dropped and the $VARs of its
# EnvironmentFile= put in (split into words, like systemd's $VAR)
unit_cmd() {
	_u=$UNITS/$1
	_line=$(sed -n 's/^ExecStart=[-@:+!]*//p' "$_u" | head -n 1)
	_env=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$_u" | head -n 1)
	[ -n "$_line" ] || return 1
	(
		if [ -n "$_env" ]; then
			# shellcheck disable=SC1090 # the unit's file
			. "$_env" || exit 1
		fi
		eval "echo $_line"
	)
}

# listening PORT: some socket listens on TCP PORT
listening() {
	_hex=$(printf ':%04X' "$1")
	awk -v p="$_hex" '$2 ~ p "$" && $4 == "0A" { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# step NAME [KEY=VALUE...]: NAME is ready for scrape.host's PromQL; tell
# it, with sysfs's figures, and wait (bounded) for its answer on
# ACK_PORT.  The listener is up before the line is printed.
step() {
	rm -f /tmp/ack
	timeout 120 nc -l -p $ACK_PORT </dev/null >/tmp/ack 2>/tmp/ack.err &
	_nc=$!
	if ! wait_for 10 listening $ACK_PORT; then
		not_ok "host-answered-$1" "nc did not listen on port $ACK_PORT: $(cat /tmp/ack.err)"
		kill $_nc 2>/dev/null
		return 1
	fi
	echo "KTH-SCRAPE $*"
	wait $_nc
	_rc=$?
	read -r _got </tmp/ack 2>/dev/null || _got=
	if [ "$_got" = "$1" ]; then
		ok "host-answered-$1"
	elif [ $_rc -ne 0 ]; then
		not_ok "host-answered-$1" "no answer from scrape.host in 120 s (nc exit $_rc: $(cat /tmp/ack.err))"
		return 1
	else
		not_ok "host-answered-$1" "scrape.host answered '$_got'"
		return 1
	fi
}

# 1. the network: QEMU's user network, 10.0.2.15 as its DHCP would give
if ! check eth0-present wait_for 10 test -e /sys/class/net/eth0; then
	exit 1
fi
if ! check eth0-up sh -c "ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up"; then
	exit 1
fi

# 2. traffic: kth_template ticks every 10 ms; kth_netbufwatch watches UDP
# against a 4096-page udp_mem (netbufwatch.sh's watermarks)
echo "4096 4096 4096" >/proc/sys/net/ipv4/udp_mem
if ! kth_insmod kthelper || ! kth_insmod $TPL period_ms=10 ||
	! kth_insmod $NBW low_pct=50 high_pct=80 period_ms=100 protos=udp; then
	not_ok load "insmod failed"
	exit 1
fi
ok load

# 3. the metrics service: its ExecStart= every second (the timer's 15 s,
# shortened), into node_exporter's own textfile directory
if ! svc=$(unit_cmd kthelper-metrics.service); then
	not_ok metrics-service "no ExecStart= in $UNITS/kthelper-metrics.service"
	exit 1
fi
echo "# kthelper-metrics.service runs: $svc"
ne_dir=$(prometheus-node-exporter --help 2>&1 |
	sed -n 's/.*--collector.textfile.directory="\([^"]*\)".*/\1/p')
svc_dir=$(echo "$svc" | sed -n 's/.*--textfile[ =]\([^ ]*\).*/\1/p')
check_eq service-writes-where-node-exporter-reads "$ne_dir" "$svc_dir"
set -f
t0=$(uptime_s)
# shellcheck disable=SC2086 # the unit's command line, split into words
check service-runs $svc
svc_s=$(awk -v s="$t0" -v e="$(uptime_s)" 'BEGIN { printf "%.2f", e - s }')
echo "# one run of the service: $svc_s s"
# shellcheck disable=SC2086
(
	while [ ! -e /tmp/svc.stop ]; do
		$svc 2>/tmp/svc.err || echo "exit $?: $(cat /tmp/svc.err)" >>/tmp/svc.failed
		sleep 1
	done
) &
writer=$!
check textfile-written wait_for 30 test -s "$svc_dir/kthelper.prom"

# 4. node_exporter, as its unit starts it
ne=$(unit_cmd prometheus-node-exporter.service)
echo "# prometheus-node-exporter.service runs: $ne"
# shellcheck disable=SC2086
$ne >/tmp/node-exporter.log 2>&1 &
exporter=$!
set +f
serves() {
	wget -q -O - http://127.0.0.1:9100/metrics 2>/dev/null |
		grep -q "^kthelper_events_handled_total{.*thread=\"$TPL\""
}
if ! check node-exporter-serves-kthelper wait_for 60 serves; then
	echo "# node_exporter's log: $(tail -n 5 /tmp/node-exporter.log)"
	exit 1
fi
# how long a scrape takes here (a debug kernel is many times slower):
# scrape.host sets Prometheus's interval from it
t0=$(uptime_s)
serves
scrape_s=$(awk -v s="$t0" -v e="$(uptime_s)" 'BEGIN { printf "%.2f", e - s }')
echo "# a scrape of node_exporter from the guest itself: $scrape_s s"

# 5. rate(): the ticks (100 a second asked for; fewer under TCG),
# counted by sysfs over a window from here, scraped from step ready on.
# What Prometheus sees lags by up to a rewrite of the file (a run and
# 1 s) and a scrape interval (3 times a scrape, scrape.host) at each
# end of the window: it is 8 times that long, 20 s at least, so rate()
# is within 12.5 % (scrape.host allows 25 %)
win=$(awk -v a="$svc_s" -v b="$scrape_s" 'BEGIN { w = 8 * (1 + a + 3 * b); printf "%d", w < 20 ? 20 : w + 1 }')
h0=$(sysfs_get $TPL handled)
t0=$(uptime_s)
step ready "scrape_s=$scrape_s" || exit 1
wait_for $((win + 30)) sh -c "awk -v t=$t0 '{ exit !(\$1 >= t + $win) }' /proc/uptime"
h1=$(sysfs_get $TPL handled)
t1=$(uptime_s)
window=$(awk -v s="$t0" -v e="$t1" 'BEGIN { printf "%d", e - s + 0.5 }')
rate=$(awk -v a="$h0" -v b="$h1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.2f", (b - a) / (e - s) }')
echo "# sysfs: $((h1 - h0)) events handled in $(awk -v s="$t0" -v e="$t1" 'BEGIN { print e - s }') s: $rate per second"
step rate "rate=$rate" "window_s=$window" || exit 1

# 6. the wait histogram with a tail: paused, 60 ticks queue up (the
# first waits a second or more); then stopped, so that it holds still
# while it is compared
echo pause >"$D/control"
check queue-filled wait_for 10 sh -c "[ \$(cat $D/depth) -ge 60 ]"
echo resume >"$D/control"
check queue-drained wait_for 10 sh -c "[ \$(cat $D/depth) -le 1 ]"
echo stop >"$D/control"
check template-stopped wait_for 10 attr_is $TPL state stopped
count=$(sysfs_get $TPL wait_count)
p99=$(sysfs_get $TPL wait_p99_ns)
handled=$(sysfs_get $TPL handled)
echo "# sysfs: wait_count $count, wait_p99_ns $p99, handled $handled"
echo "# sysfs wait_hist (LOW HIGH COUNT): $(tr '\n' ';' <"$D/wait_hist")"
step histogram "count=$count" "p99_ns=$p99" "handled=$handled" || exit 1

# 7. netbufwatch's state during a flood: low, then back to ok
state_is() { grep -qx "$1 1" "$N/metrics/state"; }
flood_start
check state-ok-before state_is ok
echo "# flood: $(flood open 48 524288), $(flood fill 3000)"
check state-low wait_for 20 state_is low
echo "# sysfs free_percent: $(tr '\n' ' ' <"$N/metrics/free_percent")"
step low "free_percent=$(sed -n 's/^udp //p' "$N/metrics/free_percent")" || exit 1
echo "# flood: $(flood close)"
check state-ok-after wait_for 20 state_is ok
step recovered "low=$(sed -n 's/^low //p' "$N/metrics/alerts")" \
	"recovered=$(sed -n 's/^recovered //p' "$N/metrics/alerts")" || exit 1
echo quit >&3
exec 3>&-
wait $flooder

# 8. the end: every run of the service succeeded; node_exporter still up
step end
if [ -f /tmp/svc.failed ]; then
	not_ok service-runs-succeeded "$(wc -l </tmp/svc.failed) runs failed, the first: $(head -n 1 /tmp/svc.failed)"
else
	ok service-runs-succeeded
fi
check node-exporter-alive kill -0 $exporter
kill $exporter
touch /tmp/svc.stop
wait $writer $exporter 2>/dev/null
check rmmod-modules sh -c "rmmod $NBW && rmmod $TPL && rmmod kthelper"
