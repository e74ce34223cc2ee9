# Thin wrapper: the real build is CMake (CMakePresets.json). Every target installs what
# is missing first, so each one works on a fresh Debian 12 machine.
.PHONY: setup configure build demo test bench clean format

setup:
	@bash scripts/setup.sh

build/build.ninja: | setup
	@cmake --preset default >/dev/null

configure: setup build/build.ninja

build: configure
	@cmake --build --preset default

demo: build
	@bash scripts/demo.sh

test: build
	@ctest --preset default

bench: build
	@for b in build/bench-bin/*; do echo "== $$b"; "$$b" || exit 1; done

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf build
