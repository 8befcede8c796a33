#!/bin/sh
# make demo: kthelper at work, narrated.  Not a test (tests/run skips it).
# kth-vm: --usb
. /scenarios/lib.sh

T=kth_selftest
P=/sys/module/kth_selftest/parameters
D=$KTH_SYSFS/$T
# The narrative: lines marked KTH-DEMO, which `make demo` shows (tests/run
# --demo); the rest of the console (the kernel's messages) stays in the log.
tell() { sed 's/^/KTH-DEMO /'; }
say() { printf '\n==> %s\n' "$*" | tell; }
show() { printf '    $ %s\n' "$*" | tell; sh -c "$*" 2>&1 | sed 's/^/    /' | tell; }
counters() {
	{
		for a in state pid posted handled dropped depth helper_runs helper_suppressed; do
			printf '%s=%s ' $a "$(cat $D/$a)"
		done
		echo
	} | tell
}

# A helper runs as root: kthelper takes only a root-owned file that no one
# else may write, in directories the same (not /tmp); make_helper puts
# it in $KTH_HELPERS.
helper=$(make_helper demo-helper <<'EOS'
#!/bin/sh
echo "KTH_SEQ=$KTH_SEQ argv=[$*] ACTION=$ACTION KTH_THREAD=$KTH_THREAD SELFTEST_NOTE=$SELFTEST_NOTE" >>/tmp/helper.log
EOS
)

say "Kernel $(uname -r); loading kthelper.ko and a driver on it (kth_selftest.ko)"
show "insmod $KTH_MODDIR/kthelper.ko"
show "insmod $KTH_MODDIR/kth_selftest.ko run_tests=0 helper=$helper uevent=1"
show "ps | grep '\[kth_'"
show "ls $D"

say "Posting 3 events (a driver calls kth_post() from any context; here a test knob does)"
kth-uevent-listen kthelper 3 20 >/tmp/uevents 2>/tmp/listen.err &
wait_for 10 grep -q ready /tmp/listen.err
show "echo 'add 1 \$(rm;reboot)' >$D/trigger; echo 'change 2' >$D/trigger"
wait_for 10 attr_is $T helper_runs 3
say "The user-mode helper ran once per event, with the identity codes in its environment"
say "(the thread never waits for a helper; how each run ended is counted: exited 0 here)"
say "(note the device-supplied string, sanitised: no shell metacharacters survive)"
show "sort -t= -k2 -n /tmp/helper.log"
show "grep . $D/helper_exited $D/helper_exited_nonzero $D/helper_timeouts $D/helper_failures"
wait
say "The same events as uevents (SUBSYSTEM=kthelper, ACTION=change, KTH_EVENT=...), as udevd sees them"
show "grep -E '^(ACTION|SUBSYSTEM|KTH_EVENT|KTH_SEQ)=' /tmp/uevents | paste -d' ' - - - -"
say "Counters in sysfs: posted == handled + dropped + depth"
counters

say "SIGSTOP pauses the thread; events queue up; SIGCONT resumes it"
pid=$(cat $D/pid)
show "kill -STOP $pid"
wait_for 5 attr_is $T state paused
echo "ev 5" >$D/trigger
counters
show "kill -CONT $pid"
wait_for 5 attr_is $T handled 8
counters

say "SIGUSR1 writes the statistics to the kernel log"
show "kill -USR1 $pid"
wait_for 5 sh -c "dmesg | grep -q 'SIGUSR1: state'"
show "dmesg | grep 'SIGUSR1: state' | tail -n 1"

say "Latency, per thread: how long events waited in the queue, how long the handler ran"
show "cat $D/handle_hist"
show "grep . $D/wait_p50_ns $D/wait_p99_ns $D/wait_max_ns"

say "kthctl, the command for root and scripts: every thread at a glance"
show "kthctl status"

say "SIGKILL stops the thread at once; queued events are counted as dropped"
echo 50 >$P/delay_ms
echo "ev 20" >$D/trigger
show "kill -KILL $pid"
wait_for 10 attr_is $T state stopped
counters
show "echo ev >$D/trigger"
echo "    (a stopped thread rejects posts, and counts them)" | tell
counters

say "Started again through sysfs, then unloaded"
echo 0 >$P/delay_ms
show "echo start >$D/control"
counters
show "rmmod kth_selftest"

say "kth_usbwatch: a khubd-style USB hotplug monitor (devices plugged into QEMU's xHCI through QMP)"
: >/tmp/helper.log
usb_helper=$(make_helper demo-usb-helper <<'EOS'
#!/bin/sh
echo "KTH_SEQ=$KTH_SEQ ACTION=$ACTION USB_DEVICE=$USB_DEVICE BUSNUM=$BUSNUM DEVNUM=$DEVNUM PRODUCT=$PRODUCT TYPE=$TYPE SERIAL=$SERIAL PRODUCT_NAME=$PRODUCT_NAME" >>/tmp/helper.log
EOS
)
show "insmod $KTH_MODDIR/kth_usbwatch.ko helper=$usb_helper"
tablet() { grep -q "ACTION=$1 .*QEMU_USB_Tablet" /tmp/helper.log; }
stick() { grep -q "ACTION=$1 .*HARDDRIVE" /tmp/helper.log; }
echo "KTH-QMP device_add driver=usb-tablet bus=xhci.0 id=tab0"
wait_for 30 tablet add
echo "KTH-QMP blockdev-add driver=null-co node-name=stick0 size=67108864"
echo "KTH-QMP device_add driver=usb-storage bus=xhci.0 drive=stick0 id=stick0 serial=DEMO-STICK"
wait_for 30 stick add
echo "KTH-QMP device_del id=tab0"
wait_for 30 tablet remove
echo "KTH-QMP device_del id=stick0"
wait_for 30 stick remove
say "The helper's log: coldplug (present), then two devices plugged and unplugged"
show "sort -t= -k2 -n /tmp/helper.log"
show "dmesg | grep 'kth_usbwatch: ' | tail -n 4"
show "rmmod kth_usbwatch"
show "rmmod kthelper"
say "Done."
