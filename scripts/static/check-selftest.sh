# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-selftest.sh - `scripts/kth-check --selftest`, sourced by it: each
# rule of scripts/static/coccinelle/ on its examples/RULE/: bad.c must be
# reported on exactly its lines marked "expected: RULE", good.c not at
# all; a directory of examples/ without its rule is a failure too.

run_selftest() {
	local rules rule r kind src name got want nwant missed extra d
	local -A known=()
	shopt -s nullglob
	rules=("$rulesdir"/*.cocci)
	shopt -u nullglob
	[[ ${#rules[@]} -gt 0 ]] || die "no rules in $rulesdir"
	ktap_note "kth-check --selftest: ${#rules[@]} kthelper rules against scripts/static/coccinelle/examples/"
	for rule in "${rules[@]}"; do
		r=$(basename "$rule" .cocci)
		known[$r]=1
		for kind in bad good; do
			src=$staticdir/$r/$kind.c
			name=rule.$r.$kind
			if [[ ! -f $src ]]; then
				ktap_report "not ok" "$name" "missing scripts/static/coccinelle/examples/$r/$kind.c"
				continue
			fi
			printf '%s\n' "$src" >"$work/groups.$r.$kind"
			run_spatch "$rule" "$work/groups.$r.$kind" "$work/out.$r.$kind"
			sed -i "s|^$topdir/||" "$work/out.$r.$kind"
			if [[ $(<"$work/out.$r.$kind.rc") != 0 ]]; then
				ktap_report "not ok" "$name" "spatch failed: $(head -c 200 "$work/out.$r.$kind.err" | tr '\n' ' ')"
				continue
			fi
			got=$(sed -n 's/^[^:]*:\([0-9]*\):.*/\1/p' "$work/out.$r.$kind" | sort -nu | tr '\n' ' ')
			want=$(grep -n "expected: $r\b" "$src" | cut -d: -f1 | sort -nu | tr '\n' ' ') || want=
			if [[ $kind == bad ]]; then
				nwant=$(wc -w <<<"$want")
				if [[ -z $want ]]; then
					ktap_report "not ok" "$name" "bad.c marks no line 'expected: $r'"
				elif [[ $got == "$want" ]]; then
					ktap_report ok "$name" "all $nwant marked lines flagged"
				else
					sort -t: -k2,2n -o "$work/out.$r.$kind" "$work/out.$r.$kind"
					missed=$(comm -23 <(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort) \
						<(tr ' ' '\n' <<<"$got" | sed '/^$/d' | sort) | sort -n | tr '\n' ' ')
					extra=$(comm -13 <(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort) \
						<(tr ' ' '\n' <<<"$got" | sed '/^$/d' | sort) | sort -n | tr '\n' ' ')
					missed=${missed% }
					extra=${extra% }
					ktap_report "not ok" "$name" "lines not flagged: ${missed:-none}; unmarked lines flagged: ${extra:-none}" "$work/out.$r.$kind"
				fi
			else
				if [[ -s $work/out.$r.$kind ]]; then
					ktap_report "not ok" "$name" "$(wc -l <"$work/out.$r.$kind") report(s) on the good example" "$work/out.$r.$kind"
				else
					ktap_report ok "$name"
				fi
			fi
		done
	done
	shopt -s nullglob
	for d in "$staticdir"/*/; do
		r=$(basename "$d")
		[[ -n ${known[$r]:-} ]] || ktap_report "not ok" "rule.$r.orphan" "scripts/static/coccinelle/examples/$r/ has no scripts/static/coccinelle/$r.cocci"
	done
	shopt -u nullglob
	finish
}
