# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-left-out.sh - part of tests/harness/kth-dkms-test, sourced by
# it: what DKMS does with a package one of whose drivers does not build
# (Documentation/packaging.rst, "When a driver does not build on a
# kernel").  Copies of the package with an #error put into one file, each
# a version of its own, in a DKMS tree of their own (the signing key of the
# private tree):
#   a driver broken: dkms install works, installs the framework and the
#   other drivers, not it; dkms status says installed; the output names the
#   module, the kernel and the error, make.log has the compiler's output,
#   post_install says it again; dkms remove leaves nothing;
#   the framework broken: DKMS's own error, a line that says the framework
#   does not build, nothing installed.

# The driver broken on purpose, and the file that gets the #error.
left_out_module=kth_netbufwatch
left_out_file=drivers/netbufwatch/netbufwatch.c

# dkms on the tree of the broken copies.
dk_broken() {
	"${inroot[@]}" env KTH_DKMS_PREFIX="$lo/prefix" mok_signing_key="$priv/mok.key" \
		mok_certificate="$priv/mok.pub" \
		dkms --dkmstree "$lo/dkms" --sourcetree "$lo/src" --installtree "$lo/modules" "$@"
}

# broken_copy NAME FILE: version $version+kthNAME of the package, FILE with
# an #error, added to the tree of the broken copies; prints the version.
broken_copy() {
	local ver=$version+kth$1
	run_logged "left-out-$1-source" "$topdir/scripts/kth-dkms" source --version "$ver" \
		"$lo/src/kthelper-$ver" &&
		sed -i '1a #error kthelper test: broken on purpose' "$lo/src/kthelper-$ver/$2" &&
		run_logged "left-out-$1-add" dk_broken add -m kthelper -v "$ver" &&
		echo "$ver"
}

private_left_out() {
	local ver out rc m ko file others
	lo=$work/left-out
	mkdir -p "$lo/dkms" "$lo/src"
	kernel_in_tree "$lo/modules" "$kver"
	file=$(re "$left_out_file")

	# --- a driver that does not build: left out, the rest installed ---
	if ! ver=$(broken_copy driver "$left_out_file"); then
		not_ok left-out-install "no broken copy of the package, see $logs/left-out-driver-*.log"
		return
	fi
	out=$(dk_broken install --no-depmod -m kthelper -v "$ver" -k "$kver" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/left-out-install.log"
	check left-out-install -m "dkms install exit $rc, see $logs/left-out-install.log" test "$rc" -eq 0
	check left-out-line -m "no 'kthelper: $left_out_module does not build for $kver, left out: $left_out_file:N:N: error: ...' in $logs/left-out-install.log" \
		has_line "$out" "^kthelper: $left_out_module does not build for $(re "$kver"), left out: $file:[0-9]+:[0-9]+: error: #error kthelper test: broken on purpose$"
	check left-out-post-install -m "post_install did not name $left_out_module, see $logs/left-out-install.log" \
		has_line "$out" "^kthelper: $left_out_module is not installed for $(re "$kver"): it does not build there \\($file:"
	out=$(dk_broken status -m kthelper 2>&1)
	check left-out-status-installed -m "dkms status: '$out'" \
		grep -qxF "$(status_line "$ver" "$kver")" <<<"$out"
	others=$(grep -vx -F "$left_out_module" <<<"$mods")
	for m in $others; do
		ko=$(module_file "$lo/modules/$kver/updates/dkms" "$m")
		check "left-out-installed-$m" -m "$ko missing or not for $kver" \
			test "$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)" = "$kver"
	done
	out=$(find "$lo/modules" -name "$left_out_module.ko*")
	check left-out-not-installed -m "installed: $out" test -z "$out"
	out=$(cat "$lo/dkms/kthelper/$ver/$kver"/*/log/make.log 2>&1)
	if has_line "$out" "^[^ ]*$file:[0-9]+:[0-9]+: error: #error" &&
		has_line "$out" "^kthelper: $left_out_module does not build for"; then
		ok left-out-make-log
	else
		not_ok left-out-make-log "make.log lacks the compiler's error or the line naming $left_out_module"
	fi
	run_logged left-out-remove dk_broken remove --no-depmod -m kthelper -v "$ver" --all
	out=$(dk_broken status -m kthelper 2>&1; find "$lo/modules" -name '*.ko*'; ls -d "$lo/prefix" 2>/dev/null)
	check left-out-remove -m "left: $out" test -z "$out"

	# --- the framework does not build: DKMS's error, nothing installed ---
	if ! ver=$(broken_copy framework framework/core.c); then
		not_ok framework-broken-fails "no broken copy of the package, see $logs/left-out-framework-*.log"
		return
	fi
	out=$(dk_broken install --no-depmod -m kthelper -v "$ver" -k "$kver" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/framework-broken.log"
	if [[ $rc -ne 0 ]] &&
		has_line "$out" "^Error! Bad return status for module build on kernel: $(re "$kver")"; then
		ok framework-broken-fails
	else
		not_ok framework-broken-fails "exit $rc, no DKMS 'Bad return status'; see $logs/framework-broken.log"
	fi
	check framework-broken-line -m "no 'kthelper: the framework does not build for $kver' in $logs/framework-broken.log" \
		has_line "$out" "^kthelper: the framework does not build for $(re "$kver"), so nothing can be installed: framework/core\\.c:[0-9]+:[0-9]+: error: #error"
	out=$(find "$lo/modules" "$lo/prefix" -type f 2>/dev/null; dk_broken status -m kthelper 2>&1 | grep -v ': added$')
	check framework-broken-nothing-installed -m "left: $out" test -z "$out"
}
