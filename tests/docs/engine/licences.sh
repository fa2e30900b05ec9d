# The licence library of docs/engine.md §3.9, on the test rule base
# tests/providers/rules, in a new store.  food_licence.json is the request
# the doc shows (saved from it by tests/docs_examples.sh).
#   sh licences.sh import   the answer to that request
#   sh licences.sh list     the company's licences, after its
#                           business_registration was approved on
#                           2021-03-01 at 10:00 and the request imported
set -eu
ot() { onetrip "$@" --db cases.db --rules "$SRC/tests/providers/rules"; }
case $1 in
import) ot licences import food_licence.json ;;
list)
	ot submit --now 2021-03-01T09:00 '{"item": "business_registration", "channel": "hall",
	  "applicant": {"kind": "company", "id": "91350100M000100Y43", "name": "鞍山市立山饺子馆有限公司"},
	  "materials": ["premises"]}' >/dev/null
	ot act --now 2021-03-01T10:00 '{"case": "20210301-0001", "step": "review", "action": "approve", "actor": "amr"}' >/dev/null
	ot licences import food_licence.json >/dev/null
	ot licences list 91350100M000100Y43 ;;
esac
