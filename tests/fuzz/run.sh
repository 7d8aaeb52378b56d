#!/usr/bin/env bash
# Runs each fuzz target for SECONDS on a working copy of its seed corpus (README.md beside this
# file). Usage: run.sh BUILD_DIR SECONDS TARGET...
# The seeds in corpus/<target> are never written to: what the fuzzer finds goes to
# BUILD_DIR/fuzz-work/<target>, which keeps growing from one run to the next; crashes go to
# BUILD_DIR/fuzz-crashes/<target>. Prints each target's last status line (coverage, exec/s) and
# fails when any target found a crash, a leak, a timeout or an out-of-memory input.
set -uo pipefail
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for target in "$@"; do
    bin=$build/tests/fuzz/fuzz_$target
    work=$build/fuzz-work/$target
    crashes=$build/fuzz-crashes/$target
    log=$build/fuzz-logs/$target.log
    mkdir -p "$work" "$crashes" "$(dirname "$log")"
    cp -n "$here/corpus/$target/"* "$work/"
    echo "fuzz_$target: ${seconds}s on $(find "$work" -type f | wc -l) inputs"
    # A hang and a runaway allocation are findings too. -malloc_limit_mb stops at the first
    # allocation that large, with its stack; stopping at -rss_limit_mb instead prints a heap
    # profile first, which takes minutes once the heap is large (a growing container).
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$work" >"$log" 2>&1
    status=$?
    grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 | sed 's/^/  /'
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
        sed 's/^/  /'
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/  /'
        echo "  full log: $log"
    fi
done
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $build/fuzz-crashes; README.md says what next)"
    exit 1
fi
echo "fuzz: no crash in $*"
