#!/usr/bin/env bash
# Runs libFuzzer targets (docs/fuzzing.md). Used by `make fuzz`, `make fuzz-ci` and
# `make fuzz-regressions`; the binaries must be built (`make fuzz-build`).
#
#   Fuzz/run.sh fuzz SECONDS TARGET...    fuzz each target for SECONDS; new corpus entries and
#                                         crashing inputs go to Fuzz/findings/TARGET/
#   Fuzz/run.sh replay TARGET...          run every input under Fuzz/regressions/TARGET/ once
#
# Exits non-zero when any target crashed, trapped, timed out or ran out of memory.
set -uo pipefail
cd "$(dirname "$0")"
config=${FUZZ_CONFIG:-release}
# libFuzzer reports crashes itself; the Swift runtime's backtracer would hold the process.
export SWIFT_BACKTRACE=enable=no
# Leak checking is off, during the run (-detect_leaks=0) and at exit (ASAN_OPTIONS): the Swift
# runtime's caches and GLPK's per-thread environments (a few kB per worker thread, never freed)
# look like leaks, and the exit check made a clean run fail at random.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
flags=(-timeout="${FUZZ_TIMEOUT:-30}" -rss_limit_mb=2048 -malloc_limit_mb=1024 -detect_leaks=0 -print_final_stats=1)
# A fixed seed (FUZZ_SEED, as CI sets it) makes a run repeatable; unset, libFuzzer picks one.
if [ -n "${FUZZ_SEED:-}" ]; then flags+=(-seed="$FUZZ_SEED"); fi

mode=$1; shift
if [ "$mode" = fuzz ]; then seconds=$1; shift; fi
failed=()
for target in "$@"; do
    binary=.build-fuzz/$config/fuzz-$target
    [ -x "$binary" ] || { echo "missing $binary: run make fuzz-build" >&2; exit 2; }
    out=findings/$target
    mkdir -p "$out/corpus"
    log=$out/last-run.log
    if [ "$mode" = fuzz ]; then
        start=$SECONDS
        "$binary" "${flags[@]}" -max_total_time="$seconds" -artifact_prefix="$out/" "$out/corpus" "corpus/$target" > "$log" 2>&1
        status=$?
        runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
        echo "fuzz-$target: ${runs:-?} executions in $((SECONDS - start))s, exit $status (log Fuzz/$log)"
    else
        inputs=(regressions/$target/*)
        [ -e "${inputs[0]}" ] || { echo "fuzz-$target: no regression inputs"; continue; }
        status=0
        : > "$log"
        for input in "${inputs[@]}"; do
            if "$binary" "${flags[@]}" "$input" >> "$log" 2>&1; then
                echo "fuzz-$target: $input passes"
            else
                status=1
                echo "fuzz-$target: $input FAILS"
            fi
        done
    fi
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        grep -E 'Fatal error|ERROR:|SUMMARY|Test unit written|Running:' "$log" | head -20 | cut -c1-2000
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
