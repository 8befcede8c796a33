# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kth-debian.sh - the Debian archive as kthelper's scripts see it: which
# suite a kernel release belongs to, a private apt state per suite (the
# host's apt is never touched), the newest kernel ABI of a suite, and
# downloads into a cache.  Sourced by scripts/kth-kernel and
# tests/harness/kth-fetch-kernel.
#
# Suites: bullseye (5.10.0-N), bookworm (6.1.0-N, 6.12.N+deb12), trixie
# (+deb13), sid (+deb14 and later).  Per suite, under
#   ${KTH_CACHE:-$HOME/.cache/kthelper}/apt/SUITE/
# sources.list (SUITE, SUITE-updates and SUITE-security; sid alone), lists,
# status, apt's cache; `apt-get update` runs there when the lists are
# missing or older than KTH_APT_MAX_AGE seconds (a day), one run at a time
# (flock).  sid's Release file can look expired against a machine's clock:
# its apt takes Acquire::Check-Valid-Until=false.  Mirrors:
# KTH_DEBIAN_MIRROR, KTH_DEBIAN_SECURITY_MIRROR.
#
# The caller runs under `set -euo pipefail`; log and die are the caller's
# when it has them.

kth_cache=${KTH_CACHE:-$HOME/.cache/kthelper}
kth_mirror=${KTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
kth_security=${KTH_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
kth_keyring=/usr/share/keyrings/debian-archive-keyring.gpg
kth_apt_max_age=${KTH_APT_MAX_AGE:-86400}
kth_suites=(bullseye bookworm trixie sid)
# The supported kernels, as kth-kernel resolve names them: every module
# builds for each (tests/harness/kth-build-matrix), and make deb-modules-all
# packages each.
kth_matrix_targets="bullseye bullseye-rt bookworm bookworm-rt bookworm-6.12 bookworm-6.12-rt trixie trixie-rt sid sid-rt"

declare -F log >/dev/null || log() { printf '[kth] %s\n' "$*" >&2; }
declare -F die >/dev/null || die() { log "error: $*"; exit 1; }

# The sources of SUITE, one "deb ..." line each (private apt, mmdebstrap).
kth_sources() { # SUITE
	local suite=$1
	if [[ $suite == sid ]]; then
		echo "deb [signed-by=$kth_keyring] $kth_mirror sid main"
		return
	fi
	echo "deb [signed-by=$kth_keyring] $kth_mirror $suite main"
	echo "deb [signed-by=$kth_keyring] $kth_mirror $suite-updates main"
	echo "deb [signed-by=$kth_keyring] $kth_security $suite-security main"
}

# apt options SUITE needs wherever its lists are read (a root's apt too).
kth_suite_aptopts() { # SUITE
	[[ $1 != sid ]] || echo 'Acquire::Check-Valid-Until "false";'
}

# The suite a kernel release (6.1.0-56-amd64, 7.2.13+deb14-rt-amd64, or an
# ABI without the flavour) belongs to, from its name alone; nothing when
# the name does not tell.
kth_suite_guess() { # KVER
	local kver=$1
	if [[ $kver =~ ^5\.10\.0-[0-9]+(-|$) ]]; then
		echo bullseye
	elif [[ $kver =~ ^6\.1\.0-[0-9]+(-|$) || $kver =~ \+deb12(-|$) ]]; then
		echo bookworm
	elif [[ $kver =~ \+deb13(-|$) ]]; then
		echo trixie
	elif [[ $kver =~ \+deb([0-9]+)(-|$) ]] && [[ ${BASH_REMATCH[1]} -ge 14 ]]; then
		echo sid
	fi
}

# kth_apt SUITE: the private apt state of SUITE, its options in kth_apt_opts.
kth_apt_opts=()
kth_apt_dir=
kth_apt() { # SUITE
	local suite=$1 dir=$kth_cache/apt/$1 opt
	kth_apt_dir=$dir
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/empty"
	[[ -f $dir/status ]] || : >"$dir/status"
	kth_sources "$suite" >"$dir/sources.list.new"
	if cmp -s "$dir/sources.list.new" "$dir/sources.list"; then
		rm -f "$dir/sources.list.new"
	else
		mv "$dir/sources.list.new" "$dir/sources.list"
		rm -f "$dir/updated"	# other mirrors: update again
	fi
	kth_apt_opts=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=$dir/empty"
		-o "Dir::Etc::Preferences=$dir/empty/none"
		-o "Dir::Etc::PreferencesParts=$dir/empty"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache"
		-o "Dir::Cache::pkgcache=pkgcache.bin" -o "Dir::Cache::srcpkgcache="
		-o "APT::Architecture=amd64" -o "APT::Architectures::=amd64"
		-o "Acquire::Languages=none" -o "Acquire::GzipIndexes=true"
		-o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
		-o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
	)
	opt=$(kth_suite_aptopts "$suite")
	[[ -z $opt ]] || kth_apt_opts+=(-o "Acquire::Check-Valid-Until=false")
	# As root, apt drops to _apt, which cannot write to this cache.
	[[ $(id -u) -ne 0 ]] || kth_apt_opts+=(-o "APT::Sandbox::User=root")
}

# Refresh SUITE's lists (kth_apt first) when missing, old, or FORCE is 1;
# false when there are no lists to read.
kth_apt_update() { # SUITE [FORCE]
	local suite=$1 force=${2:-0} dir=$kth_apt_dir stamp age start rc=0 why
	stamp=$dir/updated
	(
		flock 8
		age=$kth_apt_max_age
		[[ ! -f $stamp ]] || age=$(($(date +%s) - $(stat -c %Y "$stamp")))
		[[ $force -eq 1 || $age -ge $kth_apt_max_age ]] || exit 0
		start=$SECONDS
		log "apt: updating the $suite lists (${dir#"$kth_cache"/})..."
		# (apt-get update warns, and exits 0, when an index could not be fetched)
		if apt-get "${kth_apt_opts[@]}" -q update >"$dir/update.log" 2>&1 &&
		   ! grep -q -E '^(E: |W: Failed to fetch|W: Some index files failed)' "$dir/update.log"; then
			touch "$stamp"
			log "apt: $suite lists updated in $((SECONDS - start)) s"
			exit 0
		fi
		why=$(grep -m 1 -E '^(E|W): ' "$dir/update.log" || tail -n 1 "$dir/update.log")
		if [[ -f $stamp ]]; then
			log "apt: updating the $suite lists failed ($why); using those of $(date -d "@$(stat -c %Y "$stamp")" '+%F %R')"
			exit 0
		fi
		log "apt: updating the $suite lists failed: $why (log: $dir/update.log)"
		exit 1
	) 8>"$dir/.lock" || rc=$?
	return $rc
}

# PKG's field FIELD (candidate version), or nothing.
kth_apt_field() { # PKG FIELD
	{ apt-cache "${kth_apt_opts[@]}" show --no-all-versions "$1" 2>/dev/null || true; } |
		sed -n "s/^$2: //p" | sed -n 1p
}

kth_apt_known() { # PKG
	[[ -n $(kth_apt_field "$1" Version) ]]
}

# The names of the packages matching the regular expression RE, one a line.
kth_apt_names() { # RE
	{ apt-cache "${kth_apt_opts[@]}" pkgnames 2>/dev/null || true; } | { grep -E "$1" || true; }
}

# The packages named in PKG's Depends, one a line (first of alternatives).
kth_apt_depends() { # PKG
	kth_apt_field "$1" Depends | tr ',' '\n' |
		sed 's/|.*//; s/(.*//; s/^ *//; s/ *$//' | { grep -v '^$' || true; }
}

# Download PKG (the candidate version of SUITE's lists, kth_apt first)
# into DIR unless a .deb of that version is there; print the .deb's path.
kth_apt_download() { # PKG DIR
	local pkg=$1 dir=$2 version deb tmp start
	version=$(kth_apt_field "$pkg" Version)
	[[ -n $version ]] || { log "apt: $pkg is not in the lists"; return 1; }
	mkdir -p "$dir"
	# the file name: epoch dropped, as apt names it
	deb=$(find "$dir" -maxdepth 1 -name "${pkg}_${version#*:}_*.deb" -print -quit)
	if [[ -z $deb ]]; then
		start=$SECONDS
		tmp=$(mktemp -d "$dir/.download.XXXXXX")
		if (cd "$tmp" && apt-get "${kth_apt_opts[@]}" -q download "$pkg=$version" >/dev/null 2>"$tmp/err"); then
			deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
			log "apt: downloaded ${deb##*/} ($(du -k "$deb" | cut -f1) KiB, $((SECONDS - start)) s)"
			mv "$deb" "$dir/"
			deb=$dir/${deb##*/}
		else
			log "apt: apt-get download $pkg=$version failed: $(tail -n 1 "$tmp/err")"
			deb=
		fi
		rm -rf "$tmp"
		[[ -n $deb ]] || return 1
	fi
	printf '%s\n' "$deb"
}

# "PKG URI" for each PKG the lists have, one a line (one apt-get call).
kth_apt_uris() { # PKG...
	local names pkg known=()
	names=$(apt-cache "${kth_apt_opts[@]}" pkgnames 2>/dev/null) || names=
	for pkg in "$@"; do
		! grep -q -x -F -- "$pkg" <<<"$names" || known+=("$pkg")
	done
	[[ ${#known[@]} -gt 0 ]] || return 0
	{ apt-get "${kth_apt_opts[@]}" --print-uris download "${known[@]}" 2>/dev/null || true; } |
		sed -n "s/^'\([^']*\)' \([^_ ]*\)_.*/\2 \1/p"
}

# Whether URI is really on the mirror: a list can name a package whose
# file is gone (bullseye-security's linux-image-5.10.0-46-rt-amd64
# answers 404).  One HEAD request (curl, else wget), remembered in the apt
# state; a network error counts as there (the download will say).
kth_uri_on_mirror() { # URI
	local uri=$1 file=${1##*/} code memo=$kth_apt_dir/on-mirror
	touch "$memo"
	code=$(sed -n "s/^$file //p" "$memo" | sed -n 1p)
	if [[ -z $code ]]; then
		if command -v curl >/dev/null; then
			code=$(curl -s -o /dev/null -I -L -w '%{http_code}' --max-time 30 "$uri") || code=000
		elif command -v wget >/dev/null; then
			code=$(wget -q -S --spider --timeout=30 "$uri" 2>&1 |
			       sed -n 's/^ *HTTP\/[0-9.]* \([0-9]*\).*/\1/p' | tail -n 1)
		fi
		case ${code:-000} in
		200 | 404 | 410) echo "$file $code" >>"$memo" ;;
		esac
	fi
	case ${code:-000} in
	404 | 410) return 1 ;;
	esac
}

# The package holding KVER's vmlinuz, on the mirror: linux-binary-KVER
# (7.2's split packaging), linux-image-KVER or linux-image-KVER-unsigned.
# URIS: kth_apt_uris output covering them (else looked up here).
kth_image_package() { # KVER [URIS]
	local kver=$1 uris=${2:-} pkg uri
	[[ -n $uris ]] || uris=$(kth_apt_uris "linux-binary-$kver" "linux-image-$kver" "linux-image-$kver-unsigned")
	for pkg in "linux-binary-$kver" "linux-image-$kver" "linux-image-$kver-unsigned"; do
		uri=$(awk -v p="$pkg" '$1 == p { print $2; exit }' <<<"$uris")
		if [[ -n $uri ]] && kth_uri_on_mirror "$uri"; then
			echo "$pkg"
			return 0
		fi
	done
	return 1
}

# The kernel releases of SUITE's lists (kth_apt first) with headers whose
# ABI matches the regular expression ABIRE and whose flavour is FLAVOUR
# (amd64, rt-amd64), oldest first.
kth_kernel_releases() { # ABIRE FLAVOUR
	kth_apt_names '^linux-headers-[0-9]' |
		sed -n -E "s/^linux-headers-(($1)-$2)\$/\\1/p" | sort -V
}

# The newest of those whose headers and image are both on the mirror.
kth_newest_release() { # ABIRE FLAVOUR
	local rel rels uris uri pkgs=()
	rels=$(kth_kernel_releases "$1" "$2" | tac)
	for rel in $rels; do
		pkgs+=("linux-headers-$rel" "linux-binary-$rel" "linux-image-$rel" "linux-image-$rel-unsigned")
	done
	uris=$(kth_apt_uris "${pkgs[@]}")
	for rel in $rels; do
		uri=$(awk -v p="linux-headers-$rel" '$1 == p { print $2; exit }' <<<"$uris")
		if [[ -n $uri ]] && kth_uri_on_mirror "$uri" && kth_image_package "$rel" "$uris" >/dev/null; then
			echo "$rel"
			return 0
		fi
		log "apt: $rel: its headers or image are not on the mirror, trying an older one"
	done
	return 1
}

# The suite of KVER: from its name, else the first suite whose lists
# have linux-headers-KVER; fails with a message when none has.
kth_suite_of() { # KVER
	local kver=$1 suite
	suite=$(kth_suite_guess "$kver")
	if [[ -n $suite ]]; then
		echo "$suite"
		return 0
	fi
	for suite in "${kth_suites[@]}"; do
		kth_apt "$suite"
		kth_apt_update "$suite" || continue
		if kth_apt_known "linux-headers-$kver"; then
			echo "$suite"
			return 0
		fi
	done
	log "error: no Debian suite (${kth_suites[*]}) has linux-headers-$kver"
	return 1
}
