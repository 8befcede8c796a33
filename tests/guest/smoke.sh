#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# smoke - the test VM itself works: the right kernel, the pseudo file
# systems, kernel modules from the initramfs, and every project module loads
# and unloads.
#
# kth-vm: --usb
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

kver=$(uname -r)
check_eq kernel-release "$(cat /etc/kth/kver)" "$kver"
check proc-mounted test -r /proc/self/status
check sysfs-mounted test -d /sys/kernel
check devtmpfs-mounted test -c /dev/null
check tmp-writable touch /tmp/smoke
check modules-dep test -s "/lib/modules/$kver/modules.dep"

# init modprobed xhci-pci; it binds the controller that kth-vm --usb adds.
check xhci-driver-registered test -d /sys/bus/pci/drivers/xhci_hcd
if wait_for 10 test -e /sys/bus/usb/devices/usb1; then
	ok xhci-root-hub
else
	not_ok xhci-root-hub "no usb1 root hub within 10 s"
fi

# Every project module (/lib/modules/kth) loads, with its dependencies, and
# unloads again.
found=0
for ko in /lib/modules/kth/*.ko; do
	[ -e "$ko" ] || break
	found=1
	name=$(basename "$ko" .ko)
	params=$(load_params "$name") || continue
	# shellcheck disable=SC2086
	if modprobe "$name" $params; then
		ok "load-$name"
		check "listed-$name" grep -q "^$(echo "$name" | tr - _) " /proc/modules
		# rmmod, not modprobe -r: that would also try to unload
		# dependencies in use, such as usbcore
		check "unload-$name" rmmod "$name"
	else
		not_ok "load-$name" "modprobe $name failed"
	fi
done
if [ "$found" -eq 1 ]; then
	tainted=$(cat /proc/sys/kernel/tainted)
	# TAINT_OOT_MODULE (bit 12): the kernel noticed an out-of-tree module.
	check out-of-tree-taint test $((tainted & 4096)) -ne 0
else
	skip project-modules "no .ko in /lib/modules/kth"
fi
