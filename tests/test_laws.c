/* test_laws.c -- SDA/PSA tables, rate conversion, default-time CDFs of
 * every law (with stresses and the term cut-off) and prepayment rates.
 * Expected values are computed independently in each test from the
 * definitions in the specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "laws.h"
#include "testutil.h"

#define TMAX 400

static void test_laws_sda_table(void **state)
{
    (void)state;
    assert_close(absim_sda_cdr(1), 0.0002, 1e-15);
    assert_close(absim_sda_cdr(15), 0.0030, 1e-15);
    assert_close(absim_sda_cdr(30), 0.0060, 1e-15);
    assert_close(absim_sda_cdr(31), 0.0060, 1e-15);
    assert_close(absim_sda_cdr(60), 0.0060, 1e-15);
    assert_close(absim_sda_cdr(61), 0.005905, 1e-15);
    assert_close(absim_sda_cdr(90), 0.00315, 1e-15);
    assert_close(absim_sda_cdr(120), 0.0003, 1e-15);
    assert_close(absim_sda_cdr(121), 0.0003, 1e-15);
    assert_close(absim_sda_cdr(360), 0.0003, 1e-15);
    assert_close(absim_sda_cdr(0), 0.0, 0.0);
}

static void test_laws_psa_table(void **state)
{
    (void)state;
    assert_close(absim_psa_cpr(1), 0.002, 1e-15);
    assert_close(absim_psa_cpr(10), 0.02, 1e-15);
    assert_close(absim_psa_cpr(30), 0.06, 1e-15);
    assert_close(absim_psa_cpr(31), 0.06, 1e-15);
    assert_close(absim_psa_cpr(360), 0.06, 1e-15);
}

static void test_laws_annual_to_monthly(void **state)
{
    (void)state;
    /* 6% CPR = 0.5143% SMM (the usual market figure) */
    assert_close(absim_annual_to_monthly(0.06), 0.0051430, 5e-7);
    double rates[] = {1e-9, 0.001, 0.02, 0.3, 0.99};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        double m = absim_annual_to_monthly(rates[i]);
        assert_close(1.0 - pow(1.0 - m, 12.0), rates[i], 1e-14 * (1.0 + rates[i] * 1e3));
    }
    assert_close(absim_annual_to_monthly(0.0), 0.0, 0.0);
    assert_close(absim_annual_to_monthly(1.0), 1.0, 0.0);
}

/* pd and cdr: F(k) = 1 - (1-p)^(k dt) for every period length, flat after
 * the term. */
static void test_laws_pd_cdr_constant_hazard(void **state)
{
    (void)state;
    double F[TMAX + 1];
    int pms[] = {1, 3, 6, 12, 5};
    for (int law = ABSIM_LAW_PD; law <= ABSIM_LAW_CDR; law++) {
        for (size_t i = 0; i < sizeof pms / sizeof pms[0]; i++) {
            int pm = pms[i], T = 40, term = 30;
            absim_line l = test_line((absim_default_law)law, 0.03, term);
            absim_law_default_cdf(&l, T, pm, 1.0, -1, -1.0, F);
            assert_close(F[0], 0.0, 0.0);
            for (int k = 1; k <= T; k++) {
                int kk = k < term ? k : term;
                double expect = 1.0 - pow(0.97, kk * pm / 12.0);
                assert_close(F[k], expect, 1e-14);
            }
        }
    }
    /* monthly MDR of a cdr equals the hazard h = -ln(1-cdr)/12 */
    absim_line l = test_line(ABSIM_LAW_CDR, 0.05, 100);
    absim_law_default_cdf(&l, 1, 1, 1.0, -1, -1.0, F);
    assert_close(F[1], 1.0 - exp(log(0.95) / 12.0), 1e-15);
    assert_close(F[1], absim_annual_to_monthly(0.05), 1e-15);
}

/* SDA: monthly F is the product of (1 - MDR_m); a quarterly grid gives
 * the monthly F at every third month. */
static void test_laws_sda_cdf(void **state)
{
    (void)state;
    double Fm[TMAX + 1], Fq[TMAX / 3 + 1];
    absim_line l = test_line(ABSIM_LAW_SDA, 150.0, 360);
    absim_law_default_cdf(&l, 360, 1, 1.0, -1, -1.0, Fm);
    double surv = 1.0;
    for (int m = 1; m <= 360; m++) {
        double cdr = 1.5 * absim_sda_cdr(m);
        surv *= pow(1.0 - cdr, 1.0 / 12.0);
        assert_close(Fm[m], 1.0 - surv, 1e-13);
    }
    absim_law_default_cdf(&l, 120, 3, 1.0, -1, -1.0, Fq);
    for (int k = 1; k <= 120; k++)
        assert_close(Fq[k], Fm[3 * k], 1e-13);
}

/* default_curve: reproduced at period ends, flat after its end and after
 * the term, and stressed through the conditional probabilities. */
static void test_laws_curve(void **state)
{
    (void)state;
    double curve[] = {0.01, 0.03, 0.03, 0.06, 0.10};
    double F[21];
    absim_line l = test_line(ABSIM_LAW_CURVE, 0.0, 20);
    l.curve = curve;
    l.ncurve = 5;
    absim_law_default_cdf(&l, 8, 1, 1.0, -1, -1.0, F);
    for (int k = 1; k <= 5; k++)
        assert_close(F[k], curve[k - 1], 1e-15);
    for (int k = 6; k <= 8; k++)
        assert_close(F[k], 0.10, 1e-15);

    /* pd_multiplier 2 on the conditional probabilities */
    absim_law_default_cdf(&l, 8, 1, 2.0, -1, -1.0, F);
    double surv = 1.0, prev = 0.0;
    for (int k = 1; k <= 5; k++) {
        double h = (curve[k - 1] - prev) / (1.0 - prev);
        surv *= 1.0 - 2.0 * h;
        prev = curve[k - 1];
        assert_close(F[k], 1.0 - surv, 1e-15);
    }
    assert_close(F[8], F[5], 0.0);

    /* term 2 cuts the curve */
    l.term = 2;
    absim_law_default_cdf(&l, 8, 1, 1.0, -1, -1.0, F);
    assert_close(F[2], 0.03, 1e-15);
    assert_close(F[8], 0.03, 1e-15);
}

/* pd_multiplier scales each period's conditional probability, capped at 1. */
static void test_laws_pd_multiplier(void **state)
{
    (void)state;
    double F[13];
    absim_line l = test_line(ABSIM_LAW_PD, 0.12, 12);
    absim_law_default_cdf(&l, 12, 1, 3.0, -1, -1.0, F);
    double h = 1.0 - pow(0.88, 1.0 / 12.0);
    for (int k = 1; k <= 12; k++)
        assert_close(F[k], 1.0 - pow(1.0 - 3.0 * h, k), 1e-14);
    absim_law_default_cdf(&l, 12, 1, 1e6, -1, -1.0, F);
    assert_close(F[1], 1.0, 0.0);
    assert_close(F[12], 1.0, 0.0);
    absim_law_default_cdf(&l, 12, 1, 0.0, -1, -1.0, F);
    assert_close(F[12], 0.0, 0.0);
}

/* Scenario overrides replace the line's law; other values are ignored. */
static void test_laws_override(void **state)
{
    (void)state;
    double F[25], G[25];
    absim_line l = test_line(ABSIM_LAW_PD, 0.01, 24);
    absim_line cdr = test_line(ABSIM_LAW_CDR, 0.08, 24);
    absim_line sda = test_line(ABSIM_LAW_SDA, 200.0, 24);
    absim_law_default_cdf(&l, 24, 1, 1.0, ABSIM_LAW_CDR, 0.08, F);
    absim_law_default_cdf(&cdr, 24, 1, 1.0, -1, -1.0, G);
    for (int k = 0; k <= 24; k++)
        assert_close(F[k], G[k], 0.0);
    absim_law_default_cdf(&l, 24, 1, 1.0, ABSIM_LAW_SDA, 200.0, F);
    absim_law_default_cdf(&sda, 24, 1, 1.0, -1, -1.0, G);
    for (int k = 0; k <= 24; k++)
        assert_close(F[k], G[k], 0.0);
    /* negative value or another law: no override */
    absim_law_default_cdf(&l, 24, 1, 1.0, ABSIM_LAW_CDR, -1.0, F);
    assert_close(F[12], 0.01, 1e-15);
    absim_law_default_cdf(&l, 24, 1, 1.0, ABSIM_LAW_PD, 0.5, F);
    assert_close(F[12], 0.01, 1e-15);
}

static void test_laws_prepay(void **state)
{
    (void)state;
    double smm[TMAX + 1], q[TMAX + 1];
    absim_line l = test_line(ABSIM_LAW_PD, 0.0, 360);
    l.prepay = ABSIM_PREPAY_CPR;
    l.prepay_value = 0.10;
    absim_law_prepay(&l, 12, 1, 1.0, smm);
    assert_close(smm[0], 0.0, 0.0);
    for (int k = 1; k <= 12; k++)
        assert_close(smm[k], 1.0 - pow(0.9, 1.0 / 12.0), 1e-15);
    absim_law_prepay(&l, 4, 3, 1.0, smm);
    assert_close(smm[2], 1.0 - pow(0.9, 0.25), 1e-15);
    absim_law_prepay(&l, 4, 12, 1.0, smm);
    assert_close(smm[4], 0.10, 1e-15);
    /* multiplier on the period rate, capped */
    absim_law_prepay(&l, 12, 1, 2.5, smm);
    assert_close(smm[5], 2.5 * (1.0 - pow(0.9, 1.0 / 12.0)), 1e-15);
    absim_law_prepay(&l, 12, 1, 1e9, smm);
    assert_close(smm[5], 1.0, 0.0);

    /* 100% PSA month m: SMM = 1 - (1 - 0.002 min(m,30))^(1/12) */
    l.prepay = ABSIM_PREPAY_PSA;
    l.prepay_value = 100.0;
    absim_law_prepay(&l, 360, 1, 1.0, smm);
    assert_close(smm[1], 1.0 - pow(0.998, 1.0 / 12.0), 1e-15);
    assert_close(smm[30], 1.0 - pow(0.94, 1.0 / 12.0), 1e-15);
    assert_close(smm[30], 0.0051430, 5e-7);
    assert_close(smm[200], smm[30], 0.0);
    /* 200% PSA, quarterly: the product of three months */
    l.prepay_value = 200.0;
    absim_law_prepay(&l, 120, 3, 1.0, q);
    absim_law_prepay(&l, 360, 1, 1.0, smm);
    for (int k = 1; k <= 120; k++) {
        double s = 1.0 - (1.0 - smm[3 * k - 2]) * (1.0 - smm[3 * k - 1]) * (1.0 - smm[3 * k]);
        assert_close(q[k], s, 1e-15);
    }
    assert_close(smm[15], 1.0 - pow(1.0 - 2.0 * 0.03, 1.0 / 12.0), 1e-15);

    l.prepay = ABSIM_PREPAY_NONE;
    absim_law_prepay(&l, 12, 1, 5.0, smm);
    for (int k = 0; k <= 12; k++)
        assert_close(smm[k], 0.0, 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_laws_sda_table),
        cmocka_unit_test(test_laws_psa_table),
        cmocka_unit_test(test_laws_annual_to_monthly),
        cmocka_unit_test(test_laws_pd_cdr_constant_hazard),
        cmocka_unit_test(test_laws_sda_cdf),
        cmocka_unit_test(test_laws_curve),
        cmocka_unit_test(test_laws_pd_multiplier),
        cmocka_unit_test(test_laws_override),
        cmocka_unit_test(test_laws_prepay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
