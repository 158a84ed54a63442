#!/usr/bin/env bash
# run_fuzz.sh -- build the libFuzzer harnesses of the config loader and the
# loan-tape reader with clang (-fsanitize=fuzzer,address,undefined) and run
# each for a bounded time.
#
# Usage: run_fuzz.sh [SECONDS_EACH] [WORK_DIR]   (defaults: 20, a temp dir)
# Seed corpora: configs/*.yaml and tests/invalid/*.yaml (config);
# configs/tapes/*.csv and tests/invalid/tapes/*.csv (tape). Crashes are
# written to WORK_DIR/crash-* and make the script exit non-zero. Skips
# (exit 0) when clang or its fuzzer runtime is missing.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cc=${CLANG:-$(command -v clang || command -v clang-14 || true)}
if [ -z "$cc" ]; then
    echo "run_fuzz: clang not found; skipped"
    exit 0
fi
flags=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$src/io" -I"$src/kernels")
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
        "$cc" "${flags[@]}" -x c - -o "$work/probe" 2>/dev/null; then
    echo "run_fuzz: $cc has no libFuzzer runtime (libclang-rt-dev); skipped"
    exit 0
fi
lib_sources=("$src/io/config.c" "$src/io/config_structure.c" "$src/io/yamltree.c" "$src/io/tape.c"
             "$src/io/deal.c" "$src/io/textfile.c" "$src/kernels/status.c")
"$cc" "${flags[@]}" "$src/tests/fuzz/fuzz_config.c" "${lib_sources[@]}" -lyaml -lcsv -lm -o "$work/fuzz_config"
"$cc" "${flags[@]}" "$src/tests/fuzz/fuzz_tape.c" "${lib_sources[@]}" -lyaml -lcsv -lm -o "$work/fuzz_tape"

mkdir -p "$work/corpus_config" "$work/corpus_tape"
cp "$src"/configs/*.yaml "$src"/tests/invalid/*.yaml "$work/corpus_config/"
cp "$src"/configs/tapes/*.csv "$src"/tests/invalid/tapes/*.csv "$work/corpus_tape/"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in config tape; do
    echo "run_fuzz: fuzz_$target for ${seconds}s"
    (cd "$work" && "./fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 "corpus_$target" >"fuzz_$target.log" 2>&1) || {
        status=1
        echo "run_fuzz: fuzz_$target FAILED; last lines of $work/fuzz_$target.log:"
        tail -n 40 "$work/fuzz_$target.log"
    }
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/fuzz_$target.log" | tail -n 2 || true
done
exit $status
