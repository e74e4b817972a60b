# The two commands of the README. Each does its own set-up: dependencies, configure, build.
#   make demo   build mipp and run its main job on the embedded default dataset
#   make test   build everything and run every test through ctest
# Other targets: make build, make bench, make clean.
BUILD_DIR ?= build
JOBS      ?= $(shell nproc)
CMAKE_GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

.PHONY: deps configure build demo test bench clean

deps:
	@scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -G "$(CMAKE_GENERATOR)" -DCMAKE_BUILD_TYPE=Release; \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(BUILD_DIR)/mipp demo --out-dir $(BUILD_DIR)/demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	$(BUILD_DIR)/mipp_bench --benchmark_min_time=1

clean:
	rm -rf $(BUILD_DIR)
