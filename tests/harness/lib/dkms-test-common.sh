# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-common.sh - what every part of tests/harness/kth-dkms-test uses,
# sourced by it: its KTAP results (scripts/lib/ktap.sh: ok, not_ok, skip,
# check NAME -m WHY CMD..., one count across its parts; and check's
# predicates), failed (a check failed so far), run_logged, the modules
# of a dkms.conf, the kernels with headers, sig_check (a module's signature against a certificate) and a
# kernel "build directory" whose make fails.  tests/harness/lib/
# dkms-test-*.sh are the parts of kth-dkms-test, one concern each; they use
# its variables and log()/die().

# shellcheck source=scripts/lib/ktap.sh
. "$topdir/scripts/lib/ktap.sh"
# The parts that run as processes of their own (unshare "$0" --in-...)
# number their results on from the same count.
# ktap_begin: the KTAP header, and the count's file, unless this process
# is such a part (the file is in its environment).
ktap_top=0
ktap_begin() {
	[[ -z ${KTAP_STATE:-} ]] || return 0
	KTAP_STATE=$(mktemp "${TMPDIR:-/tmp}/kth-dkms-ktap.XXXXXX")
	export KTAP_STATE
	trap 'rm -f "$KTAP_STATE"' EXIT
	ktap_print_header
	ktap_top=1
}
# failed: some check failed so far (in any part)
failed() { _ktap_load; [[ $KTAP_CNT_FAIL -gt 0 ]]; }
# finish: a part's end: false if a check failed; the process that began
# the count prints the plan and the totals too
finish() {
	if [[ $ktap_top -eq 1 ]]; then ktap_finished; else ! failed; fi
}
# Predicates for check.
equals() { [[ $1 == "$2" ]]; }
has_line() { grep -qE -- "$2" <<<"$1"; }	# TEXT ERE: a line of TEXT matches
lacks_line() { ! has_line "$@"; }
re() { sed 's/[][\\.^$*+?(){}|/]/\\&/g' <<<"$1"; }	# STRING as an ERE

# The kernel releases whose headers are installed where KVER's modules
# build (this machine, or KVER's root: $inroot), one a line.
kernels_with_headers() {
	# shellcheck disable=SC2016 # expanded by the sh it is given to
	"${inroot[@]}" sh -c 'for dir in /lib/modules/*/build/include; do
		[ -d "$dir" ] || continue
		dir=${dir%/build/include}
		echo "${dir##*/}"
	done'
}

# kernel_in_tree TREE KVER: TREE/KVER, a private DKMS install tree's
# directory for KVER, with the link to KVER's headers /lib/modules/KVER
# has (dkms 3.2 looks for them at INSTALLTREE/KVER/build; 2.8 and 3.0 at
# /lib/modules/KVER/build).
kernel_in_tree() {
	mkdir -p "$1/$2"
	ln -sfn "/lib/modules/$2/build" "$1/$2/build"
}

# status_line VERSION KVER: the line `dkms status` prints when VERSION is
# installed for KVER, as the dkms in use writes it (2.x: "kthelper, V,
# KVER, ARCH: installed"; 3.x: "kthelper/V, KVER, ARCH: installed").
status_line() {
	if [[ $dkms_major -lt 3 ]]; then
		echo "kthelper, $1, $2, $(uname -m): installed"
	else
		echo "kthelper/$1, $2, $(uname -m): installed"
	fi
}

# module_file DIR NAME: DIR/NAME.ko as DKMS installed it, compressed or
# not (dkms compresses like the kernel's own modules where it finds them
# compressed); DIR/NAME.ko when there is none.
module_file() {
	local f
	for f in "$1/$2.ko" "$1/$2.ko.xz" "$1/$2.ko.zst" "$1/$2.ko.gz"; do
		[[ ! -f $f ]] || { echo "$f"; return 0; }
	done
	echo "$1/$2.ko"
}

# plain_ko KO: KO, or an uncompressed copy of it in $work/plain (for the
# signature check and the initramfs, which take a plain .ko).
plain_ko() {
	local ko=$1 out
	out=$work/plain/${ko##*/}
	out=${out%.ko*}.ko
	case $ko in
	*.ko.xz) mkdir -p "$work/plain"; xz -dc "$ko" >"$out" ;;
	*.ko.zst) mkdir -p "$work/plain"; zstd -qdc "$ko" >"$out" ;;
	*.ko.gz) mkdir -p "$work/plain"; gzip -dc "$ko" >"$out" ;;
	*) out=$ko ;;
	esac
	echo "$out"
}

# signed_check NAME KO CERT: NAME ok when KO (compressed or not) is signed
# with CERT; a skip where the dkms in use does not sign (2.x: no
# mok_signing_key, only a sign_tool the machine's owner sets).
signed_check() {
	local out
	if [[ $dkms_major -lt 3 ]]; then
		skip "$1" "dkms $dkms_version signs no module itself (only a sign_tool set in its framework.conf would; DKMS's own key, mok_signing_key, came in the 3.0 series)"
	elif out=$(sig_check "$(plain_ko "$2")" "$3"); then
		ok "$1"
	else
		not_ok "$1" "$out"
	fi
}

# run_logged LOG CMD...: CMD's output into $logs/LOG.log.
run_logged() {
	local name=$1
	shift
	"$@" >"$logs/$name.log" 2>&1
}

# The modules the dkms.conf on stdin installs, one name a line.
conf_modules() {
	sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"/\1/p'
}

# sig_check KO CERT: KO carries a PKCS#7 signature that CERT (DER) verifies,
# and modinfo names CERT's subject as its signer.  Prints why not.
sig_check() {
	local ko=$1 cert=$2 tmp size siglen cn signer rc=0
	cn=$(openssl x509 -inform DER -in "$cert" -noout -subject -nameopt RFC2253 2>/dev/null |
		sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p')
	signer=$(modinfo -F signer "$ko" 2>/dev/null)
	if [[ -z $cn || $signer != "$cn" ]]; then
		echo "modinfo -F signer says '$signer', the certificate $cert is '$cn'"
		return 1
	fi
	if [[ $(tail -c 28 "$ko") != "~Module signature appended~" ]]; then
		echo "no module signature trailer"
		return 1
	fi
	# ... | PKCS#7 | struct module_signature (sig_len: last 4 of 12 bytes,
	# big endian) | "~Module signature appended~\n"
	size=$(stat -c %s "$ko")
	siglen=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 |
		awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	tmp=$(mktemp -d)
	head -c $((size - 40 - siglen)) "$ko" >"$tmp/body"
	tail -c $((siglen + 40)) "$ko" | head -c "$siglen" >"$tmp/sig"
	if ! openssl x509 -inform DER -in "$cert" -out "$tmp/cert.pem" 2>/dev/null ||
		! openssl smime -verify -binary -inform DER -in "$tmp/sig" \
			-content "$tmp/body" -certfile "$tmp/cert.pem" -nointern \
			-noverify -out /dev/null >/dev/null 2>&1; then
		echo "the signature does not verify with $cert"
		rc=1
	fi
	rm -rf "$tmp"
	return "$rc"
}

# A kernel "build directory" whose make fails, for the broken-build checks.
broken_makefile() {
	printf '%s\n' 'modules clean:' \
		'	@echo "kthelper test: these kernel headers are broken on purpose" >&2; exit 1'
}
