#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms - the modules DKMS built and installed, in a real kernel.  Booted by
# tests/harness/kth-dkms-test with exactly those modules in /lib/modules/kth (not
# the tree's), plus kth_dkms_client.ko, a module built out of tree against
# the installed framework's headers and Module.symvers, as a driver made
# from the template would be.  kth.dkms_version= on the kernel command line
# is the package version.
#
# Every DKMS-built module loads, the framework's kset and each driver's
# thread appear in /sys/kernel/kthelper, the version is the package's, the
# client links to kthelper, and everything unloads again.
#
# kth-vm: --usb
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

version=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	kth.dkms_version=*) version=${arg#*=} ;;
	esac
done

check load-kthelper modprobe kthelper
check kset-present test -d "$KTH_SYSFS"
if [ -n "$version" ]; then
	check_eq version-kthelper "$version" "$(cat /sys/module/kthelper/version 2>/dev/null)"
else
	not_ok version-kthelper "no kth.dkms_version= on the kernel command line"
fi

drivers=
for ko in "$KTH_MODDIR"/*.ko; do
	name=$(basename "$ko" .ko)
	case $name in
	kthelper | kth_dkms_client) continue ;;
	esac
	drivers="$drivers $name"
	check "load-$name" modprobe "$name"
	if wait_for 5 attr_is "$name" state running; then
		ok "thread-running-$name"
	else
		not_ok "thread-running-$name" "$KTH_SYSFS/$name/state is '$(sysfs_get "$name" state 2>&1)'"
	fi
done
[ -n "$drivers" ] || skip drivers "no driver module was built by DKMS"

if [ -e "$KTH_MODDIR/kth_dkms_client.ko" ]; then
	check load-client modprobe kth_dkms_client
	check client-uses-kthelper test -e /sys/module/kthelper/holders/kth_dkms_client
	check unload-client rmmod kth_dkms_client
else
	not_ok load-client "kth_dkms_client.ko missing from the initramfs"
fi

for name in $drivers; do
	check "unload-$name" rmmod "$name"
done
check unload-kthelper rmmod kthelper
check kset-removed test ! -e "$KTH_SYSFS"
