/* config.c -- YAML deal configuration: parse, validate, fill an absim_deal.
 *
 * Two passes. First the text becomes a node tree with line and column
 * marks (yamltree.c); duplicate keys, aliases and syntax errors are
 * reported there. Then a schema walk reads the tree into an absim_deal,
 * checking every key, type and range (see docs/config.md for the schema):
 * deal, simulation, rates, pool, correlation and rating here; structure,
 * isolation and scenarios in config_structure.c. Problems are collected,
 * sorted by position and printed as "FILE:LINE:COL: error: KEY.PATH:
 * MESSAGE"; loan-tape problems follow as "TAPE:ROW: error: ...".
 * Invariants: a failed load leaves the deal zeroed; no input makes the
 * loader crash, recurse without bound or allocate without bound (nesting
 * and list lengths are capped). */
#define _POSIX_C_SOURCE 200809L

#include "config.h"
#include "textfile.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Key paths and messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include "../kernels/status.h"
#include "config_schema.h"
#include "tape.h"

#define MAX_FILE_BYTES (64L << 20)

/* Names of lines, sectors, tranches, fees, scenarios: also used as HDF5
 * group names and CSV column prefixes, so '/', ',', '"' and '\' are out. */
int absim_config_name(ctx *c, const absim_yaml_node *v, const char *path, char *out, size_t cap)
{
    char shown[64];
    if (absim_yaml_text(&c->doc, v, path, out, cap) < 0)
        return -1;
    if (!out[0] || strpbrk(out, "/,\"\\") || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        absim_yaml_error_at(&c->doc, v, "%s: invalid name %s (non-empty; no '/', ',', '\"' or '\\')", path,
                            absim_yaml_show(v, shown, sizeof shown));
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ helpers */

static int add_sector(ctx *c, const char *name)
{
    absim_deal *d = c->deal;
    int idx = absim_deal_find_sector(d, name);
    if (idx >= 0)
        return idx;
    char(*names)[ABSIM_NAME_MAX] = realloc(d->sectors, (size_t)(d->nsectors + 1) * sizeof *names);
    if (!names) {
        c->doc.nomem = 1;
        return -1;
    }
    d->sectors = names;
    double *load = realloc(d->sector_loading, (size_t)(d->nsectors + 1) * sizeof *load);
    if (!load) {
        c->doc.nomem = 1;
        return -1;
    }
    d->sector_loading = load;
    snprintf(d->sectors[d->nsectors], ABSIM_NAME_MAX, "%s", name);
    d->sector_loading[d->nsectors] = 0.0;
    return d->nsectors++;
}

int absim_config_sector_used(const absim_deal *d, int s)
{
    for (int i = 0; i < d->nlines; i++)
        if (d->lines[i].sector_index == s)
            return 1;
    return 0;
}

/* Sector index named by key node `k` (must be used by a line), or -1. */
int absim_config_sector_ref(ctx *c, const absim_yaml_node *k, const char *path)
{
    char shown[64], hbuf[96];
    const absim_deal *d = c->deal;
    int idx = absim_deal_find_sector(d, k->text);
    if (idx >= 0 && absim_config_sector_used(d, idx))
        return idx;
    absim_yaml_matcher m = {k->text, NULL, SIZE_MAX};
    for (int i = 0; i < d->nsectors; i++)
        if (absim_config_sector_used(d, i))
            absim_yaml_match_try(&m, d->sectors[i]);
    absim_yaml_error_at(&c->doc, k, "%s: sector %s is not used by any pool line%s", path,
                        absim_yaml_show(k, shown, sizeof shown), absim_yaml_hint(&m, hbuf, sizeof hbuf));
    return -1;
}

/* Resolve a path relative to base_dir (when relative and base_dir set). */
static int join_path(const char *base_dir, const char *rel, char *out, size_t cap)
{
    int n;
    if (rel[0] == '/' || !base_dir || !base_dir[0])
        n = snprintf(out, cap, "%s", rel);
    else
        n = snprintf(out, cap, "%s/%s", base_dir, rel);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static int readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    /* A directory opens but does not read. */
    char byte;
    size_t got = fread(&byte, 1, 1, f);
    int ok = got == 1 || !ferror(f);
    fclose(f);
    return ok;
}

/* ------------------------------------------------------------- schema */

static const char *const root_keys[] = {"deal", "simulation", "rates", "pool", "correlation", "structure",
                                        "isolation", "scenarios", "rating", NULL};

static void parse_deal(const absim_yaml_sect *root)
{
    static const char *const keys[] = {"name", "periods", "period_months", NULL};
    ctx *c = root->user;
    absim_deal *d = c->deal;
    absim_yaml_sect s;
    int64_t v;
    char path[192];

    if (absim_yaml_section(root, "deal", &s) == 0)
        absim_yaml_missing(root, "deal", "a mapping with name and periods");
    absim_yaml_check_keys(&s, keys);
    snprintf(d->name, sizeof d->name, "%s", "absim deal");
    const absim_yaml_node *name = absim_yaml_get(&s, "name");
    if (name)
        absim_yaml_text(&c->doc, name, absim_yaml_key_path(&s, "name", path, sizeof path), d->name, sizeof d->name);
    if (s.map && absim_yaml_get_int(&s, "periods", &v, 0, 1, 1, MAX_PERIODS) > 0)
        d->periods = (int)v;
    if (absim_yaml_get_int(&s, "period_months", &v, 1, 0, 1, 12) >= 0)
        d->period_months = (int)v;
}

static void parse_simulation(const absim_yaml_sect *root, const absim_yaml_node **is_tranche)
{
    static const char *const keys[] = {"paths", "seed", "threads", "quantiles", "keep_paths", "antithetic",
                                       "importance_sampling", "qmc", "target_stderr", NULL};
    static const char *const qmc_options[] = {"off", "sobol", NULL};
    static const double default_q[] = {0.5, 0.9, 0.99, 0.999};
    ctx *c = root->user;
    absim_simulation *sim = &c->deal->sim;
    absim_yaml_sect s;
    int64_t v;
    char path[192];

    absim_yaml_section(root, "simulation", &s);
    absim_yaml_check_keys(&s, keys);
    if (absim_yaml_get_int(&s, "paths", &v, 10000, 0, 1, INT64_MAX) >= 0)
        sim->paths = v;
    sim->seed = 1;
    const absim_yaml_node *seed = absim_yaml_get(&s, "seed");
    if (seed)
        absim_yaml_u64(&c->doc, seed, absim_yaml_key_path(&s, "seed", path, sizeof path), &sim->seed);
    if (absim_yaml_get_int(&s, "threads", &v, 0, 0, 0, 65536) >= 0)
        sim->threads = (int)v;
    absim_yaml_get_bool(&s, "keep_paths", &sim->keep_paths, 1);
    absim_yaml_get_bool(&s, "antithetic", &sim->antithetic, 0);
    int q = absim_yaml_get_choice(&s, "qmc", qmc_options, 0);
    sim->qmc = q > 0 ? q : 0;
    absim_yaml_get_num(&s, "target_stderr", &sim->target_stderr, 0.0, 0, &R_NONNEG);

    const absim_yaml_node *ql = absim_yaml_list_at(&s, "quantiles", 1, MAX_QUANTILES, "quantile levels");
    int nq = ql ? ql->n : 4;
    sim->quantiles = malloc((size_t)nq * sizeof *sim->quantiles);
    if (!sim->quantiles) {
        c->doc.nomem = 1;
        return;
    }
    sim->nquantiles = nq;
    for (int i = 0; i < nq; i++) {
        if (!ql) {
            sim->quantiles[i] = default_q[i];
            continue;
        }
        char ipath[200];
        snprintf(ipath, sizeof ipath, "%s[%d]", absim_yaml_key_path(&s, "quantiles", path, sizeof path), i);
        double x = 0.5;
        if (absim_yaml_num(&c->doc, ql->item[i], ipath, &R_OPEN_UNIT, &x) == 0 && i > 0 && !(x > sim->quantiles[i - 1]))
            absim_yaml_error_at(&c->doc, ql->item[i], "%s: quantile levels must be strictly increasing (%g after %g)",
                                ipath, x, sim->quantiles[i - 1]);
        sim->quantiles[i] = x;
    }

    const absim_yaml_node *is = absim_yaml_get(&s, "importance_sampling");
    absim_yaml_key_path(&s, "importance_sampling", path, sizeof path);
    sim->importance_sampling = ABSIM_IS_OFF;
    sim->is_tranche = -1;
    if (is && is->kind == ABSIM_YAML_MAP) {
        static const char *const is_keys[] = {"tranche", "shift", NULL};
        absim_yaml_sect m;
        absim_yaml_open_map(&s, NULL, is, path, &m);
        absim_yaml_check_keys(&m, is_keys);
        const absim_yaml_node *tr = absim_yaml_get(&m, "tranche"), *sh = absim_yaml_get(&m, "shift");
        if (tr && sh) {
            absim_yaml_error_at(&c->doc, is, "%s: give either tranche or shift, not both", path);
        } else if (tr) {
            char name[ABSIM_NAME_MAX];
            char tpath[200];
            snprintf(tpath, sizeof tpath, "%s.tranche", path);
            if (absim_config_name(c, tr, tpath, name, sizeof name) == 0) {
                sim->importance_sampling = ABSIM_IS_TRANCHE;
                *is_tranche = tr;
            }
        } else if (sh) {
            if (absim_yaml_get_num(&m, "shift", &sim->is_shift, 0.0, 1, &(absim_yaml_range){-10.0, 10.0, 0, 0}) > 0)
                sim->importance_sampling = ABSIM_IS_SHIFT;
        } else {
            absim_yaml_error_at(&c->doc, is, "%s: expected {tranche: NAME} or {shift: X}", path);
        }
    } else if (is) {
        static const char *const is_options[] = {"off", "auto", NULL};
        int k = absim_yaml_choice(&c->doc, is, path, is_options);
        sim->importance_sampling = k == 1 ? ABSIM_IS_AUTO : ABSIM_IS_OFF;
    }
}

static void parse_rates(const absim_yaml_sect *root)
{
    static const char *const keys[] = {"model", "r0", "kappa", "theta", "sigma", "zero_curve", NULL};
    static const char *const models[] = {"flat", "vasicek", "cir", "hull_white", NULL};
    ctx *c = root->user;
    absim_rates *r = &c->deal->rates;
    absim_yaml_sect s;
    char path[192];

    absim_yaml_section(root, "rates", &s);
    absim_yaml_check_keys(&s, keys);
    int model = absim_yaml_get_choice(&s, "model", models, 0);
    if (model < 0)
        return;
    r->model = (absim_rate_model)model;
    const absim_yaml_range r0_range = model == ABSIM_RATES_CIR ? (absim_yaml_range){0.0, 1.0, 0, 0} : R_RATE;
    absim_yaml_get_num(&s, "r0", &r->r0, 0.0, 0, &r0_range);
    /* Keys that the chosen model does not use are mistakes. */
    static const char *const flat_unused[] = {"kappa", "theta", "sigma", "zero_curve", NULL};
    static const char *const mr_unused[] = {"zero_curve", NULL};
    static const char *const hw_unused[] = {"theta", NULL};
    const char *const *unused = model == ABSIM_RATES_FLAT ? flat_unused
                                : model == ABSIM_RATES_HULL_WHITE ? hw_unused : mr_unused;
    for (int i = 0; unused[i]; i++) {
        const absim_yaml_node *k = absim_yaml_get_key(&s, unused[i]);
        if (k)
            absim_yaml_error_at(&c->doc, k, "%s: '%s' is not used by model '%s'",
                                absim_yaml_key_path(&s, unused[i], path, sizeof path), unused[i], models[model]);
    }
    if (model == ABSIM_RATES_FLAT)
        return;
    absim_yaml_get_num(&s, "kappa", &r->kappa, 0.0, 1, &(absim_yaml_range){0.0, 100.0, 1, 0});
    absim_yaml_get_num(&s, "sigma", &r->sigma, 0.0, 0, &(absim_yaml_range){0.0, 1.0, 0, 0});
    if (model != ABSIM_RATES_HULL_WHITE) {
        absim_yaml_get_num(&s, "theta", &r->theta, r->r0, 0,
                           model == ABSIM_RATES_CIR ? &(absim_yaml_range){0.0, 1.0, 0, 0} : &R_RATE);
        return;
    }
    const absim_yaml_node *zc = absim_yaml_get(&s, "zero_curve");
    absim_yaml_key_path(&s, "zero_curve", path, sizeof path);
    if (!zc) {
        absim_yaml_missing(&s, "zero_curve", "a list of [years, rate] pairs, required by model hull_white");
        return;
    }
    zc = absim_yaml_list_at(&s, "zero_curve", 1, 1000, "[years, rate] pairs");
    if (!zc)
        return;
    r->curve_t = malloc((size_t)zc->n * sizeof *r->curve_t);
    r->curve_z = malloc((size_t)zc->n * sizeof *r->curve_z);
    if (!r->curve_t || !r->curve_z) {
        c->doc.nomem = 1;
        return;
    }
    r->ncurve = zc->n;
    for (int i = 0; i < zc->n; i++) {
        const absim_yaml_node *pt = zc->item[i];
        char ipath[200], shown[64];
        snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
        r->curve_t[i] = r->curve_z[i] = 0.0;
        if (pt->kind != ABSIM_YAML_LIST || pt->n != 2) {
            absim_yaml_error_at(&c->doc, pt, "%s: expected a pair [years, rate], got %s", ipath,
                                pt->kind == ABSIM_YAML_LIST ? "a list of another length"
                                                            : absim_yaml_show(pt, shown, sizeof shown));
            continue;
        }
        char tpath[210];
        snprintf(tpath, sizeof tpath, "%s[0]", ipath);
        if (absim_yaml_num(&c->doc, pt->item[0], tpath, &(absim_yaml_range){0.0, 200.0, 1, 0}, &r->curve_t[i]) == 0 &&
            i > 0 && !(r->curve_t[i] > r->curve_t[i - 1]))
            absim_yaml_error_at(&c->doc, pt->item[0], "%s: times must be strictly increasing (%g after %g)", tpath,
                                r->curve_t[i], r->curve_t[i - 1]);
        snprintf(tpath, sizeof tpath, "%s[1]", ipath);
        absim_yaml_num(&c->doc, pt->item[1], tpath, &R_RATE, &r->curve_z[i]);
    }
    if (!absim_yaml_get(&s, "r0"))
        r->r0 = r->curve_z[0];
}

static void parse_recovery(const absim_yaml_sect *line, absim_line *ln)
{
    static const char *const keys[] = {"mean", "stdev", "lag", "systematic_loading", NULL};
    ctx *c = line->user;
    char path[192];
    const absim_yaml_node *v = absim_yaml_get(line, "recovery");
    absim_yaml_key_path(line, "recovery", path, sizeof path);
    if (!v) {
        absim_yaml_missing(line, "recovery", "{mean: M, stdev: S, lag: L}");
        return;
    }
    if (v->kind == ABSIM_YAML_SCALAR && !absim_yaml_is_null(v)) { /* shorthand: recovery: 0.4 */
        absim_yaml_num(&c->doc, v, path, &R_PROB, &ln->recovery_mean);
        return;
    }
    absim_yaml_sect s;
    if (absim_yaml_open_map(line, NULL, v, path, &s) < 0)
        return;
    absim_yaml_check_keys(&s, keys);
    int64_t lag;
    int ok_mean = absim_yaml_get_num(&s, "mean", &ln->recovery_mean, 0.0, 1, &R_PROB) > 0;
    int ok_sd = absim_yaml_get_num(&s, "stdev", &ln->recovery_stdev, 0.0, 0, &R_NONNEG) > 0;
    if (absim_yaml_get_int(&s, "lag", &lag, 0, 0, 0, MAX_PERIODS) >= 0)
        ln->recovery_lag = (int)lag;
    absim_yaml_get_num(&s, "systematic_loading", &ln->recovery_loading, 0.0, 0, &R_FRACTION);
    double m = ln->recovery_mean, sd = ln->recovery_stdev;
    if (ok_mean && ok_sd && sd > 0 && !(sd * sd < m * (1.0 - m)))
        absim_yaml_error_at(&c->doc, absim_yaml_get(&s, "stdev"),
                            "%s.stdev: a beta recovery with mean %g needs stdev < sqrt(mean (1 - mean)) = %g, got %g",
                            path, m, sqrt(m * (1.0 - m)), sd);
}

static void parse_prepay(const absim_yaml_sect *line, absim_line *ln)
{
    static const char *const keys[] = {"cpr", "psa", NULL};
    char path[192];
    const absim_yaml_node *v = absim_yaml_get(line, "prepay");
    absim_yaml_sect s;
    ln->prepay = ABSIM_PREPAY_NONE;
    if (absim_yaml_open_map(line, NULL, v, absim_yaml_key_path(line, "prepay", path, sizeof path), &s) <= 0)
        return;
    absim_yaml_check_keys(&s, keys);
    int k = absim_yaml_one_of(&s, keys, 1, "cpr or psa");
    if (k == 0 && absim_yaml_get_num(&s, "cpr", &ln->prepay_value, 0.0, 1, &R_PROB) > 0)
        ln->prepay = ABSIM_PREPAY_CPR;
    if (k == 1 &&
        absim_yaml_get_num(&s, "psa", &ln->prepay_value, 0.0, 1, &(absim_yaml_range){0.0, 100000.0, 0, 0}) > 0)
        ln->prepay = ABSIM_PREPAY_PSA;
}

/* Returns 0 if the line parsed cleanly. */
static int parse_line(const absim_yaml_sect *pool, const absim_yaml_node *item, int i, absim_line *ln)
{
    static const char *const keys[] = {"name", "sector", "count", "balance", "coupon", "spread", "term",
                                       "amortization", "pd", "cdr", "sda", "default_curve", "recovery",
                                       "prepay", NULL};
    static const char *const amort[] = {"level", "linear", "bullet", NULL};
    static const char *const laws[] = {"pd", "cdr", "sda", "default_curve", NULL};
    static const char *const rates[] = {"coupon", "spread", NULL};
    ctx *c = pool->user;
    int before = c->doc.nerrors;
    char path[192], kpath[192];
    absim_yaml_sect s;
    int64_t v;

    snprintf(path, sizeof path, "%s.lines[%d]", pool->path, i);
    memset(ln, 0, sizeof *ln);
    ln->source_line = item->line;
    if (absim_yaml_open_map(pool, NULL, item, path, &s) < 0)
        return -1;
    absim_yaml_check_keys(&s, keys);
    const absim_yaml_node *name = absim_yaml_get(&s, "name");
    if (!name)
        absim_yaml_missing(&s, "name", "a unique line name");
    else if (absim_config_name(c, name, absim_yaml_key_path(&s, "name", kpath, sizeof kpath), ln->name,
                               sizeof ln->name) == 0) {
        absim_deal *d = c->deal;
        for (int j = 0; j < d->nlines; j++)
            if (strcmp(d->lines[j].name, ln->name) == 0) {
                absim_yaml_error_at(&c->doc, name, "%s: duplicate line name '%s' (also at line %d)", kpath, ln->name,
                                    d->lines[j].source_line);
                break;
            }
    }
    char sector[ABSIM_NAME_MAX] = "general";
    const absim_yaml_node *sv = absim_yaml_get(&s, "sector");
    if (sv)
        absim_config_name(c, sv, absim_yaml_key_path(&s, "sector", kpath, sizeof kpath), sector, sizeof sector);
    ln->sector_index = add_sector(c, sector[0] ? sector : "general");
    if (ln->sector_index < 0)
        ln->sector_index = 0;
    if (absim_yaml_get_int(&s, "count", &v, 1, 0, 1, INT64_C(100000000)) >= 0)
        ln->count = v;
    absim_yaml_get_num(&s, "balance", &ln->balance, 0.0, 1, &R_POSITIVE);
    int rk = absim_yaml_one_of(&s, rates, 1, "a coupon (fixed) or a spread (floating)");
    if (rk == 0)
        absim_yaml_get_num(&s, "coupon", &ln->coupon, 0.0, 1, &R_PROB);
    if (rk == 1) {
        ln->floating = 1;
        absim_yaml_get_num(&s, "spread", &ln->spread, 0.0, 1, &R_RATE);
    }
    if (absim_yaml_get_int(&s, "term", &v, 1, 1, 1, MAX_PERIODS) > 0)
        ln->term = (int)v;
    int a = absim_yaml_get_choice(&s, "amortization", amort, 0);
    ln->amortization = a > 0 ? (absim_amort)a : ABSIM_AMORT_LEVEL;
    int law = absim_yaml_one_of(&s, laws, 1, "one default law: pd, cdr, sda or default_curve");
    if (law == 0)
        absim_yaml_get_num(&s, "pd", &ln->law_value, 0.0, 1, &R_PROB);
    else if (law == 1)
        absim_yaml_get_num(&s, "cdr", &ln->law_value, 0.0, 1, &R_PROB);
    else if (law == 2)
        absim_yaml_get_num(&s, "sda", &ln->law_value, 0.0, 1, &(absim_yaml_range){0.0, 100000.0, 0, 0});
    if (law >= 0)
        ln->law = (absim_default_law)law;
    if (law == 3) {
        const absim_yaml_node *cl =
            absim_yaml_list_at(&s, "default_curve", 1, MAX_CURVE, "cumulative default probabilities");
        absim_yaml_key_path(&s, "default_curve", kpath, sizeof kpath);
        if (cl) {
            ln->curve = malloc((size_t)cl->n * sizeof *ln->curve);
            if (!ln->curve) {
                c->doc.nomem = 1;
                return -1;
            }
            ln->ncurve = cl->n;
            for (int j = 0; j < cl->n; j++) {
                char ipath[200];
                snprintf(ipath, sizeof ipath, "%s[%d]", kpath, j);
                ln->curve[j] = 0.0;
                if (absim_yaml_num(&c->doc, cl->item[j], ipath, &R_PROB, &ln->curve[j]) == 0 && j > 0 &&
                    ln->curve[j] < ln->curve[j - 1])
                    absim_yaml_error_at(&c->doc, cl->item[j],
                                        "%s: cumulative default probabilities must not decrease (%g after %g)", ipath,
                                        ln->curve[j], ln->curve[j - 1]);
            }
        }
    }
    parse_recovery(&s, ln);
    parse_prepay(&s, ln);
    return c->doc.nerrors == before ? 0 : -1;
}

static void parse_pool(const absim_yaml_sect *root, FILE *tape_err)
{
    static const char *const keys[] = {"tape", "lines", NULL};
    ctx *c = root->user;
    absim_deal *d = c->deal;
    int before = c->doc.nerrors;
    int tape_failed = 0;
    absim_yaml_sect s;
    char path[192];

    if (absim_yaml_section(root, "pool", &s) == 0)
        absim_yaml_missing(root, "pool", "a mapping with lines and/or tape");
    absim_yaml_check_keys(&s, keys);
    const absim_yaml_node *lines = absim_yaml_get(&s, "lines");
    if (lines)
        lines = absim_yaml_list_at(&s, "lines", 0, MAX_LINES, "pool lines");
    if (lines && lines->n > 0) {
        d->lines = calloc((size_t)lines->n, sizeof *d->lines);
        if (!d->lines) {
            c->doc.nomem = 1;
            return;
        }
        for (int i = 0; i < lines->n; i++) {
            parse_line(&s, lines->item[i], i, &d->lines[d->nlines]);
            d->nlines++;
        }
    }
    const absim_yaml_node *tape = absim_yaml_get(&s, "tape");
    if (tape) {
        char rel[MAX_PATH], full[MAX_PATH];
        absim_yaml_key_path(&s, "tape", path, sizeof path);
        if (absim_yaml_text(&c->doc, tape, path, rel, sizeof rel) == 0) {
            if (!rel[0] || join_path(c->base_dir, rel, full, sizeof full) < 0) {
                absim_yaml_error_at(&c->doc, tape, "%s: invalid path", path);
                tape_failed = 1;
            } else if (!readable(full)) {
                absim_yaml_error_at(&c->doc, tape, "%s: cannot read loan tape '%s': %s", path, full,
                                    strerror(errno ? errno : ENOENT));
                tape_failed = 1;
            } else {
                int rc = absim_tape_append(d, full, tape_err);
                if (rc == ABSIM_ENOMEM)
                    c->doc.nomem = 1;
                if (rc != ABSIM_OK) {
                    tape_failed = 1;
                    c->tape_failed = 1; /* its messages are in tape_err */
                }
            }
        } else {
            tape_failed = 1;
        }
    }
    if (d->nlines == 0 && !tape_failed && s.map)
        absim_yaml_error_at(&c->doc, s.at, "pool: no loans (give pool.lines and/or pool.tape)");
    c->pool_ok = c->doc.nerrors == before && !tape_failed && d->nlines > 0;
}

static void parse_correlation(const absim_yaml_sect *root)
{
    static const char *const keys[] = {"model", "dof", "systematic", "sectors", NULL};
    static const char *const models[] = {"gaussian", "student_t", NULL};
    ctx *c = root->user;
    absim_deal *d = c->deal;
    absim_correlation *cor = &d->correlation;
    absim_yaml_sect s;
    char path[192];

    absim_yaml_section(root, "correlation", &s);
    absim_yaml_check_keys(&s, keys);
    int model = absim_yaml_get_choice(&s, "model", models, 0);
    cor->model = model == 1 ? ABSIM_COPULA_STUDENT_T : ABSIM_COPULA_GAUSSIAN;
    if (model == 1) {
        absim_yaml_get_num(&s, "dof", &cor->dof, 0.0, 1, &(absim_yaml_range){2.0, 1e6, 1, 0});
    } else if (model == 0 && absim_yaml_get_key(&s, "dof")) {
        absim_yaml_error_at(&c->doc, absim_yaml_get_key(&s, "dof"), "%s: 'dof' is only used by model student_t",
                            absim_yaml_key_path(&s, "dof", path, sizeof path));
    }
    int sys_ok = absim_yaml_get_num(&s, "systematic", &cor->systematic, 0.0, 0, &R_FRACTION) >= 0;
    absim_yaml_sect sec;
    if (absim_yaml_section(&s, "sectors", &sec) <= 0)
        return;
    for (int i = 0; i < sec.map->n; i++) {
        const absim_yaml_node *k = sec.map->key[i], *v = sec.map->item[i];
        char kpath[200];
        snprintf(kpath, sizeof kpath, "%s.%s", sec.path, k->text);
        int idx = absim_config_sector_ref(c, k, sec.path);
        double b2 = 0.0;
        if (absim_yaml_num(&c->doc, v, kpath, &R_FRACTION, &b2) < 0 || idx < 0)
            continue;
        d->sector_loading[idx] = b2;
        if (sys_ok && !(cor->systematic + b2 < 1.0))
            absim_yaml_error_at(
                &c->doc, v,
                "%s: correlation.systematic (%g) + sector %s (%g) = %g must be < 1 (the idiosyncratic weight "
                "would be negative)",
                kpath, cor->systematic, k->text, b2, cor->systematic + b2);
    }
}


static void parse_rating(const absim_yaml_sect *root)
{
    static const char *const keys[] = {"scale", NULL};
    ctx *c = root->user;
    absim_deal *d = c->deal;
    absim_yaml_sect s;
    char path[192], rel[MAX_PATH], full[MAX_PATH];

    d->rating_scale[0] = '\0';
    if (absim_yaml_section(root, "rating", &s) <= 0)
        return;
    absim_yaml_check_keys(&s, keys);
    const absim_yaml_node *v = absim_yaml_get(&s, "scale");
    absim_yaml_key_path(&s, "scale", path, sizeof path);
    if (!v) {
        absim_yaml_missing(&s, "scale", "the path of a rating scale CSV");
        return;
    }
    if (absim_yaml_text(&c->doc, v, path, rel, sizeof rel) < 0)
        return;
    if (rel[0] && c->base_dir && rel[0] != '/' && join_path(c->base_dir, rel, full, sizeof full) == 0 &&
        readable(full)) {
        /* found next to the config */
    } else if (rel[0] && readable(rel)) {
        snprintf(full, sizeof full, "%s", rel);
    } else {
        absim_yaml_error_at(
            &c->doc, v, "%s: cannot read rating scale '%s' (looked next to the config and in the current directory)",
            path, rel);
        return;
    }
    if (strlen(full) >= sizeof d->rating_scale) {
        absim_yaml_error_at(&c->doc, v, "%s: path too long", path);
        return;
    }
    snprintf(d->rating_scale, sizeof d->rating_scale, "%s", full);
}

/* ------------------------------------------------------------- public */

int absim_config_load_string(absim_deal *deal, const char *text, size_t len, const char *name,
                             const char *base_dir, FILE *err)
{
    ctx c = {0};
    absim_yaml_node *root = NULL;
    int empty = 0;
    char *tape_buf = NULL;
    size_t tape_len = 0;
    FILE *tape_err = NULL;
    int rc = ABSIM_OK;

    memset(deal, 0, sizeof *deal);
    c.doc.name = name ? name : "<config>";
    c.doc.what = "config";
    c.base_dir = base_dir;
    c.doc.text = text;
    c.doc.len = text ? len : 0;
    c.deal = deal;
    tape_err = open_memstream(&tape_buf, &tape_len);
    if (!tape_err) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    deal->sectors = malloc(sizeof *deal->sectors);
    deal->sector_loading = malloc(sizeof *deal->sector_loading);
    if (!deal->sectors || !deal->sector_loading) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    strcpy(deal->sectors[0], "general");
    deal->sector_loading[0] = 0.0;
    deal->nsectors = 1;

    root = absim_yaml_parse(&c.doc, &empty);
    if (empty)
        absim_yaml_error_mark(&c.doc, 1, 1, "the config is empty (expected a mapping with deal, pool and structure)");
    if (root) {
        absim_yaml_sect top = {&c.doc, &c, NULL, root, ""};
        const absim_yaml_node *is_tranche = NULL;
        char shown[64];
        if (root->kind != ABSIM_YAML_MAP) {
            absim_yaml_error_at(&c.doc, root, "expected a mapping of sections (deal, pool, structure, ...), got %s",
                                absim_yaml_show(root, shown, sizeof shown));
        } else {
            top.map = root;
            absim_yaml_check_keys(&top, root_keys);
            parse_deal(&top);
            parse_simulation(&top, &is_tranche);
            parse_rates(&top);
            parse_pool(&top, tape_err);
            parse_correlation(&top);
            absim_config_parse_structure(&top);
            if (is_tranche && deal->structure.ntranches > 0) {
                int t = absim_config_tranche_ref(&c, is_tranche, "simulation.importance_sampling.tranche", 0);
                deal->sim.is_tranche = t;
            }
            absim_config_parse_isolation(&top);
            absim_config_parse_scenarios(&top);
            parse_rating(&top);
        }
    }
    if (c.doc.nomem) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    if (c.doc.nerrors > 0 || c.tape_failed) {
        rc = ABSIM_ECONFIG;
        goto cleanup;
    }
    deal->config_text = malloc(c.doc.len + 1);
    deal->source_path = strdup(c.doc.name);
    if (!deal->config_text || !deal->source_path) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    if (c.doc.len)
        memcpy(deal->config_text, text, c.doc.len);
    deal->config_text[c.doc.len] = '\0';

cleanup:
    if (tape_err)
        fclose(tape_err);
    absim_yaml_flush(&c.doc, err);
    if (err && tape_buf && tape_len)
        fwrite(tape_buf, 1, tape_len, err);
    if (err && rc == ABSIM_ENOMEM)
        fprintf(err, "%s: error: out of memory\n", c.doc.name);
    free(tape_buf);
    absim_yaml_node_free(root);
    if (rc != ABSIM_OK)
        absim_deal_free(deal);
    return rc;
}

int absim_config_load(absim_deal *deal, const char *path, FILE *err)
{
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    int rc = ABSIM_OK;

    memset(deal, 0, sizeof *deal);
    rc = absim_textfile_read(path, "config", MAX_FILE_BYTES, &text, &len, err);
    if (rc != ABSIM_OK)
        goto cleanup;
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        dir = malloc(n + 2);
        if (!dir) {
            rc = ABSIM_ENOMEM;
            goto cleanup;
        }
        if (n == 0)
            strcpy(dir, "/");
        else {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    rc = absim_config_load_string(deal, text, len, path, dir, err);

cleanup:
    free(text);
    free(dir);
    return rc;
}
