/* test_pool.c -- unit tests of the pool kernel (kernels/pool.c).
 *
 * The kernel's aggregated computation (no-default totals minus defaulted
 * loans times per-loan profiles) is checked against a naive loan-by-loan,
 * period-by-period simulation written here from first principles (annuity
 * payment, straight-line and bullet schedules, SMM on the balance left
 * after scheduled principal) on random deals and random default patterns. */
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
#include "rng.h"
#include "status.h"

/* Small deterministic generator for test data (not the model's RNG). */
static uint64_t lcg_state;
static double unif(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) * (1.0 / 9007199254740992.0);
}

static void deal_init(absim_deal *d, int T, int period_months, int nlines)
{
    memset(d, 0, sizeof *d);
    d->periods = T;
    d->period_months = period_months;
    d->nlines = nlines;
    d->lines = calloc((size_t)nlines, sizeof *d->lines);
    assert_non_null(d->lines);
    d->rates.r0 = 0.03;
}

static void line_set(absim_line *l, int64_t count, double balance, double coupon, int floating, double spread,
                     int term, absim_amort amort, double cpr, int lag)
{
    memset(l, 0, sizeof *l);
    l->count = count;
    l->balance = balance;
    l->coupon = floating ? 0.0 : coupon;
    l->floating = floating;
    l->spread = floating ? spread : 0.0;
    l->term = term;
    l->amortization = amort;
    l->law = ABSIM_LAW_PD;
    l->law_value = 0.02;
    l->recovery_mean = 0.4;
    l->recovery_lag = lag;
    l->prepay = cpr > 0.0 ? ABSIM_PREPAY_CPR : ABSIM_PREPAY_NONE;
    l->prepay_value = cpr;
}

/* Scheduled principal of a loan with balance b, periodic rate i and m
 * periods left (m >= 1), from first principles. */
static double naive_sched(absim_amort amort, double b, double i, int m)
{
    if (m <= 0)
        return 0.0;
    switch (amort) {
    case ABSIM_AMORT_BULLET:
        return m == 1 ? b : 0.0;
    case ABSIM_AMORT_LEVEL:
        if (i > 0.0) {
            double payment = b * i / (1.0 - pow(1.0 + i, -m));
            return payment - b * i;
        }
        return b / m;
    case ABSIM_AMORT_LINEAR:
    default:
        return b / m;
    }
}

/* The collateral of the deal computed loan by loan. tau[l][i] = default
 * period of loan i of line l (0 = never), rate[l][i] its recovery rate. */
static void naive_pool(const absim_deal *d, const double *r, int *const *tau, double *const *rate, absim_collateral *c)
{
    const int T = d->periods;
    const double dt = d->period_months / 12.0;
    for (int k = 0; k < T; k++)
        c->balance_start[k] = c->balance_end[k] = c->interest[k] = c->sched_principal[k] = c->prepayments[k] =
            c->defaults[k] = c->recoveries[k] = c->losses[k] = 0.0;
    for (int l = 0; l < d->nlines; l++) {
        const absim_line *line = &d->lines[l];
        double smm = line->prepay == ABSIM_PREPAY_CPR ? 1.0 - pow(1.0 - line->prepay_value, d->period_months / 12.0)
                                                      : 0.0;
        double sched_rate = (line->floating ? fmax(0.0, d->rates.r0 + line->spread) : line->coupon) * dt;
        for (int64_t i = 0; i < line->count; i++) {
            double b = line->balance / (double)line->count;
            for (int k = 1; k <= T; k++) {
                c->balance_start[k - 1] += b;
                if (tau[l][i] == k) {
                    double cash = rate[l][i] * b;
                    int when = k + line->recovery_lag < T ? k + line->recovery_lag : T;
                    c->defaults[k - 1] += b;
                    c->recoveries[when - 1] += cash;
                    c->losses[k - 1] += b - cash;
                    b = 0.0;
                    break;
                }
                double coupon = line->floating ? fmax(0.0, r[k - 1] + line->spread) : line->coupon;
                c->interest[k - 1] += coupon * dt * b;
                double s = naive_sched(line->amortization, b, sched_rate, line->term - k + 1);
                double p = smm * (b - s);
                c->sched_principal[k - 1] += s;
                c->prepayments[k - 1] += p;
                b -= s + p;
                c->balance_end[k - 1] += b;
            }
        }
    }
}

static void test_pool_schedule_level(void **state)
{
    (void)state;
    absim_line l;
    line_set(&l, 1, 1.0, 0.06, 0, 0.0, 12, ABSIM_AMORT_LEVEL, 0.0, 0);
    double sch[16];
    absim_pool_schedule(&l, 15, 1.0 / 12.0, 0.0, sch);
    /* balance of a 12-month 6% annuity after k payments: (q^12 - q^k)/(q^12 - 1) */
    double q = 1.005;
    for (int k = 0; k <= 15; k++) {
        double expect = k >= 12 ? 0.0 : (pow(q, 12) - pow(q, k)) / (pow(q, 12) - 1.0);
        assert_close(sch[k], expect, 1e-14);
    }
    l.amortization = ABSIM_AMORT_BULLET;
    absim_pool_schedule(&l, 15, 1.0 / 12.0, 0.0, sch);
    assert_close(sch[11], 1.0, 0.0);
    assert_close(sch[12], 0.0, 0.0);
}

/* Random deals, random default patterns: kernel == naive to rounding. */
static void test_pool_matches_naive(void **state)
{
    (void)state;
    lcg_state = 12345;
    for (int trial = 0; trial < 40; trial++) {
        int T = 1 + (int)(unif() * 30), pm = trial % 3 == 0 ? 3 : 1, nlines = 1 + (int)(unif() * 4);
        absim_deal d;
        deal_init(&d, T, pm, nlines);
        d.rates.r0 = 0.01 + 0.04 * unif();
        for (int l = 0; l < nlines; l++) {
            int floating = unif() < 0.3;
            /* odd trials: every floating coupon positive (the unfloored
             * path of absim_pool_path_events); even: floors in play */
            line_set(&d.lines[l], 1 + (int64_t)(unif() * 12), 1000.0 + 1e5 * unif(), 0.1 * unif(), floating,
                     trial % 2 ? 0.001 + 0.03 * unif() : -0.02 + 0.05 * unif(), 1 + (int)(unif() * (T + 6)), (absim_amort)(int)(unif() * 3),
                     unif() < 0.7 ? 0.3 * unif() : 0.0, (int)(unif() * 5));
        }
        absim_pool_plan plan;
        assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
        double *r = malloc((size_t)T * sizeof *r);
        int64_t *def = calloc((size_t)nlines * T, sizeof *def);
        double *rec = calloc((size_t)nlines * T, sizeof *rec);
        int **tau = calloc((size_t)nlines, sizeof *tau);
        double **rate = calloc((size_t)nlines, sizeof *rate);
        assert_true(r && def && rec && tau && rate);
        for (int k = 0; k < T; k++)
            r[k] = trial % 2 ? 0.07 * unif() : -0.01 + 0.07 * unif(); /* negative: floored coupons */
        for (int l = 0; l < nlines; l++) {
            tau[l] = calloc((size_t)d.lines[l].count, sizeof **tau);
            rate[l] = calloc((size_t)d.lines[l].count, sizeof **rate);
            for (int64_t i = 0; i < d.lines[l].count; i++) {
                if (unif() < 0.5) {
                    tau[l][i] = 1 + (int)(unif() * T);
                    rate[l][i] = unif();
                    def[(size_t)l * T + tau[l][i] - 1] += 1;
                    rec[(size_t)l * T + tau[l][i] - 1] += rate[l][i];
                }
            }
            /* stale recovery sums where nothing defaults must be ignored */
            for (int k = 0; k < T; k++)
                if (def[(size_t)l * T + k] == 0)
                    rec[(size_t)l * T + k] = 99.0;
        }
        absim_collateral got, want, ev;
        assert_int_equal(absim_collateral_alloc(&got, T), ABSIM_OK);
        assert_int_equal(absim_collateral_alloc(&want, T), ABSIM_OK);
        assert_int_equal(absim_collateral_alloc(&ev, T), ABSIM_OK);
        absim_pool_path(&plan, r, def, rec, &got);
        naive_pool(&d, r, tau, rate, &want);
        /* the same defaults as sparse events */
        int nev = 0, ev_line[4 * 40], ev_period[4 * 40];
        int64_t ev_count[4 * 40];
        double ev_rec[4 * 40];
        for (int l = 0; l < nlines; l++)
            for (int k = 0; k < T; k++)
                if (def[(size_t)l * T + k] > 0) {
                    ev_line[nev] = l;
                    ev_period[nev] = k + 1;
                    ev_count[nev] = def[(size_t)l * T + k];
                    ev_rec[nev] = rec[(size_t)l * T + k];
                    nev++;
                }
        absim_pool_path_events(&plan, r, nev, ev_line, ev_period, ev_count, ev_rec, &ev);
        /* with a horizon H: periods 1..H (and H's end balance) unchanged,
         * defaults, recoveries, losses and pending unchanged everywhere */
        absim_collateral hz;
        assert_int_equal(absim_collateral_alloc(&hz, T), ABSIM_OK);
        const int H = 1 + T / 2;
        absim_pool_set_horizon(&plan, H);
        assert_int_equal(plan.horizon, H < T ? H : T);
        absim_pool_path_events(&plan, r, nev, ev_line, ev_period, ev_count, ev_rec, &hz);
        absim_pool_set_horizon(&plan, T);
        for (int k = 0; k < T; k++) {
            if (k < H) {
                assert_true(hz.balance_start[k] == ev.balance_start[k]);
                assert_true(hz.balance_end[k] == ev.balance_end[k]);
                assert_true(hz.interest[k] == ev.interest[k]);
                assert_true(hz.principal[k] == ev.principal[k]);
            }
            assert_true(hz.defaults[k] == ev.defaults[k]);
            assert_true(hz.recoveries[k] == ev.recoveries[k]);
            assert_true(hz.losses[k] == ev.losses[k]);
            assert_true(hz.pending[k] == ev.pending[k]);
        }
        absim_collateral_free(&hz);
        double tol = 1e-9 * plan.original_balance;
        double drawn = 0.0, received = 0.0;
        for (int k = 0; k < T; k++) {
            assert_close(ev.balance_start[k], want.balance_start[k], tol);
            assert_close(ev.balance_end[k], want.balance_end[k], tol);
            assert_close(ev.interest[k], want.interest[k], tol);
            assert_close(ev.principal[k], want.sched_principal[k] + want.prepayments[k], tol);
            assert_close(ev.balance_start[k] - ev.defaults[k] - ev.principal[k], ev.balance_end[k], tol);
            assert_close(ev.defaults[k], want.defaults[k], tol);
            assert_close(ev.recoveries[k], want.recoveries[k], tol);
            assert_close(ev.losses[k], want.losses[k], tol);
            assert_close(ev.pending[k], got.pending[k], tol);
            assert_close(got.balance_start[k], want.balance_start[k], tol);
            assert_close(got.balance_end[k], want.balance_end[k], tol);
            assert_close(got.interest[k], want.interest[k], tol);
            assert_close(got.sched_principal[k], want.sched_principal[k], tol);
            assert_close(got.prepayments[k], want.prepayments[k], tol);
            assert_true(got.principal[k] == got.sched_principal[k] + got.prepayments[k]);
            assert_close(got.defaults[k], want.defaults[k], tol);
            assert_close(got.recoveries[k], want.recoveries[k], tol);
            assert_close(got.losses[k], want.losses[k], tol);
            /* balance identity and pending recoveries */
            assert_close(got.balance_start[k] - got.defaults[k] - got.sched_principal[k] - got.prepayments[k],
                         got.balance_end[k], tol);
            drawn += want.defaults[k] - want.losses[k];
            received += want.recoveries[k];
            assert_close(got.pending[k], k == T - 1 ? 0.0 : drawn - received, tol);
        }
        absim_collateral_free(&got);
        absim_collateral_free(&want);
        absim_collateral_free(&ev);
        for (int l = 0; l < nlines; l++) {
            free(tau[l]);
            free(rate[l]);
        }
        free(tau);
        free(rate);
        free(r);
        free(def);
        free(rec);
        absim_pool_plan_free(&plan);
        absim_deal_free(&d);
    }
}

/* Without defaults the path is the precomputed totals; the balance runs off
 * exactly by the term. */
static void test_pool_no_defaults(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 24, 1, 2);
    line_set(&d.lines[0], 100, 1e6, 0.06, 0, 0.0, 24, ABSIM_AMORT_LEVEL, 0.1, 3);
    line_set(&d.lines[1], 50, 5e5, 0.0, 1, 0.02, 12, ABSIM_AMORT_LINEAR, 0.0, 0);
    absim_pool_plan plan;
    assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
    assert_close(plan.original_balance, 1.5e6, 1e-6);
    double r[24];
    int64_t def[48] = {0};
    double rec[48] = {0};
    for (int k = 0; k < 24; k++)
        r[k] = 0.03;
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 24), ABSIM_OK);
    absim_pool_path(&plan, r, def, rec, &c);
    double principal = 0.0;
    for (int k = 0; k < 24; k++) {
        principal += c.sched_principal[k] + c.prepayments[k];
        assert_close(c.defaults[k], 0.0, 0.0);
        assert_close(c.recoveries[k], 0.0, 0.0);
    }
    assert_close(principal, 1.5e6, 1e-6);
    assert_close(c.balance_end[23], 0.0, 1e-6);
    assert_close(c.balance_end[11], c.balance_start[12], 1e-9);
    /* linear floating line: 500000/12 a month, interest (0.03+0.02)/12 on the balance */
    assert_close(c.interest[0], 1e6 * 0.005 + 5e5 * 0.05 / 12.0, 1e-6);
    /* cpr multiplier 0 removes prepayments */
    absim_pool_plan_free(&plan);
    assert_int_equal(absim_pool_plan_init(&plan, &d, 0.0), ABSIM_OK);
    absim_pool_path(&plan, r, def, rec, &c);
    for (int k = 0; k < 24; k++)
        assert_close(c.prepayments[k], 0.0, 0.0);
    absim_collateral_free(&c);
    absim_pool_plan_free(&plan);
    absim_deal_free(&d);
}

/* Recovery timing: default in k with lag L arrives in min(k + L, T); with
 * lag 0 in k itself; the defaulted principal is the start-of-k balance. */
static void test_pool_recovery_timing(void **state)
{
    (void)state;
    absim_deal d;
    deal_init(&d, 6, 12, 1);
    line_set(&d.lines[0], 4, 400.0, 0.10, 0, 0.0, 4, ABSIM_AMORT_LINEAR, 0.0, 3);
    absim_pool_plan plan;
    assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
    double r[6] = {0};
    int64_t def[6] = {0, 1, 0, 0, 1, 0}; /* one loan in period 2, one in period 5 (matured: 0 balance) */
    double rec[6] = {0, 0.5, 0, 0, 0.5, 0};
    absim_collateral c;
    assert_int_equal(absim_collateral_alloc(&c, 6), ABSIM_OK);
    absim_pool_path(&plan, r, def, rec, &c);
    /* loan balance at start of period 2: 100 x 3/4 = 75 */
    assert_close(c.defaults[1], 75.0, 1e-12);
    assert_close(c.losses[1], 37.5, 1e-12);
    assert_close(c.recoveries[4], 37.5, 1e-12); /* 2 + 3 = 5 */
    assert_close(c.pending[1], 37.5, 1e-12);
    assert_close(c.pending[3], 37.5, 1e-12);
    assert_close(c.pending[4], 0.0, 1e-12);
    /* period 2: three performing loans pay 10% on 75 each, and 25 each */
    assert_close(c.interest[1], 3 * 7.5, 1e-12);
    assert_close(c.sched_principal[1], 75.0, 1e-12);
    assert_close(c.balance_start[1], 300.0, 1e-12);
    assert_close(c.balance_end[1], 150.0, 1e-12);
    assert_close(c.defaults[4], 0.0, 1e-12);
    absim_collateral_free(&c);
    absim_pool_plan_free(&plan);
    /* lag beyond T: at T */
    d.lines[0].recovery_lag = 10;
    assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
    assert_int_equal(absim_collateral_alloc(&c, 6), ABSIM_OK);
    absim_pool_path(&plan, r, def, rec, &c);
    assert_close(c.recoveries[5], 37.5, 1e-12);
    assert_close(c.pending[5], 0.0, 0.0);
    absim_collateral_free(&c);
    absim_pool_plan_free(&plan);
    absim_deal_free(&d);
}

/* The event path on every route the CPU has gives bitwise the same
 * collateral: lines of one and of many loans (defaults in consecutive
 * periods and apart), fixed and floating, terms shorter and longer than
 * the deal, runs of every length and alignment, with and without a
 * horizon; T not a multiple of the grid. */
static void test_pool_routes(void **state)
{
    (void)state;
    lcg_state = 77;
    const int Ts[] = {1, 7, 13, 60, 61, 123};
    for (size_t t = 0; t < sizeof Ts / sizeof Ts[0]; t++)
        for (int trial = 0; trial < 30; trial++) {
            const int T = Ts[t], nlines = 40;
            absim_deal d;
            deal_init(&d, T, 1, nlines);
            for (int l = 0; l < nlines; l++)
                line_set(&d.lines[l], l % 3 ? 1 : 1 + (int64_t)(unif() * 20), 1000.0 + 1e5 * unif(), 0.1 * unif(),
                         unif() < 0.45, 0.001 + 0.03 * unif(), 1 + (int)(unif() * (T + 6)),
                         (absim_amort)(int)(unif() * 3), unif() < 0.7 ? 0.3 * unif() : 0.0, (int)(unif() * 5));
            absim_pool_plan plan;
            assert_int_equal(absim_pool_plan_init(&plan, &d, 1.0), ABSIM_OK);
            if (trial % 3 == 1)
                absim_pool_set_horizon(&plan, 1 + (int)(unif() * T));
            double r[123];
            for (int k = 0; k < T; k++)
                r[k] = 0.07 * unif(); /* no floored coupon: the vectorised path */
            int ev_line[40 * 123], ev_period[40 * 123], nev = 0;
            int64_t ev_count[40 * 123];
            double ev_rec[40 * 123];
            for (int l = 0; l < nlines; l++) {
                const double p_def = unif() < 0.5 ? 0.05 : 0.6; /* sparse, or runs of periods */
                for (int k = 1; k <= T; k++)
                    if (unif() < p_def && (d.lines[l].count > 1 || nev == 0 || ev_line[nev - 1] != l)) {
                        ev_line[nev] = l;
                        ev_period[nev] = k;
                        ev_count[nev] = d.lines[l].count > 1 ? 1 + (int64_t)(unif() * 3) : 1;
                        ev_rec[nev] = unif();
                        nev++;
                    }
            }
            absim_collateral ref, got;
            assert_int_equal(absim_collateral_alloc(&ref, T), ABSIM_OK);
            assert_int_equal(absim_collateral_alloc(&got, T), ABSIM_OK);
            absim_pool_path_events_route(&plan, r, nev, ev_line, ev_period, ev_count, ev_rec, &ref,
                                         ABSIM_LOAN_ROUTE_SCALAR);
            for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= absim_rng_loan_route_best(); route++) {
                /* stale values from another path in the scratch first */
                absim_pool_path_events_route(&plan, r, nev / 2, ev_line, ev_period, ev_count, ev_rec, &got, route);
                absim_pool_path_events_route(&plan, r, nev, ev_line, ev_period, ev_count, ev_rec, &got, route);
                const int upto = plan.horizon < T ? plan.horizon : T; /* later periods are unspecified */
                assert_memory_equal(got.balance_start, ref.balance_start, (size_t)upto * sizeof(double));
                assert_memory_equal(got.balance_end, ref.balance_end, (size_t)upto * sizeof(double));
                assert_memory_equal(got.interest, ref.interest, (size_t)upto * sizeof(double));
                assert_memory_equal(got.principal, ref.principal, (size_t)upto * sizeof(double));
                assert_memory_equal(got.defaults, ref.defaults, (size_t)T * sizeof(double));
                assert_memory_equal(got.recoveries, ref.recoveries, (size_t)T * sizeof(double));
                assert_memory_equal(got.losses, ref.losses, (size_t)T * sizeof(double));
                assert_memory_equal(got.pending, ref.pending, (size_t)T * sizeof(double));
            }
            absim_collateral_free(&ref);
            absim_collateral_free(&got);
            absim_pool_plan_free(&plan);
            free(d.lines);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_schedule_level),
        cmocka_unit_test(test_pool_matches_naive),
        cmocka_unit_test(test_pool_no_defaults),
        cmocka_unit_test(test_pool_recovery_timing),
        cmocka_unit_test(test_pool_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
