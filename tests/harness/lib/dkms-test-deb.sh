# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-deb.sh - part 2 of tests/harness/kth-dkms-test outside its
# throwaway root, sourced by it: the .deb (kth-dkms deb, version V and an
# "N+1" V+kthtest1) built, and its control data, maintainer scripts and
# contents checked.

deb_build_and_inspect() {
	t0=$EPOCHREALTIME
	if run_logged deb "$topdir/scripts/kth-dkms" deb --out "$debdir" &&
		run_logged deb-next "$topdir/scripts/kth-dkms" deb --out "$debdir" --version "$next"; then
		ok deb-build
	else
		not_ok deb-build "kth-dkms deb failed, see $logs/deb.log and $logs/deb-next.log"
		exit 2
	fi
	deb=$debdir/kthelper-dkms_${version}_all.deb
	check deb-file -m "no $deb" test -f "$deb"
	info=$(dpkg-deb -f "$deb" Package Version Architecture Depends Conflicts 2>&1)
	while read -r name field; do
		check "deb-control-$name" -m "control: $info" has_line "$info" "^$field"
	done <<EOF
package Package: kthelper-dkms$
version Version: $version_re$
arch Architecture: all$
depends-dkms Depends: (.*, )?dkms( \(|,|$)
depends-openssl Depends: (.*, )?openssl( \(|,|$)
depends-tools Depends: (.*, )?kthelper-tools \(= $version_re\)(,|$)
conflicts-modules Conflicts: (.*, )?kthelper-modules(,|$)
EOF
	scripts_dir=$work/deb-control
	rm -rf "$scripts_dir"
	dpkg-deb -e "$deb" "$scripts_dir"
	postinst=$(cat "$scripts_dir/postinst" 2>&1)
	for line in "^DKMS_NAME=kthelper$" "^DKMS_VERSION=$version_re$" "/usr/lib/dkms/common.postinst"; do
		check "deb-postinst-${line//[^A-Za-z]/}" -m "postinst has no line matching '$line'" \
			has_line "$postinst" "$line"
	done
	check deb-prerm -m "prerm does not run dkms remove --all" \
		has_line "$(cat "$scripts_dir/prerm" 2>&1)" "dkms remove -m [\$]DKMS_NAME -v [\$]DKMS_VERSION --all"
	check deb-postrm -m "postrm does not clean /usr/lib/kthelper on purge" \
		has_line "$(cat "$scripts_dir/postrm" 2>&1)" 'rm -rf /usr/lib/kthelper' 
	# Contents: exactly the DKMS source tree, with the hook executable.
	expected=$(cd "$src" && find . -type f | sed "s|^\./|./usr/src/kthelper-$version/|" | sort)
	actual=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | grep '^./usr/src/' | sort)
	check deb-contents -m "the .deb's /usr/src differs from the DKMS source: $(diff <(echo "$expected") <(echo "$actual") | grep '^[<>]' | head -n 5 | tr '\n' ' ')" \
		test "$expected" = "$actual"
	check deb-hook-mode -m "dkms-hook is not executable in the .deb" \
		has_line "$(dpkg-deb -c "$deb")" '^-rwxr-xr-x .*/scripts/packaging/dkms-hook$' 
	check deb-postinst-secureboot -m "postinst does not run kth-secureboot-check --dkms after DKMS's part" \
		has_line "$(sed -n '/End automatically added section/,$p' <<<"$postinst")" \
		'^[[:space:]]*/usr/libexec/kthelper/kth-secureboot-check --dkms'
	# kthelper-tools: kthctl with its metrics files; the metrics timer,
	# which the maintainer scripts never start or enable (an operator
	# does), stopped on remove (kthelper-tools.prerm); the journal's
	# helper, rules and unit; the Secure Boot check.  It takes them over
	# from a kthelper-dkms before 0.2.0, which shipped them.
	tools=$debdir/kthelper-tools_${version}_all.deb
	info=$(dpkg-deb -f "$tools" Package Version Architecture Breaks Replaces 2>&1)
	for field in "Package: kthelper-tools$" "Architecture: all$" \
		"Breaks: kthelper-dkms \(<< 0\.2\.0~\)$" "Replaces: kthelper-dkms \(<< 0\.2\.0~\)$"; do
		check "tools-control-${field%%:*}" -m "kthelper-tools' control: $info" has_line "$info" "^$field"
	done
	contents=$(dpkg-deb -c "$tools")
	for f in usr/sbin/kthctl usr/share/kthctl/trace.sh usr/share/kthctl/metrics.sh usr/share/kthctl/metrics.awk \
		 lib/systemd/system/kthelper-metrics.service lib/systemd/system/kthelper-metrics.timer \
		 usr/libexec/kthelper/kth-journal lib/systemd/system/kthelper-event@.service \
		 usr/share/kthelper/udev/90-kthelper-journal.rules \
		 usr/share/kthelper/udev/90-kthelper-event.rules \
		 usr/libexec/kthelper/kth-secureboot-check; do
		check "deb-has-${f##*/}" -m "kthelper-tools has no /$f" has_line "$contents" " \./$(re "$f")\$"
	done
	check deb-dkms-no-tools -m "kthelper-dkms still ships /usr/sbin/kthctl" \
		lacks_line "$(dpkg-deb -c "$deb")" ' \./usr/sbin/kthctl$'
	rm -rf "$scripts_dir"
	dpkg-deb -e "$tools" "$scripts_dir"
	postinst=$(cat "$scripts_dir/postinst" 2>&1)
	check deb-kth-journal-mode -m "kth-journal is not executable in the .deb" \
		has_line "$contents" '^-rwxr-xr-x .*/usr/libexec/kthelper/kth-journal$'
	check deb-metrics-timer-not-started -m "postinst starts the metrics units" \
		lacks_line "$postinst" "deb-systemd-invoke (start|restart) .*kthelper-metrics"
	check deb-metrics-timer-not-enabled -m "postinst enables the timer outside 'was-enabled'" \
		equals "$(grep -c "deb-systemd-helper enable 'kthelper-metrics" <<<"$postinst")" \
		"$(grep -c "was-enabled 'kthelper-metrics" <<<"$postinst")"
	check deb-metrics-timer-stopped-on-remove -m "kthelper-tools' prerm does not stop kthelper-metrics.timer" \
		has_line "$(cat "$scripts_dir/prerm" 2>&1)" "deb-systemd-invoke stop kthelper-metrics.timer"
	log "dkms: .deb built and inspected in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}
