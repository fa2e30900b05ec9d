#!/bin/sh
# `onetrip store copy` both ways: a SQLite store with cases at every stage,
# two rule versions and imported licences, copied to PostgreSQL and back;
# every case shows the same in all three stores, the licences too, and a
# store that is not empty is refused as a target.
#   copy.sh ONETRIP MANY SERVER_SH PG_DIR SOURCE_DIR
set -u
bin=$1
many=$2
server=$3
dir=$4
src=$5
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
rules=$src/tests/contract/rules/contract.rules
pg="$(sh "$server" uri "$dir")&schema=copy_$$"
fails=0
fail() {
	echo "FAIL: $1"
	fails=$((fails + 1))
}

"$many" run "$rules" "$tmp/a.db" 1 400 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
printf '[{"holder":"91350100M000100Y43","material":"business_licence","number":"210300000012345","issuer":"x","valid_from":"2020-03-01"},
{"holder":"91350100M000100Y43","material":"business_licence","number":"210300000099999","issuer":"y","valid_from":"2010-03-01","valid_until":"2020-02-29"}]' >"$tmp/lic.json"
"$bin" licences import --db "$tmp/a.db" --rules "$src/tests/providers/rules" "$tmp/lic.json" \
	>/dev/null || fail "licences import"

"$bin" store copy "$tmp/a.db" "$pg" >"$tmp/out" 2>&1 || fail "copy to PostgreSQL: $(cat "$tmp/out")"
cat "$tmp/out"
grep -q "2 rule versions, [0-9]* cases, 400 events, [0-9]* library entries, 2 licences, 1 case counter; verified" "$tmp/out" ||
	fail "the copy to PostgreSQL counts what it copied"
cases=$(sed -n 's/.* \([0-9]*\) cases,.*/\1/p' "$tmp/out")
# docs/engine.md §9.4 shows this copy's answer (the workload is the same
# every time), with its own paths
doc=$(sed -n '/^\$ onetrip store copy var\/onetrip.db/{n;p;}' "$src/docs/engine.md")
out=$(cat "$tmp/out")
[ -n "$doc" ] && [ "${doc#copied var/onetrip.db to *schema=lishan: }" = "${out#"copied $tmp/a.db to $pg: "}" ] ||
	fail "the copy answers as docs/engine.md §9.4 shows: '$doc'"
"$bin" store copy "$tmp/a.db" "$pg" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "is not empty" "$tmp/out" || fail "a second copy into the same store: $(cat "$tmp/out")"
# two copies into one new store at once: one is done, the other is told
# the store is not empty (not the server's duplicate key of a row the
# first wrote)
pg2="$(sh "$server" uri "$dir")&schema=copy2_$$"
"$bin" store copy "$tmp/a.db" "$pg2" >"$tmp/c1" 2>&1 &
"$bin" store copy "$tmp/a.db" "$pg2" >"$tmp/c2" 2>&1
r2=$?
wait $!
r1=$?
[ "$r1$r2" = 02 ] || [ "$r1$r2" = 20 ] || fail "two copies at once: exits $r1 and $r2"
cat "$tmp/c1" "$tmp/c2" | grep -q "is not empty" || fail "two copies at once: $(cat "$tmp/c1" "$tmp/c2")"
# a database that holds other tables is nobody's target, and stays as it was
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("CREATE TABLE payroll(x)")' "$tmp/f.db"
"$bin" store copy "$tmp/a.db" "$tmp/f.db" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "is not a onetrip store: it holds other tables (payroll" "$tmp/out" ||
	fail "a copy into another's database: $(cat "$tmp/out")"
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert [r[0] for r in db.execute("SELECT name FROM sqlite_schema")] == ["payroll"]
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"' "$tmp/f.db" ||
	fail "the other database was changed"
# an ID number in a mistaken argument is masked, as everywhere
"$bin" store copy "$tmp/a.db" "$tmp/x.db" 11010519491231002X >"$tmp/out" 2>&1
grep -q "1101\*\*\*\*\*\*\*\*\*\*002" "$tmp/out" && ! grep -q 11010519491231002X "$tmp/out" ||
	fail "store copy shows an ID number: $(cat "$tmp/out")"
# a text that is not UTF-8 is the source's damage, said so, not "out of memory"
cp "$tmp/a.db" "$tmp/bad.db"
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO idempotency(key, fingerprint, op, response, stored_at, expires)"
           " VALUES (?, ?, ?, CAST(X\x277B22BFFF227D\x27 AS TEXT), 0, 9999999999)", ("k", "f", "submit"))
db.commit()' "$tmp/bad.db"
"$bin" store copy "$tmp/bad.db" "$tmp/bad2.db" >"$tmp/out" 2>&1
[ $? -eq 3 ] && grep -q "its table idempotency has a text that is not UTF-8" "$tmp/out" ||
	fail "a copy of a text that is not UTF-8: $(cat "$tmp/out")"
"$bin" store copy "$pg" "sqlite:$tmp/b.db" >"$tmp/out" 2>&1 || fail "copy back to SQLite: $(cat "$tmp/out")"
cat "$tmp/out"

# the event feed in the order of the commits, through both copies: the
# events of a.db's cases interleave, and b.db has them in the same order
feed() {
	python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*r)' "$1" \
		"SELECT case_id, seq FROM events ORDER BY $2"
}
feed "$tmp/a.db" rowid >"$tmp/feed.a"
feed "$tmp/a.db" "case_id, seq" >"$tmp/feed.bycase"
feed "$tmp/b.db" rowid >"$tmp/feed.b"
cmp -s "$tmp/feed.a" "$tmp/feed.bycase" && fail "the workload's events do not interleave: nothing shown"
cmp -s "$tmp/feed.a" "$tmp/feed.b" || fail "the copies' feed is not in the order of the commits"

# every case the same in the three stores
i=1
while [ "$i" -le "${cases:-0}" ]; do
	id=$(printf '20190927-%04d' "$i")
	"$bin" show --db "$tmp/a.db" --rules "$rules" "$id" >"$tmp/a" 2>&1
	"$bin" show --db "$pg" --rules "$rules" "$id" >"$tmp/p" 2>&1
	"$bin" show --db "$tmp/b.db" --rules "$rules" "$id" >"$tmp/b" 2>&1
	cmp -s "$tmp/a" "$tmp/p" && cmp -s "$tmp/a" "$tmp/b" || { fail "case $id differs"; break; }
	i=$((i + 1))
done
for db in "$tmp/a.db" "$pg" "$tmp/b.db"; do
	"$bin" licences list --db "$db" --rules "$src/tests/providers/rules" 91350100M000100Y43 \
		>"$tmp/lic.$i" 2>&1
	i=$((i + 1))
done
cmp -s "$tmp/lic.$((i - 3))" "$tmp/lic.$((i - 2))" && cmp -s "$tmp/lic.$((i - 3))" "$tmp/lic.$((i - 1))" ||
	fail "the licences differ"
grep -q 210300000099999 "$tmp/lic.$((i - 1))" || fail "the expired licence was not copied"
# a copy while an engine goes on writing the source: one moment of it,
# verified against that moment (the writer runs from before the copy to
# after it)
"$many" run "$rules" "$tmp/a.db" 2 100000 >/dev/null 2>&1 &
writer=$!
sleep 0.3
"$bin" store copy "$tmp/a.db" "sqlite:$tmp/c.db" >"$tmp/out" 2>&1 || fail "a copy of a store being written: $(cat "$tmp/out")"
kill -0 "$writer" 2>/dev/null || fail "the writer ended before the copy did: nothing was shown"
kill "$writer"
wait "$writer" 2>/dev/null
[ "$fails" -eq 0 ] && echo "copy: $cases cases, the licences and both rule versions the same in SQLite, PostgreSQL and SQLite again"
[ "$fails" -eq 0 ]
