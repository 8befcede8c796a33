# SPDX-License-Identifier: GPL-2.0
#
# json-flat.awk - JSON on stdin, parsed strictly (a syntax error fails,
# exit 1), as one PATH=VALUE line per value: strings quoted (.name="x",
# [0].pid=5, .wait_hist[1][2]=3, an empty array PATH=[]); object keys in
# order.  kthctl --json's checks use it: the guest's (tests/guest/
# kthctl.sh, /lib/kth/json-flat.awk there) and the host's
# (tests/harness/kth-kthctl-check).  POSIX awk: busybox, mawk, gawk.

function fail(m) { printf "json: %s at %d\n", m, pos >"/dev/stderr"; exit 1 }
function ws() { while (substr(s, pos, 1) ~ /[ \t\n\r]/) pos++ }
function str(   r, c) {
	pos++
	for (;;) {
		c = substr(s, pos++, 1)
		if (c == "") fail("unterminated string")
		if (c == "\"") return r
		if (c == "\\") c = substr(s, pos++, 1)
		r = r c
	}
}
function value(path,   c, k, n) {
	ws(); c = substr(s, pos, 1)
	if (c == "{") {
		pos++; ws()
		if (substr(s, pos, 1) == "}") { pos++; return }
		for (;;) {
			ws(); if (substr(s, pos, 1) != "\"") fail("key expected")
			k = str(); ws()
			if (substr(s, pos++, 1) != ":") fail(": expected")
			value(path "." k); ws(); c = substr(s, pos++, 1)
			if (c == "}") return
			if (c != ",") fail(", or } expected")
		}
	}
	if (c == "[") {
		pos++; ws()
		if (substr(s, pos, 1) == "]") { pos++; print path "=[]"; return }
		for (n = 0; ; n++) {
			value(path "[" n "]"); ws(); c = substr(s, pos++, 1)
			if (c == "]") return
			if (c != ",") fail(", or ] expected")
		}
	}
	if (c == "\"") { print path "=\"" str() "\""; return }
	if (match(substr(s, pos), /^(-?[0-9]+(\.[0-9]+)?|null|true|false)/)) {
		print path "=" substr(s, pos, RLENGTH); pos += RLENGTH; return
	}
	fail("value expected")
}
{ s = s $0 "\n" }
END { pos = 1; value(""); ws(); if (pos <= length(s)) fail("text after the value") }
