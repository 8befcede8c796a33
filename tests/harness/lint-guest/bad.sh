#!/bin/sh
# kth-lint-guest --selftest: every line that ends in "# expected" must be
# reported, and no other.
. /scenarios/lib.sh

n=4
check bounds [ "$n" -ge 3 ] && [ "$n" -le 5 ] # expected
check either [ "$n" -eq 3 ] || [ "$n" -eq 4 ] # expected
	check indented-pipe kth_cmd | grep -q done # expected
if check in-if [ -e /tmp/x ] && [ -e /tmp/y ]; then # expected
	:
fi
check quoted-then-not sh -c "[ '$n' -ge 3 ]" && [ "$n" -le 5 ] # expected
