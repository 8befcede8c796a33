#!/bin/sh
# The uevent sink under a real udevd: Debian's systemd-udevd runs the
# documented rules (SUBSYSTEM=="kthelper", ENV{KTH_EVENT}=="add",
# RUN+="...") for kth_usbwatch on real USB hotplug (QMP, udev.host) and
# for kth_selftest; udevadm monitor shows the same events.
# kth-vm: --usb --timeout 180
# kth-initramfs: --udev
. /scenarios/lib.sh

U=/sys/bus/usb/devices
R=/tmp/udev-runs
qmp() { echo "KTH-QMP $*"; }

# 1. udevd, the rules, a monitor
if [ ! -x /lib/systemd/systemd-udevd ] || ! udevadm --version >/tmp/udev.version 2>&1; then
	not_ok udevd-runs "no working udevd in the initramfs: $(cat /tmp/udev.version 2>/dev/null)"
	exit 1
fi
echo "# udevadm --version: $(cat /tmp/udev.version)"

# The recorder: RUN+="/tmp/udev-record RULE" keeps the environment udevd
# gave it (its own initial environment, as execve got it), one file a run.
mkdir -p $R
cat >/tmp/udev-record <<'EOS'
#!/bin/sh
f=/tmp/udev-runs/$1.$$
tr '\0' '\n' </proc/$$/environ | sort >$f.tmp
mv $f.tmp $f.env
EOS
chmod +x /tmp/udev-record

# udevd logs to the kernel log (a daemon's stderr is /dev/null), so a
# complaint about the rules is in dmesg; a broken rule file shows it is.
SYSTEMD_LOG_TARGET=kmsg /lib/systemd/systemd-udevd --daemon
check udevd-started wait_for 30 udevadm control --ping
cat >/etc/udev/rules.d/90-kth-test.rules <<'EOS'
SUBSYSTEM=="kthelper", ENV{KTH_EVENT}=="add", RUN+="/tmp/udev-record add"
SUBSYSTEM=="kthelper", ENV{KTH_THREAD}=="kth_usbwatch", ENV{KTH_EVENT}=="remove", RUN+="/tmp/udev-record remove"
SUBSYSTEM=="kthelper", ENV{KTH_EVENT}=="nothing", RUN+="/tmp/udev-record nothing"
SUBSYSTEM=="kthelper", ACTION=="add", RUN+="/tmp/udev-record action-add"
EOS
echo 'SUBSYSTEM=="kthelper", NO_SUCH_KEY=="x", RUN+="/tmp/udev-record broken"' \
	>/etc/udev/rules.d/91-kth-broken.rules
check rules-reloaded udev_control --reload

udevadm monitor --environment --kernel --udev --subsystem-match=kthelper \
	>/tmp/monitor 2>&1 &
mon=$!
check monitor-listening wait_for 30 grep -qx 'KERNEL - the kernel uevent' /tmp/monitor

# The recorded runs of RULE for THREAD whose environment has every LINE.
run_files() { # RULE THREAD [LINE...]
	_rule=$1
	_thread=$2
	shift 2
	for f in $R/$_rule.*.env; do
		[ -f "$f" ] && grep -qx "KTH_THREAD=$_thread" "$f" || continue
		for line in "$@"; do
			grep -qx "$line" "$f" || continue 2
		done
		echo "$f"
	done
}
runs() { run_files "$@" | grep -c .; }
run_file() { run_files "$@" | head -n 1; }
runs_are() { # RULE THREAD N
	[ "$(runs "$1" "$2")" -eq "$3" ]
}
# A variable as the run recorded in FILE had it (all its lines for KEY).
var() { sed -n "s/^$2=//p" "$1"; }
hex() { printf '%x' "0x$(cat "$1")"; }
# What a run must say about the thread, the event and the uevent itself.
check_run() { # NAME FILE THREAD EVENT
	check_eq "$1-ACTION-change" change "$(var "$2" ACTION)"
	check_eq "$1-SUBSYSTEM" kthelper "$(var "$2" SUBSYSTEM)"
	check_eq "$1-DEVPATH" "/kernel/kthelper/$3" "$(var "$2" DEVPATH)"
	check_eq "$1-KTH_THREAD" "$3" "$(var "$2" KTH_THREAD)"
	check_eq "$1-KTH_EVENT" "$4" "$(var "$2" KTH_EVENT)"
	check "$1-SEQNUM" grep -qE '^SEQNUM=[0-9]+$' "$2"
	check "$1-KTH_SEQ" grep -qE '^KTH_SEQ=[0-9]+$' "$2"
}
# ... and about USB device DEV (as sysfs says: /sys/bus/usb/devices/DEV).
check_usb() { # NAME FILE DEV
	d=$U/$3
	check_eq "$1-USB_DEVICE" "$3" "$(var "$2" USB_DEVICE)"
	check_eq "$1-BUSNUM" "$(printf %03d "$(cat $d/busnum)")" "$(var "$2" BUSNUM)"
	check_eq "$1-DEVNUM" "$(printf %03d "$(cat $d/devnum)")" "$(var "$2" DEVNUM)"
	check_eq "$1-PRODUCT" "$(hex $d/idVendor)/$(hex $d/idProduct)/$(hex $d/bcdDevice)" \
		"$(var "$2" PRODUCT)"
}

# 2. kth_usbwatch and a real hot-plugged USB tablet
T=kth_usbwatch
kth_insmod kthelper && kth_insmod $T ||
	{ not_ok load "insmod failed"; exit 1; }
check_eq usbwatch-uevent-on Y "$(cat /sys/module/$T/parameters/uevent)"
qmp device_add driver=usb-tablet bus=xhci.0 id=tab0 serial=KTHUDEV1
if ! wait_for 30 has_dev serial KTHUDEV1; then
	not_ok tablet-appears "no USB device with serial KTHUDEV1"
	exit 1
fi
dev=$(dev_with serial KTHUDEV1)
check add-rule-ran wait_for 30 runs_are add $T 1
f=$(run_file add $T)
cp "$f" /tmp/add.env 2>/dev/null
sed 's/^/# add rule ran with: /' /tmp/add.env
# read sysfs while the device is still there
check_usb add /tmp/add.env "$dev"
check_run add /tmp/add.env $T add
check_eq add-one-ACTION 1 "$(grep -c '^ACTION=' /tmp/add.env)"

qmp device_del id=tab0
check tablet-gone wait_for 30 no_dev serial KTHUDEV1
check remove-rule-ran wait_for 30 runs_are remove $T 1
f=$(run_file remove $T)
check_run remove "$f" $T remove
check_eq remove-one-ACTION 1 "$(grep -c '^ACTION=' "$f")"
check_eq remove-USB_DEVICE "$dev" "$(var "$f" USB_DEVICE)"
for k in BUSNUM DEVNUM PRODUCT; do
	check_eq "remove-$k-as-add" "$(var /tmp/add.env $k)" "$(var "$f" $k)"
done
# udevd runs the events of one device (DEVPATH) in order: with the remove
# run recorded, every earlier event of the thread has been handled.
check_eq add-rule-ran-once 1 "$(runs add $T)"
check_eq remove-rule-ran-once 1 "$(runs remove $T)"

# 3. kth_selftest: the same rules for another thread
T=kth_selftest
kth_insmod $T run_tests=0 uevent=1 || { not_ok load-selftest "insmod failed"; exit 1; }
echo 'add 1' >$KTH_SYSFS/$T/trigger
check selftest-add-rule-ran wait_for 30 runs_are add $T 1
f=$(run_file add $T)
check_run selftest-add "$f" $T add
check_eq selftest-add-one-ACTION 1 "$(grep -c '^ACTION=' "$f")"
check_eq selftest-add-KTH_SEQ-1 1 "$(var "$f" KTH_SEQ)"
# a remove of this thread matches no rule; the add after it is the barrier
echo 'remove 1' >$KTH_SYSFS/$T/trigger
echo 'add 1 last' >$KTH_SYSFS/$T/trigger
check selftest-second-add-ran wait_for 30 runs_are add $T 2
check_eq selftest-remove-matched-no-rule 0 "$(runs remove $T)"
check_eq selftest-first-add-ran-once 1 "$(runs add $T KTH_SEQ=1)"

# 4. what must never have run; udevd's queue empties
check udevadm-settle udevadm settle --timeout=30
existing() { # FILE...: how many exist
	n=0
	for f in "$@"; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo $n
}
check_eq nothing-rule-never-ran 0 "$(existing $R/nothing.*)"
check_eq action-add-rule-never-ran 0 "$(existing $R/action-add.*)"
check_eq runs-in-all 4 "$(existing $R/*.env)"

# 5. udevadm monitor saw them too: the kernel's uevent and udev's
kill $mon
wait $mon 2>/dev/null
# The monitor's events from SOURCE (KERNEL or UDEV) that have every LINE,
# one a line: "SOURCE [time] change DEVPATH (kthelper)|KEY=value|...|".
events() { # SOURCE LINE...
	awk '$0 == "" { if (b != "") print b "|"; b = ""; next }
		{ b = b == "" ? $0 : b "|" $0 }
		END { if (b != "") print b "|" }' /tmp/monitor >/tmp/events
	_src=$1
	shift
	grep "^$_src *\[" /tmp/events >/tmp/events.sel
	for line in "$@"; do
		grep -F "|$line|" /tmp/events.sel >/tmp/events.tmp
		mv /tmp/events.tmp /tmp/events.sel
	done
	cat /tmp/events.sel
}
for src in KERNEL UDEV; do
	e=$(events $src KTH_THREAD=kth_usbwatch KTH_EVENT=add "USB_DEVICE=$dev" \
		SUBSYSTEM=kthelper ACTION=change DEVPATH=/kernel/kthelper/kth_usbwatch)
	check_eq "monitor-$src-usbwatch-add" 1 "$(echo "$e" | grep -c .)"
	check_eq "monitor-$src-usbwatch-add-one-ACTION" 1 \
		"$(echo "$e" | tr '|' '\n' | grep -c '^ACTION=')"
	check_eq "monitor-$src-usbwatch-add-headline" 1 \
		"$(echo "$e" | grep -c "^$src *\[[0-9.]*\] change  */kernel/kthelper/kth_usbwatch (kthelper)|")"
	e=$(events $src KTH_THREAD=kth_usbwatch KTH_EVENT=remove "USB_DEVICE=$dev")
	check_eq "monitor-$src-usbwatch-remove" 1 "$(echo "$e" | grep -c .)"
	e=$(events $src KTH_THREAD=kth_selftest KTH_EVENT=add)
	check_eq "monitor-$src-selftest-adds" 2 "$(echo "$e" | grep -c .)"
done
check_eq monitor-only-kthelper "" \
	"$(grep -E '^(KERNEL|UDEV) *\[' /tmp/monitor | grep -v '(kthelper)$')"

# 6. udevd saw no problem with the rules; unload; udevd exits
check udevd-logs-to-kmsg sh -c "dmesg | grep -q 'systemd-udevd.*91-kth-broken.rules'"
check_eq rules-no-complaint "" "$(dmesg | grep 90-kth-test.rules)"
check rmmod-selftest kth_rmmod kth_selftest
check rmmod-usbwatch kth_rmmod kth_usbwatch
check rmmod-kthelper kth_rmmod kthelper
udevd_gone() { ! pidof systemd-udevd >/dev/null; }
# udev_control asks again while udevd drops the request (lib.sh)
udevd_stop() { udev_control --exit && wait_for 10 udevd_gone; }
check udevd-exits udevd_stop
