# Tane — the two commands are `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
CTEST_ARGS ?=

.PHONY: all deps configure build run test bench clean distclean

all: build

deps:
	@./scripts/deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Builds, starts Redis, the dev Kafka broker and every service; Ctrl-C stops all.
run: build
	@./scripts/run.sh $(BUILD_DIR)

# Builds and runs the whole suite. Subsets: make test CTEST_ARGS="-L unit"
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

bench: build
	@./scripts/bench.sh $(BUILD_DIR)

clean:
	cmake --build $(BUILD_DIR) --target clean || true

distclean:
	rm -rf $(BUILD_DIR)
