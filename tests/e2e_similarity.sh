#!/usr/bin/env bash
# e2e_similarity.sh -- `absim similarity` with configs and loan tapes.
# usage: e2e_similarity.sh ABSIM SOURCE_DIR SCRATCH_DIR
set -u
absim=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
. "$src/tests/lib_e2e.sh"
index() { "$absim" similarity "$@" --format json | $py -c 'import json,sys; print("%.9f" % json.load(sys.stdin)["index"])'; }

# Identical pools: 100; the CLO config and its own tape: 100 by sector.
check "self 100" test "$(index "$src/configs/soe_receivables.yaml" "$src/configs/soe_receivables.yaml")" = 100.000000000
check "tape vs config" test "$(index "$src/configs/clo.yaml" "$src/configs/tapes/clo_loans.csv")" = 100.000000000
# Disjoint sectors: 0.
check "disjoint 0" test "$(index "$src/configs/default.yaml" "$src/configs/soe_receivables.yaml")" = 0.000000000
# Symmetric.
cat > a.yaml <<'YAML'
deal: {name: a, periods: 12}
pool: {lines: [{name: s1, sector: steel, count: 10, balance: 50.0, coupon: 0.05, term: 12, pd: 0.01, recovery: 0.4},
               {name: c1, sector: coal, count: 10, balance: 30.0, coupon: 0.05, term: 12, pd: 0.01, recovery: 0.4},
               {name: p1, sector: power, count: 10, balance: 20.0, coupon: 0.05, term: 12, pd: 0.01, recovery: 0.4}]}
structure: {tranches: [{name: A, balance: 100.0, coupon: 0.03}]}
YAML
cat > b.csv <<'CSV'
id,balance,coupon,term,amortization,pd,recovery,sector
x1,40,0.05,12,level,0.01,0.4,steel
x2,60,0.05,12,level,0.01,0.4,coal
x3,100,0.05,12,level,0.01,0.4,other
CSV
# Worked example: a = (0.5, 0.3, 0.2, 0), b = (0.2, 0.3, 0, 0.5): S = 50.
check "worked example" test "$(index a.yaml b.csv)" = 50.000000000
check "symmetric" test "$(index a.yaml b.csv)" = "$(index b.csv a.yaml)"
check "json categories" $py -c '
import json, subprocess, sys
d = json.loads(subprocess.check_output([sys.argv[1], "similarity", "a.yaml", "b.csv", "--format", "json"]))
assert d["by"] == "sector"
c = {x["name"]: (x["share_a"], x["share_b"]) for x in d["categories"]}
assert c["steel"] == (0.5, 0.2) and c["other"] == (0.0, 0.5), c' "$absim"
check "by line" test "$(index a.yaml a.yaml --by line)" = 100.000000000
check "by line disjoint" test "$(index a.yaml b.csv --by line)" = 0.000000000
check "table" bash -c "'$absim' similarity a.yaml b.csv | grep -q 'Finger-Kreinin'"
# Errors: exit 2.
"$absim" similarity a.yaml >/dev/null 2>&1; check "one pool exit 2" test $? = 2
"$absim" similarity a.yaml nope.yaml >/dev/null 2>&1; check "missing exit 2" test $? = 2
"$absim" similarity a.yaml b.csv --by bogus >/dev/null 2>&1; check "bad --by exit 2" test $? = 2
printf 'id,balance,coupon,term,amortization,pd,recovery\nx,abc,0.05,12,level,0.01,0.4\n' > bad.csv
"$absim" similarity a.yaml bad.csv >/dev/null 2>err.txt; check "bad tape exit 2" test $? = 2
check "bad tape message" grep -q "bad.csv:2" err.txt
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
