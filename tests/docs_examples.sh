#!/bin/sh
# The examples of the docs run: every ```rules and ```lua block of
# docs/language.md and docs/hooks.md, and every other fenced block of
# docs/*.md that a marker names, is taken out and checked.  A marker is an
# HTML comment (invisible when rendered) on a line of its own before the
# block, with at most blank lines between:
#
#   <!-- checked -->         ```rules: a whole rule file, `onetrip check`
#                            says ok; ```scenario: a scenario file,
#                            `onetrip test` passes (its `rules "rules"` line
#                            names the bundled rule base)
#   <!-- checked with PATH -->
#                            ```rules: a fragment.  PATH is a rule file of
#                            the repository (a preamble, usually under
#                            tests/docs/) with a line `# EXAMPLE`: the block
#                            goes in its place, in a copy of PATH's
#                            directory, and `onetrip check PATH` says ok
#   <!-- checked with PATH as FILE -->
#                            the block is the file FILE (relative to PATH)
#                            of that copy, e.g. a hook file: ```lua
#   <!-- checked: CODE -->, <!-- checked with ...: CODE -->
#                            the same, but the block shows a mistake:
#                            `onetrip check` reports CODE (E204, W404 …),
#                            and no error of another code
#   <!-- checked results -->  ```lua: calls of the standard library, each
#                            line `CALL --> VALUES` (a `(…)` after them is a
#                            comment); run in validate of the item of
#                            tests/docs/stdlib (case.now 2021-09-16T09:00,
#                            the national calendar), each call must give
#                            those values
#   <!-- part of PATH -->    an excerpt of the repository's file PATH: its
#                            lines, blanks collapsed, stand in PATH in that
#                            order, one after the other except where the
#                            block has a line `…` or `...`; lines that are
#                            only a comment are left out on both sides.  A
#                            rule file PATH must check ok too
#   <!-- the file PATH -->   any fenced block: the file PATH of the
#                            repository as it stands (one copy: the file is
#                            what the tests use, e.g. examples/deploy/
#                            nginx.conf by tests/http/test_nginx.py)
#
# A ```rules or ```lua block of docs/language.md or docs/hooks.md without a
# marker fails the test.  A copy of a directory sits where it does in the
# repository, beside links to the rest, so `use "../../rules/…"` works.
#   docs_examples.sh ONETRIP SOURCE_DIR
set -u
bin=$1
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
count=0
fail() { echo "FAIL: docs/$where $1"; fails=$((fails + 1)); }
show() { sed "s|$tmp/ctx/||g; s|$tmp/||g; s/\\\\\"/\"/g; s/^/    /" | head -20; }

# $tmp/ctx: the repository, each entry a link to the source, except that the
# directory $1 is a copy (its parent directories hold links).
mirror() {
	rm -rf "$tmp/ctx"
	mkdir "$tmp/ctx"
	from=$src here=$tmp/ctx rest=$1/
	while [ -n "$rest" ]; do
		part=${rest%%/*} rest=${rest#*/}
		for e in "$from"/*; do
			[ "${e##*/}" = "$part" ] || ln -s "$e" "$here/"
		done
		from=$from/$part here=$here/$part
		mkdir "$here"
	done
	cp -R "$from"/. "$here"
}

for doc in "$src"/docs/*.md; do
	name=$(basename "$doc" .md)
	# each marked block into $tmp/NAME-N.KIND, N its line in the doc, and
	# its marker into $tmp/NAME-N.KIND.how: MODE PATH FILE CODE ("-": none)
	awk -v out="$tmp/$name" -v all="$([ "$name" = language ] || [ "$name" = hooks ] && echo 1)" '
		/^<!-- .* -->$/ {
			m = substr($0, 6, length($0) - 9); code = "-"; path = "-"; as = "-"
			if (m ~ /: [EW][0-9][0-9][0-9]$/) { code = substr(m, length(m) - 3); m = substr(m, 1, length(m) - 6) }
			n = split(m, w, " ")
			if (w[1] == "checked" && n == 1) mode = "checked"
			else if (w[1] == "checked" && n == 2 && w[2] == "results") mode = "results"
			else if (w[1] == "checked" && w[2] == "with" && (n == 3 || n == 5 && w[4] == "as")) {
				mode = "with"; path = w[3]; if (n == 5) as = w[5] }
			else if (w[1] == "part" && w[2] == "of" && n == 3) { mode = "part"; path = w[3] }
			else if (w[1] == "the" && w[2] == "file" && n == 3) { mode = "same"; path = w[3] }
			else next
			if (code != "-" && mode != "checked" && mode != "with") next
			how = mode " " path " " as " " code; next }
		how && /^```[a-z]*$/ {
			file = out "-" NR "." (substr($0, 4) == "" ? "text" : substr($0, 4))
			print how > (file ".how"); close(file ".how")
			printf "" > file; how = ""; next }
		!file && all && /^```(rules|lua)$/ {
			print "unmarked - - -" > (out "-" NR "." substr($0, 4) ".how"); skip = 1; next }
		skip && /^```$/ { skip = 0; next }
		file && /^```$/ { close(file); file = ""; next }
		file { print > file }
		how && !/^$/ { how = "" }
	' "$doc"
done

for how in "$tmp"/*.how; do
	[ -e "$how" ] || continue
	f=${how%.how}
	count=$((count + 1))
	where=$(basename "$f" | sed 's/-\([0-9]*\)\.[a-z]*$/.md, the block after line \1,/')
	read -r mode path as code < "$how"
	case $mode in
	unmarked)
		fail "has no marker: every rules and lua block is checked (tests/docs_examples.sh)"
		continue ;;
	checked)
		case $f in
		*.rules)
			out=$("$bin" check --color never "$f" 2>&1) ;;
		*.scenario)
			sed -i "s|^  rules \"rules\"$|  rules \"$src/rules\"|" "$f"
			out=$("$bin" test "$f" 2>&1) ;;
		*)
			fail "is checked, but only a rules or scenario block can be by itself"
			continue ;;
		esac
		rc=$? ;;
	with)
		[ -f "$src/$path" ] || { fail "is checked with $path, which is not a file"; continue; }
		mirror "$(dirname "$path")"
		if [ "$as" != - ]; then
			case $as in *..*) fail "is checked as $as: a file inside the directory of $path"; continue ;; esac
			mkdir -p "$(dirname "$tmp/ctx/$(dirname "$path")/$as")"
			cp "$f" "$tmp/ctx/$(dirname "$path")/$as"
		else
			awk -v block="$f" '
				$0 == "# EXAMPLE" { while ((getline l < block) > 0) print l; found = 1; next }
				{ print }
				END { exit !found }' "$src/$path" > "$tmp/ctx/$path" ||
				{ fail "is checked with $path, which has no line '# EXAMPLE'"; continue; }
		fi
		out=$("$bin" check --color never "$tmp/ctx/$path" 2>&1)
		rc=$? ;;
	results)
		mirror tests/docs/stdlib
		# each `CALL --> VALUES` becomes a comparison; the rest stays
		awk '
			BEGIN { print "return function(case, differ)" }
			/ --> / {
				i = index($0, " --> "); call = substr($0, 1, i - 1); want = substr($0, i + 5)
				sub(/ +\(.*\)$/, "", want); sub(/ +$/, "", call)
				printf "differ([==[%s]==], table.pack(%s), table.pack(%s))\n", $0, call, want; next }
			{ print }
			END { print "end" }' "$f" > "$tmp/ctx/tests/docs/stdlib/hooks/results.lua"
		out=$("$bin" assess --db "$tmp/results.db" --rules "$tmp/ctx/tests/docs/stdlib/stdlib.rules" \
			--now 2021-09-16T09:00 '{"item": "stdlib_results"}' 2>&1)
		echo "$out" | grep -q '"complete": true' || {
			fail "does not give the values it shows:"
			echo "$out" | grep '"message"\|hook_error' | show
		}
		continue ;;
	part)
		[ -f "$src/$path" ] || { fail "is part of $path, which is not a file"; continue; }
		# each run of lines between elisions stands in PATH, in order
		awk -v c="$(case $path in *.lua) echo --;; *) echo '#';; esac)" '
			# the line without its comment, blanks collapsed
			function norm(s,   i, q, ch) {
				for (i = 1; i <= length(s); i++) {
					ch = substr(s, i, 1)
					if (q && ch == "\\") i++
					else if (ch == q) q = ""
					else if (!q && (ch == "\"" || ch == "'\''")) q = ch
					else if (!q && substr(s, i, length(c)) == c) { s = substr(s, 1, i - 1); break }
				}
				gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s); return s }
			function skip(s) { return s == "" }
			FNR == NR { s = norm($0); if (!skip(s)) text[++nt] = s; next }
			{ s = norm($0) }
			s == "…" || s == "..." { gap[nb + 1] = 1; next }
			!skip(s) { want[++nb] = s }
			END {
				at = 1
				for (i = 1; i <= nb; i = j) {
					for (j = i + 1; j <= nb && !gap[j]; j++) ;
					best = 0
					for (k = at; k + j - i - 1 <= nt; k++) {
						for (m = 0; i + m < j && text[k + m] == want[i + m]; m++) ;
						if (i + m == j) break
						if (m > best) best = m
					}
					if (k + j - i - 1 > nt) { print "    not found there: " want[i + best]; exit 1 }
					at = k + j - i
				}
			}' "$src/$path" "$f" > "$tmp/part.out" || {
			fail "is not part of $path as it stands:"
			cat "$tmp/part.out"
			continue
		}
		case $path in
		*.rules)
			grep -qx "$path" "$tmp/parts" 2>/dev/null && continue
			echo "$path" >> "$tmp/parts"
			out=$("$bin" check --color never "$src/$path" 2>&1)
			rc=$? ;;
		*)
			continue ;;
		esac ;;
	same)
		cmp -s "$f" "$src/$path" || {
			fail "is not $path as it stands:"
			diff "$src/$path" "$f" | sed 's/^/    /' | head -20
		}
		continue ;;
	esac
	if [ "$code" = - ]; then
		[ "$rc" = 0 ] || { fail "does not check:"; echo "$out" | show; }
	else
		others=$(echo "$out" | grep 'error\[' | grep -v "error\[$code\]")
		echo "$out" | grep -q "\[$code\]" && [ -z "$others" ] || {
			fail "should be told $code, and nothing else:"
			echo "$out" | show
		}
	fi
done
[ "$count" -gt 0 ] || { echo "FAIL: no checked examples found in docs/"; exit 1; }
[ "$fails" = 0 ] && echo "docs: $count examples checked as written"
[ "$fails" = 0 ]
