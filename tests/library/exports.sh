#!/bin/sh
# The libraries show the public API and nothing else: every name that
# libonetrip.so exports and that libonetrip.a defines globally is declared
# OT_API in onetrip.h, and every such declaration is there.  An internal
# name that got out (arena_alloc, err_set ...) could clash with a host
# program's; a public one left out breaks the programs that call it.
#   exports.sh LIBONETRIP.SO LIBONETRIP.A ONETRIP.H
set -u
so=$1
a=$2
header=$3
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it

# the OT_API functions of the header, one name a line
sed -n 's/^OT_API .*[ *]\(ot_[a-z0-9_]*\)(.*/\1/p' "$header" | sort >"$tmp/api"
[ -s "$tmp/api" ] || { echo "FAIL: no OT_API declarations found in $header"; exit 1; }

# same NAME LIST: the names in LIST are exactly the header's
same() {
	if ! cmp -s "$tmp/api" "$2"; then
		echo "FAIL: $1 differs from the OT_API declarations of onetrip.h:"
		diff "$tmp/api" "$2" | sed -n 's/^</    not exported:/p; s/^>/    exported, not public:/p'
		fails=$((fails + 1))
	fi
}

nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/so"
same "nm -D --defined-only $so" "$tmp/so"
nm --defined-only --extern-only "$a" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/a"
same "nm --defined-only --extern-only $a" "$tmp/a"

# and the SONAME a program records is the major version's
readelf -d "$so" | grep -q 'SONAME.*\[libonetrip\.so\.[0-9]*\]' ||
	{ echo "FAIL: $so has no SONAME libonetrip.so.MAJOR"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ] && echo "ok: $(wc -l <"$tmp/api") public names, nothing else exported"
[ "$fails" -eq 0 ]
