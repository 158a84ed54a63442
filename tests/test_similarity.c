/* test_similarity.c -- Finger-Kreinin similarity index. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "similarity.h"
#include "testutil.h"

static void test_similarity_identical_is_100(void **state)
{
    (void)state;
    double a[4] = {0.1, 0.2, 0.3, 0.4};
    assert_close(absim_similarity_index(a, a, 4), 100.0, 1e-12);
}

static void test_similarity_disjoint_is_0(void **state)
{
    (void)state;
    double a[4] = {0.5, 0.5, 0.0, 0.0}, b[4] = {0.0, 0.0, 0.25, 0.75};
    assert_close(absim_similarity_index(a, b, 4), 0.0, 0.0);
}

static void test_similarity_symmetric(void **state)
{
    (void)state;
    double a[5] = {0.05, 0.25, 0.3, 0.1, 0.3}, b[5] = {0.2, 0.2, 0.1, 0.45, 0.05};
    assert_true(absim_similarity_index(a, b, 5) == absim_similarity_index(b, a, 5));
}

/* Worked example, three sectors each: A = steel 50, coal 30, power 20
 * (in 1e6); B = steel 40, coal 60, other 100, so B's shares are 0.2, 0.3,
 * 0.5. Over steel, coal, power, other: a = (0.5, 0.3, 0.2, 0),
 * b = (0.2, 0.3, 0, 0.5); min = 0.2 + 0.3 + 0 + 0 = 0.5, S = 50. The
 * textbook form sum ((a+b)/2)(1 - |a-b|/(a+b)) gives 0.35 x 4/7 = 0.2 for
 * steel, 0.3 for coal, 0 for the others: the same 50. */
static void test_similarity_worked_example(void **state)
{
    (void)state;
    double amount_a[4] = {50, 30, 20, 0}, amount_b[4] = {40, 60, 0, 100};
    double a[4], b[4];
    absim_similarity_shares(amount_a, 4, a);
    absim_similarity_shares(amount_b, 4, b);
    assert_close(b[0], 0.2, 1e-15);
    assert_close(absim_similarity_index(a, b, 4), 50.0, 1e-12);
    double alt = 0.0;
    for (int i = 0; i < 4; i++)
        if (a[i] + b[i] > 0)
            alt += 0.5 * (a[i] + b[i]) * (1.0 - fabs(a[i] - b[i]) / (a[i] + b[i]));
    assert_close(100.0 * alt, 50.0, 1e-12);
}

static void test_similarity_zero_total(void **state)
{
    (void)state;
    double amount[3] = {0, 0, 0}, s[3];
    absim_similarity_shares(amount, 3, s);
    assert_true(s[0] == 0.0 && s[1] == 0.0 && s[2] == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_similarity_identical_is_100), cmocka_unit_test(test_similarity_disjoint_is_0),
        cmocka_unit_test(test_similarity_symmetric),        cmocka_unit_test(test_similarity_worked_example),
        cmocka_unit_test(test_similarity_zero_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
