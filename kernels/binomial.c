/* binomial.c -- exact Binomial(n, p) variates on an absim_rng stream.
 *
 * With p <= 1/2 (for p > 1/2 the n - X failures are drawn), mean mu = n p
 * and variance v = n p (1-p), one of three exact methods:
 *
 *   mu < 6    inversion from 0: one uniform u, the answer is the smallest
 *             j with u <= F(j), f(0) = (1-p)^n, f(j) = f(j-1) ((n+1)s/j - s),
 *             s = p/(1-p). O(1 + mu).
 *   v < 40    inversion from the mode m = floor((n+1) p): one uniform,
 *             outcomes taken in the fixed order m, m+1, m-1, m+2, ...
 *             (any fixed order inverts exactly). f(m) comes from Loader's
 *             saddle-point form (C. Loader, "Fast and accurate computation
 *             of binomial probabilities", 2000) with truncated series of
 *             proven error bound; an answer is only returned when it holds
 *             for every f(m) within that bound, else (about 1% of draws)
 *             the same uniform is inverted again with f(m) to rounding.
 *             O(1 + sqrt(v)).
 *   else      BTRD: W. Hörmann, "The generation of binomial random
 *             variates", J. Statist. Comput. Simul. 46 (1993) 101-110.
 *             Transformed rejection with the hat k = floor((2a/us + b) u + c),
 *             us = 1/2 - |u|, and a region under the pmf where the first
 *             uniform is accepted outright (60% of draws at v = 40, more
 *             above). Other candidates k are accepted when v <= f(k)/f(m),
 *             computed as the product of the |k - m| successive pmf ratios
 *             up to 40 apart and from Loader's log pmf beyond (Stirling
 *             remainders and the deviance term bd0: no cancellation). The
 *             paper's squeeze for |k - m| > 15 is not used, so acceptance
 *             does not rest on its bounds. O(1).
 *
 * Exactness: all three draw from the binomial law itself; the only
 * departure is floating-point rounding of pmf values, of relative size
 * about 1e-15 (f(0) by squaring carries up to n ulps, so squaring is used
 * up to n = 1024 only, with the rounding of 1-p corrected; exp(n log1p(-p))
 * above). If rounding leaves an inversion without an answer (u above the
 * computed total: probability ~1e-15) it restarts with a new uniform, as
 * GSL's and R's inversions do. Costs: about 200 instructions a draw at
 * mu = 2, 270 at mu = 17, 300 for BTRD (x86-64, with the uniform).
 *
 * Invariants: no allocation, nothing but the stream is read or written;
 * each method works on n < 2^52 (larger n is drawn in chunks and summed). */
#include "binomial.h"

#include <math.h>

#define MODE_MIN_MEAN 6.0     /* inversion from 0 below this mean, from the mode above */
#define MODE_MAX_VAR 40.0     /* ... below this variance, BTRD from it */
#define BTRD_MIN_MEAN 10.0    /* BTRD's hat needs this mean (implied by the variance) */
#define POW_SQUARING_MAX 1024 /* (1-p)^n by squaring up to this n */
#define RECURSIVE_MAX 40.0    /* |k - m| up to which BTRD's f(k)/f(m) is a product */
#define CHUNK ((int64_t)1 << 52)

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* absim_rng_uniform() with its common case inline (a word left in the
 * current block: rng.h's out[] and used): the same words and the same
 * conversion, (k + 1/2) 2^-53 for the top 53 bits k. Keeps the samplers'
 * loops free of calls but once a block. */
static inline double uniform(absim_rng *r)
{
    uint64_t w = r->used < 4 ? r->out[r->used++] : absim_rng_u64(r);
    return ((double)(int64_t)(w >> 11) + 0.5) * 0x1p-53;
}

/* Stirling remainder ln n! - ((n + 1/2) ln n - n + ln sqrt(2 pi)) at
 * n = 0..15 (n = 0 unused), to 25 digits. */
static const double stirlerr_small[16] = {
    0.0,
    0.08106146679532725821967026,
    0.04134069595540929409382208,
    0.02767792568499833914878929,
    0.02079067210376509311152277,
    0.01664469118982119216319487,
    0.01387612882307074799874573,
    0.01189670994589177009505572,
    0.01041126526197209649747857,
    0.009255462182712732917728637,
    0.008330563433362871256469319,
    0.007573675487951840794972024,
    0.006942840107209529865664153,
    0.006408994188004207068439631,
    0.005951370112758847735624416,
    0.00555473355196280137103869,
};

/* The same remainder for an integer n >= 1 (as a double): the table up to
 * 15, then its asymptotic series 1/12 r - 1/360 r^3 + 1/1260 r^5 -
 * 1/1680 r^7 + 1/1188 r^9 (r = 1/n), whose next term is below 1.2e-16. */
static inline double stirlerr(double n)
{
    if (n <= 15.0)
        return stirlerr_small[(int)n];
    const double r = 1.0 / n, r2 = r * r;
    return (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 * (1.0 / 1188.0))))) * r;
}

/* Deviance term x ln(x/M) + M - x for x > 0, M > 0, by its series in
 * v = (x-M)/(x+M) when x is near M (where the direct form cancels). */
static double bd0(double x, double M)
{
    double d = x - M;
    if (fabs(d) < 0.1 * (x + M)) {
        double v = d / (x + M), s = d * v, ej = 2.0 * x * v;
        v *= v;
        for (int j = 1; j < 1000; j++) {
            ej *= v;
            double s1 = s + ej / (2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    return x * log(x / M) + M - x;
}

/* ln f(k) for Binomial(n, p), q = 1 - p, up to a term that depends on n
 * only (stirlerr(n) - ln sqrt(2 pi)): differences over k are exact to
 * rounding. 0 <= k <= n. */
static double log_pmf_rel(double k, double n, double p, double q)
{
    const double c = stirlerr(n) - 0.91893853320467274178; /* dropped: ln sqrt(2 pi) */
    if (k == 0.0)
        return n * log1p(-p) - c;
    if (k == n)
        return n * log(p) - c;
    return -stirlerr(k) - stirlerr(n - k) - bd0(k, n * p) - bd0(n - k, n * q) - 0.5 * (log(k) + log1p(-k / n));
}

/* x^n by squaring, n >= 0. */
static double pow_int(double x, int64_t n)
{
    double r = 1.0;
    while (n > 0) {
        if (n & 1)
            r *= x;
        x *= x;
        n >>= 1;
    }
    return r;
}

/* 1/j for j = 1..128 (recip[0] unused). */
static const double recip[129] = {
    0.0, 1.0 / 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8, 1.0 / 9, 1.0 / 10, 1.0 / 11,
    1.0 / 12, 1.0 / 13, 1.0 / 14, 1.0 / 15, 1.0 / 16, 1.0 / 17, 1.0 / 18, 1.0 / 19, 1.0 / 20, 1.0 / 21,
    1.0 / 22, 1.0 / 23, 1.0 / 24, 1.0 / 25, 1.0 / 26, 1.0 / 27, 1.0 / 28, 1.0 / 29, 1.0 / 30, 1.0 / 31,
    1.0 / 32, 1.0 / 33, 1.0 / 34, 1.0 / 35, 1.0 / 36, 1.0 / 37, 1.0 / 38, 1.0 / 39, 1.0 / 40, 1.0 / 41,
    1.0 / 42, 1.0 / 43, 1.0 / 44, 1.0 / 45, 1.0 / 46, 1.0 / 47, 1.0 / 48, 1.0 / 49, 1.0 / 50, 1.0 / 51,
    1.0 / 52, 1.0 / 53, 1.0 / 54, 1.0 / 55, 1.0 / 56, 1.0 / 57, 1.0 / 58, 1.0 / 59, 1.0 / 60, 1.0 / 61,
    1.0 / 62, 1.0 / 63, 1.0 / 64, 1.0 / 65, 1.0 / 66, 1.0 / 67, 1.0 / 68, 1.0 / 69, 1.0 / 70, 1.0 / 71,
    1.0 / 72, 1.0 / 73, 1.0 / 74, 1.0 / 75, 1.0 / 76, 1.0 / 77, 1.0 / 78, 1.0 / 79, 1.0 / 80, 1.0 / 81,
    1.0 / 82, 1.0 / 83, 1.0 / 84, 1.0 / 85, 1.0 / 86, 1.0 / 87, 1.0 / 88, 1.0 / 89, 1.0 / 90, 1.0 / 91,
    1.0 / 92, 1.0 / 93, 1.0 / 94, 1.0 / 95, 1.0 / 96, 1.0 / 97, 1.0 / 98, 1.0 / 99, 1.0 / 100, 1.0 / 101,
    1.0 / 102, 1.0 / 103, 1.0 / 104, 1.0 / 105, 1.0 / 106, 1.0 / 107, 1.0 / 108, 1.0 / 109, 1.0 / 110,
    1.0 / 111, 1.0 / 112, 1.0 / 113, 1.0 / 114, 1.0 / 115, 1.0 / 116, 1.0 / 117, 1.0 / 118, 1.0 / 119,
    1.0 / 120, 1.0 / 121, 1.0 / 122, 1.0 / 123, 1.0 / 124, 1.0 / 125, 1.0 / 126, 1.0 / 127, 1.0 / 128,
};

/* p <= 1/2, n p < MODE_MIN_MEAN. The pmf ratios f(j)/f(j-1) = a/j - s are
 * applied four at a time and u compared with the cumulative sum once per
 * four (then resolved inside the four). */
static inline int64_t inversion(absim_rng *rng, int64_t n, double p)
{
    const double q = 1.0 - p, s = p / q, nd = (double)n, a = (nd + 1.0) * s;
    double f0;
    if (n <= POW_SQUARING_MAX) {
        /* q is 1-p rounded; its error d = (1-q) - p is exact (Sterbenz),
         * and (1-p)^n = q^n (1 + d/q)^n = q^n (1 + n d/q) to 1e-26 */
        double d = (1.0 - q) - p;
        f0 = pow_int(q, n) * (1.0 + nd * d / q);
    } else {
        f0 = exp(nd * log1p(-p));
    }
    for (;;) {
        const double u = uniform(rng);
        if (u <= f0)
            return 0;
        double f = f0, F = f0;
        int j = 0;
        for (; j + 4 <= 128; j += 4) {
            const double f1 = f * (a * recip[j + 1] - s), F1 = F + f1;
            const double f2 = f1 * (a * recip[j + 2] - s), F2 = F1 + f2;
            const double f3 = f2 * (a * recip[j + 3] - s), F3 = F2 + f3;
            const double f4 = f3 * (a * recip[j + 4] - s), F4 = F3 + f4;
            if (u <= F4) {
                int64_t k = j + (u <= F1 ? 1 : u <= F2 ? 2 : u <= F3 ? 3 : 4);
                if (k <= n)
                    return k;
                break; /* past n: rounding, u above the computed total */
            }
            if (!(f4 > 0.0) || j + 4 >= n)
                break; /* likewise (or the pmf underflowed) */
            f = f4;
            F = F4;
        }
        if (j + 4 > 128) {
            /* mean < 6: beyond 128 only through rounding or a 1e-80 tail */
            for (double jd = 129.0; jd <= nd; jd += 1.0) {
                f *= a / jd - s;
                F += f;
                if (u <= F)
                    return (int64_t)jd;
                if (!(f > 0.0))
                    break;
            }
        }
    }
}

/* Stirling remainder to 6.8e-7: the table up to 15, the series' first
 * term 1/(12n) above (the error is below the next, 1/(360 n^3)). */
static inline double stirlerr_fast(double n)
{
    return n <= 15.0 ? stirlerr_small[(int)n] : (1.0 / 12.0) / n;
}

/* bd0(x, M) to 3.5e-5 for |x - M| < 1 and x >= 5: two terms of its series
 * in v = (x-M)/(x+M), |v| < 1/(2x-1) <= 1/9; the rest is below
 * 2x|v|^5/5/(1-v^2). */
static inline double bd0_fast(double x, double M)
{
    const double d = x - M, v = d / (x + M);
    return d * v + (2.0 / 3.0) * x * v * v * v;
}

/* Bound on |fast/exact - 1| of pmf_mode_fast, with room for rounding (the
 * search needs it times 1.01): the truncations add up to 7.1e-5 in the
 * exponent, exp's to 7e-7. */
#define MODE_PMF_REL_ERR 2e-4

/* f(m) of Binomial(n, p), q = 1 - p, at the mode m = floor((n+1) p) with
 * m >= 5, n - m >= 5, in Loader's saddle-point form
 *     f(m) = exp(lc) sqrt(n / (2 pi m (n-m))),
 *     lc = stirlerr(n) - stirlerr(m) - stirlerr(n-m) - bd0(m, np) - bd0(n-m, nq),
 * |lc| < 0.27 (the Stirling remainders add up to less than 0.034, each
 * bd0 is below 1/9 + 0.005),
 * to MODE_PMF_REL_ERR: truncated series and exp(lc) to degree 5. The
 * inversion below certifies each answer against this bound. */
static inline double pmf_mode_fast(double n, double m, double p, double q)
{
    const double lc =
        stirlerr_fast(n) - stirlerr_fast(m) - stirlerr_fast(n - m) - bd0_fast(m, n * p) - bd0_fast(n - m, n * q);
    const double e = 1.0 + lc * (1.0 + lc * (0.5 + lc * (1.0 / 6.0 + lc * (1.0 / 24.0 + lc * (1.0 / 120.0)))));
    return e * sqrt(n / (6.283185307179586477 * m * (n - m)));
}

/* The same to rounding (about 1e-15), from log_pmf_rel. */
static double pmf_mode_exact(double n, double m, double p, double q)
{
    return exp(log_pmf_rel(m, n, p, q) + stirlerr(n) - 0.91893853320467274178);
}

/* Inversion of uniform u with the outcomes in the order m, m+1, m-1, m+2,
 * m-2, ... (any fixed order inverts exactly), from f(m) = fm and the pmf
 * ratios f(k)/f(k-1) = nr/k - r (downwards: times its reciprocal, which
 * is formed off the running product's chain of dependent operations, so
 * that no division waits on the one before). The answer k is returned
 * only when it holds for every f(m) within a factor 1 +- margin/1.01 of
 * fm: all partial sums S (below 1.01) scale with f(m), so it suffices
 * that u clears the two around it by margin. Else -2; -1 when u is above the
 * computed total. */
static inline int64_t mode_search(double u, double fm, double n, double m, double nr, double r, double margin)
{
    if (u <= fm)
        return u <= fm - margin ? (int64_t)m : -2;
    u -= fm;
    double fu = fm, fl = fm, ku = m, kl = m;
    const double both = m < n - m ? m : n - m, ku_end = m + both; /* both neighbours in [0, n] */
    while (ku < ku_end) {
        ku += 1.0;
        fu *= nr / ku - r;
        if (u <= fu)
            return u > margin && u <= fu - margin ? (int64_t)ku : -2;
        u -= fu;
        fl *= 1.0 / (nr / kl - r); /* the divisions off fl's chain */
        kl -= 1.0;
        if (u <= fl)
            return u > margin && u <= fl - margin ? (int64_t)kl : -2;
        u -= fl;
    }
    for (; ku < n && fu > 0.0; u -= fu) {
        ku += 1.0;
        fu *= nr / ku - r;
        if (u <= fu)
            return u > margin && u <= fu - margin ? (int64_t)ku : -2;
    }
    for (; kl > 0.0 && fl > 0.0; u -= fl) {
        fl *= 1.0 / (nr / kl - r);
        kl -= 1.0;
        if (u <= fl)
            return u > margin && u <= fl - margin ? (int64_t)kl : -2;
    }
    return -1;
}

/* p <= 1/2, n p >= MODE_MIN_MEAN, n p q < MODE_MAX_VAR, n < 2^52: one
 * uniform, inverted from the mode with f(m) from pmf_mode_fast; where u
 * falls within that bound of a boundary (or beyond the computed total),
 * the same u again with f(m) to rounding. O(1 + sqrt(n p q)). Then
 * m >= 5 and n - m >= 5, as pmf_mode_fast needs. */
static inline int64_t mode_inversion(absim_rng *rng, int64_t n_int, double p)
{
    const double n = (double)n_int, q = 1.0 - p, r = p / q, nr = (n + 1.0) * r;
    const double m = (double)(int64_t)((n + 1.0) * p);
    const double fm = pmf_mode_fast(n, m, p, q);
    for (;;) {
        const double u = uniform(rng);
        int64_t k = mode_search(u, fm, n, m, nr, r, MODE_PMF_REL_ERR);
        if (k < 0)
            k = mode_search(u, pmf_mode_exact(n, m, p, q), n, m, nr, r, 0.0);
        if (k >= 0)
            return k;
    }
}

/* p <= 1/2, n p >= BTRD_MIN_MEAN, n < 2^52. Names follow the paper. */
static inline int64_t btrd(absim_rng *rng, int64_t n_int, double p)
{
    const double n = (double)n_int, q = 1.0 - p;
    const double m = (double)(int64_t)((n + 1.0) * p); /* mode */
    const double r = p / q, nr = (n + 1.0) * r, npq = n * p * q, spq = sqrt(npq);
    const double b = 1.15 + 2.53 * spq, ib = 1.0 / b, a = -0.0873 + 0.0248 * b + 0.01 * p, c = n * p + 0.5;
    const double alpha = (2.83 + 5.1 * ib) * spq, vr = 0.92 - 4.2 * ib, ivr = 1.0 / vr, urvr = 0.86 * vr;
    const double a2 = 2.0 * a, top = n + 1.0;
    for (;;) {
        double v = uniform(rng), u, x;
        if (v <= urvr) {
            /* region under the pmf: accepted without a test */
            u = v * ivr - 0.43;
            x = (a2 / (0.5 - fabs(u)) + b) * u + c;
            if (x >= 0.0 && x < top) /* always, by construction; guards the conversion */
                return (int64_t)x;
            continue;
        }
        if (v >= vr) {
            u = uniform(rng) - 0.5;
        } else {
            u = v * ivr - 0.93;
            u = (u < 0.0 ? -0.5 : 0.5) - u;
            v = uniform(rng) * vr;
        }
        const double us = 0.5 - fabs(u);
        if (!(us > 0.0))
            continue;
        x = (a2 / us + b) * u + c;
        if (!(x >= 0.0 && x < top))
            continue;
        const double k = (double)(int64_t)x;
        v *= alpha / (a / (us * us) + b);
        /* accept iff v <= f(k)/f(m) */
        const double km = fabs(k - m);
        if (km <= RECURSIVE_MAX) {
            if (k > m) {
                double f = 1.0;
                for (double i = m + 1.0; i <= k; i += 1.0)
                    f *= nr / i - r;
                if (v <= f)
                    return (int64_t)k;
            } else {
                for (double i = k + 1.0; i <= m; i += 1.0)
                    v *= nr / i - r;
                if (v <= 1.0)
                    return (int64_t)k;
            }
        } else if (log(v) <= log_pmf_rel(k, n, p, q) - log_pmf_rel(m, n, p, q)) {
            return (int64_t)k;
        }
    }
}

/* The three methods for 0 < p < 1, 0 < n < 2^52: for p > 1/2 they draw the
 * n - X failures (1 - p is exact there). Separate functions, so that
 * absim_binomial_draw() only branches and jumps. */
static NOINLINE int64_t inversion_draw(absim_rng *rng, int64_t n, double p)
{
    return p > 0.5 ? n - inversion(rng, n, 1.0 - p) : inversion(rng, n, p);
}

static NOINLINE int64_t mode_inversion_draw(absim_rng *rng, int64_t n, double p)
{
    return p > 0.5 ? n - mode_inversion(rng, n, 1.0 - p) : mode_inversion(rng, n, p);
}

static NOINLINE int64_t btrd_draw(absim_rng *rng, int64_t n, double p)
{
    return p > 0.5 ? n - btrd(rng, n, 1.0 - p) : btrd(rng, n, p);
}

/* 0 < p < 1, 0 < n < 2^52. */
static int64_t draw(absim_rng *rng, int64_t n, double p)
{
    const double pl = p > 0.5 ? 1.0 - p : p, mu = (double)n * pl;
    if (mu < MODE_MIN_MEAN)
        return inversion_draw(rng, n, p);
    if (mu < BTRD_MIN_MEAN || mu * (1.0 - pl) < MODE_MAX_VAR)
        return mode_inversion_draw(rng, n, p);
    return btrd_draw(rng, n, p);
}

static NOINLINE int64_t draw_chunks(absim_rng *rng, int64_t n, double p)
{
    int64_t k = 0;
    for (; n > CHUNK; n -= CHUNK)
        k += draw(rng, CHUNK, p);
    return k + draw(rng, n, p);
}

int64_t absim_binomial_draw(absim_rng *rng, int64_t n, double p)
{
    if (n <= 0 || !(p > 0.0))
        return 0;
    if (p >= 1.0)
        return n;
    if (n > CHUNK)
        return draw_chunks(rng, n, p);
    return draw(rng, n, p);
}
