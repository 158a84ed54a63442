/* output.c -- the summary of a run as an aligned table or as JSON.
 *
 * Table: a header (deal, scenario, paths, seed, threads, ranks, seconds,
 * paths per second), the pool section (expected loss, expected default
 * rate, loss and default-rate quantiles), the tranche table (balance in
 * currency units, attachment-detachment, EL +/- stderr, PD, LGD, pv_loss
 * in percent, WAL in years, implied rating) and the tranche VaR/ES table.
 * JSON: exactly the keys of SPEC section 3, built with jansson (key order
 * as written, reals with 17 significant digits so they read back bitwise);
 * a non-finite number is written as null; quantile levels as keys use "%g".
 * Every printer returns ABSIM_OK, ABSIM_ENOMEM or ABSIM_EIO (write error). */
#include "output.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "absim_version.h"
#include "../kernels/status.h"

typedef char cell[48];

/* ------------------------------------------------------------------ */
/* Deal name from the YAML text.                                      */

static const yaml_node_t *mapping_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

int absim_output_deal_name(const char *config_text, char *out, size_t cap)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    const yaml_node_t *name;
    if (cap == 0)
        return ABSIM_OK;
    out[0] = '\0';
    if (!config_text || !config_text[0] || !yaml_parser_initialize(&parser))
        return ABSIM_OK;
    yaml_parser_set_input_string(&parser, (const unsigned char *)config_text, strlen(config_text));
    if (yaml_parser_load(&parser, &doc)) {
        name = mapping_get(&doc, mapping_get(&doc, yaml_document_get_root_node(&doc), "deal"), "name");
        if (name && name->type == YAML_SCALAR_NODE)
            snprintf(out, cap, "%s", (const char *)name->data.scalar.value);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return ABSIM_OK;
}

/* ------------------------------------------------------------------ */
/* Number formatting for the table.                                   */

static double at(const double *v, int i) { return v ? v[i] : NAN; }

static const char *pct(cell c, double x)
{
    if (isfinite(x))
        snprintf(c, sizeof(cell), "%.4f%%", 100.0 * x);
    else
        snprintf(c, sizeof(cell), "n/a");
    return c;
}

static const char *pp_change(cell c, double x)
{
    if (isfinite(x))
        snprintf(c, sizeof(cell), "%+.4f pp", 100.0 * x);
    else
        snprintf(c, sizeof(cell), "n/a");
    return c;
}

static const char *fixed(cell c, double x, int decimals)
{
    if (isfinite(x))
        snprintf(c, sizeof(cell), "%.*f", decimals, x);
    else
        snprintf(c, sizeof(cell), "n/a");
    return c;
}

/* Integer part of |x| with thousands separators ("1,234,567"). */
static const char *grouped(cell c, double x)
{
    char digits[40];
    size_t n, o = 0;
    if (!isfinite(x) || fabs(x) >= 1e30) {
        snprintf(c, sizeof(cell), isfinite(x) ? "%.3g" : "n/a", x);
        return c;
    }
    snprintf(digits, sizeof digits, "%.0f", fabs(x));
    n = strlen(digits);
    if (x <= -0.5)
        c[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            c[o++] = ',';
        c[o++] = digits[i];
    }
    c[o] = '\0';
    return c;
}

/* Quantile level as a percentage label: 0.999 -> "99.9%". */
static const char *level_label(cell c, double q)
{
    snprintf(c, sizeof(cell), "%g%%", 100.0 * q);
    return c;
}

static int64_t result_paths(const absim_run_meta *meta, const absim_scenario_result *r)
{
    return r->summary && r->summary->paths > 0 ? r->summary->paths : meta->paths;
}

static int finish(FILE *out)
{
    if (fflush(out) != 0 || ferror(out))
        return absim_error_set(ABSIM_EIO, "cannot write the summary to the output stream");
    return ABSIM_OK;
}

static int valid_result(const absim_run_meta *meta, const absim_scenario_result *r)
{
    return meta && r && r->tranches && r->summary && r->tranches->ntranches == r->summary->ntranches &&
           r->summary->nquantiles >= 0;
}

/* ------------------------------------------------------------------ */
/* Table.                                                             */

static int name_width(const absim_tranche_table *t)
{
    int w = 7;
    for (int i = 0; i < t->ntranches; i++) {
        int n = (int)strlen(t->name[i]);
        if (n > w)
            w = n;
    }
    return w;
}

static void table_header(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r)
{
    char deal[128];
    cell a, b;
    int64_t paths = result_paths(meta, r);
    double seconds = r->seconds;
    absim_output_deal_name(meta->config_text, deal, sizeof deal);
    fprintf(out, "absim %s  deal: %s\n", meta->absim_version[0] ? meta->absim_version : ABSIM_VERSION,
            deal[0] ? deal : "(unnamed)");
    fprintf(out, "scenario: %s   paths: %s   seed: %" PRIu64 "   threads: %d   ranks: %d\n", r->scenario,
            grouped(a, (double)paths), meta->seed, meta->threads, meta->mpi_ranks > 0 ? meta->mpi_ranks : 1);
    fprintf(out, "time: %s s   speed: %s paths/s   rng: %s   quantiles: %s\n", fixed(a, seconds, 2),
            seconds > 0 ? grouped(b, (double)paths / seconds) : "n/a", meta->rng[0] ? meta->rng : "unknown",
            r->summary->exact_quantiles ? "exact (from the sample)" : "from the accumulator (error <= 1e-4)");
}

static void table_pool(FILE *out, const absim_summary *s)
{
    cell a, b;
    int nq = s->nquantiles;
    fprintf(out, "\nPool (fractions of the original pool balance)\n");
    fprintf(out, "  %-24s %12s +/- %s\n", "expected loss", pct(a, s->pool_expected_loss),
            pct(b, s->pool_expected_loss_stderr));
    fprintf(out, "  %-24s %12s\n", "expected default rate", pct(a, s->pool_expected_default_rate));
    if (nq == 0)
        return;
    fprintf(out, "  %-24s", "quantile");
    for (int q = 0; q < nq; q++)
        fprintf(out, " %12s", level_label(a, s->quantile_levels[q]));
    fprintf(out, "\n  %-24s", "loss VaR");
    for (int q = 0; q < nq; q++)
        fprintf(out, " %12s", pct(a, at(s->pool_loss_q, q)));
    fprintf(out, "\n  %-24s", "loss ES");
    for (int q = 0; q < nq; q++)
        fprintf(out, " %12s", pct(a, at(s->pool_loss_es, q)));
    fprintf(out, "\n  %-24s", "default rate VaR");
    for (int q = 0; q < nq; q++)
        fprintf(out, " %12s", pct(a, at(s->pool_default_rate_q, q)));
    fputc('\n', out);
}

static void table_tranches(FILE *out, const absim_tranche_table *t, const absim_summary *s)
{
    int w = name_width(t), nq = s->nquantiles;
    cell a, b, d, e, f, g, hh, k;
    fprintf(out, "\nTranches (losses in %% of the tranche's original balance, WAL in years, balance in currency)\n");
    fprintf(out, "  %-*s %16s %16s %12s %12s %12s %12s %12s %7s  %s\n", w, "tranche", "balance", "attach-detach",
            "exp. loss", "+/- stderr", "def. prob", "LGD", "PV loss", "WAL", "rating");
    for (int i = 0; i < t->ntranches; i++) {
        char range[64];
        snprintf(range, sizeof range, "%.20s-%.20s%%", fixed(a, 100.0 * t->attachment[i], 2),
                 fixed(b, 100.0 * t->detachment[i], 2));
        fprintf(out, "  %-*s %16s %16s %12s %12s %12s %12s %12s %7s  %s\n", w, t->name[i],
                grouped(d, t->original_balance[i]), range, pct(e, s->expected_loss[i]),
                pct(f, s->expected_loss_stderr[i]), pct(g, s->default_probability[i]),
                pct(hh, s->loss_given_default[i]), pct(k, s->pv_loss[i]), fixed(a, s->wal[i], 2),
                s->implied_rating ? s->implied_rating[i] : "n/a");
    }
    if (nq == 0)
        return;
    fprintf(out, "\nTranche loss quantiles (%% of the tranche's original balance)\n");
    fprintf(out, "  %-*s", w, "tranche");
    for (int q = 0; q < nq; q++) {
        snprintf(b, sizeof b, "VaR %.20s", level_label(a, s->quantile_levels[q]));
        fprintf(out, " %12s", b);
    }
    for (int q = 0; q < nq; q++) {
        snprintf(b, sizeof b, "ES %.20s", level_label(a, s->quantile_levels[q]));
        fprintf(out, " %12s", b);
    }
    fputc('\n', out);
    for (int i = 0; i < t->ntranches; i++) {
        fprintf(out, "  %-*s", w, t->name[i]);
        for (int q = 0; q < nq; q++)
            fprintf(out, " %12s", pct(a, s->var[(size_t)q * (size_t)t->ntranches + (size_t)i]));
        for (int q = 0; q < nq; q++)
            fprintf(out, " %12s", pct(a, s->es[(size_t)q * (size_t)t->ntranches + (size_t)i]));
        fputc('\n', out);
    }
}

/* What bankruptcy remoteness is worth: both true-sale legs on the same
 * paths, per tranche. */
static void table_isolation(FILE *out, const absim_scenario_result *r)
{
    const absim_summary *holds = r->isolation_true_sale ? r->summary : r->isolation_alt;
    const absim_summary *fails = r->isolation_true_sale ? r->isolation_alt : r->summary;
    const absim_tranche_table *t = r->tranches;
    int w = name_width(t);
    fprintf(out, "\nRisk isolation (%s; originator defaulted on %.2f%% of paths)\n",
            r->isolation_true_sale ? "configured: true sale" : "configured: no true sale",
            100.0 * r->summary->originator_default_rate);
    fprintf(out, "  %-*s %15s %15s %15s %13s %13s\n", w, "tranche", "EL true sale", "EL no true sale",
            "value of SPV", "PD true sale", "PD no t. sale");
    for (int i = 0; i < t->ntranches; i++)
        fprintf(out, "  %-*s %14.4f%% %14.4f%% %14.4f%% %12.4f%% %12.4f%%\n", w, t->name[i],
                100.0 * holds->expected_loss[i], 100.0 * fails->expected_loss[i],
                100.0 * (fails->expected_loss[i] - holds->expected_loss[i]), 100.0 * holds->default_probability[i],
                100.0 * fails->default_probability[i]);
}

int absim_output_table(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r)
{
    if (!out || !valid_result(meta, r))
        return absim_error_set(ABSIM_EINVAL, "absim_output_table: invalid arguments");
    table_header(out, meta, r);
    table_pool(out, r->summary);
    table_tranches(out, r->tranches, r->summary);
    if (r->isolation_alt)
        table_isolation(out, r);
    return finish(out);
}

int absim_output_stress_table(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r, int n)
{
    int w, sw = 8;
    cell a, b, c, d;
    if (!out || !meta || !r || n < 1)
        return absim_error_set(ABSIM_EINVAL, "absim_output_stress_table: invalid arguments");
    for (int k = 0; k < n; k++) {
        if (!valid_result(meta, &r[k]) || r[k].tranches->ntranches != r[0].tranches->ntranches)
            return absim_error_set(ABSIM_EINVAL, "absim_output_stress_table: scenario %d does not match", k);
        if ((int)strlen(r[k].scenario) > sw)
            sw = (int)strlen(r[k].scenario);
    }
    for (int k = 0; k < n; k++) {
        if (k > 0)
            fprintf(out, "\n%s\n", "------------------------------------------------------------------------");
        table_header(out, meta, &r[k]);
        table_pool(out, r[k].summary);
        table_tranches(out, r[k].tranches, r[k].summary);
    }
    w = name_width(r[0].tranches);
    fprintf(out, "\n%s\n", "========================================================================");
    fprintf(out, "Stress comparison (change vs %s, in percentage points)\n", r[0].scenario);
    fprintf(out, "  %-*s %-*s %12s %14s %12s %14s  %s\n", w, "tranche", sw, "scenario", "exp. loss", "change",
            "def. prob", "change", "rating");
    for (int i = 0; i < r[0].tranches->ntranches; i++) {
        const absim_summary *base = r[0].summary;
        for (int k = 0; k < n; k++) {
            const absim_summary *s = r[k].summary;
            const char *rating = s->implied_rating ? s->implied_rating[i] : "n/a";
            const char *base_rating = base->implied_rating ? base->implied_rating[i] : "n/a";
            char rating_cell[64];
            if (k > 0 && strcmp(rating, base_rating) != 0)
                snprintf(rating_cell, sizeof rating_cell, "%s (was %s)", rating, base_rating);
            else
                snprintf(rating_cell, sizeof rating_cell, "%s", rating);
            fprintf(out, "  %-*s %-*s %12s %14s %12s %14s  %s\n", w, k == 0 ? r[0].tranches->name[i] : "", sw,
                    r[k].scenario, pct(a, s->expected_loss[i]),
                    k == 0 ? "-" : pp_change(b, s->expected_loss[i] - base->expected_loss[i]),
                    pct(c, s->default_probability[i]),
                    k == 0 ? "-" : pp_change(d, s->default_probability[i] - base->default_probability[i]),
                    rating_cell);
        }
    }
    /* The pool: expected loss and expected default rate in the same columns. */
    for (int k = 0; k < n; k++) {
        const absim_summary *s = r[k].summary, *base = r[0].summary;
        fprintf(out, "  %-*s %-*s %12s %14s %12s %14s%s\n", w, k == 0 ? "pool" : "", sw, r[k].scenario,
                pct(a, s->pool_expected_loss),
                k == 0 ? "-" : pp_change(b, s->pool_expected_loss - base->pool_expected_loss),
                pct(c, s->pool_expected_default_rate),
                k == 0 ? "-" : pp_change(d, s->pool_expected_default_rate - base->pool_expected_default_rate),
                k == 0 ? "  (pool: loss, default rate)" : "");
    }
    return finish(out);
}

/* ------------------------------------------------------------------ */
/* JSON.                                                              */

static json_t *number(double x) { return isfinite(x) ? json_real(x) : json_null(); }

/* Set key to v (stealing v); returns 0, or -1 if v is NULL or on failure. */
static int put(json_t *obj, const char *key, json_t *v)
{
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

/* {"%g level": v[q * stride + offset]} */
static json_t *by_level(const absim_summary *s, const double *v, size_t stride, size_t offset)
{
    json_t *obj = json_object();
    int bad = !obj;
    for (int q = 0; q < s->nquantiles && !bad; q++) {
        char key[32];
        snprintf(key, sizeof key, "%g", s->quantile_levels[q]);
        bad = put(obj, key, number(v ? v[(size_t)q * stride + offset] : NAN)) != 0;
    }
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *seed_json(uint64_t seed)
{
    char text[32];
    if (seed <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)seed);
    /* Above INT64_MAX a jansson integer cannot hold it: a decimal string. */
    snprintf(text, sizeof text, "%" PRIu64, seed);
    return json_string(text);
}

static json_t *tranche_json(const absim_tranche_table *t, const absim_summary *s, int i)
{
    size_t nt = (size_t)t->ntranches;
    json_t *obj = json_object();
    int bad = !obj;
    bad = bad || put(obj, "name", json_string(t->name[i])) != 0;
    bad = bad || put(obj, "original_balance", number(t->original_balance[i])) != 0;
    bad = bad || put(obj, "attachment", number(t->attachment[i])) != 0;
    bad = bad || put(obj, "detachment", number(t->detachment[i])) != 0;
    bad = bad || put(obj, "expected_loss", number(s->expected_loss[i])) != 0;
    bad = bad || put(obj, "expected_loss_stderr", number(s->expected_loss_stderr[i])) != 0;
    bad = bad || put(obj, "default_probability", number(s->default_probability[i])) != 0;
    bad = bad || put(obj, "loss_given_default", number(s->loss_given_default[i])) != 0;
    bad = bad || put(obj, "pv_loss", number(s->pv_loss[i])) != 0;
    bad = bad || put(obj, "wal", number(s->wal[i])) != 0;
    bad = bad || put(obj, "var", by_level(s, s->var, nt, (size_t)i)) != 0;
    bad = bad || put(obj, "es", by_level(s, s->es, nt, (size_t)i)) != 0;
    bad = bad || put(obj, "implied_rating", s->implied_rating ? json_string(s->implied_rating[i]) : json_null()) != 0;
    bad = bad || put(obj, "default_probability_stderr",
                     number(s->default_probability_stderr ? s->default_probability_stderr[i] : NAN)) != 0;
    bad = bad || put(obj, "variance_reduction", number(s->variance_reduction ? s->variance_reduction[i] : NAN)) != 0;
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* What true sale is worth: both legs on the same paths, per tranche. */
static json_t *isolation_json(const absim_scenario_result *r)
{
    const absim_summary *holds = r->isolation_true_sale ? r->summary : r->isolation_alt;
    const absim_summary *fails = r->isolation_true_sale ? r->isolation_alt : r->summary;
    json_t *obj = json_object(), *list = json_array();
    int bad = !obj || !list;
    bad = bad || put(obj, "true_sale", json_boolean(r->isolation_true_sale)) != 0;
    bad = bad || put(obj, "originator_default_rate", number(r->summary->originator_default_rate)) != 0;
    for (int i = 0; i < r->tranches->ntranches && !bad; i++) {
        json_t *t = json_object();
        bad = !t;
        bad = bad || put(t, "name", json_string(r->tranches->name[i])) != 0;
        bad = bad || put(t, "expected_loss_true_sale", number(holds->expected_loss[i])) != 0;
        bad = bad || put(t, "expected_loss_no_true_sale", number(fails->expected_loss[i])) != 0;
        bad = bad || put(t, "default_probability_true_sale", number(holds->default_probability[i])) != 0;
        bad = bad || put(t, "default_probability_no_true_sale", number(fails->default_probability[i])) != 0;
        bad = bad || put(t, "value_of_true_sale", number(fails->expected_loss[i] - holds->expected_loss[i])) != 0;
        bad = bad || json_array_append_new(list, t) != 0;
    }
    if (!bad) {
        bad = put(obj, "tranches", list) != 0;
        list = NULL;
    }
    json_decref(list);
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *scenario_json(const absim_run_meta *meta, const absim_scenario_result *r)
{
    const absim_summary *s = r->summary;
    const absim_tranche_table *t = r->tranches;
    int64_t paths = result_paths(meta, r);
    json_t *root = json_object(), *pool = json_object(), *list = json_array();
    int bad = !root || !pool || !list;

    bad = bad || put(pool, "expected_loss", number(s->pool_expected_loss)) != 0;
    bad = bad || put(pool, "expected_default_rate", number(s->pool_expected_default_rate)) != 0;
    bad = bad || put(pool, "quantiles", by_level(s, s->pool_loss_q, 1, 0)) != 0;
    bad = bad || put(pool, "default_rate_quantiles", by_level(s, s->pool_default_rate_q, 1, 0)) != 0;
    for (int i = 0; i < t->ntranches && !bad; i++) {
        json_t *tr = tranche_json(t, s, i);
        bad = !tr || json_array_append_new(list, tr) != 0;
    }
    bad = bad || put(root, "scenario", json_string(r->scenario)) != 0;
    bad = bad || put(root, "paths", json_integer((json_int_t)paths)) != 0;
    bad = bad || put(root, "seed", seed_json(meta->seed)) != 0;
    bad = bad || put(root, "threads", json_integer(meta->threads)) != 0;
    bad = bad || put(root, "seconds", number(r->seconds)) != 0;
    bad = bad || put(root, "paths_per_second", number(r->seconds > 0 ? (double)paths / r->seconds : NAN)) != 0;
    if (!bad) {
        bad = put(root, "pool", pool) != 0;
        pool = NULL; /* owned by root (or freed by a failed put) */
    }
    if (!bad) {
        bad = put(root, "tranches", list) != 0;
        list = NULL;
    }
    if (!bad && r->isolation_alt)
        bad = put(root, "isolation", isolation_json(r)) != 0;
    json_decref(pool);
    json_decref(list);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static int json_print(FILE *out, json_t *v)
{
    int rc;
    if (!v)
        return absim_error_set(ABSIM_ENOMEM, "out of memory building the JSON summary");
    rc = json_dumpf(v, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(v);
    if (rc != 0 || fputc('\n', out) == EOF)
        return absim_error_set(ABSIM_EIO, "cannot write the summary to the output stream");
    return finish(out);
}

int absim_output_json(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r)
{
    if (!out || !valid_result(meta, r))
        return absim_error_set(ABSIM_EINVAL, "absim_output_json: invalid arguments");
    return json_print(out, scenario_json(meta, r));
}

int absim_output_stress_json(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r, int n)
{
    json_t *root, *list;
    int bad;
    if (!out || !meta || !r || n < 1)
        return absim_error_set(ABSIM_EINVAL, "absim_output_stress_json: invalid arguments");
    for (int k = 0; k < n; k++)
        if (!valid_result(meta, &r[k]))
            return absim_error_set(ABSIM_EINVAL, "absim_output_stress_json: scenario %d is incomplete", k);
    root = json_object();
    list = json_array();
    bad = !root || !list;
    for (int k = 0; k < n && !bad; k++) {
        json_t *one = scenario_json(meta, &r[k]);
        bad = !one || json_array_append_new(list, one) != 0;
    }
    if (!bad) {
        bad = put(root, "scenarios", list) != 0;
        list = NULL;
    }
    json_decref(list);
    if (bad) {
        json_decref(root);
        root = NULL;
    }
    return json_print(out, root);
}
