#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# perms - who may change what.  With every project module loaded: every
# module parameter (/sys/module/M/parameters/) and every file of every
# thread's directory (/sys/kernel/kthelper/T/, the drivers' own files
# included) is writable by root only (no group or other write bit), and a
# write by an unprivileged user (uid 65534) is refused and changes
# nothing.  Only root may signal a helper thread.  The helper runs only
# from an absolute path: a relative one is refused as a parameter of
# every module that has one, and through sysfs, even from root.
#
# kth-vm: --usb
# shellcheck source=tests/guest/lib.sh
. /scenarios/lib.sh

NOBODY=65534
kth_insmod kthelper || { not_ok load-kthelper "insmod failed"; exit 1; }
mods=
for ko in "$KTH_MODDIR"/*.ko; do
	m=$(basename "$ko" .ko)
	[ "$m" != kthelper ] || continue
	params=$(load_params "$m") || continue
	# shellcheck disable=SC2086
	if kth_insmod "$m" $params; then
		mods="$mods $m"
	else
		not_ok "load-$m" "insmod failed"
	fi
done
echo "# loaded: kthelper$mods; threads: $(ls $KTH_SYSFS | tr '\n' ' ')"

# mode FILE: its permission bits in octal
mode() { stat -c %a "$1"; }
# The file is not writable by group or others; if root may write it, an
# unprivileged write fails and leaves the content as it was.
check_file() { # CHECK-NAME FILE
	fmode=$(mode "$2")
	echo "$fmode" >>/tmp/modes
	if [ $((0$fmode & 022)) -ne 0 ]; then
		not_ok "$1-mode" "mode $fmode: writable by group or others"
		return
	fi
	ok "$1-mode"
	[ $((0$fmode & 0200)) -ne 0 ] || return 0
	before=$(cat "$2" 2>/dev/null)
	if kth-asuser $NOBODY sh -c "echo 1 >'$2'" 2>/dev/null; then
		not_ok "$1-nonroot-write-refused" "uid $NOBODY wrote it"
	else
		ok "$1-nonroot-write-refused"
	fi
	check_eq "$1-unchanged" "$before" "$(cat "$2" 2>/dev/null)"
}

nfiles=0
for m in kthelper $mods; do
	for f in /sys/module/"$m"/parameters/*; do
		[ -e "$f" ] || continue
		check_file "param-$m.$(basename "$f")" "$f"
		nfiles=$((nfiles + 1))
	done
done
for d in "$KTH_SYSFS"/*/; do
	t=$(basename "$d")
	for f in "$d"*; do
		[ -f "$f" ] || continue
		check_file "sysfs-$t.$(basename "$f")" "$f"
		nfiles=$((nfiles + 1))
	done
done
check_eq kset-mode 755 "$(mode $KTH_SYSFS)"
echo "# $nfiles parameters and attributes checked; modes: $(sort /tmp/modes | uniq -c | awk '{ printf "%s%s x%s", NR > 1 ? ", " : "", $2, $1 }')"
check some-files-checked [ "$nfiles" -gt 20 ]

# signals: root's only
for d in "$KTH_SYSFS"/*/; do
	t=$(basename "$d")
	pid=$(sysfs_get "$t" pid)
	[ "$pid" -gt 0 ] 2>/dev/null || continue
	for sig in TERM KILL STOP HUP USR1; do
		if kth-asuser $NOBODY kill -$sig "$pid" 2>/dev/null; then
			not_ok "signal-$t-$sig-root-only" "uid $NOBODY signalled it"
		else
			ok "signal-$t-$sig-root-only"
		fi
	done
	check_eq "signal-$t-still-running" "running $pid" "$(sysfs_get "$t" state) $(sysfs_get "$t" pid)"
done

# the helper: an absolute path or nothing, whoever writes it
for d in "$KTH_SYSFS"/*/; do
	t=$(basename "$d")
	[ -f "$d/helper" ] || continue
	before=$(cat "$d/helper")
	for bad in relative/helper ./helper helper "" ; do
		[ -n "$bad" ] || continue
		if printf '%s' "$bad" >"$d/helper" 2>/dev/null; then
			not_ok "helper-$t-refuses-'$bad'" "root's write succeeded"
		else
			ok "helper-$t-refuses-'$bad'"
		fi
	done
	check_eq "helper-$t-unchanged" "$before" "$(cat "$d/helper")"
done
for m in $mods; do
	[ -e /sys/module/"$m"/parameters/helper ] || continue
	kth_rmmod "$m"
	case $m in
	kth_selftest) params="run_tests=0" ;;
	*) params= ;;
	esac
	# shellcheck disable=SC2086
	if kth_insmod "$m" $params helper=relative/helper 2>/dev/null; then
		not_ok "param-helper-$m-refuses-relative" "insmod succeeded"
		kth_rmmod "$m"
	else
		ok "param-helper-$m-refuses-relative"
	fi
	# shellcheck disable=SC2086
	if kth_insmod "$m" $params helper=/sbin/absolute-helper; then
		check_eq "param-helper-$m-absolute" /sbin/absolute-helper \
			"$(cat "$KTH_SYSFS/$m/helper" 2>/dev/null || cat /sys/module/"$m"/parameters/helper)"
	else
		not_ok "param-helper-$m-absolute" "insmod with an absolute helper failed"
	fi
done

for m in $mods; do
	check "rmmod-$m" kth_rmmod "$m"
done
check rmmod-kthelper kth_rmmod kthelper
