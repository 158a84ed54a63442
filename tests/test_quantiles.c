/* test_quantiles.c -- the bounded-memory exact quantiles
 * (absim_quantiles_streamed) against the in-memory exact ones
 * (absim_quantiles_exact) on samples with continuous parts, atoms at 0 and
 * 1, heavy ties inside one fine bin, and importance-sampling weights. The
 * VaR must be the same sample value; the ES the same to rounding. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aggregate.h"
#include "status.h"
#include "testutil.h"

typedef struct {
    const double *x, *w;
    int chunks;
} reader_ctx;

static int read_mem(void *ctx, int64_t first, int64_t n, double *x, double *w)
{
    reader_ctx *c = ctx;
    memcpy(x, c->x + first, (size_t)n * sizeof *x);
    if (w)
        memcpy(w, c->w + first, (size_t)n * sizeof *w);
    c->chunks++;
    return 0;
}

static int read_fail(void *ctx, int64_t first, int64_t n, double *x, double *w)
{
    (void)ctx, (void)first, (void)n, (void)x, (void)w;
    return -1;
}

/* A deterministic generator (xorshift) for the samples. */
static uint64_t state = 88172645463325252ULL;
static double unif(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static void compare(const double *x, const double *w, int64_t n)
{
    const double levels[5] = {0.5, 0.9, 0.99, 0.999, 0.9999};
    double v1[5], e1[5], v2[5], e2[5];
    absim_acc a;
    assert_int_equal(absim_acc_init(&a, 1), ABSIM_OK);
    for (int64_t i = 0; i < n; i++) {
        double zero = 0.0;
        absim_acc_add(&a, w ? w[i] : 1.0, &x[i], &zero, &zero, &zero, NAN, x[i], x[i], 0);
    }
    assert_int_equal(absim_quantiles_exact(x, w, n, 1, 5, levels, v1, e1, NULL), ABSIM_OK);
    reader_ctx c = {x, w, 0};
    assert_int_equal(absim_quantiles_streamed(&a.tranche[0], read_mem, &c, n, w != NULL, 5, levels, v2, e2),
                     ABSIM_OK);
    assert_int_equal(c.chunks, (int)((n + 65535) / 65536));
    for (int j = 0; j < 5; j++) {
        assert_true(v1[j] == v2[j]);
        assert_close(e2[j], e1[j], 1e-12 * (1.0 + fabs(e1[j])));
    }
    absim_acc_free(&a);
}

static void test_quantiles_continuous(void **state_)
{
    (void)state_;
    int64_t n = 200000;
    double *x = malloc((size_t)n * sizeof *x);
    assert_non_null(x);
    for (int64_t i = 0; i < n; i++)
        x[i] = pow(unif(), 3.0); /* skewed towards 0 */
    compare(x, NULL, n);
    free(x);
}

static void test_quantiles_atoms_and_ties(void **state_)
{
    (void)state_;
    int64_t n = 150000;
    double *x = malloc((size_t)n * sizeof *x);
    assert_non_null(x);
    for (int64_t i = 0; i < n; i++) {
        double u = unif();
        /* 60% at 0, 25% at exactly 0.35 (one fine bin), 10% continuous, 5% at 1. */
        x[i] = u < 0.60 ? 0.0 : u < 0.85 ? 0.35 : u < 0.95 ? unif() : 1.0;
    }
    compare(x, NULL, n);
    free(x);
}

static void test_quantiles_weighted(void **state_)
{
    (void)state_;
    int64_t n = 100000;
    double *x = malloc((size_t)n * sizeof *x), *w = malloc((size_t)n * sizeof *w);
    assert_non_null(x);
    assert_non_null(w);
    for (int64_t i = 0; i < n; i++) {
        double z = 3.0 * (unif() - 0.5);
        w[i] = exp(1.5 * z - 1.125);
        x[i] = unif() < 0.3 ? 0.0 : unif() * unif();
    }
    compare(x, w, n);
    free(x);
    free(w);
}

static void test_quantiles_reader_failure(void **state_)
{
    (void)state_;
    double x[3] = {0.1, 0.2, 0.3}, v[1], e[1];
    const double q[1] = {0.5};
    absim_acc a;
    assert_int_equal(absim_acc_init(&a, 1), ABSIM_OK);
    for (int i = 0; i < 3; i++) {
        double zero = 0.0;
        absim_acc_add(&a, 1.0, &x[i], &zero, &zero, &zero, NAN, x[i], x[i], 0);
    }
    assert_int_equal(absim_quantiles_streamed(&a.tranche[0], read_fail, NULL, 3, 0, 1, q, v, e), ABSIM_EIO);
    absim_acc_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_continuous),
        cmocka_unit_test(test_quantiles_atoms_and_ties),
        cmocka_unit_test(test_quantiles_weighted),
        cmocka_unit_test(test_quantiles_reader_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
