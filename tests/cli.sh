#!/bin/sh
# The command line as its users meet it: exit codes, help, the contract
# example, the bundled rule base.
#   cli.sh ONETRIP SOURCE_DIR
set -u
bin=$1
src=$2
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it

# expect STATUS DESCRIPTION COMMAND...: runs COMMAND, output in $tmp/out
expect() {
	want=$1
	what=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, wanted $want"
		sed 's/^/    /' "$tmp/out" | head -20
		fails=$((fails + 1))
	fi
}

# contains TEXT DESCRIPTION: the last output contains TEXT
contains() {
	if ! grep -qF -- "$1" "$tmp/out"; then
		echo "FAIL: $2: output lacks '$1'"
		sed 's/^/    /' "$tmp/out" | head -20
		fails=$((fails + 1))
	fi
}

# lacks TEXT DESCRIPTION: the last output does not contain TEXT
lacks() {
	if grep -qF -- "$1" "$tmp/out"; then
		echo "FAIL: $2: output shows '$1'"
		sed 's/^/    /' "$tmp/out" | head -20
		fails=$((fails + 1))
	fi
}

expect 0 "onetrip --help" "$bin" --help
contains "check PATH..." "main help lists check"
expect 0 "check --help" "$bin" check --help
contains "--strict" "check help lists --strict"
expect 0 "--version" "$bin" --version
expect 2 "no command" "$bin"
expect 2 "unknown command" "$bin" frobnicate
expect 2 "check without paths" "$bin" check
expect 2 "unknown option" "$bin" check --frob "$src/rules"
expect 2 "missing path" "$bin" check "$tmp/nope.rules"
contains "E020" "missing path names the error"

# the contract example, with an empty common.rules beside it
mkdir "$tmp/contract"
cp "$src/tests/contract/rules/contract.rules" "$tmp/contract/"
: >"$tmp/contract/common.rules"
expect 0 "contract example" "$bin" check "$tmp/contract/contract.rules"
contains "ok: 2 items" "contract example summary"

# the bundled rule base is clean, even with warnings as errors
expect 0 "bundled rules --strict" "$bin" check --strict "$src/rules"
expect 0 "info" "$bin" info "$src/rules"
contains "items" "info lists items"
contains "calendars" "info lists calendars"
expect 0 "describe" "$bin" describe "$src/rules"
contains '"hash"' "describe prints JSON"
# describe's output is JSON a program reads: a warning goes to stderr
"$bin" describe "$src/tests/data/warn_only.rules" >"$tmp/out" 2>"$tmp/err"
if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" 2>/dev/null ||
   ! grep -q "warning\[W402\]" "$tmp/err"; then
	echo "FAIL: describe with a warning: stdout is not pure JSON or the warning is not on stderr"
	fails=$((fails + 1))
fi

# errors: exit 1, text and JSON
expect 1 "ten mistakes" "$bin" check "$src/tests/golden/ten_mistakes.rules"
contains "10 errors" "ten mistakes counted"
expect 1 "ten mistakes --json" "$bin" check --json "$src/tests/golden/ten_mistakes.rules"
contains '"code": "E304"' "JSON carries codes"

# warnings fail only under --strict
expect 0 "warnings pass" "$bin" check "$src/tests/data/warn_only.rules"
contains "warning[W402]" "the warning is shown"
expect 1 "warnings fail under --strict" "$bin" check --strict "$src/tests/data/warn_only.rules"
contains "error[W402]" "under --strict the warning is an error"

# a directory: every *.rules below it, each file once
expect 0 "directory" "$bin" check "$src/rules/lishan"
# a directory with no *.rules in it or below it is a mistyped path, not a
# rule base of nothing
mkdir -p "$tmp/norules/sub"
: >"$tmp/norules/sub/notes.txt"
expect 2 "a directory without rule files" "$bin" check "$tmp/norules"
contains "$tmp/norules: error[E020]: no .rules files in this directory" "says there is no rule file"
expect 2 "docs/ as a rule base" "$bin" check "$src/docs/"
lacks "ok: 0 items" "docs/ is no empty rule base"
expect 2 "info of a directory without rule files" "$bin" info "$tmp/norules"
# --trips is a table: with --json it would be dropped (or break the JSON)
expect 2 "check --trips --json" "$bin" check --trips --json "$src/rules"
contains "--trips prints a table, not JSON" "says why"
lacks "[]" "no empty JSON array in place of the table"

# the summaries count the items in force on a day: a version superseded by
# the one that `replaces` it is no item offered then (language.md 6.6)
mkdir "$tmp/versions"
cp "$src/tests/docs/language.rules" "$tmp/versions/"
cat >"$tmp/versions/items.rules" <<'EOF'
use "language.rules"
item permit_2018 "许可(旧)" {
  in_force until 2019-04-22
  legal_limit 15 workdays
  department approval_bureau
  online full
  steps { decide "决定" by approval_bureau }
}
item permit "许可" {
  in_force from 2019-04-23
  replaces permit_2018
  legal_limit 7 workdays
  department approval_bureau
  steps { decide "决定" by approval_bureau }
}
item abolished "已取消的事项" {
  in_force until 2020-12-31
  legal_limit 5 workdays
  department approval_bureau
  online full
  steps { decide "决定" by approval_bureau }
}
item coming "新设事项" {
  in_force from 2030-01-01
  legal_limit 5 workdays
  department approval_bureau
  steps { decide "决定" by approval_bureau }
}
EOF
expect 0 "info counts the items in force" "$bin" info --now 2020-06-01T09:00 "$tmp/versions"
contains "  items          2  (2 other)" "info: two items in force"
contains "in force on 2020-06-01, of 4 item versions (1 superseded, 1 not yet in force)" "info: the versions apart"
contains "online: 1 full, 1 none" "info: the online rate of the items in force"
expect 0 "check counts the items in force" "$bin" check --now 2021-06-01 "$tmp/versions"
contains "ok: 4 item versions in $tmp/versions, 1 in force on 2021-06-01 (1 superseded, 1 no longer in force, 1 not yet in force)" "check: the versions apart"
# between two versions (the old one ended, the new one not yet begun) the
# old one is not "superseded": nothing has taken its place yet
expect 0 "info between two versions" "$bin" info --now 2019-09-04T09:00 "$src/tests/data/chain/versions.rules"
contains "in force on 2019-09-04, of 6 item versions (1 no longer in force, 1 not yet in force)" "info: a gap between versions"
expect 0 "check --trips counts the items in force" "$bin" check --trips --now 2020-06-01 "$tmp/versions"
contains "permit_2018                          许可(旧)  (superseded on 2020-06-01)" "--trips marks a superseded version"
contains "coming                               新设事项  (not yet in force on 2020-06-01)" "--trips marks a version to come"
contains "1 of 2 items in force on 2020-06-01 need at most one trip (最多跑一次)" "--trips counts the items in force"
expect 2 "info with --now not a time" "$bin" info --now 2020-02-30 "$tmp/versions"
# a calendar's holidays run out: from October of its last year, check and
# info say so (the bundled one lists them through 2026)
expect 0 "check near the calendar's end" "$bin" check --now 2026-11-29T09:00 "$src/rules"
contains "note: calendar cn lists holidays through 2026: from 2027-01-01 only its weekend is off" "check: the calendar runs out"
expect 0 "info near the calendar's end" "$bin" info --now 2027-02-01T09:00 "$src/rules"
contains "add 2027's holidays and make-up working days" "info: the calendar runs out"
expect 0 "check well within the calendar" "$bin" check --now 2026-09-30T09:00 "$src/rules"
lacks "lists holidays through" "check: no note within the calendar"
# the bundled rule base: info, check and check --trips count alike, and as
# the versions' days say
"$bin" describe "$src/rules" 2>/dev/null | python3 -c '
import json, sys
day = "2026-11-30"
items = json.load(sys.stdin)["items"]
print(sum((i["in_force_from"] or "") <= day <= (i["in_force_until"] or "9999") for i in items))
' >"$tmp/in_force.want"
"$bin" info --now 2026-11-30 "$src/rules" | sed -n 's/^  items  *\([0-9]*\).*/\1/p' >"$tmp/in_force.info"
"$bin" check --trips --now 2026-11-30 "$src/rules" |
	sed -n 's/^[0-9]* of \([0-9]*\) items in force on 2026-11-30 need.*/\1/p' >"$tmp/in_force.trips"
"$bin" check --now 2026-11-30 "$src/rules" |
	sed -n 's/^ok: [0-9]* item versions in .*, \([0-9]*\) in force on 2026-11-30 (.*/\1/p' >"$tmp/in_force.check"
for got in info trips check; do
	cmp -s "$tmp/in_force.want" "$tmp/in_force.$got" || {
		echo "FAIL: the bundled rule base: $got counts $(cat "$tmp/in_force.$got") items in force on 2026-11-30, not $(cat "$tmp/in_force.want")"
		fails=$((fails + 1))
	}
done

# every bundled item can be walked from submission to delivery
items=$("$bin" check --trips "$src/rules" | awk '/^ *[0-9]+  [A-Za-z_]/ { print $2 }')
[ -n "$items" ] || { echo "FAIL: check --trips listed no items"; fails=$((fails + 1)); }
for item in $items; do
	expect 0 "demo $item" "$bin" demo --rules "$src/rules" "$item"
	contains "→ closed" "demo $item ends closed"
done

# case operations from the command line, on a store file
db="$tmp/cases.db"
expect 0 "submit" "$bin" submit --db "$db" --rules "$src/tests/contract/rules/contract.rules" --now 2019-09-27T09:00 \
	'{"item":"construction_permit","applicant":{"kind":"company","id":"91350100M000100Y43","name":"x"},"form":{"name":"x","area":100,"contractor":"91350100M000100Y43","kind":"housing"},"materials":["land_cert"]}'
contains '"due": "2019-10-12"' "submit prints the case"
expect 0 "show by id" "$bin" show --db "$db" --rules "$src/tests/contract/rules/contract.rules" 20190927-0001
contains '"history"' "show has the history"
expect 1 "act refused" "$bin" act --db "$db" --rules "$src/tests/contract/rules/contract.rules" \
	'{"case":"20190927-0001","step":"intake","action":"approve","actor":"housing","now":"2019-09-28T10:00"}'
contains "handled by approval_bureau.investment" "refusal names the right department"
# a case recorded with a clock ahead of this machine's (another engine, an
# intake system's "now"): show, a read, takes the machine's clock; a write
# made with it is refused, time moving forward for the case
late="$tmp/late.db"
app='{"item":"construction_permit","applicant":{"kind":"company","id":"91350100M000100Y43","name":"x"},"form":{"name":"x","area":100,"contractor":"91350100M000100Y43","kind":"housing"},"materials":["land_cert"]}'
expect 0 "submit ahead of the clock" "$bin" submit --db "$late" --rules "$src/tests/contract/rules/contract.rules" --now 2199-06-01T09:00 "$app"
expect 0 "show a case whose last event is ahead of the clock" "$bin" show --db "$late" --rules "$src/tests/contract/rules/contract.rules" 21990601-0001
contains '"id": "21990601-0001"' "show answers the case"
expect 1 "a write with the machine's clock before the case's last event" "$bin" withdraw --db "$late" --rules "$src/tests/contract/rules/contract.rules" '{"case":"21990601-0001"}'
contains "before the case's last event" "the write says why"
# a time whose day in the rule base's zone is past 2199: a bad request
# (exit 1), not a store failing (exit 3)
expect 1 "a now past the days counted" "$bin" submit --db "$late" --rules "$src/tests/contract/rules/contract.rules" --now 2199-12-31T23:00-05:00 "$app"
contains "is 2200-01-01 in the rule base's time zone" "the refusal names the day"
expect 1 "bad JSON" "$bin" submit --db "$db" --rules "$src/tests/contract/rules/contract.rules" '{"item":'
expect 2 "a directory as the request" "$bin" submit --db "$db" --rules "$src/tests/contract/rules/contract.rules" "$tmp"
contains "cannot read the request" "a directory is no request"
# the store's parent directories are made, every level, by an operation
# that writes (engine.md §10) -- even one the engine then refuses
expect 1 "a new store two levels down" "$bin" submit --db "$tmp/new/deeper/x.db" --rules "$src/tests/contract/rules/contract.rules" '{"item":"nosuch"}'
contains 'the request needs "applicant"' "the submit reached the engine"
[ -f "$tmp/new/deeper/x.db" ] || { echo "FAIL: the store two levels down was not made"; fails=$((fails + 1)); }
# an operation that only reads does not make a store where there is none: a
# new, empty one would answer "no cases", a false all-clear on a mistyped path
for op in "overdue {}" "list {}" "show 20190927-0001" "licences list 91350100M000100Y43" "sweep"; do
	set -- $op
	expect 2 "$op on no store" "$bin" "$@" --db "$tmp/typo/s.bd" --rules "$src/tests/contract/rules/contract.rules" --now 2019-09-06T09:00
	contains "no store at $tmp/typo/s.bd: No such file or directory" "$op on no store says so"
	[ -e "$tmp/typo" ] && { echo "FAIL: $op on no store made $tmp/typo"; fails=$((fails + 1)); rm -rf "$tmp/typo"; }
done
expect 0 "overdue on a store there is" "$bin" overdue --db "$tmp/new/deeper/x.db" --rules "$src/tests/contract/rules/contract.rules" --now 2019-09-06T09:00 '{}'
contains '"cases": []' "overdue on a store there is answers"
# the engine could not open: exit 2 for sweep as for every command (3 is a
# store failing during the operation)
expect 2 "sweep with a rule base that cannot be read" "$bin" sweep --db "$tmp/new/deeper/x.db" --rules "$tmp/nowhere"
contains "cannot load the rule base $tmp/nowhere" "sweep says why it could not open"

# the store on its own
expect 0 "store check" "$bin" store check "$db"
contains "store $db: sound" "store check says sound"
contains "1 rule version, 1 case, 1 event;" "store check counts"
# copied into a new store, and refused as the target of a second copy,
# one row counted as one
expect 0 "store copy" "$bin" store copy "$db" "$tmp/copy.db"
contains "verified: the same rows, every case replayed" "store copy verifies"
expect 2 "store copy into a store that is not empty" "$bin" store copy "$db" "$tmp/copy.db"
contains "has 1 row): copy only into a new store" "the refusal counts one row as one"
expect 0 "store check --json" "$bin" store check --json "$db"
contains '"sound": true' "store check JSON"
expect 0 "store check --help" "$bin" store check --help
expect 2 "store without check" "$bin" store
expect 2 "store check without a path" "$bin" store check
expect 2 "store check of no file" "$bin" store check "$tmp/none.db"
contains "cannot open the store $tmp/none.db" "store check says it cannot open"
[ -e "$tmp/none.db" ] && { echo "FAIL: store check created a file"; fails=$((fails + 1)); }
head -c 8192 "$src/README.md" >"$tmp/junk.db"
expect 1 "store check of a file that is not a store" "$bin" store check "$tmp/junk.db"
contains "its first page (the header and the list of tables) is damaged" "store check names the damage"
expect 2 "a case operation on it" "$bin" list --db "$tmp/junk.db" --rules "$src/tests/contract/rules/contract.rules" '{}'
contains "run \`onetrip store check $tmp/junk.db\`" "the operation points to store check"

# scenarios: the contract ones pass; a broken expectation points at its line
expect 0 "contract scenarios" "$bin" test "$src/tests/contract"
contains "2 passed, 0 failed" "contract scenarios summary"
mkdir "$tmp/sc"
cp -r "$src/tests/contract/rules" "$tmp/sc/"
sed 's/expect due 2019-10-12/expect due 2019-10-08/; s/expect trips 1/expect trips 3/' \
	"$src/tests/contract/contract.scenario" >"$tmp/sc/broken.scenario"
expect 1 "broken scenarios" "$bin" test "$tmp/sc/broken.scenario"
contains "broken.scenario:20:3: expect due 2019-10-08" "first failure at its line"
contains "expected due 2019-10-08, found 2019-10-12" "first failure says what was found"
contains "broken.scenario:46:3: expect trips 3" "second failure at its line"
contains "0 passed, 2 failed" "broken scenarios summary"
expect 1 "filter" "$bin" test --filter "small private" "$tmp/sc/broken.scenario"
contains "0 passed, 1 failed" "filter runs one"
printf 'scenario "x" {\n  rules "rules"\n  expect stauts in_progress\n}\n' >"$tmp/sc/bad.scenario"
expect 2 "malformed scenario" "$bin" test "$tmp/sc/bad.scenario"
contains "bad.scenario:3:10: error[E601]: 'stauts' is not a known expectation" "scenario diagnostics"
expect 1 "junit" "$bin" test --jobs 2 --junit "$tmp/j.xml" "$tmp/sc/broken.scenario"
grep -q '<testsuites tests="2" failures="2"' "$tmp/j.xml" || { echo "FAIL: junit xml"; fails=$((fails + 1)); }

# coverage counted by hand (see tests/coverage/small.scenario)
expect 0 "coverage" "$bin" test --coverage --coverage-json "$tmp/cov.json" "$src/tests/coverage"
contains "steps 2/3  flow 2/4  conditions 1/2" "per item coverage"
contains "not exercised: flow s -> u otherwise" "lists what was not exercised"
contains "branches 42.9%" "branch percentage"
for want in '"items": 2' '"items_hit": 1' '"steps": 4' '"steps_hit": 2' '"flow": 5' \
	'"flow_hit": 2' '"conditions": 2' '"conditions_hit": 1'; do
	grep -qF "$want" "$tmp/cov.json" || { echo "FAIL: coverage json lacks $want"; fails=$((fails + 1)); }
done
expect 1 "coverage-min" "$bin" test --coverage-min 50 "$src/tests/coverage"
contains "below the required 50.0%" "coverage-min explains"
# a gate that cannot be read, or a report that cannot be written, is a
# usage error, not a silent pass
expect 2 "coverage-min not a number" "$bin" test --coverage-min abc "$src/tests/coverage"
contains "--coverage-min takes a percentage from 0 to 100, not 'abc'" "coverage-min explains a bad value"
expect 2 "jobs 0" "$bin" test --jobs 0 "$src/tests/coverage"
expect 2 "coverage-json unwritable" "$bin" test --coverage-json "$tmp/nodir/c.json" "$src/tests/coverage"
contains "cannot write $tmp/nodir/c.json" "coverage-json says it could not write"
# a time that does not exist is the scenario file's mistake, found before any runs
printf 'scenario "x" {\n  rules "rules"\n  now 2019-02-30T09:00\n  now 2019-10-01T25:00\n}\n' >"$tmp/sc/times.scenario"
expect 2 "impossible times" "$bin" test "$tmp/sc/times.scenario"
contains "times.scenario:3:7: error[E006]: 2019-02-30 is not a date" "an impossible date in a time"
contains "times.scenario:4:7: error[E006]: 2019-10-01T25:00 is not a time" "an impossible hour"

# a run of no scenario is a mistake, not a pass
mkdir -p "$tmp/sc/none"
: >"$tmp/sc/none/empty.scenario"
expect 2 "a file without scenarios" "$bin" test "$tmp/sc/none/empty.scenario"
contains "the 1 file given holds no scenario" "says the file holds none"
contains "0 passed, 0 failed" "still ends with the count"
rm "$tmp/sc/none/empty.scenario"
expect 2 "a directory without scenario files" "$bin" test "$tmp/sc/none"
contains "no .scenario file found" "says there is no file"
expect 2 "a filter nothing matches" "$bin" test --filter "no such name" "$src/tests/contract"
contains "no scenario's name contains \"no such name\" (of " "names the filter"
# --now is an option: a time that is not one is a usage error
expect 2 "an impossible --now" "$bin" list --db "$tmp/now.db" --now 2019-02-30T09:00 '{}'
contains "--now takes a time such as 2019-10-08T09:00, not '2019-02-30T09:00'" "says what --now takes"
expect 2 "sweep with --now not a time" "$bin" sweep --db "$tmp/now.db" --now soon
# another program's database (a schema version of its own, no cases) is not
# a store: refused, and its journal mode left as it was
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE contacts(x)")
db.execute("PRAGMA user_version = 3")
db.commit()' "$tmp/contacts.db"
expect 2 "list on another program's database" "$bin" list --db "$tmp/contacts.db" --rules "$src/rules" '{}'
contains "is not a onetrip store: it holds other tables (contacts, …)" "another program's database is named so"
python3 -c 'import sqlite3, sys
assert sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0] == "delete"' \
	"$tmp/contacts.db" || { echo "FAIL: another program's database was switched to WAL"; fails=$((fails + 1)); }
expect 2 "sweep with a limit of 0" "$bin" sweep --db "$tmp/now.db" --limit 0
contains "--limit takes a whole number from 1 to 1000, not '0'" "sweep says what --limit takes"
[ -e "$tmp/now.db" ] && { echo "FAIL: a bad --now opened the store"; fails=$((fails + 1)); }

# hook functions an item relies on count as covered once a scenario runs them
expect 0 "hook coverage" "$bin" test --coverage --filter "under 60" "$src/tests/hooks/hooks.scenario"
contains "hooks 2/3" "hook functions per item"
contains "not exercised: hook function on_enter" "names the hook function never run"
contains "hook functions 2/6 (33.3%)" "hook functions in the total"

# the licence library from the command line
db="$tmp/lic.db"
printf '[{"holder":"91350100M000100Y43","material":"business_licence","number":"210300000012345","issuer":"x","valid_from":"2020-03-01"}]' >"$tmp/lic.json"
printf '[{"holder":"91350100M000100Y43","material":"business_license","number":"1","issuer":"x","valid_from":"2020-03-01"}]' >"$tmp/bad.json"
expect 0 "licences import" "$bin" licences import --db "$db" --rules "$src/tests/providers/rules" "$tmp/lic.json"
contains '"imported": 1' "import counts"
expect 1 "licences import unknown material" "$bin" licences import --db "$db" --rules "$src/tests/providers/rules" "$tmp/bad.json"
contains "no material 'business_license'" "import names the bad material"
expect 2 "licences import no file" "$bin" licences import --db "$db" --rules "$src/tests/providers/rules" "$tmp/none.json"
contains "onetrip licences import: unable to open $tmp/none.json" "a file not there has no place to name"
expect 0 "licences list" "$bin" licences list --db "$db" --rules "$src/tests/providers/rules" 91350100M000100Y43
contains '"number": "210300000012345"' "list shows the imported licence"
expect 0 "licences help" "$bin" licences --help

# what the command line quotes of its input is masked: a JSON parser's
# error near an ID number, an ID number as an unknown command or argument
printf '[{"holder":"11010519491231002X' >"$tmp/cut.json"
expect 2 "licences import bad JSON" "$bin" licences import --db "$db" --rules "$src/tests/providers/rules" "$tmp/cut.json"
contains "1101**********002X" "the parser's error is masked"
lacks "1101051949" "no ID in the parser's error"
printf '[{"holder":"11010519491231002X5",}]' >"$tmp/cut.json"
expect 2 "licences import bad JSON after the number" "$bin" licences import --db "$db" --rules "$src/tests/providers/rules" "$tmp/cut.json"
lacks "1101051949" "no ID glued to a digit in the parser's error"
expect 2 "unknown command quoting an ID" "$bin" 11010519491231002X
lacks "1101051949" "no ID in the unknown command"
expect 1 "request error quoting an ID" "$bin" list --db "$db" --rules "$src/tests/providers/rules" '{"applicant":"11010519491231002X-"}'
lacks "1101051949" "no ID in the engine's message"
# a request file with a NUL byte is refused, not read up to the NUL
printf '{"case":"x"}\000{"more":1}' >"$tmp/nul.json"
expect 2 "request with a NUL byte" "$bin" show --db "$db" --rules "$src/tests/providers/rules" "$tmp/nul.json"
contains "holds a NUL byte" "the NUL byte is named"
# an empty stdin is no request: taken as {}, `make_filter | onetrip list`
# whose make_filter failed would list every case (engine.md §10)
expect 2 "list with an empty stdin" sh -c '"$1" list --db "$2" --rules "$3" </dev/null' sh "$bin" "$db" "$src/tests/providers/rules"
contains "stdin is empty: no request (give '{}' for an empty one)" "an empty stdin is named"
printf '{"limit": 1}' >"$tmp/limit.json"
expect 0 "list with a request on stdin" sh -c '"$1" list --db "$2" --rules "$3" <"$4"' sh "$bin" "$db" "$src/tests/providers/rules" "$tmp/limit.json"
# a key given twice goes to the engine as it is, and is refused there
expect 1 "request with a key twice" "$bin" list --db "$db" --rules "$src/tests/providers/rules" '{"status":"closed","status":"x"}'
contains "duplicate object key" "the key given twice is named"
expect 1 "request with an unknown field" "$bin" list --db "$db" --rules "$src/tests/providers/rules" '{"stauts":"closed"}'
contains 'did you mean "status"?' "the unknown field gets a did-you-mean"
# a filter naming what there is not is refused as a misspelt status is: it
# would list nothing, as if there were no cases
db="$tmp/cases.db"
contract="$src/tests/contract/rules/contract.rules"
for f in '{"department":"nosuch"}' '{"item":"nosuch"}' '{"chain":"nosuch"}'; do
	expect 1 "list $f" "$bin" list --db "$db" --rules "$contract" "$f"
	contains "onetrip list: list: there is no $(echo "$f" | sed 's/{"\([a-z]*\)":"nosuch"}/\1/') 'nosuch'" "list $f names it"
done
expect 1 "list a misspelt item" "$bin" list --db "$db" --rules "$contract" '{"item":"construction_permt"}'
contains "there is no item 'construction_permt' — did you mean 'construction_permit'?" "a misspelt item gets a did-you-mean"
expect 0 "list a known department without cases" "$bin" list --db "$db" --rules "$contract" '{"department":"fire"}'
contains '"cases": []' "a known name lists what there is"
# an item the current rules do not have, but cases in the store do (an
# older rule version's): its cases are listed
expect 0 "list an item of an older rule version" "$bin" list --db "$db" --rules "$src/tests/providers/rules" '{"item":"construction_permit"}'
contains '"id": "20190927-0001"' "the older version's cases are listed"

# colour only when asked
expect 1 "color always" "$bin" check --color always "$src/tests/golden/ten_mistakes.rules"
contains "$(printf '\033[1;31m')" "colour escape present"

# the README's quick start, as it stands there: run in a directory where
# build/onetrip and rules/ are what they are in the source tree
mkdir -p "$tmp/quick/build"
ln -s "$bin" "$tmp/quick/build/onetrip"
ln -s "$src/rules" "$tmp/quick/rules"
sed -n '/^## Quick start/,/^## [^Q]/p' "$src/README.md" | sed -n '/^```sh$/,/^```$/p' |
	sed '1d;$d' >"$tmp/quick.sh"
# (TMPDIR: the block's mktemp -d, removed with $tmp)
expect 0 "README quick start" env TMPDIR="$tmp" sh -ec "cd '$tmp/quick' && . '$tmp/quick.sh'"
contains "ok: " "quick start: check"
contains '"medical_diagnosis",' "quick start: assess lists the missing papers"
contains "表单 form: 参保人姓名 is required" "quick start: assess lists the form's gaps"
contains '"id": "20240304-0001"' "quick start: submit creates the case"
contains '"status": "in_progress"' "quick start: the case is in progress"
contains '"op": "act"' "quick start: show has the approval in the history"
# show's answer comes last: its current step is the second
grep -A2 '"current": \[' "$tmp/out" | tail -1 | grep -q '"step": "expert"' ||
	{ echo "FAIL: quick start: show has the case elsewhere than at expert"; fails=$((fails + 1)); }
[ "$(wc -l <"$tmp/quick.sh")" -ge 8 ] ||
	{ echo "FAIL: quick start: the README's block was not found"; fails=$((fails + 1)); }

# docs/engine.md §13.6: a chain from the command line, as it stands there
sed -n '/^### 13.6 A chain from the command line/,/^## /p' "$src/docs/engine.md" |
	sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' >"$tmp/chain.sh"
expect 0 "engine.md §13.6 (a chain)" env TMPDIR="$tmp" sh -ec "cd '$tmp/quick' && . '$tmp/chain.sh'"
contains '"complete": true' "chain: the notice says the chain can be accepted"
contains '"from_chain"' "chain: what earlier items issue is not asked"
contains '缺少材料 missing: 建设工程设计方案(总平面图及单体方案) (建设工程规划许可证核发)' "chain: the notice line names the item"
contains '"kind": "chain"' "chain: submit creates a chain case"
contains '"due": "2020-02-11"' "chain: its due date"
contains '"case": "20191202-0003"' "chain: the filing's approval opened the land-use permit"
contains '"op": "item"' "chain: the history has the item event"
[ "$(wc -l <"$tmp/chain.sh")" -ge 8 ] ||
	{ echo "FAIL: engine.md §13.6: the block was not found"; fails=$((fails + 1)); }

# docs/engine.md §3.15: the time sweep from the command line, as it stands there
sed -n '/^### 3.15 `sweep`/,/^## /p' "$src/docs/engine.md" |
	sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' >"$tmp/sweep.sh"
expect 0 "engine.md §3.15 (the sweep)" env TMPDIR="$tmp" sh -ec "cd '$tmp/quick' && . '$tmp/sweep.sh'"
python3 - "$tmp/out" >"$tmp/sweep.got" <<'PY' || { echo "FAIL: sweep: the answers are not JSON"; fails=$((fails + 1)); }
import json, sys
text, dec, at, out = open(sys.argv[1], encoding="utf-8").read(), json.JSONDecoder(), 0, []
while text[at:].strip():
    while text[at].isspace():
        at += 1
    obj, at = dec.raw_decode(text, at)
    out.append(obj)
for o in out[1:4] + out[5:6]:
    print("sweep", [(w["level"], w["target"], w.get("step"), w["due"]) for w in o["warnings"]])
show = out[6]
print("show", show["status"], [c["step"] for c in show["current"]],
      sum(h["op"] == "warn" for h in show["history"]), len(show["warnings"]))
PY
printf '%s\n' "sweep [('yellow', 'step', 'intake', '2024-03-05')]" "sweep []" \
	"sweep [('red', 'step', 'intake', '2024-03-05')]" \
	"sweep [('red', 'case', None, '2024-03-18'), ('red', 'step', 'expert', '2024-03-13')]" \
	"show in_progress ['expert'] 4 4" >"$tmp/sweep.want"
cmp -s "$tmp/sweep.want" "$tmp/sweep.got" || {
	echo "FAIL: engine.md §3.15: the sweeps warned otherwise than it says:"
	diff "$tmp/sweep.want" "$tmp/sweep.got" | sed 's/^/    /'
	fails=$((fails + 1))
}
expect 0 "sweep --help" "$bin" sweep --help
contains "--warn-workdays" "sweep help lists --warn-workdays"
expect 2 "sweep with a bad option" "$bin" sweep --limit 0
expect 2 "sweep with a bad warn_workdays" "$bin" sweep --db "$tmp/sw.db" --rules "$src/rules" --warn-workdays 99
contains "warn_workdays is from -1" "sweep: warn_workdays out of range"

# docs/language.md §9: its chain is the bundled one, and `check --trips`
# prints what it shows
sed -n '/^## 9. Chains and stages/,/^## 10/p' "$src/docs/language.md" >"$tmp/lang9"
sed -n '/^```rules$/,/^```$/p' "$tmp/lang9" | sed '1d;$d' | sed 's/ *#.*//; /^ *$/d' >"$tmp/doc_chain"
sed -n '/^chain construction_approval /,/^}/p' "$src/rules/lishan/chains.rules" |
	sed 's/ *#.*//; /^ *$/d' >"$tmp/real_chain"
if [ ! -s "$tmp/doc_chain" ] || ! cmp -s "$tmp/doc_chain" "$tmp/real_chain"; then
	echo "FAIL: language.md §9: the chain differs from rules/lishan/chains.rules"
	diff "$tmp/doc_chain" "$tmp/real_chain" | head -10
	fails=$((fails + 1))
fi
sed -n "/^\$ onetrip check --trips rules\/ | grep -A1 '^chain'$/,/^\`\`\`$/p" "$tmp/lang9" | sed '1d;$d' >"$tmp/doc_trips"
"$bin" check --trips "$src/rules" | grep -A1 '^chain' | grep -v '^--$' >"$tmp/real_trips"
if [ ! -s "$tmp/doc_trips" ] || ! cmp -s "$tmp/doc_trips" "$tmp/real_trips"; then
	echo "FAIL: language.md §9: check --trips prints something else"
	diff "$tmp/doc_trips" "$tmp/real_trips" | head -10
	fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] && echo "cli: all passed"
exit $((fails > 0))
