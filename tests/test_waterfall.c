/* test_waterfall.c -- unit tests of the waterfall kernel (kernels/waterfall.c):
 * cash conservation and loss ordering on random deals and paths, a small
 * deal computed by hand number by number, the subordination formula, the
 * residual IRR, the clean-up call and the isolation effects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "deal.h"
#include "pool.h"
#include "status.h"
#include "waterfall.h"

static uint64_t lcg_state;
static double unif(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) * (1.0 / 9007199254740992.0);
}

/* A deal with `nlines` lines and the given numbers of tranches, fees and
 * triggers (zeroed, to be filled by the test). */
static void deal_init(absim_deal *d, int T, int period_months, int nlines, int ntranches, int nfees, int ntriggers)
{
    memset(d, 0, sizeof *d);
    d->periods = T;
    d->period_months = period_months;
    d->nlines = nlines;
    d->lines = calloc((size_t)nlines, sizeof *d->lines);
    d->structure.ntranches = ntranches;
    d->structure.tranches = calloc((size_t)ntranches, sizeof *d->structure.tranches);
    d->structure.nfees = nfees;
    d->structure.fees = nfees ? calloc((size_t)nfees, sizeof *d->structure.fees) : NULL;
    d->structure.ntriggers = ntriggers;
    d->structure.triggers = ntriggers ? calloc((size_t)ntriggers, sizeof *d->structure.triggers) : NULL;
    assert_non_null(d->lines);
    assert_non_null(d->structure.tranches);
}

static void line_set(absim_line *l, int64_t count, double balance, double coupon, int term, absim_amort amort,
                     double cpr, int lag)
{
    memset(l, 0, sizeof *l);
    l->count = count;
    l->balance = balance;
    l->coupon = coupon;
    l->term = term;
    l->amortization = amort;
    l->recovery_mean = 0.5;
    l->recovery_lag = lag;
    l->prepay = cpr > 0.0 ? ABSIM_PREPAY_CPR : ABSIM_PREPAY_NONE;
    l->prepay_value = cpr;
}

static void tranche_set(absim_tranche *t, double balance, double coupon, int floating, double spread, int deferrable,
                        int residual)
{
    memset(t, 0, sizeof *t);
    t->balance = balance;
    t->coupon = floating ? 0.0 : coupon;
    t->floating = floating;
    t->spread = floating ? spread : 0.0;
    t->deferrable = deferrable;
    t->residual = residual;
}

/* ---------------------------------------------------------------------------
 * Random deals and paths: conservation, principal <= balance, losses in
 * [0,1], losses in reverse seniority (sequential structures). */
static void test_waterfall_random_invariants(void **state)
{
    (void)state;
    lcg_state = 777;
    int checked_loss = 0;
    for (int trial = 0; trial < 60; trial++) {
        int T = 6 + (int)(unif() * 40), nlines = 1 + (int)(unif() * 3);
        int nnotes = 1 + (int)(unif() * 4), residual = unif() < 0.8, nfees = (int)(unif() * 3);
        int ntrig = (int)(unif() * 3);
        absim_deal d;
        deal_init(&d, T, 1, nlines, nnotes + residual, nfees, ntrig);
        d.rates.r0 = 0.03;
        double pool = 0.0;
        for (int l = 0; l < nlines; l++) {
            line_set(&d.lines[l], 20 + (int64_t)(unif() * 50), 1e6 * (0.5 + unif()), 0.03 + 0.12 * unif(),
                     T / 2 + (int)(unif() * T), (absim_amort)(int)(unif() * 3), 0.2 * unif(), (int)(unif() * 6));
            pool += d.lines[l].balance;
        }
        /* tranche sizes: random shares of the pool (notes sum to at most the pool) */
        double left = pool * (residual ? 0.9 + 0.1 * unif() : 1.0);
        for (int n = 0; n < nnotes; n++) {
            double b = n == nnotes - 1 ? left : left * (0.2 + 0.6 * unif());
            left -= b;
            int floating = unif() < 0.3;
            tranche_set(&d.structure.tranches[n], b, 0.02 + 0.06 * unif(), floating, 0.01 + 0.02 * unif(),
                        unif() < 0.4, 0);
        }
        if (residual)
            tranche_set(&d.structure.tranches[nnotes], pool * (0.05 + 0.1 * unif()), 0.0, 0, 0.0, 0, 1);
        for (int f = 0; f < nfees; f++) {
            d.structure.fees[f].fixed = unif() < 0.5;
            d.structure.fees[f].value = d.structure.fees[f].fixed ? 1e4 * unif() : 0.02 * unif();
            d.structure.fees[f].is_servicing = f == 0;
        }
        for (int g = 0; g < ntrig; g++) {
            int type = (int)(unif() * 3);
            d.structure.triggers[g].type = (absim_trigger_type)type;
            d.structure.triggers[g].tranche = type == ABSIM_TRIGGER_CUMLOSS ? -1 : (int)(unif() * nnotes);
            d.structure.triggers[g].threshold = type == ABSIM_TRIGGER_CUMLOSS ? 0.1 * unif() : 0.8 + 0.8 * unif();
        }
        d.structure.has_reserve = unif() < 0.6;
        d.structure.reserve_initial = 0.02 * unif();
        d.structure.reserve_target = 0.02 * unif();
        int sequential = unif() < 0.6;
        d.structure.principal = sequential ? ABSIM_PRINCIPAL_SEQUENTIAL : ABSIM_PRINCIPAL_PRO_RATA;
        d.structure.oc_target = unif() < 0.5 ? 0.0 : 0.1 * unif();
        d.structure.clean_up_call = unif() < 0.5 ? 0.0 : 0.15 * unif();
        if (unif() < 0.5) {
            d.isolation.enabled = 1;
            d.isolation.true_sale = unif() < 0.5;
            d.isolation.commingling_days = 45.0 * unif();
            d.isolation.backup_servicer_fee = 0.01;
            d.isolation.stay_periods = (int)(unif() * 8);
            d.isolation.estate_recovery = unif();
        }

        absim_pool_plan plan;
        absim_waterfall_plan w;
        assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
        assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
        absim_collateral c;
        absim_waterfall_trace tr;
        assert_int_equal(absim_collateral_alloc(&c, T), ABSIM_OK);
        assert_int_equal(absim_waterfall_trace_alloc(&tr, T, w.nnotes), ABSIM_OK);
        double *r = malloc((size_t)T * sizeof *r);
        int64_t *def = calloc((size_t)nlines * T, sizeof *def);
        double *rec = calloc((size_t)nlines * T, sizeof *rec);
        assert_true(r && def && rec);

        for (int path = 0; path < 25; path++) {
            double pd = unif() < 0.3 ? 0.6 * unif() : 0.05 * unif();
            for (int k = 0; k < T; k++)
                r[k] = -0.005 + 0.08 * unif();
            for (int l = 0; l < nlines; l++) {
                int64_t alive = d.lines[l].count;
                for (int k = 0; k < T; k++) {
                    int64_t n = 0;
                    for (int64_t i = 0; i < alive; i++)
                        n += unif() < pd / 6.0;
                    alive -= n;
                    def[(size_t)l * T + k] = n;
                    rec[(size_t)l * T + k] = 0.0;
                    for (int64_t i = 0; i < n; i++)
                        rec[(size_t)l * T + k] += unif();
                }
            }
            absim_pool_path(&plan, r, def, rec, &c);
            int orig_default = unif() < 0.5 ? 1 + (int)(unif() * T) : 0;
            absim_waterfall_result res;
            double err = absim_waterfall_run(&w, &c, r, orig_default, &res, path % 2 ? &tr : NULL);
            assert_true(fabs(err) <= 1e-9 * pool);
            for (int n = 0; n < w.ntranches; n++) {
                assert_true(res.loss[n] >= 0.0 && res.loss[n] <= 1.0);
                assert_true(res.pv_loss[n] >= 0.0 && res.pv_loss[n] <= 1.0);
                assert_true(res.wal[n] > 0.0 && res.wal[n] <= T / 12.0 + 1e-12);
                assert_true(res.first_loss[n] >= 0 && res.first_loss[n] <= T);
            }
            if (sequential)
                for (int n = 0; n < w.nnotes; n++)
                    if (res.loss[n] > 1e-12) {
                        checked_loss++;
                        for (int m = n + 1; m < w.nnotes; m++)
                            assert_close(res.loss[m], 1.0, 1e-12);
                    }
            if (path % 2) {
                /* trace: principal never above the balance, balances >= 0, and
                 * period by period cash in = cash out */
                double reserve = w.has_reserve ? w.reserve_initial : 0.0;
                for (int n = 0; n < w.nnotes; n++) {
                    double paid = 0.0;
                    for (int k = 0; k < T; k++) {
                        paid += tr.note_principal[(size_t)n * T + k];
                        assert_true(tr.note_balance[(size_t)n * T + k] >= 0.0);
                    }
                    assert_true(paid <= w.balance[n] * (1.0 + 1e-12));
                    assert_close(w.balance[n] - paid, res.loss[n] * w.balance[n], 1e-9 * pool);
                }
                for (int k = 0; k < T; k++) {
                    double out = tr.fees[k] + tr.residual[k];
                    for (int n = 0; n < w.nnotes; n++)
                        out += tr.note_interest[(size_t)n * T + k] + tr.note_principal[(size_t)n * T + k];
                    assert_close(tr.collections[k] + reserve - tr.reserve_balance[k], out, 1e-9 * pool);
                    reserve = tr.reserve_balance[k];
                }
            }
        }
        free(r);
        free(def);
        free(rec);
        absim_waterfall_trace_free(&tr);
        absim_collateral_free(&c);
        absim_pool_plan_free(&plan);
        absim_deal_free(&d);
    }
    assert_true(checked_loss > 10);
}

/* ---------------------------------------------------------------------------
 * A small deal by hand.
 *
 * Annual periods (period_months 12, dt = 1), T = 4. Pool: four bullet loans
 * of 25 (pool 100) at 8%, maturing in period 4.
 *   loan 1 prepays in full in period 1;
 *   loan 2 defaults in period 2 (balance 25), recovers 40% = 10 one period
 *   later (period 3), so its loss is 15.
 * Collateral (interest = 8% x performing start balance, defaulted loan pays
 * nothing in its default period):
 *   k  start  interest  sched  prepay  defaults  recoveries  end  pending
 *   1   100      8        0      25       0          0        75     0
 *   2    75      4        0       0      25          0        50    10
 *   3    50      4        0       0       0         10        50     0
 *   4    50      4       50       0       0          0         0     0
 * Structure: A 60 at 5%, B 20 at 10% (deferrable), residual E 20;
 * servicing fee 1% of the start performing balance; reserve initial 2,
 * target 2 (2% of 100); sequential; oc_target 0; OC trigger on A with
 * threshold 1.3; no clean-up call.
 *
 * Period 1: collections 8 + 25 = 33; reserve 2.
 *   fee 1% x 100 = 1            -> cash 32
 *   A interest 5% x 60 = 3      -> 29
 *   B interest 10% x 20 = 2     -> 27
 *   OC(A) = 75 / 60 = 1.25 < 1.3: breached -> all cash to A
 *   reserve at target; A principal 27 -> A = 33; residual 0.
 * Period 2: collections 4; reserve 2.
 *   fee 1% x 75 = 0.75          -> 3.25
 *   A interest 5% x 33 = 1.65   -> 1.60
 *   B interest 2: 1.60 from cash, 0.40 drawn from the reserve -> reserve 1.6
 *   OC(A) = 50 / 33 = 1.515 >= 1.3: cured; no cash for the top-up;
 *   principal wanted 53 - 50 = 3, no cash; residual 0.
 * Period 3: collections 4 + 10 = 14; reserve 1.6.
 *   fee 1% x 50 = 0.5           -> 13.5
 *   A 1.65                      -> 11.85
 *   B 2                         -> 9.85
 *   OC(A) = 50 / 33 passes; top-up 0.40 -> 9.45, reserve 2
 *   principal wanted 53 - 50 = 3 to A -> A = 30; residual 6.45.
 * Period 4 (T): collections 4 + 50 = 54, reserve released: cash 56.
 *   fee 0.5 -> 55.5; A 5% x 30 = 1.5 -> 54; B 2 -> 52
 *   OC(A) = 0 / 30: breached (reported)
 *   all cash to the notes in order: A 30 -> 22, B 20 -> 2; residual 2.
 * Totals: in = 2 + 33 + 4 + 14 + 54 = 107; out = fees 2.75 + A interest 7.8
 *   + B interest 8 + principal 80 + residual 8.45 = 107.
 * Results: A and B lose nothing; both were paid all their interest, so at
 *   their own rates PV = par and pv_loss = 0. WAL(A) = (27x1 + 3x3 + 30x4)
 *   / 60 = 2.6, WAL(B) = 4. Residual: cash 8.45 of 20, loss 0.5775; WAL of
 *   its cash (all counted as principal, below 20) = (6.45x3 + 2x4) / 8.45;
 *   IRR y with 6.45 (1+y)^-3 + 2 (1+y)^-4 = 20. First loss of the
 *   residual: at the end of period 2, notes 53 + residual 20 exceed the
 *   cover 50 + pending 10 + reserve 1.6 = 61.6 -> period 2. */
static void test_waterfall_hand_deal(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 4, 12, 1, 3, 1, 1);
    line_set(&d.lines[0], 4, 100.0, 0.08, 4, ABSIM_AMORT_BULLET, 0.0, 1);
    tranche_set(&d.structure.tranches[0], 60.0, 0.05, 0, 0.0, 0, 0);
    tranche_set(&d.structure.tranches[1], 20.0, 0.10, 0, 0.0, 1, 0);
    tranche_set(&d.structure.tranches[2], 20.0, 0.0, 0, 0.0, 0, 1);
    d.structure.fees[0].value = 0.01;
    d.structure.fees[0].is_servicing = 1;
    d.structure.has_reserve = 1;
    d.structure.reserve_initial = 0.02;
    d.structure.reserve_target = 0.02;
    d.structure.principal = ABSIM_PRINCIPAL_SEQUENTIAL;
    d.structure.triggers[0].type = ABSIM_TRIGGER_OC;
    d.structure.triggers[0].tranche = 0;
    d.structure.triggers[0].threshold = 1.3;

    absim_waterfall_plan w;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 4), ABSIM_OK);
    const double start[4] = {100, 75, 50, 50}, interest[4] = {8, 4, 4, 4}, sched[4] = {0, 0, 0, 50},
                 prepay[4] = {25, 0, 0, 0}, defaults[4] = {0, 25, 0, 0}, recov[4] = {0, 0, 10, 0},
                 end[4] = {75, 50, 50, 0}, pending[4] = {0, 10, 0, 0};
    for (int k = 0; k < 4; k++) {
        c.balance_start[k] = start[k];
        c.interest[k] = interest[k];
        c.sched_principal[k] = sched[k];
        c.prepayments[k] = prepay[k];
        c.principal[k] = sched[k] + prepay[k];
        c.defaults[k] = defaults[k];
        c.recoveries[k] = recov[k];
        c.losses[k] = k == 1 ? 15.0 : 0.0;
        c.balance_end[k] = end[k];
        c.pending[k] = pending[k];
    }
    double r[4] = {0.03, 0.03, 0.03, 0.03};
    absim_waterfall_trace tr;
    absim_waterfall_result res;
    assert_int_equal(absim_waterfall_trace_alloc(&tr, 4, 2), ABSIM_OK);
    double err = absim_waterfall_run(&w, &c, r, 0, &res, &tr);
    assert_close(err, 0.0, 1e-12);

    const double fees[4] = {1, 0.75, 0.5, 0.5}, reserve[4] = {2, 1.6, 2, 0}, residual[4] = {0, 0, 6.45, 2};
    const double a_int[4] = {3, 1.65, 1.65, 1.5}, a_prin[4] = {27, 0, 3, 30}, a_bal[4] = {33, 33, 30, 0};
    const double b_int[4] = {2, 2, 2, 2}, b_prin[4] = {0, 0, 0, 20}, b_bal[4] = {20, 20, 20, 0};
    const int breached[4] = {1, 0, 0, 1};
    for (int k = 0; k < 4; k++) {
        assert_close(tr.fees[k], fees[k], 1e-12);
        assert_close(tr.reserve_balance[k], reserve[k], 1e-12);
        assert_close(tr.residual[k], residual[k], 1e-12);
        assert_close(tr.note_interest[k], a_int[k], 1e-12);
        assert_close(tr.note_principal[k], a_prin[k], 1e-12);
        assert_close(tr.note_balance[k], a_bal[k], 1e-12);
        assert_close(tr.note_interest[4 + k], b_int[k], 1e-12);
        assert_close(tr.note_principal[4 + k], b_prin[k], 1e-12);
        assert_close(tr.note_balance[4 + k], b_bal[k], 1e-12);
        assert_close(tr.note_shortfall[k], 0.0, 1e-12);
        assert_close(tr.note_shortfall[4 + k], 0.0, 1e-12);
        assert_int_equal(tr.trigger_breached[k], breached[k]);
    }
    assert_close(res.loss[0], 0.0, 1e-12);
    assert_close(res.loss[1], 0.0, 1e-12);
    assert_close(res.loss[2], 1.0 - 8.45 / 20.0, 1e-12);
    assert_close(res.pv_loss[0], 0.0, 1e-12);
    assert_close(res.pv_loss[1], 0.0, 1e-12);
    assert_close(res.pv_loss[2], 1.0 - 8.45 / 20.0, 1e-12); /* residual: own rate 0 */
    assert_close(res.wal[0], 2.6, 1e-12);
    assert_close(res.wal[1], 4.0, 1e-12);
    assert_close(res.wal[2], (6.45 * 3 + 2 * 4) / 8.45, 1e-12);
    assert_int_equal(res.first_loss[0], 0);
    assert_int_equal(res.first_loss[1], 0);
    assert_int_equal(res.first_loss[2], 2);
    double y = res.residual_irr;
    assert_true(y > -1.0 && y < 0.0);
    assert_close(6.45 * pow(1.0 + y, -3) + 2.0 * pow(1.0 + y, -4), 20.0, 1e-9);
    assert_int_equal(res.end_period, 4);

    /* Without the trigger, period 1 pays A only what brings the notes to
     * the collateral (80 - 75 = 5) and 22 goes to the residual. */
    d.structure.ntriggers = 0;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    err = absim_waterfall_run(&w, &c, r, 0, &res, &tr);
    assert_close(err, 0.0, 1e-12);
    assert_close(tr.note_principal[0], 5.0, 1e-12);
    assert_close(tr.residual[0], 22.0, 1e-12);

    absim_waterfall_trace_free(&tr);
    absim_collateral_free(&c);
    absim_deal_free(&d);
}

/* ---------------------------------------------------------------------------
 * Pure subordination: no coupons, no fees, one period, bullet loans. A
 * tranche attaching at A and detaching at D loses
 * min(max(L - A, 0), D - A) / (D - A) of the pool loss L. */
static void test_waterfall_subordination(void **state)
{
    (void)state;
    lcg_state = 4242;
    absim_deal d;
    deal_init(&d, 1, 12, 1, 4, 0, 0);
    line_set(&d.lines[0], 1000, 1000.0, 0.0, 1, ABSIM_AMORT_BULLET, 0.0, 0);
    /* A 70 (30-100%), B 15 (15-30%), C 10 (5-15%), residual 5 (0-5%) */
    const double size[4] = {700, 150, 100, 50}, attach[4] = {0.30, 0.15, 0.05, 0.0};
    for (int n = 0; n < 4; n++)
        tranche_set(&d.structure.tranches[n], size[n], 0.0, 0, 0.0, 0, n == 3);
    absim_pool_plan plan;
    absim_waterfall_plan w;
    assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 1), ABSIM_OK);
    double r[1] = {0.02};
    for (int trial = 0; trial < 300; trial++) {
        int64_t def[1] = {(int64_t)(unif() * 1001)};
        if (def[0] > 1000)
            def[0] = 1000;
        double severity = trial % 10 == 0 ? 1.0 : unif();
        double rec[1] = {(double)def[0] * (1.0 - severity)};
        absim_pool_path(&plan, r, def, rec, &c);
        double L = (double)def[0] * severity / 1000.0;
        absim_waterfall_result res;
        double err = absim_waterfall_run(&w, &c, r, 0, &res, NULL);
        assert_close(err, 0.0, 1e-9);
        for (int n = 0; n < 4; n++) {
            double A = attach[n], D = A + size[n] / 1000.0;
            double expect = fmin(fmax(L - A, 0.0), D - A) / (D - A);
            assert_close(res.loss[n], expect, 1e-12);
        }
    }
    absim_collateral_free(&c);
    absim_pool_plan_free(&plan);
    absim_deal_free(&d);
}

/* A single collateral cash flow of `amount` at period k of a pool of
 * balance `pool` over T periods (everything else zero). */
static void collateral_single(absim_collateral *c, int T, double pool, int k, double amount)
{
    for (int i = 0; i < T; i++) {
        c->balance_start[i] = i < k ? pool : 0.0;
        c->balance_end[i] = i < k - 1 ? pool : 0.0;
        c->interest[i] = c->prepayments[i] = c->defaults[i] = c->recoveries[i] = c->losses[i] = c->pending[i] =
            0.0;
        c->sched_principal[i] = c->principal[i] = i == k - 1 ? amount : 0.0;
    }
}

/* Residual IRR: 100 in, 110 back after 12 monthly periods = 10% a year;
 * nothing back = -100%; no residual = NAN. */
static void test_waterfall_residual_irr(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 24, 1, 1, 1, 0, 0);
    line_set(&d.lines[0], 1, 100.0, 0.0, 12, ABSIM_AMORT_BULLET, 0.0, 0);
    tranche_set(&d.structure.tranches[0], 100.0, 0.0, 0, 0.0, 0, 1);
    absim_waterfall_plan w;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 24), ABSIM_OK);
    double r[24] = {0};
    absim_waterfall_result res;
    collateral_single(&c, 24, 100.0, 12, 110.0);
    absim_waterfall_run(&w, &c, r, 0, &res, NULL);
    assert_close(res.residual_irr, 0.10, 1e-10);
    assert_close(res.loss[0], 0.0, 0.0);
    assert_close(res.wal[0], 1.0, 1e-12);
    collateral_single(&c, 24, 100.0, 24, 50.0);
    absim_waterfall_run(&w, &c, r, 0, &res, NULL);
    assert_close(res.residual_irr, sqrt(0.5) - 1.0, 1e-10);
    assert_close(res.loss[0], 0.5, 1e-15);
    collateral_single(&c, 24, 100.0, 24, 0.0);
    absim_waterfall_run(&w, &c, r, 0, &res, NULL);
    assert_close(res.residual_irr, -1.0, 0.0);
    assert_close(res.wal[0], 2.0, 1e-12); /* no principal: T x dt */
    assert_int_equal(res.first_loss[0], 24); /* the pool performed until then */

    d.structure.tranches[0].residual = 0; /* one note, no residual */
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    collateral_single(&c, 24, 100.0, 12, 100.0);
    absim_waterfall_run(&w, &c, r, 0, &res, NULL);
    assert_true(isnan(res.residual_irr));
    absim_collateral_free(&c);
    absim_deal_free(&d);
}

/* Floating note paid on schedule is worth par at its own rate; a missed
 * coupon of a non-deferrable note is a shortfall, not carried. */
static void test_waterfall_floating_and_shortfall(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 3, 12, 1, 1, 0, 0);
    tranche_set(&d.structure.tranches[0], 100.0, 0.0, 1, 0.02, 0, 0);
    absim_waterfall_plan w;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 3), ABSIM_OK);
    double r[3] = {0.01, 0.03, 0.05};
    /* interest exactly covers (r+2%) x 100 each year, principal at T */
    for (int k = 0; k < 3; k++) {
        c.balance_start[k] = 100.0;
        c.balance_end[k] = k < 2 ? 100.0 : 0.0;
        c.interest[k] = (r[k] + 0.02) * 100.0;
        c.sched_principal[k] = c.principal[k] = k == 2 ? 100.0 : 0.0;
        c.prepayments[k] = c.defaults[k] = c.recoveries[k] = c.losses[k] = c.pending[k] = 0.0;
    }
    absim_waterfall_result res;
    absim_waterfall_trace tr;
    assert_int_equal(absim_waterfall_trace_alloc(&tr, 3, 1), ABSIM_OK);
    assert_close(absim_waterfall_run(&w, &c, r, 0, &res, &tr), 0.0, 1e-12);
    assert_close(res.pv_loss[0], 0.0, 1e-14);
    assert_close(res.wal[0], 3.0, 1e-14);
    assert_close(tr.note_interest[1], 5.0, 1e-12);
    /* period 2 pays only 1 of the 5 due: 4 missed for good */
    c.interest[1] = 1.0;
    assert_close(absim_waterfall_run(&w, &c, r, 0, &res, &tr), 0.0, 1e-12);
    assert_close(tr.note_shortfall[1], 4.0, 1e-12);
    assert_close(tr.note_interest[2], 7.0, 1e-12); /* not carried */
    assert_close(res.shortfall[0], 0.04, 1e-14);
    assert_close(res.loss[0], 0.0, 0.0);
    assert_int_equal(res.first_loss[0], 2);
    assert_true(res.pv_loss[0] > 0.0);
    /* deferrable: carried and paid in period 3 out of the extra cash */
    d.structure.tranches[0].deferrable = 1;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    c.interest[2] = 7.0 + 4.0;
    assert_close(absim_waterfall_run(&w, &c, r, 0, &res, &tr), 0.0, 1e-12);
    assert_close(tr.note_shortfall[1], 4.0, 1e-12);
    assert_close(tr.note_interest[2], 11.0, 1e-12);
    assert_close(tr.note_shortfall[2], 0.0, 1e-12);
    assert_close(res.shortfall[0], 0.0, 1e-14);
    assert_int_equal(res.first_loss[0], 0);
    absim_waterfall_trace_free(&tr);
    absim_collateral_free(&c);
    absim_deal_free(&d);
}

/* Clean-up call: the period the performing balance falls below 10% of the
 * pool, the rest is sold at par, loans awaiting recovery for their pending
 * recoveries, and the deal ends. */
static void test_waterfall_clean_up_call(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 6, 12, 1, 2, 0, 0);
    tranche_set(&d.structure.tranches[0], 90.0, 0.0, 0, 0.0, 0, 0);
    tranche_set(&d.structure.tranches[1], 10.0, 0.0, 0, 0.0, 0, 1);
    d.lines[0].balance = 100.0;
    d.structure.clean_up_call = 0.10;
    absim_waterfall_plan w;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 6), ABSIM_OK);
    /* 30 a period amortizes; a loan of 4 defaults in period 3 and would
     * recover 3 in period 5; end balances 70, 40, 6 (< 10: call in 3) */
    const double start[6] = {100, 70, 40, 6, 0, 0}, sched[6] = {30, 30, 30, 6, 0, 0},
                 end[6] = {70, 40, 6, 0, 0, 0}, recov[6] = {0, 0, 0, 0, 3, 0}, pending[6] = {0, 0, 3, 3, 0, 0};
    for (int k = 0; k < 6; k++) {
        c.balance_start[k] = start[k];
        c.sched_principal[k] = c.principal[k] = sched[k];
        c.balance_end[k] = end[k];
        c.recoveries[k] = recov[k];
        c.pending[k] = pending[k];
        c.interest[k] = c.prepayments[k] = c.losses[k] = 0.0;
        c.defaults[k] = k == 2 ? 4.0 : 0.0;
    }
    double r[6] = {0};
    absim_waterfall_result res;
    absim_waterfall_trace tr;
    assert_int_equal(absim_waterfall_trace_alloc(&tr, 6, 1), ABSIM_OK);
    assert_close(absim_waterfall_run(&w, &c, r, 0, &res, &tr), 0.0, 1e-12);
    assert_int_equal(res.end_period, 3);
    assert_close(tr.sale_performing[2], 6.0, 1e-12);
    assert_close(tr.sale_recoveries[2], 3.0, 1e-12);
    /* notes are paid down to the collateral: period 1 pays 90 - 70 = 20
     * (10 to the residual), period 2 all 30 (note 40 left); period 3 has
     * 30 + 6 + 3 = 39 for the note: 1 is never paid. */
    assert_close(tr.note_principal[0], 20.0, 1e-12);
    assert_close(tr.residual[0], 10.0, 1e-12);
    assert_close(tr.note_principal[1], 30.0, 1e-12);
    assert_close(tr.note_principal[2], 39.0, 1e-12);
    assert_close(tr.residual[2], 0.0, 1e-12);
    for (int k = 3; k < 6; k++) {
        assert_close(tr.collections[k], 0.0, 0.0);
        assert_close(tr.residual[k], 0.0, 0.0);
        assert_close(tr.note_balance[k], 1.0, 1e-12);
    }
    assert_close(res.loss[0], 1.0 / 90.0, 1e-12);
    assert_close(res.loss[1], 0.0, 1e-12);
    assert_int_equal(res.first_loss[0], 3);
    absim_waterfall_trace_free(&tr);
    absim_collateral_free(&c);
    absim_deal_free(&d);
}

/* Isolation: with true sale the default period loses the commingled
 * fraction and the servicing fee steps up; without true sale nothing comes
 * in during the stay, then estate_recovery of the held and later cash. */
static void test_waterfall_isolation(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 6, 1, 1, 1, 1, 0);
    tranche_set(&d.structure.tranches[0], 60.0, 0.0, 0, 0.0, 0, 1);
    d.structure.fees[0].value = 0.12; /* 1% of the start balance a month */
    d.structure.fees[0].is_servicing = 1;
    d.isolation.enabled = 1;
    d.isolation.true_sale = 1;
    d.isolation.commingling_days = 15.21875; /* half a month */
    d.isolation.backup_servicer_fee = 0.24;
    d.isolation.stay_periods = 2;
    d.isolation.estate_recovery = 0.5;
    absim_waterfall_plan w;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    assert_close(w.commingling_fraction, 0.5, 1e-15);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 6), ABSIM_OK);
    for (int k = 0; k < 6; k++) {
        c.balance_start[k] = 60.0 - 10.0 * k;
        c.balance_end[k] = 50.0 - 10.0 * k;
        c.sched_principal[k] = c.principal[k] = 10.0;
        c.interest[k] = c.prepayments[k] = c.defaults[k] = c.recoveries[k] = c.losses[k] = c.pending[k] = 0.0;
    }
    double r[6] = {0};
    absim_waterfall_result res;
    absim_waterfall_trace tr;
    assert_int_equal(absim_waterfall_trace_alloc(&tr, 6, 0), ABSIM_OK);
    assert_close(absim_waterfall_run(&w, &c, r, 3, &res, &tr), 0.0, 1e-12);
    assert_close(tr.collections[2], 5.0, 1e-12);
    assert_close(tr.collections_lost[2], 5.0, 1e-12);
    assert_close(res.collections_lost, 5.0, 1e-12);
    assert_close(tr.fees[1], 0.01 * 50.0, 1e-12);
    assert_close(tr.fees[2], 0.02 * 40.0, 1e-12);
    assert_close(tr.fees[3], 0.02 * 30.0, 1e-12);

    /* no true sale: default in 3, stay 2: periods 3, 4 frozen; period 5
     * gets 0.5 x (10 + 10 + 10) = 15; period 6 gets 5. */
    assert_int_equal(absim_waterfall_plan_init(&w, &d, 0), ABSIM_OK);
    assert_close(absim_waterfall_run(&w, &c, r, 3, &res, &tr), 0.0, 1e-12);
    assert_close(tr.collections[2], 0.0, 0.0);
    assert_close(tr.collections[3], 0.0, 0.0);
    assert_close(tr.collections[4], 15.0, 1e-12);
    assert_close(tr.collections[5], 5.0, 1e-12);
    assert_close(res.collections_lost, 20.0, 1e-12);
    /* the fee keeps its rate; unpaid during the stay, carried and paid in 5 */
    assert_close(tr.fees[3], 0.0, 0.0);
    assert_close(tr.fees[4], 0.01 * (40.0 + 30.0 + 20.0), 1e-12);
    /* a stay running past T is released at T */
    assert_close(absim_waterfall_run(&w, &c, r, 6, &res, &tr), 0.0, 1e-12);
    assert_close(tr.collections[5], 5.0, 1e-12);
    assert_close(absim_waterfall_run(&w, &c, r, 5, &res, &tr), 0.0, 1e-12);
    assert_close(tr.collections[4], 0.0, 0.0);
    assert_close(tr.collections[5], 10.0, 1e-12);
    absim_waterfall_trace_free(&tr);
    absim_collateral_free(&c);
    absim_deal_free(&d);
}

/* A cumulative-loss trigger stays breached and forces sequential pay on a
 * pro rata deal; bad plans are rejected. */
static void test_waterfall_cumulative_loss_trigger(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 4, 12, 1, 2, 0, 1);
    tranche_set(&d.structure.tranches[0], 50.0, 0.0, 0, 0.0, 0, 0);
    tranche_set(&d.structure.tranches[1], 50.0, 0.0, 0, 0.0, 0, 0);
    d.structure.principal = ABSIM_PRINCIPAL_PRO_RATA;
    d.structure.triggers[0].type = ABSIM_TRIGGER_CUMLOSS;
    d.structure.triggers[0].tranche = -1;
    d.structure.triggers[0].threshold = 0.05;
    d.lines[0].balance = 100.0;
    absim_waterfall_plan w;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 4), ABSIM_OK);
    /* 20 a period amortizes; 6 defaults in period 1 (6% > 5%) */
    const double start[4] = {100, 74, 54, 34}, end[4] = {74, 54, 34, 14};
    for (int k = 0; k < 4; k++) {
        c.balance_start[k] = start[k];
        c.balance_end[k] = end[k];
        c.sched_principal[k] = c.principal[k] = 20.0;
        c.defaults[k] = k == 0 ? 6.0 : 0.0;
        c.interest[k] = c.prepayments[k] = c.recoveries[k] = c.losses[k] = c.pending[k] = 0.0;
    }
    double r[4] = {0};
    absim_waterfall_result res;
    absim_waterfall_trace tr;
    assert_int_equal(absim_waterfall_trace_alloc(&tr, 4, 2), ABSIM_OK);
    assert_close(absim_waterfall_run(&w, &c, r, 0, &res, &tr), 0.0, 1e-12);
    for (int k = 0; k < 4; k++)
        assert_int_equal(tr.trigger_breached[k], 1);
    assert_close(tr.note_principal[0], 20.0, 1e-12);
    assert_close(tr.note_principal[4], 0.0, 1e-12);
    /* without the trigger: pro rata */
    d.structure.triggers[0].threshold = 0.10;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_OK);
    assert_close(absim_waterfall_run(&w, &c, r, 0, &res, &tr), 0.0, 1e-12);
    assert_close(tr.note_principal[0], 10.0, 1e-12);
    assert_close(tr.note_principal[4], 10.0, 1e-12);
    assert_int_equal(tr.trigger_breached[0], 0);
    /* pro rata: T pays in order, so the junior note takes the loss */
    assert_close(res.loss[0], 0.0, 1e-12);
    assert_true(res.loss[1] > 0.0);

    d.periods = ABSIM_MAX_PERIODS + 1;
    assert_int_equal(absim_waterfall_plan_init(&w, &d, -1), ABSIM_EINVAL);
    absim_waterfall_trace_free(&tr);
    absim_collateral_free(&c);
    d.periods = 4;
    absim_deal_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waterfall_random_invariants),
        cmocka_unit_test(test_waterfall_hand_deal),
        cmocka_unit_test(test_waterfall_subordination),
        cmocka_unit_test(test_waterfall_residual_irr),
        cmocka_unit_test(test_waterfall_floating_and_shortfall),
        cmocka_unit_test(test_waterfall_clean_up_call),
        cmocka_unit_test(test_waterfall_isolation),
        cmocka_unit_test(test_waterfall_cumulative_loss_trigger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
