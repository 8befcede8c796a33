#!/bin/sh
# kth_usbwatch with real USB hotplug: QEMU's xHCI, devices added and
# removed through QMP by usbwatch.host.
# kth-vm: --usb --timeout 240
. /scenarios/lib.sh

T=kth_usbwatch
D=$KTH_SYSFS/$T
U=/sys/bus/usb/devices
qmp() { echo "KTH-QMP $*"; }

make_recorder $KTH_HELPERS/kth-record /tmp/rec

# The recorded event (file) with ACTION and USB_DEVICE, if any.
event_file() { # ACTION DEVICE
	for f in /tmp/rec/*.env; do
		grep -qx "ACTION=$1" "$f" 2>/dev/null &&
			grep -qx "USB_DEVICE=$2" "$f" && echo "$f" && return 0
	done
	return 1
}
# How many recorded events have ACTION and PRODUCT_NAME.
count_events() { # ACTION PRODUCT_NAME
	n=0
	for f in /tmp/rec/*.env; do
		grep -qx "ACTION=$1" "$f" && grep -qx "PRODUCT_NAME=$2" "$f" &&
			n=$((n + 1))
	done
	echo $n
}
has_event() { [ -n "$(event_file "$1" "$2")" ]; }
sanitise() { printf '%s' "$1" | tr -c 'A-Za-z0-9._,:+@-' '_' | head -c 127; }
hex() { printf '%x' "0x$(cat "$1")"; }
dec() { printf '%d' "0x$(cat "$1")"; }
# What the environment must say about device DEV, from sysfs.
identity() { # DEV
	d=$U/$1
	echo "BUSNUM=$(printf %03d "$(cat $d/busnum)")"
	echo "DEVNUM=$(printf %03d "$(cat $d/devnum)")"
	echo "MANUFACTURER=$(sanitise "$(cat $d/manufacturer 2>/dev/null)")"
	echo "PRODUCT=$(hex $d/idVendor)/$(hex $d/idProduct)/$(hex $d/bcdDevice)"
	echo "PRODUCT_NAME=$(sanitise "$(cat $d/product 2>/dev/null)")"
	echo "SERIAL=$(sanitise "$(cat $d/serial 2>/dev/null)")"
	echo "TYPE=$(dec $d/bDeviceClass)/$(dec $d/bDeviceSubClass)/$(dec $d/bDeviceProtocol)"
	echo "USB_DEVICE=$1"
}
recorded_identity() { # FILE
	grep -E '^(BUSNUM|DEVNUM|MANUFACTURER|PRODUCT|PRODUCT_NAME|SERIAL|TYPE|USB_DEVICE)=' "$1"
}
# Hot-add DRIVER (QMP args...), check the add event against sysfs.
plug() { # NAME PRODUCT-STRING QMP-ARGS...
	name=$1 product=$2
	shift 2
	qmp device_add "$@"
	if ! wait_for 30 has_dev product "$product"; then
		not_ok "$name-appears" "no device with product '$product'"
		return 1
	fi
	dev=$(dev_with product "$product")
	eval "dev_$name=$dev"
	identity "$dev" >/tmp/expect.$name
	check "$name-add-event" wait_for 10 has_event add "$dev"
	check_eq "$name-add-env-matches-sysfs" "$(cat /tmp/expect.$name)" \
		"$(recorded_identity "$(event_file add "$dev")")"
}
unplug() { # NAME QMP-ID
	eval "dev=\$dev_$1"
	qmp device_del id=$2
	check "$1-remove-event" wait_for 30 has_event remove "$dev"
	check_eq "$1-remove-env-matches-add" "$(cat /tmp/expect.$1)" \
		"$(recorded_identity "$(event_file remove "$dev")")"
}

# 1. coldplug: a keyboard is there before the module loads
qmp device_add driver=usb-kbd bus=xhci.0 id=kbd0 serial=KBD0
check kbd-present-before-load wait_for 30 has_dev product "QEMU USB Keyboard"
dev_kbd=$(dev_with product "QEMU USB Keyboard")
identity "$dev_kbd" >/tmp/expect.kbd
kth_insmod kthelper && kth_insmod kth_usbwatch helper=$KTH_HELPERS/kth-record ||
	{ not_ok load "insmod failed"; exit 1; }
echo 1000 >$D/helper_burst
echo 1000 >$D/helper_rate
check coldplug-reports-kbd wait_for 10 has_event present "$dev_kbd"
check_eq coldplug-env-matches-sysfs "$(cat /tmp/expect.kbd)" \
	"$(recorded_identity "$(event_file present "$dev_kbd")")"
for bus in $U/usb*; do
	check "coldplug-reports-$(basename $bus)" wait_for 10 has_event present "$(basename $bus)"
done
check_eq thread-name "$T" "$(cat /proc/$(thread_pid $T)/comm)"

# 2. hot-add and remove a tablet, a storage stick, the keyboard
plug tablet "QEMU USB Tablet" driver=usb-tablet bus=xhci.0 id=tab0
unplug tablet tab0
qmp blockdev-add driver=null-co node-name=stick0 size=67108864
plug stick "QEMU USB HARDDRIVE" driver=usb-storage bus=xhci.0 drive=stick0 id=stick0 serial=KTHSTICK01
unplug stick stick0
unplug kbd kbd0

# each event exactly once, in order
order=$(for f in $(ls /tmp/rec | sed -n 's/\.env$//p' | sort -n); do
	printf '%s:%s ' "$(sed -n 's/^ACTION=//p' /tmp/rec/$f.env)" \
		"$(sed -n 's/^USB_DEVICE=//p' /tmp/rec/$f.env)"
done | sed 's/present:[^ ]* //g')
check_eq events-once-in-order \
	"add:$dev_tablet remove:$dev_tablet add:$dev_stick remove:$dev_stick remove:$dev_kbd " "$order"
check_eq log-line-per-event 1 "$(dmesg | grep -c "$T: add $dev_tablet bus ")"

# 3. a hostile serial string: sanitised in the environment and the log
# of 120 characters, all of which arrive (hostile-serial-bounded: 100 to
# 127).  No '/' in it and not longer: with '/' and 200 more A's, QEMU gave
# the device a serial of 9 bytes, without the '/' none at all, and the
# check of its length was not run (see the commit).  The helper runs in /
hostile='$(touch pwned);`touch pwned2`\"x'"'"'|&;<>*?~#!{}[]\\ =%\n\u00e9\u00ff'
long=$(printf 'A%.0s' $(seq 1 70))
printf 'KTH-QMP {"execute":"device_add","arguments":{"driver":"usb-kbd","bus":"xhci.0","id":"evil","serial":"%s%s"}}\n' "$hostile" "$long"
if wait_for 30 has_dev product "QEMU USB Keyboard"; then
	dev=$(dev_with product "QEMU USB Keyboard")
	check hostile-add-event wait_for 10 has_event add "$dev"
	f=$(event_file add "$dev")
	serial=$(sed -n 's/^SERIAL=//p' "$f")
	check_eq hostile-serial-sanitised "$(sanitise "$(cat $U/$dev/serial)")" "$serial"
	check hostile-serial-only-safe-bytes sh -c "printf '%s' '$serial' | grep -qvE '[^A-Za-z0-9._,:+@-]' || [ -z '$serial' ]"
	check hostile-serial-bounded sh -c "[ ${#serial} -le 127 ] && [ ${#serial} -ge 100 ]"
	check hostile-nothing-ran sh -c "[ ! -e /pwned ] && [ ! -e /pwned2 ] && [ ! -e /tmp/pwned ]"
	check hostile-log-sanitised sh -c "dmesg | grep '$T: add $dev ' | grep -q 'serial \"$serial\"'"
	qmp device_del id=evil
	wait_for 30 has_event remove "$dev"
else
	not_ok hostile-device-appears "QEMU refused the serial or the guest did not see it"
fi

# 4. a storm: 20 add/remove cycles, each removal requested as soon as
# the guest has the device (sooner, and it would never see it at all)
balanced() {
	[ "$(sysfs_get $T posted)" -eq $(($(sysfs_get $T handled) + $(sysfs_get $T dropped) + $(sysfs_get $T depth))) ]
}
no_tablet() { ! has_dev product "QEMU USB Tablet"; }
cycles() { # N
	i=0
	while [ $i -lt "$1" ]; do
		qmp device_add driver=usb-tablet bus=xhci.0 id=cyc$i
		wait_for 30 has_dev product "QEMU USB Tablet" || return 1
		qmp device_del id=cyc$i
		wait_for 30 no_tablet || return 1
		i=$((i + 1))
	done
}
rm -f /tmp/rec/*
dmesg_mark
t0=$(cut -d' ' -f1 /proc/uptime)
check storm-20-cycles cycles 20
echo "# storm: 20 cycles in $t0 .. $(cut -d' ' -f1 /proc/uptime) s uptime"
wait_for 10 attr_is $T depth 0
# and every helper run has ended (its file written, it is counted)
check storm-helper-runs-ended wait_for 10 sh -c \
	"[ \$(cat $D/helper_running) -eq 0 ] && [ \$(cat $D/helper_pending) -eq 0 ]"
check_eq storm-20-adds 20 "$(count_events add QEMU_USB_Tablet)"
check_eq storm-20-removes 20 "$(count_events remove QEMU_USB_Tablet)"
order=$(for f in $(ls /tmp/rec | sed -n 's/\.env$//p' | sort -n); do
	sed -n 's/^ACTION=//p' /tmp/rec/$f.env
done | uniq -c | awk '{ print $1 }' | sort -u | tr '\n' ' ')
check_eq storm-adds-and-removes-alternate "1 " "$order"
check_eq storm-one-remove-per-kernel-disconnect 20 \
	"$(dmesg_since_mark | grep -c 'USB disconnect, device number')"
check_eq storm-nothing-dropped 0 "$(sysfs_get $T dropped)"
check storm-counters-balanced balanced
check_eq storm-helper-ran-for-each "$(sysfs_get $T handled)" "$(sysfs_get $T helper_runs)"
check_eq storm-helper-each-exited-0 "$(sysfs_get $T helper_runs)" "$(sysfs_get $T helper_exited)"

# 5. a paused thread with a queue of 2: drops are counted exactly
kth_rmmod kth_usbwatch
kth_insmod kth_usbwatch queue_len=2 coldplug=0 helper=$KTH_HELPERS/kth-record
kill -STOP "$(thread_pid $T)"
wait_for 5 attr_is $T state paused
check small-queue-5-cycles cycles 5
echo "# queue_len=2, paused: posted=$(sysfs_get $T posted) handled=$(sysfs_get $T handled) dropped=$(sysfs_get $T dropped) depth=$(sysfs_get $T depth)"
check_eq small-queue-posted 10 "$(sysfs_get $T posted)"
check_eq small-queue-depth 2 "$(sysfs_get $T depth)"
check_eq small-queue-dropped 8 "$(sysfs_get $T dropped)"
kill -CONT "$(thread_pid $T)"
check small-queue-handles-the-2 wait_for 10 attr_is $T handled 2
check small-queue-counters-exact balanced

# 6. SIGSTOP, SIGKILL and rmmod in the middle of a storm
kth_rmmod kth_usbwatch
kth_insmod kth_usbwatch coldplug=0
echo "KTH-STORM 30 usb-tablet storm-end-3"
wait_for 30 sh -c "[ \$(cat $D/posted) -ge 4 ]"
kill -STOP "$(thread_pid $T)"
check storm-sigstop wait_for 5 attr_is $T state paused
check storm-rmmod-while-stopped timeout 20 rmmod kth_usbwatch
kth_insmod kth_usbwatch coldplug=0
wait_for 30 sh -c "[ \$(cat $D/posted) -ge 4 ]"
kill -KILL "$(thread_pid $T)"
check storm-sigkill wait_for 5 attr_is $T state stopped
check storm-sigkill-balanced balanced
check storm-rmmod-after-sigkill timeout 20 rmmod kth_usbwatch
kth_insmod kth_usbwatch coldplug=0
check storm-rmmod-mid-storm timeout 20 rmmod kth_usbwatch
check storm-3-over wait_for 90 has_dev serial storm-end-3

# 7. bad parameters
for bad in queue_len=0 queue_len=100000 helper=relative/path coldplug=maybe; do
	if kth_insmod kth_usbwatch "$bad" 2>/dev/null; then
		not_ok "param-refused-$bad" "insmod succeeded"
		kth_rmmod kth_usbwatch
	else
		ok "param-refused-$bad"
	fi
done
check bad-params-logged sh -c "dmesg | grep -q 'kth_usbwatch: queue_len 0 out of range'"
check rmmod-kthelper kth_rmmod kthelper
