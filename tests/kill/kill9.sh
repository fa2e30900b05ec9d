#!/bin/sh
# kill -9 at random moments: a workload process runs case operations on a
# store file and prints each one the engine acknowledged; it is killed
# with SIGKILL after a random 20-250 ms (while opening the store, in the
# middle of a transaction, between two), and started again, until a few
# thousand operations were acknowledged.  Then every acknowledged operation
# must be in the store, at most one more per kill (done, killed before it
# was acknowledged), and `onetrip store check` must find the store sound.
#   kill9.sh WORKLOAD ONETRIP SOURCE_DIR
set -u
work=$1
bin=$2
src=$3
rules=$src/tests/contract/rules/contract.rules
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
db=$tmp/store.db
: >"$tmp/acks"

want_acks=3000 # and at least 60 kills; at most 45 s of it
kills=0
start=$(date +%s)
while :; do
	"$work" run "$rules" "$db" >>"$tmp/acks" 2>>"$tmp/err" &
	pid=$!
	sleep "$(awk -v s="$kills" 'BEGIN { srand(s + 1); printf "%.3f", 0.02 + rand() * 0.23 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	status=$?
	if [ "$status" -ne 137 ]; then
		echo "FAIL: the workload stopped by itself (exit $status) before kill $((kills + 1))"
		cat "$tmp/err"
		exit 1
	fi
	kills=$((kills + 1))
	acks=$(wc -l <"$tmp/acks")
	elapsed=$(($(date +%s) - start))
	if [ "$acks" -ge "$want_acks" ] && [ "$kills" -ge 60 ]; then
		break
	fi
	if [ "$elapsed" -ge 45 ]; then
		break
	fi
done
echo "kill9: $kills kills in ${elapsed}s"
if [ "$acks" -lt 1000 ]; then
	echo "FAIL: only $acks operations acknowledged in 45 s (the disk is too slow for this test)"
	exit 1
fi
"$work" verify "$rules" "$db" "$tmp/acks" "$kills" || {
	echo "FAIL: kill -9 lost or half-did an operation"
	exit 1
}
"$bin" store check "$db" || {
	echo "FAIL: onetrip store check after kill -9"
	exit 1
}
echo "kill9: all passed"
