#!/bin/sh
# Golden diagnostics: every NAME.rules here is checked and the output
# compared exactly with NAME.expected (and with NAME.json.expected, when
# present, for --json).  The files are the specification of what a rule
# writer sees; review a diff as you would review prose.
#
#   run.sh ONETRIP            compare
#   run.sh ONETRIP --update   rewrite the expectations from the output
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
update=${2:-}
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
status=0
for f in *.rules; do
	name=${f%.rules}
	# files that are only `use`d by another test have no expectation
	[ -f "$name.expected" ] || [ -n "$update" ] || continue
	case $name in *_b) [ -n "$update" ] && continue ;; esac
	"$bin" check --color never "$f" >"$tmp" 2>&1
	echo "exit $?" >>"$tmp"
	if [ -n "$update" ]; then
		cp "$tmp" "$name.expected"
	elif ! diff -u "$name.expected" "$tmp"; then
		echo "FAIL: $f (diff above: - expected, + actual)"
		status=1
	fi
	if [ -f "$name.json.expected" ] || { [ -n "$update" ] && [ "$name" = ten_mistakes ]; }; then
		"$bin" check --json "$f" >"$tmp" 2>&1
		echo "exit $?" >>"$tmp"
		if [ -n "$update" ]; then
			cp "$tmp" "$name.json.expected"
		elif ! diff -u "$name.json.expected" "$tmp"; then
			echo "FAIL: $f --json"
			status=1
		fi
	fi
done
exit $status
