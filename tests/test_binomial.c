/* test_binomial.c -- the exact binomial sampler (kernels/binomial.c):
 *   - chi-square goodness of fit against the exact pmf (gsl_ran_binomial_pdf)
 *     for n from 1 to 1e6 and p from 1e-9 to 0.999999, covering each
 *     method: inversion from 0 (both ways of computing f(0)), inversion
 *     from the mode, BTRD (fast region, product and log acceptance tests),
 *     and p > 1/2;
 *   - edge cases, n beyond 2^52 (drawn in chunks), reproducibility, and
 *     that the sampler reads the stream's words exactly as
 *     absim_rng_uniform() converts them.
 * Fixed seeds; the chi-square critical values are at a false-alarm
 * probability of 1e-6 per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <stdlib.h>

#include "binomial.h"
#include "testutil.h"

#define SEED 20240601ULL

/* Draws of Binomial(n, p) against the exact pmf: chi-square below its
 * 1 - 1e-6 quantile, every draw within 40 sd of the mean (and in [0, n]). */
static void check_fit(int64_t n, double p, long N, uint64_t stream)
{
    const double mu = (double)n * p, sd = sqrt(mu * (1.0 - p));
    const int64_t lo = mu - 40.0 * sd - 40.0 > 0.0 ? (int64_t)(mu - 40.0 * sd - 40.0) : 0;
    const int64_t hi = mu + 40.0 * sd + 40.0 < (double)n ? (int64_t)(mu + 40.0 * sd + 40.0) : n;
    long *obs = calloc((size_t)(hi - lo + 1), sizeof *obs);
    assert_non_null(obs);
    absim_rng rng;
    absim_rng_open(&rng, SEED, 1, stream);
    for (long i = 0; i < N; i++) {
        int64_t k = absim_binomial_draw(&rng, n, p);
        assert_true(k >= lo && k <= hi);
        obs[k - lo]++;
    }
    int df;
    double stat = test_chisq_binomial(obs, N, n, p, lo, hi, &df);
    free(obs);
    if (df < 1)
        return; /* one cell: every draw was in it */
    double crit = gsl_cdf_chisq_Qinv(1e-6, df);
    if (!(stat < crit))
        print_error("Binomial(%lld, %g): chi2 %.2f >= %.2f (df %d)\n", (long long)n, p, stat, crit, df);
    assert_true(stat < crit);
}

/* Means below 6: inversion from 0 (f(0) by squaring up to n = 1024, by
 * exp(n log1p(-p)) above), tiny p, p > 1/2 (failures drawn). */
static void test_binomial_fit_inversion(void **state)
{
    (void)state;
    const struct {
        int64_t n;
        double p;
    } cases[] = {
        {1, 0.3},         {2, 0.5},          {5, 0.1},         {10, 0.999},        {11, 0.5},
        {100, 1.0 / 60},  {100, 0.05},       {359, 1.0 / 60},  {500, 0.004},       {1000, 0.0005},
        {1024, 0.0058},   {1025, 0.0058},    {5000, 0.0011},   {1000000, 1e-9},    {1000000, 1e-6},
        {1000000, 5.9e-6}, {1000000, 0.999999}, {60, 0.95},    {300, 0.99},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        check_fit(cases[c].n, cases[c].p, 100000, c);
}

/* Means from 6 and variances below 40: inversion from the mode (the split
 * sampler's typical periods), at both ends of its range and for p near
 * and above 1/2. */
static void test_binomial_fit_mode(void **state)
{
    (void)state;
    const struct {
        int64_t n;
        double p;
    } cases[] = {
        {12, 0.5},        {360, 1.0 / 60}, {480, 1.0 / 60}, {20, 0.5},       {21, 0.48},       {1000, 0.01},
        {600, 1.0 / 60},  {1000, 1.0 / 60}, {1700, 1.0 / 60}, {2300, 1.0 / 60}, {34, 0.5},      {35, 0.5001},
        {60, 0.3},        {100, 0.5},      {159, 0.4999},   {30, 0.65},       {14, 0.55},      {1000000, 3e-5},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        check_fit(cases[c].n, cases[c].p, 100000, 100 + c);
}

/* Variances from 40 (BTRD): near the switch, large variances where the
 * acceptance test goes through the log pmf (|k - m| > 40), p > 1/2. */
static void test_binomial_fit_btrd(void **state)
{
    (void)state;
    const struct {
        int64_t n;
        double p;
    } cases[] = {
        {161, 0.5},      {2500, 1.0 / 60}, {200, 0.5},       {500, 0.2},       {1000, 0.3},       {5000, 0.2},
        {100000, 0.5},   {1000000, 0.3},   {1000000, 0.001}, {1000000, 0.9999}, {1000000, 0.999}, {300, 0.75},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        check_fit(cases[c].n, cases[c].p, 100000, 200 + c);
}

static void test_binomial_edge_cases(void **state)
{
    (void)state;
    absim_rng rng;
    absim_rng_open(&rng, SEED, 2, 0);
    assert_true(absim_binomial_draw(&rng, 0, 0.5) == 0);
    assert_true(absim_binomial_draw(&rng, -3, 0.5) == 0);
    assert_true(absim_binomial_draw(&rng, 10, 0.0) == 0);
    assert_true(absim_binomial_draw(&rng, 10, -1.0) == 0);
    assert_true(absim_binomial_draw(&rng, 10, NAN) == 0);
    assert_true(absim_binomial_draw(&rng, 10, 1.0) == 10);
    assert_true(absim_binomial_draw(&rng, 10, 2.0) == 10);
    assert_true(absim_binomial_draw(&rng, INT64_MAX, 1.0) == INT64_MAX);
    /* none of these consumed a word */
    absim_rng fresh;
    absim_rng_open(&fresh, SEED, 2, 0);
    assert_true(absim_rng_u64(&rng) == absim_rng_u64(&fresh));
}

/* n beyond 2^52 is drawn in chunks: mean and variance of n = 2^60 with
 * n p = 100, and a few draws of n = 2^53 + 7 at p = 1/4 within 6 sigma. */
static void test_binomial_huge_n(void **state)
{
    (void)state;
    absim_rng rng;
    absim_rng_open(&rng, SEED, 3, 0);
    const int64_t n = (int64_t)1 << 60;
    const double p = 100.0 / (double)n;
    const int N = 5000;
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        double k = (double)absim_binomial_draw(&rng, n, p);
        s += k;
        s2 += k * k;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    assert_close(mean, 100.0, 4.0 * sqrt(100.0 / N));
    assert_close(var, 100.0, 4.0 * 100.0 * sqrt(2.0 / N));
    const int64_t m = ((int64_t)1 << 53) + 7;
    for (int i = 0; i < 10; i++) {
        double k = (double)absim_binomial_draw(&rng, m, 0.25);
        assert_close(k, 0.25 * (double)m, 6.0 * sqrt(0.1875 * (double)m));
    }
}

/* The sampler converts the stream's words as absim_rng_uniform() does:
 * Binomial(1, 1/2) is 1 exactly when the uniform exceeds 1/2, and
 * Binomial(1, 1 - u) is 0 when the uniform is u itself, 1 when it is just
 * above (over several blocks of the stream). */
static void test_binomial_reads_uniforms(void **state)
{
    (void)state;
    absim_rng a, b;
    absim_rng_open(&a, SEED, 4, 0);
    absim_rng_open(&b, SEED, 4, 0);
    for (int i = 0; i < 40; i++) {
        double u = absim_rng_uniform(&b);
        assert_true(absim_binomial_draw(&a, 1, 0.5) == (u > 0.5));
    }
    int checked = 0;
    for (uint64_t s = 0; checked < 20; s++) {
        absim_rng_open(&b, SEED, 5, s);
        double u = absim_rng_uniform(&b);
        if (u < 0.5)
            continue;
        /* 1 - (1 - u) == u exactly for u >= 1/2 */
        absim_rng_open(&a, SEED, 5, s);
        assert_true(absim_binomial_draw(&a, 1, 1.0 - u) == 0);
        absim_rng_open(&a, SEED, 5, s);
        assert_true(absim_binomial_draw(&a, 1, 1.0 - nextafter(u, 0.0)) == 1);
        checked++;
    }
}

/* The same stream gives the same draws. */
static void test_binomial_reproducible(void **state)
{
    (void)state;
    absim_rng a, b;
    absim_rng_open(&a, SEED, 6, 1);
    absim_rng_open(&b, SEED, 6, 1);
    for (int i = 0; i < 1000; i++) {
        int64_t n = 1 + (i * 7919) % 5000;
        double p = ((i * 104729) % 1000 + 0.5) / 1000.0;
        assert_true(absim_binomial_draw(&a, n, p) == absim_binomial_draw(&b, n, p));
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binomial_fit_inversion), cmocka_unit_test(test_binomial_fit_mode),
        cmocka_unit_test(test_binomial_fit_btrd),
        cmocka_unit_test(test_binomial_edge_cases),    cmocka_unit_test(test_binomial_huge_n),
        cmocka_unit_test(test_binomial_reads_uniforms), cmocka_unit_test(test_binomial_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
