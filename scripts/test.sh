#!/usr/bin/env bash
# test.sh -- install what is missing, build absim with AddressSanitizer and
# UndefinedBehaviorSanitizer (warnings are errors) and run the whole test
# suite with CTest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ABSIM_WITH_MPI=${ABSIM_WITH_MPI:-1} ABSIM_WITH_FUZZ=${ABSIM_WITH_FUZZ:-1} bash "$top/scripts/setup.sh"
# The hybrid MPI + OpenMP binary, checked against the plain one by e2e_mpi.
mpibuild="$top/build-mpi"
cmake -S "$top" -B "$mpibuild" -DCMAKE_BUILD_TYPE=Release -DABSIM_MPI=ON -DABSIM_TESTS=OFF -DABSIM_BENCH=OFF \
  -DABSIM_WERROR=ON >/dev/null
cmake --build "$mpibuild" -j "$(nproc)" --target absim
build="$top/build-test"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DABSIM_SANITIZE=ON -DABSIM_WERROR=ON \
  -DABSIM_MPI_BINARY="$mpibuild/absim" >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
