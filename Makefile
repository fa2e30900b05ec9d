# The README commands. Everything real lives in CMakeLists.txt.
# Each stage prints one line; the compilers' output goes to the stage's
# build.log, shown in full only when the stage fails.
.PHONY: test run demo deps build install clean fuzz-build fuzz-short tsan

deps:
	@tools/setup-deps

build: deps
	@echo "building build/ (log: build/build.log) …"
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOT_WERROR=ON >/dev/null
	@cmake --build build -j2 >build/build.log 2>&1 || { cat build/build.log; exit 1; }
	@echo "built build/onetrip and build/lib/libonetrip.{so,a}"

# The fuzz targets (clang, libFuzzer) run 15 s each: FUZZ_SECONDS=0 skips them.
FUZZ_SECONDS ?= 15
FUZZ_TARGETS = fuzz_compile fuzz_ops fuzz_ops_lishan fuzz_scenario

test: build
	@echo "building build-asan/ with AddressSanitizer and UBSan (log: build-asan/build.log) …"
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DOT_SANITIZE=ON -DOT_WERROR=ON >/dev/null
	@cmake --build build-asan -j2 >build-asan/build.log 2>&1 || { cat build-asan/build.log; exit 1; }
	@echo "testing build/ …"
	@# test_enomem and the service's HTTP test run under the sanitizers only,
	@# below (the HTTP test under ThreadSanitizer too): they see what these
	@# runs see and leaks and races besides, and these are among the longest
	@ctest --test-dir build --output-on-failure -j2 -E '^(unit_enomem|http_service)$$'
	@echo "testing build-asan/ (the unit tests, the scenario suites, the service's HTTP tests, the PostgreSQL backend's) …"
	@ctest --test-dir build-asan --output-on-failure -j2 -L unit
	@ctest --test-dir build-asan --output-on-failure -j2 -R '^scenarios_(contract|bundled|hooks|providers)$$'
	@# after the unit tests, not beside them: a busy machine slows their hooks' time limits
	@ctest --test-dir build-asan --output-on-failure -L http
	@ctest --test-dir build-asan --output-on-failure -j2 -R '^(pg_unit|backend_pg_.*)$$'
	@$(MAKE) --no-print-directory tsan
	@if [ "$(FUZZ_SECONDS)" != 0 ]; then $(MAKE) --no-print-directory fuzz-short; fi

# Engines in several threads on one shared rule base, and the service's
# worker threads, committer and long polls, under ThreadSanitizer.
tsan: deps
	@echo "building build-tsan/ with ThreadSanitizer, the threads test and onetrip serve (log: build-tsan/build.log) …"
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOT_TSAN=ON -DOT_WERROR=ON >/dev/null
	@cmake --build build-tsan -j2 --target test_threads onetrip-cli >build-tsan/build.log 2>&1 || \
		{ cat build-tsan/build.log; exit 1; }
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66" ctest --test-dir build-tsan --output-on-failure \
		-R '^(unit_threads|http_service)$$'

fuzz-build: deps
	@echo "building build-fuzz/ with clang and libFuzzer (log: build-fuzz/build.log) …"
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DOT_FUZZ=ON -DOT_WERROR=ON -DOT_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build build-fuzz -j2 --target $(FUZZ_TARGETS) >build-fuzz/build.log 2>&1 || \
		{ cat build-fuzz/build.log; exit 1; }

fuzz-short: fuzz-build
	@echo "fuzzing: each target for $(FUZZ_SECONDS) s …"
	@ctest --test-dir build-fuzz --output-on-failure -j2 -L fuzz

# The service on the bundled rules, a store under var/ (tools/run-service):
# prints the URL, demo tokens and a curl example; Ctrl-C stops it.
run: build
	@tools/run-service

demo: build
	@./build/onetrip check rules/
	@./build/onetrip info rules/
	@echo
	@./build/onetrip demo --rules rules construction_permit

# The binary, both libraries, onetrip.h, onetrip.pc, the docs and the
# stdlib under PREFIX (DESTDIR, if set, is put in front for packaging).
# As root, ldconfig then adds the new libonetrip.so.0 to the loader's cache.
PREFIX ?= /usr/local
install: build
	@cmake --install build --prefix "$(PREFIX)" >build/install.log || \
		{ cat build/install.log; exit 1; }
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi
	@echo "installed into $(DESTDIR)$(PREFIX): bin/onetrip, lib/libonetrip.{so,a}," \
		"include/onetrip.h, lib/pkgconfig/onetrip.pc, share/doc/onetrip, share/onetrip/stdlib" \
		"(the list: build/install_manifest.txt)"

clean:
	rm -rf build build-asan build-fuzz build-tsan
