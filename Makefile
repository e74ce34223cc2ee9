# Thin wrapper: the real build is CMake (CMakePresets.json). Every target installs what
# is missing first, so each one works on a fresh Debian 12 machine.
.PHONY: setup configure build sanitize demo test bench fuzz clean format

setup:
	@bash scripts/setup.sh

build/build.ninja: | setup
	@cmake --preset default >/dev/null

configure: setup build/build.ninja

build: configure
	@cmake --build --preset default

demo: build
	@bash scripts/demo.sh

# The parts without LibTorch again, built with AddressSanitizer + UBSan (build-sanitize/).
sanitize: setup
	@cmake --preset sanitize >/dev/null
	@cmake --build --preset sanitize

test: build sanitize
	@ctest --preset default
	@echo "== the same unit and end-to-end tests without LibTorch, under ASan + UBSan"
	@ctest --preset sanitize
	@echo "== every fuzzer without LibTorch for 10 s (make fuzz runs them all for longer)"
	@FUZZ_SECONDS=10 FUZZ_PRESET=fuzz-smoke bash scripts/fuzz.sh

# libFuzzer targets, each run for FUZZ_SECONDS (default 60).
fuzz: setup
	@bash scripts/fuzz.sh

bench: build
	@for b in build/bench-bin/*; do echo "== $$b"; "$$b" || exit 1; done

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf build build-sanitize build-fuzz build-fuzz-smoke
