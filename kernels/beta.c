/* beta.c -- exact Beta(a, b) variates: strips and an alias table prepared
 * per law; Cheng's BB and BC, and inversion for a shape equal to 1, as the
 * fallback for shapes above ABSIM_BETA_TABLE_MAX_SHAPE.
 *
 * TABLE METHOD. f(x) = x^(a-1) (1-x)^(b-1), unnormalized. [0, 1] is cut at
 * breakpoints 0 = t_0 <= t_1 <= ... <= t_S = 1 (S = 256) that are multiples
 * of 2^-52, so every width t_(j+1) - t_j is exact and the strips tile [0, 1]
 * with neither gap nor overlap. Strip j has a proposal density p_j and an
 * envelope H_j e_j(x):
 *   FLAT:  p_j uniform on the strip, e_j = 1;
 *   LEFT:  (strip 0, a < 1) p_0 ~ x^(a-1) on [0, t_1], drawn as t_1 U^(1/a),
 *          e_0 = x^(a-1), so f / e_0 = (1-x)^(b-1) is bounded;
 *   RIGHT: (strip S-1, b < 1) the mirror image, 1 - x = (1 - t_(S-1)) U^(1/b).
 * A trial picks strip j with probability q_j = count_j / 2^64 (integers of
 * the alias table), draws x from p_j and V uniform on (0, 1), and accepts
 * when V H_j e_j(x) <= f(x). Accepted, x has density proportional to
 * q_j p_j(x) f(x) / (H_j e_j(x)) on strip j. With N_j = the integral of e_j
 * over strip j (its width, t_1^a / a, (1 - t_(S-1))^b / b), p_j = e_j / N_j,
 * and H_j is set from the integer counts as
 *     H_j = K count_j / N_j,    K = max_j M_j N_j / count_j,
 * M_j a certified upper bound of f / e_j on strip j. Then H_j >= M_j (the
 * envelope holds) and q_j p_j / (H_j e_j) = 1 / (K 2^64) on every strip:
 * the accepted x has density proportional to f, i.e. exactly Beta(a, b) --
 * plain rejection sampling, whatever the counts are. Nothing is
 * approximated; the only errors are the roundings of the density's log
 * terms that every log-space sampler has.
 *
 * Certification. log f = (a-1) log x + (b-1) log1p(-x) is concave (a, b >= 1),
 * convex (a, b <= 1) or monotone, so on a strip its max and min are at the
 * ends or at the stationary point (a-1)/(a+b-2) when it lies inside (its
 * rounding moves f only to second order there); f / e_j on LEFT and RIGHT
 * is monotone. Each such value is computed in log space and widened by
 *     delta = 1e-12 + 2^-46 (|(a-1) log x| + |(b-1) log1p(-x)|),
 * hundreds of times the rounding error of the terms: M_j from the largest
 * value + delta, m_j (the squeeze) from the smallest - delta. The point x
 * of a FLAT strip is left + width u with 0 <= u < 1 (computed as left +
 * (width 2^-53) i, the same rounded value), which rounds into [left, left +
 * width]: rounding is monotone, with or without FMA.
 *
 * Squeeze. V's cell [k, k+1)/2048 comes from 11 bits of the second word.
 * The trial is accepted at once when k < sq_j = floor(2048 m_j / H_j
 * (1 - 2^-30)), since then V H_j < m_j <= f(x); the 2^-30 slack is far
 * above the rounding of the full test, which therefore accepts too (the
 * unit tests compare the two bit for bit). Otherwise the full test computes
 * e = f(x) / (H_j e_j(x)) in log space and accepts when (k+1)/2048 <= e,
 * rejects when k/2048 >= e, and only when the cell straddles e (one full
 * test in 2048 - sq_j) draws V's remaining bits from a third word.
 *
 * Words. Word 1: slot = top 8 bits, alias test on the low 56 bits (thr <=
 * 2^56); together they make one decision, the strip. Word 2: u = top 53
 * bits, k = low 11 bits: disjoint bits of a uniform word, independent.
 * Word 3 (rare): V's remaining bits.
 *
 * Layout. Between the end strips, S-2 strips of equal width h cover a
 * window [lo, hi]. Where f is unbounded at an end, that end's strip is LEFT
 * or RIGHT, of width h. Where f rises from an end (a > 1 at 0), the end
 * strip is a FLAT tail [0, lo] whose envelope area lo f(lo) is 2^-10 of the
 * mass (lo by bisection): the window follows the mass of peaked laws.
 * Otherwise the end strip is empty. Each strip keeps at least 2^-40 of the
 * alias table (a tiny strip gets a looser envelope instead), so no strip
 * with mass rounds to a zero count.
 *
 * CHENG (fallback). Both of Cheng's algorithms draw Y = X/(1-X), whose
 * density is proportional to y^(a-1) (1+y)^-(a+b), from a log-logistic
 * envelope: with U1 uniform, V = beta log(U1/(1-U1)) and W = a e^V, the
 * candidate is Y = W/b, i.e. X = W/(b+W), and it is accepted when
 *     log(U1^2 U2) <= T = gamma V - log 4 + alpha log(alpha/(b+W))
 * (BC: gamma = alpha, beta = 1/b). T - 2 log U1 is the log of the density
 * ratio, scaled so that its maximum is 0. Plain rejection; the shortcuts
 * only decide the test early where its outcome is already known:
 *   BB, accept: s = a + r - W <= T, r = gamma V - log 4 (log x <= x - 1),
 *     so s > log z accepts (the paper's first squeeze is left out: a late
 *     coin-toss branch; draws took 25% less time without it);
 *   BC, accept: U1 >= 1/2 (V >= 0) and z <= 1/4, where T >= -log 4;
 *   BC, reject: U1 < 1/2 and U2 (U1 - 1/2)^2 >= k1, U1 >= 1/2 and z >= k2,
 *     k1, k2 upper bounds of the test's threshold: k2 its exact supremum
 *     (1 + b/a)^(a+b) / 4 widened by 1e-9, or the paper's formula where
 *     smaller; k1 the paper's formula (decimals rounded the safe way),
 *     checked numerically to stay above the supremum (smallest ratio
 *     1.0000018, at a = b = 1).
 * One 64-bit word per trial: U1 its top 53 bits, U2 its low 11 bits as a
 * cell, decided on the cell's ends; a straddling cell (about 0.4% of
 * trials) draws 53 more bits of U2. BC computes from E = e^-|V| <= 1 (V
 * can reach +-37000 for b = 1e-3):
 *     V >= 0: X = a / (a + b E), T = alpha (log alpha - log(a + b E)) - log 4;
 *     V <  0: X = a E / (b + a E), T = alpha (log alpha - log(b + a E) + V) - log 4.
 * BB's test cancels terms of size about sqrt(a + b): accurate for shapes
 * up to about 1e12.
 *
 * Invariants: the table is written once by absim_beta_init() and read-only
 * afterwards; no globals. */
#include "beta.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

#define NSTRIP ABSIM_BETA_STRIPS
#define FRAC_BITS (64 - ABSIM_BETA_STRIP_BITS)
#define FRAC_MASK ((UINT64_C(1) << FRAC_BITS) - 1)
#define CELL (1.0 / ABSIM_BETA_CELLS)
#define CELL_MASK ((uint64_t)ABSIM_BETA_CELLS - 1)

#define TAIL_SHARE 0x1p-10 /* envelope area of a FLAT tail strip / mass */
#define MIN_SHARE 0x1p-40  /* smallest share of the alias table of a strip */
#define SQ_SLACK 0x1p-30   /* the squeeze's distance from the full test */
#define BISECTIONS 48

#define LOG4 1.3862943611198906188344642429164 /* log 4 */
#define LN2 0.69314718055994530941723212145818 /* log 2 */

static void cheng_init(absim_beta_law *law, double a, double b);

/* ---- table method: set-up ---- */

/* log f(x) = (a-1) log x + (b-1) log1p(-x), with no term for a shape equal
 * to 1 (0 log 0 = 0); *mag gets the sum of the terms' magnitudes. */
static double log_density_mag(double am1, double bm1, double x, double *mag)
{
    double s = 0.0, m = 0.0;
    if (am1 != 0.0) {
        double t = am1 * log(x);
        s += t;
        m += fabs(t);
    }
    if (bm1 != 0.0) {
        double t = bm1 * log1p(-x);
        s += t;
        m += fabs(t);
    }
    *mag = m;
    return s;
}

/* Range of log(f / e_j) over a strip, widened for rounding. */
typedef struct {
    double hi; /* log M_j */
    double lo; /* log m_j */
} log_range;

static void widen(log_range *r, double v, double mag)
{
    double d = 0.0;
    if (isfinite(v))
        d = 1e-12 + 0x1p-46 * mag;
    if (v + d > r->hi)
        r->hi = v + d;
    if (v - d < r->lo)
        r->lo = v - d;
}

/* Largest x in [0, xmax] with log(x f(x)) <= budget (x f(x) increases
 * there): the end of a left tail strip whose envelope area is the budget. */
static double left_cut(double am1, double bm1, double budget, double xmax)
{
    double lo = 0.0, hi = xmax, mag;
    for (int i = 0; i < BISECTIONS; i++) {
        double mid = 0.5 * (lo + hi);
        if (log(mid) + log_density_mag(am1, bm1, mid, &mag) <= budget)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Smallest x in [xmin, 1] with log((1-x) f(x)) <= budget (decreasing). */
static double right_cut(double am1, double bm1, double budget, double xmin)
{
    double lo = xmin, hi = 1.0, mag;
    for (int i = 0; i < BISECTIONS; i++) {
        double mid = 0.5 * (lo + hi);
        if (log1p(-mid) + log_density_mag(am1, bm1, mid, &mag) <= budget)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* x rounded to a multiple of 2^-52 (x in [0, 1]). */
static double on_grid(double x) { return rint(x * 0x1p52) * 0x1p-52; }

/* Walker's alias table (Vose's construction) for shares p[] (destroyed):
 * thr in units of 2^-56 of a slot, then count_j = the number of 64-bit
 * words that choose strip j (exact up to the double's rounding). */
static void build_alias(absim_beta_table *t, double *p, double total, double *count)
{
    uint16_t small[NSTRIP], large[NSTRIP];
    int ns = 0, nl = 0;
    double keep[NSTRIP];
    for (int j = 0; j < NSTRIP; j++) {
        p[j] = p[j] * NSTRIP / total;
        if (p[j] < 1.0)
            small[ns++] = (uint16_t)j;
        else
            large[nl++] = (uint16_t)j;
    }
    while (ns > 0 && nl > 0) {
        int l = small[--ns], g = large[nl - 1];
        keep[l] = p[l];
        t->strip[l].alias = (uint16_t)g;
        p[g] = (p[g] + p[l]) - 1.0;
        if (p[g] < 1.0) {
            nl--;
            small[ns++] = (uint16_t)g;
        }
    }
    /* leftovers have p = 1 up to rounding */
    while (nl > 0) {
        int g = large[--nl];
        keep[g] = 1.0;
        t->strip[g].alias = (uint16_t)g;
    }
    while (ns > 0) {
        int l = small[--ns];
        keep[l] = 1.0;
        t->strip[l].alias = (uint16_t)l;
    }
    for (int j = 0; j < NSTRIP; j++) {
        double v = keep[j] * 0x1p56;
        t->strip[j].thr = v >= 0x1p56 ? UINT64_C(1) << FRAC_BITS : (uint64_t)(v > 0.0 ? v : 0.0);
        count[j] = 0.0;
    }
    for (int j = 0; j < NSTRIP; j++) {
        uint64_t thr = t->strip[j].thr;
        count[j] += (double)thr;
        count[t->strip[j].alias] += (double)((UINT64_C(1) << FRAC_BITS) - thr);
    }
}

static absim_status table_init(absim_beta_law *law, double a, double b)
{
    absim_beta_table *t = malloc(sizeof *t);
    if (!t) {
        law->method = ABSIM_BETA_INVALID;
        return absim_error_set(ABSIM_ENOMEM, "beta law (%g, %g): out of memory for its tables", a, b);
    }
    const double am1 = a - 1.0, bm1 = b - 1.0;
    law->method = ABSIM_BETA_TABLE;
    law->a = a;
    law->b = b;
    law->am1 = am1;
    law->bm1 = bm1;
    law->inv_a = 1.0 / a;
    law->inv_b = 1.0 / b;
    law->table = t;

    /* Window and strips. */
    const int sing_l = a < 1.0, sing_r = b < 1.0;
    const int rises = a > 1.0 || (a == 1.0 && b < 1.0); /* f increases from 0 */
    const int falls = b > 1.0 || (b == 1.0 && a < 1.0); /* f decreases to 1 */
    const int unimodal = am1 > 0.0 && bm1 > 0.0;
    /* stationary point of log f: the mode (a, b > 1), the antimode (a, b < 1) */
    const double xs = (unimodal || (am1 < 0.0 && bm1 < 0.0)) ? am1 / (am1 + bm1) : -1.0;
    gsl_sf_result lnz;
    const int have_z = gsl_sf_lnbeta_e(a, b, &lnz) == GSL_SUCCESS && isfinite(lnz.val);
    const double budget = have_z ? lnz.val + log(TAIL_SHARE) : 0.0;
    double lo = 0.0, hi = 1.0, h;
    if (have_z && rises && !sing_l)
        lo = left_cut(am1, bm1, budget, unimodal ? xs : 1.0);
    if (have_z && falls && !sing_r)
        hi = right_cut(am1, bm1, budget, unimodal ? xs : 0.0);
    if (sing_l && sing_r) {
        h = 1.0 / NSTRIP;
        lo = h;
    } else if (sing_l) {
        h = hi / (NSTRIP - 1);
        lo = h;
    } else if (sing_r) {
        h = (1.0 - lo) / (NSTRIP - 1);
    } else {
        h = (hi - lo) / (NSTRIP - 2);
    }
    double bp[NSTRIP + 1];  /* breakpoints t_j */
    double lf[NSTRIP + 1];  /* log f(t_j) */
    double mag[NSTRIP + 1]; /* magnitudes of its terms */
    bp[0] = 0.0;
    bp[NSTRIP] = 1.0;
    for (int j = 1; j < NSTRIP; j++)
        bp[j] = fmin(on_grid(lo + (j - 1) * h), 1.0);
    for (int j = 0; j <= NSTRIP; j++)
        lf[j] = log_density_mag(am1, bm1, bp[j], &mag[j]);

    /* Bounds and envelope areas, in log space. */
    double log_area[NSTRIP], log_norm[NSTRIP], log_min[NSTRIP], share[NSTRIP], floored[NSTRIP], count[NSTRIP];
    double shift = -INFINITY;
    for (int j = 0; j < NSTRIP; j++) {
        absim_beta_strip *s = &t->strip[j];
        const double w = bp[j + 1] - bp[j]; /* exact */
        s->left = bp[j];
        s->scale = w * 0x1p-53;
        s->kind = ABSIM_BETA_STRIP_FLAT;
        s->sq = s->sq_tail = 0;
        s->unused = 0;
        log_range r = {-INFINITY, INFINITY};
        double v, m;
        if (!(w > 0.0)) {
            log_norm[j] = log_area[j] = log_min[j] = -INFINITY;
            continue;
        }
        if (j == 0 && sing_l) {
            s->kind = ABSIM_BETA_STRIP_LEFT;
            widen(&r, 0.0, 0.0); /* (1-x)^(b-1) at 0 */
            v = log_density_mag(0.0, bm1, w, &m);
            widen(&r, v, m);
            log_norm[j] = a * log(w) - log(a);
        } else if (j == NSTRIP - 1 && sing_r) {
            s->kind = ABSIM_BETA_STRIP_RIGHT;
            widen(&r, 0.0, 0.0); /* x^(a-1) at 1 */
            v = log_density_mag(am1, 0.0, bp[j], &m);
            widen(&r, v, m);
            log_norm[j] = b * log(w) - log(b);
        } else {
            widen(&r, lf[j], mag[j]);
            widen(&r, lf[j + 1], mag[j + 1]);
            if (xs > bp[j] && xs < bp[j + 1]) {
                v = log_density_mag(am1, bm1, xs, &m);
                widen(&r, v, m);
            }
            log_norm[j] = log(w);
        }
        log_area[j] = r.hi + log_norm[j];
        log_min[j] = r.lo;
        if (log_area[j] > shift)
            shift = log_area[j];
    }

    /* Alias table on the areas (each at least MIN_SHARE of the total). */
    double total = 0.0, total_floored = 0.0;
    for (int j = 0; j < NSTRIP; j++)
        total += share[j] = exp(log_area[j] - shift);
    if (!(total >= 1.0 && total <= NSTRIP)) {
        /* cannot happen for valid shapes; Cheng needs no table */
        free(t);
        *law = (absim_beta_law){0};
        cheng_init(law, a, b);
        return ABSIM_OK;
    }
    for (int j = 0; j < NSTRIP; j++) {
        double p = share[j];
        if (p > 0.0 && p < MIN_SHARE * total)
            p = MIN_SHARE * total;
        total_floored += floored[j] = p;
    }
    build_alias(t, floored, total_floored, count);

    /* K = max share_j / count_j, then H_j = K count_j / N_j. */
    double k_max = 0.0;
    for (int j = 0; j < NSTRIP; j++) {
        if (share[j] > 0.0 && !(count[j] > 0.0)) {
            free(t);
            law->table = NULL;
            law->method = ABSIM_BETA_INVALID;
            return absim_error_set(ABSIM_ERANGE, "beta law (%g, %g): strip %d lost its mass", a, b, j);
        }
        if (share[j] > 0.0 && share[j] / count[j] > k_max)
            k_max = share[j] / count[j];
    }
    const double log_k = log(k_max) + shift;
    double squeeze = 0.0, fast = 0.0;
    for (int j = 0; j < NSTRIP; j++) {
        absim_beta_strip *s = &t->strip[j];
        if (!(count[j] > 0.0)) {
            t->log_h[j] = -INFINITY;
            continue;
        }
        t->log_h[j] = log_k + log(count[j]) - log_norm[j];
        double q = ABSIM_BETA_CELLS * exp(log_min[j] - t->log_h[j]) * (1.0 - SQ_SLACK);
        uint16_t sq = (uint16_t)(q < ABSIM_BETA_CELLS - 1 ? floor(q) : ABSIM_BETA_CELLS - 1);
        double p_sq = count[j] * 0x1p-64 * sq * CELL;
        squeeze += p_sq;
        if (s->kind == ABSIM_BETA_STRIP_FLAT) {
            s->sq = sq;
            fast += p_sq;
        } else {
            s->sq_tail = sq;
        }
    }
    t->squeeze_rate = squeeze;
    t->fast_rate = fast;
    /* mass / envelope mass; the envelope's is K 2^64 (sum of H_j N_j) */
    t->accept_rate = have_z ? exp(lnz.val - log_k - 64.0 * LN2) : NAN;
    return ABSIM_OK;
}

/* ---- table method: draws ---- */

/* The uniform of a word's top 53 bits, (k + 1/2) 2^-53 as absim_rng_uniform. */
static inline double word_u(uint64_t w) { return ((double)(int64_t)(w >> 11) + 0.5) * 0x1p-53; }

/* Accept iff V <= e^lt for V uniform in the cell [k, k+1) / 2048, drawing
 * V's other bits only when the cell straddles e^lt. */
static int accept_cell(double lt, unsigned k, absim_rng *r)
{
    double e = exp(lt);
    if ((k + 1.0) * CELL <= e)
        return 1;
    if (k * CELL >= e)
        return 0;
    return (k + absim_rng_uniform(r)) * CELL <= e;
}

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* The rest of a trial on strip j that the fast squeeze did not accept
 * (x: the FLAT strip's point): the variate, or -1 when rejected. Kept out
 * of line so that the fast path saves few registers. */
static NOINLINE double table_slow(const absim_beta_law *law, unsigned j, uint64_t w2, double x, absim_rng *r)
{
    const absim_beta_table *t = law->table;
    const absim_beta_strip *s = &t->strip[j];
    const unsigned k = (unsigned)(w2 & CELL_MASK);
    double lt, mag;
    if (s->kind == ABSIM_BETA_STRIP_FLAT) {
        lt = log_density_mag(law->am1, law->bm1, x, &mag) - t->log_h[j];
    } else if (s->kind == ABSIM_BETA_STRIP_LEFT) {
        x = s->scale * 0x1p53 * exp(log(word_u(w2)) * law->inv_a);
        if (k < s->sq_tail)
            return x;
        lt = log_density_mag(0.0, law->bm1, x, &mag) - t->log_h[j];
    } else {
        double d = s->scale * 0x1p53 * exp(log(word_u(w2)) * law->inv_b);
        x = 1.0 - d;
        if (k < s->sq_tail)
            return x;
        lt = (law->am1 != 0.0 ? law->am1 * log1p(-d) : 0.0) - t->log_h[j];
    }
    return accept_cell(lt, k, r) ? x : -1.0;
}

/* Fast path: strip from word 1, x and the squeeze from word 2. x = left +
 * (width 2^-53) i, i the top 53 bits: width 2^-53 is exact, so this is
 * left + width u rounded, u = i 2^-53 in [0, 1). */
static double draw_table(const absim_beta_law *law, absim_rng *r)
{
    const absim_beta_strip *strip = law->table->strip;
    for (;;) {
        const uint64_t w1 = absim_rng_u64(r);
        const uint64_t w2 = absim_rng_u64(r);
        const unsigned slot = (unsigned)(w1 >> FRAC_BITS);
        /* j = slot, or its alias when the low bits reach thr; without a
         * branch, which would be a coin toss on many slots */
        const unsigned other = strip[slot].alias;
        const unsigned pick = 0u - (unsigned)((w1 & FRAC_MASK) >= strip[slot].thr);
        const unsigned j = slot ^ ((slot ^ other) & pick);
        const absim_beta_strip *s = &strip[j];
        double x = s->left + s->scale * (double)(int64_t)(w2 >> 11);
        if ((unsigned)(w2 & CELL_MASK) < s->sq)
            return x;
        x = table_slow(law, j, w2, x, r);
        if (x >= 0.0)
            return x;
    }
}

/* ---- Cheng's BB and BC, inversion ---- */

static void cheng_init(absim_beta_law *law, double a, double b)
{
    if (a == 1.0) {
        /* F(x) = 1 - (1-x)^b: X = 1 - U^(1/b) (1-U and U have one law). */
        law->method = ABSIM_BETA_A_ONE;
        law->a = 1.0 / b;
        return;
    }
    if (b == 1.0) {
        /* F(x) = x^a: X = U^(1/a). */
        law->method = ABSIM_BETA_B_ONE;
        law->a = 1.0 / a;
        return;
    }
    if (a > 1.0 && b > 1.0) {
        /* BB: a_c = min, b_c = max. */
        double ac = a < b ? a : b, bc = a < b ? b : a;
        law->method = ABSIM_BETA_BB;
        law->flip = ac != a;
        law->a = ac;
        law->b = bc;
        law->alpha = ac + bc;
        law->log_alpha = log(law->alpha);
        law->beta = sqrt((law->alpha - 2.0) / (2.0 * ac * bc - law->alpha));
        law->gamma = ac + 1.0 / law->beta;
        return;
    }
    /* BC: a_c = max, b_c = min <= 1. */
    double ac = a < b ? b : a, bc = a < b ? a : b;
    double delta = 1.0 + ac - bc;
    law->method = ABSIM_BETA_BC;
    law->flip = ac != a;
    law->a = ac;
    law->b = bc;
    law->alpha = ac + bc;
    law->log_alpha = log(law->alpha);
    law->beta = 1.0 / bc;
    law->k1 = delta * (0.0138889 + 0.0416667 * bc) / (ac * law->beta - 0.777778);
    double k2_paper = 0.25 + (0.5 + 0.25 / delta) * bc;
    double k2_sup = 0.25 * exp(law->alpha * log1p(bc / ac)) * (1.0 + 1e-9);
    law->k2 = k2_sup < k2_paper ? k2_sup : k2_paper;
}

/* U1 from a trial's word: its top 53 bits, as absim_rng_uniform makes it. */
static double word_u1(uint64_t word) { return ((double)(word >> 11) + 0.5) * 0x1p-53; }

/* Decide log(zc U2) <= t for U2 uniform in its cell [k, k+1) 2^-11, given
 * thi = log(zc (k+1) 2^-11): 1 accept, 0 reject. The cell spans
 * log((k+1)/k) <= 1/k in log U2, so it almost always lies on one side of
 * t; a straddling cell draws 53 more bits of U2. */
static int cell_test(double t, double thi, double zc, double k, absim_rng *r)
{
    if (t >= thi)
        return 1;
    if (k * (thi - t) > 1.0)
        return 0;
    double u2 = (k + absim_rng_uniform(r)) * CELL;
    return t >= log(zc * u2);
}

/* Cheng's BB (min(a, b) > 1). */
static double draw_bb(const absim_beta_law *law, absim_rng *r)
{
    const double a = law->a, b = law->b, alpha = law->alpha, beta = law->beta, gamma = law->gamma;
    double w;
    for (;;) {
        uint64_t word = absim_rng_u64(r);
        double u1 = word_u1(word), k = (double)(word & CELL_MASK);
        double v = beta * log(u1 / (1.0 - u1));
        w = a * exp(v);
        double zc = u1 * u1, thi = log(zc * ((k + 1.0) * CELL));
        double rr = gamma * v - LOG4;
        if (a + rr - w > thi)
            break;
        if (cell_test(rr + alpha * (law->log_alpha - log(b + w)), thi, zc, k, r))
            break;
    }
    return (law->flip ? b : w) / (b + w);
}

/* Cheng's BC (min(a, b) <= 1), on E = e^-|V| (see the file comment):
 * U1 < 1/2 gives V < 0, U1 >= 1/2 gives V >= 0 (1 - U1 is exact there). */
static double draw_bc(const absim_beta_law *law, absim_rng *r)
{
    const double a = law->a, b = law->b, alpha = law->alpha, beta = law->beta;
    double num, other; /* X = num / (num + other) */
    for (;;) {
        uint64_t word = absim_rng_u64(r);
        double u1 = word_u1(word), k = (double)(word & CELL_MASK);
        double zc = u1 * u1, zhi = zc * ((k + 1.0) * CELL), t;
        if (u1 < 0.5) {
            /* reject when U2 (U1 - 1/2)^2 >= k1 for the whole cell */
            double d = (0.5 - u1) * (0.5 - u1);
            if (k * CELL * d >= law->k1)
                continue;
            double v = beta * log(u1 / (1.0 - u1));
            num = a * exp(v);
            other = b;
            t = alpha * (law->log_alpha - log(num + other) + v) - LOG4;
        } else {
            /* reject when z >= k2, accept when z <= 1/4, for the whole cell */
            if (zc * (k * CELL) >= law->k2)
                continue;
            double v = beta * log(u1 / (1.0 - u1));
            num = a;
            other = b * exp(-v);
            if (zhi <= 0.25)
                break;
            t = alpha * (law->log_alpha - log(num + other)) - LOG4;
        }
        if (cell_test(t, log(zhi), zc, k, r))
            break;
    }
    return (law->flip ? other : num) / (num + other);
}

/* ---- public ---- */

absim_status absim_beta_init(absim_beta_law *law, double a, double b)
{
    *law = (absim_beta_law){0};
    if (!(a > 0.0 && b > 0.0 && isfinite(a) && isfinite(b))) {
        law->method = ABSIM_BETA_INVALID;
        return absim_error_set(ABSIM_EINVAL, "beta law: shapes must be finite and > 0, got a = %g, b = %g", a, b);
    }
    if (a <= ABSIM_BETA_TABLE_MAX_SHAPE && b <= ABSIM_BETA_TABLE_MAX_SHAPE)
        return table_init(law, a, b);
    cheng_init(law, a, b);
    return ABSIM_OK;
}

absim_status absim_beta_init_cheng(absim_beta_law *law, double a, double b)
{
    *law = (absim_beta_law){0};
    if (!(a > 0.0 && b > 0.0 && isfinite(a) && isfinite(b))) {
        law->method = ABSIM_BETA_INVALID;
        return absim_error_set(ABSIM_EINVAL, "beta law: shapes must be finite and > 0, got a = %g, b = %g", a, b);
    }
    cheng_init(law, a, b);
    return ABSIM_OK;
}

void absim_beta_free(absim_beta_law *law)
{
    free(law->table);
    *law = (absim_beta_law){0};
}

/* The fallback methods, out of line (see absim_beta_draw). */
static NOINLINE double draw_other(const absim_beta_law *law, absim_rng *r)
{
    switch (law->method) {
    case ABSIM_BETA_BB:
        return draw_bb(law, r);
    case ABSIM_BETA_BC:
        return draw_bc(law, r);
    case ABSIM_BETA_A_ONE:
        return -expm1(law->a * log(absim_rng_uniform(r)));
    case ABSIM_BETA_B_ONE:
        return exp(law->a * log(absim_rng_uniform(r)));
    default:
        return NAN;
    }
}

/* The table's fast path (draw_table) is inlined here; the slow path and
 * the other methods are out of line, so its frame stays small. */
double absim_beta_draw(const absim_beta_law *law, absim_rng *r)
{
    if (law->method != ABSIM_BETA_TABLE)
        return draw_other(law, r);
    return draw_table(law, r);
}
