# The warehouse of docs/engine.md §3.1 and §3.3, on the contract rule base,
# in a new store: `sh warehouse.sh assess|supplement` prints that answer.
# Run by tests/docs_examples.sh (onetrip on PATH, $SRC the source tree).
set -eu
ot() { onetrip "$1" --db cases.db --rules "$SRC/tests/contract/rules" --now "$2" "$3"; }
app='{"item": "construction_permit",
  "applicant": {"kind": "company", "id": "91350100M000100Y43", "name": "鞍山市立山建设有限公司"},
  "form": {"name": "仓库", "area": 120, "kind": "industrial", "contractor": "911100001000128355"}'
case $1 in
assess) ot assess 2019-09-27T09:00 "$app}" ;;
supplement)
	ot submit 2019-09-27T09:00 "$app, \"channel\": \"hall\"}" >/dev/null
	ot supplement 2019-09-30T10:00 '{"case": "20190927-0001", "channel": "online",
	  "form": {"contractor": "91350100M000100Y43"}, "materials": ["land_cert"]}' ;;
esac
