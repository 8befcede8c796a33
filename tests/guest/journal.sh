#!/bin/sh
# The journal, as a fleet runs it: Debian's systemd-journald and
# systemd-udevd, kthelper's udev rules, kth-journal and
# kthelper-event@.service as `make install-journal PREFIX=/usr` installs
# them (the .deb's paths), enabled as Documentation/observability.rst
# says, and real USB hotplug (QMP, journal.host).  journalctl -o json
# shows each kth_usbwatch event with its KTH_* fields and the driver's
# codes, from udev's RUN and from the kernel's helper; journalctl -k
# _KERNEL_SUBSYSTEM=kthelper shows the kernel's lines; then Debian's
# systemd (PID 1 of a PID namespace) starts kthelper-event@.service for
# each event through 90-kthelper-event.rules and SYSTEMD_WANTS.
# kth-vm: --usb --timeout 180
# kth-initramfs: --udev --journal
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

T=kth_usbwatch
D=$KTH_SYSFS/$T
U=/sys/bus/usb/devices
JOURNAL=/usr/libexec/kthelper/kth-journal
RULES=/usr/share/kthelper/udev
qmp() { echo "KTH-QMP $*"; }

# kth-journal's records (json, one a line) that have every FIELD=VALUE.
records() { # FIELD=VALUE...
	journalctl -o json --no-pager SYSLOG_IDENTIFIER=kthelper "$@" 2>/dev/null
}
count() { records "$@" | grep -c .; }
count_is() { # N FIELD=VALUE...
	_n=$1
	shift
	[ "$(count "$@")" -eq "$_n" ]
}
# A field of a json record on stdin (kthelper's values hold no quotes).
field() { # NAME
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"
}
sanitise() { printf '%s' "$1" | tr -c 'A-Za-z0-9._,:+@-' '_' | head -c 127; }
hex() { printf '%x' "0x$(cat "$1")"; }
dec() { printf '%d' "0x$(cat "$1")"; }
# What usbwatch's codes must say about device DEV, from sysfs.
identity() { # DEV
	d=$U/$1
	echo "BUSNUM=$(printf %03d "$(cat "$d/busnum")")"
	echo "DEVNUM=$(printf %03d "$(cat "$d/devnum")")"
	echo "MANUFACTURER=$(sanitise "$(cat "$d/manufacturer" 2>/dev/null)")"
	echo "PRODUCT=$(hex "$d/idVendor")/$(hex "$d/idProduct")/$(hex "$d/bcdDevice")"
	echo "PRODUCT_NAME=$(sanitise "$(cat "$d/product" 2>/dev/null)")"
	echo "SERIAL=$(sanitise "$(cat "$d/serial" 2>/dev/null)")"
	echo "TYPE=$(dec "$d/bDeviceClass")/$(dec "$d/bDeviceSubClass")/$(dec "$d/bDeviceProtocol")"
	echo "USB_DEVICE=$1"
}
lacks() { ! printf '%s\n' "$1" | grep -q "\"$2\":"; }
says() { printf '%s\n' "$1" | grep -qF "$2"; }
# check_record NAME RECORD EXPECTED: every NAME=value line of EXPECTED is
# a field of the json RECORD, and none of what the kernel and udev add to
# every event is.
check_record() {
	printf '%s\n' "$3" | while IFS= read -r line; do
		check_eq "$1-${line%%=*}" "${line#*=}" "$(printf '%s\n' "$2" | field "${line%%=*}")"
	done
	for k in ACTION DEVPATH SUBSYSTEM SEQNUM HOME PATH USEC_INITIALIZED TAGS CURRENT_TAGS SYSTEMD_WANTS; do
		check "$1-no-$k" lacks "$2" "$k"
	done
}
# The codes in a MESSAGE ("THREAD: EVENT (seq N) CODE=value ..."), sorted.
codes_of() { printf '%s\n' "${1#*) }" | tr ' ' '\n' | sort; }
# Plug a usb-tablet with SERIAL (device id ID); its sysfs name in $dev.
plug() { # ID SERIAL
	qmp device_add driver=usb-tablet bus=xhci.0 "id=$1" "serial=$2"
	if ! wait_for 30 has_dev serial "$2"; then
		not_ok "$1-appears" "no USB device with serial $2"
		return 1
	fi
	dev=$(dev_with serial "$2")
	ident=$(identity "$dev")
}
unplug() { # ID SERIAL
	qmp device_del "id=$1"
	check "$1-gone" wait_for 30 no_dev serial "$2"
}

# 1. journald, as it runs without systemd as init: it binds its sockets
# itself and reads the kernel log from /dev/kmsg; it needs a machine ID
# and the cgroup file system (it names each sender's unit from it)
tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id
mount -t cgroup2 cgroup2 /sys/fs/cgroup
/lib/systemd/systemd-journald </dev/null >/tmp/journald.log 2>&1 &
journald=$!
journald_up() { [ -S /run/systemd/journal/socket ] && kill -0 $journald 2>/dev/null; }
if ! wait_for 30 journald_up || ! sleep 0.5 || ! kill -0 $journald 2>/dev/null; then
	not_ok journald-listens "journald gone or no /run/systemd/journal/socket: $(tr '\n' ' ' </tmp/journald.log; dmesg | grep systemd-journald)"
	exit 1
fi
ok journald-listens
echo "# journalctl --version: $(journalctl --version | head -n 1)"

# 2. udevd, with the journal's rules enabled as documented
SYSTEMD_LOG_TARGET=kmsg /lib/systemd/systemd-udevd --daemon
check udevd-started wait_for 30 udevadm control --ping
check rules-enabled ln -s $RULES/90-kthelper-journal.rules /etc/udev/rules.d/
check rules-reloaded udevadm control --reload

# 3. kth_usbwatch and a real hot-plugged tablet: udev's RUN logs each event
if ! kth_insmod kthelper || ! kth_insmod $T; then
	not_ok load "insmod failed"
	exit 1
fi
plug tab1 KTHJRNL1 || exit 1
dev1=$dev
ident1=$ident
check journal-add wait_for 30 count_is 1 KTH_EVENT=add SERIAL=KTHJRNL1
rec=$(records KTH_EVENT=add SERIAL=KTHJRNL1 | head -n 1)
echo "# journalctl -o json: $rec"
check_record add "$rec" "KTH_THREAD=$T
KTH_EVENT=add
KTH_SINK=uevent
SYSLOG_IDENTIFIER=kthelper
PRIORITY=5
MESSAGE_ID=bcddf49b623843b19ed7841d4f881386
$ident1"
seq_add=$(printf '%s\n' "$rec" | field KTH_SEQ)
check add-KTH_SEQ test "$seq_add" -ge 1
msg=$(printf '%s\n' "$rec" | field MESSAGE)
check_eq add-MESSAGE-head "$T: add (seq $seq_add)" "${msg%%) *})"
check_eq add-MESSAGE-codes "$(printf '%s\n' "$ident1" | sort)" "$(codes_of "$msg")"

# the kernel's line about it, with its device: dev_printk() metadata
timeout 2 cat /dev/kmsg >/tmp/kmsg 2>/dev/null
grep -A2 ";$T: add $dev1 bus" /tmp/kmsg | sed 's|^|# /dev/kmsg: |'
check kmsg-SUBSYSTEM sh -c "grep -A3 ';$T: add $dev1 bus' /tmp/kmsg | grep -qx ' SUBSYSTEM=kthelper'"
check kmsg-DEVICE sh -c "grep -A3 ';$T: add $dev1 bus' /tmp/kmsg | grep -qx ' DEVICE=+kthelper:$T'"
klines() { # FIELD=VALUE...
	journalctl -k -o json --no-pager "$@" 2>/dev/null | grep -F "\"MESSAGE\":\"$T: add $dev1 bus"
}
has_klines() { klines "$@" >/dev/null; }
check journal-kernel-line wait_for 30 has_klines _KERNEL_SUBSYSTEM=kthelper
kl=$(klines _KERNEL_SUBSYSTEM=kthelper | head -n 1)
echo "# journalctl -k -o json _KERNEL_SUBSYSTEM=kthelper: $kl"
check_eq kernel-line-_KERNEL_DEVICE "+kthelper:$T" "$(printf '%s\n' "$kl" | field _KERNEL_DEVICE)"
check_eq kernel-line-_TRANSPORT kernel "$(printf '%s\n' "$kl" | field _TRANSPORT)"
check kernel-line-by-device sh -c \
	"journalctl --no-pager _KERNEL_DEVICE=+kthelper:$T | grep -qF '$T: add $dev1 bus'"
check kernel-line-short sh -c \
	"journalctl -k --no-pager _KERNEL_SUBSYSTEM=kthelper | grep -qF '$T: add $dev1 bus'"

unplug tab1 KTHJRNL1
check journal-remove wait_for 30 count_is 1 KTH_EVENT=remove SERIAL=KTHJRNL1
rec=$(records KTH_EVENT=remove SERIAL=KTHJRNL1 | head -n 1)
check_record remove "$rec" "KTH_THREAD=$T
KTH_SINK=uevent
$ident1"
check remove-KTH_SEQ-after-add test "$(printf '%s\n' "$rec" | field KTH_SEQ)" -gt "$seq_add"

# 4. the same program as the kernel's user-mode helper.  kthelper runs
# only a helper whose directories are root's and writable by no one else
# all the way up, and the guest's / (the initramfs's rootfs) is 1777:
# made 0755 as on an installed system; the rest is as installed
chmod 0755 /
slow_ms 10000 >"$D/helper_timeout_ms"	# the default, times KTH_SLOW
echo "$JOURNAL" >"$D/helper"
check_eq helper-set $JOURNAL "$(sysfs_get $T helper)"
plug tab2 KTHJRNL2 || exit 1
check journal-helper-add wait_for 30 count_is 1 KTH_SINK=helper KTH_EVENT=add SERIAL=KTHJRNL2
check journal-uevent-add wait_for 30 count_is 1 KTH_SINK=uevent KTH_EVENT=add SERIAL=KTHJRNL2
hrec=$(records KTH_SINK=helper KTH_EVENT=add SERIAL=KTHJRNL2 | head -n 1)
urec=$(records KTH_SINK=uevent KTH_EVENT=add SERIAL=KTHJRNL2 | head -n 1)
echo "# journalctl -o json KTH_SINK=helper: $hrec"
check_record helper-add "$hrec" "KTH_THREAD=$T
KTH_EVENT=add
$ident"
check_eq helper-same-KTH_SEQ "$(printf '%s\n' "$urec" | field KTH_SEQ)" \
	"$(printf '%s\n' "$hrec" | field KTH_SEQ)"
unplug tab2 KTHJRNL2
check journal-helper-remove wait_for 30 count_is 1 KTH_SINK=helper KTH_EVENT=remove SERIAL=KTHJRNL2
echo >"$D/helper"
# runs are counted when they end: each ended well
check helper-runs-ended wait_for 30 attr_is $T helper_running 0
check_eq helper-no-failures 0 "$(sysfs_get $T helper_failures)"
check_eq helper-runs-exited-0 "$(sysfs_get $T helper_runs)" "$(sysfs_get $T helper_exited)"
check helper-ran sh -c "[ $(sysfs_get $T helper_runs) -ge 2 ]"

# what an operator sees
journalctl -q --no-pager -t kthelper "KTH_THREAD=$T" | sed 's/^/# journalctl -t kthelper: /'
journalctl -q --no-pager -k "_KERNEL_DEVICE=+kthelper:$T" | sed 's/^/# journalctl -k: /'
journalctl -q --no-pager -o json-pretty "KTH_THREAD=$T" KTH_EVENT=add SERIAL=KTHJRNL1 |
	tr '\t' ' ' | sed 's/^/# json-pretty: /'

# every uevent and every helper run has its record, once: KTH_SEQ 1..N
check udevadm-settle udevadm settle --timeout=30
seqs() { records "KTH_THREAD=$T" "KTH_SINK=$1" | field KTH_SEQ | sort -n | tr '\n' ' '; }
if [ -r "$D/uevents" ]; then
	n=$(sysfs_get $T uevents)
	check journal-every-uevent wait_for 30 count_is "$n" "KTH_THREAD=$T" KTH_SINK=uevent
	check_eq journal-uevent-seqs "$(seq 1 "$n" | tr '\n' ' ')" "$(seqs uevent)"
else
	skip journal-every-uevent "no $D/uevents (an older kthelper)"
fi
check journal-every-helper-run wait_for 30 count_is "$(sysfs_get $T helper_runs)" \
	"KTH_THREAD=$T" KTH_SINK=helper

# 5. what kth-journal refuses and how it cleans what it logs
out=$(env -i "$JOURNAL" 2>&1)
check_eq not-an-event-status 2 "$?"
check not-an-event-says-why says "$out" "kth-journal: not a kthelper event: KTH_THREAD, KTH_EVENT and KTH_SEQ must be set"
check forged-field-logged env -i KTH_THREAD=kth_forged KTH_EVENT=add KTH_SEQ=1 \
	"EVIL=$(printf 'a\nMESSAGE=forged')" "$JOURNAL"
check forged-record wait_for 30 count_is 1 KTH_THREAD=kth_forged
frec=$(records KTH_THREAD=kth_forged)
check_eq forged-newline-replaced a_MESSAGE=forged "$(printf '%s\n' "$frec" | field EVIL)"
check_eq forged-MESSAGE-kept "kth_forged: add (seq 1) EVIL=a_MESSAGE=forged" \
	"$(printf '%s\n' "$frec" | field MESSAGE)"
out=$(unshare -m sh -c "mount -t tmpfs tmpfs /run/systemd/journal &&
	env -i KTH_THREAD=kth_x KTH_EVENT=add KTH_SEQ=1 $JOURNAL" 2>&1)
check_eq no-journald-status 1 "$?"
check no-journald-says-why says "$out" "kth-journal: no journal: /run/systemd/journal/socket is missing (is systemd-journald running?)"

# 6. a service per event: 90-kthelper-event.rules instead, and Debian's
# systemd as PID 1 of a PID namespace ("container" mode: it leaves the
# machine alone; /dev/console is /dev/null there, it logs to /dev/kmsg,
# and it answers systemctl from inside the namespace only); an operator's
# drop-in records the environment the service gives its commands
rm -f /etc/udev/rules.d/90-kthelper-journal.rules
check event-rules-enabled ln -s $RULES/90-kthelper-event.rules /etc/udev/rules.d/
check event-rules-reloaded udev_control --reload
mkdir -p /etc/systemd/system/kthelper-event@.service.d /tmp/unit-env
cat >/etc/systemd/system/kthelper-event@.service.d/record.conf <<'EOF'
[Service]
ExecStart=/bin/sh -c 'env | sort >/tmp/unit-env/%i'
EOF
container=kth-vm unshare -p -f -m --mount-proc sh -c \
	'mount --bind /dev/null /dev/console && exec /lib/systemd/systemd --unit=basic.target --log-target=kmsg --show-status=no' \
	</dev/null >/tmp/systemd.log 2>&1 &
ns=$!
# PID 1 of the namespace: the process that unshare started
ns_init() {
	for s in /proc/[0-9]*/stat; do
		read -r pid _ _ ppid _ <"$s" 2>/dev/null || continue
		[ "$ppid" = $ns ] && echo "$pid" && return 0
	done
	return 1
}
sctl() { nsenter -t "$(ns_init)" -p -m systemctl "$@"; }
systemd_up() { sctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)$'; }
if ! wait_for 60 systemd_up; then
	not_ok systemd-running "$(sctl is-system-running 2>&1; tail -n 5 /tmp/systemd.log)"
else
	ok systemd-running
	echo "# systemctl --version: $(sctl --version | head -n 1)"
	plug tab3 KTHJRNL3 && ident3=$ident
	# the first tagged event makes the thread's device unit active (its
	# Wants= start); the remove comes when it is active already
	unplug tab3 KTHJRNL3
	for ev in add remove; do
		check "unit-$ev-logged" wait_for 30 count_is 1 KTH_EVENT=$ev SERIAL=KTHJRNL3
	done
	units() { # the kthelper-event@ instances that ended well
		dmesg | sed -n "s/.*systemd\[1\]: \(kthelper-event@$T:[0-9]*\.service\): Deactivated successfully\.\$/\1/p"
	}
	units_are() { [ "$(units | grep -c .)" -eq "$1" ]; }
	check units-finished wait_for 30 units_are 2
	units | sed 's/^/# finished: /'
	rec=$(records KTH_EVENT=add SERIAL=KTHJRNL3 | head -n 1)
	check_record unit-add "$rec" "KTH_THREAD=$T
KTH_EVENT=add
KTH_SINK=uevent
$ident3"
	env_of() { # EVENT: the environment the drop-in recorded for it
		grep -lx "KTH_EVENT=$1" /tmp/unit-env/* 2>/dev/null | xargs grep -lx SERIAL=KTHJRNL3 2>/dev/null
	}
	f=$(env_of add | head -n 1)
	check unit-env-recorded test -n "$f"
	printf '%s\n' "$ident3" | while IFS= read -r line; do
		check "unit-env-${line%%=*}" grep -qx "$line" "${f:-/dev/null}"
	done
	check unit-env-KTH_SEQ grep -qx "KTH_SEQ=$(printf '%s\n' "$rec" | field KTH_SEQ)" "${f:-/dev/null}"
	check unit-env-remove test -n "$(env_of remove)"
	check_eq event-files-removed "" "$(ls -A /run/kthelper/event 2>&1)"
	check_eq device-unit-active active \
		"$(sctl show -P ActiveState sys-kernel-kthelper-$T.device 2>&1)"
fi
kill -KILL "$(ns_init)" 2>/dev/null

# 7. unload; udevd and journald exit
check rmmod-usbwatch kth_rmmod $T
check rmmod-kthelper kth_rmmod kthelper
check udevd-exits udev_control --exit
kill $journald
