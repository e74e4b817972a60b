# The two commands of the README. Each does its own set-up: dependencies, configure, build.
#   make demo   build the mipp command only and run its main job on the embedded default dataset
#   make test   build everything and run every test through ctest
# Other targets: make build, make bench, make clean.
# Configure options pass through CMAKE_ARGS, e.g. make build CMAKE_ARGS=-DMIPP_CUDA=OFF.
BUILD_DIR ?= build
JOBS      ?= $(shell nproc)
CMAKE_GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
# clang compiles mipp about three times faster than g++ (docs/PERFORMANCE.md, "Build"), mostly by
# loading precompiled headers lazily; g++ works too (make MIPP_CXX=g++ ...).
MIPP_CXX  ?= $(shell command -v clang++ 2>/dev/null)
CMAKE_ARGS ?=

.PHONY: deps configure build demo test bench clean

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

clean:
	rm -rf $(BUILD_DIR)
