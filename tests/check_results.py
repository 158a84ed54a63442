#!/usr/bin/python3
"""check_results.py -- validate an absim results file against SPEC section 4.

usage: /usr/bin/python3 tests/check_results.py [--skip-consistency] [--scenarios N] FILE.h5

Checks the root attributes (names, types, filetype, schema_version), the
/tranches datasets, every /results/<scenario> group (summary, histogram and,
when present, the per-path datasets): names, shapes, dtypes, a `units` or
`description` attribute on every dataset, value ranges (losses and
probabilities in [0, 1], WAL >= 0, VaR <= ES), chunking and compression of
the per-path datasets, and that the summary agrees with the per-path arrays
(expected_loss = mean of tranche_loss columns and default_probability =
mean(loss > 1e-9) to 1e-12 relative, pool expected loss and default rate,
histogram counts, VaR among the sample's order statistics when the summary
says its quantiles are exact). --skip-consistency drops the comparison with
the per-path arrays (weighted runs: importance sampling). --scenarios N
requires exactly N scenarios. Exit status 0 when valid, 1 with one message
per problem otherwise (2 for bad usage).

Needs Debian's python3-h5py and python3-numpy (run with /usr/bin/python3).
"""
import sys

import h5py
import numpy as np

LOSS_EPS = 1e-9
REL_TOL = 1e-12
ROOT_ATTRS = {
    "filetype": "str", "absim_version": "str", "schema_version": "int", "created_utc": "str",
    "config_text": "str", "seed": "uint", "paths": "int", "threads": "int", "mpi_ranks": "int",
    "rng": "str", "wall_seconds": "float",
}
PER_TRANCHE = ["expected_loss", "expected_loss_stderr", "default_probability", "loss_given_default",
               "pv_loss", "wal"]
FRACTIONS = ["expected_loss", "expected_loss_stderr", "default_probability", "loss_given_default"]


class Checker:
    def __init__(self, path):
        self.path = path
        self.problems = []

    def fail(self, where, msg):
        self.problems.append(f"{self.path}: {where}: {msg}")

    def dataset(self, group, name, dtype_kind, shape):
        """Return the dataset group[name] if it exists with the given kind
        ('f' float64, 'u' uint64, 'S' string) and shape, else None."""
        where = f"{group.name.rstrip('/')}/{name}"
        if name not in group:
            self.fail(where, "missing")
            return None
        ds = group[name]
        if not isinstance(ds, h5py.Dataset):
            self.fail(where, "not a dataset")
            return None
        if dtype_kind == "f" and ds.dtype != np.float64:
            self.fail(where, f"dtype {ds.dtype}, expected float64")
        elif dtype_kind == "u" and ds.dtype != np.uint64:
            self.fail(where, f"dtype {ds.dtype}, expected uint64")
        elif dtype_kind == "S" and h5py.check_string_dtype(ds.dtype) is None:
            self.fail(where, f"dtype {ds.dtype}, expected a string type")
        if ds.shape != tuple(shape):
            self.fail(where, f"shape {ds.shape}, expected {tuple(shape)}")
            return None
        if "units" not in ds.attrs and "description" not in ds.attrs:
            self.fail(where, "no units or description attribute")
        return ds

    def in_range(self, where, values, lo, hi, allow_nan=False):
        v = np.asarray(values, dtype=np.float64)
        bad = ~np.isfinite(v) if not allow_nan else np.isinf(v)
        if bad.any():
            self.fail(where, f"{int(bad.sum())} non-finite value(s)")
        finite = v[np.isfinite(v)]
        if finite.size and (finite.min() < lo or finite.max() > hi):
            self.fail(where, f"values outside [{lo}, {hi}]: min {finite.min()!r}, max {finite.max()!r}")

    def close(self, where, got, want):
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        err = np.abs(got - want)
        tol = REL_TOL * np.maximum(np.abs(want), 1e-300) + 1e-300
        if (err > tol).any():
            i = int(np.argmax(err - tol))
            self.fail(where, f"summary {got.flat[i]!r} differs from the per-path value {want.flat[i]!r}")

    def root(self, f):
        for name, kind in ROOT_ATTRS.items():
            if name not in f.attrs:
                self.fail("/", f"missing root attribute {name}")
                continue
            v = f.attrs[name]
            if kind == "str" and not isinstance(v, str):
                self.fail("/", f"attribute {name} is {type(v).__name__}, expected str")
            elif kind in ("int", "uint") and not np.issubdtype(np.asarray(v).dtype, np.integer):
                self.fail("/", f"attribute {name} is not an integer ({np.asarray(v).dtype})")
            elif kind == "uint" and np.asarray(v).dtype != np.uint64:
                self.fail("/", f"attribute {name} is {np.asarray(v).dtype}, expected uint64")
            elif kind == "float" and not np.issubdtype(np.asarray(v).dtype, np.floating):
                self.fail("/", f"attribute {name} is not a float")
        if f.attrs.get("filetype") != "absim-results":
            self.fail("/", f"filetype {f.attrs.get('filetype')!r}, expected 'absim-results'")
        if "schema_version" in f.attrs and int(f.attrs["schema_version"]) != 1:
            self.fail("/", f"schema_version {f.attrs['schema_version']}, expected 1")
        if "paths" in f.attrs and int(f.attrs["paths"]) < 0:
            self.fail("/", "negative paths")
        if "wall_seconds" in f.attrs and not float(f.attrs["wall_seconds"]) >= 0:
            self.fail("/", "wall_seconds not >= 0")

    def tranches(self, f):
        if "tranches" not in f:
            self.fail("/tranches", "missing")
            return 0
        g = f["tranches"]
        if "name" not in g:
            self.fail("/tranches/name", "missing")
            return 0
        ntr = g["name"].shape[0] if g["name"].ndim == 1 else 0
        if ntr < 1:
            self.fail("/tranches/name", "no tranches")
            return 0
        names = self.dataset(g, "name", "S", [ntr])
        if names is not None:
            decoded = names.asstr()[()]
            if any(not n for n in decoded):
                self.fail("/tranches/name", "empty tranche name")
        bal = self.dataset(g, "original_balance", "f", [ntr])
        att = self.dataset(g, "attachment", "f", [ntr])
        det = self.dataset(g, "detachment", "f", [ntr])
        if bal is not None:
            self.in_range("/tranches/original_balance", bal[()], 0.0, np.inf)
        if att is not None and det is not None:
            a, d = att[()], det[()]
            self.in_range("/tranches/attachment", a, 0.0, 1.0 + 1e-9)
            self.in_range("/tranches/detachment", d, 0.0, 1.0 + 1e-9)
            if (a > d + 1e-12).any():
                self.fail("/tranches", "attachment above detachment")
        return ntr

    def path_dataset(self, ds, where):
        if ds.chunks is None:
            self.fail(where, "not chunked")
        if ds.compression not in ("gzip", "lzf") and ds.shape[0] > 0:
            self.fail(where, f"not compressed ({ds.compression})")
        if not ds.shuffle and ds.shape[0] > 0:
            self.fail(where, "no shuffle filter")

    def scenario(self, name, g, ntr, consistency):
        base = f"/results/{name}"
        if "summary" not in g:
            self.fail(base + "/summary", "missing")
            return
        s = g["summary"]
        if "quantile_levels" not in s or s["quantile_levels"].ndim != 1:
            self.fail(base + "/summary/quantile_levels", "missing or not 1-D")
            return
        nq = s["quantile_levels"].shape[0]
        q = self.dataset(s, "quantile_levels", "f", [nq])
        if q is not None:
            levels = q[()]
            self.in_range(base + "/summary/quantile_levels", levels, 0.0, 1.0)
            if nq > 1 and (np.diff(levels) <= 0).any():
                self.fail(base + "/summary/quantile_levels", "not increasing")
        # Importance-sampled runs store each path's likelihood ratio: their
        # summaries are the weighted estimators sum(w x)/n, which may exceed 1.
        w = None
        if "paths" in g and "weight" in g["paths"]:
            wd = self.dataset(g["paths"], "weight", "f", [g["paths"]["weight"].shape[0]])
            if wd is not None:
                w = wd[()]
                self.in_range(base + "/paths/weight", w, 0.0, np.inf)
        top = np.inf if w is not None else 1.0 + 1e-12
        summ = {}
        for key in PER_TRANCHE:
            ds = self.dataset(s, key, "f", [ntr])
            if ds is not None:
                summ[key] = ds[()]
        for key in FRACTIONS + ["pv_loss"]:
            if key in summ:
                # A residual tranche paid more than its balance has pv_loss < 0.
                lo = -np.inf if key == "pv_loss" else 0.0
                self.in_range(f"{base}/summary/{key}", summ[key], lo, top)
        if "wal" in summ:
            self.in_range(base + "/summary/wal", summ["wal"], 0.0, 1000.0)
        var = self.dataset(s, "var", "f", [nq, ntr])
        es = self.dataset(s, "es", "f", [nq, ntr])
        if var is not None:
            self.in_range(base + "/summary/var", var[()], 0.0, 1.0 + 1e-12)
        if es is not None:
            self.in_range(base + "/summary/es", es[()], 0.0, 1.0 + 1e-12)
        if var is not None and es is not None and (es[()] < var[()] - 1e-9).any():
            self.fail(base + "/summary", "es below var")
        rat = self.dataset(s, "implied_rating", "S", [ntr])
        if rat is not None and any(not r for r in rat.asstr()[()]):
            self.fail(base + "/summary/implied_rating", "empty rating")
        for key in ("pool_expected_loss", "pool_expected_default_rate"):
            if key in s:
                ds = self.dataset(s, key, "f", [])
                if ds is not None:
                    self.in_range(f"{base}/summary/{key}", ds[()], 0.0, top)
        for key in ("pool_loss_quantiles", "pool_loss_es", "pool_default_rate_quantiles"):
            if key in s:
                ds = self.dataset(s, key, "f", [nq])
                if ds is not None:
                    self.in_range(f"{base}/summary/{key}", ds[()], 0.0, 1.0 + 1e-12)
        for key in s:
            if isinstance(s[key], h5py.Dataset) and "units" not in s[key].attrs \
                    and "description" not in s[key].attrs:
                self.fail(f"{base}/summary/{key}", "no units or description attribute")

        hist = None
        if "histogram" not in g:
            self.fail(base + "/histogram", "missing")
        else:
            h = g["histogram"]
            if "edges" in h and h["edges"].ndim == 1 and h["edges"].shape[0] >= 2:
                nbins = h["edges"].shape[0] - 1
                edges = self.dataset(h, "edges", "f", [nbins + 1])
                edges_v = edges[()] if edges is not None else np.linspace(0.0, 1.0, nbins + 1)
                if edges is not None and (np.diff(edges[()]) <= 0).any():
                    self.fail(base + "/histogram/edges", "not increasing")
                counts = self.dataset(h, "tranche_loss", "u", [ntr, nbins])
                if counts is not None:
                    hist = counts[()]
            else:
                self.fail(base + "/histogram/edges", "missing or malformed")

        npaths = None
        tl = pl = pdr = None
        if "paths" in g:
            p = g["paths"]
            if "tranche_loss" in p and p["tranche_loss"].ndim == 2:
                npaths = p["tranche_loss"].shape[0]
                ds = self.dataset(p, "tranche_loss", "f", [npaths, ntr])
                if ds is not None:
                    self.path_dataset(ds, base + "/paths/tranche_loss")
                    tl = ds[()]
                    self.in_range(base + "/paths/tranche_loss", tl, 0.0, 1.0)
            else:
                self.fail(base + "/paths/tranche_loss", "missing or not 2-D")
        if "pool" in g:
            p = g["pool"]
            n = npaths if npaths is not None else (p["loss"].shape[0] if "loss" in p else 0)
            for key in ("loss", "default_rate"):
                ds = self.dataset(p, key, "f", [n])
                if ds is not None:
                    self.path_dataset(ds, f"{base}/pool/{key}")
                    arr = ds[()]
                    self.in_range(f"{base}/pool/{key}", arr, 0.0, 1.0)
                    if key == "loss":
                        pl = arr
                    else:
                        pdr = arr
        if ("paths" in g) != ("pool" in g):
            self.fail(base, "only one of paths/ and pool/ present")
        if not consistency or tl is None or npaths == 0:
            return

        paths_attr = s.attrs.get("paths", g.attrs.get("paths"))
        if paths_attr is not None and int(paths_attr) != npaths:
            self.fail(base, f"summary paths {int(paths_attr)} but {npaths} per-path rows")
        ww = np.ones(npaths) if w is None else w
        if ww.shape[0] != npaths:
            self.fail(base + "/paths/weight", f"{ww.shape[0]} weights for {npaths} paths")
            return
        if "expected_loss" in summ:
            self.close(base + "/summary/expected_loss", summ["expected_loss"], (ww[:, None] * tl).mean(axis=0))
        if "default_probability" in summ:
            self.close(base + "/summary/default_probability", summ["default_probability"],
                       (ww[:, None] * (tl > LOSS_EPS)).mean(axis=0))
        if pl is not None and "pool_expected_loss" in s:
            self.close(base + "/summary/pool_expected_loss", s["pool_expected_loss"][()], (ww * pl).mean())
        if pdr is not None and "pool_expected_default_rate" in s:
            self.close(base + "/summary/pool_expected_default_rate", s["pool_expected_default_rate"][()],
                       (ww * pdr).mean())
        if hist is not None:
            nb = hist.shape[1]
            for t in range(ntr):
                x = tl[:, t]
                # Bin i is [edges[i], edges[i+1]) (the last closed), by the stored edges.
                b = np.clip(np.searchsorted(edges_v, x, side="right") - 1, 0, nb - 1).astype(np.int64)
                want = np.bincount(b, minlength=nb).astype(np.uint64)
                if not np.array_equal(want, hist[t]):
                    self.fail(base + "/histogram/tranche_loss", f"tranche {t}: counts differ from the paths")
        if var is not None and q is not None and int(s.attrs.get("exact_quantiles", 0)) == 1:
            levels = q[()]
            v = var[()]
            for t in range(ntr):
                if w is not None:
                    # Weighted quantile: smallest x with sum(w 1{L <= x}) >= q sum(w).
                    order = np.argsort(tl[:, t], kind="stable")
                    cum = np.cumsum(w[order])
                    for j, lev in enumerate(levels):
                        k = min(int(np.searchsorted(cum, lev * cum[-1] * (1 - 1e-12))), npaths - 1)
                        if abs(tl[order[k], t] - v[j, t]) > 1e-12:
                            self.fail(base + "/summary/var", f"weighted VaR[{lev:g}] of tranche {t} = "
                                      f"{v[j, t]!r} is not the weighted sample quantile {tl[order[k], t]!r}")
                    continue
                srt = np.sort(tl[:, t])
                for j, lev in enumerate(levels):
                    k = min(max(int(np.ceil(lev * npaths)) - 1, 0), npaths - 1)
                    near = srt[max(k - 1, 0):k + 2]
                    if not (near == v[j, t]).any():
                        self.fail(base + "/summary/var",
                                  f"VaR[{lev:g}] of tranche {t} = {v[j, t]!r} is not the sample quantile "
                                  f"{srt[k]!r}")

    def run(self, consistency, want_scenarios):
        try:
            f = h5py.File(self.path, "r")
        except OSError as e:
            self.fail("/", f"cannot open: {e}")
            return
        with f:
            self.root(f)
            ntr = self.tranches(f)
            if "results" not in f or len(f["results"]) == 0:
                self.fail("/results", "missing or empty")
                return
            names = list(f["results"])
            if want_scenarios is not None and len(names) != want_scenarios:
                self.fail("/results", f"{len(names)} scenarios, expected {want_scenarios}")
            if ntr == 0:
                return
            for name in names:
                self.scenario(name, f["results"][name], ntr, consistency)


def main(argv):
    consistency, want, files = True, None, []
    it = iter(argv[1:])
    for a in it:
        if a == "--skip-consistency":
            consistency = False
        elif a == "--scenarios":
            want = int(next(it, "-1"))
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            files.append(a)
    if len(files) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    c = Checker(files[0])
    c.run(consistency, want)
    for p in c.problems:
        print(p, file=sys.stderr)
    if not c.problems:
        print(f"{files[0]}: ok")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
