#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# helper-static - a kernel that runs no user-mode helper at all
# (CONFIG_STATIC_USERMODEHELPER=y with an empty
# CONFIG_STATIC_USERMODEHELPER_PATH, as hardened and Android kernels are
# built; call_usermodehelper() returns 0 there and runs nothing): kthelper
# says so (helper_runner "none"), refuses a helper on a sysfs write and at
# load with -EOPNOTSUPP and one log line (per load attempt), and the
# uevent sink still works.  Not in the default set (Debian's kernels run
# helpers: the whole scenario would be one skip); `make check-trees` boots
# it on the tree-o kernel, which is built that way
# (tests/harness/tree-kernel-static-umh.config), with the modules built
# against it (Documentation/testing.rst, "Kernel trees", has the commands).
# On a kernel that runs helpers it skips, saying so.
#
# kth-run: named-only
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

T=kth_selftest
D=$KTH_SYSFS/$T
WHY='this kernel runs no user-mode helpers (CONFIG_STATIC_USERMODEHELPER with an empty CONFIG_STATIC_USERMODEHELPER_PATH); use the uevent sink'

# A real helper that would pass every other check: root's, 0755, in
# root's 0755 directories.  It must never run.
mkdir -p /tmp/ran
h=$(make_helper kth-static <<'EOS'
#!/bin/sh
echo "$KTH_EVENT" >/tmp/ran/$KTH_SEQ
EOS
) || { not_ok make-helper "make_helper failed"; exit 1; }

if ! kth_insmod kthelper || ! kth_insmod kth_selftest run_tests=0 uevent=1; then
	not_ok load "insmod failed"
	exit 1
fi

runner=$(sysfs_get $T helper_runner)
if [ "$runner" != none ]; then
	skip helper-static "this kernel runs user-mode helpers (helper_runner: $runner); boot a kernel built with CONFIG_STATIC_USERMODEHELPER and an empty path: make check-trees boots tree-o"
	kth_rmmod kth_selftest
	kth_rmmod kthelper
	exit 0
fi
ok helper-runner-none
check_eq helper-empty-at-load "" "$(sysfs_get $T helper)"

# refused on a sysfs write: -EOPNOTSUPP, one log line, nothing changed
dmesg_mark
rc=0
(echo "$h" >$D/helper) 2>/tmp/write.err || rc=$?
if [ "$rc" -ne 0 ]; then
	ok helper-write-refused
else
	not_ok helper-write-refused "writing $h to $D/helper succeeded"
fi
check helper-write-error grep -qi 'not supported' /tmp/write.err
echo "# the write said: $(head -n 1 /tmp/write.err)"
check_eq helper-write-changed-nothing "" "$(sysfs_get $T helper)"
line="$T: helper $h refused: $WHY"
check_eq helper-write-one-log-line 1 "$(dmesg_since_mark | grep -cF "$line")"
# turning the helper off stays allowed
check helper-off-allowed sh -c "echo >$D/helper"
check_eq helper-off-empty "" "$(sysfs_get $T helper)"

# the uevent sink still works, and nothing counts as a helper run
u0=$(sysfs_get $T uevents)
kth-uevent-listen kthelper 1 20 >/tmp/uevents 2>/tmp/listen.err &
lpid=$!
wait_for 10 grep -q ready /tmp/listen.err
echo 'add 1 static' >$D/trigger
wait $lpid
check_eq uevent-received 0 $?
check uevent-KTH_EVENT grep -qxF KTH_EVENT=add /tmp/uevents
check uevent-counted wait_for 10 attr_is $T uevents $((u0 + 1))
check_eq uevent-failures 0 "$(sysfs_get $T uevent_failures)"
for a in helper_runs helper_failures helper_not_run helper_refused; do
	check_eq "$a-zero" 0 "$(sysfs_get $T $a)"
done
check_eq helper-never-ran "" "$(ls /tmp/ran)"
check rmmod kth_rmmod kth_selftest

# refused at load: the module's kth_create() fails, insmod says why
dmesg_mark
rc=0
kth_insmod kth_selftest run_tests=0 helper="$h" 2>/tmp/insmod.err || rc=$?
if [ "$rc" -ne 0 ]; then
	ok insmod-helper-refused
else
	not_ok insmod-helper-refused "insmod kth_selftest helper=$h succeeded"
	kth_rmmod kth_selftest
fi
check insmod-helper-error grep -qi 'not supported' /tmp/insmod.err
echo "# insmod said: $(head -n 1 /tmp/insmod.err)"
got=$(dmesg_since_mark | grep -cF "$line")
# One line per load attempt.  busybox's insmod makes two when the first
# fails (finit_module(), then init_module()): count the attempts with a
# load that fails for another reason, one line each.
dmesg_mark
kth_insmod kth_selftest run_tests=0 helper=relative 2>/dev/null && kth_rmmod kth_selftest
tries=$(dmesg_since_mark | grep -c 'helper must be empty or an absolute path')
case $tries in
1 | 2) ok insmod-attempts-counted ;;
*) not_ok insmod-attempts-counted "a helper=relative load logged its line $tries times" ;;
esac
check_eq insmod-one-log-line-per-attempt "$tries" "$got"
check insmod-no-thread test ! -e $D
check insmod-not-loaded sh -c "! grep -q '^kth_selftest ' /proc/modules"

# kthctl says why (last: kthctl learns it with this issue)
check reload kth_insmod kth_selftest run_tests=0
kthctl status >/tmp/kc.out 2>&1
kthctl stats $T >>/tmp/kc.out 2>&1
check kthctl-says-no-helpers grep -qi 'no user-mode helper' /tmp/kc.out
echo "# kthctl: $(grep -i -m 1 'no user-mode helper' /tmp/kc.out)"
check rmmod-again kth_rmmod kth_selftest
check rmmod-kthelper kth_rmmod kthelper
