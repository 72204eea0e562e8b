# Thin wrapper around CMake: `make run` opens the studio, `make test` runs every test.
# Both install missing Debian packages first (root, or sudo when available).
DEBS = build-essential cmake pkg-config libncurses-dev libuv1-dev libopenblas-dev libsqlite3-dev \
       libcmocka-dev libinih-dev libjansson-dev tmux sqlite3
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
# accuracy, not threads; a killed process cannot report, and the learning run takes minutes under TSan).
test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DGRPO_TSAN=ON >/dev/null
	cmake --build build-tsan -j $(JOBS)
	rm -f build-tsan/tsan-report.*
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -E '_crash|e2e_learn'; rc=$$?; \
	n=$$(cat tsan-report.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer'); \
	echo "ThreadSanitizer reports: $$n"; \
	if [ "$$n" != 0 ]; then cat tsan-report.*; rc=1; fi; \
	exit $$rc

bench: build
	./$(BUILD)/grpo-studio bench

clean:
	rm -rf $(BUILD) build-asan build-tsan
