#!/bin/sh
# The examples of the docs run: every fenced block that follows a line
# `<!-- checked -->` in docs/*.md is taken out and run as it stands.
#   ```rules     a whole rule file: `onetrip check` must say ok
#   ```scenario  a scenario file: `onetrip test` must pass; its
#                `rules "rules"` line names the bundled rule base
# and every fenced block after a line `<!-- the file PATH -->` must be that
# file of the repository as it stands (one copy: the file is what the
# tests use, e.g. examples/deploy/nginx.conf by tests/http/test_nginx.py).
#   docs_examples.sh ONETRIP SOURCE_DIR
set -u
bin=$1
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
count=0
for doc in "$src"/docs/*.md; do
	name=$(basename "$doc" .md)
	# each checked block into $tmp/NAME-N.KIND, N its line in the doc
	awk -v out="$tmp/$name" '
		/^<!-- checked -->$/ { armed = 1; next }
		/^<!-- the file [^ ]* -->$/ { armed = 1; same = $4; next }
		armed && same && /^```[a-z]*$/ {
			file = out "-" NR ".same"; print same > (file ".path"); close(file ".path")
			printf "" > file; armed = 0; same = ""; next }
		armed && /^```[a-z]+$/ { kind = substr($0, 4); file = out "-" NR "." kind; armed = 0; next }
		file && /^```$/ { close(file); file = ""; next }
		file { print > file }
		armed && !/^$/ { armed = 0 }
	' "$doc"
done
for f in "$tmp"/*.rules "$tmp"/*.scenario; do
	[ -e "$f" ] || continue
	count=$((count + 1))
	where=$(basename "$f" | sed 's/-\([0-9]*\)\.[a-z]*$/.md, the block after line \1/')
	case $f in
	*.rules)
		out=$("$bin" check --color never "$f" 2>&1) || {
			echo "FAIL: docs/$where does not check:"
			echo "$out" | sed 's/^/    /' | head -20
			fails=$((fails + 1))
		} ;;
	*.scenario)
		sed -i "s|^  rules \"rules\"$|  rules \"$src/rules\"|" "$f"
		out=$("$bin" test "$f" 2>&1) || {
			echo "FAIL: docs/$where does not pass:"
			echo "$out" | sed 's/^/    /' | head -20
			fails=$((fails + 1))
		} ;;
	esac
done
for f in "$tmp"/*.same; do
	[ -e "$f" ] || continue
	count=$((count + 1))
	where=$(basename "$f" | sed 's/-\([0-9]*\)\.[a-z]*$/.md, the block after line \1/')
	path=$(cat "$f.path")
	cmp -s "$f" "$src/$path" || {
		echo "FAIL: docs/$where is not $path as it stands:"
		diff "$src/$path" "$f" | sed 's/^/    /' | head -20
		fails=$((fails + 1))
	}
done
[ "$count" -gt 0 ] || { echo "FAIL: no checked examples found in docs/"; exit 1; }
[ "$fails" = 0 ] && echo "docs: $count checked examples run as written"
[ "$fails" = 0 ]
