#!/bin/sh
# The user-mode helper sink: environment, argv, sanitising, failures,
# rate limit, and a helper that never exits.
. /scenarios/lib.sh

T=kth_selftest
P=/sys/module/kth_selftest/parameters
D=$KTH_SYSFS/$T
mkdir -p /tmp/rec
cat >/tmp/kth-record <<'EOS'
#!/bin/sh
env | sort >/tmp/rec/$KTH_SEQ.env.tmp
echo "$0 $*" >/tmp/rec/$KTH_SEQ.argv
mv /tmp/rec/$KTH_SEQ.env.tmp /tmp/rec/$KTH_SEQ.env
EOS
printf '#!/bin/sh\necho $$ >/tmp/hang.pid\nexec sleep 100000\n' >/tmp/kth-hang
chmod +x /tmp/kth-record /tmp/kth-hang

kth_insmod kthelper && kth_insmod kth_selftest run_tests=0 helper=/tmp/kth-record ||
	{ not_ok load "insmod failed"; exit 1; }
check_eq helper-from-param /tmp/kth-record "$(sysfs_get $T helper)"

echo 'add 1 $(reboot);`id`|x&y>z"q' >$D/trigger
check helper-ran wait_for 10 [ -f /tmp/rec/1.env ]
env1=$(cat /tmp/rec/1.env 2>/dev/null)
has() { echo "$env1" | grep -qxF "$1"; }
check env-ACTION has "ACTION=add"
check env-KTH_EVENT has "KTH_EVENT=add"
check env-KTH_THREAD has "KTH_THREAD=$T"
check env-KTH_SEQ has "KTH_SEQ=1"
check env-HOME has "HOME=/"
check env-PATH has "PATH=/sbin:/bin:/usr/sbin:/usr/bin"
check env-note-sanitised has 'SELFTEST_NOTE=__reboot___id__x_y_z_q'
check env-timestamp sh -c "echo '$env1' | grep -qE '^SELFTEST_TIMESTAMP=[0-9]+$'"
check_eq argv-is-helper-and-event "/tmp/kth-record add" "$(cat /tmp/rec/1.argv 2>/dev/null)"
check_eq env-no-other-vars 8 "$(echo "$env1" | grep -cvE '^(PWD|SHLVL|_)=')"
check_eq helper_runs-counted 1 "$(sysfs_get $T helper_runs)"

# events in order, each exactly once
echo "change 5" >$D/trigger
all_six() { for i in 1 2 3 4 5 6; do [ -f /tmp/rec/$i.env ] || return 1; done; }
check helper-runs-for-each wait_for 10 all_six
seqs=$(ls /tmp/rec | sed -n 's/\.env$//p' | sort -n | tr '\n' ' ')
check_eq helper-each-seq-once "1 2 3 4 5 6 " "$seqs"

# a missing helper is counted as a failure
echo /nonexistent/helper >$D/helper
echo "add" >$D/trigger
check helper-failure-counted wait_for 10 attr_is $T helper_failures 1
check helper-failure-logged sh -c "dmesg | grep -q 'helper /nonexistent/helper failed to start: -2'"

# turned off: nothing runs
echo >$D/helper
echo "add" >$D/trigger
wait_for 10 attr_is $T handled 8
check_eq helper-off-no-run 6 "$(sysfs_get $T helper_runs)"

# a helper that never exits blocks neither the thread nor unload
echo /tmp/kth-hang >$D/helper
echo "add" >$D/trigger
check hanging-helper-started wait_for 10 [ -f /tmp/hang.pid ]
echo "add 3" >$D/trigger
check thread-not-blocked-by-helper wait_for 10 attr_is $T handled 12
check rmmod-with-helper-hanging timeout 20 rmmod kth_selftest
check hanging-helper-still-alive kill -0 "$(cat /tmp/hang.pid)"
kill "$(cat /tmp/hang.pid)" 2>/dev/null

# rate limit: a burst of 3, then 1 per second; the rest suppressed
rm -rf /tmp/rec; mkdir -p /tmp/rec
kth_insmod kth_selftest run_tests=0 helper=/tmp/kth-record helper_burst=3 helper_rate=1 ||
	not_ok load-ratelimited "insmod failed"
echo "add 20" >$D/trigger
check rate-limited-all-handled wait_for 10 attr_is $T handled 20
runs=$(sysfs_get $T helper_runs)
supp=$(sysfs_get $T helper_suppressed)
echo "# rate limit: $runs runs, $supp suppressed of 20"
check_eq runs-plus-suppressed 20 $((runs + supp))
check rate-limit-bounds sh -c "[ '$runs' -ge 3 ] && [ '$runs' -le 5 ]"
check rmmod kth_rmmod kth_selftest
check rmmod-kthelper kth_rmmod kthelper
