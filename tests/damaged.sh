#!/bin/sh
# A store with one page overwritten: every command either answers exactly
# as on the sound store or fails (non-zero exit) pointing to `onetrip store
# check`; and whenever an answer differed, `onetrip store check` finds the
# damage (exit 1, the problems listed).  Never exit 0 with cases missing.
#   damaged.sh ONETRIP SOURCE_DIR [all]
# The store has 60 cases (108 pages of 4 KB).  Pages 1, 2, 5, 9, 13 ...
# (every fourth, and the schema) are overwritten in turn, one copy each,
# to stay near 12 s; with `all`, every page, three times with different
# garbage (324 copies, about 3 minutes).
set -u
bin=$1
src=$2
rounds=${3:-}
rules=$src/tests/contract/rules/contract.rules
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# ---- the sound store: 60 cases, a third of them moved on ----
db=$tmp/sound.db
company='{"kind":"company","id":"91350100M000100Y43","name":"鞍山市立山建设有限公司"}'
for i in $(seq 1 60); do
	if [ $((i % 4)) -eq 0 ]; then mats='"land_cert"'; else mats='"land_cert","drawings","fire_review"'; fi
	"$bin" submit --db "$db" --rules "$rules" --now "2019-09-27T09:00" \
		"{\"item\":\"construction_permit\",\"applicant\":$company,\"form\":{\"name\":\"项目$i\",\"area\":$((300 + i * 40)),\"height\":$((i % 30)),\"government_funded\":true,\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"},\"materials\":[$mats]}" \
		>/dev/null || fail "submit $i"
done
for i in $(seq 1 3 60); do
	id=$(printf '20190927-%04d' "$i")
	"$bin" act --db "$db" --rules "$rules" --now 2019-09-29T10:00 \
		"{\"case\":\"$id\",\"step\":\"intake\",\"action\":\"approve\",\"actor\":\"approval_bureau.investment\"}" \
		>/dev/null 2>&1
done
ids=$(seq 1 60 | while read -r i; do printf '20190927-%04d\n' "$i"; done)
act='{"case":"20190927-0002","step":"intake","action":"approve","actor":"approval_bureau.investment","now":"2019-09-30T10:00"}'

# answers STORE DIR: every command's stdout and exit status in DIR
answers() {
	mkdir -p "$2"
	"$bin" list --db "$1" --rules "$rules" '{}' >"$2/list" 2>"$2/list.err"
	echo $? >"$2/list.rc"
	"$bin" overdue --db "$1" --rules "$rules" '{"now":"2019-12-01T09:00"}' >"$2/overdue" 2>"$2/overdue.err"
	echo $? >"$2/overdue.rc"
	for id in $ids; do
		"$bin" show --db "$1" --rules "$rules" "$id" >"$2/$id" 2>"$2/$id.err"
		echo $? >"$2/$id.rc"
	done
	"$bin" store check "$1" >"$2/check" 2>&1
	echo $? >"$2/check.rc"
	"$bin" act --db "$1" --rules "$rules" "$act" >"$2/act" 2>"$2/act.err"
	echo $? >"$2/act.rc"
}

cp "$db" "$tmp/ref.db"
answers "$tmp/ref.db" "$tmp/ref"
for f in list overdue check act; do
	[ "$(cat "$tmp/ref/$f.rc")" -eq 0 ] || fail "$f on the sound store: exit $(cat "$tmp/ref/$f.rc")"
done
[ "$(grep -c '"id"' "$tmp/ref/list")" -eq 60 ] || fail "the sound store does not list 60 cases"

# ---- one page overwritten at a time ----
pages=$(($(wc -c <"$db") / 4096))
same=0
found=0
refused=0
stride=4
[ -n "$rounds" ] && stride=1
for pass in 1 ${rounds:+2 3}; do
	for p in $(seq 1 "$pages"); do
		[ "$p" -eq 2 ] || [ $(((p - 1) % stride)) -eq 0 ] || continue
		copy=$tmp/damaged.db
		cp "$db" "$copy"
		# garbage, deterministic for the page and the pass
		awk -v seed="$((p * 7 + pass))" 'BEGIN { srand(seed); for (i = 0; i < 4096; i++)
			printf "%c", 1 + int(rand() * 255) }' </dev/null >"$tmp/garbage"
		LC_ALL=C dd if="$tmp/garbage" of="$copy" bs=4096 seek=$((p - 1)) count=1 conv=notrunc \
			2>/dev/null
		rm -rf "$tmp/got"
		answers "$copy" "$tmp/got"
		differed=0
		for f in list overdue $ids act; do
			rc=$(cat "$tmp/got/$f.rc")
			if [ "$rc" -eq "$(cat "$tmp/ref/$f.rc")" ] && cmp -s "$tmp/got/$f" "$tmp/ref/$f"; then
				continue
			fi
			differed=1
			if [ "$rc" -eq 0 ]; then
				fail "page $p: $f answered differently, with exit 0"
			elif ! grep -q "onetrip store check" "$tmp/got/$f.err"; then
				fail "page $p: $f failed without pointing to store check: $(head -c 300 "$tmp/got/$f.err")"
			fi
		done
		if [ "$differed" -eq 1 ]; then
			refused=$((refused + 1))
			if [ "$(cat "$tmp/got/check.rc")" -ne 1 ] || ! grep -q "problem" "$tmp/got/check"; then
				fail "page $p: commands failed but store check says: $(head -c 300 "$tmp/got/check")"
			fi
		else
			same=$((same + 1))
			[ "$(cat "$tmp/got/check.rc")" -eq 1 ] && found=$((found + 1))
		fi
	done
done
# ---- store check leaves the files as they are: the WAL of a process that
# died before it was merged (docs/engine.md §9.2: keep them for whoever
# looks into the damage) ----
cp "$db" "$tmp/wal.db"
python3 - "$tmp/wal.db" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA wal_autocheckpoint = 0").fetchall()
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE counters SET n = n + 1")
c.execute("UPDATE counters SET n = n - 1")
c.execute("COMMIT")
os._exit(0)  # no close: the change stays in the -wal file
PY
[ -s "$tmp/wal.db-wal" ] || fail "no WAL left to look at"
before=$(cat "$tmp/wal.db" "$tmp/wal.db-wal" | cksum)
"$bin" store check "$tmp/wal.db" >"$tmp/wal.out" 2>&1 || fail "store check of a store with a WAL: $(cat "$tmp/wal.out")"
[ -s "$tmp/wal.db-wal" ] && [ "$(cat "$tmp/wal.db" "$tmp/wal.db-wal" | cksum)" = "$before" ] ||
	fail "store check changed the store's file or its WAL"

echo "damaged: $pages pages; $refused damaged copies refused by some command (store check found each);"
echo "  $same answered as the sound store (store check found $found of them)"
[ "$fails" -eq 0 ] && echo "damaged: all passed"
exit $((fails > 0))
