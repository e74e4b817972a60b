# The two commands of the README. Each does its own set-up: dependencies, configure, build.
#   make demo   build the mipp command only and run its main job on the embedded default dataset
#   make test   build everything and run every test through ctest
# Other targets: make build, make bench, make clean, make sanitize (docs/RELIABILITY.md).
# Configure options pass through CMAKE_ARGS, e.g. make build CMAKE_ARGS=-DMIPP_CUDA=OFF.
BUILD_DIR ?= build
JOBS      ?= $(shell nproc)
CMAKE_GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
# clang compiles mipp about three times faster than g++ (docs/PERFORMANCE.md, "Build"), mostly by
# loading precompiled headers lazily; g++ works too (make MIPP_CXX=g++ ...).
MIPP_CXX  ?= $(shell command -v clang++ 2>/dev/null)
CMAKE_ARGS ?=

.PHONY: deps configure build demo test bench sanitize clean

deps:
	@scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -G "$(CMAKE_GENERATOR)" -DCMAKE_BUILD_TYPE=Release \
	    $(if $(MIPP_CXX),-DCMAKE_CXX_COMPILER=$(MIPP_CXX)) $(CMAKE_ARGS); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target mipp
	$(BUILD_DIR)/mipp demo --out-dir $(BUILD_DIR)/demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	$(BUILD_DIR)/mipp_bench --benchmark_min_time=1

# AddressSanitizer + UndefinedBehaviorSanitizer (docs/RELIABILITY.md): mipp, the fast tests and the
# fuzz harnesses in build-asan with clang, then the fast tests and the fuzz smoke runs. Release
# optimisation keeps the tests' run time near the normal build's; line tables name the lines in
# reports. -fsanitize=fuzzer-no-link gives libFuzzer coverage of the library, so the harnesses built
# here are the ones for long fuzz runs. LibTorch itself is not instrumented.
SANITIZE_DIR   ?= build-asan
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -gline-tables-only
sanitize: deps
	@if [ ! -f $(SANITIZE_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(SANITIZE_DIR) -G "$(CMAKE_GENERATOR)" -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS) -fsanitize=fuzzer-no-link" \
	    -DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE_FLAGS)" \
	    -DMIPP_BUILD_BENCH=OFF -DMIPP_BUILD_PYTHON=OFF -DMIPP_CUDA=OFF $(CMAKE_ARGS); \
	fi
	cmake --build $(SANITIZE_DIR) -j $(JOBS) --target mipp_tests mipp_fuzz
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/cmake/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L "fast|fuzz"

clean:
	rm -rf $(BUILD_DIR)
