# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tier-record.sh - the record of a long tier's run, sourced by the tiers
# that take hours (kth-check-debug, kth-check-matrix): what ran, at which
# commit, when, its summary and its wall time, kept in
# ${KTH_CACHE:-~/.cache/kthelper}/tier-runs/ (outside any work tree, so a
# run from another clone or worktree of the project counts too), one file
# per kind of run, replaced by the next run of that kind.
# tests/tiers/kth-results puts the records on Documentation/results.rst.
# Needs $topdir.

# tier_record KEY WHAT SUMMARY SECONDS: KEY names the file (a run of the
# same KEY replaces it), WHAT is the command line a person would type.
tier_record() {
	local dir=${KTH_CACHE:-$HOME/.cache/kthelper}/tier-runs top=${topdir:?} commit
	commit=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
	[[ -z $(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null) ]] ||
		commit+=-dirty
	if mkdir -p "$dir" &&
	   printf 'what=%s\ncommit=%s\ndate=%s\nsummary=%s\nseconds=%d\nmachine=%s\n' \
		"$2" "$commit" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$3" "$4" \
		"$(nproc) CPUs, $(uname -m)" >"$dir/$1.info.tmp" &&
	   mv "$dir/$1.info.tmp" "$dir/$1.info"; then
		log "the run's record: $dir/$1.info (make results puts it on the results page)"
	else
		warn "cannot keep the run's record in $dir"
	fi
}
