# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kth-dkms-conf.sh - a dkms.conf's modules, as scripts/kth-dkms and
# scripts/kth-deb-modules read them.  Sourced.

# kth_conf_modules FILE: FILE's modules as "index<TAB>name<TAB>location"
# lines, read the way DKMS reads the file: sourced by a shell (with no
# kernel set, dkms-modules.sh leaves no driver out).
kth_conf_modules() { # FILE
	(
		set +u
		# shellcheck disable=SC1090
		. "$1"
		for i in "${!BUILT_MODULE_NAME[@]}"; do
			loc=${BUILT_MODULE_LOCATION[$i]:-}
			printf '%s\t%s\t%s\n' "$i" "${BUILT_MODULE_NAME[$i]}" "${loc%/}"
		done
	)
}
