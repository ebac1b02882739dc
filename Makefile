# lipschitz — two commands do everything on a fresh Debian machine with Swift:
#   make run    installs what is missing, builds (release), runs `lipschitz exact` on a bundled instance
#   make test   installs what is missing, builds, runs the whole test suite
#   make fuzz   builds the libFuzzer targets in Fuzz/ and runs each (docs/fuzzing.md)
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PACKAGES := libglpk-dev liblapacke-dev libgmp-dev libltdl-dev gfortran
INSTANCE ?= instances/fixtures/deep-3x4x3x2.json
BIN := .build/release/lipschitz

.PHONY: run test unit-test build release deps bench clean tsan fuzz-build fuzz fuzz-ci fuzz-regressions slurm-test sweep sweep-analyse sweep-check sweep-rerun

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build

# The release executables are fully static (-static-executable): the Swift runtime, Foundation,
# GLPK, LAPACK/BLAS, GMP and glibc linked in, so that the dynamic loader has nothing to do at
# start-up. With only the Swift runtime and Foundation static (--static-swift-stdlib), ld.so
# loaded 17 shared libraries (LAPACK, gfortran, GLPK, SuiteSparse, libstdc++...), bound ~6,400
# symbols and rewrote ~82,000 pointers of the position-independent executable: side by side on
# the shared 2-core machine, `lipschitz --help` 6.4 -> 2.3 ms, the bench's start-up reference
# 9.4 -> 4.6 ms, iris 17.9 -> 10.5 ms (README). A static archive carries no dependencies, so the
# libraries that the Debian shared objects pulled in are named here, after the ones the module
# maps link: LAPACK's tmglib and gfortran runtime (gfortran provides libgfortran.a), GLPK's
# SuiteSparse, zlib and ltdl (libltdl-dev). glibc warns at link time that getpwnam, getaddrinfo
# and dlopen in a static binary need the same glibc at run time: lipschitz calls none of them
# (they are in Foundation and GLPK).
STATIC_LIBS := tmglib gfortran quadmath ltdl colamd amd suitesparseconfig z m
RELEASE_FLAGS := -c release -Xswiftc -static-executable $(foreach l,$(STATIC_LIBS),-Xlinker -l$(l))

# Only the two executables: the test-support target imports XCTest, which has no static form.
release: deps
	swift build $(RELEASE_FLAGS) --product lipschitz
	swift build $(RELEASE_FLAGS) --product lipschitz-bench

run: release
	$(BIN) exact $(INSTANCE)
	$(BIN) exact $(INSTANCE) --norm inf --json

# All tests: the XCTest suite, then the sanitizer and fuzzing passes of issue 9 (ThreadSanitizer
# over the threaded search, the saved fuzz findings replayed, a short seeded fuzz pass), then a
# real single-node Slurm cluster running sharded jobs (issue 13).
test: unit-test tsan fuzz-regressions fuzz-ci slurm-test

# A single-node Slurm 22.05 (Debian's slurm-wlm and munge, installed if missing; daemons and
# state under a temporary directory, stopped at the end): a sharded compare sweep and a sharded
# exact through `sbatch --array` and dependent merge jobs, checked against unsharded runs.
# Runs as root or with sudo; about half a minute. See docs/cluster.md.
slurm-test: release
	scripts/slurm/test-cluster.sh $(BIN)

unit-test: deps
	swift build --build-tests
	swift test --skip-build --disable-swift-testing

# ThreadSanitizer over the multi-threaded exact search: its own scratch path (.build-tsan), the
# threaded library tests and the CLI runs that use the default thread count (the cores). Every
# report is written under .build-tsan/tsan-reports (test process and CLI children alike); any
# report fails the target after the run, with the reports printed.
TSAN_SCRATCH := .build-tsan
TSAN_REPORTS := $(CURDIR)/$(TSAN_SCRATCH)/tsan-reports
TSAN_DIFFERENTIAL_SCALE ?= 0.05
TSAN_FILTERS := --filter 'ExactLipschitzTests.MethodAgreementTests' \
	--filter 'ExactLipschitzTests.BoundedSearchTests' \
	--filter 'ExactLipschitzTests.SweepShardAndStopTests' \
	--filter 'ExactLipschitzTests.DifferentialTests' \
	--filter 'ExactLipschitzTests.PatternCapTests' \
	--filter 'CLITests.ExactCLITests/testExactMatchesTruth' \
	--filter 'CLITests.ExactCLITests/testBoxes' \
	--filter 'CLITests.ExactCLITests/testMaxRegionsGivesCertifiedInterval' \
	--filter 'ExactLipschitzTests.IncumbentSourceTests/testGarbageIncumbentsNeverChangeTheConstant' \
	--filter 'LipschitzEstimatesTests.LocalSearchIncumbentTests/testInSearchLocalSearchKeepsTheConstantWithOneAndTwoThreads'

tsan: deps
	swift build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	@rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	@status=0; \
	TSAN_OPTIONS="log_path=$(TSAN_REPORTS)/report second_deadlock_stack=1" \
	DIFFERENTIAL_SCALE=$(TSAN_DIFFERENTIAL_SCALE) \
	  swift test --sanitize=thread --scratch-path $(TSAN_SCRATCH) --skip-build --disable-swift-testing $(TSAN_FILTERS) || status=$$?; \
	if ls $(TSAN_REPORTS)/report* >/dev/null 2>&1; then \
	  cat $(TSAN_REPORTS)/report*; echo "make tsan: ThreadSanitizer reports above ($(TSAN_REPORTS))"; exit 1; \
	fi; \
	if [ $$status -ne 0 ]; then echo "make tsan: tests failed (no ThreadSanitizer report)"; fi; \
	exit $$status

bench: release
	.build/release/lipschitz-bench --output docs/benchmarks.md

# The theory sweep of issue 11 (docs/theory-check.md): scripts/theory-sweep.py drives the release
# binary over the grid, resumably (cells already in docs/theory-check/cells/ are skipped), then
# analyses every cell (numpy) into the tables, plots and generated blocks of the doc.
#   SWEEP_SCALE=quick   a small grid into .build/theory-sweep-quick, then the self-check
#   SWEEP_BUDGET=S      start no cell that would not finish within S seconds
#   SWEEP_CELL_BUDGET=S a ladder of widths stops at the first cell projected past S seconds (900)
# Not part of `make test`.
SWEEP_SCALE ?= full
export SWEEP_SCALE SWEEP_BUDGET SWEEP_CELL_BUDGET
sweep: release
	nice -n 19 python3 scripts/theory-sweep.py run
	python3 scripts/theory-sweep.py analyse
	@if [ "$(SWEEP_SCALE)" = quick ]; then python3 scripts/theory-sweep.py check; fi

sweep-analyse:
	python3 scripts/theory-sweep.py analyse

# The networks of finished cells that ended as certified intervals, redrawn from their recipes
# and rerun with the current binary and each cell's own time limit (logged in reruns.csv), then
# the analysis again: for a search that has improved since the cells were run.
sweep-rerun: release
	nice -n 19 python3 scripts/theory-sweep.py rerun-inexact
	python3 scripts/theory-sweep.py analyse

# The pipeline's self-check: the quick grid, its analysis, and networks redrawn from their recipes.
sweep-check: release
	SWEEP_SCALE=quick nice -n 19 python3 scripts/theory-sweep.py run
	SWEEP_SCALE=quick python3 scripts/theory-sweep.py analyse
	SWEEP_SCALE=quick python3 scripts/theory-sweep.py check

clean:
	rm -rf .build Fuzz/.build-fuzz

# Fuzzing (docs/fuzzing.md): libFuzzer targets in the separate package Fuzz/, built with
# -sanitize=fuzzer,address in .build-fuzz. libFuzzer and ASan ship with the Swift toolchain,
# so no Debian packages beyond DEB_PACKAGES are needed. Findings go to Fuzz/findings/.
FUZZ_TARGETS ?= json onnx nnet box exact
FUZZ_SECONDS ?= 180
FUZZ_CI_SECONDS ?= 25
FUZZ_CONFIG ?= release
export FUZZ_CONFIG

fuzz-build: deps
	set -o pipefail; swift build --package-path Fuzz --scratch-path Fuzz/.build-fuzz -c $(FUZZ_CONFIG) \
	  -Xswiftc -sanitize=fuzzer,address 2>&1 | { grep -v "Cannot export local symbol" || true; }

fuzz: fuzz-build
	Fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# A short pass for CI: every target for FUZZ_CI_SECONDS from a fixed seed, failing on any crash.
fuzz-ci: fuzz-build
	FUZZ_SEED=$${FUZZ_SEED:-1} Fuzz/run.sh fuzz $(FUZZ_CI_SECONDS) $(FUZZ_TARGETS)

# Replays the saved inputs of past findings (Fuzz/regressions/TARGET/).
fuzz-regressions: fuzz-build
	Fuzz/run.sh replay $(FUZZ_TARGETS)
