#!/usr/bin/env bash
# e2e_validate.sh -- `absim validate` against the invalid-input corpus and the
# example configs.
#
# Usage: bash e2e_validate.sh ABSIM_BINARY SOURCE_DIR SCRATCH_DIR
#
# Every tests/invalid/*.yaml starts with "# expect: LINE:COL: TEXT": validate
# must exit 2 and print a line "FILE:LINE:COL: error: ..." containing TEXT.
# Every tests/invalid/tapes/NAME.csv has NAME.expect holding "ROW: TEXT": a
# config naming the tape must fail with "TAPE:ROW: error: ..." containing
# TEXT. Every configs/*.yaml must validate (exit 0, "FILE: ok (...)").
set -u
absim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
scratch=$3
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
failures=0
checked=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_error FILE RC OUTPUT PREFIX TEXT: exit 2 and a line with both.
expect_error() {
    local file=$1 rc=$2 out=$3 prefix=$4 text=$5
    checked=$((checked + 1))
    if [ "$rc" -ne 2 ]; then
        fail "$file: exit code $rc, expected 2"
        return
    fi
    if ! printf '%s\n' "$out" | grep -F -- "$prefix" | grep -qF -- "$text"; then
        fail "$file: no line with '$prefix' and '$text' in:"
        printf '%s\n' "$out" | sed 's/^/    /' >&2
    fi
}

for f in "$src"/tests/invalid/*.yaml; do
    expect=$(head -n 1 "$f" | sed -n 's/^# expect: //p')
    if [ -z "$expect" ]; then
        fail "$f: first line is not '# expect: LINE:COL: TEXT'"
        continue
    fi
    pos=${expect%%: *}
    text=${expect#*: }
    out=$("$absim" validate "$f" 2>&1 >/dev/null)
    expect_error "$f" $? "$out" "$f:$pos: error:" "$text"
done

for t in "$src"/tests/invalid/tapes/*.csv; do
    name=$(basename "$t" .csv)
    expect=$(head -n 1 "${t%.csv}.expect")
    row=${expect%%: *}
    text=${expect#*: }
    cfg="$scratch/tape_$name.yaml"
    cat >"$cfg" <<YAML
deal: {name: tape corpus, periods: 12}
pool:
  tape: $t
structure:
  tranches:
    - {name: A, balance: 1, coupon: 0.04}
    - {name: R, balance: 1, residual: true}
YAML
    out=$("$absim" validate "$cfg" 2>&1 >/dev/null)
    expect_error "$t" $? "$out" "$t:$row: error:" "$text"
done

ninvalid=$(ls "$src"/tests/invalid/*.yaml "$src"/tests/invalid/tapes/*.csv | wc -l)
[ "$ninvalid" -ge 45 ] || fail "only $ninvalid invalid inputs in tests/invalid (expected >= 45)"

for c in "$src"/configs/*.yaml; do
    out=$("$absim" validate "$c" 2>&1)
    rc=$?
    checked=$((checked + 1))
    [ "$rc" -eq 0 ] || fail "$c: exit code $rc, expected 0: $out"
    printf '%s\n' "$out" | grep -qF "$c: ok (" || fail "$c: no 'ok' line: $out"
done

# A relative config path: the tape and rating scale resolve next to it.
(cd "$src" && "$absim" validate configs/clo.yaml >/dev/null) || fail "configs/clo.yaml from the source dir"
(cd "$scratch" && "$absim" validate "$src/configs/clo.yaml" >/dev/null) || fail "clo.yaml from another dir"

# Usage.
"$absim" validate >/dev/null 2>&1; [ $? -eq 2 ] || fail "no CONFIG: expected exit 2"
"$absim" validate a.yaml b.yaml >/dev/null 2>&1; [ $? -eq 2 ] || fail "two CONFIGs: expected exit 2"
"$absim" validate --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option: expected exit 2"
"$absim" validate --help | grep -q "usage: absim validate" || fail "--help"
"$absim" validate "$scratch/does-not-exist.yaml" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file: expected exit 2"

# All errors of a file are listed, in line order.
cat >"$scratch/many.yaml" <<'YAML'
deal:
  name: many
  periods: 0
pool:
  lines:
    - {name: a, balance: -1, coupon: 2, term: 1.5, pd: 0.1, recovery: 0.4}
structure:
  tranches:
    - {name: A, balance: 1, cupon: 0.1}
YAML
out=$("$absim" validate "$scratch/many.yaml" 2>&1 >/dev/null)
n=$(printf '%s\n' "$out" | grep -c ': error: ')
[ "$n" -ge 5 ] || fail "many.yaml: expected >= 5 errors, got $n: $out"
sorted=$(printf '%s\n' "$out" | cut -d: -f2 | sort -n -c 2>&1) || fail "many.yaml: errors not in line order"
checked=$((checked + 1))

echo "e2e_validate: $checked checks, $failures failures"
[ "$failures" -eq 0 ]
