/* test_stdformula.c -- unit tests of the Standard Formulas engine
 * (kernels/stdformula.c) against an independent month-by-month computation
 * written here from the published rules (SPEC section 3 and
 * ../shared/data/README.md): 100% SDA and PSA curves, defaults on the prior
 * performing balance before amortization, prepayments on the amortized
 * balance capped by what is left, advanced P&I on loans in foreclosure,
 * liquidation `lag` months later with loss = severity x defaulted balance,
 * and no new defaults in the last `lag` months. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "deal.h"
#include "status.h"
#include "stdformula.h"

/* 100% SDA annual default rate in month m, from the curve's definition. */
static double ref_sda(int m)
{
    if (m <= 30)
        return 0.0002 * m;
    if (m <= 60)
        return 0.006;
    if (m <= 120)
        return 0.006 - (0.006 - 0.0003) * (m - 60) / 60.0;
    return 0.0003;
}

static double ref_psa(int m) { return 0.06 * (m < 30 ? m : 30) / 30.0; }

static double monthly(double annual) { return 1.0 - pow(1.0 - annual, 1.0 / 12.0); }

/* Reference pool: one level-pay line, monthly periods. mdr[t], smm[t] for
 * t = 1..T; cohorts in foreclosure are kept as a list with a countdown. */
typedef struct {
    double start, fc_interest, fc_principal, recoveries, losses, defaults, sched, prepay, interest, end, foreclosure;
} ref_row;

static void reference(int T, int term, double balance, double coupon, const double *mdr, const double *smm,
                      double severity, int lag, ref_row *row)
{
    double q = 1.0 + coupon / 12.0;
    double *fc_bal = calloc((size_t)T + 2, sizeof *fc_bal), *fc_loss = calloc((size_t)T + 2, sizeof *fc_loss);
    int *fc_left = calloc((size_t)T + 2, sizeof *fc_left);
    assert_true(fc_bal && fc_loss && fc_left);
    int ncohort = 0;
    double perf = balance;
    for (int t = 1; t <= T; t++) {
        ref_row *o = &row[t - 1];
        memset(o, 0, sizeof *o);
        /* scheduled balance factors of a level-pay 30-year loan */
        double sch_prev = t - 1 >= term ? 0.0 : (pow(q, term) - pow(q, t - 1)) / (pow(q, term) - 1.0);
        double sch_now = t >= term ? 0.0 : (pow(q, term) - pow(q, t)) / (pow(q, term) - 1.0);
        double amort = sch_prev > 0.0 ? 1.0 - sch_now / sch_prev : 1.0;
        o->start = perf;
        /* cohorts already in foreclosure: liquidate or advance */
        for (int j = 0; j < ncohort; j++) {
            if (fc_left[j] < 0)
                continue;
            if (fc_left[j] == 0 || t == T) {
                o->recoveries += fc_bal[j] - fc_loss[j];
                o->losses += fc_loss[j];
                fc_left[j] = -1;
            } else {
                o->fc_interest += fc_bal[j] * coupon / 12.0;
                o->fc_principal += fc_bal[j] * amort;
                fc_bal[j] -= fc_bal[j] * amort;
                fc_left[j]--;
                o->foreclosure += fc_bal[j];
            }
        }
        double d = t <= term - lag ? mdr[t] * perf : 0.0;
        double am = (perf - d) * amort;
        double vp = smm[t] * perf * (1.0 - amort);
        if (vp > perf - d - am)
            vp = perf - d - am;
        o->defaults = d;
        o->sched = am;
        o->prepay = vp;
        o->interest = (perf - d) * coupon / 12.0;
        perf -= d + am + vp;
        o->end = perf;
        if (d > 0.0) {
            /* the new cohort: liquidated now (lag 0) or advanced this month */
            if (lag == 0 || t == T) {
                o->recoveries += d - severity * d;
                o->losses += severity * d;
            } else {
                fc_bal[ncohort] = d - d * amort;
                fc_loss[ncohort] = severity * d;
                fc_left[ncohort] = lag - 1;
                o->fc_interest += d * coupon / 12.0;
                o->fc_principal += d * amort;
                o->foreclosure += fc_bal[ncohort];
                ncohort++;
            }
        }
    }
    free(fc_bal);
    free(fc_loss);
    free(fc_left);
}

static void deal_one_line(absim_deal *d, int T, int term, double balance, double coupon)
{
    memset(d, 0, sizeof *d);
    d->periods = T;
    d->period_months = 1;
    d->nlines = 1;
    d->lines = calloc(1, sizeof *d->lines);
    assert_non_null(d->lines);
    absim_line *l = &d->lines[0];
    l->count = 1000;
    l->balance = balance;
    l->coupon = coupon;
    l->term = term;
    l->amortization = ABSIM_AMORT_LEVEL;
    l->law = ABSIM_LAW_CDR;
    l->law_value = 0.02;
    l->recovery_mean = 0.6;
    l->recovery_lag = 3;
    l->prepay = ABSIM_PREPAY_CPR;
    l->prepay_value = 0.10;
}

static void compare(const absim_stdformula_result *s, const ref_row *row, int T, double tol)
{
    for (int t = 0; t < T; t++) {
        const absim_collateral *c = &s->c;
        assert_close(c->balance_start[t], row[t].start, tol);
        assert_close(c->balance_end[t], row[t].end, tol);
        assert_close(c->defaults[t], row[t].defaults, tol);
        assert_close(c->prepayments[t], row[t].prepay, tol);
        assert_close(c->sched_principal[t], row[t].sched + row[t].fc_principal, tol);
        assert_close(c->interest[t], row[t].interest + row[t].fc_interest, tol);
        assert_close(c->recoveries[t], row[t].recoveries, tol);
        assert_close(c->losses[t], row[t].losses, tol);
        assert_close(s->advanced_principal[t], row[t].fc_principal, tol);
        assert_close(s->advanced_interest[t], row[t].fc_interest, tol);
        assert_close(s->foreclosure[t], row[t].foreclosure, tol);
    }
}

/* 30-year 6% level-pay mortgages, 150% PSA, 100% SDA, severity 35%, 12
 * months to liquidation. */
static void test_stdformula_psa_sda_mortgages(void **state)
{
    (void)state;
    const int T = 360, term = 360, lag = 12;
    absim_deal d;
    deal_one_line(&d, T, term, 1e8, 0.06);
    absim_stdformula_assumptions a;
    absim_stdformula_assumptions_init(&a);
    a.default_law = ABSIM_LAW_SDA;
    a.default_value = 100.0;
    a.prepay_law = ABSIM_PREPAY_PSA;
    a.prepay_value = 150.0;
    a.severity = 0.35;
    a.lag = lag;
    double r[360], mdr[361], smm[361];
    for (int t = 0; t < T; t++)
        r[t] = 0.03;
    for (int m = 1; m <= T; m++) {
        mdr[m] = monthly(ref_sda(m));
        smm[m] = monthly(1.5 * ref_psa(m));
    }
    absim_stdformula_result s;
    assert_int_equal(absim_stdformula_alloc(&s, T), ABSIM_OK);
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_OK);
    ref_row *row = calloc((size_t)T, sizeof *row);
    assert_non_null(row);
    reference(T, term, 1e8, 0.06, mdr, smm, 0.35, lag, row);
    compare(&s, row, T, 1e-6);

    /* spot checks: month 1, the SDA peak, the last default month */
    assert_close(s.c.defaults[0], 1e8 * monthly(0.0002), 1e-6);
    assert_true(s.c.defaults[T - lag - 1] > 0.0);
    for (int t = T - lag; t < T; t++)
        assert_close(s.c.defaults[t], 0.0, 0.0);
    /* the cohort of month 1 is liquidated in month 13 */
    assert_close(s.c.losses[12], 0.35 * s.c.defaults[0], 1e-9);
    assert_close(s.c.losses[11], 0.0, 0.0);
    /* over the life: defaulted = advanced principal + recoveries + losses */
    double def = 0.0, adv = 0.0, rec = 0.0, loss = 0.0, prin = 0.0;
    for (int t = 0; t < T; t++) {
        def += s.c.defaults[t];
        adv += s.advanced_principal[t];
        rec += s.c.recoveries[t];
        loss += s.c.losses[t];
        prin += s.c.sched_principal[t] + s.c.prepayments[t];
    }
    assert_close(def, adv + rec + loss, 1e-6);
    assert_close(prin + rec + loss, 1e8, 1e-5);
    assert_close(s.c.balance_end[T - 1], 0.0, 1e-6);
    free(row);
    absim_stdformula_free(&s);
    absim_deal_free(&d);
}

/* Without assumptions the line's own laws are used: CDR 2% (monthly MDR
 * 1 - 0.98^(1/12)), CPR 10%, severity 1 - 0.6, lag 3. */
static void test_stdformula_own_laws(void **state)
{
    (void)state;
    const int T = 120, term = 120;
    absim_deal d;
    deal_one_line(&d, T, term, 5e7, 0.07);
    absim_stdformula_assumptions a;
    absim_stdformula_assumptions_init(&a);
    double r[120], mdr[121], smm[121];
    for (int t = 0; t < T; t++)
        r[t] = 0.02;
    for (int m = 1; m <= T; m++) {
        mdr[m] = monthly(0.02);
        smm[m] = monthly(0.10);
    }
    absim_stdformula_result s;
    assert_int_equal(absim_stdformula_alloc(&s, T), ABSIM_OK);
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_OK);
    ref_row *row = calloc((size_t)T, sizeof *row);
    assert_non_null(row);
    reference(T, term, 5e7, 0.07, mdr, smm, 0.4, 3, row);
    compare(&s, row, T, 1e-6);

    /* lag 0 and a constant CDR override; deal shorter than the loans: the
     * cohorts still in foreclosure at T are liquidated at T */
    a.lag = 0;
    a.default_law = ABSIM_LAW_CDR;
    a.default_value = 0.05;
    a.prepay_law = ABSIM_PREPAY_NONE;
    for (int m = 1; m <= T; m++) {
        mdr[m] = monthly(0.05);
        smm[m] = 0.0;
    }
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_OK);
    reference(T, term, 5e7, 0.07, mdr, smm, 0.4, 0, row);
    compare(&s, row, T, 1e-6);
    for (int t = 0; t < T; t++) {
        assert_close(s.foreclosure[t], 0.0, 0.0);
        assert_close(s.c.losses[t], 0.4 * s.c.defaults[t], 1e-9);
    }
    free(row);
    absim_stdformula_free(&s);
    absim_deal_free(&d);

    deal_one_line(&d, 60, 120, 5e7, 0.07);
    absim_stdformula_assumptions_init(&a);
    assert_int_equal(absim_stdformula_alloc(&s, 60), ABSIM_OK);
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_OK);
    row = calloc(60, sizeof *row);
    assert_non_null(row);
    for (int m = 1; m <= 60; m++) {
        mdr[m] = monthly(0.02);
        smm[m] = monthly(0.10);
    }
    /* reference of the 120-month loan over 60 months */
    reference(60, 120, 5e7, 0.07, mdr, smm, 0.4, 3, row);
    compare(&s, row, 60, 1e-6);
    assert_close(s.foreclosure[59], 0.0, 0.0);
    assert_true(s.c.balance_end[59] > 0.0);
    free(row);
    absim_stdformula_free(&s);
    absim_deal_free(&d);
}

static void test_stdformula_bad_assumptions(void **state)
{
    (void)state;
    absim_deal d;
    deal_one_line(&d, 12, 12, 1e6, 0.05);
    absim_stdformula_result s;
    absim_stdformula_assumptions a;
    double r[12] = {0};
    assert_int_equal(absim_stdformula_alloc(&s, 12), ABSIM_OK);
    absim_stdformula_assumptions_init(&a);
    a.default_law = ABSIM_LAW_CDR;
    a.default_value = 1.5;
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_EINVAL);
    absim_stdformula_assumptions_init(&a);
    a.severity = 2.0;
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_EINVAL);
    absim_stdformula_assumptions_init(&a);
    a.prepay_law = ABSIM_PREPAY_CPR;
    a.prepay_value = -0.1;
    assert_int_equal(absim_stdformula_run(&d, &a, r, &s), ABSIM_EINVAL);
    absim_stdformula_free(&s);
    absim_deal_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdformula_psa_sda_mortgages),
        cmocka_unit_test(test_stdformula_own_laws),
        cmocka_unit_test(test_stdformula_bad_assumptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
