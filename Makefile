# mailsentry - top-level make wrapper around CMake + Ninja.
#
#   make            build build/mailsentry (installs missing build packages)
#   make check      build and run every test (unit, corpus, fuzz replay, CLI,
#                   end-to-end against real Postfix + Dovecot)
#   make demo       build, generate the bundled incident-1 example, scan and report on it
#   make e2e        the end-to-end tests alone (root, network namespace)
#   make accuracy   detection accuracy on generated scenarios (bench/ACCURACY.md)
#   make bench      throughput, multi-core, policy service and memory benchmarks
#                   against grep, fail2ban, pflogsumm, postfwd (bench/RESULTS.md;
#                   ~20 min, root installs the Debian tools; BENCH_QUICK=1: tiny
#                   sizes, a smoke run written to bench/.data/RESULTS-quick.md)
#   make asan       build and test under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       build libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make deps       install the Debian packages the build and tests need

BUILD      ?= build
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=

.PHONY: all deps check demo asan fuzz clean accuracy e2e bench

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja: CMakeLists.txt
	@sh tools/deps.sh
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

deps:
	@sh tools/deps.sh

check: all
	@sh tools/e2e-deps.sh
	cd $(BUILD) && ctest --output-on-failure

demo: all
	@sh tools/demo.sh $(BUILD)

asan:
	@sh tools/deps.sh
	@sh tools/e2e-deps.sh
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMS_SANITIZE=ON
	ninja -C build-asan
	cd build-asan && ctest --output-on-failure

fuzz:
	@sh tools/deps.sh
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DMS_FUZZ=ON
	ninja -C build-fuzz
	@sh tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

accuracy: all
	python3 bench/accuracy.py --mailsentry $(BUILD)/mailsentry --msgen $(BUILD)/msgen --out bench/ACCURACY.md

# Not part of check: the figures of bench/RESULTS.md. The always-DUNNO policy
# server (the ceiling the policy service is compared with) is built here.
bench: all
	cc -O2 -Wall -o $(BUILD)/dunno_server bench/dunno_server.c
	BENCH_QUICK=$(BENCH_QUICK) python3 bench/bench.py --build $(BUILD)

# End-to-end tests against real Postfix + Dovecot in a private network
# namespace (root; installs postfix, dovecot, swaks, pytest if missing).
e2e: all
	@sh tools/e2e-deps.sh
	sh tests/cli/e2e.sh $(BUILD)/mailsentry

clean:
	rm -rf $(BUILD) build-asan build-fuzz
