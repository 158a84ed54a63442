#!/usr/bin/env bash
# test.sh -- install what is missing, build absim with AddressSanitizer and
# UndefinedBehaviorSanitizer (warnings are errors) and run the whole test
# suite with CTest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ABSIM_WITH_MPI=${ABSIM_WITH_MPI:-1} ABSIM_WITH_FUZZ=${ABSIM_WITH_FUZZ:-1} bash "$top/scripts/setup.sh"
build="$top/build-test"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DABSIM_SANITIZE=ON -DABSIM_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
