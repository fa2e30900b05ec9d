# The time sweep of docs/engine.md §3.15 on the item `plain` of the rule
# base of the unit test (tests/data/law.rules: 10 working days, its one step
# `decide` 2), in a new store: a case submitted on 2019-09-27 and swept
# after National Day, on 10-08.  `sh sweep.sh answer` prints the sweep's
# answer (ot_sweep, one batch), `sh sweep.sh event` the case's warn event.
set -eu
rules=$SRC/tests/data/law.rules
onetrip submit --db cases.db --rules "$rules" --now 2019-09-27T09:00 '{"item": "plain",
  "applicant": {"kind": "company", "id": "91350100M000100Y43", "name": "鞍山市立山建设有限公司"},
  "form": {"name": "x", "street": "a"}, "materials": ["plan"]}' >/dev/null
answer=$(python3 "$SRC/tests/docs/engine/call.py" cases.db "$rules" sweep '{"now": "2019-10-08T09:00"}')
case $1 in
answer) echo "$answer" ;;
event) onetrip show --db cases.db --rules "$rules" 20190927-0001 |
	python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["history"][-1], ensure_ascii=False))' ;;
esac
