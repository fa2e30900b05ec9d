# The two README commands. Everything real lives in CMakeLists.txt.
.PHONY: test run deps build clean

deps:
	@tools/setup-deps

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOT_WERROR=ON >/dev/null
	@cmake --build build -j2 >build/build.log 2>&1 || { cat build/build.log; exit 1; }

test: build
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DOT_SANITIZE=ON -DOT_WERROR=ON >/dev/null
	@cmake --build build-asan -j2 >build-asan/build.log 2>&1 || { cat build-asan/build.log; exit 1; }
	@ctest --test-dir build --output-on-failure -j2
	@ctest --test-dir build-asan --output-on-failure -j2 -L unit

run: build
	@./build/onetrip check rules/
	@./build/onetrip info rules/
	@echo
	@./build/onetrip demo --rules rules construction_permit

clean:
	rm -rf build build-asan
