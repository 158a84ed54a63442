/* test_rng.c -- Philox streams: known answers, reproducibility, stream
 * independence, uniform moments, the gsl_rng binding, and the
 * Philox4x32-10 blocks of one-loan lines.
 *
 * Statistical checks use fixed seeds and 4-sigma bounds from the Monte
 * Carlo standard error of the statistic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <limits.h>

#include "rng.h"
#include "testutil.h"

#define N_DRAWS 200000

/* Philox4x64-10 known-answer vectors published with Random123
 * (kat_vectors): counter, key -> output. The first block of a stream is
 * philox(ctr = {0, stream, path, 0}, key = {seed, k1}); we check the raw
 * function through a stream whose counter and key we can set. */
static void test_rng_known_answers(void **state)
{
    (void)state;
    absim_rng r;
    absim_rng_open(&r, 0, 0, 0);
    r.key[1] = 0; /* the published vector uses key {0, 0} */
    assert_true(absim_rng_u64(&r) == 0x16554d9eca36314cULL);
    assert_true(absim_rng_u64(&r) == 0xdb20fe9d672d0fdcULL);
    assert_true(absim_rng_u64(&r) == 0xd7e772cee186176bULL);
    assert_true(absim_rng_u64(&r) == 0x7e68b68aec7ba23bULL);

    absim_rng_open(&r, 0x452821e638d01377ULL, 0xa4093822299f31d0ULL, 0x13198a2e03707344ULL);
    r.key[1] = 0xbe5466cf34e90c6cULL;
    r.ctr[0] = 0x243f6a8885a308d3ULL;
    r.ctr[3] = 0x082efa98ec4e6c89ULL;
    assert_true(absim_rng_u64(&r) == 0xa528f45403e61d95ULL);
    assert_true(absim_rng_u64(&r) == 0x38c72dbd566e9788ULL);
    assert_true(absim_rng_u64(&r) == 0xa5a1610e72fd18b5ULL);
    assert_true(absim_rng_u64(&r) == 0x57bd43b5e52b7fe6ULL);
    /* the next word comes from the next counter block */
    assert_true(r.ctr[0] == 0x243f6a8885a308d4ULL);
}

/* The counter layout of an opened stream is {block, stream, path, 0}. */
static void test_rng_open_layout(void **state)
{
    (void)state;
    absim_rng r;
    uint64_t sid = ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 7);
    absim_rng_open(&r, 42, 1234, sid);
    assert_true(r.key[0] == 42);
    assert_true(r.ctr[0] == 0 && r.ctr[1] == sid && r.ctr[2] == 1234 && r.ctr[3] == 0);
    assert_int_equal(r.used, 4);
    assert_true(sid == ((uint64_t)4 << 32 | 7));
}

/* Same (seed, path, stream) gives the same numbers whatever else was drawn
 * before or in between. */
static void test_rng_reproducible_any_order(void **state)
{
    (void)state;
    enum { N = 1000 };
    static double ref[N];
    absim_rng a, b, c;
    absim_rng_open(&a, 7, 99, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    for (int i = 0; i < N; i++)
        ref[i] = absim_rng_uniform(&a);

    /* open others first, interleave draws from them */
    absim_rng_open(&b, 7, 98, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    absim_rng_open(&c, 7, 99, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    for (int i = 0; i < 137; i++)
        (void)absim_rng_u64(&b);
    absim_rng_open(&a, 7, 99, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    for (int i = 0; i < N; i++) {
        (void)absim_rng_uniform(&b);
        (void)absim_rng_gaussian_icdf(&c);
        assert_true(absim_rng_uniform(&a) == ref[i]);
    }
    /* a copy continues the same sequence */
    absim_rng_open(&a, 7, 99, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    for (int i = 0; i < 5; i++)
        (void)absim_rng_uniform(&a);
    absim_rng copy = a;
    for (int i = 5; i < 50; i++) {
        assert_true(absim_rng_uniform(&copy) == ref[i]);
        assert_true(absim_rng_uniform(&a) == ref[i]);
    }
}

/* Uniforms are strictly inside (0,1), on the grid (k + 1/2) 2^-53, with
 * mean 1/2 and variance 1/12. */
static void test_rng_uniform_moments(void **state)
{
    (void)state;
    absim_rng r;
    absim_rng_open(&r, 20170101, 0, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double u = absim_rng_uniform(&r);
        double k = u * 9007199254740992.0 - 0.5;
        assert_true(k == floor(k));
        sum += u;
        sum2 += (u - 0.5) * (u - 0.5);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    assert_true(lo > 0.0 && hi < 1.0);
    double n = N_DRAWS;
    assert_close(sum / n, 0.5, 4.0 * sqrt(1.0 / 12.0 / n));
    /* Var[(U-1/2)^2] = 1/80 - 1/144 = 1/180 */
    assert_close(sum2 / n, 1.0 / 12.0, 4.0 * sqrt(1.0 / 180.0 / n));
    /* extremes of the grid */
    absim_rng_open(&r, 0, 0, 0);
    r.out[0] = 0;
    r.out[1] = ~0ULL;
    r.used = 0;
    assert_true(absim_rng_uniform(&r) == 0.5 / 9007199254740992.0);
    assert_true(absim_rng_uniform(&r) == 1.0 - 0.5 / 9007199254740992.0);
}

/* Paths, streams and neighbouring seeds are uncorrelated (|rho| < 4/sqrt(n)),
 * including across lags 0 and 1. */
static void test_rng_stream_independence(void **state)
{
    (void)state;
    enum { N = 100000 };
    static double x[N], y[N];
    const double tol = 4.0 / sqrt((double)N);
    struct {
        uint64_t seed, path, stream;
    } pairs[][2] = {
        {{1, 0, ABSIM_STREAM_ID(1, 0)}, {1, 1, ABSIM_STREAM_ID(1, 0)}},             /* neighbouring paths */
        {{1, 0, ABSIM_STREAM_ID(1, 0)}, {2, 0, ABSIM_STREAM_ID(1, 0)}},             /* neighbouring seeds */
        {{1, 5, ABSIM_STREAM_ID(4, 0)}, {1, 5, ABSIM_STREAM_ID(4, 1)}},             /* neighbouring lines */
        {{1, 5, ABSIM_STREAM_ID(4, 3)}, {1, 5, ABSIM_STREAM_ID(5, 3)}},             /* defaults vs recovery */
        {{0, 0, 0}, {0, 0, 1}},                                                     /* counter words differ by 1 */
    };
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        absim_rng a, b;
        absim_rng_open(&a, pairs[p][0].seed, pairs[p][0].path, pairs[p][0].stream);
        absim_rng_open(&b, pairs[p][1].seed, pairs[p][1].path, pairs[p][1].stream);
        for (int i = 0; i < N; i++) {
            x[i] = absim_rng_uniform(&a);
            y[i] = absim_rng_uniform(&b);
        }
        double rho = test_correlation(x, y, N);
        if (fabs(rho) > tol)
            print_error("pair %zu: rho = %g\n", p, rho);
        assert_true(fabs(rho) <= tol);
        double lag1 = test_correlation(x, x + 1, N - 1);
        assert_true(fabs(lag1) <= 4.0 / sqrt(N - 1.0));
    }
}

/* A bound gsl_rng works with gsl_rng_uniform_int and the gsl_ran_*
 * samplers, and draws the same numbers as the absim_rng itself. */
static void test_rng_gsl_binding(void **state)
{
    (void)state;
    absim_rng r, ref;
    gsl_rng g;
    absim_rng_open(&r, 11, 3, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 2));
    absim_rng_open(&ref, 11, 3, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 2));
    absim_rng_bind_gsl(&g, &r);
    assert_ptr_equal(g.type, absim_rng_type_philox);
    assert_string_equal(gsl_rng_name(&g), "philox4x64");
    assert_true(gsl_rng_max(&g) == ULONG_MAX && gsl_rng_min(&g) == 0);
    assert_true(gsl_rng_get(&g) == (unsigned long)absim_rng_u64(&ref));
    assert_true(gsl_rng_uniform(&g) == absim_rng_uniform(&ref));

    const int n = N_DRAWS;
    double sg = 0, sg2 = 0, sb = 0, sbin = 0;
    enum { K = 10 };
    long cnt[K] = {0};
    for (int i = 0; i < n; i++) {
        double z = gsl_ran_gaussian(&g, 2.0);
        sg += z;
        sg2 += z * z;
        sb += gsl_ran_beta(&g, 2.0, 3.0);
        sbin += gsl_ran_binomial(&g, 0.3, 20);
        unsigned long k = gsl_rng_uniform_int(&g, K);
        assert_true(k < K);
        cnt[k]++;
    }
    assert_close(sg / n, 0.0, 4.0 * 2.0 / sqrt(n));
    assert_close(sg2 / n, 4.0, 4.0 * 4.0 * sqrt(2.0 / n));
    /* Beta(2,3): mean 0.4, variance 0.04 */
    assert_close(sb / n, 0.4, 4.0 * sqrt(0.04 / n));
    /* Bin(20, 0.3): mean 6, variance 4.2 */
    assert_close(sbin / n, 6.0, 4.0 * sqrt(4.2 / n));
    /* uniform_int: chi-square against the 1 - 1e-4 quantile */
    double chi2 = 0, e = (double)n / K;
    for (int k = 0; k < K; k++)
        chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
    assert_true(chi2 < gsl_cdf_chisq_Qinv(1e-4, K - 1));
    /* a range close to the top of the generator */
    unsigned long big = ULONG_MAX / 3 * 2;
    for (int i = 0; i < 1000; i++)
        assert_true(gsl_rng_uniform_int(&g, big) < big);

    /* gsl_rng_set re-seeds the same (path, stream) */
    gsl_rng_set(&g, 12);
    absim_rng_open(&ref, 12, 3, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 2));
    for (int i = 0; i < 10; i++)
        assert_true(gsl_rng_get(&g) == (unsigned long)absim_rng_u64(&ref));
}

/* Inverse-CDF normals use exactly one uniform each and have N(0,1) moments. */
/* absim_rng_blocks32: Random123's Philox4x32-10 at counters {idx[j],
 * kind, path low, path high}, key {seed low, seed high}, for arbitrary
 * indices and any count (whole chunks of 16 and tails), on every route
 * the CPU has; absim_rng_open_words: w0, w1, then the stream's own
 * words. */
static void test_rng_blocks32(void **state)
{
    (void)state;
    uint32_t idx[40];
    uint64_t out[80];
    for (int j = 0; j < 40; j++)
        idx[j] = (uint32_t)(j * 2654435761u) ^ (j & 1 ? 0xffffffffu : 0u); /* scattered, both extremes */
    idx[3] = 0;
    idx[4] = UINT32_MAX;
    const uint64_t seeds[] = {0, 20261201ULL, UINT64_MAX}, paths[] = {0, 7, (uint64_t)1 << 40, UINT64_MAX};
    const int counts[] = {1, 15, 16, 17, 40};
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= absim_rng_loan_route_best(); route++)
        for (size_t a = 0; a < sizeof seeds / sizeof seeds[0]; a++)
            for (size_t b = 0; b < sizeof paths / sizeof paths[0]; b++)
                for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
                    const int n = counts[c];
                    if (n < 40)
                        out[2 * n] = out[2 * n + 1] = 0x5a5a5a5a5a5a5a5aULL;
                    absim_rng_blocks32_route(seeds[a], paths[b], ABSIM_STREAM_RECOVERY, idx, n, out, route);
                    for (int j = 0; j < n; j++) {
                        philox4x32_ctr_t ctr = {
                            {idx[j], ABSIM_STREAM_RECOVERY, (uint32_t)paths[b], (uint32_t)(paths[b] >> 32)}};
                        philox4x32_key_t key = {{(uint32_t)seeds[a], (uint32_t)(seeds[a] >> 32)}};
                        philox4x32_ctr_t o = philox4x32_R(10, ctr, key);
                        assert_true(out[2 * j] == ((uint64_t)o.v[1] << 32 | o.v[0]));
                        assert_true(out[2 * j + 1] == ((uint64_t)o.v[3] << 32 | o.v[2]));
                    }
                    if (n < 40) /* nothing written past 2n words */
                        assert_true(out[2 * n] == 0x5a5a5a5a5a5a5a5aULL && out[2 * n + 1] == 0x5a5a5a5a5a5a5a5aULL);
                }
    absim_rng r, ref;
    const uint64_t stream = ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 9);
    absim_rng_open_words(&r, 5, 3, stream, 0x1111, 0x2222);
    absim_rng_open(&ref, 5, 3, stream);
    assert_true(absim_rng_u64(&r) == 0x1111);
    assert_true(absim_rng_u64(&r) == 0x2222);
    for (int i = 0; i < 9; i++)
        assert_true(absim_rng_u64(&r) == absim_rng_u64(&ref));
}

static void test_rng_gaussian_icdf(void **state)
{
    (void)state;
    absim_rng r, u;
    absim_rng_open(&r, 5, 0, 0);
    absim_rng_open(&u, 5, 0, 0);
    double s = 0, s2 = 0, s4 = 0;
    const int n = N_DRAWS;
    for (int i = 0; i < n; i++) {
        double z = absim_rng_gaussian_icdf(&r);
        assert_true(z == gsl_cdf_ugaussian_Pinv(absim_rng_uniform(&u)));
        s += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    assert_close(s / n, 0.0, 4.0 / sqrt(n));
    assert_close(s2 / n, 1.0, 4.0 * sqrt(2.0 / n));
    assert_close(s4 / n, 3.0, 4.0 * sqrt(96.0 / n)); /* Var[Z^4] = 105 - 9 */
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_known_answers),
        cmocka_unit_test(test_rng_open_layout),
        cmocka_unit_test(test_rng_reproducible_any_order),
        cmocka_unit_test(test_rng_uniform_moments),
        cmocka_unit_test(test_rng_stream_independence),
        cmocka_unit_test(test_rng_gsl_binding),
        cmocka_unit_test(test_rng_gaussian_icdf),
        cmocka_unit_test(test_rng_blocks32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
