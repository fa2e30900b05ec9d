#!/bin/sh
# A store backed up with pg_dump and restored into another, new PostgreSQL
# server (deploy.md, "Backups"): it checks sound there, its event feed gives
# every event it had, and a reader that had followed the feed up to the
# backup, or beyond it on the old server, goes on from its cursor and gets
# the events written since the restore -- though the new server's
# transaction ids are far behind the old one's, which placed the events
# (store_pg.c, schema_v8).
#   restore.sh MANY ONETRIP SERVER_SH PG_DIR RULES
set -u
many=$1
bin=$2
server=$3
dir=$4
rules=$5
other=$dir-restored
back=$dir-recovered
tmp=$(mktemp -d) || exit 1
trap 'sh "$server" stop "$other" >/dev/null 2>&1; sh "$server" stop "$back" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
schema=restore_$$
a="$(sh "$server" uri "$dir")"
b="$(sh "$server" uri "$other")"
fails=0
fail() {
	echo "FAIL: $1"
	fails=$((fails + 1))
}
events() { grep -c '^EV ' "$1"; }
cursor() { sed -n 's/^NEXT //p' "$1"; }

"$many" run "$rules" "$a&schema=$schema" 1 300 >"$tmp/acks.a" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
# the old server's transactions far ahead of those of a server just made
psql -X -q -v ON_ERROR_STOP=1 "$a" -c 'DO $$ BEGIN FOR i IN 1..3000 LOOP
	PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$' || exit 1
"$many" feed "$rules" "$a&schema=$schema" 0 >"$tmp/feed.a" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
had=$(events "$tmp/feed.a")
seen=$(cursor "$tmp/feed.a")
[ "$had" -eq "$(grep -c '^ACK ' "$tmp/acks.a")" ] || fail "the feed on the first server gave $had events"

pg_dump -Fc -n "$schema" -f "$tmp/dump" "$a" || exit 1
dumped=$(psql -X -A -t "$a" -c "SELECT max(recorded) >> 23 FROM $schema.events")
# a second reader follows the old server beyond the backup, then it is
# lost; its last events far beyond (a busy day)
psql -X -q -v ON_ERROR_STOP=1 "$a" -c 'DO $$ BEGIN FOR i IN 1..40000 LOOP
	PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$' || exit 1
"$many" run "$rules" "$a&schema=$schema" 3 50 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
"$many" feed "$rules" "$a&schema=$schema" "$seen" >"$tmp/feed.lost" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
beyond=$(cursor "$tmp/feed.lost")
[ "$(events "$tmp/feed.lost")" -eq 50 ] || fail "the feed gave $(events "$tmp/feed.lost") events of 50 after the backup"
sh "$server" start "$other" || exit 1
pg_restore -d "$b" "$tmp/dump" || exit 1
"$bin" store check "$b&schema=$schema" >"$tmp/out" 2>&1 || fail "store check: $(cat "$tmp/out")"

"$many" feed "$rules" "$b&schema=$schema" 0 >"$tmp/feed.b0" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(events "$tmp/feed.b0")" -eq "$had" ] ||
	fail "restored, the feed gives $(events "$tmp/feed.b0") of its $had events"
"$many" run "$rules" "$b&schema=$schema" 2 100 >"$tmp/acks.b" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
acked=$(grep -c '^ACK ' "$tmp/acks.b")
"$many" feed "$rules" "$b&schema=$schema" "$seen" >"$tmp/feed.b" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(events "$tmp/feed.b")" -eq "$acked" ] ||
	fail "after the reader's cursor $seen the feed gives $(events "$tmp/feed.b") events, $acked written since the restore"
# the second reader's cursor is beyond the restored events: it gets the new ones all the same
"$many" feed "$rules" "$b&schema=$schema" "$beyond" >"$tmp/feed.beyond" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(events "$tmp/feed.beyond")" -eq "$acked" ] ||
	fail "after a cursor beyond the backup the feed gives $(events "$tmp/feed.beyond") events, $acked written since the restore"
grep '^EV ' "$tmp/feed.a" | sort >"$tmp/old"
grep '^EV ' "$tmp/feed.b" | sort >"$tmp/new"
[ -z "$(comm -12 "$tmp/old" "$tmp/new")" ] || fail "the feed gives again events the reader had"
"$many" feed "$rules" "$b&schema=$schema" 0 >"$tmp/feed.all" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(events "$tmp/feed.all")" -eq $((had + acked)) ] &&
	[ "$(grep '^EV ' "$tmp/feed.all" | sort -u | wc -l)" -eq $((had + acked)) ] ||
	fail "from its start the feed gives $(events "$tmp/feed.all") events, not the $had restored and $acked new once each"
"$bin" store check "$b&schema=$schema" >"$tmp/out" 2>&1 || fail "store check at the end: $(cat "$tmp/out")"

# the same dump restored onto a busy server, whose transaction ids are past
# the backup's last event (but not past the reader beyond it)
sh "$server" advance "$other" $(((dumped / 32768 + 1) * 32768)) || exit 1
b2=$(echo "$b" | sed 's|/onetrip?|/onetrip2?|')
psql -X -q "$b" -c 'CREATE DATABASE onetrip2' || exit 1
pg_restore -d "$b2" "$tmp/dump" || exit 1
"$many" run "$rules" "$b2&schema=$schema" 2 40 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
"$many" feed "$rules" "$b2&schema=$schema" "$beyond" >"$tmp/feed.busy" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(events "$tmp/feed.busy")" -eq 40 ] ||
	fail "restored onto a busy server, after a cursor beyond the backup the feed gives $(events "$tmp/feed.busy") of 40 new events"

# a base backup of the second server, recovered after that server went on
# (a point in time recovered, an asynchronous standby promoted: the same
# server, its transaction ids going on from the backup's, on a new timeline)
sh "$server" backup "$other" "$back" || exit 1
"$many" run "$rules" "$b&schema=$schema" 2 30 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
"$many" feed "$rules" "$b&schema=$schema" "$seen" >"$tmp/feed.gone" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
gone=$(cursor "$tmp/feed.gone")
sh "$server" stop "$other" || exit 1
sh "$server" recover "$back" || exit 1
c="$(sh "$server" uri "$back")"
"$many" run "$rules" "$c&schema=$schema" 2 20 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
"$many" feed "$rules" "$c&schema=$schema" "$gone" >"$tmp/feed.pitr" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(events "$tmp/feed.pitr")" -eq 20 ] ||
	fail "recovered from a base backup, after a cursor beyond it the feed gives $(events "$tmp/feed.pitr") of 20 new events"
"$bin" store check "$c&schema=$schema" >"$tmp/out" 2>&1 || fail "store check, recovered: $(cat "$tmp/out")"

psql -X -q "$a" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
[ "$fails" -eq 0 ] || exit 1
echo "restore: $had events restored into a new server, $acked written there; onto a busy server; from a base backup on a new timeline: the feed gave each once, in order for the reader"
