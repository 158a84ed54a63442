#!/usr/bin/env bash
# run-default.sh -- install what is missing, build absim (Release) and run
# the bundled default deal: prints the summary table, writes
# absim-results.h5 in the current directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/setup.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DABSIM_TESTS=OFF >/dev/null
cmake --build "$top/build" -j "$(nproc)" >/dev/null
exec "$top/build/absim" run "$@"
