#!/bin/sh
# Debian's own trace-cmd (bookworm's package with its libraries, from
# kth-fetch-trace-cmd): `trace-cmd record -e kthelper` around a real USB
# hotplug seen by kth_usbwatch (QMP, tracecmd.host), then `trace-cmd
# report` decodes every kthelper event by name, fields and all.
# kth-vm: --usb --timeout 180
# kth-initramfs: --trace-cmd
. /scenarios/lib.sh
# shellcheck source=tests/guest/lib-tcg-hold.sh
. /scenarios/lib-tcg-hold.sh

T=kth_usbwatch
D=$KTH_SYSFS/$T
U=/sys/bus/usb/devices
qmp() { echo "KTH-QMP $*"; }

sched_switch_hold sched-switch-held

# 1. trace-cmd itself: it runs, and records and decodes a kernel event
if ! trace-cmd list -e sched:sched_switch >/tmp/tc.list 2>&1; then
	not_ok trace-cmd-runs "trace-cmd list failed: $(head -c 300 /tmp/tc.list)"
	exit 1
fi
ok trace-cmd-runs
echo "# $(trace-cmd version 2>/dev/null | grep -m1 -i version)"
check trace-cmd-record-sched trace-cmd record -q -e sched:sched_switch \
	-o /tmp/sched.dat sleep 0.2
trace-cmd report -i /tmp/sched.dat >/tmp/sched.txt 2>&1
echo "# $(grep -m1 'sched_switch: ' /tmp/sched.txt)"
# decoded: "prev_comm=A ... next_comm=B", or "A:PID [PRIO] S ==> B:PID [PRIO]"
# with libtraceevent's sched_switch plugin
check trace-cmd-report-sched-decoded \
	grep -qE 'sched_switch: .*(prev_comm=.*next_comm=|:[0-9]+ \[[0-9]+\] .* ==> .*:[0-9]+ \[[0-9]+\])' /tmp/sched.txt

# 2. kth_usbwatch, recorded around a hotplug
make_recorder $KTH_HELPERS/kth-record /tmp/rec
kth_insmod kthelper && kth_insmod kth_usbwatch coldplug=0 helper=$KTH_HELPERS/kth-record ||
	{ not_ok load "insmod failed"; exit 1; }
check kthelper-events-in-tracefs [ -d /sys/kernel/tracing/events/kthelper ]
posted0=$(sysfs_get $T posted)

# trace-cmd turns tracing on once its events are on and its recorders run
# (its "Hit Ctrl^C" line sits in stdio's buffer until it exits)
TR=/sys/kernel/tracing
echo 0 >$TR/tracing_on
trace-cmd record -e kthelper -o /tmp/kth.dat >/tmp/record.out 2>&1 &
rec=$!
recording() { [ "$(cat $TR/tracing_on)" = 1 ]; }
recording_or_gone() { recording || ! kill -0 $rec 2>/dev/null; }
wait_for 30 recording_or_gone
if ! recording; then
	not_ok trace-cmd-record-starts "tracing not on after 30 s: $(head -c 300 /tmp/record.out)"
	kill -INT $rec
	exit 1
fi
ok trace-cmd-record-starts
check_eq kth_post-enabled-by-record 1 "$(cat $TR/events/kthelper/kth_post/enable)"

handled_is_posted() {
	[ "$(sysfs_get $T handled)" = "$(sysfs_get $T posted)" ]
}
qmp device_add driver=usb-tablet bus=xhci.0 id=tab0
check tablet-appears wait_for 30 has_dev product "QEMU USB Tablet"
check add-handled wait_for 10 handled_is_posted
qmp device_del id=tab0
check tablet-goes wait_for 30 no_dev product "QEMU USB Tablet"
wait_for 10 sh -c "[ \$(cat $D/posted) -gt $((posted0 + 1)) ]"
check remove-handled wait_for 10 handled_is_posted
# the helper's runs have ended (their kth_helper exited records taken)
check helper-runs-ended wait_for 10 sh -c \
	"[ \$(cat $D/helper_running) -eq 0 ] && [ \$(cat $D/helper_pending) -eq 0 ]"
echo pause >$D/control
echo resume >$D/control
posted=$(($(sysfs_get $T posted) - posted0))

kill -INT $rec
wait $rec
rc=$?
check_eq trace-cmd-record-exit-0 0 "$rc"
echo "# trace-cmd record: $(grep -i 'kb\|cpu' /tmp/record.out | tr '\n' ' ' | head -c 300)"
if ! trace-cmd report -i /tmp/kth.dat >/tmp/kth.txt 2>/tmp/report.err; then
	not_ok trace-cmd-report "failed: $(head -c 300 /tmp/report.err)"
	exit 1
fi
ok trace-cmd-report
echo "# trace-cmd report, first lines:"
grep -m 12 'kth_' /tmp/kth.txt | sed 's/^/#   /'

# 3. every event decoded by name, with thread=kth_usbwatch
check_eq report-nothing-failed-to-parse 0 "$(grep -c 'FAILED TO PARSE' /tmp/kth.txt)"
# the records of EVENT for our thread (EVENT: thread=kth_usbwatch ...)
records() { # EVENT
	grep " $1: *thread=$T " /tmp/kth.txt
}
for ev in kth_post kth_wakeup kth_handle_start kth_handle_end kth_helper \
	  kth_uevent kth_state; do
	check_eq "report-decodes-$ev" yes "$(records $ev >/dev/null && echo yes || echo no)"
done
check_eq report-kth_post-count-is-posted-delta "$posted" "$(records kth_post | grep -c .)"
check_eq report-kth_post-all-queued "$posted" "$(records kth_post | grep -c ' result=queued')"
check report-kth_post-fields sh -c \
	"grep ' kth_post: *thread=$T ' /tmp/kth.txt | grep -qE ' seq=[0-9]+ len=[0-9]+ result=queued\$'"
check report-handle_end-fields sh -c \
	"grep ' kth_handle_end: *thread=$T ' /tmp/kth.txt | grep -qE ' seq=[0-9]+ wait_ns=[0-9]+ handle_ns=[1-9][0-9]*\$'"
check_eq report-handle_end-count "$posted" "$(records kth_handle_end | grep -c .)"
check_eq report-helper-started-add-and-remove "add remove" \
	"$(records kth_helper | sed -n 's/.* event=\([a-z-]*\) result=started err=0 status=0$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
check_eq report-helper-exited-add-and-remove "add remove" \
	"$(records kth_helper | sed -n 's/.* event=\([a-z-]*\) result=exited err=0 status=0$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
check_eq report-uevent-sent-add-and-remove "add remove" \
	"$(records kth_uevent | sed -n 's/.* event=\([a-z-]*\) result=sent err=0$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
check report-state-pause-by-sysfs sh -c \
	"grep -q ' kth_state: *thread=$T old=running new=paused cause=sysfs sig=0' /tmp/kth.txt"
check report-state-resume-by-sysfs sh -c \
	"grep -q ' kth_state: *thread=$T old=paused new=running cause=sysfs sig=0' /tmp/kth.txt"

check rmmod-kth_usbwatch kth_rmmod kth_usbwatch
check rmmod-kthelper kth_rmmod kthelper
