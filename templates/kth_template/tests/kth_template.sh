#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kth_template - the guest scenario of this driver.  `make check` boots a
# real kernel in QEMU with kthelper and kth_template and runs this file
# there, as /scenarios/kth_template.sh, with kthelper's test library
# (tests/guest/lib.sh: ok, not_ok, check, check_eq, wait_for, ...); every
# check is one line of KTAP.  It checks what the driver does as generated:
# it loads, its thread runs under its name, a trigger is handled, the
# helper runs with the right argv and environment, the uevent carries the
# same variables, a bad parameter is refused, and it unloads.  Change it
# as the driver changes.
# shellcheck source=/dev/null
. /scenarios/lib.sh

D=kth_template
mkdir -p /tmp/rec
# The helper: records its argv and environment, one file per event.  A
# helper must be owned by root and writable by no one else, and so must
# every directory above it (not /tmp): make_helper installs it in
# $KTH_HELPERS and prints its path.
helper=$(make_helper $D-record <<'EOS'
#!/bin/sh
r=/tmp/rec/$KTH_THREAD.$KTH_SEQ
env | sort >$r.env.tmp
echo "$0 $*" >$r.argv
mv $r.env.tmp $r.env
EOS
)

loaded() {
	grep -q "^$1 " /proc/modules
}

# make vm loads the modules at boot: start from nothing
! loaded $D || kth_rmmod $D
loaded kthelper || kth_insmod kthelper || { not_ok load-kthelper "insmod kthelper failed"; exit 1; }

# --- load, the thread ---
if ! kth_insmod $D helper="$helper"; then
	not_ok load "insmod $D failed"
	exit 1
fi
ok load
check_eq thread-running running "$(sysfs_get $D state 2>&1)"
pid=$(thread_pid $D)
check_eq thread-name $D "$(cat /proc/"$pid"/comm 2>&1)"

# --- a trigger: handled, logged, the helper runs ---
dmesg_mark
echo hello >"$KTH_SYSFS/$D/trigger"
check trigger-handled wait_for 10 attr_is $D handled 1
check helper-ran wait_for 10 [ -f /tmp/rec/$D.1.env ]
env1=$(cat /tmp/rec/$D.1.env 2>/dev/null)
has() { echo "$env1" | grep -qxF "$1"; }
check_eq helper-argv "$helper trigger" "$(cat /tmp/rec/$D.1.argv 2>/dev/null)"
check env-ACTION has "ACTION=trigger"
check env-KTH_EVENT has "KTH_EVENT=trigger"
check env-KTH_THREAD has "KTH_THREAD=$D"
check env-KTH_SEQ has "KTH_SEQ=1"
check env-HOME has "HOME=/"
check env-PATH has "PATH=/sbin:/bin:/usr/sbin:/usr/bin"
check env-KTH_TEMPLATE_NOTE has "KTH_TEMPLATE_NOTE=hello"
check env-KTH_TEMPLATE_TIME_NS sh -c "echo '$env1' | grep -qE '^KTH_TEMPLATE_TIME_NS=[0-9]+\$'"
check logged sh -c "dmesg | grep -qF '$D: trigger seq=1 note=hello'"
# a run is counted when it ends, after the helper wrote its file
check helper-run-ended wait_for 10 attr_is $D helper_running 0
check_eq helper_runs 1 "$(sysfs_get $D helper_runs)"
check_eq helper-exited-0 1 "$(sysfs_get $D helper_exited)"
check unload kth_rmmod $D

# --- uevent=1: a KOBJ_CHANGE uevent with the same variables ---
check load-uevent kth_insmod $D uevent=1
kth-uevent-listen kthelper 1 20 >/tmp/$D.uevents 2>/tmp/$D.listen.err &
lpid=$!
wait_for 10 grep -q ready /tmp/$D.listen.err
# shellcheck disable=SC2016 # a $ in the note, on purpose not expanded
echo 'a$b' >"$KTH_SYSFS/$D/trigger"
wait $lpid
check_eq uevent-received 0 $?
check uevent-thread grep -qxF "KTH_THREAD=$D" /tmp/$D.uevents
check uevent-event grep -qxF "KTH_EVENT=trigger" /tmp/$D.uevents
check uevent-note-sanitised grep -qxF "KTH_TEMPLATE_NOTE=a_b" /tmp/$D.uevents
check unload-uevent kth_rmmod $D

# --- a bad parameter: refused with one log line, nothing left behind ---
dmesg_mark
if kth_insmod $D queue_len=0 2>/dev/null; then
	not_ok bad-queue_len-refused "insmod $D queue_len=0 succeeded"
	kth_rmmod $D
elif ! dmesg_since_mark | grep -qF "$D: queue_len 0 out of range"; then
	not_ok bad-queue_len-refused "no log line '$D: queue_len 0 out of range'"
else
	ok bad-queue_len-refused
fi
check nothing-left sh -c "! grep -q '^$D ' /proc/modules && [ ! -e '$KTH_SYSFS/$D' ]"
check unload-kthelper kth_rmmod kthelper
