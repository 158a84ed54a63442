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
 *   binomial      N ~ Binomial(count, q_last) (absim_binomial_draw, exact);
 *                 each defaulter's idiosyncratic draw conditional on
 *                 defaulting is e = Phi^-1(u q_last), then the same binary
 *                 search: O(1 + N), no Phi per period. When N is large
 *                 against `last` the N defaulters are split over periods by
 *                 sequential conditional binomials instead
 *                 (d_k ~ Bin(n_left, (q_k - q_{k-1}) / (q_last - q_{k-1}))),
 *                 which draws from the same multinomial at O(last) cost,
 *                 independent of N (each binomial is O(1) for any mean);
 *                 periods where F is flat get no draw. This sampler computes
 *                 q_k with absim_copula_phi (GSL's approximation of Phi, at
 *                 under half the cost, equal to a few ulps).
 *
 * Invariants: thresholds are non-decreasing with threshold[0] = -inf;
 * per-path functions allocate nothing and use only the stream given. */
#include "copula.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "binomial.h"
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

/* 2^(-j/32), j = 0..31, correctly rounded. */
static const double exp2_neg32[32] = {
    0x1.0000000000000p+0, 0x1.f50765b6e4540p-1, 0x1.ea4afa2a490dap-1, 0x1.dfc97337b9b5fp-1,
    0x1.d5818dcfba487p-1, 0x1.cb720dcef9069p-1, 0x1.c199bdd85529cp-1, 0x1.b7f76f2fb5e47p-1,
    0x1.ae89f995ad3adp-1, 0x1.a5503b23e255dp-1, 0x1.9c49182a3f090p-1, 0x1.93737b0cdc5e5p-1,
    0x1.8ace5422aa0dbp-1, 0x1.82589994cce13p-1, 0x1.7a11473eb0187p-1, 0x1.71f75e8ec5f74p-1,
    0x1.6a09e667f3bcdp-1, 0x1.6247eb03a5585p-1, 0x1.5ab07dd485429p-1, 0x1.5342b569d4f82p-1,
    0x1.4bfdad5362a27p-1, 0x1.44e086061892dp-1, 0x1.3dea64c123422p-1, 0x1.371a7373aa9cbp-1,
    0x1.306fe0a31b715p-1, 0x1.29e9df51fdee1p-1, 0x1.2387a6e756238p-1, 0x1.1d4873168b9aap-1,
    0x1.172b83c7d517bp-1, 0x1.11301d0125b51p-1, 0x1.0b5586cf9890fp-1, 0x1.059b0d3158574p-1,
};

/* exp(-y) for 0.2 <= y <= 704, to about 1 ulp: y = k ln2/32 - r with
 * |r| <= ln2/64 (ln2/32 split so that k ln2/32 is exact), so
 * exp(-y) = 2^(-k/32) exp(r), exp(r) by its Taylor polynomial of degree 6
 * (remainder below 2e-18). */
static inline double exp_neg(double y)
{
    const int k = (int)(y * 0x1.71547652b82fep+5 + 0.5); /* round(y 32/ln2) */
    const double kd = (double)k;
    const double r = (kd * 0x1.62e42fefa0000p-6 - y) + kd * 0x1.cf79abc9e3b3ap-45;
    const double e =
        1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    const uint64_t bits = (uint64_t)(1023 - (k >> 5)) << 52; /* 2^-(k/32 rounded down) */
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return scale * exp2_neg32[k & 31] * e;
}

/* exp(-x^2/2) for 0.66 <= x <= 37.6: x = h + l with h the top 26 bits of
 * x, so that h^2 is exact, exp(-h^2/2) by exp_neg and exp(-(h l + l^2/2))
 * by its cubic Taylor polynomial (the argument is below 2.1e-5). */
static double exp_half_square(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits &= ~(((uint64_t)1 << 27) - 1);
    double h;
    memcpy(&h, &bits, sizeof h);
    double l = x - h, e = h * l + 0.5 * l * l;
    return exp_neg(0.5 * (h * h)) * (1.0 - e * (1.0 - e * (0.5 - e / 6.0)));
}

/* Phi(x) for the binomial sampler (copula.h): W. J. Cody's rational Chebyshev
 * approximations ("Rational Chebyshev approximations for the error
 * function", Math. Comp. 23 (1969) 631-637), the ones gsl_cdf_ugaussian_P
 * evaluates, in three ranges of |x| with the same cut-offs, times
 * exp(-x^2/2) from one table-driven exponential (exp_half_square) where
 * GSL calls exp() twice. It agrees with gsl_cdf_ugaussian_P to a few ulps
 * (test_copula) at under half the cost. */
double absim_copula_phi(double x)
{
    static const double a[5] = {2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
                                18154.981253343561249, 0.065682337918207449113};
    static const double b[4] = {47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
                                45507.789335026729956};
    static const double c[9] = {0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
                                597.27027639480026226,  2494.5375852903726711, 6848.1904505362823326,
                                11602.651437647350124,  9842.7148383839780218, 1.0765576773720192317e-8};
    static const double d[8] = {22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
                                6485.558298266760755,  18615.571640885098091, 34900.952721145977266,
                                38912.003286093271411, 19685.429676859990727};
    static const double p[6] = {0.21589853405795699,     0.1274011611602473639,  0.022235277870649807,
                                0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303};
    static const double q[5] = {1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
                                0.00378239633202758244, 7.29751555083966205e-5};
    const double ax = fabs(x);
    double num, den, t;
    if (ax < 0.66291) {
        double x2 = x * x;
        num = a[4] * x2;
        den = x2;
        for (int i = 0; i < 3; i++) {
            num = (num + a[i]) * x2;
            den = (den + b[i]) * x2;
        }
        return 0.5 + x * (num + a[3]) / (den + b[3]);
    }
    if (x > 8.572)
        return 1.0;
    if (x < -37.519)
        return 0.0;
    if (ax < 5.656854249492380195) { /* sqrt(32) */
        num = c[8] * ax;
        den = ax;
        for (int i = 0; i < 7; i++) {
            num = (num + c[i]) * ax;
            den = (den + d[i]) * ax;
        }
        t = (num + c[7]) / (den + d[7]);
    } else {
        double r2 = 1.0 / (x * x);
        num = p[5] * r2;
        den = r2;
        for (int i = 0; i < 4; i++) {
            num = (num + p[i]) * r2;
            den = (den + q[i]) * r2;
        }
        t = r2 * (num + p[4]) / (den + q[4]);
        t = (0.39894228040143267794 - t) / ax; /* 1/sqrt(2 pi) */
    }
    t *= exp_half_square(ax);
    return x > 0.0 ? 1.0 - t : t;
}

double *absim_phi_table_alloc(void)
{
    double *t = malloc(ABSIM_PHI_STRIDE * (size_t)ABSIM_PHI_NODES * sizeof *t);
    if (!t)
        return NULL;
    for (int i = 0; i < ABSIM_PHI_NODES; i++) {
        const double x0 = -10.0 + i / 128.0, phi0 = 0.39894228040143267794 * exp(-0.5 * x0 * x0);
        double *d = t + ABSIM_PHI_STRIDE * (size_t)i;
        d[0] = gsl_cdf_ugaussian_P(x0); /* erfc(-x0/sqrt 2) would carry the rounding of x0/sqrt 2 */
        /* d[1 + n] = phi(x0) (-1)^n He_n(x0) / (n+1)!, He_n = x0 He_{n-1} - (n-1) He_{n-2} */
        double he_prev = 0.0, he = 1.0, c = phi0;
        for (int n = 0; n <= 8; n++) {
            d[1 + n] = c * he;
            const double next = x0 * he - n * he_prev;
            he_prev = he;
            he = next;
            c *= -1.0 / (n + 2);
        }
    }
    return t;
}

double absim_phi_tab(const double *table, double x)
{
    const double y = (x + 10.0) * 128.0;
    if (!(y >= 0.0 && y <= ABSIM_PHI_NODES - 1))
        return absim_copula_phi(x);
    const int i = (int)(y + 0.5);
    const double h = x - (-10.0 + i / 128.0); /* exact */
    const double *d = table + ABSIM_PHI_STRIDE * (size_t)i;
    double s = d[9];
    for (int n = 8; n >= 1; n--)
        s = s * h + d[n];
    return d[0] + h * s;
}

/* conditional_pd through the run's Phi table (absim_copula_phi without). */
static double binomial_pd(const absim_line_model *m, double ck, double mix, double s)
{
    if (ck == -INFINITY)
        return 0.0;
    if (ck == INFINITY)
        return 1.0;
    const double x = (ck * mix - s) / m->c;
    return m->phi ? absim_phi_tab(m->phi, x) : absim_copula_phi(x);
}

static int64_t sample_binomial(const absim_line_model *m, double s, double mix, absim_rng *rng,
                               int64_t *restrict defaults)
{
    const int last = m->last;
    const double *restrict threshold = m->threshold;
    const double q_last = binomial_pd(m, threshold[last], mix, s);
    const int64_t n = absim_binomial_draw(rng, m->count, q_last);
    if (n == 0)
        return 0;
    if ((double)n * COST_DEFAULTER <= last * COST_PERIOD) {
        /* each defaulter: e | e <= e_last, then its period */
        for (int64_t i = 0; i < n; i++) {
            double e = gsl_cdf_ugaussian_Pinv(absim_rng_uniform(rng) * q_last);
            int k = default_period(threshold, last, mix, s + m->c * e);
            defaults[k - 1]++;
        }
    } else {
        /* split n over periods 1..last: multinomial with cell
         * probabilities (q_k - q_{k-1}) / q_last, sequentially; the q_k
         * of a few periods at a time first (a tight loop), and a period
         * with F_k = F_{k-1} (equal thresholds) has an empty cell */
        enum { QBLOCK = 8 };
        double qb[QBLOCK];
        int64_t left = n;
        double q_prev = 0.0;
        for (int k0 = 1; k0 < last && left > 0; k0 += QBLOCK) {
            const int k1 = k0 + QBLOCK < last ? k0 + QBLOCK : last;
            for (int k = k0; k < k1; k++)
                qb[k - k0] = threshold[k] == threshold[k - 1] && k > k0 ? qb[k - k0 - 1]
                                                                        : binomial_pd(m, threshold[k], mix, s);
            for (int k = k0; k < k1 && left > 0; k++) {
                const double q = qb[k - k0];
                if (!(q > q_prev))
                    continue;
                const int64_t d = absim_binomial_draw(rng, left, (q - q_prev) / (q_last - q_prev));
                defaults[k - 1] += d;
                left -= d;
                q_prev = q;
            }
        }
        defaults[last - 1] += left;
    }
    return n;
}

int absim_recovery_beta_shapes(double mean, double stdev, double *a, double *b)
{
    if (!(stdev > 0.0 && mean > 0.0 && mean < 1.0))
        return 0;
    const double k = mean * (1.0 - mean) / (stdev * stdev) - 1.0;
    if (!(k > 0.0))
        return 0;
    *a = mean * k;
    *b = (1.0 - mean) * k;
    return 1;
}

int absim_recovery_is_fixed(double mean, double stdev)
{
    double a, b;
    return !absim_recovery_beta_shapes(mean, stdev, &a, &b);
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
    double rate = mean, alpha, beta;
    if (absim_recovery_beta_shapes(mean, stdev, &alpha, &beta)) {
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
    rate *= 1.0 - haircut;
    if (!(rate > 0.0))
        return 0.0;
    return rate < 1.0 ? rate : 1.0;
}
