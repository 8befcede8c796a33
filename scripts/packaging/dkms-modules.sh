# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-modules.sh - sourced by dkms.conf: take the drivers that do not
# build for $kernelver out of dkms.conf's module lists, so that DKMS still
# builds and installs the framework and the other drivers there.
#
# DKMS reads dkms.conf (a bash fragment, with $kernelver, $arch,
# ${kernel_source_dir} and $dkms_tree set) for each kernel before it builds,
# and fails the whole package when a module listed in it was not built; no
# DKMS version (3.0.10 to 3.4) lets a listed module fail.  So the list is
# decided here, by `dkms-build left-out`: before DKMS has built for the
# kernel, by a trial build; afterwards, from the modules DKMS kept.
# kth_left_out is the modules left out, for MAKE[0].  Nothing is left out
# where there is no DKMS build to come: no kernel (kth-dkms reading the
# file), no headers, or a source DKMS has not registered yet (`dkms add`).
#
# The entries use BUILT_MODULE_NAME, BUILT_MODULE_LOCATION and
# DEST_MODULE_LOCATION; they are renumbered without gaps, as DKMS 3.0
# counts them.  Only kth_* names are set: DKMS keeps nothing else of them.

kth_left_out=
if [[ -n ${kernelver:-} && -n ${arch:-} && -n ${dkms_tree:-} &&
	-e $dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/source ]]; then
	if ! kth_left_out=$(bash "${BASH_SOURCE[0]%/*}/dkms-build" left-out \
		"${kernel_source_dir:-}" "$kernelver" \
		"$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/$kernelver/$arch"); then
		echo "kthelper: dkms-build left-out failed for $kernelver; every driver is built" >&2
		kth_left_out=
	fi
	kth_left_out=${kth_left_out//$'\n'/ }	# one line, for MAKE[0]
fi

for kth_i in "${!BUILT_MODULE_NAME[@]}"; do
	case " $kth_left_out " in
	*" ${BUILT_MODULE_NAME[kth_i]} "*)
		unset "BUILT_MODULE_NAME[kth_i]" "BUILT_MODULE_LOCATION[kth_i]" \
			"DEST_MODULE_LOCATION[kth_i]"
		;;
	esac
done
BUILT_MODULE_NAME=("${BUILT_MODULE_NAME[@]}")
BUILT_MODULE_LOCATION=("${BUILT_MODULE_LOCATION[@]}")
DEST_MODULE_LOCATION=("${DEST_MODULE_LOCATION[@]}")
unset kth_i
