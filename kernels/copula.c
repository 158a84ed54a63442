/* copula.c -- systematic factors, the two exact default samplers and
 * recovery draws.
 *
 * Loan i of a line defaults by period k iff
 *     x_i = s + c e_i <= c_k m,    s = b_g Z_g + b_s Z_s,
 * with thresholds c_k = Phi^-1(F_k) (gaussian) or t_nu^-1(F_k) (student_t)
 * and m = sqrt(W/nu) (1 for gaussian). Given the factors, loans are
 * independent with q_k = P(default by k | Z) = Phi((c_k m - s) / c).
 *
 * Samplers (both exact; the choice changes only cost, see choose_sampler):
 *   loan by loan  one uniform U_i per loan, e_i = Phi^-1(U_i); the loan
 *                 defaults by `last` iff U_i <= q_last (same event as
 *                 e_i <= e_last), so e_i is only evaluated for defaulters,
 *                 whose period is the smallest k with x_i <= c_k m
 *                 (binary search).
 *   binomial      N ~ Binomial(count, q_last); each defaulter's idiosyncratic
 *                 draw conditional on defaulting is e = Phi^-1(u q_last),
 *                 then the same binary search: O(1 + N), no Phi per period.
 *                 When N is large against `last` the N defaulters are split
 *                 over periods by sequential conditional binomials instead
 *                 (d_k ~ Bin(n_left, (q_k - q_{k-1}) / (q_last - q_{k-1}))),
 *                 which draws from the same multinomial at O(last) cost.
 *
 * Invariants: thresholds are non-decreasing with threshold[0] = -inf;
 * per-path functions allocate nothing and use only the stream given. */
#include "copula.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "status.h"

/* Cost model in nanoseconds per path, from bench/absim_bench_generators
 * (Release build; see docs/generators.md). Only ratios matter. */
#define COST_LOAN 8.0        /* one loan in the loan-by-loan loop: uniform + compare */
#define COST_DEFAULTER 80.0  /* one defaulter's Phi^-1 and period search */
#define COST_BINOMIAL 100.0  /* the binomial sampler's fixed cost: one binomial draw */
#define COST_PERIOD 95.0     /* one period of the sequential split: Phi + binomial */

void absim_factors_draw(absim_copula copula, double dof, int nsectors, double zg_shift, absim_rng *rng,
                        absim_factors *f)
{
    f->zg = absim_rng_gaussian_icdf(rng) + zg_shift;
    for (int i = 0; i < nsectors; i++)
        f->zs[i] = absim_rng_gaussian_icdf(rng);
    f->mix = 1.0;
    if (copula == ABSIM_COPULA_STUDENT_T) {
        gsl_rng g;
        absim_rng_bind_gsl(&g, rng);
        f->mix = sqrt(gsl_ran_chisq(&g, dof) / dof);
    }
}

static double threshold_of(double F, absim_copula copula, double dof)
{
    if (!(F > 0.0))
        return -INFINITY;
    if (F >= 1.0)
        return INFINITY;
    return copula == ABSIM_COPULA_STUDENT_T ? gsl_cdf_tdist_Pinv(F, dof) : gsl_cdf_ugaussian_Pinv(F);
}

/* Expected cost per path of each sampler at the mean number of defaults;
 * binomial wins from about a dozen loans on. */
static absim_sampler choose_sampler(int64_t count, double F_last, int last)
{
    double n = (double)count;
    double defaults = n * F_last;
    double loan = n * COST_LOAN + defaults * COST_DEFAULTER;
    double split = defaults * COST_DEFAULTER;
    if (split > last * COST_PERIOD)
        split = last * COST_PERIOD;
    double binomial = COST_BINOMIAL + split;
    return binomial < loan ? ABSIM_SAMPLER_BINOMIAL : ABSIM_SAMPLER_LOAN;
}

int absim_line_model_init(absim_line_model *m, const double *F, int T, int64_t count, int sector, double bg2,
                          double bs2, absim_copula copula, double dof, int force)
{
    memset(m, 0, sizeof *m);
    if (T < 1 || count < 0 || sector < 0)
        return absim_error_set(ABSIM_EINVAL, "line model: bad T=%d, count=%lld or sector=%d", T, (long long)count,
                               sector);
    if (!(bg2 >= 0.0) || !(bs2 >= 0.0) || !(bg2 + bs2 < 1.0))
        return absim_error_set(ABSIM_EINVAL, "line model: need systematic, sector loading >= 0 and sum < 1 (%g + %g)",
                               bg2, bs2);
    if (copula == ABSIM_COPULA_STUDENT_T && !(dof > 0.0 && isfinite(dof)))
        return absim_error_set(ABSIM_EINVAL, "line model: student_t needs dof > 0 (got %g)", dof);
    m->threshold = malloc((size_t)(T + 1) * sizeof *m->threshold);
    m->F = malloc((size_t)(T + 1) * sizeof *m->F);
    if (!m->threshold || !m->F) {
        absim_line_model_free(m);
        return absim_error_set(ABSIM_ENOMEM, "out of memory for a line model of %d periods", T);
    }
    m->T = T;
    m->count = count;
    m->sector = sector;
    m->bg = sqrt(bg2);
    m->bs = sqrt(bs2);
    m->c = sqrt(1.0 - bg2 - bs2);
    m->copula = copula;
    m->dof = dof;
    m->F[0] = 0.0;
    m->threshold[0] = -INFINITY;
    m->last = 0;
    for (int k = 1; k <= T; k++) {
        double Fk = F[k] > m->F[k - 1] ? F[k] : m->F[k - 1]; /* NaN-safe: keeps the previous */
        if (Fk > 1.0)
            Fk = 1.0;
        m->F[k] = Fk;
        m->threshold[k] = threshold_of(Fk, copula, dof);
        if (Fk > m->F[k - 1])
            m->last = k;
    }
    if (force == ABSIM_SAMPLER_LOAN || force == ABSIM_SAMPLER_BINOMIAL)
        m->sampler = (absim_sampler)force;
    else
        m->sampler = choose_sampler(count, m->F[T], m->last);
    return ABSIM_OK;
}

void absim_line_model_free(absim_line_model *m)
{
    free(m->threshold);
    free(m->F);
    m->threshold = NULL;
    m->F = NULL;
}

static double systematic(const absim_line_model *m, const absim_factors *f)
{
    double s = m->bg * f->zg;
    if (m->bs != 0.0)
        s += m->bs * f->zs[m->sector];
    return s;
}

/* Phi((c_k m - s) / c), exact at infinite thresholds. */
static double conditional_pd(const absim_line_model *m, double ck, double mix, double s)
{
    if (ck == -INFINITY)
        return 0.0;
    if (ck == INFINITY)
        return 1.0;
    return gsl_cdf_ugaussian_P((ck * mix - s) / m->c);
}

double absim_line_conditional_pd(const absim_line_model *m, const absim_factors *f, int k)
{
    if (k <= 0)
        return 0.0;
    if (k > m->T)
        k = m->T;
    return conditional_pd(m, m->threshold[k], f->mix, systematic(m, f));
}

/* Smallest k in [1, last] with x <= threshold[k] * mix (last if none, which
 * only rounding can cause). */
static int default_period(const double *restrict threshold, int last, double mix, double x)
{
    int lo = 1, hi = last;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (x <= threshold[mid] * mix)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int64_t sample_loan_by_loan(const absim_line_model *m, double s, double mix, absim_rng *rng,
                                   int64_t *restrict defaults)
{
    const int last = m->last;
    const double q_last = conditional_pd(m, m->threshold[last], mix, s);
    int64_t total = 0;
    for (int64_t i = 0; i < m->count; i++) {
        double u = absim_rng_uniform(rng);
        if (u <= q_last) {
            int k = default_period(m->threshold, last, mix, s + m->c * gsl_cdf_ugaussian_Pinv(u));
            defaults[k - 1]++;
            total++;
        }
    }
    return total;
}

/* Binomial(n, p) for a 64-bit n (gsl_ran_binomial takes unsigned int). */
static int64_t binomial64(const gsl_rng *g, double p, int64_t n)
{
    if (!(p > 0.0) || n <= 0)
        return 0;
    if (p >= 1.0)
        return n;
    int64_t k = 0;
    while (n > 0) {
        unsigned int chunk = n > (int64_t)UINT_MAX ? UINT_MAX : (unsigned int)n;
        k += gsl_ran_binomial(g, p, chunk);
        n -= chunk;
    }
    return k;
}

static int64_t sample_binomial(const absim_line_model *m, double s, double mix, absim_rng *rng,
                               int64_t *restrict defaults)
{
    gsl_rng g;
    absim_rng_bind_gsl(&g, rng);
    const int last = m->last;
    const double q_last = conditional_pd(m, m->threshold[last], mix, s);
    const int64_t n = binomial64(&g, q_last, m->count);
    if (n == 0)
        return 0;
    if ((double)n * COST_DEFAULTER <= last * COST_PERIOD) {
        /* each defaulter: e | e <= e_last, then its period */
        for (int64_t i = 0; i < n; i++) {
            double e = gsl_cdf_ugaussian_Pinv(absim_rng_uniform(rng) * q_last);
            int k = default_period(m->threshold, last, mix, s + m->c * e);
            defaults[k - 1]++;
        }
    } else {
        /* split n over periods 1..last: multinomial with cell
         * probabilities (q_k - q_{k-1}) / q_last, sequentially */
        int64_t left = n;
        double q_prev = 0.0;
        for (int k = 1; k < last && left > 0; k++) {
            double q = conditional_pd(m, m->threshold[k], mix, s);
            double rest = q_last - q_prev;
            double p = rest > 0.0 ? (q - q_prev) / rest : 0.0;
            int64_t d = binomial64(&g, p, left);
            defaults[k - 1] += d;
            left -= d;
            q_prev = q;
        }
        defaults[last - 1] += left;
    }
    return n;
}

int absim_phi_table_init(absim_phi_table *t)
{
    /* step 1/32 on [-9, 9]: interpolation error <= 2^-10/8 x phi(1) = 2.954e-5 */
    const double h = 1.0 / 32.0, lo = -9.0;
    const int n = 18 * 32 + 1;
    memset(t, 0, sizeof *t);
    t->v = malloc((size_t)n * sizeof *t->v);
    if (!t->v)
        return absim_error_set(ABSIM_ENOMEM, "out of memory for the Phi table");
    for (int i = 0; i < n; i++)
        t->v[i] = gsl_cdf_ugaussian_P(lo + i * h);
    t->n = n;
    t->lo = lo;
    t->inv_h = 1.0 / h;
    t->err = h * h / 8.0 * 0.24197072451914337 + 1e-12;
    return ABSIM_OK;
}

void absim_phi_table_free(absim_phi_table *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* u <= Phi(y), decided as u <= gsl_cdf_ugaussian_P(y) would be. */
static int below_phi(const absim_phi_table *restrict t, double u, double y)
{
    double x = (y - t->lo) * t->inv_h;
    if (x >= 0.0 && x < (double)(t->n - 1)) {
        int j = (int)x;
        double a = t->v[j] + (x - (double)j) * (t->v[j + 1] - t->v[j]);
        if (u > a + t->err)
            return 0;
        if (u < a - t->err)
            return 1;
    }
    return u <= gsl_cdf_ugaussian_P(y);
}

void absim_line_sample_single(const absim_line_model *m, int n, const absim_factors *f, const double *u,
                              const absim_phi_table *t, int *period)
{
    const double mix = f->mix;
    for (int i = 0; i < n; i++) {
        const absim_line_model *mi = &m[i];
        const int last = mi->last;
        const double s = systematic(mi, f), ck = mi->threshold[last];
        int def;
        if (isfinite(ck))
            def = below_phi(t, u[i], (ck * mix - s) / mi->c); /* conditional_pd's argument */
        else
            def = u[i] <= conditional_pd(mi, ck, mix, s);
        period[i] = def ? default_period(mi->threshold, last, mix, s + mi->c * gsl_cdf_ugaussian_Pinv(u[i])) : 0;
    }
}

int absim_recovery_is_fixed(double mean, double stdev)
{
    if (stdev > 0.0 && mean > 0.0 && mean < 1.0)
        return !(mean * (1.0 - mean) / (stdev * stdev) - 1.0 > 0.0);
    return 1;
}

int64_t absim_line_sample_defaults(const absim_line_model *m, const absim_factors *f, absim_rng *rng,
                                   int64_t *defaults)
{
    memset(defaults, 0, (size_t)m->T * sizeof *defaults);
    if (m->last == 0 || m->count <= 0)
        return 0;
    double s = systematic(m, f);
    if (m->sampler == ABSIM_SAMPLER_BINOMIAL)
        return sample_binomial(m, s, f->mix, rng, defaults);
    return sample_loan_by_loan(m, s, f->mix, rng, defaults);
}

double absim_recovery_draw(double mean, double stdev, double loading, double haircut, double zg, absim_rng *rng)
{
    double rate = mean;
    if (stdev > 0.0 && mean > 0.0 && mean < 1.0) {
        double k = mean * (1.0 - mean) / (stdev * stdev) - 1.0;
        if (k > 0.0) {
            double alpha = mean * k, beta = (1.0 - mean) * k;
            if (loading > 0.0) {
                double a = loading < 1.0 ? loading : 1.0;
                double z = a * zg + sqrt(1.0 - a * a) * absim_rng_gaussian_icdf(rng);
                rate = gsl_cdf_beta_Pinv(gsl_cdf_ugaussian_P(z), alpha, beta);
            } else {
                gsl_rng g;
                absim_rng_bind_gsl(&g, rng);
                rate = gsl_ran_beta(&g, alpha, beta);
            }
        }
    }
    rate *= 1.0 - haircut;
    if (!(rate > 0.0))
        return 0.0;
    return rate < 1.0 ? rate : 1.0;
}
