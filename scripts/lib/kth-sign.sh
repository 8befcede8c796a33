# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kth-sign.sh - the operator's module signing key and certificate, as
# scripts/kth-deb-modules takes them: checked before anything is built,
# and the certificate's facts.  Sourced; the caller has log and die and
# runs under `set -euo pipefail`.
#
# The key is a private key in PEM (what sign-file reads; a passphrase is
# taken from KBUILD_SIGN_PIN, as the kernel's build does), the certificate
# X.509 in PEM or DER.  They must be given together and belong together:
# a module signed with a key whose certificate is not the one enrolled is
# refused by the kernel as surely as an unsigned one.

# kth_sign_check KEY CERT: die, saying what is wrong, unless both or
# neither are given, each is readable and what it claims to be, and the
# certificate's public key is the key's.  Prints nothing.
kth_sign_check() { # KEY CERT
	local key=$1 cert=$2 kpub cpub
	[[ -z $key && -z $cert ]] && return 0
	[[ -n $cert ]] || die "SIGN_KEY=$key is given without SIGN_CERT: sign-file needs the certificate too (it names the signer in each module, and the package ships it for enrolment)"
	[[ -n $key ]] || die "SIGN_CERT=$cert is given without SIGN_KEY: signing needs the private key that belongs to it"
	[[ -r $key ]] || die "cannot read the signing key $key"
	[[ -r $cert ]] || die "cannot read the signing certificate $cert"
	kpub=$(openssl pkey -in "$key" -pubout ${KBUILD_SIGN_PIN:+-passin env:KBUILD_SIGN_PIN} </dev/null 2>/dev/null) ||
		die "$key is not a private key in PEM that openssl can read (with KBUILD_SIGN_PIN when it has a passphrase)"
	cpub=$(kth_sign_x509 "$cert" -pubkey -noout) ||
		die "$cert is not an X.509 certificate (PEM or DER)"
	[[ $kpub == "$cpub" ]] ||
		die "the key $key does not match the certificate $cert (their public keys differ): modules signed with it would not verify against the certificate"
}

# kth_sign_x509 CERT OPTION...: `openssl x509 OPTION...` on CERT, PEM or DER.
kth_sign_x509() { # CERT OPTION...
	local cert=$1
	shift
	openssl x509 -in "$cert" "$@" 2>/dev/null ||
		openssl x509 -inform DER -in "$cert" "$@" 2>/dev/null
}

# kth_sign_cn CERT: the certificate's subject CN (what `modinfo -F signer`
# shows), else its whole subject.
kth_sign_cn() { # CERT
	local subject
	subject=$(kth_sign_x509 "$1" -noout -subject -nameopt RFC2253) || return 1
	subject=${subject#subject=}
	if [[ $subject =~ (^|,)CN=(([^,\\]|\\.)*) ]]; then
		printf '%s\n' "${BASH_REMATCH[2]}"
	else
		printf '%s\n' "$subject"
	fi
}

# kth_sign_der CERT OUT: write CERT in DER (what mokutil --import takes).
kth_sign_der() { # CERT OUT
	kth_sign_x509 "$1" -outform DER -out "$2"
}
