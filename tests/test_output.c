/* test_output.c -- the summary printers: JSON parsed back with jansson
 * (exact SPEC keys, values bitwise, null for non-finite numbers, "%g"
 * level keys, the stress wrapper), the table's numbers and units, the
 * stress comparison, the deal-name helper and write errors. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "output.h"
#include "status.h"
#include "testutil.h"

#define NTR 3
#define NQ 4

static const char config_text[] = "# a deal\ndeal:\n  name: Steel receivables ABS 2017-1\n  periods: 60\n";
static const double levels[NQ] = {0.5, 0.9, 0.99, 0.999};

typedef struct {
    absim_tranche_table tranches;
    absim_run_meta meta;
    absim_summary base, shock;
    absim_scenario_result r[2];
} fixture;

static void fill_summary(absim_summary *s, double scale)
{
    assert_int_equal(absim_summary_init(s, NTR, NQ, levels), ABSIM_OK);
    s->paths = 100000;
    s->exact_quantiles = 1;
    for (int t = 0; t < NTR; t++) {
        s->expected_loss[t] = scale * (0.001 + 0.1 * t) / 3.0;
        s->expected_loss_stderr[t] = 1e-5 * (t + 1);
        s->default_probability[t] = scale * (0.002 + 0.2 * t) / 3.0;
        s->default_probability_stderr[t] = 1e-4;
        s->loss_given_default[t] = s->expected_loss[t] / s->default_probability[t];
        s->pv_loss[t] = t == NTR - 1 ? -0.125 : 0.9 * s->expected_loss[t];
        s->wal[t] = 1.0 + 0.75 * t;
        for (int q = 0; q < NQ; q++) {
            s->var[q * NTR + t] = scale * 0.01 * (q + 1) * (t + 1);
            s->es[q * NTR + t] = scale * 0.012 * (q + 1) * (t + 1);
        }
        snprintf(s->implied_rating[t], sizeof s->implied_rating[t], "%s",
                 t == 0 ? (scale > 1 ? "Aa2" : "Aaa") : t == 1 ? "Baa3" : "Ca");
    }
    s->loss_given_default[0] = NAN; /* non-finite: must print null / n/a */
    s->wal[2] = INFINITY;
    s->pool_expected_loss = scale * 0.0234;
    s->pool_expected_loss_stderr = 0.0001;
    s->pool_expected_default_rate = scale * 0.0456;
    for (int q = 0; q < NQ; q++) {
        s->pool_loss_q[q] = scale * 0.01 * (q + 1);
        s->pool_loss_es[q] = scale * 0.011 * (q + 1);
        s->pool_default_rate_q[q] = scale * 0.02 * (q + 1);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    static const char *names[NTR] = {"Class A", "B", "Equity"};
    static const double bal[NTR] = {7.0e8, 1.5e8, 0.7e8};
    if (!f)
        return -1;
    absim_tranche_table *t = &f->tranches;
    t->ntranches = NTR;
    t->name = calloc(NTR, sizeof *t->name);
    t->original_balance = calloc(NTR, sizeof(double));
    t->attachment = calloc(NTR, sizeof(double));
    t->detachment = calloc(NTR, sizeof(double));
    if (!t->name || !t->original_balance || !t->attachment || !t->detachment)
        return -1;
    double below = 0.0;
    for (int i = NTR - 1; i >= 0; i--) {
        snprintf(t->name[i], sizeof t->name[i], "%s", names[i]);
        t->original_balance[i] = bal[i];
        t->attachment[i] = below / 9.2e8;
        below += bal[i];
        t->detachment[i] = below / 9.2e8;
    }
    snprintf(f->meta.absim_version, sizeof f->meta.absim_version, "1.2.3");
    snprintf(f->meta.rng, sizeof f->meta.rng, "philox4x64-10");
    f->meta.config_text = config_text;
    f->meta.seed = 20170101;
    f->meta.paths = 100000;
    f->meta.threads = 16;
    f->meta.mpi_ranks = 1;
    fill_summary(&f->base, 1.0);
    fill_summary(&f->shock, 2.0);
    snprintf(f->r[0].scenario, sizeof f->r[0].scenario, "base");
    snprintf(f->r[1].scenario, sizeof f->r[1].scenario, "steel_coal_overcapacity");
    f->r[0].tranches = f->r[1].tranches = t;
    f->r[0].summary = &f->base;
    f->r[1].summary = &f->shock;
    f->r[0].seconds = 2.5;
    f->r[1].seconds = 0.0; /* paths_per_second: null */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    absim_summary_free(&f->base);
    absim_summary_free(&f->shock);
    free(f->tranches.name);
    free(f->tranches.original_balance);
    free(f->tranches.attachment);
    free(f->tranches.detachment);
    free(f);
    return 0;
}

/* Run a printer into memory; returns a malloc'd NUL-terminated string. */
typedef int (*printer)(FILE *, const fixture *);

static char *capture(printer p, const fixture *f, int expect_rc)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(p(fp, f), expect_rc);
    long n = ftell(fp);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    rewind(fp);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static int print_json(FILE *fp, const fixture *f) { return absim_output_json(fp, &f->meta, &f->r[0]); }
static int print_table(FILE *fp, const fixture *f) { return absim_output_table(fp, &f->meta, &f->r[0]); }
static int print_stress_json(FILE *fp, const fixture *f) { return absim_output_stress_json(fp, &f->meta, f->r, 2); }
static int print_stress_table(FILE *fp, const fixture *f)
{
    return absim_output_stress_table(fp, &f->meta, f->r, 2);
}

static void assert_keys(json_t *obj, const char *const *keys, size_t n)
{
    assert_true(json_is_object(obj));
    assert_int_equal(json_object_size(obj), n);
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(obj, keys[i])) {
            fprintf(stderr, "missing key %s\n", keys[i]);
            fail();
        }
}

/* A JSON number equal bitwise to x, or null when x is not finite. */
static void assert_json_number(json_t *v, double x)
{
    if (!isfinite(x)) {
        assert_true(json_is_null(v));
        return;
    }
    assert_true(json_is_number(v));
    double got = json_number_value(v);
    assert_memory_equal(&got, &x, sizeof x);
}

static void check_level_object(json_t *obj, const double *v, size_t stride, size_t offset)
{
    static const char *const keys[NQ] = {"0.5", "0.9", "0.99", "0.999"};
    assert_keys(obj, keys, NQ);
    for (int q = 0; q < NQ; q++)
        assert_json_number(json_object_get(obj, keys[q]), v[(size_t)q * stride + offset]);
}

static void check_scenario_json(json_t *root, const fixture *f, int k)
{
    static const char *const top[] = {"scenario", "paths", "seed", "threads", "seconds", "paths_per_second", "pool",
                                      "tranches"};
    static const char *const pool_keys[] = {"expected_loss", "expected_default_rate", "quantiles",
                                            "default_rate_quantiles"};
    static const char *const tr_keys[] = {"name", "original_balance", "attachment", "detachment", "expected_loss",
                                          "expected_loss_stderr", "default_probability", "loss_given_default",
                                          "pv_loss", "wal", "var", "es", "implied_rating", "default_probability_stderr", "variance_reduction"};
    const absim_summary *s = f->r[k].summary;
    const absim_tranche_table *t = &f->tranches;
    assert_keys(root, top, sizeof top / sizeof top[0]);
    assert_string_equal(json_string_value(json_object_get(root, "scenario")), f->r[k].scenario);
    assert_int_equal(json_integer_value(json_object_get(root, "paths")), 100000);
    assert_int_equal(json_integer_value(json_object_get(root, "seed")), 20170101);
    assert_int_equal(json_integer_value(json_object_get(root, "threads")), 16);
    assert_json_number(json_object_get(root, "seconds"), f->r[k].seconds);
    if (f->r[k].seconds > 0)
        assert_close(json_number_value(json_object_get(root, "paths_per_second")), 100000 / f->r[k].seconds, 1e-9);
    else
        assert_true(json_is_null(json_object_get(root, "paths_per_second")));
    json_t *pool = json_object_get(root, "pool");
    assert_keys(pool, pool_keys, 4);
    assert_json_number(json_object_get(pool, "expected_loss"), s->pool_expected_loss);
    assert_json_number(json_object_get(pool, "expected_default_rate"), s->pool_expected_default_rate);
    check_level_object(json_object_get(pool, "quantiles"), s->pool_loss_q, 1, 0);
    check_level_object(json_object_get(pool, "default_rate_quantiles"), s->pool_default_rate_q, 1, 0);
    json_t *list = json_object_get(root, "tranches");
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), NTR);
    for (int i = 0; i < NTR; i++) {
        json_t *tr = json_array_get(list, (size_t)i);
        assert_keys(tr, tr_keys, sizeof tr_keys / sizeof tr_keys[0]);
        assert_string_equal(json_string_value(json_object_get(tr, "name")), t->name[i]);
        assert_json_number(json_object_get(tr, "original_balance"), t->original_balance[i]);
        assert_json_number(json_object_get(tr, "attachment"), t->attachment[i]);
        assert_json_number(json_object_get(tr, "detachment"), t->detachment[i]);
        assert_json_number(json_object_get(tr, "expected_loss"), s->expected_loss[i]);
        assert_json_number(json_object_get(tr, "expected_loss_stderr"), s->expected_loss_stderr[i]);
        assert_json_number(json_object_get(tr, "default_probability"), s->default_probability[i]);
        assert_json_number(json_object_get(tr, "loss_given_default"), s->loss_given_default[i]);
        assert_json_number(json_object_get(tr, "pv_loss"), s->pv_loss[i]);
        assert_json_number(json_object_get(tr, "wal"), s->wal[i]);
        check_level_object(json_object_get(tr, "var"), s->var, NTR, (size_t)i);
        check_level_object(json_object_get(tr, "es"), s->es, NTR, (size_t)i);
        assert_string_equal(json_string_value(json_object_get(tr, "implied_rating")), s->implied_rating[i]);
    }
}

static void test_output_json(void **state)
{
    fixture *f = *state;
    char *text = capture(print_json, f, ABSIM_OK);
    json_error_t err;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        fprintf(stderr, "JSON error at line %d: %s\n%s\n", err.line, err.text, text);
    assert_non_null(root);
    assert_int_equal(text[strlen(text) - 1], '\n');
    check_scenario_json(root, f, 0);
    json_decref(root);
    free(text);
}

static void test_output_json_big_seed(void **state)
{
    fixture *f = *state;
    f->meta.seed = UINT64_MAX;
    char *text = capture(print_json, f, ABSIM_OK);
    f->meta.seed = 20170101;
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "seed")), "18446744073709551615");
    json_decref(root);
    free(text);
}

static void test_output_stress_json(void **state)
{
    fixture *f = *state;
    char *text = capture(print_stress_json, f, ABSIM_OK);
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 1);
    json_t *list = json_object_get(root, "scenarios");
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), 2);
    check_scenario_json(json_array_get(list, 0), f, 0);
    check_scenario_json(json_array_get(list, 1), f, 1);
    json_decref(root);
    free(text);
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle)) {
        fprintf(stderr, "table lacks '%s':\n%s\n", needle, text);
        fail();
    }
}

static void test_output_table(void **state)
{
    fixture *f = *state;
    char *text = capture(print_table, f, ABSIM_OK);
    const char *needles[] = {
        "Steel receivables ABS 2017-1", "scenario: base", "paths: 100,000", "seed: 20170101", "threads: 16",
        "2.50 s", "40,000 paths/s", "philox4x64-10",
        /* pool */
        "expected loss", "2.3400%", "+/- 0.0100%", "expected default rate", "4.5600%", "99.9%",
        /* tranches: balances in currency, attach-detach, EL, PD, LGD, WAL */
        "Class A", "700,000,000", "150,000,000", "23.91-100.00%", "0.0333%", "0.0667%", "n/a", "1.75", "Aaa",
        "Baa3", "-12.5000%", "VaR 99.9%", "ES 50%", "4.0000%",
    };
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        assert_contains(text, needles[i]);
    /* Tranche rows are aligned: every data row of the tranche table has the
     * same length as its header. */
    const char *hdr = strstr(text, "  tranche ");
    assert_non_null(hdr);
    size_t width = strcspn(hdr, "\n") - strlen("rating");
    const char *row = strstr(text, "  Class A ");
    assert_non_null(row);
    assert_true(strcspn(row, "\n") >= width);
    assert_int_equal(row[width - 1], ' ');
    free(text);
}

static void test_output_stress_table(void **state)
{
    fixture *f = *state;
    char *text = capture(print_stress_table, f, ABSIM_OK);
    assert_contains(text, "scenario: base");
    assert_contains(text, "scenario: steel_coal_overcapacity");
    assert_contains(text, "Stress comparison (change vs base");
    assert_contains(text, "+0.0333 pp"); /* EL of Class A doubles */
    assert_contains(text, "Aa2 (was Aaa)");
    assert_contains(text, "pool");
    free(text);
}

static void test_output_deal_name(void **state)
{
    (void)state;
    char name[16];
    absim_output_deal_name("deal: {name: Flow deal, periods: 3}\n", name, sizeof name);
    assert_string_equal(name, "Flow deal");
    absim_output_deal_name("deal:\n  name: A very long deal name indeed\n", name, sizeof name);
    assert_string_equal(name, "A very long dea");
    absim_output_deal_name("simulation: {paths: 3}\n", name, sizeof name);
    assert_string_equal(name, "");
    absim_output_deal_name("deal: [unclosed\n", name, sizeof name);
    assert_string_equal(name, "");
    absim_output_deal_name(NULL, name, sizeof name);
    assert_string_equal(name, "");
}

static void test_output_write_error(void **state)
{
    fixture *f = *state;
    FILE *full = fopen("/dev/full", "w");
    if (!full) {
        fprintf(stderr, "skipped: no /dev/full\n");
        return;
    }
    setvbuf(full, NULL, _IOFBF, 1 << 16);
    assert_int_equal(absim_output_table(full, &f->meta, &f->r[0]), ABSIM_EIO);
    clearerr(full);
    assert_int_equal(absim_output_json(full, &f->meta, &f->r[0]), ABSIM_EIO);
    fclose(full);
    assert_int_equal(absim_output_json(stdout, &f->meta, NULL), ABSIM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_json),         cmocka_unit_test(test_output_json_big_seed),
        cmocka_unit_test(test_output_stress_json),  cmocka_unit_test(test_output_table),
        cmocka_unit_test(test_output_stress_table), cmocka_unit_test(test_output_deal_name),
        cmocka_unit_test(test_output_write_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
