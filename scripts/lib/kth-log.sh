# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# kth-log.sh - log, die and usage errors for kthelper's shell programs,
# sourced by each (POSIX sh: bash programs and sh ones alike).  A program
# shipped on its own (DKMS hooks, kth-journal, kth-kernel-cc, the
# template's scripts that kth-new-driver copies into a driver's tree)
# keeps its own few lines instead.
#
#   log MESSAGE...    MESSAGE on stderr after $kth_log_prefix ("[kth] ")
#   warn MESSAGE...   log "warning: MESSAGE"
#   die MESSAGE...    log "error: MESSAGE", exit $kth_die_status (1)
#   usage_error [MESSAGE...]
#                     a usage error: MESSAGE logged, then the program's
#                     synopsis on stderr, exit 2
#
# The program defines usage(): its help, from a here-doc, on stdout
# (`-h|--help) usage; exit 0 ;;`).  The synopsis is that help's paragraph
# that starts with "usage:", else its first paragraph.  A program sets
# kth_log_prefix and kth_die_status after sourcing this file.

kth_log_prefix='[kth] '
kth_die_status=1

log() { printf '%s%s\n' "$kth_log_prefix" "$*" >&2; }
warn() { log "warning: $*"; }

die() {
	log "error: $*"
	exit "$kth_die_status"
}

# shellcheck disable=SC2120 # MESSAGE is optional
usage_error() {
	[ $# -eq 0 ] || log "$*"
	usage | awk 'BEGIN { RS = "" } NR == 1 { first = $0 }
		/^usage:/ { print; found = 1; exit }
		END { if (!found) print first }' >&2
	exit 2
}
