#!/bin/bash
# e2e_plot.sh -- scripts/absim-plot on outputs of the example configs.
#
# usage: e2e_plot.sh ABSIM_BINARY SOURCE_DIR SCRATCH_DIR
#
# Writes small results files of the example deals (2,000 paths): one run, one
# stress run (several scenarios), one run with --no-paths, and a cash-flow
# CSV; runs absim-plot on them (with --html) and checks that every expected
# chart is written and listed, is a PNG of reasonable size and is not blank
# (its pixels read back with matplotlib), that the convergence chart is
# skipped with a note for --no-paths, and that index.html is self-contained
# (every chart embedded as a base64 data URI, nothing loaded from elsewhere)
# and shows the numbers stored in the HDF5 file (every scenario's tranche and
# pool expected losses, ratings, deal name, version, seed). Bad inputs must
# exit 2 with a message. Last, the install tree: `cmake --install` of the
# build directory (the absim binary's directory) into the scratch directory,
# then the installed absim and absim-plot from another working directory.
set -u
ABSIM=$1
SRC=$2
SCRATCH=$3
PY=/usr/bin/python3
PLOT="$SRC/scripts/absim-plot"
BUILD=$(cd "$(dirname "$ABSIM")" && pwd)
ABSIM="$BUILD/$(basename "$ABSIM")"
SRC=$(cd "$SRC" && pwd)
PLOT="$SRC/scripts/absim-plot"
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
cd "$SCRATCH" || exit 1
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

if ! "$PY" -c 'import h5py, numpy, matplotlib' 2>/dev/null; then
    echo "skipped: $PY has no h5py/numpy/matplotlib (scripts/setup.sh installs them)"
    exit 0
fi
[ -x "$PLOT" ] || fail "$PLOT is missing or not executable"
head -n 1 "$PLOT" | grep -qx '#!/usr/bin/python3' || fail "$PLOT: shebang is not #!/usr/bin/python3"

# check DIR H5|- PNG... : queues a check (run_checks runs them all in one
# Python process): the PNGs (exactly those, plus index.html when H5 is given)
# are in DIR and sound; index.html embeds them and shows H5's numbers.
check() {
    echo "$*" >>checks.txt
}

run_checks() {
    "$PY" - checks.txt <<'EOF'
import base64, os, re, sys
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg

bad = []


def check(out, h5, pngs):
    present = sorted(f for f in os.listdir(out) if f.endswith(".png")) if os.path.isdir(out) else []
    if sorted(pngs) != present:
        bad.append("%s: PNGs %s, expected %s" % (out, present, sorted(pngs)))
    blobs = {}
    for name in pngs:
        p = os.path.join(out, name)
        if not os.path.isfile(p):
            continue
        data = open(p, "rb").read()
        blobs[name] = data
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            bad.append("%s: not a PNG file" % p)
            continue
        if not 10_000 <= len(data) <= 1_000_000:
            bad.append("%s: %d bytes, expected 10 KB .. 1 MB" % (p, len(data)))
        img = mpimg.imread(p)
        h, w = img.shape[:2]
        if w < 600 or h < 400:
            bad.append("%s: %dx%d pixels, too small" % (p, w, h))
        rgb = np.round(img[..., :3] * 255).astype(np.uint32)
        colours = len(np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]))
        inked = float(np.mean(np.any(rgb < 235, axis=-1)))
        if colours < 40 or inked < 0.02:
            bad.append("%s: looks blank (%d colours, %.1f%% non-white pixels)" % (p, colours, 100 * inked))

    if h5 != "-":
        import h5py
        p = os.path.join(out, "index.html")
        page = open(p, encoding="utf-8").read() if os.path.isfile(p) else ""
        if not page:
            bad.append("%s: missing or empty" % p)
        uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
        if sorted(base64.b64decode(u) for u in uris) != sorted(blobs.values()):
            bad.append("%s: embeds %d images, not exactly the %d charts" % (p, len(uris), len(blobs)))
        for ext in (r'src="(?!data:)', r"<link\b", r"url\(", r"<script\b"):
            if re.search(ext, page):
                bad.append("%s: not self-contained (%s)" % (p, ext))

        def pct(x):
            return "%.4f%%" % (100 * x)

        want = []
        with h5py.File(h5, "r") as f:
            want += [f.attrs["deal_name"], f.attrs["absim_version"], str(f.attrs["seed"])]
            names = list(f["tranches/name"].asstr()[()])
            want += names
            for scen in f["results"]:
                s = f["results"][scen]["summary"]
                want.append(scen)
                want += [pct(x) for x in s["expected_loss"][()]]
                want += [pct(x) for x in s["expected_loss_stderr"][()]]
                want += [pct(x) for x in s["default_probability"][()]]
                want += list(s["implied_rating"].asstr()[()])
                want.append(pct(s["pool_expected_loss"][()]))
                want += [pct(x) for x in s["pool_loss_quantiles"][()]]
                var = s["var"][()]
                want += [pct(x) for x in var[-1]]
        for w in want:
            if str(w) not in page:
                bad.append("%s: lacks %r (read from %s)" % (p, w, h5))


for line in open(sys.argv[1]):
    words = line.split()
    if words:
        check(words[0], words[1], words[2:])
for b in bad[:30]:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

# plot NAME ARGS...: runs absim-plot; status 0, clean stderr, and stdout lists
# the files it wrote.
plot() {
    local name=$1
    shift
    "$PLOT" "$@" >"$name.out" 2>"$name.err"
    local rc=$?
    [ "$rc" -eq 0 ] || fail "absim-plot $* exited $rc: $(head -c 800 "$name.err")"
    if grep -qE 'Traceback|Warning:' "$name.err"; then
        fail "absim-plot $*: stderr: $(head -c 800 "$name.err")"
    fi
    while read -r f; do
        [ -s "$f" ] || fail "absim-plot $*: listed $f, which is missing or empty"
    done <"$name.out"
}

per_scenario() { # SCENARIO... -> the four chart names of each
    local s
    for s in "$@"; do
        echo "pool_loss_$s.png tranche_loss_$s.png tranche_el_pd_$s.png convergence_$s.png"
    done
}

# --- results files of the example configs ---------------------------------
"$ABSIM" run "$SRC/configs/soe_receivables.yaml" --paths 2000 -o soe.h5 --quiet >/dev/null ||
    fail "absim run soe_receivables"
"$ABSIM" stress "$SRC/configs/default.yaml" --paths 2000 -o stress.h5 --quiet >/dev/null ||
    fail "absim stress default"
"$ABSIM" run "$SRC/configs/clo.yaml" --paths 2000 --no-paths -o clo-np.h5 --quiet >/dev/null ||
    fail "absim run clo --no-paths"
"$ABSIM" cashflow "$SRC/configs/rmbs_psa_sda.yaml" --csv >cf.csv || fail "absim cashflow rmbs_psa_sda"

# --- one scenario ----------------------------------------------------------
plot soe soe.h5 -o soe --html
# shellcheck disable=SC2046
check soe soe.h5 $(per_scenario base)
[ "$(grep -c . soe.out)" -eq 5 ] || fail "absim-plot soe.h5 listed $(grep -c . soe.out) files, expected 5"

# --- stress file (several scenarios) and a cash-flow CSV -------------------
scen=$("$PY" -c 'import h5py,sys; print(" ".join(h5py.File(sys.argv[1],"r")["results"]))' stress.h5)
[ "$(echo "$scen" | wc -w)" -ge 2 ] || fail "stress.h5 has scenarios '$scen', expected several"
plot stress stress.h5 --cashflow cf.csv -o stress --html
# shellcheck disable=SC2046,SC2086
check stress stress.h5 $(per_scenario $scen) scenarios.png cashflow.png
grep -q "Deterministic cash flows" stress/index.html || fail "stress report lacks the cash-flow section"

# --- --no-paths: no convergence chart, a note instead ----------------------
plot clo clo-np.h5 -o clo --html
check clo clo-np.h5 pool_loss_base.png tranche_loss_base.png tranche_el_pd_base.png
grep -q "Convergence chart skipped" clo/index.html || fail "clo report lacks the convergence note"
grep -q "convergence chart skipped" clo.err || fail "no note on stderr for the skipped convergence chart"

# --- cash flows alone (a positional .csv) ----------------------------------
plot cf cf.csv -o cf
check cf - cashflow.png

# --- bad inputs exit 2 with a message naming the file ----------------------
expect2() {
    local needle=$1
    shift
    "$PLOT" "$@" >bad.out 2>bad.err
    local rc=$?
    if [ "$rc" -ne 2 ]; then
        fail "absim-plot $* exited $rc, expected 2: $(head -c 500 bad.err)"
    elif ! grep -qF -- "$needle" bad.err; then
        fail "absim-plot $*: stderr lacks '$needle': $(head -c 500 bad.err)"
    fi
}
expect2 "missing.h5" missing.h5 -o bad
expect2 "cf-as-h5.h5" "$(cp cf.csv cf-as-h5.h5 && echo cf-as-h5.h5)" -o bad
expect2 "soe.h5" --cashflow soe.h5 -o bad
expect2 "usage" -o bad

# --- install tree ----------------------------------------------------------
if command -v cmake >/dev/null; then
    if cmake --install "$BUILD" --prefix "$SCRATCH/inst" >install.log 2>&1; then
        [ -x inst/bin/absim-plot ] || fail "install tree lacks an executable bin/absim-plot"
        mkdir -p elsewhere
        (cd elsewhere && "$SCRATCH/inst/bin/absim" run "$SRC/configs/default.yaml" --paths 2000 -o inst.h5 \
            --quiet >/dev/null) || fail "installed absim run"
        (cd elsewhere && "$SCRATCH/inst/bin/absim-plot" inst.h5 --html >../inst.out 2>../inst.err) ||
            fail "installed absim-plot: $(head -c 500 inst.err)"
        # shellcheck disable=SC2046
        check elsewhere/inst-plots elsewhere/inst.h5 $(per_scenario base)
    else
        fail "cmake --install $BUILD: $(tail -c 500 install.log)"
    fi
else
    echo "note: cmake not on PATH, install tree not checked"
fi

run_checks || fail "charts or reports (see above)"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "e2e_plot: all checks passed"
