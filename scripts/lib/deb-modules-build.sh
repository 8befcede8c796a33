# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # topdir, out, version...: kth-deb-modules
#
# deb-modules-build.sh - one package of scripts/kth-deb-modules, sourced
# by it: deb_modules_one ABI builds, strips, signs, checks and packages
# kthelper's modules for ABI, prints the package's path, and returns 1
# (having said why) when any step fails.  Uses the caller's topdir, out,
# version, key, cert, signer, log and die.

# run_in ABI LOG CMD...: CMD where ABI's modules build (scripts/kth-kernel
# exec: here, or in the root of ABI's suite, the work directory bound at
# its path), its output appended to LOG.
run_in() { # ABI LOG CMD...
	local abi=$1 logf=$2
	shift 2
	(cd "$work" && "$topdir/scripts/kth-kernel" exec "$abi" -- "$@") >>"$logf" 2>&1
}

deb_modules_one() { # ABI
	local abi=$1 suite where kdir pkg hash moddir depends loc mod ko kos=() cc=() got
	work=$topdir/build/deb-modules/$abi
	rm -rf "$work"
	mkdir -p "$work"
	local blog=$work/build.log
	pkg=kthelper-modules-$abi
	suite=$(kth_suite_of "$abi") || return 1
	where=$("$topdir/scripts/kth-kernel" prepare "$abi" 2>>"$blog") || {
		log "$abi: scripts/kth-kernel prepare failed: $(tail -n 1 "$blog")"
		return 1
	}
	kdir=$("$topdir/scripts/kth-kernel" kdir "$abi")
	if [[ $where == host ]]; then
		got=$("$topdir/scripts/kth-kernel-cc" "$kdir") || return 1
		[[ -z $got ]] || mapfile -t cc <<<"$got"
	fi

	# the product's source alone, as DKMS gets it
	"$topdir/scripts/kth-dkms" source "$work/src" 2>>"$blog" || {
		log "$abi: scripts/kth-dkms source failed (see $blog)"
		return 1
	}
	if ! run_in "$abi" "$blog" make -C "$kdir" M="$work/src" KERNELRELEASE="$abi" \
		-j"$(nproc)" "${cc[@]}" modules; then
		tail -n 20 "$blog" >&2
		log "$abi: the modules do not build (see $blog)"
		return 1
	fi
	while IFS=$'\t' read -r _ mod loc; do
		kos+=("$work/src/$loc/$mod.ko")
	done < <(kth_conf_modules "$work/src/dkms.conf")
	for ko in "${kos[@]}"; do
		[[ -f $ko ]] || { log "$abi: the build made no ${ko#"$work/src/"}"; return 1; }
	done

	# strip and sign with that kernel's own tools, in its root
	run_in "$abi" "$blog" strip --strip-debug "${kos[@]}" || {
		log "$abi: strip failed (see $blog)"
		return 1
	}
	if [[ -n $key ]]; then
		hash=$(run_in "$abi" /dev/stdout sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$kdir/.config")
		[[ -n $hash ]] || {
			log "$abi: its kernel has no CONFIG_MODULE_SIG_HASH (built without module signing): nothing to sign for"
			return 1
		}
		# a private copy the root can read; gone with the work directory
		install -m 0600 "$key" "$work/signing.key"
		install -m 0644 "$cert" "$work/signing.crt"
		for ko in "${kos[@]}"; do
			# a passphrase reaches sign-file in KBUILD_SIGN_PIN, from the
			# environment (the root's too), never on a command line
			run_in "$abi" "$blog" "$kdir/scripts/sign-file" "$hash" \
				"$work/signing.key" "$work/signing.crt" "$ko" || {
				rm -f "$work/signing.key"
				log "$abi: $kdir/scripts/sign-file failed on ${ko##*/} (see $blog)"
				return 1
			}
		done
		rm -f "$work/signing.key"
	fi
	for ko in "${kos[@]}"; do
		got=$(modinfo -F vermagic "$ko" | cut -d ' ' -f 1)
		[[ $got == "$abi" ]] || { log "$abi: ${ko##*/} has vermagic '$got'"; return 1; }
		got=$(modinfo -F signer "$ko")
		[[ $got == "$signer" ]] || {
			log "$abi: ${ko##*/} is signed by '$got', not '${signer:-nobody}'"
			return 1
		}
	done

	# the package
	case $suite in
	bullseye | bookworm) moddir=lib/modules ;;
	*) moddir=usr/lib/modules ;;	# trixie on: the kernel's own are there
	esac
	kth_apt "$suite"
	kth_apt_update "$suite" || { log "$abi: no package lists for $suite (network?)"; return 1; }
	# the kernel: 7.x's linux-image-ABI pulls its split linux-binary- and
	# linux-modules-ABI; before, linux-image-ABI or its -unsigned twin
	depends="linux-image-$abi"
	if kth_apt_known "linux-image-$abi-unsigned"; then
		depends+=" | linux-image-$abi-unsigned"
	fi
	local root=$work/root
	install -d "$root/DEBIAN" "$root/$moddir/$abi/updates/kthelper" "$root/usr/share/doc/$pkg"
	install -m 0644 "${kos[@]}" "$root/$moddir/$abi/updates/kthelper/"
	install -m 0644 "$topdir/scripts/packaging/debian/copyright" "$root/usr/share/doc/$pkg/"
	local date
	date=$(git -C "$topdir" log -1 --format=%cD 2>/dev/null) || date=$(date -R)
	printf '%s (%s) unstable; urgency=medium\n\n  * kthelper %s built for %s by scripts/kth-deb-modules.\n\n -- %s  %s\n' \
		"$pkg" "$version" "$version" "$abi" "$(deb_modules_maintainer)" "$date" |
		gzip -9n >"$root/usr/share/doc/$pkg/changelog.gz"
	local certpath=/usr/share/kthelper/signing/$pkg.der
	if [[ -n $cert ]]; then
		install -d "$root/usr/share/kthelper/signing"
		if ! kth_sign_der "$cert" "$root$certpath" || ! chmod 0644 "$root$certpath"; then
			log "$abi: cannot write $cert in DER"
			return 1
		fi
	fi
	local names
	names=$(printf '%s\n' "${kos[@]##*/}" | sed 's/\.ko$//' | paste -sd, | sed 's/,/, /g')
	local signed=unsigned
	[[ -z $signer ]] || signed=signed
	local -A subst=(
		[PACKAGE]=$pkg [VERSION]=$version [ABI]=$abi [KERNEL_DEPENDS]=$depends
		[MODDIR]=/$moddir [MODULES]=$names [CERT]=$certpath
		[SIGNED]=$signed
		[SIGNER]=${signer:-none: the modules are unsigned}
		[MAINTAINER]=$(deb_modules_maintainer)
		[SIZE]=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
	)
	local f text k
	for f in control postinst postrm; do
		text=$(<"$topdir/scripts/packaging/deb-modules/$f.in")
		for k in "${!subst[@]}"; do
			text=${text//@$k@/${subst[$k]}}
		done
		printf '%s\n' "$text" >"$root/DEBIAN/$f"
	done
	chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
	(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
		xargs -0 md5sum) >"$root/DEBIAN/md5sums"
	local deb=$out/${pkg}_${version}_amd64.deb
	rm -f "$deb"
	dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >>"$blog" 2>&1 || {
		log "$abi: dpkg-deb failed (see $blog)"
		return 1
	}
	log "$abi: $deb ($(du -k "$deb" | cut -f1) KiB, $signed${signer:+ by $signer})"
	echo "$deb"
}

deb_modules_maintainer() {
	echo "${DEBFULLNAME:-kthelper developers} <${DEBEMAIL:-kthelper@example.org}>"
}
