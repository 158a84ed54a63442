#!/bin/bash
# e2e_report.sh -- `absim report` on good and bad files.
#
# usage: e2e_report.sh ABSIM_BINARY SOURCE_DIR SCRATCH_DIR
#
# Writes a schema_version 1 results file with h5py (the layout of
# docs/output.md, independently of the C writer), checks it with
# tests/check_results.py, prints it as a table and as JSON (SPEC keys),
# selects scenarios, and checks that a missing file, a text file, an HDF5
# file that is not absim's, another schema_version, truncated copies and
# bad usage each exit 2 with a message naming the file, never crashing.
# When `absim run` is available, a real run's file is checked as well.
set -u
ABSIM=$1
SRC=$2
SCRATCH=$3
PY=/usr/bin/python3
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
cd "$SCRATCH" || exit 1
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect CODE NEEDLE -- ARGS...: exit status CODE and stderr containing NEEDLE.
expect() {
    local code=$1 needle=$2
    shift 3
    "$ABSIM" "$@" >out.txt 2>err.txt
    local rc=$?
    if [ "$rc" -ne "$code" ]; then
        fail "absim $* exited $rc, expected $code; stderr: $(head -c 500 err.txt)"
    elif [ -n "$needle" ] && ! grep -qF -- "$needle" err.txt; then
        fail "absim $*: stderr lacks '$needle': $(head -c 500 err.txt)"
    fi
}

if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
    echo "skipped: $PY has no h5py/numpy"
    exit 0
fi

"$PY" - <<'EOF' || fail "writing the test files with h5py"
import h5py, numpy as np
S = h5py.string_dtype("utf-8")
ntr, nq, n = 3, 2, 1000
rng = np.random.default_rng(1)

def write(path, schema=1, filetype="absim-results"):
    with h5py.File(path, "w", track_order=True) as f:
        a = f.attrs
        a["filetype"] = filetype
        a["absim_version"] = "test"
        a.create("schema_version", schema, dtype=np.int32)
        a["created_utc"] = "2026-01-01T00:00:00Z"
        a["config_text"] = "deal:\n  name: h5py deal\n"
        a.create("seed", 42, dtype=np.uint64)
        a.create("paths", n, dtype=np.int64)
        a.create("threads", 4, dtype=np.int32)
        a.create("mpi_ranks", 1, dtype=np.int32)
        a["rng"] = "philox4x64-10"
        a["wall_seconds"] = 1.5
        t = f.create_group("tranches")
        t.create_dataset("name", data=["Senior", "Mezz", "Equity"], dtype=S).attrs["description"] = "names"
        for k, v in (("original_balance", [80.0, 15.0, 5.0]), ("attachment", [0.2, 0.05, 0.0]),
                     ("detachment", [1.0, 0.2, 0.05])):
            t.create_dataset(k, data=np.array(v)).attrs["units"] = "u"
        res = f.create_group("results", track_order=True)
        for name, scale in (("base", 1.0), ("downturn", 2.0)):
            g = res.create_group(name)
            g.attrs["wall_seconds"] = 0.5
            loss = np.clip(rng.random((n, ntr)) * scale - np.array([0.95, 0.8, 0.5]), 0, 1)
            pool = rng.random(n) * 0.1
            p = g.create_group("paths")
            p.create_dataset("tranche_loss", data=loss, chunks=(500, ntr), compression="gzip",
                             shuffle=True).attrs["units"] = "u"
            pg = g.create_group("pool")
            for k, v in (("loss", pool), ("default_rate", pool * 1.5)):
                pg.create_dataset(k, data=v, chunks=(500,), compression="gzip", shuffle=True).attrs["units"] = "u"
            s = g.create_group("summary")
            el = loss.mean(axis=0)
            pd = (loss > 1e-9).mean(axis=0)
            q = np.array([0.5, 0.99])
            var = np.quantile(loss, q, axis=0, method="inverted_cdf")
            vals = {"expected_loss": el, "expected_loss_stderr": loss.std(axis=0) / np.sqrt(n),
                    "default_probability": pd, "loss_given_default": np.where(pd > 0, el / np.maximum(pd, 1e-300), 0),
                    "pv_loss": el * 0.9, "wal": np.array([2.0, 3.0, 4.0]), "quantile_levels": q,
                    "var": var, "es": var + 0.001 * (var < 1)}
            for k, v in vals.items():
                s.create_dataset(k, data=v).attrs["units"] = "u"
            s.create_dataset("implied_rating", data=["Aaa", "Baa1", "Caa2"], dtype=S).attrs["description"] = "r"
            s.create_dataset("pool_expected_loss", data=pool.mean()).attrs["units"] = "u"
            s.create_dataset("pool_expected_default_rate", data=(pool * 1.5).mean()).attrs["units"] = "u"
            h = g.create_group("histogram")
            h.create_dataset("edges", data=np.linspace(0, 1, 101)).attrs["units"] = "u"
            counts = np.stack([np.bincount(np.where(loss[:, t] > 0,
                               np.clip(np.floor(loss[:, t] * 100), 0, 99), 0).astype(int), minlength=100)
                               for t in range(ntr)]).astype(np.uint64)
            h.create_dataset("tranche_loss", data=counts).attrs["units"] = "paths"

write("good.h5")
write("schema2.h5", schema=2)
write("other_type.h5", filetype="statepoint")
with h5py.File("foreign.h5", "w") as f:
    f["x"] = np.arange(10.0)
EOF

# A valid file: the validator accepts it; report prints table and JSON.
"$PY" "$SRC/tests/check_results.py" --scenarios 2 good.h5 >/dev/null || fail "check_results.py rejects good.h5"
expect 0 "" -- report good.h5
grep -q "Stress comparison" out.txt || fail "report of two scenarios lacks the stress comparison"
grep -q "h5py deal" out.txt || fail "report table lacks the deal name"
grep -q "Senior" out.txt || fail "report table lacks the tranche names"
expect 0 "" -- report good.h5 --format json
"$PY" - out.txt <<'EOF' || fail "report --format json (two scenarios) is not the SPEC JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["scenarios"], list(d)
assert [s["scenario"] for s in d["scenarios"]] == ["base", "downturn"]
for s in d["scenarios"]:
    assert set(s) == {"scenario", "paths", "seed", "threads", "seconds", "paths_per_second", "pool", "tranches"}
    assert s["seed"] == 42 and s["paths"] == 1000 and s["threads"] == 4
    assert set(s["pool"]) == {"expected_loss", "expected_default_rate", "quantiles", "default_rate_quantiles"}
    assert set(s["pool"]["quantiles"]) == {"0.5", "0.99"}
    for t in s["tranches"]:
        assert set(t) == {"name", "original_balance", "attachment", "detachment", "expected_loss",
                          "expected_loss_stderr", "default_probability", "loss_given_default", "pv_loss",
                          "wal", "var", "es", "implied_rating", "default_probability_stderr",
                          "variance_reduction"}, set(t)
        assert set(t["var"]) == {"0.5", "0.99"}
EOF
expect 0 "" -- report --scenario downturn --format=json good.h5
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["scenario"]=="downturn" and len(d["tranches"])==3' \
    out.txt || fail "report --scenario downturn --format json is not one scenario object"
expect 0 "" -- report good.h5 --scenario base
grep -q "Stress comparison" out.txt && fail "report --scenario base printed the stress comparison"

# Bad input: exit 2 with a message naming the file.
expect 2 "no scenario named" -- report good.h5 --scenario nope
expect 2 "missing.h5" -- report missing.h5
printf 'deal:\n  name: text\n' >text.h5
expect 2 "text.h5" -- report text.h5
: >empty.h5
expect 2 "empty.h5" -- report empty.h5
expect 2 "foreign.h5" -- report foreign.h5
expect 2 "statepoint" -- report other_type.h5
expect 2 "schema_version 2" -- report schema2.h5
mkdir -p adir
expect 2 "adir" -- report adir
size=$(stat -c %s good.h5)
for n in 1 512 2048 $((size / 3)) $((size / 2)) $((size - 1)); do
    head -c "$n" good.h5 >truncated.h5
    expect 2 "truncated.h5" -- report truncated.h5
done

# Usage.
expect 2 "" -- report
expect 2 "--format" -- report good.h5 --format xml
expect 2 "unknown option" -- report good.h5 --bogus
expect 2 "needs a value" -- report good.h5 --scenario
expect 0 "" -- report --help
grep -q "usage: absim report" out.txt || fail "report --help prints no usage"

# A real run, when this build has `absim run`.
"$ABSIM" run --paths 3000 --seed 7 -o run.h5 --quiet --format json >run.json 2>run.err
rc=$?
if grep -q "not available" run.err; then
    echo "note: absim run not available in this build; real-run checks skipped"
elif [ "$rc" -ne 0 ]; then
    fail "absim run exited $rc: $(head -c 500 run.err)"
else
    ls ./*.tmp.* >/dev/null 2>&1 && fail "a temporary file was left by absim run"
    "$PY" "$SRC/tests/check_results.py" --scenarios 1 run.h5 || fail "check_results.py rejects run.h5"
    expect 0 "" -- report run.h5 --format json
    "$PY" - run.json out.txt <<'EOF' || fail "report JSON differs from what run printed"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for d in (a, b):  # timing may be measured differently
    d.pop("seconds"); d.pop("paths_per_second")
assert a == b, (a, b)
EOF
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "e2e_report: ok"
