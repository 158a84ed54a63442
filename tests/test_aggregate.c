/* test_aggregate.c -- accumulator moments, histograms, merge, exact
 * quantiles (hand-computed and known distributions) and the error bound of
 * the fine-histogram VaR/ES against the exact sample values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "testutil.h"

#include "aggregate.h"
#include "status.h"

#define FINE_BOUND (1.0 / ABSIM_ACC_FINE_BINS)
#define ROUND 1e-12

static const double hand_levels[] = {0.5, 0.85, 0.9, 0.95};

static void test_aggregate_exact_hand(void **state)
{
    (void)state;
    /* 0.0 .. 0.9 shuffled */
    const double x[10] = {0.7, 0.1, 0.9, 0.0, 0.4, 0.3, 0.8, 0.6, 0.2, 0.5};
    double var[4], es[4];
    assert_int_equal(absim_quantiles_exact(x, NULL, 10, 1, 4, hand_levels, var, es, NULL), ABSIM_OK);
    assert_close(var[0], 0.4, 0);
    assert_close(es[0], 0.7, 1e-15);              /* (0.5+...+0.9)/10 / 0.5 */
    assert_close(var[1], 0.8, 0);                 /* 8.5 of 10 needs the 9th */
    assert_close(es[1], (0.09 + 0.8 * 0.05) / 0.15, 1e-15);
    assert_close(var[2], 0.8, 0);                 /* exactly 9 of 10 */
    assert_close(es[2], 0.9, 1e-15);
    assert_close(var[3], 0.9, 0);
    assert_close(es[3], 0.9, 1e-15);
}

static void test_aggregate_exact_ties_and_stride(void **state)
{
    (void)state;
    /* six zeros, two 0.5, two 1; stored with stride 3 */
    const double v[10] = {0.5, 0, 1, 0, 0, 0.5, 0, 1, 0, 0};
    double x[30], scratch[20], var[3], es[3];
    const double levels[3] = {0.5, 0.7, 0.9};
    for (int i = 0; i < 30; i++)
        x[i] = -7.0;
    for (int i = 0; i < 10; i++)
        x[3 * i + 1] = v[i];
    assert_int_equal(absim_quantiles_exact(x + 1, NULL, 10, 3, 3, levels, var, es, scratch), ABSIM_OK);
    assert_close(var[0], 0.0, 0);
    assert_close(es[0], 0.3 / 0.5, 1e-15);
    assert_close(var[1], 0.5, 0);
    assert_close(es[1], (0.2 + 0.5 * (0.8 - 0.7)) / 0.3, 1e-15);
    assert_close(var[2], 1.0, 0);
    assert_close(es[2], 1.0, 1e-15);
}

static void test_aggregate_exact_weighted(void **state)
{
    (void)state;
    const double x[4] = {0.4, 0.2, 0.3, 0.1};
    const double w[4] = {5, 1, 1, 1};
    const double levels[2] = {0.25, 0.5};
    double var[2], es[2];
    assert_int_equal(absim_quantiles_exact(x, w, 4, 1, 2, levels, var, es, NULL), ABSIM_OK);
    assert_close(var[0], 0.2, 0);
    assert_close(es[0], (2.3 / 8) / 0.75, 1e-15);
    assert_close(var[1], 0.4, 0);
    assert_close(es[1], 0.4, 1e-15);
    /* scaling all weights changes nothing (P uses normalized weights) */
    const double w3[4] = {15, 3, 3, 3};
    double var3[2], es3[2];
    assert_int_equal(absim_quantiles_exact(x, w3, 4, 1, 2, levels, var3, es3, NULL), ABSIM_OK);
    assert_close(var3[0], var[0], 0);
    assert_close(es3[1], es[1], 1e-15);
}

static void test_aggregate_exact_empty(void **state)
{
    (void)state;
    const double levels[1] = {0.9};
    double var[1], es[1];
    assert_int_equal(absim_quantiles_exact(NULL, NULL, 0, 1, 1, levels, var, es, NULL), ABSIM_OK);
    assert_true(isnan(var[0]) && isnan(es[0]));
}

static void test_aggregate_exact_uniform(void **state)
{
    (void)state;
    const int64_t n = 200000;
    const double levels[3] = {0.5, 0.9, 0.99};
    double var[3], es[3];
    double *x = malloc((size_t)n * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(x);
    assert_non_null(r);
    gsl_rng_set(r, 12345);
    for (int64_t i = 0; i < n; i++)
        x[i] = gsl_rng_uniform(r);
    assert_int_equal(absim_quantiles_exact(x, NULL, n, 1, 3, levels, var, es, NULL), ABSIM_OK);
    for (int j = 0; j < 3; j++) {
        double q = levels[j];
        /* 5 sigma of the sample quantile / tail mean */
        assert_close(var[j], q, 5 * sqrt(q * (1 - q) / (double)n) + 1e-6);
        assert_close(es[j], (1 + q) / 2, 5 * (1 - q) / sqrt(12.0 * (1 - q) * (double)n) + 1e-4);
    }
    gsl_rng_free(r);
    free(x);
}

/* Feed x (weights w, NULL = 1) as one tranche, the pool loss and the pool
 * default rate; compare the accumulator VaR/ES with the exact ones. */
static void check_fine_bound(const double *x, const double *w, int64_t n)
{
    const double levels[] = {0.1, 0.5, 0.6, 0.9, 0.95, 0.99, 0.999};
    const int nq = (int)(sizeof levels / sizeof levels[0]);
    double var[7], es[7];
    absim_acc a;
    absim_summary s;
    assert_int_equal(absim_acc_init(&a, 1), ABSIM_OK);
    for (int64_t i = 0; i < n; i++)
        absim_acc_add(&a, w ? w[i] : 1.0, &x[i], &x[i], &x[i], &x[i], NAN, x[i], x[i], 0);
    assert_int_equal(absim_summary_init(&s, 1, nq, levels), ABSIM_OK);
    absim_acc_summarize(&a, &s);
    assert_int_equal(s.exact_quantiles, 0);
    assert_int_equal(absim_quantiles_exact(x, w, n, 1, nq, levels, var, es, NULL), ABSIM_OK);
    for (int j = 0; j < nq; j++) {
        const double *vh[3] = {&s.var[j], &s.pool_loss_q[j], &s.pool_default_rate_q[j]};
        for (int k = 0; k < 3; k++) {
            double d = *vh[k] - var[j];
            if (var[j] <= ABSIM_LOSS_EPS)
                assert_close(*vh[k], var[j], ABSIM_LOSS_EPS);
            else if (!(d >= -ROUND && d < FINE_BOUND + ROUND)) {
                print_error("VaR_%g: fine %.17g exact %.17g\n", levels[j], *vh[k], var[j]);
                fail();
            }
        }
        const double *eh[2] = {&s.es[j], &s.pool_loss_es[j]};
        for (int k = 0; k < 2; k++) {
            double d = *eh[k] - es[j];
            if (!(d >= -ABSIM_LOSS_EPS - ROUND && d < FINE_BOUND + ROUND)) {
                print_error("ES_%g: fine %.17g exact %.17g\n", levels[j], *eh[k], es[j]);
                fail();
            }
        }
        assert_true(s.es[j] >= s.var[j] - ROUND);
    }
    absim_summary_free(&s);
    absim_acc_free(&a);
}

static void test_aggregate_fine_bound(void **state)
{
    (void)state;
    const int64_t n = 50000;
    double *x = malloc((size_t)n * sizeof *x), *w = malloc((size_t)n * sizeof *w);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(x);
    assert_non_null(w);
    assert_non_null(r);
    gsl_rng_set(r, 7);
    for (int round = 0; round < 6; round++) {
        for (int64_t i = 0; i < n; i++) {
            double u = gsl_rng_uniform(r);
            switch (round) {
            case 0: x[i] = u; break;                                   /* continuous */
            case 1: x[i] = u < 0.6 ? 0.0 : (u < 0.95 ? (u - 0.6) / 0.35 : 1.0); break; /* atoms 0, 1 */
            case 2: x[i] = u * u * u * 0.01; break;                    /* all in the first 100 bins */
            case 3: x[i] = (double)gsl_rng_uniform_int(r, 10001) / 10000.0; break; /* on bin edges */
            case 4: x[i] = u < 0.97 ? 0.0 : gsl_rng_uniform(r); break; /* rare losses */
            default: x[i] = u < 0.5 ? 1e-9 : u; break;                 /* eps itself is no default */
            }
            w[i] = 0.1 + 3.0 * gsl_rng_uniform(r);
        }
        check_fine_bound(x, NULL, n);
        check_fine_bound(x, w, n);
        check_fine_bound(x, NULL, 7);
        check_fine_bound(x, w, 7);
    }
    gsl_rng_free(r);
    free(x);
    free(w);
}

static void test_aggregate_moments(void **state)
{
    (void)state;
    const int n = 5;
    const double w[5] = {1, 2, 0.5, 1, 4};
    const double loss[5][2] = {{0, 0.1}, {0.2, 0.3}, {0.5, 1e-9}, {0, 0}, {1, 2e-9}};
    const double pv[5][2] = {{0.01, 0.1}, {0.2, 0.3}, {0.4, 0}, {0, 0}, {0.9, 0}};
    const double wal[5][2] = {{3, 4}, {3.5, 4.5}, {4, 5}, {3, 4}, {6, 7}};
    const double sf[5][2] = {{0, 0}, {0.01, 0}, {0.02, 0}, {0, 0}, {0.03, 0.01}};
    const double irr[5] = {0.1, NAN, INFINITY, -0.05, 0.2};
    const double levels[1] = {0.5};
    absim_acc a;
    absim_summary s;
    assert_int_equal(absim_acc_init(&a, 2), ABSIM_OK);
    for (int i = 0; i < n; i++)
        absim_acc_add(&a, w[i], loss[i], pv[i], wal[i], sf[i], irr[i], 0.1 * i, 0.2 * i, i == 1 || i == 4);
    assert_int_equal(absim_summary_init(&s, 2, 1, levels), ABSIM_OK);
    absim_acc_summarize(&a, &s);
    assert_int_equal(s.paths, n);
    for (int t = 0; t < 2; t++) {
        double m = 0, m2 = 0, pd = 0, pv_m = 0, wal_m = 0, sf_m = 0, pd2 = 0;
        for (int i = 0; i < n; i++) {
            double y = w[i] * loss[i][t], d = loss[i][t] > 1e-9 ? w[i] : 0.0;
            m += y / n;
            pd += d / n;
            pv_m += w[i] * pv[i][t] / n;
            wal_m += w[i] * wal[i][t] / n;
            sf_m += w[i] * sf[i][t] / n;
        }
        for (int i = 0; i < n; i++) {
            double y = w[i] * loss[i][t], d = loss[i][t] > 1e-9 ? w[i] : 0.0;
            m2 += (y - m) * (y - m);
            pd2 += (d - pd) * (d - pd);
        }
        assert_close(s.expected_loss[t], m, 1e-15);
        assert_close(s.expected_loss_stderr[t], sqrt(m2 / (n - 1) / n), 1e-14);
        assert_close(s.default_probability[t], pd, 1e-15);
        assert_close(s.default_probability_stderr[t], sqrt(pd2 / (n - 1) / n), 1e-14);
        assert_close(s.loss_given_default[t], m / pd, 1e-14);
        assert_close(s.pv_loss[t], pv_m, 1e-15);
        assert_close(s.wal[t], wal_m, 1e-14);
        assert_close(s.shortfall[t], sf_m, 1e-15);
        assert_string_equal(s.implied_rating[t], "n/a");
    }
    /* tranche 0: weighted EL = (0.4 + 0.25 + 4) / 5, PD = (2 + 0.5 + 4) / 5 */
    assert_close(s.expected_loss[0], 0.93, 1e-15);
    assert_close(s.default_probability[0], 1.3, 1e-15);
    /* tranche 1: 1e-9 is no default, 2e-9 is */
    assert_close(s.default_probability[1], (1 + 2 + 4) / 5.0, 1e-15);
    assert_close(s.residual_irr_mean, (0.1 - 0.05 + 0.8) / (1 + 1 + 4), 1e-15);
    assert_close(s.originator_default_rate, (2 + 4) / 5.0, 1e-15);
    assert_int_equal(a.originator_defaults, 2);
    assert_close(s.pool_expected_loss, (0 + 0.2 + 0.1 + 0.3 + 1.6) / 5, 1e-15);
    assert_close(s.pool_expected_default_rate, (0 + 0.4 + 0.2 + 0.6 + 3.2) / 5, 1e-15);
    absim_summary_free(&s);
    absim_acc_free(&a);
}

static void test_aggregate_lgd_zero_pd(void **state)
{
    (void)state;
    const double zero = 0.0;
    const double levels[1] = {0.99};
    absim_acc a;
    absim_summary s;
    assert_int_equal(absim_acc_init(&a, 1), ABSIM_OK);
    for (int i = 0; i < 10; i++)
        absim_acc_add(&a, 1.0, &zero, &zero, &zero, &zero, NAN, 0.0, 0.0, 0);
    assert_int_equal(absim_summary_init(&s, 1, 1, levels), ABSIM_OK);
    absim_acc_summarize(&a, &s);
    assert_close(s.default_probability[0], 0.0, 0);
    assert_close(s.loss_given_default[0], 0.0, 0);
    assert_close(s.expected_loss_stderr[0], 0.0, 0);
    assert_close(s.var[0], 0.0, 0);
    assert_close(s.es[0], 0.0, 0);
    assert_true(isnan(s.residual_irr_mean));
    absim_summary_free(&s);
    absim_acc_free(&a);
}

static void test_aggregate_histogram(void **state)
{
    (void)state;
    const double x[] = {0, 0.005, 0.01, 0.29, 0.3, 0.5, 0.999, 1.0, 0.57, 0.07};
    const int bin[] = {0, 0, 1, 29, 30, 50, 99, 99, 57, 7};
    const int n = (int)(sizeof x / sizeof x[0]);
    uint64_t expect[ABSIM_HIST_BINS] = {0};
    const double levels[1] = {0.5};
    absim_acc a;
    absim_summary s;
    assert_int_equal(absim_acc_init(&a, 1), ABSIM_OK);
    for (int i = 0; i < n; i++) {
        absim_acc_add(&a, 2.5, &x[i], NULL, NULL, NULL, NAN, x[i], x[i], 0);
        expect[bin[i]]++;
    }
    assert_int_equal(absim_summary_init(&s, 1, 1, levels), ABSIM_OK);
    absim_acc_summarize(&a, &s);
    for (int i = 0; i < ABSIM_HIST_BINS; i++) {
        assert_int_equal(s.hist[i], expect[i]);
        assert_int_equal(a.pool_loss.hist[i], expect[i]);
    }
    for (int i = 0; i <= ABSIM_HIST_BINS; i++)
        assert_close(s.hist_edges[i], i / 100.0, 0);
    absim_summary_free(&s);
    absim_acc_free(&a);
}

static void fill_random(absim_acc *a, gsl_rng *r, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double loss[3], pv[3], wal[3], sf[3];
        for (int t = 0; t < 3; t++) {
            double u = gsl_rng_uniform(r);
            loss[t] = u < 0.7 ? 0.0 : u;
            pv[t] = 0.5 * loss[t];
            wal[t] = 2 + t + u;
            sf[t] = 0.01 * u;
        }
        double w = 0.5 + gsl_rng_uniform(r);
        absim_acc_add(a, w, loss, pv, wal, sf, gsl_rng_uniform(r) < 0.1 ? NAN : 0.05, loss[2], loss[1],
                      gsl_rng_uniform(r) < 0.01);
    }
}

static void summarize(const absim_acc *a, absim_summary *s)
{
    const double levels[3] = {0.5, 0.9, 0.99};
    assert_int_equal(absim_summary_init(s, 3, 3, levels), ABSIM_OK);
    absim_acc_summarize(a, s);
}

static void test_aggregate_merge_and_determinism(void **state)
{
    (void)state;
    absim_acc whole, part_a, part_b, again;
    absim_summary sw, sm, sa;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    assert_int_equal(absim_acc_init(&whole, 3), ABSIM_OK);
    assert_int_equal(absim_acc_init(&part_a, 3), ABSIM_OK);
    assert_int_equal(absim_acc_init(&part_b, 3), ABSIM_OK);
    assert_int_equal(absim_acc_init(&again, 3), ABSIM_OK);
    gsl_rng_set(r, 99);
    fill_random(&whole, r, 3000);
    gsl_rng_set(r, 99);
    fill_random(&part_a, r, 1234);
    fill_random(&part_b, r, 3000 - 1234);
    absim_acc_merge(&part_a, &part_b);
    gsl_rng_set(r, 99);
    fill_random(&again, r, 3000);

    summarize(&whole, &sw);
    summarize(&part_a, &sm);
    summarize(&again, &sa);
    assert_int_equal(sm.paths, 3000);
    assert_int_equal(part_a.originator_defaults, whole.originator_defaults);
    for (int t = 0; t < 3; t++) {
        assert_close(sm.expected_loss[t], sw.expected_loss[t], 1e-13);
        assert_close(sm.expected_loss_stderr[t], sw.expected_loss_stderr[t], 1e-13);
        assert_close(sm.default_probability[t], sw.default_probability[t], 1e-13);
        assert_close(sm.wal[t], sw.wal[t], 1e-12);
        for (int i = 0; i < ABSIM_HIST_BINS; i++)
            assert_int_equal(part_a.tranche[t].hist[i], whole.tranche[t].hist[i]);
    }
    for (int j = 0; j < 9; j++) {
        assert_close(sm.var[j], sw.var[j], 0);
        assert_close(sm.es[j], sw.es[j], 1e-12);
    }
    assert_close(sm.residual_irr_mean, sw.residual_irr_mean, 1e-14);
    /* same inputs in the same order: bitwise identical */
    assert_memory_equal(sa.expected_loss, sw.expected_loss, 3 * sizeof(double));
    assert_memory_equal(sa.expected_loss_stderr, sw.expected_loss_stderr, 3 * sizeof(double));
    assert_memory_equal(sa.var, sw.var, 9 * sizeof(double));
    assert_memory_equal(sa.es, sw.es, 9 * sizeof(double));
    assert_memory_equal(sa.pool_loss_es, sw.pool_loss_es, 3 * sizeof(double));
    assert_memory_equal(again.tranche[1].fine_wx, whole.tranche[1].fine_wx,
                        (ABSIM_ACC_FINE_BINS + 1) * sizeof(double));

    /* reset: as new */
    absim_acc_reset(&again);
    absim_summary_free(&sa);
    summarize(&again, &sa);
    assert_int_equal(sa.paths, 0);
    assert_close(sa.expected_loss[0], 0.0, 0);
    assert_close(sa.var[0], 0.0, 0);
    assert_int_equal(again.tranche[0].hist[0], 0);
    assert_true(isnan(sa.residual_irr_mean));

    absim_summary_free(&sw);
    absim_summary_free(&sm);
    absim_summary_free(&sa);
    absim_acc_free(&whole);
    absim_acc_free(&part_a);
    absim_acc_free(&part_b);
    absim_acc_free(&again);
    gsl_rng_free(r);
}

static void test_aggregate_summary_init_free(void **state)
{
    (void)state;
    absim_summary s;
    const double levels[2] = {0.9, 0.99};
    memset(&s, 0, sizeof s);
    absim_summary_free(&s); /* zeroed: safe */
    assert_int_equal(absim_summary_init(&s, 4, 2, levels), ABSIM_OK);
    assert_int_equal(s.ntranches, 4);
    assert_int_equal(s.nquantiles, 2);
    assert_close(s.quantile_levels[1], 0.99, 0);
    assert_string_equal(s.implied_rating[3], "n/a");
    assert_close(s.hist_edges[ABSIM_HIST_BINS], 1.0, 0);
    absim_summary_free(&s);
    assert_null(s.var);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_exact_hand),
        cmocka_unit_test(test_aggregate_exact_ties_and_stride),
        cmocka_unit_test(test_aggregate_exact_weighted),
        cmocka_unit_test(test_aggregate_exact_empty),
        cmocka_unit_test(test_aggregate_exact_uniform),
        cmocka_unit_test(test_aggregate_fine_bound),
        cmocka_unit_test(test_aggregate_moments),
        cmocka_unit_test(test_aggregate_lgd_zero_pd),
        cmocka_unit_test(test_aggregate_histogram),
        cmocka_unit_test(test_aggregate_merge_and_determinism),
        cmocka_unit_test(test_aggregate_summary_init_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
