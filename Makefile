# edgegate: the commands users type. See README.md.
PRESET ?= dev
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages: build and runtime libraries, then the peers the tests run for real.
BUILD_DEBS := build-essential cmake pkg-config libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev \
	libsqlite3-dev libyaml-cpp-dev doctest-dev libmodbus-dev libgpiod-dev libsystemd-dev \
	libspdlog-dev libcli11-dev rapidjson-dev libcpp-httplib-dev
TEST_DEBS := mosquitto mosquitto-clients socat sqlite3 lintian systemd
# `make check`: the second compiler and the formatter; `make fuzz`: libFuzzer's runtime (only
# recommended by clang, so --no-install-recommends leaves it out).
CHECK_DEBS := clang clang-format libclang-rt-14-dev

.PHONY: deps build test sanitize check demo bench clean format
.PHONY: fuzz fuzz-smoke
.PHONY: cross-arm64 cross-armhf
.PHONY: deb deb-arm64 deb-armhf

# The Debian packages of $(1) that are not installed yet, installed (idempotent).
define install_missing
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(BUILD_DEBS) $(TEST_DEBS) $(CHECK_DEBS))

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS)

# `make test`: every test of the build (unit, integration, chaos, the package), then
# `make sanitize`.
test: build
	ctest --preset $(PRESET) -j 1 --timeout 600
	$(MAKE) sanitize

# `make sanitize`: every unit and integration test under ASan+UBSan (the `asan` preset, clang 14,
# which is also `make check`'s second compiler), then the threaded modules' tests (pipeline,
# journal, forwarder) under TSan. Sanitizer options and the suppressions of the Paho libraries'
# own leaks and uninstrumented reference counts: CMakePresets.json, tests/sanitizers/.
TSAN_TESTS := ^(unit\.test_(pipeline.*|ingest_channel|journal.*)|integration\.test_forwarder)$$

sanitize: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -L 'unit|integration' -E 'test_package' -j 1 --timeout 900
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS) --target unit_pipeline unit_journal integration_tests
	ctest --preset tsan -R '$(TSAN_TESTS)' -j 1 --timeout 900

demo: build
	bash config/demo.sh $(BUILD_DIR)

# Figures, nothing asserted (tests/bench/README.md); prints the summary table and rewrites
# BENCHMARKS.md. `make bench BENCH_FLAGS=--quick` scales every figure down to a minute or two.
BENCH_FLAGS ?=
bench: PRESET = release
bench: build
	bash tests/bench/run.sh build/release --report BENCHMARKS.md $(BENCH_FLAGS)

# Formatting and a warning-free clang 14 build (the `dev` preset is g++ 12): the `asan` preset's,
# already built by `make test`.
check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# libFuzzer targets under ASan + UBSan, in build/fuzz (tests/fuzz/README.md): every seed once
# (the regression run), then each target for FUZZ_SECONDS on a working copy of its corpus. Fails
# on any crash, leak, hang or out-of-memory input. `make fuzz-smoke` is the short run for CI.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := config modbus_decode modbus_reply command payload clock_units

fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS) --target edgegate_fuzzers
	ctest --test-dir build/fuzz -L fuzz --output-on-failure
	bash tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: FUZZ_SECONDS = 10
fuzz-smoke: fuzz

clean:
	rm -rf build

# Cross builds for a Raspberry Pi or an ARM gateway (cross/README.md): the cross toolchain,
# qemu-user and mmdebstrap when missing, a bookworm sysroot (built once, in build/sysroot-<arch>),
# then configure, build, the unit tests and the integration tests that work under qemu-user, in
# build/cross-<arch>.
CROSS_BUILD_TYPE ?= RelWithDebInfo
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
CROSS_TRIPLET_armhf := arm-linux-gnueabihf
CROSS_QEMU_arm64 := qemu-aarch64
CROSS_QEMU_armhf := qemu-arm
# The integration tests that work under qemu-user (in-process, with a host mosquitto and socat).
# The others (test_cli, test_end_to_end, test_modbus_cli, test_rules) execve the ARM edgegate
# directly, which fails without binfmt_misc; `make cross-arm64 CROSS_INTEGRATION=` skips all.
CROSS_INTEGRATION ?= forwarder|helpers|modbus_faults|modbus_rtu|modbus_tcp

cross-arm64 cross-armhf: cross-%:
	$(call install_missing,crossbuild-essential-$* qemu-user mmdebstrap cmake pkg-config $(TEST_DEBS))
	bash cross/sysroot.sh $* $(CURDIR)/build/sysroot-$*
	cmake -S . -B build/cross-$* -DCMAKE_BUILD_TYPE=$(CROSS_BUILD_TYPE) \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cross/toolchain.cmake \
		-DEDGEGATE_CROSS_TRIPLET=$(CROSS_TRIPLET_$*) \
		-DEDGEGATE_CROSS_SYSROOT=$(CURDIR)/build/sysroot-$*
	cmake --build build/cross-$* -j $(JOBS)
	@bin=build/cross-$*/gateway/cli/edgegate; \
	$(CROSS_TRIPLET_$*)-strip -o $$bin.stripped $$bin && \
	echo "cross-$*: edgegate stripped: $$(stat -c %s $$bin.stripped) bytes" && \
	t0=$$(date +%s%N) && \
	$(CROSS_QEMU_$*) -L $(CURDIR)/build/sysroot-$* $$bin --version && \
	echo "cross-$*: edgegate --version under $(CROSS_QEMU_$*): $$(( ($$(date +%s%N) - t0) / 1000000 )) ms"
	ctest --test-dir build/cross-$* -L unit -j 1 --timeout 600 --output-on-failure
	$(if $(CROSS_INTEGRATION),ctest --test-dir build/cross-$* -L integration \
		-R 'integration\.test_($(CROSS_INTEGRATION))$$' -j 1 --timeout 600 --output-on-failure)

# Debian packages (README.md "Deploy on a Raspberry Pi"): CPack in a RelWithDebInfo build, binary
# stripped, Depends from dpkg-shlibdeps (systemd/deb/depends.sh). `make deb` is this machine's
# architecture, in build/deb; `make deb-arm64` / `make deb-armhf` package the cross build of
# `make cross-<arch>` (after its tests under qemu), Depends from the target's own packages.
VERSION := $(shell sed -n 's/^project.edgegate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
define deb_report
	@echo "package: $(CURDIR)/$(1) ($$(stat -c %s $(1)) bytes)"
	@dpkg-deb -f $(1) Architecture Version Depends
endef

deb: deps
	cmake -S . -B build/deb -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGATE_TESTS=OFF
	cmake --build build/deb -j $(JOBS)
	cd build/deb && cpack -G DEB
	$(call deb_report,build/deb/edgegate_$(VERSION)_$(shell dpkg --print-architecture).deb)

deb-arm64 deb-armhf: deb-%: cross-%
	cd build/cross-$* && cpack -G DEB
	$(call deb_report,build/cross-$*/edgegate_$(VERSION)_$*.deb)
