# Thin wrapper around CMake: `make run` opens the studio, `make test` runs every test.
# Both install missing Debian packages first (root, or sudo when available).
DEBS = build-essential cmake pkg-config libncurses-dev libuv1-dev libopenblas-dev libsqlite3-dev \
       libcmocka-dev libinih-dev libjansson-dev libpcre2-dev libutf8proc-dev xz-utils tmux sqlite3 chromium python3 \
       libopenmpi-dev openmpi-bin
BUILD ?= build
JOBS ?= 2

.PHONY: deps build run test test-fast test-asan test-tsan bench clean
deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/grpo-studio

# Every test: the release suite (unit + end-to-end), then the suite again under ASan + UBSan (all but the SIGKILL
# crash test, which tests the release binary's durability, not memory safety). Both always run; either failing fails.
test: build
	(cd $(BUILD) && ctest --output-on-failure -j $(JOBS)); rc=$$?; \
	$(MAKE) --no-print-directory test-asan || rc=1; \
	exit $$rc

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DGRPO_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -E 'e2e_crash|e2e_studio_crash'

# The unit tests and the end-to-end runs (headless, studio in tmux, signals, terminal) under ThreadSanitizer. A
# report fails its test (halt_on_error) and is kept in build-tsan/tsan-report.PID; any such file fails the target.
# Not part of `make test`. The SIGKILL crash tests (*_crash) and the learning run are left out (durability and
# accuracy, not threads; a killed process cannot report, and the learning run takes minutes under TSan), and so is
# e2e_mpi (Open MPI's own threads are not instrumented; the trainer's threads are the same in one process).
test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DGRPO_TSAN=ON >/dev/null
	cmake --build build-tsan -j $(JOBS)
	rm -f build-tsan/tsan-report.*
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -E '_crash|e2e_learn|e2e_mpi'; rc=$$?; \
	n=$$(cat tsan-report.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer'); \
	echo "ThreadSanitizer reports: $$n"; \
	if [ "$$n" != 0 ]; then cat tsan-report.*; rc=1; fi; \
	exit $$rc

# Fuzzing (tests/fuzz/): `make fuzz` builds the libFuzzer harnesses with clang (ASan + UBSan) in build-fuzz;
# `make fuzz FUZZ_TARGET=config FUZZ_SECONDS=600` then runs one on a copy of its committed corpus (new inputs go to
# build-fuzz/corpus/<target>, a crash to build-fuzz/crash-<target>-*), and `make fuzz-merge FUZZ_TARGET=config`
# minimizes what it found into tests/fuzz/corpus/<target> (the seeds kept by name), which `make test` replays.
.PHONY: fuzz fuzz-merge
FUZZ_TARGETS = config checkpoint tokenizer task_jsonl sft_jsonl query bpe_json bpe_text
FUZZ_SECONDS ?= 600
FUZZ_MAX_LEN_config = 8192
FUZZ_MAX_LEN_checkpoint = 16384
FUZZ_MAX_LEN_tokenizer = 4096
FUZZ_MAX_LEN_task_jsonl = 16384
FUZZ_MAX_LEN_sft_jsonl = 16384
FUZZ_MAX_LEN_query = 1024
FUZZ_MAX_LEN_bpe_json = 8192
FUZZ_MAX_LEN_bpe_text = 4096
fuzz: deps
	@command -v clang >/dev/null || { echo "fuzzing needs clang and libFuzzer: apt-get install clang libclang-rt-dev"; exit 1; }
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
	  -DGRPO_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@if [ -z "$(FUZZ_TARGET)" ]; then echo "built; run one with: make fuzz FUZZ_TARGET=<$(FUZZ_TARGETS)> FUZZ_SECONDS=600"; \
	else mkdir -p build-fuzz/corpus/$(FUZZ_TARGET) && \
	  ./build-fuzz/fuzz_$(FUZZ_TARGET) -max_len=$(FUZZ_MAX_LEN_$(FUZZ_TARGET)) -timeout=5 -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/crash-$(FUZZ_TARGET)- \
	    build-fuzz/corpus/$(FUZZ_TARGET) tests/fuzz/corpus/$(FUZZ_TARGET); fi

fuzz-merge:
	@[ -n "$(FUZZ_TARGET)" ] || { echo "usage: make fuzz-merge FUZZ_TARGET=<$(FUZZ_TARGETS)>"; exit 1; }
	rm -rf build-fuzz/merged-$(FUZZ_TARGET) && mkdir -p build-fuzz/merged-$(FUZZ_TARGET)
	cp tests/fuzz/corpus/$(FUZZ_TARGET)/seed-* build-fuzz/merged-$(FUZZ_TARGET)/
	./build-fuzz/fuzz_$(FUZZ_TARGET) -merge=1 -max_len=$(FUZZ_MAX_LEN_$(FUZZ_TARGET)) -timeout=5 \
	  build-fuzz/merged-$(FUZZ_TARGET) tests/fuzz/corpus/$(FUZZ_TARGET) build-fuzz/corpus/$(FUZZ_TARGET)
	rm -rf tests/fuzz/corpus/$(FUZZ_TARGET) && mv build-fuzz/merged-$(FUZZ_TARGET) tests/fuzz/corpus/$(FUZZ_TARGET)

bench: build
	./$(BUILD)/grpo-studio bench

clean:
	rm -rf $(BUILD) build-asan build-tsan
