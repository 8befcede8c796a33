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
# every module that has one, and through sysfs, even from root.  And only
# a safe one: a file owned by root and not writable by group or others,
# in directories that are the same all the way up; an unsafe one (in
# /tmp, or writable by others) is refused the same ways, with -EPERM and
# a log line that names the culprit.
#
# Its 627 checks take about 50 s on a generic kernel and more than 600 s
# on the debug one, past the x5 of 120 s that make check-debug gives.
# kth-vm: --usb --timeout 240
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
echo "# $nfiles parameters and attributes checked; modes: $(sort /tmp/modes | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')"
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

# the helpers: a safe one, one in a world-writable directory (/tmp, mode
# 1777), one writable by others in a safe directory
safe=$(printf '#!/bin/sh\nexit 0\n' | make_helper perms-safe)
printf '#!/bin/sh\nexit 0\n' >/tmp/kth-unsafe
chmod 0755 /tmp/kth-unsafe
wow=$(printf '#!/bin/sh\nexit 0\n' | make_helper perms-world-writable)
chmod 0757 "$wow"
# refused_eperm CHECK FILE VALUE LOG: root's write of VALUE to FILE fails
# with EPERM and logs LOG.
refused_eperm() {
	dmesg_mark
	if echo "$3" 2>/tmp/write.err >"$2"; then
		not_ok "$1" "root's write succeeded"
	elif ! grep -q "Operation not permitted" /tmp/write.err; then
		not_ok "$1" "not EPERM: $(cat /tmp/write.err)"
	elif ! dmesg_since_mark | grep -qF "$4"; then
		not_ok "$1" "no log line '$4'"
	else
		ok "$1"
	fi
}
log_tmp="helper /tmp/kth-unsafe refused: directory /tmp is owned by uid 0 with mode 1777; a helper and every directory above it must be owned by root and not writable by group or others"
log_wow="helper $wow refused: the file is owned by uid 0 with mode 0757"

# the helper: an absolute path or nothing, whoever writes it, and a safe
# file
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
	refused_eperm "helper-$t-refuses-in-tmp" "$d/helper" /tmp/kth-unsafe "$t: $log_tmp"
	refused_eperm "helper-$t-refuses-world-writable" "$d/helper" "$wow" "$t: $log_wow"
	check_eq "helper-$t-unchanged" "$before" "$(cat "$d/helper")"
	if echo "$safe" >"$d/helper"; then
		check_eq "helper-$t-safe-set" "$safe" "$(cat "$d/helper")"
	else
		not_ok "helper-$t-safe-set" "root's write of $safe failed"
	fi
	echo "$before" >"$d/helper"
done
for m in $mods; do
	[ -e /sys/module/"$m"/parameters/helper ] || continue
	kth_rmmod "$m"
	params=$(load_params "$m")
	# shellcheck disable=SC2086
	if kth_insmod "$m" $params helper=relative/helper 2>/dev/null; then
		not_ok "param-helper-$m-refuses-relative" "insmod succeeded"
		kth_rmmod "$m"
	else
		ok "param-helper-$m-refuses-relative"
	fi
	for bad in /tmp/kth-unsafe "$wow"; do
		case $bad in
		/tmp/*) name=in-tmp log=$log_tmp ;;
		*) name=world-writable log=$log_wow ;;
		esac
		dmesg_mark
		# shellcheck disable=SC2086
		if kth_insmod "$m" $params helper="$bad" 2>/tmp/insmod.err; then
			not_ok "param-helper-$m-refuses-$name" "insmod succeeded"
			kth_rmmod "$m"
		elif ! grep -q "Operation not permitted" /tmp/insmod.err; then
			not_ok "param-helper-$m-refuses-$name" "not EPERM: $(cat /tmp/insmod.err)"
		elif ! dmesg_since_mark | grep -qF "$log"; then
			not_ok "param-helper-$m-refuses-$name" "no log line '$log'"
		else
			ok "param-helper-$m-refuses-$name"
		fi
	done
	# shellcheck disable=SC2086
	if kth_insmod "$m" $params helper="$safe"; then
		check_eq "param-helper-$m-safe" "$safe" \
			"$(cat "$KTH_SYSFS/$m/helper" 2>/dev/null || cat /sys/module/"$m"/parameters/helper)"
	else
		not_ok "param-helper-$m-safe" "insmod with a safe absolute helper failed"
	fi
done

for m in $mods; do
	check "rmmod-$m" kth_rmmod "$m"
done
check rmmod-kthelper kth_rmmod kthelper
