/* test_rates.c -- short-rate models against closed forms: Vasicek and CIR
 * mean and variance at several horizons, Hull-White reproduction of the
 * input zero curve (exactly by the bond-price function, within Monte Carlo
 * error by simulation), shifts, expected paths and reproducibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>

#include "rates.h"
#include "status.h"
#include "testutil.h"

#define NPATHS 40000

static absim_rates make_rates(absim_rate_model model, double r0, double kappa, double theta, double sigma)
{
    absim_rates r;
    memset(&r, 0, sizeof r);
    r.model = model;
    r.r0 = r0;
    r.kappa = kappa;
    r.theta = theta;
    r.sigma = sigma;
    return r;
}

/* Sample mean, variance and fourth central moment of r_k over paths, for
 * the horizons in ks. */
typedef struct {
    double mean, var, m4;
} moments;

static void simulate_moments(const absim_rate_plan *plan, const int *ks, int nk, int npaths, moments *out)
{
    double *r = malloc((size_t)plan->T * sizeof *r);
    double *x = malloc((size_t)npaths * nk * sizeof *x);
    assert_non_null(r);
    assert_non_null(x);
    absim_rng rng;
    for (int p = 0; p < npaths; p++) {
        absim_rng_open(&rng, 2024, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
        absim_rate_path(plan, &rng, r);
        for (int j = 0; j < nk; j++)
            x[(size_t)j * npaths + p] = r[ks[j] - 1];
    }
    for (int j = 0; j < nk; j++) {
        const double *y = x + (size_t)j * npaths;
        double m = 0, v = 0, m4 = 0;
        for (int p = 0; p < npaths; p++)
            m += y[p];
        m /= npaths;
        for (int p = 0; p < npaths; p++) {
            double d = (y[p] - m) * (y[p] - m);
            v += d;
            m4 += d * d;
        }
        out[j].mean = m;
        out[j].var = v / (npaths - 1);
        out[j].m4 = m4 / npaths;
    }
    free(x);
    free(r);
}

/* Check sample moments against (mean, var) within 4 standard errors. */
static void check_moments(const moments *s, double mean, double var, int n)
{
    assert_close(s->mean, mean, 4.0 * sqrt(var / n) + 1e-15);
    /* sd of the sample variance: sqrt((mu4 - var^2) / n), mu4 estimated */
    double sd_var = sqrt(fmax(s->m4 - s->var * s->var, 0.0) / n);
    assert_close(s->var, var, 4.0 * sd_var + 1e-18);
}

static void test_rates_flat(void **state)
{
    (void)state;
    absim_rates rr = make_rates(ABSIM_RATES_FLAT, 0.03, 0, 0, 0);
    absim_rate_plan plan;
    assert_int_equal(absim_rate_plan_init(&plan, &rr, 0.01, 24, 1.0 / 12.0), ABSIM_OK);
    double r[24], P[24];
    absim_rng rng;
    absim_rng_open(&rng, 1, 0, 0);
    absim_rate_path(&plan, &rng, r);
    for (int k = 0; k < 24; k++)
        assert_close(r[k], 0.04, 1e-17);
    assert_int_equal(absim_rate_bond_prices(&plan, P), ABSIM_OK);
    for (int k = 1; k <= 24; k++)
        assert_close(P[k - 1], exp(-0.04 * k / 12.0), 1e-15);
    absim_rate_plan_free(&plan);
}

/* Vasicek: E r_k = theta + (r0-theta) a^(k-1), Var r_k = sigma^2 (1-a^(2(k-1)))/(2 kappa). */
static void test_rates_vasicek_moments(void **state)
{
    (void)state;
    const double r0 = 0.03, kappa = 0.5, theta = 0.05, sigma = 0.02, dt = 1.0 / 12.0, shift = 0.005;
    absim_rates rr = make_rates(ABSIM_RATES_VASICEK, r0, kappa, theta, sigma);
    absim_rate_plan plan;
    assert_int_equal(absim_rate_plan_init(&plan, &rr, shift, 120, dt), ABSIM_OK);
    int ks[] = {2, 13, 60, 120};
    moments s[4];
    simulate_moments(&plan, ks, 4, NPATHS, s);
    double ex[120];
    absim_rate_expected(&plan, ex);
    for (int j = 0; j < 4; j++) {
        double t = (ks[j] - 1) * dt;
        double mean = theta + shift + (r0 - theta) * exp(-kappa * t);
        double var = sigma * sigma * (1.0 - exp(-2.0 * kappa * t)) / (2.0 * kappa);
        check_moments(&s[j], mean, var, NPATHS);
        assert_close(ex[ks[j] - 1], mean, 1e-14);
    }
    absim_rate_plan_free(&plan);
}

/* CIR: E r_t = theta + (r0-theta) e^{-kt},
 * Var r_t = r0 s^2/k (e^{-kt} - e^{-2kt}) + theta s^2/(2k) (1 - e^{-kt})^2.
 * Both sampling branches: d = 4 k theta / s^2 above 1 and below 1. */
static void test_rates_cir_moments(void **state)
{
    (void)state;
    struct {
        double r0, kappa, theta, sigma;
    } cases[] = {
        {0.03, 0.3, 0.04, 0.05},  /* d = 19.2: normal + chi-square branch */
        {0.02, 0.2, 0.03, 0.20},  /* d = 0.6: Poisson mixture branch */
    };
    const double dt = 0.25;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        absim_rates rr = make_rates(ABSIM_RATES_CIR, cases[c].r0, cases[c].kappa, cases[c].theta, cases[c].sigma);
        absim_rate_plan plan;
        assert_int_equal(absim_rate_plan_init(&plan, &rr, 0.0, 40, dt), ABSIM_OK);
        int ks[] = {2, 5, 20, 40};
        moments s[4];
        simulate_moments(&plan, ks, 4, NPATHS, s);
        double k = cases[c].kappa, th = cases[c].theta, sg2 = cases[c].sigma * cases[c].sigma, x0 = cases[c].r0;
        for (int j = 0; j < 4; j++) {
            double t = (ks[j] - 1) * dt, e = exp(-k * t);
            double mean = th + (x0 - th) * e;
            double var = x0 * sg2 / k * (e - e * e) + th * sg2 / (2.0 * k) * (1.0 - e) * (1.0 - e);
            check_moments(&s[j], mean, var, NPATHS);
        }
        double P[40];
        assert_int_equal(absim_rate_bond_prices(&plan, P), ABSIM_EINVAL);
        absim_rate_plan_free(&plan);
    }
    /* a shift that makes r0 negative is refused */
    absim_rates rr = make_rates(ABSIM_RATES_CIR, 0.01, 0.2, 0.03, 0.1);
    absim_rate_plan plan;
    assert_int_equal(absim_rate_plan_init(&plan, &rr, -0.02, 12, dt), ABSIM_EINVAL);
    absim_rate_plan_free(&plan);
}

/* Monte Carlo mean of DF_k = exp(-dt sum_{s<=k} r_s) against P[k-1] within
 * 4 standard errors at every k. */
static void check_discount_factors(const absim_rate_plan *plan, const double *P, int npaths)
{
    const int T = plan->T;
    double *r = malloc((size_t)T * sizeof *r), *s1 = calloc((size_t)T, sizeof *s1),
           *s2 = calloc((size_t)T, sizeof *s2);
    assert_true(r && s1 && s2);
    absim_rng rng;
    for (int p = 0; p < npaths; p++) {
        absim_rng_open(&rng, 77, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
        absim_rate_path(plan, &rng, r);
        double sum = 0;
        for (int k = 0; k < T; k++) {
            sum += r[k];
            double df = exp(-sum * plan->dt);
            s1[k] += df;
            s2[k] += df * df;
        }
    }
    for (int k = 0; k < T; k++) {
        double m = s1[k] / npaths, v = s2[k] / npaths - m * m;
        assert_close(m, P[k], 4.0 * sqrt(fmax(v, 0.0) / npaths) + 1e-12);
    }
    free(r);
    free(s1);
    free(s2);
}

static void test_rates_vasicek_bond_prices(void **state)
{
    (void)state;
    absim_rates rr = make_rates(ABSIM_RATES_VASICEK, 0.02, 0.15, 0.05, 0.03);
    absim_rate_plan plan;
    assert_int_equal(absim_rate_plan_init(&plan, &rr, 0.0, 60, 0.5), ABSIM_OK);
    double P[60];
    assert_int_equal(absim_rate_bond_prices(&plan, P), ABSIM_OK);
    /* P_2 by hand: S_2 = 2 r0 + (r0-theta)(a-1) + s Z */
    double a = exp(-0.15 * 0.5), s2 = 0.03 * 0.03 * (1 - a * a) / 0.3;
    double m2 = 0.05 + (0.02 - 0.05) * a;
    assert_close(P[1], exp(-0.5 * (0.02 + m2) + 0.5 * 0.25 * s2), 1e-15);
    check_discount_factors(&plan, P, 20000);
    absim_rate_plan_free(&plan);

    /* kappa = 0: a random walk, Var S_k = sigma^2 dt sum_{m<k} m^2 */
    rr = make_rates(ABSIM_RATES_VASICEK, 0.02, 0.0, 0.05, 0.01);
    assert_int_equal(absim_rate_plan_init(&plan, &rr, 0.0, 10, 1.0), ABSIM_OK);
    assert_int_equal(absim_rate_bond_prices(&plan, P), ABSIM_OK);
    double V = 0.0;
    for (int m = 1; m < 10; m++)
        V += 1e-4 * m * m;
    assert_close(P[9], exp(-10 * 0.02 + 0.5 * V), 1e-14);
    absim_rate_plan_free(&plan);
}

/* Hull-White: the bond-price function reproduces exp(-z(t) t) at every
 * period end to 1e-10 (curve interpolated linearly, flat outside), r_1 =
 * z(dt) + shift, and the simulated mean discount factor matches within MC
 * error. */
static void test_rates_hull_white_fit(void **state)
{
    (void)state;
    double ct[] = {0.5, 1.0, 2.0, 5.0, 10.0};
    double cz[] = {0.021, 0.024, 0.028, 0.033, 0.036};
    absim_rates rr = make_rates(ABSIM_RATES_HULL_WHITE, 0.99, 0.1, 0.99, 0.015);
    rr.curve_t = ct;
    rr.curve_z = cz;
    rr.ncurve = 5;
    const int T = 48;
    const double dt = 0.25;
    double shifts[] = {0.0, 0.01};
    for (int j = 0; j < 2; j++) {
        absim_rate_plan plan;
        assert_int_equal(absim_rate_plan_init(&plan, &rr, shifts[j], T, dt), ABSIM_OK);
        double P[48];
        assert_int_equal(absim_rate_bond_prices(&plan, P), ABSIM_OK);
        for (int k = 1; k <= T; k++) {
            double t = k * dt, z;
            if (t <= 0.5)
                z = 0.021;
            else if (t >= 10.0)
                z = 0.036;
            else {
                int i = 0;
                while (ct[i + 1] < t)
                    i++;
                z = cz[i] + (cz[i + 1] - cz[i]) * (t - ct[i]) / (ct[i + 1] - ct[i]);
            }
            assert_close(P[k - 1], exp(-(z + shifts[j]) * t), 1e-10);
        }
        assert_close(plan.r0, 0.021 + shifts[j], 1e-14);
        double r[48];
        absim_rng rng;
        absim_rng_open(&rng, 1, 0, 0);
        absim_rate_path(&plan, &rng, r);
        assert_close(r[0], 0.021 + shifts[j], 1e-14);
        check_discount_factors(&plan, P, 20000);

        /* the expected path is the mean of simulated paths */
        double ex[48];
        absim_rate_expected(&plan, ex);
        int ks[] = {1, 10, 48};
        moments s[3];
        simulate_moments(&plan, ks, 3, NPATHS, s);
        for (int i = 0; i < 3; i++)
            assert_close(s[i].mean, ex[ks[i] - 1], 4.0 * sqrt(s[i].var / NPATHS) + 1e-12);
        absim_rate_plan_free(&plan);
    }
    rr.ncurve = 0;
    absim_rate_plan plan;
    assert_int_equal(absim_rate_plan_init(&plan, &rr, 0.0, T, dt), ABSIM_EINVAL);
    absim_rate_plan_free(&plan);
}

/* A path depends only on its stream; the same stream gives the same path. */
static void test_rates_reproducible(void **state)
{
    (void)state;
    absim_rates models[] = {make_rates(ABSIM_RATES_VASICEK, 0.03, 0.2, 0.035, 0.01),
                            make_rates(ABSIM_RATES_CIR, 0.03, 0.2, 0.035, 0.05)};
    for (int m = 0; m < 2; m++) {
        absim_rate_plan plan;
        assert_int_equal(absim_rate_plan_init(&plan, &models[m], 0.0, 60, 1.0 / 12.0), ABSIM_OK);
        double a[60], b[60];
        absim_rng r1, r2;
        absim_rng_open(&r1, 9, 17, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
        absim_rate_path(&plan, &r1, a);
        absim_rng_open(&r2, 9, 16, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
        absim_rate_path(&plan, &r2, b);
        absim_rng_open(&r2, 9, 17, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
        absim_rate_path(&plan, &r2, b);
        assert_memory_equal(a, b, sizeof a);
        for (int k = 0; k < 60; k++)
            assert_true(m == 0 || a[k] >= 0.0); /* CIR stays non-negative */
        absim_rate_plan_free(&plan);
    }
    absim_rates bad = make_rates(ABSIM_RATES_VASICEK, 0.03, -1.0, 0.03, 0.01);
    absim_rate_plan plan;
    assert_int_equal(absim_rate_plan_init(&plan, &bad, 0.0, 12, 1.0), ABSIM_EINVAL);
    assert_int_equal(absim_rate_plan_init(&plan, &models[0], 0.0, 0, 1.0), ABSIM_EINVAL);
    absim_rate_plan_free(&plan);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates_flat),
        cmocka_unit_test(test_rates_vasicek_moments),
        cmocka_unit_test(test_rates_cir_moments),
        cmocka_unit_test(test_rates_vasicek_bond_prices),
        cmocka_unit_test(test_rates_hull_white_fit),
        cmocka_unit_test(test_rates_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
