# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# mkinitramfs-cpio.sh - the archive of tests/harness/kth-mkinitramfs,
# sourced by it: the staged tree as a gzip'ed newc cpio, written atomically
# to $out, with /dev/console appended as a hand-made second archive.

# cpio stores what is on disk; /dev/console (which the kernel opens for init
# before devtmpfs is mounted) cannot be made without root, so it is appended
# as a second hand-made newc archive: the kernel unpacks concatenated
# archives in order.
newc_header() { # name mode rdevmajor rdevminor
	local namesize=$((${#1} + 1)) pad
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	head -c "$pad" /dev/zero
}
extra_cpio() {
	newc_header dev/console $((8#020600)) 5 1
	newc_header TRAILER!!! 0 0 0
}

write_archive() {
	local tmp_out
	mkdir -p "$(dirname "$out")"
	tmp_out=$(mktemp "$out.XXXXXX")
	{
		(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
			cpio --quiet -o -H newc -R 0:0)
		extra_cpio
	} | gzip -6 -n >"$tmp_out"
	chmod 0644 "$tmp_out"
	mv -f "$tmp_out" "$out"
}
