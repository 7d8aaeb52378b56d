# edgegate: the commands users type. See README.md.
PRESET ?= dev
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages: build and runtime libraries, then the peers the tests run for real.
BUILD_DEBS := build-essential cmake pkg-config libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev \
	libsqlite3-dev libyaml-cpp-dev doctest-dev libmodbus-dev libgpiod-dev libsystemd-dev \
	libspdlog-dev libcli11-dev rapidjson-dev
TEST_DEBS := mosquitto mosquitto-clients socat sqlite3
# `make check`: the second compiler and the formatter.
CHECK_DEBS := clang clang-format

.PHONY: deps build test check demo bench clean format

deps:
	@missing=$$(for p in $(BUILD_DEBS) $(TEST_DEBS) $(CHECK_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) -j 1 --timeout 600

demo: build
	bash config/demo.sh $(BUILD_DIR)

bench: PRESET = release
bench: build
	bash tests/bench/run.sh build/release

# Formatting and a warning-free clang 14 build (the `dev` preset is g++ 12).
check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')
	cmake --preset clang
	cmake --build --preset clang -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
