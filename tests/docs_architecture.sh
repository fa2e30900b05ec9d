#!/bin/sh
# docs/architecture.md names files and functions for a newcomer to find:
# each named file exists, and each named function is defined in the tree.
set -eu
src=$1
cd "$src"
bad=0
for f in $(grep -o '`[a-z_./-]*\.\(c\|h\|re\|y\|cmake\)`' docs/architecture.md | tr -d '`' | sort -u); do
	case "$f" in */*) [ -e "$f" ] || { echo "architecture.md: no file $f"; bad=1; } ;; esac
done
# the functions of the "where is" table: backticked C names in its rows
for fn in $(sed -n '/^## 4/,$p' docs/architecture.md | grep -o '`[a-z_][a-z_0-9]*`' | tr -d '`' | sort -u); do
	grep -rqE "^(static )?[a-z_0-9 ]+[ *]$fn\(|^(static )?const [a-z_ *]+$fn\[|$fn\[\] = " \
		engine dsl tools third_party || { echo "architecture.md: no function $fn"; bad=1; }
done
[ "$bad" = 0 ] && echo "architecture.md: every file and function it names is there"
exit "$bad"
