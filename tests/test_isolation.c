/* test_isolation.c -- risk isolation (true sale) and the originator.
 *
 * - With originator_pd 0 the isolation block changes nothing: results are
 *   bitwise those of the deal without it.
 * - Without true sale, a higher originator_pd never lowers any tranche's
 *   expected loss on the same paths, and true sale is worth something.
 * - Commingling, by hand: a one-period-late default of the servicer takes
 *   commingling_days / (30.4375 x period_months) of that period's
 *   collections, and the backup servicer's fee replaces the servicing fee
 *   from then on. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "config.h"
#include "driver.h"
#include "pool.h"
#include "status.h"
#include "testutil.h"
#include "waterfall.h"

static const char base_yaml[] =
    "deal: {name: iso, periods: 24, period_months: 1}\n"
    "simulation: {paths: 3000, seed: 17, quantiles: [0.99]}\n"
    "rates: {model: flat, r0: 0.02}\n"
    "pool: {lines: [{name: l, count: 1000, balance: 1.0e8, coupon: 0.08, term: 24, pd: 0.03,\n"
    "        recovery: {mean: 0.4, lag: 2}}]}\n"
    "correlation: {systematic: 0.2}\n"
    "structure:\n"
    "  fees: [{name: servicing, rate: 0.005}]\n"
    "  oc_target: 0.05\n"
    "  tranches: [{name: A, balance: 8.0e7, coupon: 0.04}, {name: B, balance: 1.5e7, coupon: 0.06},\n"
    "             {name: E, balance: 0.5e7, residual: true}]\n";

static void load(absim_deal *deal, const char *extra)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s", base_yaml, extra);
    memset(deal, 0, sizeof *deal);
    assert_int_equal(absim_config_load_string(deal, yaml, strlen(yaml), "iso.yaml", NULL, stderr), ABSIM_OK);
}

static void run(const absim_deal *deal, absim_scenario_run *out)
{
    absim_scenario base;
    absim_run_options o;
    assert_int_equal(absim_scenario_init_base(&base, deal), ABSIM_OK);
    memset(&o, 0, sizeof o);
    o.paths = deal->sim.paths;
    o.seed = deal->sim.seed;
    o.threads = 2;
    o.keep_paths = 1;
    o.progress = ABSIM_PROGRESS_NONE;
    assert_int_equal(absim_driver_run(deal, &base, &o, out), ABSIM_OK);
    absim_scenario_free(&base);
}

static void test_isolation_zero_pd_changes_nothing(void **state)
{
    (void)state;
    absim_deal plain, iso;
    absim_scenario_run a, b;
    load(&plain, "");
    load(&iso, "isolation: {true_sale: false, originator_pd: 0.0, stay_periods: 6, estate_recovery: 0.5}\n");
    run(&plain, &a);
    run(&iso, &b);
    assert_memory_equal(a.summary.expected_loss, b.summary.expected_loss, 3 * sizeof(double));
    assert_memory_equal(a.summary.default_probability, b.summary.default_probability, 3 * sizeof(double));
    assert_memory_equal(a.summary.var, b.summary.var, 3 * sizeof(double));
    /* The other leg (true sale) is the same too: nobody defaults. */
    assert_true(b.has_alt);
    assert_memory_equal(b.alt.expected_loss, b.summary.expected_loss, 3 * sizeof(double));
    absim_scenario_run_free(&a);
    absim_scenario_run_free(&b);
    absim_deal_free(&plain);
    absim_deal_free(&iso);
}

static void test_isolation_pd_monotone_without_true_sale(void **state)
{
    (void)state;
    const double pds[] = {0.0, 0.01, 0.03, 0.1, 0.3};
    double prev[3] = {-1, -1, -1};
    for (size_t i = 0; i < sizeof pds / sizeof pds[0]; i++) {
        char extra[256];
        absim_deal deal;
        absim_scenario_run r;
        snprintf(extra, sizeof extra,
                 "isolation: {true_sale: false, originator_pd: %g, originator_loading: 0.3, commingling_days: 30,\n"
                 "            backup_servicer_fee: 0.01, stay_periods: 6, estate_recovery: 0.6}\n",
                 pds[i]);
        load(&deal, extra);
        run(&deal, &r);
        for (int t = 0; t < 3; t++) {
            assert_true(r.summary.expected_loss[t] >= prev[t]);
            prev[t] = r.summary.expected_loss[t];
        }
        /* The configured leg is "no true sale"; the alternative leg is true
         * sale: bankruptcy remoteness never hurts the senior note. */
        assert_true(r.has_alt);
        assert_true(r.alt.expected_loss[0] <= r.summary.expected_loss[0]);
        absim_scenario_run_free(&r);
        absim_deal_free(&deal);
    }
    assert_true(prev[0] > 0.0); /* at 30% a year the senior note does lose */
}

/* Hand-checked commingling. Collateral (per period, currency): interest
 * 1000, scheduled principal 9000, no defaults; balance 100,000 at start
 * falling by 9,000 a period. The servicer defaults in period 2; with
 * commingling_days 15 and monthly periods it takes 15/30.4375 =
 * 0.492813... of period 2's collections of 10,000, i.e. 4,928.13...; from
 * period 2 on the servicing fee is the backup rate 1.2% instead of 0.5%. */
static void test_isolation_commingling_by_hand(void **state)
{
    (void)state;
    static const char yaml[] =
        "deal: {name: hand, periods: 4, period_months: 1}\n"
        "rates: {model: flat, r0: 0.0}\n"
        "pool: {lines: [{name: l, count: 1, balance: 1.0e5, coupon: 0.12, term: 4, pd: 0.0,\n"
        "        recovery: {mean: 0.4}}]}\n"
        "structure:\n"
        "  fees: [{name: servicing, rate: 0.005}]\n"
        "  tranches: [{name: A, balance: 1.0e5, coupon: 0.0}]\n"
        "isolation: {true_sale: true, originator_pd: 0.5, commingling_days: 15, backup_servicer_fee: 0.012}\n";
    absim_deal deal;
    absim_waterfall_plan w;
    absim_collateral c;
    absim_waterfall_trace tr;
    absim_waterfall_result res;
    memset(&deal, 0, sizeof deal);
    assert_int_equal(absim_config_load_string(&deal, yaml, strlen(yaml), "hand.yaml", NULL, stderr), ABSIM_OK);
    assert_int_equal(absim_waterfall_plan_init(&w, &deal, -1), ABSIM_OK);
    assert_int_equal(absim_collateral_alloc(&c, 4), ABSIM_OK);
    assert_int_equal(absim_waterfall_trace_alloc(&tr, 4, 1), ABSIM_OK);
    double start = 1.0e5;
    for (int i = 0; i < 4; i++) {
        c.balance_start[i] = start;
        c.interest[i] = 1000.0;
        c.sched_principal[i] = i < 3 ? 9000.0 : start;
        c.prepayments[i] = c.defaults[i] = c.recoveries[i] = c.losses[i] = c.pending[i] = 0.0;
        c.balance_end[i] = start - c.sched_principal[i];
        c.principal[i] = c.sched_principal[i];
        start = c.balance_end[i];
    }
    double r[4] = {0, 0, 0, 0};
    double err = absim_waterfall_run(&w, &c, r, 2, &res, &tr);
    assert_close(err, 0.0, 1e-6);
    double frac = 15.0 / 30.4375;
    assert_close(tr.collections_lost[0], 0.0, 0.0);
    assert_close(tr.collections_lost[1], frac * 10000.0, 1e-9);
    assert_close(tr.collections_lost[2], 0.0, 0.0);
    assert_close(res.collections_lost, frac * 10000.0, 1e-9);
    /* Fees: 0.5% x 100,000 / 12 in period 1, then 1.2% x start balance / 12. */
    assert_close(tr.fees[0], 0.005 * 100000.0 / 12.0, 1e-9);
    assert_close(tr.fees[1], 0.012 * 91000.0 / 12.0, 1e-9);
    assert_close(tr.fees[2], 0.012 * 82000.0 / 12.0, 1e-9);
    absim_waterfall_trace_free(&tr);
    absim_collateral_free(&c);
    absim_deal_free(&deal);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolation_zero_pd_changes_nothing),
        cmocka_unit_test(test_isolation_pd_monotone_without_true_sale),
        cmocka_unit_test(test_isolation_commingling_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
