#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# template - the driver template loads as it is, and drivers made from it
# by kth-new-driver work: thread named after the module, trigger file in
# the thread's sysfs directory, helper with the right environment, uevent,
# periodic source (the framework's sampler), parameters refused with a log
# line, unload in every state, a writer hammering the trigger included.
#
# template.prep (on the host, before the boot) made the two drivers loaded
# here in a directory outside the tree: kth_gen_tree built against this
# tree's framework, kth_gen_install (15 characters, the longest name)
# against an installed-style framework, as kthelper's DKMS package lays it
# out.
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

G=kth_gen_tree
I=kth_gen_install
mkdir -p /tmp/rec
make_helper kth-record >/dev/null <<'EOS'
#!/bin/sh
r=/tmp/rec/$KTH_THREAD.$KTH_SEQ
env | sort >$r.env.tmp
echo "$0 $*" >$r.argv
mv $r.env.tmp $r.env
EOS

# attr_ge THREAD ATTR N: the attribute reads at least N now.
attr_ge() {
	[ "$(cat "$KTH_SYSFS/$1/$2" 2>/dev/null || echo 0)" -ge "$3" ]
}

# loaded MODULE: MODULE is in /proc/modules.
loaded() {
	grep -q "^$1 " /proc/modules
}

kth_insmod kthelper || { not_ok load-kthelper "insmod kthelper failed"; exit 1; }

# --- the template itself, as it is ---
if [ -e "$KTH_MODDIR/kth_template.ko" ]; then
	T=kth_template
	check template-loads-as-is kth_insmod $T
	check_eq template-thread-running running "$(sysfs_get $T state 2>&1)"
	echo poke >"$KTH_SYSFS/$T/trigger"
	check template-trigger-handled wait_for 10 attr_is $T handled 1
	check_eq template-no-helper-by-default 0 "$(sysfs_get $T helper_runs)"
	check template-unload kth_rmmod $T
else
	not_ok template-loads-as-is "kth_template.ko is not built"
fi

# --- kth_gen_tree: built out of tree against this tree's framework ---
if ! kth_insmod $G helper=$KTH_HELPERS/kth-record queue_len=8; then
	not_ok gen-tree-load "insmod $G failed (see template.prep's results)"
	exit 1
fi
ok gen-tree-load
pid=$(thread_pid $G)
check_eq gen-tree-thread-name $G "$(cat /proc/"$pid"/comm 2>&1)"
check_eq gen-tree-queue_len-param 8 "$(sysfs_get $G queue_len)"
# shellcheck disable=SC2012 # busybox: ls -l is the portable way to a mode
check_eq gen-tree-trigger-mode "--w-------" "$(ls -l "$KTH_SYSFS/$G/trigger" | cut -c1-10)"
check_eq gen-tree-no-sampler-by-default 0 "$(sysfs_get $G sample_ms)"

dmesg_mark
# shellcheck disable=SC2016 # a hostile note, on purpose not expanded
printf 'hello $(reboot);x' >"$KTH_SYSFS/$G/trigger"
check gen-tree-helper-ran wait_for 10 [ -f /tmp/rec/$G.1.env ]
env1=$(cat /tmp/rec/$G.1.env 2>/dev/null)
has() { echo "$env1" | grep -qxF "$1"; }
check gen-tree-env-ACTION has "ACTION=trigger"
check gen-tree-env-KTH_EVENT has "KTH_EVENT=trigger"
check gen-tree-env-KTH_THREAD has "KTH_THREAD=$G"
check gen-tree-env-KTH_SEQ has "KTH_SEQ=1"
check gen-tree-env-HOME has "HOME=/"
check gen-tree-env-PATH has "PATH=/sbin:/bin:/usr/sbin:/usr/bin"
check gen-tree-env-note-sanitised has "KTH_GEN_TREE_NOTE=hello___reboot__x"
check gen-tree-env-time sh -c "echo '$env1' | grep -qE '^KTH_GEN_TREE_TIME_NS=[0-9]+\$'"
check_eq gen-tree-env-nothing-else 8 "$(echo "$env1" | grep -cvE '^(PWD|SHLVL|_)=')"
check_eq gen-tree-argv "$KTH_HELPERS/kth-record trigger" "$(cat /tmp/rec/$G.1.argv 2>/dev/null)"
check gen-tree-logged sh -c "dmesg | grep -qF '$G: trigger seq=1 note=hello___reboot__x'"
# a run is counted when it ends, after the recorder wrote its file
check gen-tree-helper-run-ended wait_for 10 attr_is $G helper_running 0
check_eq gen-tree-helper_runs 1 "$(sysfs_get $G helper_runs)"
check_eq gen-tree-helper_exited 1 "$(sysfs_get $G helper_exited)"

# a note longer than 31 characters is cut, a newline ends it
printf '0123456789012345678901234567890123456789\nrest' >"$KTH_SYSFS/$G/trigger"
check gen-tree-long-note wait_for 10 [ -f /tmp/rec/$G.2.env ]
check gen-tree-note-cut grep -qxF "KTH_GEN_TREE_NOTE=0123456789012345678901234567890" /tmp/rec/$G.2.env
# the period is off by default: nothing but the two triggers
check_eq gen-tree-no-tick-by-default 2 "$(sysfs_get $G posted)"

# unload while writers hammer the trigger: one reopens it for every
# write, one writes through a descriptor held open across the removal.
# kth_destroy() removes the file, waiting for a write in progress, so
# rmmod succeeds at once, later writes fail (-ENODEV), and nothing oopses.
rm -f /tmp/stop-writers
trig=$KTH_SYSFS/$G/trigger
(while [ ! -e /tmp/stop-writers ]; do echo hammer >"$trig"; done) 2>/dev/null &
w1=$!
(exec 3>"$trig"; while [ ! -e /tmp/stop-writers ]; do echo held >&3; done) 2>/dev/null &
w2=$!
before=$(sysfs_get $G posted)
check gen-tree-writers-hammer wait_for 10 attr_ge $G posted $((before + 200))
check gen-tree-both-writers-post wait_for 10 sh -c \
	"grep -qx KTH_GEN_TREE_NOTE=hammer /tmp/rec/$G.*.env && grep -qx KTH_GEN_TREE_NOTE=held /tmp/rec/$G.*.env"
dmesg_mark
check gen-tree-unload-while-writing kth_rmmod $G
sleep 0.2	# the writers run on against the removed file
check gen-tree-writers-survived kill -0 $w1 $w2
touch /tmp/stop-writers
wait $w1 $w2
if bad=$(dmesg_since_mark | grep -E 'Oops|(^|[^A-Za-z_])BUG:|WARNING:|general protection fault'); then
	not_ok gen-tree-unload-while-writing-no-oops "$bad"
else
	ok gen-tree-unload-while-writing-no-oops
fi
check gen-tree-sysfs-gone [ ! -e "$KTH_SYSFS/$G" ]
check gen-tree-unloaded sh -c "! grep -q '^$G ' /proc/modules"

# --- kth_gen_install: built against an installed-style framework ---
# bad parameters: refused at load with one log line, nothing left behind
bad_param() { # NAME PARAM EXPECTED-LOG
	dmesg_mark
	if kth_insmod $I "$2" 2>/dev/null; then
		not_ok "$1" "insmod $I $2 succeeded"
		kth_rmmod $I
		return
	fi
	if ! dmesg_since_mark | grep -qF "$3"; then
		not_ok "$1" "no log line '$3'"
	elif loaded $I || [ -e "$KTH_SYSFS/$I" ]; then
		not_ok "$1" "$I left behind"
	else
		ok "$1"
	fi
}
bad_param gen-install-bad-queue_len queue_len=0 "$I: queue_len 0 out of range 1..65536"
bad_param gen-install-bad-period period_ms=3600001 "$I: period_ms=3600001 out of range"
bad_param gen-install-bad-helper helper=relative/path "$I: helper must be empty or an absolute path"
bad_param gen-install-bad-uevent uevent=maybe "invalid for parameter \`uevent'"

# uevent=1: a KOBJ_CHANGE uevent per event, with the driver's variables
check gen-install-load-uevent kth_insmod $I uevent=1
kth-uevent-listen kthelper 1 20 >/tmp/uevents 2>/tmp/listen.err &
lpid=$!
wait_for 10 grep -q ready /tmp/listen.err
# shellcheck disable=SC2016
echo 'a$b' >"$KTH_SYSFS/$I/trigger"
wait $lpid
check_eq gen-install-uevent-received 0 $?
check gen-install-uevent-thread grep -qxF "KTH_THREAD=$I" /tmp/uevents
check gen-install-uevent-event grep -qxF "KTH_EVENT=trigger" /tmp/uevents
check gen-install-uevent-note grep -qxF "KTH_GEN_INSTALL_NOTE=a_b" /tmp/uevents
check gen-install-unload-uevent kth_rmmod $I

# period_ms: the framework's sampler ticks; it stops with the thread and
# starts again with it; unload while ticks come
check gen-install-load-period kth_insmod $I period_ms=50 helper=$KTH_HELPERS/kth-record
# 20 ticks a second would use up the default rate limit (10, then 5 a
# second), and whether the trigger's helper run below got a token would
# depend on how slowly this shell reached it
echo 1000 >"$KTH_SYSFS/$I/helper_burst"
echo 1000 >"$KTH_SYSFS/$I/helper_rate"
check_eq gen-install-sample_ms 50 "$(sysfs_get $I sample_ms)"
check gen-install-ticks wait_for 10 attr_ge $I handled 5
check gen-install-sample-runs attr_ge $I sample_runs 5
check gen-install-tick-env grep -qxF "KTH_EVENT=tick" /tmp/rec/$I.1.env
check gen-install-tick-empty-note grep -qxF "KTH_GEN_INSTALL_NOTE=" /tmp/rec/$I.1.env
echo x >"$KTH_SYSFS/$I/trigger"
check gen-install-trigger-while-ticking wait_for 10 sh -c "grep -qxF KTH_EVENT=trigger /tmp/rec/$I.*.env"
echo stop >"$KTH_SYSFS/$I/control"
runs=$(sysfs_get $I sample_runs)
sleep 0.5
check_eq gen-install-no-tick-while-stopped "$runs" "$(sysfs_get $I sample_runs)"
echo start >"$KTH_SYSFS/$I/control"
check gen-install-ticks-after-restart wait_for 10 attr_ge $I sample_runs $((runs + 3))
check gen-install-unload-while-ticking kth_rmmod $I
check rmmod-kthelper kth_rmmod kthelper
