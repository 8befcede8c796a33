# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# dkms-test-common.sh - what every part of tests/harness/kth-dkms-test uses,
# sourced by it: the KTH-RESULT lines (ok, not_ok, skip, check and its
# predicates), run_logged, the modules of a dkms.conf, the kernels with
# headers, sig_check (a module's signature against a certificate) and a
# kernel "build directory" whose make fails.  tests/harness/lib/
# dkms-test-*.sh are the parts of kth-dkms-test, one concern each; they use
# its variables and log()/die().

failures=0
ok() { echo "KTH-RESULT ok $1"; }
not_ok() {
	echo "KTH-RESULT not ok $1 # $(printf '%s' "$2" | tr '\n\t' '  ' | cut -c1-300)"
	failures=$((failures + 1))
}
skip() { echo "KTH-RESULT skip $1 # $2"; }
# Predicates for check.
equals() { [[ $1 == "$2" ]]; }
has_line() { grep -qE -- "$2" <<<"$1"; }	# TEXT ERE: a line of TEXT matches
lacks_line() { ! has_line "$@"; }
re() { sed 's/[][\\.^$*+?(){}|/]/\\&/g' <<<"$1"; }	# STRING as an ERE
# check NAME REASON CMD...: ok if CMD succeeds, else not ok with REASON.
check() {
	local name=$1 reason=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$reason"; fi
}

# The kernel releases whose headers are installed, one a line.
kernels_with_headers() {
	local dir
	for dir in /lib/modules/*/build/include; do
		[[ -d $dir ]] || continue
		dir=${dir%/build/include}
		echo "${dir##*/}"
	done
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
