#!/bin/sh
# Runs a program linked with unit/case_text_check.c (every snapshot case_text
# writes compared with the jansson builder it replaced): it must pass, and
# have compared at least one snapshot.
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
"$@" 2>"$log"
rc=$?
cat "$log" >&2
n=$(sed -n 's/^case_text_check: \([0-9]*\) snapshots compared$/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
[ "$rc" -eq 0 ] || exit "$rc"
if [ "$n" -eq 0 ]; then
	echo "case_text_check: no snapshot was compared" >&2
	exit 1
fi
echo "case_text_check: $n snapshots compared, all the same bytes"
