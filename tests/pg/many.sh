#!/bin/sh
# PROCS engine processes × OPS operations on the same cases of one
# PostgreSQL store (tests/pg/many.c), then the check that nothing was lost,
# duplicated or approved twice.  With `restart`, the server is restarted
# once a third of the operations are done: the engines must answer with a
# clear error while it is away and go on, without being restarted, once it
# is back.  With `chains`, they race on chains and their item cases instead
# (RULES: tests/data/chain/trips.rules), and the check adds that every chain
# is in step with its items.
#   many.sh MANY SERVER_SH PG_DIR RULES PROCS OPS [restart|chains]
# PROCS and OPS may be overridden by OT_PG_PROCS and OT_PG_OPS.
set -u
many=$1
server=$2
dir=$3
rules=$4
procs=${OT_PG_PROCS:-$5}
ops=${OT_PG_OPS:-$6}
mode=${7:-}
run=run verify=verify
[ "$mode" = chains ] && run=chains-run verify=chains-verify
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
uri="$(sh "$server" uri "$dir")&schema=many_$$"

start=$(date +%s)
# the event feed, followed from its start while the engines write
"$many" follow "$rules" "$uri" "$tmp/stop" >"$tmp/feed" 2>"$tmp/err.follow" &
follower=$!
pids=""
for w in $(seq 1 "$procs"); do
	"$many" "$run" "$rules" "$uri" "$w" "$ops" >"$tmp/acks.$w" 2>"$tmp/err.$w" &
	pids="$pids $!"
done
if [ "$mode" = restart ]; then
	want=$((procs * ops / 3))
	while [ "$(cat "$tmp"/acks.* | wc -l)" -lt "$want" ]; do
		alive=0
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break # they failed: reported below
		sleep 0.1
	done
	before=$(cat "$tmp"/acks.* | wc -l)
	sh "$server" restart "$dir" || { echo "FAIL: the server did not restart"; exit 1; }
	echo "many: restarted PostgreSQL after $before acknowledged operations"
fi
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
: >"$tmp/stop"
wait "$follower" || { echo "FAIL: following the event feed:"; cat "$tmp/err.follow"; exit 1; }
cat "$tmp"/err.[0-9]* | grep -v '^many: [a-z]*: ' | sed 's/^/  /'
echo "many: $procs processes × $ops operations in $(($(date +%s) - start)) s"
if [ "$fails" -ne 0 ]; then
	echo "FAIL: $fails engine processes failed:"
	cat "$tmp"/err.*
	exit 1
fi
cat "$tmp"/acks.* >"$tmp/acks"
cp "$tmp/feed" "$tmp/acks.feed"
if [ "$mode" = restart ]; then
	outages=$(cat "$tmp"/err.* | grep -c '^many: [a-z]*: .*\(connection\|reach\)')
	after=$(wc -l <"$tmp/acks")
	echo "many: $outages operations failed while the server was away, for example:"
	cat "$tmp"/err.* | grep -m 2 '^many: [a-z]*: ' | sed 's/^/  /'
	[ "$outages" -gt 0 ] || { echo "FAIL: no operation noticed the restart"; exit 1; }
	[ "$after" -gt "$((before + procs * 10))" ] ||
		{ echo "FAIL: the engines did not go on after the restart"; exit 1; }
fi
"$many" "$verify" "$rules" "$uri" "$tmp/acks" || { echo "FAIL: see above"; exit 1; }
