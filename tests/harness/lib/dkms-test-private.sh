# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-private.sh - part 1 of tests/harness/kth-dkms-test, sourced by
# it: a private DKMS tree (dkms --dkmstree/--sourcetree/--installtree, a
# private signing key and KTH_DKMS_PREFIX, nothing outside build/dkms):
# the source tree, dkms add, build, install for KVER; every module there,
# for KVER, signed; the framework's headers and Module.symvers installed
# and a module built out of tree against them; a second kernel; broken
# builds fail with DKMS's error and install nothing; dkms remove, one
# kernel then the last, leaves nothing.  (The boot of the modules it
# built is dkms-test-boot.sh.)

# dkms on the private tree, where KVER's modules build (this machine, or
# KVER's root through $inroot): its own key (DKMS makes one, as it would
# in /var/lib/dkms), no depmod on /lib/modules.
dk() {
	"${inroot[@]}" env KTH_DKMS_PREFIX="$prefix" mok_signing_key="$priv/mok.key" \
		mok_certificate="$priv/mok.pub" \
		dkms --dkmstree "$priv/dkms" --sourcetree "$priv/src" --installtree "$priv/modules" "$@"
}

# The private tree for $kver; the kernel image (for the boot) too.
private_setup() {
	rm -rf "$work"
	mkdir -p "$logs" "$debdir"
	start=$EPOCHREALTIME
	[[ -n $kroot ]] || kroot=$("$here/kth-fetch-kernel" "$kver") || die "cannot fetch the kernel $kver"
	priv=$work/private
	mkdir -p "$priv/dkms" "$priv/src"
	kernel_in_tree "$priv/modules" "$kver"
	src=$priv/src/kthelper-$version
	prefix=$priv/prefix
	inst=$priv/modules/$kver/updates/dkms
	log "dkms: private DKMS tree for $kver in $priv"
}

# --- the source tree ---
private_source() {
	if run_logged source "$topdir/scripts/kth-dkms" source "$src"; then
		ok source
	else
		not_ok source "kth-dkms source failed, see $logs/source.log"
		exit 2
	fi
	mods=$(conf_modules <"$src/dkms.conf")
	out=$(cd "$src" && find . -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '*.cmd' -o -name 'tests' -o -name 'templates')
	check source-only-sources -m "build outputs or test code in the source: $out" test -z "$out"
	check source-kbuild-as-is -m "the source's Kbuild is not the tree's as it is" cmp -s "$topdir/Kbuild" "$src/Kbuild"
	check source-version -m "staged PACKAGE_VERSION is not $version" grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf"
	check source-hook-executable -m "scripts/packaging/dkms-hook missing or not executable" test -x "$src/scripts/packaging/dkms-hook"
}

# --- add, build, install ---
private_install() {
	if run_logged add dk add -m kthelper -v "$version"; then ok add; else not_ok add "see $logs/add.log"; fi
	t0=$EPOCHREALTIME
	if run_logged build dk build -m kthelper -v "$version" -k "$kver"; then
		ok build
	else
		not_ok build "see $logs/build.log"
	fi
	log "dkms: build for $kver took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	if run_logged install dk install --no-depmod -m kthelper -v "$version" -k "$kver"; then
		ok install
	else
		not_ok install "see $logs/install.log"
	fi
	out=$(dk status -m kthelper 2>&1)
	check status-installed -m "dkms status: '$out'" \
		grep -qxF "$(status_line "$version" "$kver")" <<<"$out"
	for m in $mods; do
		ko=$(module_file "$inst" "$m")
		magic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
		check "installed-$m" -m "$ko missing or built for '$magic'" test "$magic" = "$kver"
		signed_check "signed-$m" "$ko" "$priv/mok.pub"
	done
	out=$(modinfo -F version "$(module_file "$inst" kthelper)" 2>&1)
	check module-version -m "kthelper.ko has version '$out', dkms.conf says $version" test "$out" = "$version"
}

# --- what a driver built against the installed framework needs ---
private_framework() {
	out=
	for h in "$src"/framework/include/*.h; do
		cmp -s "$h" "$prefix/include/${h##*/}" || out+=" ${h##*/}"
	done
	check framework-headers -m "not installed in $prefix/include:$out" test -z "$out"
	symvers=$prefix/$kver/Module.symvers
	exported=$(grep -ho 'EXPORT_SYMBOL_NS_GPL([a-z_0-9]*' "$src"/framework/*.c | sed 's/.*(//' | sort)
	listed=$(awk -F '\t' '{ print $2 }' "$symvers" 2>/dev/null | sort)
	check framework-symvers -m "$symvers lists '$listed', the framework exports '$exported'" \
		test -n "$listed" -a "$listed" = "$exported"
	out=$(awk -F '\t' '$3 !~ /(^|\/)framework\/kthelper$/ || $5 != "KTHELPER" {
		sub(/.*\/build\//, "", $3); printf "%s (module %s, namespace %s); ", $2, $3, $5 }' "$symvers" 2>&1)
	check framework-symvers-only-kthelper -m "lines not of framework/kthelper in namespace KTHELPER: $out" test -z "$out"

	# A driver built out of tree against the installed framework only, the way
	# one made from the template is (Documentation/packaging.rst).
	client=$work/client
	mkdir -p "$client"
	cat >"$client/Kbuild" <<EOF
obj-m := kth_dkms_client.o
ccflags-y := -I$prefix/include
EOF
	cat >"$client/kth_dkms_client.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* Built by kth-dkms-test against the DKMS-installed framework only. */
#include <linux/module.h>
#include <kthelper.h>

static int __init kth_dkms_client_init(void)
{
	pr_info("kth_dkms_client: %ps from kthelper is linked in\n", kth_post);
	return 0;
}
module_init(kth_dkms_client_init);

static void __exit kth_dkms_client_exit(void)
{
}
module_exit(kth_dkms_client_exit);

MODULE_IMPORT_NS(KTH_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kthelper DKMS test: a driver built against the installed framework");
EOF
	if run_logged client "${inroot[@]}" make -C "/lib/modules/$kver/build" M="$client" \
		KBUILD_EXTRA_SYMBOLS="$symvers" modules &&
		! grep -q -i 'warning' "$logs/client.log"; then
		ok client-builds
	else
		not_ok client-builds "a module using kthelper.h and KBUILD_EXTRA_SYMBOLS=$symvers does not build cleanly, see $logs/client.log"
	fi
	out=$(modinfo -F depends "$client/kth_dkms_client.ko" 2>&1)
	check client-depends -m "depends: '$out'" test "$out" = kthelper
}

# --- a second kernel: the include directory stays while one has kthelper ---
private_second_kernel() {
	other=$(kernels_with_headers | grep -vx -F "$kver" | sort -V | tail -n 1)
	if [[ -n $other ]]; then
		kernel_in_tree "$priv/modules" "$other"
		if run_logged install-second dk install --no-depmod -m kthelper -v "$version" -k "$other"; then
			ok second-kernel-install
		else
			not_ok second-kernel-install "dkms install for $other failed, see $logs/install-second.log"
		fi
	else
		skip second-kernel-install "no second kernel with headers"
	fi
}

# --- broken builds: DKMS's error, its make.log, nothing installed ---
private_broken_builds() {
	bogus=0.0.0-kth-bogus
	out=$(dk build -m kthelper -v "$version" -k "$bogus" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$logs/broken-headers.log"
	check missing-headers-fails -m "exit $rc, see $logs/broken-headers.log" test "$rc" -ne 0
	check missing-headers-message -m "no 'kernel headers ... cannot be found' from DKMS, see $logs/broken-headers.log" \
		has_line "$out" "kernel headers for kernel $bogus cannot be found"
	check missing-headers-nothing-built -m "DKMS tree or prefix has $bogus" \
		test ! -e "$priv/dkms/kthelper/$version/$bogus" -a ! -e "$prefix/$bogus"
	broken=0.0.0-kth-broken
	mkdir -p "$work/broken-headers/include" "$priv/modules/$broken"
	broken_makefile >"$work/broken-headers/Makefile"
	dk install --no-depmod -m kthelper -v "$version" -k "$broken" \
		--kernelsourcedir "$work/broken-headers" >"$logs/broken-make.log" 2>&1
	rc=$?
	makelog=$(sed -n 's/^Consult \(.*make\.log\) for more information\.$/\1/p' "$logs/broken-make.log" | head -n 1)
	check make-failure-fails -m "exit $rc, no 'Consult .../make.log' from DKMS; see $logs/broken-make.log" \
		test "$rc" -ne 0 -a -n "$makelog"
	check make-failure-log -m "$makelog does not hold make's error" \
		grep -q 'broken on purpose' "$makelog"
	out=$(dk status -m kthelper -k "$broken" 2>&1 | grep -F "$broken"
		find "$priv/modules/$broken" "$priv/dkms/kthelper/$version/$broken" "$prefix/$broken" \
			-mindepth 1 2>/dev/null)
	check make-failure-nothing-installed -m "left for $broken: $out" test -z "$out"
	out=$(dk status -m kthelper -k "$kver" 2>&1)
	check make-failure-others-intact -m "dkms status for $kver: '$out'" grep -q ': installed$' <<<"$out"
}

# --- remove: one kernel, then the last ---
private_remove() {
	if [[ -n $other ]]; then
		run_logged remove-second dk remove --no-depmod -m kthelper -v "$version" -k "$other"
		check remove-one-kernel-keeps-include -m "after removing $other: $prefix/include or $prefix/$kver gone, or $prefix/$other left" \
			test -f "$prefix/include/kthelper.h" -a -f "$prefix/$kver/Module.symvers" -a ! -e "$prefix/$other"
	fi
	if run_logged remove dk remove --no-depmod -m kthelper -v "$version" -k "$kver"; then
		ok remove
	else
		not_ok remove "see $logs/remove.log"
	fi
	out=$(dk status -m kthelper 2>&1; ls -A "$priv/dkms"; find "$priv/modules" -name '*.ko*'; ls -d "$prefix" 2>/dev/null)
	check remove-leaves-nothing -m "left: $out" test -z "$out"
	log "dkms: private tree done in $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}
