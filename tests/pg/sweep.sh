#!/bin/sh
# `onetrip sweep` whose store fails in its second batch (here a trigger of
# the test's refuses the commit): exit 3 with the error, and the warnings
# of the first batch, which were committed and are in the store, printed
# all the same -- a supervisor's job must not lose sight of them.
#   sweep.sh ONETRIP MANY SERVER_SH PG_DIR RULES
set -u
bin=$1
many=$2
server=$3
dir=$4
rules=$5
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
schema=sweep_$$
pg="$(sh "$server" uri "$dir")"
fails=0
fail() {
	echo "FAIL: $1"
	fails=$((fails + 1))
}

"$many" run "$rules" "$pg&schema=$schema" 1 200 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
# from the eighth case warned on, the commit is refused
psql -X -q -v ON_ERROR_STOP=1 "$pg" <<SQL || exit 1
CREATE FUNCTION $schema.refuse_warn() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF (SELECT count(DISTINCT case_id) FROM $schema.events WHERE op = 'warn') > 7 THEN
		RAISE EXCEPTION 'refused by the test';
	END IF;
	RETURN NULL;
END \$\$;
CREATE CONSTRAINT TRIGGER refuse_warn AFTER INSERT ON $schema.events
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.op = 'warn')
	EXECUTE FUNCTION $schema.refuse_warn();
SQL
"$bin" sweep --db "$pg&schema=$schema" --rules "$rules" --now 2030-01-02T09:00 --limit 5 \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "the sweep exits $rc, not 3"
grep -q "refused by the test" "$tmp/err" || fail "the error is not said: $(cat "$tmp/err")"
python3 - "$tmp/out" <<'PY' >"$tmp/printed" || fail "the sweep's answer: $(cat "$tmp/out")"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["batches"] == 1 and a["claimed"] == 5, a
assert "refused by the test" in a["error"], a
cases = sorted({w["case"] for w in a["warnings"]})
assert len(cases) == 5, cases
print(len(a["warnings"]))
PY
stored=$(psql -X -A -t "$pg" -c "SELECT count(*) FROM $schema.events WHERE op = 'warn'")
[ "$stored" = "$(cat "$tmp/printed")" ] ||
	fail "the store holds $stored warnings, the sweep printed $(cat "$tmp/printed")"
psql -X -q "$pg" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
[ "$fails" -eq 0 ] || exit 1
echo "sweep: the store failed in the second batch; the first batch's $stored warnings were printed"
