#!/bin/bash
# run_all.sh -- every figure of docs/performance.md, as one JSON file.
#
# usage: bench/run_all.sh BUILD_DIR [OUT.json]   (run from the source
# directory; BUILD_DIR is a Release build without -march=native, so that
# valgrind can run it). Instruction counts per path come from callgrind:
# the difference of two runs at different path counts, divided by the
# difference in paths (setup cancels out); they are deterministic, unlike
# wall-clock times on a shared machine.
set -eu
build=${1:?usage: run_all.sh BUILD_DIR [OUT.json]}
out=${2:-bench-results.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ir() { # ir N CMD... (@N@ in CMD is replaced by N): total instructions
    local n=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "${@//@N@/$n}" > /dev/null 2>&1
    awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg"
}
per_path() { # per_path N1 N2 CMD...
    local n1=$1 n2=$2; shift 2
    local a b
    a=$(ir "$n1" "$@"); b=$(ir "$n2" "$@")
    echo $(( (b - a) / (n2 - n1) ))
}

"$build/absim_bench" | tail -1 > "$tmp/bench.json"
{
    echo "{\"bench\": $(cat "$tmp/bench.json"),"
    echo " \"instructions_per_path\": {"
    sep=""
    for d in a_tape_1000 b_granular_20x5000 b_granular_20x500 c_homogeneous_1m; do
        n1=128; n2=384
        if [ "$d" = c_homogeneous_1m ]; then n1=2000; n2=6000; fi
        a=$(per_path $n1 $n2 "$build/absim_bench" --once --deal "$d" --paths @N@)
        f=$(per_path $n1 $n2 "$build/absim_bench_floor" "bench/configs/$d.yaml" @N@)
        printf '%s  "%s": {"absim": %s, "floor": %s, "ratio": %s}' "$sep" "$d" "$a" "$f" \
            "$(awk -v a="$a" -v f="$f" 'BEGIN {printf "%.3f", a / f}')"
        sep=$',\n'
    done
    naive=$(per_path 4 12 "$build/absim_bench_naive" bench/configs/a_tape_1000.yaml @N@ 0 timing-only)
    echo ","
    echo "  \"naive_a_tape_1000\": $naive},"
    echo " \"naive_check\": $("$build/absim_bench_naive" bench/configs/a_tape_1000.yaml 200 20000 | tail -1)"
    echo "}"
} > "$out"
echo "wrote $out"
