/* test_copula.c -- factors, thresholds, the two default samplers and
 * recovery draws, against independently computed distributions:
 *   - marginal default probabilities F(k) of every law (and stresses);
 *   - joint default of two loans against the bivariate normal / t CDF,
 *     computed here by one-dimensional quadrature of the conditional law;
 *   - a large homogeneous line against the Vasicek large-pool law;
 *   - the count distribution of both samplers against the exact mixture
 *     of binomials, and against each other;
 *   - with the factors fixed, the binomial sampler's defaults by period
 *     against the exact multinomial (per-period and cumulative binomial
 *     laws, covariance, empty periods where F is flat);
 *   - absim_copula_phi against gsl_cdf_ugaussian_P;
 *   - Beta recovery moments, haircut and systematic loading.
 * Fixed seeds; tolerances are 4 Monte Carlo standard errors (chi-square
 * tests at the 1 - 1e-4 quantile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <stdlib.h>
#include <string.h>

#include "copula.h"
#include "laws.h"
#include "status.h"
#include "testutil.h"

#define SEED 20170101ULL

/* Draw path p's factors (nsectors sectors). */
static void draw_factors(absim_copula cop, double dof, int nsectors, uint64_t seed, uint64_t p, absim_factors *f)
{
    absim_rng rng;
    absim_rng_open(&rng, seed, p, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    absim_factors_draw(cop, dof, nsectors, 0.0, &rng, f);
}

/* Simulate npaths of one line; per path the defaults by period into
 * d[p * T + k - 1] (caller allocates npaths * T). */
static void simulate_line(const absim_line_model *m, int nsectors, uint64_t seed, int npaths, int64_t *d)
{
    double zs[4];
    absim_factors f = {0.0, zs, 1.0};
    absim_rng rng;
    for (int p = 0; p < npaths; p++) {
        draw_factors(m->copula, m->dof, nsectors, seed, (uint64_t)p, &f);
        absim_rng_open(&rng, seed, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 0));
        int64_t n = absim_line_sample_defaults(m, &f, &rng, d + (size_t)p * m->T);
        int64_t s = 0;
        for (int k = 0; k < m->T; k++) {
            assert_true(d[(size_t)p * m->T + k] >= 0);
            s += d[(size_t)p * m->T + k];
        }
        assert_true(s == n && n <= m->count);
    }
}

/* P(X <= h, Y <= h) for a standard bivariate normal (nu = 0) or t_nu with
 * correlation rho, by the conditional law of Y given X = x:
 *   normal: Y | x ~ N(rho x, 1 - rho^2)
 *   t:      Y | x ~ rho x + sqrt((nu + x^2)(1 - rho^2)/(nu + 1)) t_{nu+1}
 * integrated over u = F_X(x) in (0, F_X(h)) by the midpoint rule. */
static double bivariate_cdf(double h, double rho, double nu)
{
    const int M = 200000;
    double Fh = nu > 0 ? gsl_cdf_tdist_P(h, nu) : gsl_cdf_ugaussian_P(h);
    double du = Fh / M, sum = 0.0;
    for (int i = 0; i < M; i++) {
        double u = (i + 0.5) * du;
        if (nu > 0) {
            double x = gsl_cdf_tdist_Pinv(u, nu);
            double sc = sqrt((nu + x * x) * (1.0 - rho * rho) / (nu + 1.0));
            sum += gsl_cdf_tdist_P((h - rho * x) / sc, nu + 1.0);
        } else {
            double x = gsl_cdf_ugaussian_Pinv(u);
            sum += gsl_cdf_ugaussian_P((h - rho * x) / sqrt(1.0 - rho * rho));
        }
    }
    return sum * du;
}

/* Exact distribution of the number of defaults by T of a gaussian line of
 * n loans with default probability p and asset correlation rho:
 * P(N = j) = int phi(z) Bin(j; n, q(z)) dz, Simpson on [-10, 10]. */
static void exact_count_pmf(int n, double p, double rho, double *pmf)
{
    const int M = 4000; /* even */
    const double a = -10.0, b = 10.0, h = (b - a) / M, c = gsl_cdf_ugaussian_Pinv(p);
    for (int j = 0; j <= n; j++)
        pmf[j] = 0.0;
    for (int i = 0; i <= M; i++) {
        double z = a + i * h, w = (i == 0 || i == M) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        double q = gsl_cdf_ugaussian_P((c - sqrt(rho) * z) / sqrt(1.0 - rho));
        double wz = w * h / 3.0 * gsl_ran_ugaussian_pdf(z);
        for (int j = 0; j <= n; j++)
            pmf[j] += wz * gsl_ran_binomial_pdf((unsigned)j, q, (unsigned)n);
    }
}

static double array_pmf(int64_t j, const void *ctx)
{
    return ((const double *)ctx)[j];
}

/* Chi-square goodness of fit of counts obs[0..n] (total N) against pmf,
 * merging cells so that each expected count is >= 10; returns the
 * statistic and its degrees of freedom. */
static double chisq_gof(const long *obs, const double *pmf, int n, long N, int *df)
{
    double total;
    return test_chisq_cells(obs, N, 0, n, array_pmf, pmf, 10.0, &total, df);
}

/* Two-sample chi-square of count histograms a, b (equal sample sizes),
 * cells merged until a + b >= 20. */
static double chisq_two_sample(const long *a, const long *b, int n, int *df)
{
    double stat = 0.0;
    long sa = 0, sb = 0;
    int cells = 0;
    for (int j = 0; j <= n; j++) {
        sa += a[j];
        sb += b[j];
        if (sa + sb >= 20 || (j == n && sa + sb > 0)) {
            stat += (double)(sa - sb) * (sa - sb) / (double)(sa + sb);
            cells++;
            sa = sb = 0;
        }
    }
    *df = cells - 1;
    return stat;
}

/* ---- tests ------------------------------------------------------------ */

static void test_copula_model_init(void **state)
{
    (void)state;
    double F[] = {0.0, 0.01, 0.03, 0.03, 0.05, 0.05};
    absim_line_model m;
    assert_int_equal(absim_line_model_init(&m, F, 5, 10, 1, 0.16, 0.09, ABSIM_COPULA_GAUSSIAN, 0, -1), 0);
    assert_close(m.bg, 0.4, 1e-15);
    assert_close(m.bs, 0.3, 1e-15);
    assert_close(m.c, sqrt(0.75), 1e-15);
    assert_int_equal(m.last, 4);
    assert_true(m.threshold[0] == -INFINITY);
    for (int k = 1; k <= 5; k++)
        assert_close(m.threshold[k], gsl_cdf_ugaussian_Pinv(F[k]), 1e-15);
    assert_int_equal(m.sampler, ABSIM_SAMPLER_LOAN);
    absim_line_model_free(&m);

    assert_int_equal(absim_line_model_init(&m, F, 5, 1000000, 0, 0.2, 0.0, ABSIM_COPULA_STUDENT_T, 5.0, -1), 0);
    assert_close(m.threshold[2], gsl_cdf_tdist_Pinv(0.03, 5.0), 1e-15);
    assert_int_equal(m.sampler, ABSIM_SAMPLER_BINOMIAL);
    absim_line_model_free(&m);

    assert_int_equal(absim_line_model_init(&m, F, 5, 1000000, 0, 0.2, 0.0, ABSIM_COPULA_GAUSSIAN, 0, ABSIM_SAMPLER_LOAN),
                     0);
    assert_int_equal(m.sampler, ABSIM_SAMPLER_LOAN);
    absim_line_model_free(&m);

    double F0[] = {0.0, 0.0, 0.0};
    assert_int_equal(absim_line_model_init(&m, F0, 2, 10, 0, 0.2, 0.0, ABSIM_COPULA_GAUSSIAN, 0, -1), 0);
    assert_int_equal(m.last, 0);
    int64_t d[2] = {7, 7};
    double zs[1] = {0};
    absim_factors f = {-5.0, zs, 1.0};
    absim_rng rng;
    absim_rng_open(&rng, 1, 0, 0);
    assert_true(absim_line_sample_defaults(&m, &f, &rng, d) == 0);
    assert_true(d[0] == 0 && d[1] == 0);
    absim_line_model_free(&m);

    assert_int_equal(absim_line_model_init(&m, F, 5, 10, 0, 0.6, 0.4, ABSIM_COPULA_GAUSSIAN, 0, -1), ABSIM_EINVAL);
    absim_line_model_free(&m);
    assert_int_equal(absim_line_model_init(&m, F, 5, 10, 0, 0.2, 0.0, ABSIM_COPULA_STUDENT_T, 0.0, -1),
                     ABSIM_EINVAL);
    absim_line_model_free(&m);
}

/* q_k(Z) = Phi((c_k m - b_g zg - b_s zs) / c), and E_Z[q_k(Z)] = F(k). */
static void test_copula_conditional_pd(void **state)
{
    (void)state;
    double F[] = {0.0, 0.02, 0.05, 0.09};
    absim_line_model m;
    assert_int_equal(absim_line_model_init(&m, F, 3, 100, 1, 0.2, 0.1, ABSIM_COPULA_STUDENT_T, 4.0, -1), 0);
    double zs[2] = {0.3, -1.1};
    absim_factors f = {0.7, zs, 1.3};
    double expect = gsl_cdf_ugaussian_P((gsl_cdf_tdist_Pinv(0.05, 4.0) * 1.3 - sqrt(0.2) * 0.7 - sqrt(0.1) * -1.1) /
                                        sqrt(0.7));
    assert_close(absim_line_conditional_pd(&m, &f, 2), expect, 1e-15);
    assert_close(absim_line_conditional_pd(&m, &f, 0), 0.0, 0.0);
    absim_line_model_free(&m);

    assert_int_equal(absim_line_model_init(&m, F, 3, 100, 0, 0.3, 0.0, ABSIM_COPULA_GAUSSIAN, 0, -1), 0);
    for (int k = 1; k <= 3; k++) {
        const int M = 4000;
        double sum = 0.0, h = 20.0 / M;
        for (int i = 0; i <= M; i++) {
            double w = (i == 0 || i == M) ? 1.0 : (i % 2 ? 4.0 : 2.0);
            absim_factors g = {-10.0 + i * h, zs, 1.0};
            sum += w * gsl_ran_ugaussian_pdf(g.zg) * absim_line_conditional_pd(&m, &g, k);
        }
        assert_close(sum * h / 3.0, F[k], 1e-9);
    }
    absim_line_model_free(&m);
}

/* Factors: N(0,1) global and sector factors, mix^2 = W/nu with mean 1 and
 * variance 2/nu, zg_shift added. */
static void test_copula_factors(void **state)
{
    (void)state;
    const int n = 100000;
    const double nu = 6.0;
    double zs[3], s[4] = {0}, s2[4] = {0}, cross = 0;
    absim_factors f = {0, zs, 0};
    absim_rng rng;
    for (int p = 0; p < n; p++) {
        absim_rng_open(&rng, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        absim_factors_draw(ABSIM_COPULA_STUDENT_T, nu, 3, 0.5, &rng, &f);
        double x[4] = {f.zg - 0.5, zs[0], zs[2], f.mix * f.mix};
        for (int i = 0; i < 4; i++) {
            s[i] += x[i];
            s2[i] += x[i] * x[i];
        }
        cross += x[1] * x[2];
    }
    for (int i = 0; i < 3; i++) {
        assert_close(s[i] / n, 0.0, 4.0 / sqrt(n));
        assert_close(s2[i] / n, 1.0, 4.0 * sqrt(2.0 / n));
    }
    assert_close(cross / n, 0.0, 4.0 / sqrt(n));
    assert_close(s[3] / n, 1.0, 4.0 * sqrt(2.0 / nu / n));
    absim_rng_open(&rng, SEED, 0, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    absim_factors_draw(ABSIM_COPULA_GAUSSIAN, nu, 3, 0.0, &rng, &f);
    assert_close(f.mix, 1.0, 0.0);
}

/* The simulated fraction of loans defaulted by k matches F(k) for every law,
 * both copulas and both samplers (including the per-period split of a
 * line with many defaults). The standard error is estimated from the
 * per-path counts, which are correlated within a path. */
static void test_copula_marginal_default_probability(void **state)
{
    (void)state;
    const int T = 24, npaths = 10000;
    double curve[] = {0.01, 0.02, 0.04, 0.04, 0.07, 0.10, 0.12};
    struct {
        absim_line line;
        double mult;
        int64_t count;
    } cases[] = {
        {test_line(ABSIM_LAW_PD, 0.10, 20), 1.0, 20},
        {test_line(ABSIM_LAW_PD, 0.05, 24), 2.5, 20},
        {test_line(ABSIM_LAW_SDA, 3000.0, 24), 1.0, 20},
        {test_line(ABSIM_LAW_CURVE, 0.0, 24), 1.0, 20},
        {test_line(ABSIM_LAW_CDR, 0.30, 24), 1.0, 400}, /* many defaults: split branch */
    };
    cases[3].line.curve = curve;
    cases[3].line.ncurve = 7;
    double F[25];
    int64_t *d = malloc((size_t)npaths * T * sizeof *d);
    assert_non_null(d);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        absim_law_default_cdf(&cases[c].line, T, 1, cases[c].mult, -1, -1.0, F);
        for (int cop = 0; cop < 2; cop++) {
            for (int sampler = 0; sampler < 2; sampler++) {
                absim_line_model m;
                assert_int_equal(absim_line_model_init(&m, F, T, cases[c].count, 1, 0.15, 0.1, (absim_copula)cop, 5.0,
                                                       sampler),
                                 0);
                simulate_line(&m, 2, SEED + c, npaths, d);
                const double n = (double)cases[c].count;
                for (int k = 1; k <= T; k++) {
                    double s = 0, s2 = 0;
                    for (int p = 0; p < npaths; p++) {
                        int64_t cum = 0;
                        for (int j = 0; j < k; j++)
                            cum += d[(size_t)p * T + j];
                        s += cum / n;
                        s2 += (cum / n) * (cum / n);
                    }
                    double mean = s / npaths, var = s2 / npaths - mean * mean;
                    double tol = 4.0 * sqrt(fmax(var, F[k] * (1 - F[k]) / n / npaths) / npaths);
                    if (fabs(mean - F[k]) > tol)
                        print_error("case %zu copula %d sampler %d k %d\n", c, cop, sampler, k);
                    assert_close(mean, F[k], tol);
                }
                absim_line_model_free(&m);
            }
        }
    }
    free(d);
}

/* Two loans: P(both default by T) = the bivariate CDF at the threshold with
 * correlation b_g^2 + b_s^2 (same sector) or b_g^2 (different sectors). */
static void check_pair(absim_copula cop, double nu, absim_sampler sampler, int same_sector)
{
    const int T = 12, npaths = 100000;
    const double bg2 = 0.25, bs2 = 0.15;
    absim_line line = test_line(ABSIM_LAW_PD, 0.12, 12);
    double F[13];
    absim_law_default_cdf(&line, T, 1, 1.0, -1, -1.0, F);
    absim_line_model a, b;
    assert_int_equal(absim_line_model_init(&a, F, T, same_sector ? 2 : 1, 0, bg2, bs2, cop, nu, sampler), 0);
    assert_int_equal(absim_line_model_init(&b, F, T, 1, 1, bg2, bs2, cop, nu, sampler), 0);
    double zs[2];
    absim_factors f = {0, zs, 1};
    int64_t da[12], db[12];
    long both = 0;
    absim_rng rng;
    for (int p = 0; p < npaths; p++) {
        draw_factors(cop, nu, 2, SEED, (uint64_t)p, &f);
        absim_rng_open(&rng, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 0));
        int64_t na = absim_line_sample_defaults(&a, &f, &rng, da);
        if (same_sector) {
            both += na == 2;
        } else {
            absim_rng_open(&rng, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 1));
            both += na == 1 && absim_line_sample_defaults(&b, &f, &rng, db) == 1;
        }
    }
    double rho = same_sector ? bg2 + bs2 : bg2;
    double p11 = bivariate_cdf(a.threshold[T], rho, cop == ABSIM_COPULA_STUDENT_T ? nu : 0.0);
    double est = (double)both / npaths;
    assert_close(est, p11, 4.0 * sqrt(p11 * (1 - p11) / npaths));
    /* the default correlation is far from independence, so the test has power */
    assert_true(p11 > 1.5 * F[T] * F[T]);
    absim_line_model_free(&a);
    absim_line_model_free(&b);
}

static void test_copula_pairwise_gaussian(void **state)
{
    (void)state;
    check_pair(ABSIM_COPULA_GAUSSIAN, 0, ABSIM_SAMPLER_LOAN, 1);
    check_pair(ABSIM_COPULA_GAUSSIAN, 0, ABSIM_SAMPLER_BINOMIAL, 1);
    check_pair(ABSIM_COPULA_GAUSSIAN, 0, ABSIM_SAMPLER_LOAN, 0);
}

static void test_copula_pairwise_student_t(void **state)
{
    (void)state;
    check_pair(ABSIM_COPULA_STUDENT_T, 4.0, ABSIM_SAMPLER_LOAN, 1);
    check_pair(ABSIM_COPULA_STUDENT_T, 4.0, ABSIM_SAMPLER_BINOMIAL, 1);
    check_pair(ABSIM_COPULA_STUDENT_T, 4.0, ABSIM_SAMPLER_BINOMIAL, 0);
}

/* A homogeneous line of 10000 loans: the empirical CDF of the default rate
 * at Vasicek quantiles x_q is q within 4 sigma plus granularity, the
 * latter being the exact difference between the finite line (a mixture of
 * binomials, integrated here) and the large-pool limit. */
static void test_copula_vasicek_large_pool(void **state)
{
    (void)state;
    const int npaths = 20000;
    const int64_t n = 10000;
    const double p = 0.05, bg2 = 0.12, bs2 = 0.08, rho = bg2 + bs2;
    double F[2] = {0.0, p};
    absim_line_model m;
    assert_int_equal(absim_line_model_init(&m, F, 1, n, 1, bg2, bs2, ABSIM_COPULA_GAUSSIAN, 0, -1), 0);
    assert_int_equal(m.sampler, ABSIM_SAMPLER_BINOMIAL);
    int64_t *d = malloc((size_t)npaths * sizeof *d);
    assert_non_null(d);
    simulate_line(&m, 2, SEED, npaths, d);
    double qs[] = {0.05, 0.25, 0.5, 0.75, 0.9, 0.99};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double q = qs[i];
        double xq = gsl_cdf_ugaussian_P((gsl_cdf_ugaussian_Pinv(p) + sqrt(rho) * gsl_cdf_ugaussian_Pinv(q)) /
                                        sqrt(1.0 - rho));
        int64_t kmax = (int64_t)floor(xq * n);
        long below = 0;
        for (int j = 0; j < npaths; j++)
            below += d[j] <= kmax;
        double emp = (double)below / npaths;
        /* exact finite-line CDF at kmax */
        const int M = 4000;
        double h = 20.0 / M, fin = 0.0, c = gsl_cdf_ugaussian_Pinv(p);
        for (int k = 0; k <= M; k++) {
            double z = -10.0 + k * h, w = (k == 0 || k == M) ? 1.0 : (k % 2 ? 4.0 : 2.0);
            double qz = gsl_cdf_ugaussian_P((c - sqrt(rho) * z) / sqrt(1.0 - rho));
            fin += w * h / 3.0 * gsl_ran_ugaussian_pdf(z) * gsl_cdf_binomial_P((unsigned)kmax, qz, (unsigned)n);
        }
        double vas = gsl_cdf_ugaussian_P((sqrt(1.0 - rho) * gsl_cdf_ugaussian_Pinv((double)kmax / n) -
                                          gsl_cdf_ugaussian_Pinv(p)) /
                                         sqrt(rho));
        double sigma = sqrt(fin * (1.0 - fin) / npaths);
        double gran = fabs(fin - vas);
        assert_true(gran < 0.02);
        assert_close(emp, vas, 4.0 * sigma + gran);
        assert_close(emp, fin, 4.0 * sigma);
    }
    free(d);
    absim_line_model_free(&m);
}

/* Both samplers reproduce the exact count distribution (mixture of
 * binomials) and agree with each other on the count and on the first
 * period's count; gaussian and student_t, a small line (one conditional
 * draw per defaulter) and a larger one (per-period split). */
static void test_copula_samplers_agree(void **state)
{
    (void)state;
    const int T = 12, npaths = 20000;
    struct {
        int64_t count;
        double pd;
    } cases[] = {{30, 0.15}, {300, 0.30}};
    int64_t *d[2];
    d[0] = malloc((size_t)npaths * T * sizeof(int64_t));
    d[1] = malloc((size_t)npaths * T * sizeof(int64_t));
    assert_true(d[0] && d[1]);
    for (size_t c = 0; c < 2; c++) {
        const int n = (int)cases[c].count;
        long *hist[2][2];
        double *pmf = malloc((size_t)(n + 1) * sizeof *pmf);
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < 2; j++)
                hist[s][j] = calloc((size_t)n + 1, sizeof(long));
        absim_line line = test_line(ABSIM_LAW_PD, cases[c].pd, T);
        double F[13];
        absim_law_default_cdf(&line, T, 1, 1.0, -1, -1.0, F);
        for (int cop = 0; cop < 2; cop++) {
            for (int s = 0; s < 2; s++) {
                absim_line_model m;
                assert_int_equal(absim_line_model_init(&m, F, T, n, 0, 0.2, 0.0, (absim_copula)cop, 4.0, s), 0);
                /* different seeds: independent samples */
                simulate_line(&m, 1, SEED + 100 * (uint64_t)s + 7 * c + 3 * (uint64_t)cop, npaths, d[s]);
                for (int j = 0; j <= n; j++)
                    hist[s][0][j] = hist[s][1][j] = 0;
                for (int p = 0; p < npaths; p++) {
                    int64_t tot = 0;
                    for (int k = 0; k < T; k++)
                        tot += d[s][(size_t)p * T + k];
                    hist[s][0][tot]++;
                    hist[s][1][d[s][(size_t)p * T]]++;
                }
                if (cop == ABSIM_COPULA_GAUSSIAN) {
                    int df;
                    exact_count_pmf(n, F[T], 0.2, pmf);
                    double stat = chisq_gof(hist[s][0], pmf, n, npaths, &df);
                    if (stat >= gsl_cdf_chisq_Qinv(1e-4, df))
                        print_error("gof: case %zu sampler %d: chi2 %g df %d\n", c, s, stat, df);
                    assert_true(df >= 3 && stat < gsl_cdf_chisq_Qinv(1e-4, df));
                }
                absim_line_model_free(&m);
            }
            for (int j = 0; j < 2; j++) {
                int df;
                double stat = chisq_two_sample(hist[0][j], hist[1][j], n, &df);
                if (stat >= gsl_cdf_chisq_Qinv(1e-4, df))
                    print_error("two-sample: case %zu copula %d stat %d: chi2 %g df %d\n", c, cop, j, stat, df);
                assert_true(df >= 2 && stat < gsl_cdf_chisq_Qinv(1e-4, df));
            }
        }
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < 2; j++)
                free(hist[s][j]);
        free(pmf);
    }
    free(d[0]);
    free(d[1]);
}

/* Given the factors, a line's defaults by period are multinomial:
 * (d_1, ..., d_T, survivors) ~ Multinomial(count; q_1 - q_0, ...,
 * q_T - q_{T-1}, 1 - q_T), q_k = Phi((c_k m - s)/c) (gsl_cdf_ugaussian_P
 * here). With the factors held fixed, over many streams: each d_k and the
 * cumulative count by the middle period against their exact binomial laws
 * (chi-square at 1 - 1e-6), the covariance of two periods against
 * -count pi_j pi_k, and nothing in periods where F is flat. Lines large
 * enough for the per-period split, small enough for the per-defaulter
 * draw, gaussian and student_t (mix != 1). */
static void check_split(absim_copula cop, double dof, double mix, int64_t count, double zg, double zs1, int paths,
                        int use_table)
{
    enum { T = 12 };
    /* F flat over periods 4-5 and 9 */
    const double F[T + 1] = {0.0, 0.01, 0.025, 0.04, 0.04, 0.04, 0.07, 0.09, 0.11, 0.11, 0.14, 0.16, 0.19};
    absim_line_model m;
    assert_int_equal(absim_line_model_init(&m, F, T, count, 1, 0.15, 0.1, cop, dof, ABSIM_SAMPLER_BINOMIAL), 0);
    /* q_k from the Phi table, as the simulator computes them, or Cody's */
    double *table = use_table ? absim_phi_table_alloc() : NULL;
    m.phi = table;
    double zs[2] = {0.0, zs1};
    absim_factors f = {zg, zs, mix};
    const double s = m.bg * zg + m.bs * zs1;
    double q[T + 1], pi[T + 1];
    q[0] = 0.0;
    for (int k = 1; k <= T; k++) {
        q[k] = gsl_cdf_ugaussian_P((m.threshold[k] * mix - s) / m.c);
        pi[k] = q[k] - q[k - 1];
    }
    int64_t *d = malloc((size_t)paths * T * sizeof *d);
    assert_non_null(d);
    absim_rng rng;
    for (int p = 0; p < paths; p++) {
        absim_rng_open(&rng, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 3));
        absim_line_sample_defaults(&m, &f, &rng, d + (size_t)p * T);
    }
    const int mid = T / 2;
    for (int k = 0; k <= T; k++) {
        /* k = 0: the cumulative count by `mid`; else period k */
        double pk = k == 0 ? q[mid] : pi[k];
        if (k > 0 && pi[k] == 0.0) {
            for (int p = 0; p < paths; p++)
                assert_true(d[(size_t)p * T + k - 1] == 0);
            continue;
        }
        const double mu = (double)count * pk, sd = sqrt(mu * (1.0 - pk));
        const int64_t lo = mu - 40.0 * sd - 40.0 > 0.0 ? (int64_t)(mu - 40.0 * sd - 40.0) : 0;
        const int64_t hi = mu + 40.0 * sd + 40.0 < (double)count ? (int64_t)(mu + 40.0 * sd + 40.0) : count;
        long *obs = calloc((size_t)(hi - lo + 1), sizeof *obs);
        assert_non_null(obs);
        for (int p = 0; p < paths; p++) {
            int64_t x = 0;
            if (k == 0)
                for (int j = 0; j < mid; j++)
                    x += d[(size_t)p * T + j];
            else
                x = d[(size_t)p * T + k - 1];
            assert_true(x >= lo && x <= hi);
            obs[x - lo]++;
        }
        int df;
        double stat = test_chisq_binomial(obs, paths, count, pk, lo, hi, &df);
        free(obs);
        if (df < 1)
            continue;
        if (stat >= gsl_cdf_chisq_Qinv(1e-6, df))
            print_error("split: copula %d count %lld period %d: chi2 %g df %d\n", (int)cop, (long long)count, k, stat,
                        df);
        assert_true(stat < gsl_cdf_chisq_Qinv(1e-6, df));
    }
    /* Cov(d_1, d_7) = -count pi_1 pi_7 */
    double s1 = 0, s7 = 0, s17 = 0;
    for (int p = 0; p < paths; p++) {
        double a = (double)d[(size_t)p * T], b = (double)d[(size_t)p * T + 6];
        s1 += a;
        s7 += b;
        s17 += a * b;
    }
    const double n = (double)count, cov = s17 / paths - (s1 / paths) * (s7 / paths);
    const double v1 = n * pi[1] * (1 - pi[1]), v7 = n * pi[7] * (1 - pi[7]);
    assert_close(cov, -n * pi[1] * pi[7], 5.0 * sqrt(v1 * v7 / paths) + 1e-9);
    free(d);
    free(table);
    absim_line_model_free(&m);
}

static void test_copula_split_exact(void **state)
{
    (void)state;
    check_split(ABSIM_COPULA_GAUSSIAN, 0.0, 1.0, 3000, -1.0, 0.5, 20000, 1);      /* split, means ~10-40 a period */
    check_split(ABSIM_COPULA_GAUSSIAN, 0.0, 1.0, 200000, 0.3, -0.2, 5000, 1);     /* split, large means */
    check_split(ABSIM_COPULA_GAUSSIAN, 0.0, 1.0, 60, -0.5, 0.0, 20000, 0);        /* mostly one draw per defaulter */
    check_split(ABSIM_COPULA_STUDENT_T, 5.0, 1.3, 400, -0.8, 1.0, 20000, 1);      /* student_t, both branches */
}

/* absim_copula_phi agrees with gsl_cdf_ugaussian_P to a few ulps on a fine
 * grid over its whole range, is non-decreasing, and has GSL's cut-offs. */
static void test_copula_phi(void **state)
{
    (void)state;
    double prev = 0.0, worst = 0.0;
    for (double x = -38.0; x <= 9.0; x += 1.0 / 1024.0 + 1e-9) {
        double a = absim_copula_phi(x), b = gsl_cdf_ugaussian_P(x);
        assert_true(a >= prev);
        prev = a;
        if (b > 1e-300 && fabs(a - b) / b > worst)
            worst = fabs(a - b) / b;
        if (b < 1e-300)
            assert_true(a < 2e-300);
    }
    print_message("absim_copula_phi: max relative difference from GSL %.3g\n", worst);
    assert_true(worst < 8.0 * 2.220446049250313e-16);
    assert_true(absim_copula_phi(-37.52) == 0.0 && absim_copula_phi(8.573) == 1.0);
    assert_true(absim_copula_phi(0.0) == 0.5);
}

/* absim_phi_tab agrees with gsl_cdf_ugaussian_P to a few ulps on a fine
 * grid over [-12, 11] (table and beyond), at the table's nodes and half-way
 * between them; where two nodes' series meet it may step down by an ulp
 * or two (the binomial sampler gives such a period no draw), no more. */
static void test_copula_phi_table(void **state)
{
    (void)state;
    double *t = absim_phi_table_alloc();
    assert_non_null(t);
    double prev = 0.0, worst = 0.0;
    for (double x = -12.0; x <= 11.0; x += 1.0 / 4096.0 + 1e-10) {
        const double a = absim_phi_tab(t, x), b = gsl_cdf_ugaussian_P(x);
        assert_true(a >= prev * (1.0 - 4.5e-16));
        prev = a;
        if (fabs(a - b) / b > worst)
            worst = fabs(a - b) / b;
    }
    for (int i = 0; i < ABSIM_PHI_NODES; i++)
        for (int j = -1; j <= 1; j++) {
            const double x = -10.0 + i / 128.0 + j / 256.0, a = absim_phi_tab(t, x), b = gsl_cdf_ugaussian_P(x);
            if (fabs(a - b) / b > worst)
                worst = fabs(a - b) / b;
        }
    print_message("absim_phi_tab: max relative difference from GSL %.3g\n", worst);
    assert_true(worst < 8.0 * 2.220446049250313e-16);
    free(t);
}

/* The same (seed, path, stream) gives the same defaults. */
static void test_copula_reproducible(void **state)
{
    (void)state;
    double F[] = {0.0, 0.1, 0.2, 0.3};
    for (int s = 0; s < 2; s++) {
        absim_line_model m;
        assert_int_equal(absim_line_model_init(&m, F, 3, 50, 0, 0.3, 0.0, ABSIM_COPULA_GAUSSIAN, 0, s), 0);
        int64_t a[3], b[3];
        double zs[1];
        absim_factors f = {0, zs, 1};
        absim_rng rng;
        for (int p = 0; p < 100; p++) {
            draw_factors(ABSIM_COPULA_GAUSSIAN, 0, 1, 3, (uint64_t)p, &f);
            absim_rng_open(&rng, 3, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 2));
            absim_line_sample_defaults(&m, &f, &rng, a);
            absim_rng_open(&rng, 3, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 2));
            absim_line_sample_defaults(&m, &f, &rng, b);
            assert_memory_equal(a, b, sizeof a);
        }
        absim_line_model_free(&m);
    }
}

/* Beta recovery: mean and stdev, haircut, fixed when stdev = 0, and with a
 * systematic loading the same marginal law but a conditional mean that
 * follows zg: E[R | zg] = int phi(e) B^-1(Phi(a zg + sqrt(1-a^2) e)) de. */
static void test_copula_recovery(void **state)
{
    (void)state;
    absim_rng rng, zr;
    assert_close(absim_recovery_draw(0.4, 0.0, 0.0, 0.25, -3.0, &rng), 0.3, 1e-16);

    const double mean = 0.4, sd = 0.2, hc = 0.3;
    struct {
        double loading;
        int n;
    } cases[] = {{0.0, 200000}, {0.6, 20000}};
    for (int c = 0; c < 2; c++) {
        const int n = cases[c].n;
        double s = 0, s2 = 0, s4 = 0;
        absim_rng_open(&rng, SEED, 1, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 0));
        absim_rng_open(&zr, SEED, 1, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        double *x = malloc((size_t)n * sizeof *x);
        assert_non_null(x);
        for (int i = 0; i < n; i++) {
            double zg = absim_rng_gaussian_icdf(&zr);
            x[i] = absim_recovery_draw(mean, sd, cases[c].loading, 0.0, zg, &rng);
            assert_true(x[i] >= 0.0 && x[i] <= 1.0);
            s += x[i];
        }
        double m = s / n;
        for (int i = 0; i < n; i++) {
            double dd = (x[i] - m) * (x[i] - m);
            s2 += dd;
            s4 += dd * dd;
        }
        double var = s2 / (n - 1);
        assert_close(m, mean, 4.0 * sd / sqrt(n));
        assert_close(var, sd * sd, 4.0 * sqrt((s4 / n - var * var) / n));
        /* haircut: the same draws times (1 - h) */
        absim_rng_open(&rng, SEED, 1, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 0));
        absim_rng_open(&zr, SEED, 1, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        for (int i = 0; i < 1000; i++) {
            double zg = absim_rng_gaussian_icdf(&zr);
            double r = absim_recovery_draw(mean, sd, cases[c].loading, hc, zg, &rng);
            assert_close(r, x[i] * (1.0 - hc), 1e-15);
        }
        free(x);
    }

    /* conditional mean given a bad systematic factor */
    const double a = 0.6, zg = -2.0, k = mean * (1 - mean) / (sd * sd) - 1.0;
    const int n = 20000;
    double s = 0, s2 = 0;
    absim_rng_open(&rng, SEED, 2, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 0));
    for (int i = 0; i < n; i++) {
        double r = absim_recovery_draw(mean, sd, a, 0.0, zg, &rng);
        s += r;
        s2 += r * r;
    }
    double cm = 0.0;
    const int M = 2000;
    const double h = 16.0 / M;
    for (int i = 0; i <= M; i++) {
        double e = -8.0 + i * h, w = (i == 0 || i == M) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        double u = gsl_cdf_ugaussian_P(a * zg + sqrt(1 - a * a) * e);
        cm += w * h / 3.0 * gsl_ran_ugaussian_pdf(e) * gsl_cdf_beta_Pinv(u, mean * k, (1 - mean) * k);
    }
    double em = s / n, ev = s2 / n - em * em;
    assert_close(em, cm, 4.0 * sqrt(ev / n));
    assert_true(cm < mean - 0.1);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copula_model_init),
        cmocka_unit_test(test_copula_conditional_pd),
        cmocka_unit_test(test_copula_factors),
        cmocka_unit_test(test_copula_marginal_default_probability),
        cmocka_unit_test(test_copula_pairwise_gaussian),
        cmocka_unit_test(test_copula_pairwise_student_t),
        cmocka_unit_test(test_copula_vasicek_large_pool),
        cmocka_unit_test(test_copula_samplers_agree),
        cmocka_unit_test(test_copula_split_exact),
        cmocka_unit_test(test_copula_phi),
        cmocka_unit_test(test_copula_phi_table),
        cmocka_unit_test(test_copula_reproducible),
        cmocka_unit_test(test_copula_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
