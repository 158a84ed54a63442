/* test_beta.c -- the exact Beta sampler (kernels/beta.c) against the Beta
 * law itself and against its own construction:
 *   - chi-square goodness of fit on 50 equiprobable bins (edges from
 *     gsl_cdf_beta_Pinv, probabilities from gsl_cdf_beta_P) and the mean and
 *     variance within 4 standard errors, for the table method (bell, J, U
 *     and L shapes, a shape equal to 1, 35 recovery-like laws) and for the
 *     fallback (Cheng BB, BC, inversion: shapes above 1000);
 *   - the table's envelope: on a dense grid of every strip, H >= f and the
 *     squeeze <= f; the strips tile [0, 1]; the envelope heights are
 *     proportional to the alias table's counts (what makes the method
 *     exact); the accept rate it reports matches the trials counted;
 *   - the squeezes never change a decision: plain rejection samplers
 *     written here with only the full test, fed the same random words,
 *     return the same values bit for bit (table and Cheng);
 *   - range and termination at extreme shapes, determinism, invalid shapes.
 * Fixed seeds; the chi-square critical value is the 1 - 1e-6 quantile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

#include "beta.h"
#include "testutil.h"

#define SEED 20240607ULL
#define NBINS 50
#define NFIT 200000
#define NSTRIP ABSIM_BETA_STRIPS

typedef struct {
    double a, b;
} shapes;

#define COUNT(s) ((int)(sizeof(s) / sizeof(s)[0]))

/* Table laws of the tests: bell, J, U and L shapes, near and at 1, peaked. */
static const shapes table_laws[] = {
    {1.5, 2.3},   {2.3, 1.5}, {5.0, 5.0},   {30.0, 50.0}, {50.0, 80.0}, {1.02, 1.03},  {1.2, 40.0},
    {12.0, 3.0},  {0.5, 0.5}, {0.2, 0.7},   {0.8, 3.0},   {3.0, 0.8},   {0.3, 30.0},   {30.0, 0.3},
    {0.1, 0.15},  {0.99, 1.01}, {0.999, 0.999}, {1.0, 2.5}, {2.5, 1.0}, {1.0, 1.0},  {1.0, 0.4},
    {0.4, 1.0},   {600.0, 900.0}, {0.05, 2.0}, {1000.0, 0.9}};

/* Recovery-like laws: mean 0.2..0.8, sd 0.1..0.3 (a = m k, b = (1-m) k,
 * k = m (1-m) / sd^2 - 1); returns their number (35). */
static int recovery_laws(shapes *s)
{
    int n = 0;
    for (int i = 0; i < 7; i++)
        for (int q = 0; q < 5; q++) {
            double m = 0.2 + 0.1 * i, sd = 0.1 + 0.05 * q;
            double k = m * (1.0 - m) / (sd * sd) - 1.0;
            if (k > 0.0)
                s[n++] = (shapes){m * k, (1.0 - m) * k};
        }
    return n;
}

static absim_rng open_stream(uint64_t path)
{
    absim_rng r;
    absim_rng_open(&r, SEED, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 0));
    return r;
}

static absim_beta_law make_law(double a, double b)
{
    absim_beta_law law;
    assert_int_equal(absim_beta_init(&law, a, b), ABSIM_OK);
    return law;
}

/* Words consumed by a stream so far. */
static double words_used(const absim_rng *r) { return (double)r->ctr[0] * 4.0 - (4 - r->used); }

/* Raw moments E[X^k], k = 1..4, of Beta(a, b). */
static void beta_moments(double a, double b, double m[5])
{
    m[0] = 1.0;
    for (int k = 1; k <= 4; k++)
        m[k] = m[k - 1] * (a + k - 1) / (a + b + k - 1);
}

/* The p-quantile of Beta(a, b): gsl_cdf_beta_Pinv, or bisection on
 * gsl_cdf_beta_P where that misses (it can for shapes near 0). */
static double beta_quantile(double p, double a, double b)
{
    double x = gsl_cdf_beta_Pinv(p, a, b);
    if (fabs(gsl_cdf_beta_P(x, a, b) - p) < 1e-9)
        return x;
    double lo = 0.0, hi = 1.0;
    for (int i = 0; i < 1100 && lo < hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (gsl_cdf_beta_P(mid, a, b) < p)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* n draws of Beta(a, b) by method `method`: every draw finite and in
 * [0, 1], the chi-square statistic on NBINS equiprobable bins below the
 * 1 - 1e-6 quantile, mean and variance within 4 standard errors. */
static void check_fit(double a, double b, int method, uint64_t path, int n)
{
    absim_beta_law law = make_law(a, b);
    if (law.method != method) {
        print_error("Beta(%g, %g): method %d, expected %d\n", a, b, law.method, method);
        fail();
    }
    absim_rng r = open_stream(path);

    double edge[NBINS + 1], p[NBINS];
    edge[0] = 0.0;
    edge[NBINS] = 1.0;
    for (int i = 1; i < NBINS; i++)
        edge[i] = beta_quantile((double)i / NBINS, a, b);
    for (int i = 0; i < NBINS; i++) {
        p[i] = gsl_cdf_beta_P(edge[i + 1], a, b) - gsl_cdf_beta_P(edge[i], a, b);
        /* the edges are usable: each bin near 1/NBINS */
        if (!(fabs(p[i] * NBINS - 1.0) < 0.05)) {
            print_error("Beta(%g, %g): bin %d has probability %g\n", a, b, i, p[i]);
            fail();
        }
    }

    double m[5];
    beta_moments(a, b, m);
    const double mean = m[1], var = m[2] - m[1] * m[1];
    const double mu4 = m[4] - 4.0 * m[1] * m[3] + 6.0 * m[1] * m[1] * m[2] - 3.0 * m[1] * m[1] * m[1] * m[1];

    long count[NBINS] = {0};
    double s1 = 0.0, s2 = 0.0; /* sums of x - mean and its square */
    for (int k = 0; k < n; k++) {
        double x = absim_beta_draw(&law, &r);
        if (!(x >= 0.0 && x <= 1.0)) {
            print_error("Beta(%g, %g): draw %d = %g\n", a, b, k, x);
            fail();
        }
        int lo = 0, hi = NBINS - 1; /* first bin i with x <= edge[i+1] */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (x <= edge[mid + 1])
                hi = mid;
            else
                lo = mid + 1;
        }
        count[lo]++;
        s1 += x - mean;
        s2 += (x - mean) * (x - mean);
    }
    absim_beta_free(&law);

    double chi2 = 0.0;
    for (int i = 0; i < NBINS; i++) {
        double e = n * p[i];
        chi2 += (count[i] - e) * (count[i] - e) / e;
    }
    double crit = gsl_cdf_chisq_Qinv(1e-6, NBINS - 1);
    if (!(chi2 < crit)) {
        print_error("Beta(%g, %g): chi-square %g >= %g\n", a, b, chi2, crit);
        fail();
    }
    double smean = mean + s1 / n, svar = s2 / n - (s1 / n) * (s1 / n);
    assert_close(smean, mean, 4.0 * sqrt(var / n));
    assert_close(svar, var, 4.0 * sqrt((mu4 - var * var) / n));
}

/* The table method: every law of the list. */
static void test_beta_fit_table(void **state)
{
    (void)state;
    for (int i = 0; i < COUNT(table_laws); i++)
        check_fit(table_laws[i].a, table_laws[i].b, ABSIM_BETA_TABLE, 100 + (uint64_t)i, NFIT);
}

/* The table method on recovery-like laws. */
static void test_beta_fit_recovery(void **state)
{
    (void)state;
    shapes s[35];
    int n = recovery_laws(s);
    assert_int_equal(n, 35);
    for (int i = 0; i < n; i++)
        check_fit(s[i].a, s[i].b, ABSIM_BETA_TABLE, 200 + (uint64_t)i, NFIT);
}

/* Shapes above ABSIM_BETA_TABLE_MAX_SHAPE: Cheng BB, BC (either order),
 * inversion. */
static void test_beta_fit_fallback(void **state)
{
    (void)state;
    const struct {
        double a, b;
        int method;
    } s[] = {{1500.0, 2500.0, ABSIM_BETA_BB}, {2500.0, 1.5, ABSIM_BETA_BB},   {0.5, 2000.0, ABSIM_BETA_BC},
             {2000.0, 0.3, ABSIM_BETA_BC},    {1.0, 3000.0, ABSIM_BETA_A_ONE}, {3000.0, 1.0, ABSIM_BETA_B_ONE}};
    for (int i = 0; i < COUNT(s); i++)
        check_fit(s[i].a, s[i].b, s[i].method, 300 + (uint64_t)i, NFIT);
}

/* Extreme shapes terminate, stay finite in [0, 1], and keep their mean
 * (and, for Beta(1e-3, 1e-3), the symmetry P(X > 1/2) = 1/2). */
static void test_beta_extremes(void **state)
{
    (void)state;
    const shapes s[] = {{1e-3, 1e-3}, {1e4, 1e4},   {1e-3, 1e4}, {1e4, 1e-3}, {1e-3, 1.0},
                        {1e4, 1.0},   {1.0, 1e-3},  {1e-3, 0.5}, {1e4, 1.5},  {1.001, 1e4},
                        {1e-3, 1e-3 * (1 + 1e-9)},  {1e-3, 1000.0}, {1000.0, 1000.0}, {1e-3, 2.0},
                        {1.0 + 1e-9, 1000.0}, {1e-6, 1e-6}};
    const int n = 20000;
    for (int i = 0; i < COUNT(s); i++) {
        absim_beta_law law = make_law(s[i].a, s[i].b);
        absim_rng r = open_stream(400 + (uint64_t)i);
        double m[5], sum = 0.0;
        long upper = 0;
        beta_moments(s[i].a, s[i].b, m);
        for (int k = 0; k < n; k++) {
            double x = absim_beta_draw(&law, &r);
            if (!(x >= 0.0 && x <= 1.0)) {
                print_error("Beta(%g, %g): draw %d = %g\n", s[i].a, s[i].b, k, x);
                fail();
            }
            sum += x;
            upper += x > 0.5;
        }
        absim_beta_free(&law);
        double var = m[2] - m[1] * m[1];
        assert_close(sum / n, m[1], 5.0 * sqrt(var / n) + 1e-15);
        if (fabs(s[i].a / s[i].b - 1.0) < 1e-6)
            assert_close((double)upper / n, 0.5, 4.0 * sqrt(0.25 / n));
    }
}

/* Same stream state, same value; the stream advances by the same amount. */
static void test_beta_determinism(void **state)
{
    (void)state;
    const shapes s[] = {{1.5, 2.3}, {0.8, 3.0}, {0.5, 0.5}, {1.0, 2.0}, {2000.0, 3000.0}, {0.5, 3000.0}};
    for (int i = 0; i < COUNT(s); i++) {
        absim_beta_law law = make_law(s[i].a, s[i].b), law2 = make_law(s[i].a, s[i].b);
        absim_rng r1 = open_stream(7), r2 = open_stream(7);
        for (int k = 0; k < 1000; k++) {
            absim_rng copy = r1;
            double x = absim_beta_draw(&law, &r1);
            assert_true(x == absim_beta_draw(&law2, &r2));
            assert_true(x == absim_beta_draw(&law, &copy));
            assert_memory_equal(&copy, &r1, sizeof r1);
        }
        absim_beta_free(&law);
        absim_beta_free(&law2);
    }
}

/* Invalid shapes: ABSIM_EINVAL and NaN draws, not a loop; free is safe on
 * any law, twice. */
static void test_beta_invalid(void **state)
{
    (void)state;
    const shapes s[] = {{0.0, 1.0}, {1.0, 0.0}, {-1.0, 2.0}, {NAN, 2.0}, {2.0, INFINITY}};
    absim_rng r = open_stream(9);
    for (int i = 0; i < COUNT(s); i++) {
        absim_beta_law law;
        assert_int_equal(absim_beta_init(&law, s[i].a, s[i].b), ABSIM_EINVAL);
        assert_int_equal(law.method, ABSIM_BETA_INVALID);
        assert_null(law.table);
        assert_true(isnan(absim_beta_draw(&law, &r)));
        absim_beta_free(&law);
    }
    absim_beta_law law = make_law(2.0, 3.0);
    assert_non_null(law.table);
    absim_beta_free(&law);
    assert_null(law.table);
    assert_int_equal(law.method, ABSIM_BETA_INVALID);
    absim_beta_free(&law);
}

/* log f / e_j at x for strip kind `kind` (long double), d = 1 - x for RIGHT. */
static long double strip_log_ratio(const absim_beta_law *law, int kind, long double x, long double d)
{
    long double am1 = law->am1, bm1 = law->bm1, v = 0.0L;
    if (kind != ABSIM_BETA_STRIP_LEFT && am1 != 0.0L)
        v += am1 * (kind == ABSIM_BETA_STRIP_RIGHT ? log1pl(-d) : logl(x));
    if (kind != ABSIM_BETA_STRIP_RIGHT && bm1 != 0.0L)
        v += bm1 * log1pl(-x);
    return v;
}

/* Strips tile [0, 1]; on a dense grid of each strip, H e_j >= f and the
 * squeeze (sq / 2048) H e_j <= f; H_j N_j / count_j is the same for every
 * strip (N_j: width, w^a / a or w^b / b), count_j recomputed here from the
 * thresholds and aliases; the reported accept rate is mass / envelope. */
static void check_envelope(double a, double b)
{
    absim_beta_law law = make_law(a, b);
    assert_int_equal(law.method, ABSIM_BETA_TABLE);
    const absim_beta_table *t = law.table;
    const long double slot = 0x1p56L;

    long double count[NSTRIP] = {0};
    for (int j = 0; j < NSTRIP; j++) {
        assert_true(t->strip[j].thr <= (UINT64_C(1) << 56));
        assert_true(t->strip[j].alias < NSTRIP);
        count[j] += (long double)t->strip[j].thr;
        count[t->strip[j].alias] += slot - (long double)t->strip[j].thr;
    }

    double end = 0.0, log_k = NAN;
    long double envelope = 0.0L;
    for (int j = 0; j < NSTRIP; j++) {
        const absim_beta_strip *s = &t->strip[j];
        const double w = s->scale * 0x1p53, left = s->left;
        if (!(left == end)) {
            print_error("Beta(%g, %g): strip %d starts at %.17g, previous ends at %.17g\n", a, b, j, left, end);
            fail();
        }
        end = left + w;
        assert_true(left + w - left == w); /* exact */
        assert_true(s->kind == (j == 0 && a < 1.0 ? ABSIM_BETA_STRIP_LEFT
                                : j == NSTRIP - 1 && b < 1.0 ? ABSIM_BETA_STRIP_RIGHT
                                                              : ABSIM_BETA_STRIP_FLAT));
        if (w == 0.0) {
            assert_true(count[j] == 0.0L);
            continue;
        }
        assert_true(count[j] > 0.0L);
        const int sq = s->kind == ABSIM_BETA_STRIP_FLAT ? s->sq : s->sq_tail;
        assert_true(s->kind == ABSIM_BETA_STRIP_FLAT ? s->sq_tail == 0 : s->sq == 0);
        assert_true(sq < ABSIM_BETA_CELLS);
        const long double log_h = t->log_h[j];
        const long double log_sq = sq > 0 ? logl((long double)sq / ABSIM_BETA_CELLS) + log_h : -INFINITY;
        const int grid = 200;
        for (int g = 0; g <= grid; g++) {
            long double x, d, v;
            if (s->kind == ABSIM_BETA_STRIP_RIGHT) {
                d = (long double)w * g / grid; /* 1 - x */
                x = 1.0L - d;
            } else {
                x = left + (long double)w * g / grid;
                d = 1.0L - x;
            }
            if ((s->kind == ABSIM_BETA_STRIP_FLAT && ((x == 0.0L && a < 1.0) || (d == 0.0L && b < 1.0))))
                continue;
            v = strip_log_ratio(&law, s->kind, x, d);
            if (!(v <= log_h) || !(v >= log_sq)) {
                print_error("Beta(%g, %g): strip %d (kind %d) at x = %.17Lg: log f/e = %.17Lg outside [%.17Lg, %.17Lg]\n", a,
                            b, j, s->kind, x, v, log_sq, log_h);
                fail();
            }
        }
        long double log_n = s->kind == ABSIM_BETA_STRIP_FLAT ? logl(w)
                            : s->kind == ABSIM_BETA_STRIP_LEFT ? a * logl(w) - logl(a)
                                                                : b * logl(w) - logl(b);
        double lk = (double)(log_h + log_n - logl(count[j]));
        if (isnan(log_k))
            log_k = lk;
        if (!(fabs(lk - log_k) < 1e-12)) {
            print_error("Beta(%g, %g): strip %d: log(H N / count) = %.17g, strip 0.. gave %.17g\n", a, b, j, lk, log_k);
            fail();
        }
        envelope += expl(log_h + log_n);
    }
    assert_true(end == 1.0);
    double lnz = gsl_sf_lnbeta(a, b);
    assert_close(t->accept_rate, exp(lnz - (double)logl(envelope)), 1e-9 * t->accept_rate);
    assert_true(t->accept_rate > 0.9 && t->accept_rate <= 1.0);
    assert_true(t->squeeze_rate <= t->accept_rate && t->fast_rate <= t->squeeze_rate);
    absim_beta_free(&law);
}

static void test_beta_table_envelope(void **state)
{
    (void)state;
    for (int i = 0; i < COUNT(table_laws); i++)
        check_envelope(table_laws[i].a, table_laws[i].b);
    shapes s[35];
    int n = recovery_laws(s);
    for (int i = 0; i < n; i++)
        check_envelope(s[i].a, s[i].b);
    const shapes extra[] = {{1e-3, 1e-3}, {1e-3, 1000.0}, {1000.0, 1000.0}, {1.0 + 1e-9, 2.0}, {7.0, 1.0}, {0.7, 0.7}};
    for (int i = 0; i < COUNT(extra); i++)
        check_envelope(extra[i].a, extra[i].b);
}

/* Trials counted (two words each, a third when a cell straddles) agree
 * with the reported accept rate, and recovery-like laws mostly take the
 * fast path. */
static void test_beta_table_rates(void **state)
{
    (void)state;
    shapes s[35];
    int n = recovery_laws(s);
    double fast = 0.0;
    for (int i = 0; i < n; i++) {
        absim_beta_law law = make_law(s[i].a, s[i].b);
        absim_rng r = open_stream(600 + (uint64_t)i);
        const int draws = 20000;
        for (int k = 0; k < draws; k++)
            (void)absim_beta_draw(&law, &r);
        double trials = words_used(&r) / 2.0 / draws; /* the third words add < 0.001 */
        double expect = 1.0 / law.table->accept_rate;
        assert_close(trials, expect, 0.004 + 4.0 * sqrt(expect * (expect - 1.0) / draws));
        assert_true(law.table->accept_rate > 0.95);
        fast += law.table->fast_rate / n;
        absim_beta_free(&law);
    }
    assert_true(fast > 0.9);
}

/* Reference table sampler: the same words, the same strip and point, but
 * always the full test (no squeeze), written here from the tables. */
static double reference_table_draw(const absim_beta_law *law, absim_rng *r)
{
    const absim_beta_table *t = law->table;
    for (;;) {
        uint64_t w1 = absim_rng_u64(r), w2 = absim_rng_u64(r);
        unsigned j = (unsigned)(w1 >> 56);
        if ((w1 & ((UINT64_C(1) << 56) - 1)) >= t->strip[j].thr)
            j = t->strip[j].alias;
        const absim_beta_strip *s = &t->strip[j];
        const unsigned k = (unsigned)(w2 & 2047);
        const double u = ((double)(int64_t)(w2 >> 11) + 0.5) * 0x1p-53, w = s->scale * 0x1p53;
        double x, lt = 0.0;
        if (s->kind == ABSIM_BETA_STRIP_FLAT) {
            x = s->left + s->scale * (double)(int64_t)(w2 >> 11);
            if (law->am1 != 0.0)
                lt += law->am1 * log(x);
            if (law->bm1 != 0.0)
                lt += law->bm1 * log1p(-x);
        } else if (s->kind == ABSIM_BETA_STRIP_LEFT) {
            x = w * exp(log(u) * law->inv_a);
            if (law->bm1 != 0.0)
                lt += law->bm1 * log1p(-x);
        } else {
            double d = w * exp(log(u) * law->inv_b);
            x = 1.0 - d;
            if (law->am1 != 0.0)
                lt += law->am1 * log1p(-d);
        }
        double e = exp(lt - t->log_h[j]);
        int accept;
        if ((k + 1.0) / 2048.0 <= e)
            accept = 1;
        else if (k / 2048.0 >= e)
            accept = 0;
        else
            accept = (k + absim_rng_uniform(r)) / 2048.0 <= e;
        if (accept)
            return x;
    }
}

static void check_same_as_reference(double a, double b, uint64_t path, int n)
{
    absim_beta_law law = make_law(a, b);
    assert_int_equal(law.method, ABSIM_BETA_TABLE);
    absim_rng r1 = open_stream(path), r2 = r1;
    for (int k = 0; k < n; k++) {
        double x = absim_beta_draw(&law, &r1), y = reference_table_draw(&law, &r2);
        if (!(x == y)) {
            print_error("Beta(%g, %g): draw %d is %.17g, the reference gives %.17g\n", a, b, k, x, y);
            fail();
        }
    }
    assert_memory_equal(&r1, &r2, sizeof r1);
    absim_beta_free(&law);
}

static void test_beta_table_squeezes(void **state)
{
    (void)state;
    for (int i = 0; i < COUNT(table_laws); i++)
        check_same_as_reference(table_laws[i].a, table_laws[i].b, 700 + (uint64_t)i, 40000);
    shapes s[35];
    int n = recovery_laws(s);
    for (int i = 0; i < n; i++)
        check_same_as_reference(s[i].a, s[i].b, 800 + (uint64_t)i, 20000);
}

/* Reference Cheng: rejection with only the paper's full acceptance test (no
 * squeeze, no quick rejection), on the same trial words and U2 cells,
 * evaluated as in beta.c. */
static double reference_cheng_draw(const absim_beta_law *law, absim_rng *r)
{
    const double a = law->a, b = law->b, alpha = law->alpha, beta = law->beta;
    const double log4 = 2.0 * log(2.0), cell = 1.0 / 2048.0;
    for (;;) {
        uint64_t word = absim_rng_u64(r);
        double u1 = ((double)(word >> 11) + 0.5) * 0x1p-53, k = (double)(word % 2048);
        double v = beta * log(u1 / (1.0 - u1));
        double zc = u1 * u1, thi = log(zc * ((k + 1.0) * cell)), num, other, full;
        if (law->method == ABSIM_BETA_BB) {
            double rr = law->gamma * v - log4;
            num = a * exp(v);
            other = b;
            full = rr + alpha * (law->log_alpha - log(b + num));
        } else if (u1 < 0.5) {
            num = a * exp(v);
            other = b;
            full = alpha * (law->log_alpha - log(num + other) + v) - log4;
        } else {
            num = a;
            other = b * exp(-v);
            full = alpha * (law->log_alpha - log(num + other)) - log4;
        }
        int accept;
        if (full >= thi)
            accept = 1;
        else if (k * (thi - full) > 1.0)
            accept = 0;
        else
            accept = full >= log(zc * ((k + absim_rng_uniform(r)) * cell));
        if (accept)
            return (law->flip ? other : num) / (num + other);
    }
}

static void test_beta_cheng_squeezes(void **state)
{
    (void)state;
    const shapes s[] = {{1500.0, 2300.0}, {5000.0, 5000.0}, {2.0, 3000.0}, {0.8, 3000.0},
                        {3000.0, 0.8},    {0.5, 1e4},       {1e4, 0.2},    {1e-3, 2000.0}};
    const int n = 50000;
    for (int i = 0; i < COUNT(s); i++) {
        absim_beta_law law = make_law(s[i].a, s[i].b);
        assert_true(law.method == ABSIM_BETA_BB || law.method == ABSIM_BETA_BC);
        absim_rng r1 = open_stream(500 + (uint64_t)i), r2 = r1;
        for (int k = 0; k < n; k++) {
            double x = absim_beta_draw(&law, &r1), y = reference_cheng_draw(&law, &r2);
            if (!(x == y)) {
                print_error("Beta(%g, %g): draw %d is %.17g, the reference gives %.17g\n", s[i].a, s[i].b, k, x, y);
                fail();
            }
        }
        assert_memory_equal(&r1, &r2, sizeof r1);
        absim_beta_free(&law);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beta_fit_table),       cmocka_unit_test(test_beta_fit_recovery),
        cmocka_unit_test(test_beta_fit_fallback),    cmocka_unit_test(test_beta_extremes),
        cmocka_unit_test(test_beta_determinism),     cmocka_unit_test(test_beta_invalid),
        cmocka_unit_test(test_beta_table_envelope),  cmocka_unit_test(test_beta_table_rates),
        cmocka_unit_test(test_beta_table_squeezes),  cmocka_unit_test(test_beta_cheng_squeezes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
