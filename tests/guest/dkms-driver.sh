#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms-driver - a driver made by kth-new-driver and shipped as a DKMS
# package of its own, in the kernel that came after it was installed.
# Booted by tests/harness/kth-dkms-test --driver (the dkms-driver
# scenario) with the modules DKMS's autoinstall built for that kernel,
# kthelper and the driver (kth.driver= names it, kth.dkms_version= is
# kthelper's version), then the driver's own scenario (tests/NAME.sh of
# the generated tree: trigger, helper, uevent) in the same boot.
#
# The kernel is the one the modules were built for; modprobe of the driver
# pulls in kthelper (modules.dep: the driver depends on it); kthelper is
# DKMS's, of the package version; the driver's thread runs under its
# name; both unload.
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

version=
driver=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	kth.dkms_version=*) version=${arg#*=} ;;
	kth.driver=*) driver=${arg#*=} ;;
	esac
done
[ -n "$driver" ] || { not_ok driver "no kth.driver= on the kernel command line"; exit 1; }

check_eq kernel "$(cat /etc/kth/kver)" "$(uname -r)"
check "modprobe-$driver" modprobe "$driver"
check kthelper-pulled-in grep -q '^kthelper ' /proc/modules
check "kthelper-holds-$driver" test -e "/sys/module/kthelper/holders/$driver"
check_eq kthelper-version "$version" "$(cat /sys/module/kthelper/version 2>/dev/null)"
if wait_for 5 attr_is "$driver" state running; then
	ok thread-running
else
	not_ok thread-running "$KTH_SYSFS/$driver/state is '$(sysfs_get "$driver" state 2>&1)'"
fi
pid=$(thread_pid "$driver")
check_eq thread-name "$driver" "$(cat /proc/"$pid"/comm 2>&1)"
check "unload-$driver" rmmod "$driver"
check unload-kthelper rmmod kthelper
