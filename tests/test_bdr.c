/* test_bdr.c -- break-even default rates (kernels/bdr.c) on the bundled
 * default deal: the bisection brackets the first CDR with a loss, BDRs fall
 * with seniority, and the limits behave. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "bdr.h"
#include "config.h"
#include "rates.h"
#include "status.h"
#include "testutil.h"

typedef struct {
    absim_deal deal;
    double *r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || absim_config_load_string(&f->deal, absim_default_config_text, strlen(absim_default_config_text),
                                       "configs/default.yaml", NULL, stderr) != ABSIM_OK)
        return -1;
    absim_rate_plan rp;
    f->r = malloc((size_t)f->deal.periods * sizeof *f->r);
    if (!f->r || absim_rate_plan_init(&rp, &f->deal.rates, 0.0, f->deal.periods, f->deal.period_months / 12.0))
        return -1;
    absim_rate_expected(&rp, f->r);
    absim_rate_plan_free(&rp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    absim_deal_free(&f->deal);
    free(f->r);
    free(f);
    return 0;
}

static void test_bdr_brackets_first_loss(void **state)
{
    fixture *f = *state;
    for (int t = 0; t < 3; t++) {
        absim_bdr_result res;
        assert_int_equal(absim_bdr_solve(&f->deal, f->r, t, 1e-6, &res), ABSIM_OK);
        assert_true(res.bdr > 0.0 && res.bdr < 1.0);
        /* Paid in full at the BDR, not 2e-6 above it. */
        assert_int_equal(absim_bdr_paid(&f->deal, f->r, t, res.bdr, NULL, NULL), 1);
        assert_int_equal(absim_bdr_paid(&f->deal, f->r, t, res.bdr + 2e-6, NULL, NULL), 0);
        assert_true(res.cumulative > 0.0 && res.cumulative < 1.0);
    }
}

static void test_bdr_falls_with_seniority(void **state)
{
    fixture *f = *state;
    absim_bdr_result a, b, c;
    assert_int_equal(absim_bdr_solve(&f->deal, f->r, 0, 1e-6, &a), ABSIM_OK);
    assert_int_equal(absim_bdr_solve(&f->deal, f->r, 1, 1e-6, &b), ABSIM_OK);
    assert_int_equal(absim_bdr_solve(&f->deal, f->r, 2, 1e-6, &c), ABSIM_OK);
    assert_true(a.bdr > b.bdr && b.bdr > c.bdr);
    assert_true(a.cumulative > b.cumulative && b.cumulative > c.cumulative);
}

static void test_bdr_rejects_residual(void **state)
{
    fixture *f = *state;
    absim_bdr_result res;
    assert_int_equal(absim_bdr_solve(&f->deal, f->r, 3, 1e-6, &res), ABSIM_EINVAL);
}

/* With the whole pool as one note and no fees, any default with severity
 * > 0 causes a loss: the BDR is 0. */
static void test_bdr_no_subordination_is_zero(void **state)
{
    (void)state;
    static const char yaml[] = "deal: {name: thin, periods: 12}\n"
                               "rates: {model: flat, r0: 0.0}\n"
                               "pool: {lines: [{name: l, count: 100, balance: 1.0e6, coupon: 0.0, term: 12,\n"
                               "        amortization: bullet, pd: 0.02, recovery: {mean: 0.5}}]}\n"
                               "structure: {tranches: [{name: A, balance: 1.0e6, coupon: 0.0}]}\n";
    absim_deal d;
    memset(&d, 0, sizeof d);
    assert_int_equal(absim_config_load_string(&d, yaml, strlen(yaml), "thin.yaml", NULL, stderr), ABSIM_OK);
    double r[12] = {0};
    absim_bdr_result res;
    assert_int_equal(absim_bdr_solve(&d, r, 0, 1e-6, &res), ABSIM_OK);
    assert_close(res.bdr, 0.0, 1e-6);
    absim_deal_free(&d);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bdr_brackets_first_loss),
        cmocka_unit_test(test_bdr_falls_with_seniority),
        cmocka_unit_test(test_bdr_rejects_residual),
        cmocka_unit_test(test_bdr_no_subordination_is_zero),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
