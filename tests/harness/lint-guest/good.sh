#!/bin/sh
# kth-lint-guest --selftest: nothing here may be reported.
. /scenarios/lib.sh

n=4
check bounds sh -c "[ '$n' -ge 3 ] && [ '$n' -le 5 ]"
check either sh -c '[ "$1" -eq 3 ] || [ "$1" -eq 4 ]' sh "$n"
check escaped sh -c "awk '\$1 == \"x\" && \$2 > 0' /tmp/f | grep -q ."
check length-in-quotes sh -c "[ ${#n} -le 127 ]"
check then-another [ "$n" -ge 3 ]; [ -e /tmp/x ] && echo other
check commented [ "$n" -ge 3 ] # && is only in this comment
check_eq not-check "$n" 4 && echo not a check line
if check in-if [ -e /tmp/x ]; then
	:
fi
