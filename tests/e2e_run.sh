#!/usr/bin/env bash
# e2e_run.sh -- end-to-end tests of `absim run`, `absim stress` and
# `absim report` with the real binary.
# usage: e2e_run.sh ABSIM SOURCE_DIR SCRATCH_DIR
set -u
absim=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
. "$src/tests/lib_e2e.sh"

# Default deal, no CONFIG: table on stdout, results file in the cwd.
check "run default" expect_code 0 "$absim" run --paths 2000 --quiet
check "default file written" test -s absim-results.h5
check "table has tranches" grep -q "Residual" out.txt
check "h5py schema" $py "$src/tests/check_results.py" absim-results.h5

# JSON output carries the SPEC keys.
check "run json" expect_code 0 "$absim" run --paths 1000 --quiet --format json -o j.h5
check "json keys" $py -c '
import json,sys
d=json.load(open("out.txt"))
for k in ["scenario","paths","seed","threads","seconds","paths_per_second","pool","tranches"]: assert k in d, k
for k in ["expected_loss","expected_default_rate","quantiles","default_rate_quantiles"]: assert k in d["pool"], k
t=d["tranches"][0]
for k in ["name","original_balance","attachment","detachment","expected_loss","expected_loss_stderr",
          "default_probability","loss_given_default","pv_loss","wal","var","es","implied_rating"]: assert k in t, k
assert "0.99" in t["var"] and "0.5" in t["es"]
assert d["paths"]==1000 and d["scenario"]=="base"
'

# Thread count does not change a single bit of the results.
check "threads 1" expect_code 0 "$absim" run --paths 3000 --threads 1 --quiet -o t1.h5
check "threads 2" expect_code 0 "$absim" run --paths 3000 --threads 2 --quiet -o t2.h5
check "threads bitwise" $py "$src/tests/h5same.py" t1.h5 t2.h5
# ... also for a loan tape (one-loan lines: batched latent draws, Beta recoveries)
check "tape threads 1" expect_code 0 "$absim" run "$src/configs/clo.yaml" --paths 2000 --threads 1 --quiet -o c1.h5
check "tape threads 2" expect_code 0 "$absim" run "$src/configs/clo.yaml" --paths 2000 --threads 2 --quiet -o c2.h5
check "tape threads bitwise" $py "$src/tests/h5same.py" c1.h5 c2.h5

# Same seed, different path count: the first paths are the same paths.
check "prefix paths" expect_code 0 "$absim" run --paths 1000 --threads 2 --quiet -o p1.h5
check "prefix identical" $py -c '
import h5py
a=h5py.File("p1.h5")["results/base/paths/tranche_loss"][()]
b=h5py.File("t1.h5")["results/base/paths/tranche_loss"][:1000]
assert a.tobytes()==b.tobytes()'

# --no-paths: no per-path datasets, summaries within 1e-4 of the exact ones.
check "no-paths" expect_code 0 "$absim" run --paths 3000 --quiet --no-paths -o np.h5
check "no-paths layout" $py -c '
import h5py, numpy as np
a=h5py.File("np.h5"); b=h5py.File("t1.h5")
assert "paths" not in a["results/base"] and "pool" not in a["results/base"]
sa, sb = a["results/base/summary"], b["results/base/summary"]
assert np.array_equal(sa["expected_loss"][()], sb["expected_loss"][()])
assert np.max(np.abs(sa["var"][()] - sb["var"][()])) <= 1e-4 + 1e-12
assert np.max(np.abs(sa["es"][()] - sb["es"][()])) <= 1e-4 + 1e-12'

# --target-stderr stops at the same multiple of 8192 paths for any thread count.
cat > target.yaml <<'YAML'
deal: {name: target, periods: 1, period_months: 12}
simulation: {paths: 100000, seed: 3, quantiles: [0.99]}
rates: {model: flat, r0: 0.0}
pool: {lines: [{name: l, count: 2000, balance: 1.0e8, coupon: 0.0, term: 1, amortization: bullet,
                pd: 0.02, recovery: {mean: 0.4}}]}
correlation: {systematic: 0.2}
structure: {tranches: [{name: S, balance: 9.0e7, coupon: 0.0}, {name: J, balance: 1.0e7, coupon: 0.0}]}
YAML
check "target t1" expect_code 0 "$absim" run target.yaml --target-stderr 0.001 --threads 1 --quiet --format json -o tg1.h5
cp out.txt tg1.json
check "target t2" expect_code 0 "$absim" run target.yaml --target-stderr 0.001 --threads 2 --quiet --format json -o tg2.h5
check "target same stop" $py -c '
import json, h5py
a=json.load(open("tg1.json")); b=json.load(open("out.txt"))
assert a["paths"]==b["paths"] and a["paths"] % 8192 == 0 and a["paths"] < 100000, (a["paths"], b["paths"])
assert all(t["expected_loss_stderr"] < 0.001 for t in a["tranches"])
assert [t["expected_loss"] for t in a["tranches"]]==[t["expected_loss"] for t in b["tranches"]]
f=h5py.File("tg2.h5"); assert f["results/base/paths/tranche_loss"].shape==(a["paths"],2)'

# Importance sampling stores the likelihood ratios; isolation the originator's default periods.
sed 's/simulation: {paths: 100000, seed: 3, quantiles: \[0.99\]}/simulation: {paths: 4000, seed: 3, quantiles: [0.99], importance_sampling: auto}/' \
  target.yaml > is.yaml
check "is run" expect_code 0 "$absim" run is.yaml --quiet -o is.h5
check "is weights" $py -c 'import h5py; assert h5py.File("is.h5")["results/base/paths/weight"].shape == (4000,)'
check "is schema" $py "$src/tests/check_results.py" is.h5
check "isolation run" expect_code 0 "$absim" run "$src/configs/soe_receivables.yaml" --paths 2000 --quiet --format json -o iso.h5
check "isolation json" $py -c '
import json; d = json.load(open("out.txt")); i = d["isolation"]
assert i["true_sale"] is True and len(i["tranches"]) == 4
assert i["tranches"][0]["value_of_true_sale"] >= 0'
cp out.txt iso-run.json
check "isolation report" expect_code 0 "$absim" report iso.h5 --format json
check "isolation report = run" $py -c '
import json; a = json.load(open("iso-run.json")); b = json.load(open("out.txt"))
assert a["isolation"] == b["isolation"]'
check "isolation report table" bash -c "'$absim' report iso.h5 | grep -q 'value of SPV'"
check "isolation datasets" $py -c '
import h5py; f = h5py.File("iso.h5")["results/base"]
p = f["paths/originator_default_period"][()]; assert p.shape == (2000,) and p.min() >= 0 and p.max() <= 36
assert f["isolation/value_of_true_sale"].shape == (4,)'

# Unwritable output: exit 3 and nothing left behind.
mkdir -p ro && chmod 555 ro
if [ "$(id -u)" = 0 ]; then target=/proc/absim-cannot-write/out.h5; else target=ro/out.h5; fi
check "unwritable exit 3" expect_code 3 "$absim" run --paths 100 --quiet -o "$target"
check "nothing left" test -z "$(ls ro)"
check "missing dir exit 3" expect_code 3 "$absim" run --paths 100 --quiet -o no/such/dir/out.h5

# Bad usage.
check "bad flag" expect_code 2 "$absim" run --bogus
check "bad paths" expect_code 2 "$absim" run --paths 12abc
check "bad format" expect_code 2 "$absim" run --format xml
check "bad scenario" expect_code 2 "$absim" run --scenario nope --paths 10 --quiet
check "missing config" expect_code 2 "$absim" run no-such-config.yaml
check "help" expect_code 0 "$absim" run --help

# A named scenario of the default deal is stored under its name.
check "scenario run" expect_code 0 "$absim" run --scenario recession --paths 1000 --quiet -o sc.h5
check "scenario group" $py -c '
import h5py; f=h5py.File("sc.h5"); assert "recession" in f["results"] and "base" not in f["results"]'

# report reproduces the summary from the file.
check "report table" expect_code 0 "$absim" report t1.h5
check "report json" expect_code 0 "$absim" report t1.h5 --format json
cp out.txt report.json
"$absim" run --paths 3000 --threads 1 --quiet --format json -o t1b.h5 > run.json 2>/dev/null
check "report matches run" $py -c '
import json
a=json.load(open("report.json")); b=json.load(open("run.json"))
for k in ("tranches",): assert [t["expected_loss"] for t in a[k]]==[t["expected_loss"] for t in b[k]]
assert [t["var"] for t in a["tranches"]]==[t["var"] for t in b["tranches"]]'

# Every example config runs (few paths).
for cfg in "$src"/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  check "example $name" expect_code 0 "$absim" run "$cfg" --paths 400 --quiet -o "ex_$name.h5"
  check "example $name schema" $py "$src/tests/check_results.py" "ex_$name.h5"
done

# stress: base + every scenario in one file, JSON list.
check "stress" expect_code 0 "$absim" stress "$src/configs/default.yaml" --paths 1000 --quiet --format json -o st.h5
check "stress json" $py -c '
import json; d=json.load(open("out.txt")); n=[s["scenario"] for s in d["scenarios"]]
assert n==["base","recession","rates_up"], n'
check "stress groups" $py -c '
import h5py; f=h5py.File("st.h5"); assert sorted(f["results"].keys())==["base","rates_up","recession"]'
check "stress table" expect_code 0 "$absim" stress "$src/configs/default.yaml" --paths 500 --quiet -o st2.h5

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
