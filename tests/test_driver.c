/* test_driver.c -- whole Monte Carlo runs against closed forms.
 *
 * 1. Vasicek large pool: a homogeneous pool of one-period zero-coupon
 *    bullet loans with fixed recovery and pure subordination (no coupons,
 *    no fees, no residual). Every tranche's expected loss and the pool loss
 *    quantiles are compared with an independent numerical integration of
 *    the large-pool (Vasicek) law, within 4 reported standard errors plus
 *    the finite-pool granularity.
 * 2. A finite heterogeneous pool (50 loans, different PDs and exposures):
 *    the exact loss distribution by conditional independence (recursion
 *    over loans on a grid of the factor) gives tranche ELs and tail
 *    probabilities checked within Monte Carlo error.
 * 3. Reproducibility: 1 and 2 threads give bitwise identical summaries.
 * 4. The pool horizon (periods after a certain clean-up call are not
 *    reduced by defaults) leaves every path's results bitwise unchanged.
 * 5. A defaulted one-loan line's recovery is drawn from its RECOVERY
 *    stream started with its Philox4x32 block (rng.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <Random123/philox.h>

#include "config.h"
#include "driver.h"
#include "path.h"
#include "status.h"
#include "testutil.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void load(absim_deal *deal, const char *yaml)
{
    memset(deal, 0, sizeof *deal);
    int rc = absim_config_load_string(deal, yaml, strlen(yaml), "test.yaml", NULL, stderr);
    assert_int_equal(rc, ABSIM_OK);
}

static void run(const absim_deal *deal, int64_t paths, int threads, int keep, absim_scenario_run *out)
{
    absim_scenario base;
    absim_run_options o;
    assert_int_equal(absim_scenario_init_base(&base, deal), ABSIM_OK);
    memset(&o, 0, sizeof o);
    o.paths = paths;
    o.seed = deal->sim.seed;
    o.threads = threads;
    o.keep_paths = keep;
    o.progress = ABSIM_PROGRESS_NONE;
    assert_int_equal(absim_driver_run(deal, &base, &o, out), ABSIM_OK);
    absim_scenario_free(&base);
}

/* ---- 1. Vasicek large pool ---------------------------------------------- */

static const char vasicek_yaml[] =
    "deal: {name: vasicek, periods: 1, period_months: 12}\n"
    "simulation: {paths: 100000, seed: 7, quantiles: [0.5, 0.9, 0.99]}\n"
    "rates: {model: flat, r0: 0.0}\n"
    "pool:\n"
    "  lines:\n"
    "    - {name: loans, count: 200000, balance: 1.0e8, coupon: 0.0, term: 1, amortization: bullet,\n"
    "       pd: 0.05, recovery: {mean: 0.4}}\n"
    "correlation: {systematic: 0.2}\n"
    "structure:\n"
    "  tranches:\n"
    "    - {name: A, balance: 9.0e7, coupon: 0.0}\n"
    "    - {name: M, balance: 0.6e7, coupon: 0.0}\n"
    "    - {name: E, balance: 0.4e7, coupon: 0.0}\n";

/* Large-pool loss L = (1-R) Phi((Phi^-1(p) - sqrt(rho) z)/sqrt(1-rho)), z ~ N(0,1). */
static double lp_loss(double z, double p, double rho, double R)
{
    return (1.0 - R) * gsl_cdf_ugaussian_P((gsl_cdf_ugaussian_Pinv(p) - sqrt(rho) * z) / sqrt(1.0 - rho));
}

/* E[min(max(L-A,0), D-A)]/(D-A) by Simpson's rule over z in [-9, 9]. */
static double lp_tranche_el(double A, double D, double p, double rho, double R)
{
    const int n = 20000;
    const double a = -9.0, b = 9.0, h = (b - a) / n;
    double sum = 0.0;
    for (int i = 0; i <= n; i++) {
        double z = a + i * h;
        double L = lp_loss(z, p, rho, R);
        double tl = fmin(fmax(L - A, 0.0), D - A) / (D - A);
        double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        sum += w * tl * exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
    }
    return sum * h / 3.0;
}

static void test_driver_vasicek_large_pool(void **state)
{
    (void)state;
    absim_deal deal;
    absim_scenario_run r;
    const double p = 0.05, rho = 0.2, R = 0.4;
    const int64_t N = 200000;
    load(&deal, vasicek_yaml);
    run(&deal, deal.sim.paths, 2, 1, &r);

    const double att[3] = {0.10, 0.04, 0.0}, det[3] = {1.0, 0.10, 0.04};
    for (int t = 0; t < 3; t++) {
        double exact = lp_tranche_el(att[t], det[t], p, rho, R);
        /* Granularity: conditional on Z, the pool loss has sd at most
         * (1-R) sqrt(p(1-p)/N); the tranche loss moves by at most that
         * divided by the tranche width. */
        double gran = (1.0 - R) * sqrt(0.25 / (double)N) / (det[t] - att[t]);
        double tol = 4.0 * r.summary.expected_loss_stderr[t] + gran;
        assert_close(r.summary.expected_loss[t], exact, tol);
    }
    /* Pool loss quantiles: x_q = (1-R) Phi((Phi^-1(p) + sqrt(rho) Phi^-1(q))/sqrt(1-rho)). */
    for (int q = 0; q < r.summary.nquantiles; q++) {
        double lev = r.summary.quantile_levels[q];
        double zq = gsl_cdf_ugaussian_Pinv(lev);
        double xq = lp_loss(-zq, p, rho, R);
        /* Quantile standard error sqrt(q(1-q)/n)/f(x_q), f by central differences of the cdf. */
        double dz = 1e-4;
        double dx = (lp_loss(-zq - dz, p, rho, R) - lp_loss(-zq + dz, p, rho, R)) / (2 * dz);
        double dens = exp(-0.5 * zq * zq) / sqrt(2 * M_PI) / dx;
        double se = sqrt(lev * (1 - lev) / (double)r.summary.paths) / dens;
        double gran = 4.0 * (1.0 - R) * sqrt(0.25 / (double)N);
        assert_close(r.summary.pool_loss_q[q], xq, 4.0 * se + gran);
    }
    absim_scenario_run_free(&r);
    absim_deal_free(&deal);
}

/* ---- 2. Finite heterogeneous pool, exact by recursion --------------------- */

#define NLOANS 50

static void finite_pool(double *pd, int *units)
{
    for (int i = 0; i < NLOANS; i++) {
        pd[i] = 0.01 + 0.002 * (i % 10);   /* 1% .. 2.8% */
        units[i] = 1 + (i % 4);            /* exposures 1..4 units of 1e6 */
    }
}

/* Distribution of the number of defaulted units given z; out has
 * maxunits+1 entries. */
static void conditional_units(double z, double rho, const double *pd, const int *units, int maxunits, double *out)
{
    for (int u = 0; u <= maxunits; u++)
        out[u] = 0.0;
    out[0] = 1.0;
    int top = 0;
    for (int i = 0; i < NLOANS; i++) {
        double q = gsl_cdf_ugaussian_P((gsl_cdf_ugaussian_Pinv(pd[i]) - sqrt(rho) * z) / sqrt(1.0 - rho));
        top += units[i];
        for (int u = top; u >= 0; u--)
            out[u] = out[u] * (1.0 - q) + (u >= units[i] ? out[u - units[i]] * q : 0.0);
    }
}

static void test_driver_finite_pool_exact(void **state)
{
    (void)state;
    double pd[NLOANS];
    int units[NLOANS], total = 0;
    finite_pool(pd, units);
    char *yaml = malloc(20000);
    assert_non_null(yaml);
    int len = sprintf(yaml, "deal: {name: finite, periods: 1, period_months: 12}\n"
                            "simulation: {paths: 60000, seed: 11}\n"
                            "rates: {model: flat, r0: 0.0}\n"
                            "pool:\n  lines:\n");
    for (int i = 0; i < NLOANS; i++) {
        len += sprintf(yaml + len,
                       "    - {name: l%d, count: 1, balance: %d.0e6, coupon: 0.0, term: 1, amortization: bullet, "
                       "pd: %.6f, recovery: {mean: 0.0}}\n",
                       i, units[i], pd[i]);
        total += units[i];
    }
    /* total = 123 units; tranches: E 0-5, M 5-15, A 15-123 units. */
    sprintf(yaml + len, "correlation: {systematic: 0.3}\n"
                        "structure:\n  tranches:\n"
                        "    - {name: A, balance: 108.0e6, coupon: 0.0}\n"
                        "    - {name: M, balance: 10.0e6, coupon: 0.0}\n"
                        "    - {name: E, balance: 5.0e6, coupon: 0.0}\n");
    assert_int_equal(total, 123);
    absim_deal deal;
    absim_scenario_run r;
    load(&deal, yaml);
    free(yaml);
    run(&deal, deal.sim.paths, 2, 1, &r);

    /* Exact: integrate the conditional distribution over z (Simpson). */
    const double rho = 0.3, att[3] = {15, 5, 0}, width[3] = {108, 10, 5};
    double el[3] = {0, 0, 0}, pdft[3] = {0, 0, 0};
    double dist[124];
    const int n = 4000;
    const double a = -8.0, b = 8.0, h = (b - a) / n;
    for (int i = 0; i <= n; i++) {
        double z = a + i * h, w = ((i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0)) * h / 3.0;
        w *= exp(-0.5 * z * z) / sqrt(2 * M_PI);
        conditional_units(z, rho, pd, units, total, dist);
        for (int u = 0; u <= total; u++)
            for (int t = 0; t < 3; t++) {
                double tl = fmin(fmax(u - att[t], 0.0), width[t]) / width[t];
                el[t] += w * dist[u] * tl;
                pdft[t] += w * dist[u] * (tl > 1e-9);
            }
    }
    for (int t = 0; t < 3; t++) {
        assert_close(r.summary.expected_loss[t], el[t], 4.0 * r.summary.expected_loss_stderr[t] + 1e-12);
        double se = sqrt(pdft[t] * (1 - pdft[t]) / (double)r.summary.paths);
        assert_close(r.summary.default_probability[t], pdft[t], 4.0 * se + 1e-12);
    }
    absim_scenario_run_free(&r);
    absim_deal_free(&deal);
}

/* ---- 3. Reproducibility --------------------------------------------------- */

static void test_driver_threads_bitwise(void **state)
{
    (void)state;
    absim_deal deal;
    absim_scenario_run r1, r2;
    memset(&deal, 0, sizeof deal);
    assert_int_equal(absim_config_load_string(&deal, absim_default_config_text, strlen(absim_default_config_text),
                                              "configs/default.yaml", NULL, stderr),
                     ABSIM_OK);
    /* 12,000 paths: 6, 3 and 2 waves for 1, 2 and 3 threads (waves of 2,048
     * paths a thread), so the pipelined reductions (one wave reduced while
     * the next is simulated) are exercised at every count */
    run(&deal, 12000, 1, 1, &r1);
    for (int threads = 2; threads <= 3; threads++) {
        run(&deal, 12000, threads, 1, &r2);
        int ntr = r1.summary.ntranches, nq = r1.summary.nquantiles;
        assert_int_equal(r2.paths, 12000);
        assert_memory_equal(r1.summary.expected_loss, r2.summary.expected_loss, (size_t)ntr * sizeof(double));
        assert_memory_equal(r1.summary.expected_loss_stderr, r2.summary.expected_loss_stderr,
                            (size_t)ntr * sizeof(double));
        assert_memory_equal(r1.summary.wal, r2.summary.wal, (size_t)ntr * sizeof(double));
        assert_memory_equal(r1.summary.var, r2.summary.var, (size_t)(nq * ntr) * sizeof(double));
        assert_memory_equal(r1.summary.es, r2.summary.es, (size_t)(nq * ntr) * sizeof(double));
        assert_true(r1.summary.pool_expected_loss == r2.summary.pool_expected_loss);
        assert_true(r1.max_conservation_error == r2.max_conservation_error);
        absim_scenario_run_free(&r2);
    }
    /* Cash is conserved on every path. */
    assert_true(r1.max_conservation_error <= 1e-9 * absim_deal_pool_balance(&deal));
    absim_scenario_run_free(&r1);
    absim_deal_free(&deal);
}

/* 4. The pool horizon (the certain clean-up call) changes no result: the
 * default deal (clean-up call at 10%) path by path, with the horizon and
 * with the full T. */
static void test_driver_pool_horizon_neutral(void **state)
{
    (void)state;
    absim_deal deal;
    absim_scenario base;
    absim_sim_plan cut, full;
    memset(&deal, 0, sizeof deal);
    assert_int_equal(absim_config_load_string(&deal, absim_default_config_text, strlen(absim_default_config_text),
                                              "configs/default.yaml", NULL, stderr),
                     ABSIM_OK);
    assert_int_equal(absim_scenario_init_base(&base, &deal), ABSIM_OK);
    assert_int_equal(absim_sim_plan_init(&cut, &deal, &base, 11), ABSIM_OK);
    assert_int_equal(absim_sim_plan_init(&full, &deal, &base, 11), ABSIM_OK);
    assert_true(cut.pool.horizon < cut.T); /* the horizon is in use */
    absim_pool_set_horizon(&full.pool, full.T);
    absim_path_scratch s1, s2;
    assert_int_equal(absim_path_scratch_alloc(&s1, &cut), ABSIM_OK);
    assert_int_equal(absim_path_scratch_alloc(&s2, &full), ABSIM_OK);
    int called = 0;
    for (uint64_t p = 0; p < 2000; p++) {
        absim_path_result a, b;
        absim_path_simulate(&cut, p, &s1, &a);
        absim_path_simulate(&full, p, &s2, &b);
        for (int t = 0; t < cut.ntranches; t++) {
            assert_true(a.wf.loss[t] == b.wf.loss[t]);
            assert_true(a.wf.pv_loss[t] == b.wf.pv_loss[t]);
            assert_true(a.wf.wal[t] == b.wf.wal[t]);
            assert_true(a.wf.shortfall[t] == b.wf.shortfall[t]);
        }
        assert_int_equal(a.wf.end_period, b.wf.end_period);
        assert_true(a.wf.end_period <= cut.pool.horizon);
        assert_true(a.pool_loss == b.pool_loss && a.pool_default_rate == b.pool_default_rate);
        assert_true(a.conservation_error == b.conservation_error);
        called += a.wf.end_period < cut.T;
    }
    assert_true(called > 1000);
    absim_path_scratch_free(&s1);
    absim_path_scratch_free(&s2);
    absim_sim_plan_free(&cut);
    absim_sim_plan_free(&full);
    absim_scenario_free(&base);
    absim_deal_free(&deal);
}

/* ---- 5. Streams of one-loan lines ----------------------------------------- */

/* A defaulted one-loan line's recovery comes from its RECOVERY stream
 * started with its own Philox4x32-10 block (Random123 here, counter {l,
 * RECOVERY, path}): the events a path hands to the pool carry exactly
 * absim_path_recovery on that stream, whatever the other defaulters; lines
 * with a fixed recovery draw nothing. */
static void test_driver_loan_recovery_streams(void **state)
{
    (void)state;
    char yaml[8192];
    int len = sprintf(yaml, "deal: {name: streams, periods: 24, period_months: 1}\n"
                            "simulation: {paths: 10, seed: 23}\n"
                            "rates: {model: flat, r0: 0.02}\n"
                            "pool:\n  lines:\n");
    for (int i = 0; i < 40; i++)
        len += sprintf(yaml + len,
                       "    - {name: l%d, sector: s%d, count: 1, balance: 1.0e6, coupon: 0.05, term: 24, "
                       "amortization: level, pd: 0.25, recovery: {mean: 0.4, stdev: %s, lag: 2}}\n",
                       i, i % 3, i % 5 == 4 ? "0.0" : "0.2");
    sprintf(yaml + len, "correlation: {systematic: 0.2, sectors: {s0: 0.05, s1: 0.05, s2: 0.05}}\n"
                        "structure:\n  tranches:\n"
                        "    - {name: A, balance: 3.0e7, coupon: 0.03}\n"
                        "    - {name: E, balance: 1.0e7, coupon: 0.0}\n");
    absim_deal deal;
    absim_scenario base;
    absim_sim_plan plan;
    load(&deal, yaml);
    assert_int_equal(absim_scenario_init_base(&base, &deal), ABSIM_OK);
    assert_int_equal(absim_sim_plan_init(&plan, &deal, &base, 23), ABSIM_OK);
    absim_path_scratch sc;
    assert_int_equal(absim_path_scratch_alloc(&sc, &plan), ABSIM_OK);
    double zs[8];
    int drawn = 0, fixed = 0;
    for (uint64_t path = 0; path < 300; path++) {
        absim_path_result res;
        absim_path_simulate(&plan, path, &sc, &res);
        absim_rng rng;
        absim_factors f;
        f.zs = zs;
        absim_rng_open(&rng, 23, path, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        absim_factors_draw(plan.copula, plan.dof, plan.nsectors, 0.0, &rng, &f);
        /* the event list of the path is in the scratch: one event per
         * defaulted line, in line order */
        for (int j = 0; j < sc.nev; j++) {
            const int l = sc.ev_line[j];
            assert_true(j == 0 || l > sc.ev_line[j - 1]);
            assert_true(plan.single[l]);
            assert_int_equal(sc.ev_count[j], 1);
            if (plan.rec_fixed[l]) {
                assert_true(sc.ev_rec[j] == plan.rec_rate[l]);
                fixed++;
                continue;
            }
            philox4x32_ctr_t ctr = {{(uint32_t)l, ABSIM_STREAM_RECOVERY, (uint32_t)path, (uint32_t)(path >> 32)}};
            philox4x32_key_t key = {{23u, 0u}};
            philox4x32_ctr_t o = philox4x32_R(10, ctr, key);
            absim_rng_open_words(&rng, 23, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, l),
                                 (uint64_t)o.v[1] << 32 | o.v[0], (uint64_t)o.v[3] << 32 | o.v[2]);
            const double want = absim_path_recovery(&plan, l, f.zg, &rng);
            assert_true(sc.ev_rec[j] == want);
            drawn++;
        }
    }
    assert_true(drawn > 1000 && fixed > 200); /* both kinds, many times */
    absim_path_scratch_free(&sc);
    absim_sim_plan_free(&plan);
    absim_scenario_free(&base);
    absim_deal_free(&deal);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_driver_vasicek_large_pool),
        cmocka_unit_test(test_driver_finite_pool_exact),
        cmocka_unit_test(test_driver_loan_recovery_streams),
        cmocka_unit_test(test_driver_threads_bitwise),
        cmocka_unit_test(test_driver_pool_horizon_neutral),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
