# The files the sessions of docs/engine.md name, in the directory they run
# in (a new one, as the repository's root would be): contract.rules (with
# the empty common.rules it uses), school.json (the school building of
# §3.2, without "now"), card.rules (the item `card` of the unit test
# deferrable_materials_and_trips, §6), licences.json (the business licence
# of hooks.md §17.2) and bad.json (a good food licence and one whose
# material is misspelt), for the licence library of §10.
set -eu
cp "$SRC/tests/contract/rules/contract.rules" "$SRC/tests/contract/rules/common.rules" .
cp "$SRC/tests/docs/engine/school.json" "$SRC/tests/docs/engine/card.rules" \
	"$SRC/tests/docs/engine/licences.json" "$SRC/tests/docs/engine/bad.json" .
