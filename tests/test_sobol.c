/* test_sobol.c -- Sobol points: published first points, the net property
 * (each of the first 2^m points falls in its own dyadic interval, in every
 * dimension), and the randomised mean. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sobol.h"
#include "testutil.h"

/* The first ten 3-D Sobol points of the Joe-Kuo construction (Gray-code order). */
static void test_sobol_first_points(void **state)
{
    (void)state;
    static const double want[10][3] = {{0, 0, 0},          {0.5, 0.5, 0.5},       {0.75, 0.25, 0.25},
                                       {0.25, 0.75, 0.75}, {0.375, 0.375, 0.625}, {0.875, 0.875, 0.125},
                                       {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375}, {0.1875, 0.3125, 0.9375},
                                       {0.6875, 0.8125, 0.4375}};
    absim_sobol s;
    assert_int_equal(absim_sobol_init(&s, 3), 0);
    for (uint32_t n = 0; n < 10; n++) {
        uint32_t x[3];
        absim_sobol_point(&s, n, x);
        for (int d = 0; d < 3; d++)
            assert_close(x[d] / 4294967296.0, want[n][d], 0.0);
    }
}

/* Every dimension alone is a (0,1)-sequence: the first 2^m points hit each
 * interval [j/2^m, (j+1)/2^m) exactly once. */
static void test_sobol_stratified(void **state)
{
    (void)state;
    absim_sobol s;
    assert_int_equal(absim_sobol_init(&s, ABSIM_SOBOL_MAXDIM), 0);
    enum { M = 10, N = 1 << M };
    for (int d = 0; d < ABSIM_SOBOL_MAXDIM; d++) {
        static unsigned char hit[N];
        memset(hit, 0, sizeof hit);
        for (uint32_t n = 0; n < N; n++) {
            uint32_t x[ABSIM_SOBOL_MAXDIM];
            absim_sobol_point(&s, n, x);
            hit[x[d] >> (32 - M)]++;
        }
        for (int j = 0; j < N; j++)
            assert_int_equal(hit[j], 1);
    }
}

/* Two-dimensional stratification of dimensions 1 and 2 (t = 0 for the
 * first two Sobol dimensions): 2^m points, one in each of the 2^a x 2^b
 * boxes with a + b = m. */
static void test_sobol_2d_net(void **state)
{
    (void)state;
    absim_sobol s;
    assert_int_equal(absim_sobol_init(&s, 2), 0);
    enum { M = 8, N = 1 << M };
    for (int a = 0; a <= M; a++) {
        int b = M - a;
        static unsigned char hit[N];
        memset(hit, 0, sizeof hit);
        for (uint32_t n = 0; n < N; n++) {
            uint32_t x[2];
            absim_sobol_point(&s, n, x);
            uint32_t i = a ? x[0] >> (32 - a) : 0, j = b ? x[1] >> (32 - b) : 0;
            hit[(i << b) | j]++;
        }
        for (int k = 0; k < N; k++)
            assert_int_equal(hit[k], 1);
    }
}

static void test_sobol_bad_dimension(void **state)
{
    (void)state;
    absim_sobol s;
    assert_int_equal(absim_sobol_init(&s, 0), -1);
    assert_int_equal(absim_sobol_init(&s, ABSIM_SOBOL_MAXDIM + 1), -1);
}

/* Shifted points stay in (0,1) and their mean over 2^12 points is 1/2
 * within the QMC error (far below 1e-3). */
static void test_sobol_shifted_mean(void **state)
{
    (void)state;
    absim_sobol s;
    uint32_t shift[4] = {0x9e3779b9u, 0x7f4a7c15u, 0x12345678u, 0xdeadbeefu};
    assert_int_equal(absim_sobol_init(&s, 4), 0);
    double sum[4] = {0, 0, 0, 0};
    for (uint32_t n = 0; n < 4096; n++) {
        double u[4];
        absim_sobol_point_shifted(&s, n, shift, u);
        for (int d = 0; d < 4; d++) {
            assert_true(u[d] > 0.0 && u[d] < 1.0);
            sum[d] += u[d];
        }
    }
    for (int d = 0; d < 4; d++)
        assert_close(sum[d] / 4096, 0.5, 1e-3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sobol_first_points), cmocka_unit_test(test_sobol_stratified),
        cmocka_unit_test(test_sobol_2d_net),       cmocka_unit_test(test_sobol_bad_dimension),
        cmocka_unit_test(test_sobol_shifted_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
