# The school building of docs/engine.md, on the contract rule base, in a
# new store: `sh school.sh ANSWER` runs its story as far as ANSWER and
# prints that answer:
#   submit     its submission on 2019-09-27 (§3.2)
#   events     the event feed after its first approval (ot_call "events", §3.10)
#   overdue    `overdue` on 2019-10-16, its review a day late (§3.8)
#   show       the whole case after delivery (§3.8)
#   list       `list` of the closed cases then (§3.8)
#   history    its events, without notice and form (§8)
#   reuse, reuse-notice
#              a planning permit of the company in 2020, which reuses the
#              land certificate (§4.2)
# Run by tests/docs_examples.sh in a directory of its own, onetrip on PATH,
# $SRC the source tree.
set -eu
what=$1
ot() { onetrip "$1" --db cases.db --rules "$SRC/tests/contract/rules" --now "$2" "$3"; }
# the idle answers of the story's writes
w() { ot "$@" >/dev/null; }
school=$SRC/tests/docs/engine/school.json

[ "$what" = submit ] && { ot submit 2019-09-27T09:00 "$school"; exit 0; }
w submit 2019-09-27T09:00 "$school"
w act 2019-09-29T10:00 '{"case": "20190927-0001", "step": "intake", "action": "approve", "actor": "approval_bureau.investment"}'
[ "$what" = events ] && { python3 "$SRC/tests/docs/engine/call.py" cases.db "$SRC/tests/contract/rules" events '{"after": "1", "limit": 1}'; exit 0; }
w act 2019-09-30T10:00 '{"case": "20190927-0001", "step": "review", "action": "return", "actor": "approval_bureau", "reason": "图纸不清晰"}'
w supplement 2019-10-09T10:00 '{"case": "20190927-0001", "materials": ["drawings"]}'
w suspend 2019-10-10T09:00 '{"case": "20190927-0001", "reason": "专家评审"}'
w resume 2019-10-14T09:00 '{"case": "20190927-0001"}'
# a read on the day after the review's due date, before its approval
[ "$what" = overdue ] && { ot overdue 2019-10-16T09:00 '{}'; exit 0; }
w act 2019-10-15T16:00 '{"case": "20190927-0001", "step": "review", "action": "approve", "actor": "approval_bureau"}'
w act 2019-10-16T11:00 '{"case": "20190927-0001", "step": "site_visit", "action": "approve", "actor": "housing"}'
w act 2019-10-17T09:30 '{"case": "20190927-0001", "step": "decide", "action": "approve", "actor": "approval_bureau"}'
w deliver 2019-10-17T15:00 '{"case": "20190927-0001", "method": "post"}'
case $what in
show) ot show 2019-10-17T15:00 20190927-0001 ;;
history) ot show 2019-10-17T15:00 20190927-0001 | python3 -c 'import json, sys
for e in json.load(sys.stdin)["history"]:
	e.pop("notice", None); e.pop("form", None); print(json.dumps(e, ensure_ascii=False))' ;;
list) ot list 2019-10-17T15:00 '{"status": "closed"}' ;;
# a planning permit of the same company, without materials (4.2): the case,
# and the land certificate's entry in its notice
reuse*)
	ot submit 2020-03-02T09:00 '{"item": "planning_permit",
	  "applicant": {"kind": "company", "id": "91350100M000100Y43", "name": "鞍山市立山建设有限公司"},
	  "form": {"name": "立山区第一小学教学楼", "area": 5400, "height": 18, "government_funded": true,
	           "contractor": "91350100M000100Y43", "kind": "public"}}' > reuse.json
	if [ "$what" = reuse ]; then cat reuse.json; else python3 -c 'import json, sys
for m in json.load(sys.stdin)["notice"]["materials"]:
	if m["material"] == "land_cert": print(json.dumps(m, ensure_ascii=False))' < reuse.json; fi ;;
*) echo "school.sh: no answer '$what'" >&2; exit 2 ;;
esac
