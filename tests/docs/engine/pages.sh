# The pages of `list` in docs/engine.md §3.8: three cases in progress (the
# school building, submitted twice on 2019-09-27 and once on 09-28), then
# each request of the block ($BLOCK, the lines that begin with `{`) and its
# answer, as the block shows them: `  → ` and the answer on one line.
set -eu
ot() { onetrip "$1" --db cases.db --rules "$SRC/tests/contract/rules" --now "$2" "$3"; }
school=$SRC/tests/docs/engine/school.json
ot submit 2019-09-27T09:00 "$school" >/dev/null
ot submit 2019-09-27T10:00 "$school" >/dev/null
ot submit 2019-09-28T09:00 "$school" >/dev/null
grep '^{' "$BLOCK" | while IFS= read -r request; do
	echo "$request"
	ot list 2019-09-28T09:00 "$request" |
		python3 -c 'import json, sys; print("  →", json.dumps(json.load(sys.stdin), ensure_ascii=False))'
done
