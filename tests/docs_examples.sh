#!/bin/sh
# The examples of the docs run: every ```rules and ```lua block of
# docs/language.md and docs/hooks.md, every ```json, ```console, ```c,
# ```sh, ```scenario, ```python and ```text block of docs/engine.md and
# docs/scenarios.md, and every other fenced block of docs/*.md that a
# marker names, is taken out and checked.  A marker is an HTML comment
# (invisible when rendered) on a line of its own before the block, with at
# most blank lines between (indented as the block is, inside a list):
#
#   <!-- checked -->         ```rules: a whole rule file, `onetrip check`
#                            says ok; ```scenario: a scenario file,
#                            `onetrip test` passes (its `rules "rules"` line
#                            names the bundled rule base); ```console: a
#                            session, run (below); ```python: run, each
#                            `print(…)  # VALUE` printing VALUE
#   <!-- checked after SCRIPT -->
#                            ```console: the session, run after `sh SCRIPT`
#                            (the repository's file) made its files
#   <!-- checked with PATH -->
#                            ```rules: a fragment.  PATH is a rule file of
#                            the repository (a preamble, usually under
#                            tests/docs/) with a line `# EXAMPLE`: the block
#                            goes in its place, in a copy of PATH's
#                            directory, and `onetrip check PATH` says ok.
#                            ```c: PATH is a C program with a line
#                            `/* EXAMPLE */`, where the block goes; it is
#                            built against the library and must run (exit 0)
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
#   <!-- output of SCRIPT ARGS -->
#                            an answer: what `sh SCRIPT ARGS` prints (a
#                            script under tests/docs/ that runs the requests
#                            the text describes; $BLOCK is the block's file)
#   <!-- saved as NAME -->   a request or a program: the file NAME in the
#                            directory of the doc's sessions and scripts,
#                            which must use it
#   <!-- checked by FILE -->  run by another test, FILE, which names the doc
#   <!-- not run: REASON --> not run, for the reason given
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
# A block of a kind above without a marker fails the test.  A copy of a
# directory sits where it does in the repository, beside links to the rest,
# so `use "../../rules/…"` works.
#
# Sessions, scripts and programs run in a new directory that stands for the
# repository's root after `make build`: links to the source (not build* or
# var, so var/onetrip.db is a new store), the doc's saved blocks, ONETRIP as
# `onetrip` on PATH, the library LIBONETRIP (its directory) for the loader
# and, through an onetrip.pc of the uninstalled tree (the header in
# engine/), for `pkg-config --cflags --libs onetrip`; $SRC is the source.  A
# session's lines `$ COMMAND` (a line ending in \ goes on) run in one shell,
# each with its stderr; the block must be what they print, each command
# echoed as written.  Answers and sessions are compared by
# tests/docs_output.py: a rule set hash matches any; JSON as JSON, an
# object showing some of its fields, `…` the rest of an array or object;
# text line by line, a line `…` any lines, a `…` inside a line any text.
#   docs_examples.sh ONETRIP SOURCE_DIR [LIBONETRIP]
#     (LIBONETRIP: libonetrip.so, by default ONETRIP's directory's lib/)
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
lib=${3:-$(dirname "$bin")/lib/libonetrip.so}
lib=$(cd "$(dirname "$lib")" && pwd)
tmp=$(mktemp -d) || exit 1 # an empty $tmp would put the paths below in /
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # dash runs the EXIT trap only on exit
# What sessions, scripts and programs run with: this onetrip on PATH, the
# library where the loader and pkg-config find it, uninstalled (the header
# in engine/, as engine.md §11.1 says)
mkdir "$tmp/bin" "$tmp/pc"
ln -s "$bin" "$tmp/bin/onetrip"
export PATH="$tmp/bin:$PATH" LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" PKG_CONFIG_PATH="$tmp/pc"
cat > "$tmp/pc/onetrip.pc" <<EOF
Name: onetrip
Description: rules engine for government services, as built in $lib
Version: $("$bin" --version | sed 's/^onetrip //')
Requires.private: $(sed -n 's/^set(OT_LIB_REQUIRES \(.*\))$/\1/p' "$src/cmake/library.cmake")
Cflags: -I$src/engine
Libs: -L$lib -lonetrip
EOF
fails=0
count=0
exempt=0
fail() { echo "FAIL: docs/$where $1"; fails=$((fails + 1)); }
show() { sed "s|$tmp/ctx/||g; s|$tmp/||g; s/\\\\\"/\"/g; s/^/    /" | head -20; }
# splice MARK BLOCK FILE: FILE with its line MARK replaced by BLOCK's
# lines; fails when FILE has no such line
splice() {
	awk -v mark="$1" -v block="$2" '
		$0 == mark { while ((getline l < block) > 0) print l; found = 1; next }
		{ print }
		END { exit !found }' "$3"
}

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
	# the kinds of block that must have a marker
	case $name in
	language|hooks) need='rules|lua' ;;
	engine|scenarios) need='json|console|c|sh|scenario|python|text' ;;
	*) need='' ;;
	esac
	awk -v out="$tmp/$name" -v need="$need" '
		/^ *<!-- .* -->$/ {
			m = $0; sub(/^ */, "", m); m = substr(m, 6, length(m) - 9); code = "-"; path = "-"; as = "-"; args = ""
			if (m ~ /^not run: [^ ]/) { how = "exempt - - -"; next }
			if (m ~ /: [EW][0-9][0-9][0-9]$/) { code = substr(m, length(m) - 3); m = substr(m, 1, length(m) - 6) }
			n = split(m, w, " ")
			if (w[1] == "checked" && n == 1) mode = "checked"
			else if (w[1] == "checked" && n == 2 && w[2] == "results") mode = "results"
			else if (w[1] == "checked" && w[2] == "with" && (n == 3 || n == 5 && w[4] == "as")) {
				mode = "with"; path = w[3]; if (n == 5) as = w[5] }
			else if (w[1] == "checked" && w[2] == "after" && n == 3) { mode = "checked"; path = w[3] }
			else if (w[1] == "checked" && w[2] == "by" && n == 3) { mode = "by"; path = w[3] }
			else if (w[1] == "output" && w[2] == "of" && n >= 3) {
				mode = "output"; path = w[3]; for (i = 4; i <= n; i++) args = args " " w[i] }
			else if (w[1] == "saved" && w[2] == "as" && n == 3 && w[3] ~ /^[A-Za-z0-9_.-]+$/) { mode = "saved"; as = w[3] }
			else if (w[1] == "part" && w[2] == "of" && n == 3) { mode = "part"; path = w[3] }
			else if (w[1] == "the" && w[2] == "file" && n == 3) { mode = "same"; path = w[3] }
			else next
			if (code != "-" && mode != "checked" && mode != "with") next
			how = mode " " path " " as " " code args; next }
		# a fence may be indented (a block inside a list item): so are its lines
		!file && !skip && /^ *```[a-z]*$/ {
			ind = index($0, "`") - 1; kind = substr($0, ind + 4)
			if (how) {
				file = out "-" NR "." (kind == "" ? "text" : kind)
				print how > (file ".how"); close(file ".how")
				printf "" > file; how = ""; next }
			if (need != "" && kind ~ ("^(" need ")$"))
				print "unmarked - - -" > (out "-" NR "." kind ".how")
			skip = 1; next }
		skip && /^ *```$/ { skip = 0; next }
		file && /^ *```$/ { close(file); file = ""; next }
		file { l = $0; for (i = 0; i < ind && substr(l, 1, 1) == " "; i++) l = substr(l, 2); print l > file }
		how && !/^$/ { how = "" }
	' "$doc"
done

# The blocks `saved as NAME` of a doc, for its sessions and scripts
for how in "$tmp"/*.how; do
	[ -e "$how" ] || continue
	read -r mode path as code < "$how"
	[ "$mode" = saved ] || continue
	d=$tmp/saved/$(basename "$how" | sed 's/-[0-9]*\.[a-z]*\.how$//')
	mkdir -p "$d"
	cp "${how%.how}" "$d/$as"
done
: > "$tmp/used"

# $tmp/run: a new directory for a session or a script, as the repository's
# root would be after `make build` (links to the source, without build and
# var: the store var/onetrip.db is new), with the doc's saved blocks
run_dir() {
	rm -rf "$tmp/run"
	mkdir "$tmp/run"
	for e in "$src"/*; do
		case ${e##*/} in build*|var) ;; *) ln -s "$e" "$tmp/run/" ;; esac
	done
	d=$tmp/saved/${where%%.md*}
	[ -d "$d" ] && cp "$d"/* "$tmp/run/"
	return 0
}
# compare BLOCK OUTPUT: the block shows the output (tests/docs_output.py)
compare() {
	case $1 in *.json) k=json ;; *) k=lines ;; esac
	python3 "$src/tests/docs_output.py" "$k" "$1" "$2" > "$tmp/diff" 2>&1
}
# csession BLOCK: the shell script that runs a session's `$ ` commands (a
# line ending in \ goes on), each echoed as the block shows it, then run
# with its stderr in its output; `$?` is the status of the one before
csession() {
	awk -v q="'" '
		function flush() {
			if (cmd == "") return
			printf "printf %s%s", q "%s\\n" q, echo
			printf "\n(exit $st)\n{ %s\n} 2>&1\nst=$?\n", cmd
			cmd = ""; echo = "" }
		function quote(s) { gsub(q, q "\\" q q, s); return " " q s q }
		BEGIN { print "st=0" }
		more { cmd = cmd "\n" $0; echo = echo quote($0); more = /\\$/; next }
		/^\$ / { flush(); cmd = substr($0, 3); echo = quote($0); more = /\\$/; next }
		END { flush() }' "$1"
}

for how in "$tmp"/*.how; do
	[ -e "$how" ] || continue
	f=${how%.how}
	count=$((count + 1))
	where=$(basename "$f" | sed 's/-\([0-9]*\)\.[a-z]*$/.md, the block after line \1,/')
	read -r mode path as code args < "$how"
	case $mode in
	unmarked)
		fail "has no marker: every block of its kind is checked, or says why not (tests/docs_examples.sh)"
		continue ;;
	exempt)
		count=$((count - 1)) exempt=$((exempt + 1))
		continue ;;
	saved)
		echo "$as $where" >> "$tmp/saved.list"
		continue ;;
	by)
		# run by another test, which names the doc
		[ -f "$src/$path" ] && grep -q "docs/${where%%.md*}.md" "$src/$path" ||
			fail "is checked by $path, which does not name docs/${where%%.md*}.md"
		continue ;;
	output)
		[ -f "$src/$path" ] || { fail "is the output of $path, which is not a file"; continue; }
		run_dir
		cat "$src/$path" >> "$tmp/used"
		# shellcheck disable=SC2086
		(cd "$tmp/run" && BLOCK=$f SRC=$src sh "$src/$path" $args) > "$tmp/out" 2> "$tmp/err" || {
			fail "is the output of $path $args, which failed:"
			show < "$tmp/err"
			continue
		}
		compare "$f" "$tmp/out" || { fail "does not show what $path $args prints:"; cat "$tmp/diff"; }
		continue ;;
	checked)
		case $f in
		*.console)
			run_dir
			cat "$f" >> "$tmp/used"
			if [ "$path" != - ]; then
				cat "$src/$path" >> "$tmp/used"
				(cd "$tmp/run" && SRC=$src sh "$src/$path") > "$tmp/err" 2>&1 ||
					{ fail "is checked after $path, which failed:"; show < "$tmp/err"; continue; }
			fi
			csession "$f" > "$tmp/session.sh"
			(cd "$tmp/run" && SRC=$src sh "$tmp/session.sh") > "$tmp/out" 2>&1
			compare "$f" "$tmp/out" || { fail "is not what the session prints:"; cat "$tmp/diff"; }
			continue ;;
		*.python)
			# the comment after each print() is what it prints
			run_dir
			sed -n 's/^print(.*) *# //p' "$f" > "$tmp/want"
			(cd "$tmp/run" && python3 "$f") > "$tmp/out" 2>&1 || { fail "does not run:"; show < "$tmp/out"; continue; }
			compare "$tmp/want" "$tmp/out" || { fail "does not print what it says:"; cat "$tmp/diff"; }
			continue ;;
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
		case $f in *.c)
			# a fragment of C, in place of the line /* EXAMPLE */ of a
			# program built against the library, which runs it
			run_dir
			splice "/* EXAMPLE */" "$f" "$src/$path" > "$tmp/run/example.c" ||
				{ fail "is checked with $path, which has no line '/* EXAMPLE */'"; continue; }
			# shellcheck disable=SC2046
			(cd "$tmp/run" && cc -std=c11 -Wall -Wextra -Werror example.c \
				$(pkg-config --cflags --libs onetrip jansson) -o example && ./example) > "$tmp/out" 2>&1 ||
				{ fail "does not build and run in $path:"; show < "$tmp/out"; }
			continue ;;
		esac
		mirror "$(dirname "$path")"
		if [ "$as" != - ]; then
			case $as in *..*) fail "is checked as $as: a file inside the directory of $path"; continue ;; esac
			mkdir -p "$(dirname "$tmp/ctx/$(dirname "$path")/$as")"
			cp "$f" "$tmp/ctx/$(dirname "$path")/$as"
		else
			splice "# EXAMPLE" "$f" "$src/$path" > "$tmp/ctx/$path" ||
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
# a saved block is used by a session or a script of its doc
[ -f "$tmp/saved.list" ] && while read -r as where; do
	grep -qF "$as" "$tmp/used" || fail "is saved as $as, which no session or script of the doc uses"
done < "$tmp/saved.list"
[ "$count" -gt 0 ] || { echo "FAIL: no checked examples found in docs/"; exit 1; }
[ "$fails" = 0 ] && echo "docs: $count examples checked as written, $exempt not run (each says why)"
[ "$fails" = 0 ]
