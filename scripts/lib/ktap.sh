# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# ktap.sh - KTAP results for kthelper's shell programs: the guest
# scenarios (busybox ash), the host harness and tiers (bash) and
# scripts/kth-check --ktap.  POSIX sh, modelled on the kernel's
# tools/testing/selftests/kselftest/ktap_helpers.sh; the format is
# Documentation/dev-tools/ktap.rst's, version 1.
#
#	. scripts/lib/ktap.sh
#	ktap_print_header
#	check thread-runs attr_is kth_template state running
#	check deb-built -m "no $deb" test -f "$deb"
#	ktap_finished
#
#   ktap_print_header       KTAP version 1
#   ktap_set_plan N         1..N (before the results; else ktap_finished
#                           prints the count at the end, as TAP allows)
#   ok NAME [COMMENT]       ok N NAME [# COMMENT]
#   not_ok NAME REASON...   not ok N NAME # REASON
#   skip NAME WHY...        ok N NAME # SKIP WHY
#   check NAME [-m WHY] CMD [ARG...]
#                           ok if CMD exits 0, else not ok with WHY, or
#                           with "failed (rc=N): CMD ARG..." without -m
#   check_eq NAME EXPECTED ACTUAL
#   ktap_result STATUS NAME [TEXT]
#                           ok, skip or (any other STATUS) not_ok
#   ktap_print_msg TEXT     # TEXT (a diagnostic line)
#   ktap_report STATUS NAME [REASON [FILE]]
#                           a host tool's result: ktap_result, then FILE's
#                           first 100 lines as diagnostics; with
#                           KTAP_PLAIN=1, a line for a person instead
#                           (ok, skip, FAILED with FILE's lines under it),
#                           counted and numbered all the same
#   ktap_note TEXT          ktap_print_msg, or with KTAP_PLAIN=1 TEXT
#   ktap_finished           the plan if none was set, "# Totals: ..." (the
#                           kselftest line); status 1 if any failed
#   ktap_summary            N passed, N failed[, N skipped]
#   ktap_subtest NAME       a subtest (one level deep): its lines indented
#                           four spaces more, its own count
#   ktap_subtest_end        its plan and totals, then its result in the
#                           parent: not ok if one of its results failed,
#                           ok # SKIP if all were skipped, else ok;
#                           KTAP_SUB_PASS, _FAIL and _SKIP keep its counts
#   ktap_relay PREFIX [WHY-PREFIX]
#                           the results of another KTAP document on stdin
#                           (a guest's console log: outside its
#                           KTH-DMESG-BEGIN/END dump) as results of this
#                           one, named PREFIX.NAME
#
# NAME is one word: blanks become dashes; KTAP_NAME_PREFIX goes before
# it.  A REASON is one line: newlines and tabs become spaces.
# KTAP_INDENT prefixes every line (four spaces: a subtest). KTAP_STATE
# names a file that keeps the count, so that results from subshells and
# pipelines (`... | while read ...; do ok ...`) are numbered in one
# sequence; tests/guest/init gives each scenario one.

KTAP_TESTNO=1
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KTAP_PLANNED=0
KTAP_INDENT=${KTAP_INDENT-}

_ktap_load() {
	[ -n "${KTAP_STATE:-}" ] && [ -s "$KTAP_STATE" ] || return 0
	read -r KTAP_TESTNO KTAP_CNT_PASS KTAP_CNT_FAIL KTAP_CNT_SKIP <"$KTAP_STATE"
}

_ktap_save() {
	[ -n "${KTAP_STATE:-}" ] || return 0
	echo "$KTAP_TESTNO $KTAP_CNT_PASS $KTAP_CNT_FAIL $KTAP_CNT_SKIP" >"$KTAP_STATE"
}

_ktap_word() {
	printf '%s' "$1" | tr ' \t\n#' '----'
}

# _ktap_line TEXT...: one line, at most 1000 characters.
_ktap_line() {
	printf '%s' "$*" | tr '\n\t' '  ' | cut -c1-1000
}

# _ktap_result RESULT NAME [DIRECTIVE]: one result line, numbered.
# echo, not printf: busybox ash's printf is stdio's, and a first use of
# stdout while it is the console makes it line-buffered for good, so a
# scenario's later `printf 'a\nb' >/sys/...` would reach the kernel as
# two writes (echo writes directly).  The text is never an echo option.
_ktap_result() {
	_ktap_load
	echo "$KTAP_INDENT$1 $KTAP_TESTNO ${KTAP_NAME_PREFIX-}$(_ktap_word "$2")${3:+ # $3}"
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	case $1 in
	ok) case ${3:-} in
	    SKIP*) KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1)) ;;
	    *) KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1)) ;;
	    esac ;;
	*) KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1)) ;;
	esac
	_ktap_save
}

ktap_print_header() {
	echo "${KTAP_INDENT}KTAP version 1"
}

ktap_set_plan() {
	KTAP_PLANNED=1
	echo "${KTAP_INDENT}1..$1"
}

ktap_print_msg() {
	echo "$KTAP_INDENT# $*"
}

# ok NAME [COMMENT]
ok() {
	_ktap_result ok "$1" "$(_ktap_line "${2:-}")"
}

# not_ok NAME REASON...
not_ok() {
	_kn=$1
	shift
	_ktap_result "not ok" "$_kn" "$(_ktap_line "$*")"
}

# skip NAME WHY...
skip() {
	_kn=$1
	shift
	_ktap_result ok "$_kn" "SKIP $(_ktap_line "$*")"
}

# check NAME [-m WHY] CMD [ARG...]: NAME and WHY stay in this call's own
# positional parameters ("NAME" "WHY" CMD...), which a CMD that checks
# too cannot change.
check() {
	if [ "${2:-}" = -m ]; then
		_kc_name=$1 _kc_why=$3
		shift 3
	else
		_kc_name=$1 _kc_why=
		shift
	fi
	set -- "$_kc_name" "$_kc_why" "$@"
	if _ktap_run "$@"; then
		ok "$1"
	else
		_kc_rc=$?
		not_ok "$1" "${2:-failed (rc=$_kc_rc): $(shift 2 && echo "$*")}"
	fi
}
# _ktap_run NAME WHY CMD [ARG...]: CMD's status
_ktap_run() {
	shift 2
	"$@"
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected '$2' got '$3'"
	fi
}

# ktap_result STATUS NAME [TEXT]
ktap_result() {
	case $1 in
	ok) ok "$2" "${3:-}" ;;
	skip) skip "$2" "${3:-}" ;;
	*) not_ok "$2" "${3:-}" ;;
	esac
}

# ktap_report STATUS NAME [REASON [FILE]]
ktap_report() {
	if [ "${KTAP_PLAIN:-0}" != 1 ]; then
		ktap_result "$1" "$2" "${3:-}"
		_ktap_file "${4:-}" "$KTAP_INDENT#   "
		return 0
	fi
	ktap_result "$1" "$2" "${3:-}" >/dev/null
	case $1 in
	ok) echo "  ok      $2${3:+ ($3)}" ;;
	skip) echo "  skip    $2 ($3)" ;;
	*) echo "  FAILED  $2: ${3:-}"
	   _ktap_file "${4:-}" '            ' ;;
	esac
}

# _ktap_file FILE PREFIX: FILE's first 100 lines, each after PREFIX
_ktap_file() {
	[ -n "$1" ] && [ -s "$1" ] || return 0
	head -n 100 "$1" | sed "s/^/$2/"
	_kf_n=$(wc -l <"$1")
	[ "$_kf_n" -le 100 ] || echo "$2... $((_kf_n - 100)) more"
}

# ktap_note TEXT...
ktap_note() {
	if [ "${KTAP_PLAIN:-0}" = 1 ]; then
		echo "$*"
	else
		ktap_print_msg "$*"
	fi
}

ktap_finished() {
	_ktap_load
	[ "$KTAP_PLANNED" = 1 ] || echo "${KTAP_INDENT}1..$((KTAP_TESTNO - 1))"
	echo "$KTAP_INDENT# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
	[ "$KTAP_CNT_FAIL" -eq 0 ]
}

ktap_subtest() {
	_ktap_load
	_kp_name=$1 _kp_state=${KTAP_STATE:-} _kp_planned=$KTAP_PLANNED
	_kp_no=$KTAP_TESTNO _kp_pass=$KTAP_CNT_PASS _kp_fail=$KTAP_CNT_FAIL _kp_skip=$KTAP_CNT_SKIP
	KTAP_STATE='' KTAP_PLANNED=0 KTAP_TESTNO=1 KTAP_CNT_PASS=0 KTAP_CNT_FAIL=0 KTAP_CNT_SKIP=0
	KTAP_INDENT="$KTAP_INDENT    "
	ktap_print_header
	ktap_print_msg "Subtest: $1"
}

ktap_subtest_end() {
	KTAP_SUB_PASS=$KTAP_CNT_PASS KTAP_SUB_FAIL=$KTAP_CNT_FAIL KTAP_SUB_SKIP=$KTAP_CNT_SKIP
	ktap_finished || :
	KTAP_INDENT=${KTAP_INDENT%    }
	KTAP_STATE=$_kp_state KTAP_PLANNED=$_kp_planned
	KTAP_TESTNO=$_kp_no KTAP_CNT_PASS=$_kp_pass KTAP_CNT_FAIL=$_kp_fail KTAP_CNT_SKIP=$_kp_skip
	_ktap_save
	if [ "$KTAP_SUB_FAIL" -gt 0 ]; then
		not_ok "$_kp_name" "$KTAP_SUB_FAIL of its $((KTAP_SUB_PASS + KTAP_SUB_FAIL + KTAP_SUB_SKIP)) failed"
	elif [ "$KTAP_SUB_PASS" -eq 0 ] && [ "$KTAP_SUB_SKIP" -gt 0 ]; then
		skip "$_kp_name" "every check skipped"
	else
		ok "$_kp_name"
	fi
}

ktap_summary() {
	_ktap_load
	_ks_line="$KTAP_CNT_PASS passed, $KTAP_CNT_FAIL failed"
	[ "$KTAP_CNT_SKIP" -eq 0 ] || _ks_line="$_ks_line, $KTAP_CNT_SKIP skipped"
	echo "$_ks_line"
}

ktap_relay() {
	_kr_prefix=$1
	_kr_why=${2:+$2: }
	_kr_in=0
	while IFS= read -r _kr_line; do
		case $_kr_line in
		*KTH-DMESG-BEGIN*) _kr_in=1; continue ;;
		*KTH-DMESG-END*) _kr_in=0; continue ;;
		"ok "[0-9]* | "not ok "[0-9]*) [ "$_kr_in" = 0 ] || continue ;;
		*) continue ;;
		esac
		_kr_dir=
		case $_kr_line in *" # "*) _kr_dir=${_kr_line#*" # "} ;; esac
		_kr_res=${_kr_line%%" # "*}
		_kr_name=${_kr_res#*ok }	# "N NAME"
		_kr_name=${_kr_name#* }
		case $_kr_res:$_kr_dir in
		"not ok "*) not_ok "$_kr_prefix.$_kr_name" "$_kr_why$_kr_dir" ;;
		*:SKIP*) _kr_dir=${_kr_dir#SKIP}; skip "$_kr_prefix.$_kr_name" "${_kr_dir# }" ;;
		*) ok "$_kr_prefix.$_kr_name" ;;
		esac
	done
}
