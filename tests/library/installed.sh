#!/bin/sh
# What a user gets from `cmake --install`: installs into a temporary
# prefix, then builds examples/assess.c against the installed tree with
# nothing but pkg-config (the line docs/engine.md shows), once with the
# shared library and once statically, and runs both.  A host program that
# defines names the library uses inside (tests/library/host.c) links too.
#   installed.sh BUILD_DIR SOURCE_DIR VERSION
set -u
build=$1
src=$2
version=$3
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # sh runs the EXIT trap at exit, not when a signal ends it
prefix=$tmp/prefix

fail() {
	echo "FAIL: $1"
	[ -f "$tmp/out" ] && sed 's/^/    /' "$tmp/out" | head -20
	fails=$((fails + 1))
}

cmake --install "$build" --prefix "$prefix" >"$tmp/out" 2>&1 || { fail "cmake --install"; exit 1; }
for f in bin/onetrip include/onetrip.h lib/libonetrip.a lib/libonetrip.so \
	lib/libonetrip.so.0 "lib/libonetrip.so.$version" lib/pkgconfig/onetrip.pc \
	share/doc/onetrip/README.md share/doc/onetrip/engine.md \
	share/doc/onetrip/examples/assess.c share/onetrip/stdlib/lua share/onetrip/stdlib/rules; do
	[ -e "$prefix/$f" ] || fail "not installed: $f"
done
"$prefix/bin/onetrip" --version >"$tmp/out" 2>&1 && grep -qx "onetrip $version" "$tmp/out" ||
	fail "the installed onetrip --version"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/lib"
pkg-config --modversion onetrip >"$tmp/out" 2>&1 && grep -qx "$version" "$tmp/out" ||
	fail "pkg-config --modversion onetrip"

# run_example NAME: runs $tmp/NAME from the source tree (rules/), checks
# both answers
run_example() {
	(cd "$src" && "$tmp/$1") >"$tmp/out" 2>&1 || { fail "$1 exited $?"; return; }
	grep -q '^assess: {.*"complete":false.*"missing":\["medical_diagnosis","medical_records"\]' \
		"$tmp/out" || fail "$1: the assessment"
	grep -q '"status": "in_progress"' "$tmp/out" || fail "$1: the submission"
}

# the line of docs/engine.md, with the shared library
# shellcheck disable=SC2046
cc "$src/examples/assess.c" $(pkg-config --cflags --libs onetrip) -o "$tmp/assess" \
	>"$tmp/out" 2>&1 || fail "cc examples/assess.c \$(pkg-config --cflags --libs onetrip)"
run_example assess
LD_TRACE_LOADED_OBJECTS=1 "$tmp/assess" 2>&1 |
	grep -q "libonetrip.so.0 => $prefix/lib/libonetrip.so.0" ||
	fail "assess does not load the installed libonetrip.so.0"

# statically: libonetrip.a linked in, the libraries it needs shared
# (docs/engine.md §11.1: libpq is not among them, it is loaded when a
# PostgreSQL store is opened); the binary must not load libonetrip.so.
# shellcheck disable=SC2046
cc "$src/examples/assess.c" $(pkg-config --cflags onetrip) "$prefix/lib/libonetrip.a" \
	$(pkg-config --libs lua5.4 sqlite3 jansson libmd) -o "$tmp/assess-static" \
	>"$tmp/out" 2>&1 ||
	fail "cc examples/assess.c PREFIX/lib/libonetrip.a \$(pkg-config --libs ...)"
run_example assess-static
LD_TRACE_LOADED_OBJECTS=1 "$tmp/assess-static" 2>&1 | grep -q "libonetrip.so" &&
	fail "assess-static loads libonetrip.so"
# a program on SQLite stores does not load PostgreSQL's client library
LD_TRACE_LOADED_OBJECTS=1 "$tmp/assess" 2>&1 | grep -q "libpq" &&
	fail "assess loads libpq at start"

# tests/library/host.c defines err_set and arena_alloc, names the library
# uses inside, and calls the library.
# shellcheck disable=SC2046
cc "$src/tests/library/host.c" $(pkg-config --cflags --libs onetrip) -o "$tmp/host" \
	>"$tmp/out" 2>&1 && "$tmp/host" >"$tmp/out" 2>&1 && grep -qx "$version 1 2" "$tmp/out" ||
	fail "a host program defining err_set and arena_alloc, shared library"
# shellcheck disable=SC2046
cc "$src/tests/library/host.c" $(pkg-config --cflags onetrip) "$prefix/lib/libonetrip.a" \
	$(pkg-config --libs lua5.4 sqlite3 libpq jansson libmd) -o "$tmp/host-static" >"$tmp/out" 2>&1 && "$tmp/host-static" >"$tmp/out" 2>&1 &&
	grep -qx "$version 1 2" "$tmp/out" ||
	fail "a host program defining err_set and arena_alloc, libonetrip.a"

[ "$fails" -eq 0 ] && echo "ok: installed, the example built with pkg-config, shared and static"
[ "$fails" -eq 0 ]
