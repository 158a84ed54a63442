#!/usr/bin/env bash
# e2e_bdr.sh -- `absim bdr`: each note's break-even default rate is where
# `absim cashflow --cdr` first shows it a loss; the cushion rating and the
# scenario default rates are reported in JSON and as a table.
# usage: e2e_bdr.sh ABSIM SOURCE_DIR SCRATCH_DIR
set -u
absim=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
. "$src/tests/lib_e2e.sh"
cfg="$src/configs/default.yaml"

"$absim" bdr "$cfg" --paths 4000 --format json > bdr.json 2>err.txt
check "bdr json exit 0" test $? = 0
check "bdr keys" $py -c '
import json; d = json.load(open("bdr.json"))
names = [t["name"] for t in d["tranches"]]
assert names == ["A", "B", "C"], names
for t in d["tranches"]:
    for k in ("bdr", "bdr_cumulative", "wal", "sdr", "cushion_rating", "implied_rating"): assert k in t, k
    assert 0 < t["bdr"] < 1 and "Aaa" in t["sdr"]
b = [t["bdr"] for t in d["tranches"]]
assert b[0] > b[1] > b[2], b'

# The BDR brackets the first CDR at which the cash-flow view shows a loss
# (final balance or unpaid interest) for the note.
for t in A B C; do
  bdr=$($py -c "import json; print(repr([x['bdr'] for x in json.load(open('bdr.json'))['tranches'] if x['name']=='$t'][0]))")
  below=$($py -c "print(max(0.0, $bdr - 2e-6))")
  above=$($py -c "print($bdr + 2e-6)")
  "$absim" cashflow "$cfg" --cdr "$below" --csv > below.csv
  "$absim" cashflow "$cfg" --cdr "$above" --csv > above.csv
  check "tranche $t paid at BDR-2e-6" $py - "$t" below.csv 0 <<'PY'
import csv, sys
t, path, want_loss = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
rows = list(csv.DictReader(open(path)))
last = rows[-1]
loss = float(last[t + "_balance"]) > 0.01 or float(last[t + "_shortfall"]) > 0.01
assert loss == want_loss, (t, last[t + "_balance"], last[t + "_shortfall"])
PY
  check "tranche $t loses at BDR+2e-6" $py - "$t" above.csv 1 <<'PY'
import csv, sys
t, path, want_loss = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
rows = list(csv.DictReader(open(path)))
last = rows[-1]
loss = float(last[t + "_balance"]) > 0 or float(last[t + "_shortfall"]) > 0
assert loss == want_loss, (t, last[t + "_balance"], last[t + "_shortfall"])
PY
done

"$absim" bdr "$cfg" --paths 2000 -o bdr.h5 > table.txt 2>&1
check "bdr file" $py "$src/tests/check_results.py" bdr.h5
check "bdr group" $py -c '
import h5py, json
f = h5py.File("bdr.h5"); g = f["results/base/bdr"]
assert list(g["note"].asstr()[()]) == ["A", "B", "C"]
assert g["sdr"].shape == (len(g["rating"]), 3)
assert all(0 < x < 1 for x in g["bdr"][()])'

check "bdr table" grep -q "cushion rating" table.txt
"$absim" bdr >/dev/null 2>&1; check "bdr no config exit 2" test $? = 2
"$absim" bdr "$cfg" --paths x >/dev/null 2>&1; check "bdr bad paths exit 2" test $? = 2
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
