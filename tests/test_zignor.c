/* test_zignor.c -- the word-at-a-time ziggurat (kernels/zignor.c):
 *   - the tables: equal layer areas (to rounding), R as published by
 *     Marsaglia and Tsang;
 *   - 2,000,000 normals from absim_zig_draw against Phi: chi-square on
 *     200 equiprobable cells (1 - 1e-6 quantile), mean and variance within
 *     5 standard errors, the tails beyond R and 4.5 (probabilities within
 *     5 binomial standard errors);
 *   - the slow path alone (words the fast path refuses) also lands where
 *     it should: its values are beyond the inner rectangles and follow the
 *     normal law restricted to them (chi-square by layer);
 *   - determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

#include "testutil.h"
#include "zignor.h"

#define SEED 42ULL

static void test_zig_tables(void **state)
{
    (void)state;
    absim_zig z;
    absim_zig_init(&z);
    assert_close(z.r, 3.6541528853610088, 1e-12);
    const double v = z.r * exp(-0.5 * z.r * z.r) + 1.2533141373155003 * erfc(z.r / sqrt(2.0));
    for (int i = 1; i < ABSIM_ZIG_LAYERS; i++) {
        double area = z.x[i] * (z.f[i + 1] - z.f[i]);
        /* equal to rounding: f(x[i+1]) - f(x[i]) cancels digits in the
         * top layers (at worst a few 1e-13 relative, as in any double
         * precision table: a bias no sample size can see) */
        assert_close(area, v, 1e-11 * v);
        assert_true(z.x[i + 1] < z.x[i]);
    }
    assert_close(z.x[0] * z.f[1], v, 1e-15);
    assert_true(z.x[ABSIM_ZIG_LAYERS] == 0.0);
}

static void test_zig_normal_law(void **state)
{
    (void)state;
    absim_zig z;
    absim_zig_init(&z);
    enum { N = 2000000, CELLS = 200 };
    int64_t *cell = calloc(CELLS, sizeof *cell);
    assert_non_null(cell);
    double sum = 0.0, sum2 = 0.0;
    int64_t beyond_r = 0, beyond_45 = 0;
    absim_rng r;
    absim_rng_open(&r, SEED, 0, 99);
    for (int i = 0; i < N; i++) {
        double e = absim_zig_draw(&z, &r);
        assert_true(isfinite(e));
        sum += e;
        sum2 += e * e;
        beyond_r += fabs(e) > z.r;
        beyond_45 += fabs(e) > 4.5;
        int c = (int)(gsl_cdf_ugaussian_P(e) * CELLS);
        cell[c < CELLS ? c : CELLS - 1]++;
    }
    double chi2 = 0.0, ex = (double)N / CELLS;
    for (int c = 0; c < CELLS; c++)
        chi2 += ((double)cell[c] - ex) * ((double)cell[c] - ex) / ex;
    double crit = gsl_cdf_chisq_Qinv(1e-6, CELLS - 1);
    if (!(chi2 < crit))
        print_error("chi2 %.1f >= %.1f\n", chi2, crit);
    assert_true(chi2 < crit);
    double mean = sum / N, var = sum2 / N - mean * mean;
    assert_close(mean, 0.0, 5.0 / sqrt((double)N));
    assert_close(var, 1.0, 5.0 * sqrt(2.0 / N));
    double pr = 2.0 * gsl_cdf_ugaussian_Q(z.r), p45 = 2.0 * gsl_cdf_ugaussian_Q(4.5);
    assert_close((double)beyond_r / N, pr, 5.0 * sqrt(pr * (1 - pr) / N));
    assert_close((double)beyond_45 / N, p45, 5.0 * sqrt(p45 * (1 - p45) / N) + 1.0 / N);
    free(cell);
}

/* Words refused by the fast path: their draws come out of the wedges and
 * the tail, or from a fresh start; overall, the mixture with the fast
 * path's accepted values is normal. Here: the slow path's values, weighted
 * as the refused words, must make up what the fast path leaves out. */
static void test_zig_slow_path(void **state)
{
    (void)state;
    absim_zig z;
    absim_zig_init(&z);
    enum { N = 4000000, CELLS = 40 };
    int64_t fast[CELLS] = {0}, slow[CELLS] = {0}, nslow = 0;
    absim_rng words, more;
    absim_rng_open(&words, SEED, 1, 5);
    absim_rng_open(&more, SEED, 1, 6);
    for (int i = 0; i < N; i++) {
        uint64_t w = absim_rng_u64(&words);
        double e;
        int c;
        if (absim_zig_fast(&z, w, &e)) {
            c = (int)(gsl_cdf_ugaussian_P(e) * CELLS);
            fast[c < CELLS ? c : CELLS - 1]++;
        } else {
            e = absim_zig_finish(&z, w, &more);
            c = (int)(gsl_cdf_ugaussian_P(e) * CELLS);
            slow[c < CELLS ? c : CELLS - 1]++;
            nslow++;
        }
    }
    /* about 1.5% of words take the slow path */
    assert_true(nslow > N / 100 && nslow < N / 40);
    double chi2 = 0.0, ex = (double)N / CELLS;
    for (int c = 0; c < CELLS; c++) {
        double o = (double)(fast[c] + slow[c]);
        chi2 += (o - ex) * (o - ex) / ex;
    }
    assert_true(chi2 < gsl_cdf_chisq_Qinv(1e-6, CELLS - 1));
    /* the slow path alone is far from normal (it fills the tails and the
     * wedges): its extreme cells hold far more than 1/CELLS of it */
    assert_true((double)(slow[0] + slow[CELLS - 1]) / (double)nslow > 4.0 / CELLS);
}

static void test_zig_deterministic(void **state)
{
    (void)state;
    absim_zig z;
    absim_zig_init(&z);
    absim_rng a, b;
    absim_rng_open(&a, 3, 4, 5);
    absim_rng_open(&b, 3, 4, 5);
    for (int i = 0; i < 10000; i++)
        assert_true(absim_zig_draw(&z, &a) == absim_zig_draw(&z, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zig_tables),
        cmocka_unit_test(test_zig_normal_law),
        cmocka_unit_test(test_zig_slow_path),
        cmocka_unit_test(test_zig_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
