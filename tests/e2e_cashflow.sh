#!/usr/bin/env bash
# e2e_cashflow.sh -- end-to-end tests of `absim cashflow` with the real
# binary: the CSV columns (exact header, one row per period, cash
# conservation row by row, collateral balance identity), the table view,
# and bad usage (exit code 2).
# usage: e2e_cashflow.sh ABSIM SOURCE_DIR SCRATCH_DIR
set -u
absim=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
cfg="$src/tests/data/cashflow/mortgages.yaml"
. "$src/tests/lib_e2e.sh"

# check_csv FILE T RESERVE0 LAG0: header, rows, conservation (and, when
# LAG0 = 1, the performing balance identity, valid without advancing).
check_csv() {
  $py - "$@" <<'EOF'
import csv, sys
path, T, reserve0, lag0 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
rows = list(csv.reader(open(path)))
want = ["period", "collateral_balance", "interest", "scheduled_principal", "prepayments", "defaults",
        "recoveries", "losses", "fees", "reserve_balance"]
for t in ["A", "M"]:
    want += [t + "_interest", t + "_principal", t + "_balance", t + "_shortfall"]
want += ["residual"]
assert rows[0] == want, "header %r" % rows[0]
body = [[float(x) for x in r] for r in rows[1:]]
assert len(body) == T, "%d rows" % len(body)
col = {n: i for i, n in enumerate(want)}
reserve, bal_prev, balances = reserve0, 1.0e8, {"A": 8.5e7, "M": 9.0e6}
tol = 1e-4
for r in body:
    cash_in = r[col["interest"]] + r[col["scheduled_principal"]] + r[col["prepayments"]] + r[col["recoveries"]]
    cash_out = r[col["fees"]] + r[col["residual"]] + sum(r[col[t + "_interest"]] + r[col[t + "_principal"]] for t in "AM")
    assert abs(cash_in + reserve - r[col["reserve_balance"]] - cash_out) < tol, "period %d: in %r out %r" % (
        r[0], cash_in + reserve - r[col["reserve_balance"]], cash_out)
    reserve = r[col["reserve_balance"]]
    for t in "AM":
        assert r[col[t + "_principal"]] <= balances[t] + tol
        assert abs(balances[t] - r[col[t + "_principal"]] - r[col[t + "_balance"]]) < tol
        assert r[col[t + "_balance"]] >= 0
        balances[t] = r[col[t + "_balance"]]
    for name in want[1:]:
        if name not in ("residual", "recoveries"):
            assert r[col[name]] >= -tol, (name, r)
    active = cash_in > 0 or r[col["collateral_balance"]] > 0
    if lag0 and active:
        drop = r[col["defaults"]] + r[col["scheduled_principal"]] + r[col["prepayments"]]
        assert abs(bal_prev - drop - r[col["collateral_balance"]]) < tol or r[col["collateral_balance"]] == 0, r[0]
    bal_prev = r[col["collateral_balance"]]
assert body[0][col["defaults"]] > 0
EOF
}

# CSV under the lines' own laws and under explicit assumptions.
check "csv own laws" expect_code 0 "$absim" cashflow "$cfg" --csv
cp out.txt own.csv
check "csv columns and conservation" check_csv own.csv 360 500000 0
check "csv sda/psa" expect_code 0 "$absim" cashflow "$cfg" --sda 200 --psa 150 --severity 0.4 --lag 0 --csv
cp out.txt sda.csv
check "csv sda conservation and balance identity" check_csv sda.csv 360 500000 1
check "csv stress" expect_code 0 "$absim" cashflow "$cfg" --cdr 0.12 --cpr 0.05 --severity 0.6 --lag 6 --csv
cp out.txt stress.csv
check "csv stress conservation" check_csv stress.csv 360 500000 0
check "assumptions change the defaults" $py -c '
import csv
a = list(csv.DictReader(open("own.csv"))); b = list(csv.DictReader(open("stress.csv")))
assert float(b[0]["defaults"]) > 5 * float(a[0]["defaults"])
assert sum(float(r["losses"]) for r in b) > 2 * sum(float(r["losses"]) for r in a)
'
check "csv is deterministic" cmp own.csv <("$absim" cashflow "$cfg" --csv)

# Table view: title, aligned header, totals, tranche summary.
check "table" expect_code 0 "$absim" cashflow "$cfg"
check "table title" grep -q "^absim cashflow: cashflow test RMBS" out.txt
check "table header" grep -Eq "^period +collateral_balance +interest .* residual +trigger$" out.txt
check "table totals" grep -q "^ *total " out.txt
check "table summary" grep -Eq "^A +[0-9.]+% +[0-9.]+%" out.txt
check "table rows" test "$(grep -Ec '^ +[0-9]+ ' out.txt)" = 360
check "table residual irr" grep -q "^residual IRR:" out.txt
check "default deal" expect_code 0 "$absim" cashflow "$src/configs/default.yaml"

# Help and bad usage.
check "help" expect_code 0 "$absim" cashflow --help
check "help text" grep -q -- "--severity" out.txt
check "no config" expect_code 2 "$absim" cashflow
check "unknown flag" expect_code 2 "$absim" cashflow "$cfg" --bogus
check "cdr out of range" expect_code 2 "$absim" cashflow "$cfg" --cdr 2
check "cdr not a number" expect_code 2 "$absim" cashflow "$cfg" --cdr abc
check "cdr and sda" expect_code 2 "$absim" cashflow "$cfg" --cdr 0.02 --sda 100
check "cpr and psa" expect_code 2 "$absim" cashflow "$cfg" --cpr 0.02 --psa 100
check "negative lag" expect_code 2 "$absim" cashflow "$cfg" --lag -1
check "severity above 1" expect_code 2 "$absim" cashflow "$cfg" --severity 1.5
check "missing value" expect_code 2 "$absim" cashflow "$cfg" --psa
check "two configs" expect_code 2 "$absim" cashflow "$cfg" "$cfg"
check "missing file" expect_code 2 "$absim" cashflow "$dir/nope.yaml"
printf 'deal: {periods: 0}\n' > bad.yaml
check "invalid config" expect_code 2 "$absim" cashflow bad.yaml

echo "e2e_cashflow: $passes passed, $fails failed"
[ "$fails" = 0 ]
