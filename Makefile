# T3N node — the two commands: `make run` and `make test`.
# Everything slow (Wasmtime's Rust build) lives in $(T3N_CACHE), outside the clone.

T3N_CACHE   ?= $(HOME)/.cache/t3n
CARGO_DIR   := $(T3N_CACHE)/cargo
NATIVE_OUT  := $(CARGO_DIR)/release
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all deps native configure build run test bench soak test-asan fuzz format tidy clean

all: build

deps:
	@scripts/install-deps.sh

native: deps
	@CARGO_TARGET_DIR=$(CARGO_DIR) cargo build --release --locked --quiet --manifest-path native/Cargo.toml

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DT3N_NATIVE_DIR=$(NATIVE_OUT) $(CMAKE_FLAGS)

configure: native $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/t3nd dev

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	@scripts/run-benchmarks.sh $(BUILD)

# The cluster's Jepsen-style history check, longer (SOAK_OPS operations per
# client; `make test` runs 24).
SOAK_OPS ?= 400
soak: build
	cd tests/compat && T3N_CLUSTER_OPS=$(SOAK_OPS) T3ND=$(CURDIR)/$(BUILD)/bin/t3nd CONTRACTS=$(CURDIR)/$(BUILD)/contracts \
	  LINCHECK=$(CURDIR)/$(BUILD)/bin/lincheck node --test --test-reporter=spec cluster.test.mjs

test-asan: native
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DT3N_SANITIZE=ON -DT3N_NATIVE_DIR=$(NATIVE_OUT)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

fuzz: native
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DT3N_FUZZ=ON -DBUILD_TESTING=OFF -DT3N_NATIVE_DIR=$(NATIVE_OUT)
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	@scripts/run-fuzzers.sh $(BUILD_FUZZ)

format:
	find src tests bench fuzz -name '*.cpp' -o -name '*.h' | xargs clang-format -i

tidy: configure
	run-clang-tidy -p $(BUILD) src/ 2>/dev/null || clang-tidy -p $(BUILD) $$(find src -name '*.cpp')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
