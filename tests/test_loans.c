/* test_loans.c -- the loan-level sampler (kernels/loans.c) and its
 * streams:
 *   - absim_rng_loan_words: line l's word is its half of Random123's
 *     Philox4x32-10 block l / 2 (rng.h), on every route the CPU has and
 *     whatever batch it is computed in, and so are the latent normals;
 *     each normal is its word's ziggurat draw (absim_zig_fast), finished
 *     from stream LOANS_MORE(l) when refused;
 *   - absim_loans_sample gives, on every route of its default test, for
 *     every loan, the smallest period k with
 *     e <= y_k (brute force over k), for gaussian and student_t factors
 *     and several laws;
 *   - over many paths, the default periods of one loan follow its marginal
 *     law F(k) (chi-square at the 1 - 1e-4 quantile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "laws.h"
#include "loans.h"
#include "status.h"
#include "testutil.h"

#define SEED 20261201ULL

/* Line l's word from Random123's Philox4x32-10 itself (rng.h's layout). */
static uint64_t ref_word(uint64_t seed, uint64_t path, int l)
{
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t c = {{(uint32_t)(l / 2), ABSIM_STREAM_LOANS, (uint32_t)path, (uint32_t)(path >> 32)}};
    philox4x32_ctr_t o = philox4x32_R(10, c, k);
    return (uint64_t)o.v[2 * (l % 2) + 1] << 32 | o.v[2 * (l % 2)];
}

static void test_loans_words(void **state)
{
    (void)state;
    absim_loan_set set;
    assert_int_equal(absim_loan_set_alloc(&set, 1), ABSIM_OK);
    uint64_t all[1031], part[1031];
    double eall[1031], epart[1031];
    int nslow = 0;
    absim_rng_loan_words(SEED, 7, 0, 1031, all);
    absim_loans_latent(&set, SEED, 7, 0, 1031, part, eall);
    for (int l = 0; l < 1031; l++) {
        const uint64_t w = ref_word(SEED, 7, l);
        assert_true(w == all[l]);
        assert_true(isfinite(eall[l]));
        /* the normal: the word's fast draw, else finished from the line's
         * own stream LOANS_MORE(l) */
        double e;
        if (!absim_zig_fast(&set.zig, w, &e)) {
            nslow++;
            absim_rng more;
            absim_rng_open(&more, SEED, 7, ABSIM_STREAM_ID(ABSIM_STREAM_LOANS_MORE, l));
            e = absim_zig_finish(&set.zig, w, &more);
        }
        assert_memory_equal(&e, &eall[l], sizeof e);
    }
    assert_true(nslow > 0); /* about 1.2% of words: the finishing path was taken */
    /* every route the CPU has (scalar always), any batch boundaries: the
     * same words, and the same normals */
    const int cuts[][2] = {{0, 1}, {1, 3}, {3, 6}, {5, 64}, {2, 101}, {100, 3}, {7, 1024}, {960, 71}, {0, 1031}};
    const int best = absim_rng_loan_route_best();
    assert_true(best >= ABSIM_LOAN_ROUTE_SCALAR && best <= ABSIM_LOAN_ROUTE_AVX512);
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= best; route++)
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            memset(part, 0, sizeof part);
            absim_rng_loan_words_route(SEED, 7, cuts[c][0], cuts[c][1], part, route);
            for (int i = 0; i < cuts[c][1]; i++)
                assert_true(part[i] == all[cuts[c][0] + i]);
            assert_true(cuts[c][1] == 1031 || part[cuts[c][1]] == 0); /* nothing written past n */
        }
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= best; route++)
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            absim_loans_latent_route(&set, SEED, 7, cuts[c][0], cuts[c][1], part, epart, route);
            assert_memory_equal(epart, eall + cuts[c][0], (size_t)cuts[c][1] * sizeof *epart);
        }
    /* extreme keys and paths (both halves of each), every route */
    const uint64_t keys[][2] = {{0, 0}, {UINT64_MAX, UINT64_MAX}, {12345, (uint64_t)1 << 40}, {SEED, 3},
                                {(uint64_t)1 << 32, ((uint64_t)1 << 32) - 1}};
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= best; route++)
        for (size_t c = 0; c < sizeof keys / sizeof keys[0]; c++) {
            absim_rng_loan_words_route(keys[c][0], keys[c][1], 0, 41, part, route);
            for (int l = 0; l < 41; l++)
                assert_true(part[l] == ref_word(keys[c][0], keys[c][1], l));
        }
    /* Random123's known-answer vectors for philox4x32 10 (tests/kat_vectors
     * of its distribution): the reference above is Philox4x32-10 here */
    const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
        {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu,
         0xa20bc7c6u, 0x6d5451fdu},
        {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu,
         0x5001e420u, 0x24126ea1u},
    };
    for (int v = 0; v < 3; v++) {
        philox4x32_ctr_t c = {{kat[v][0], kat[v][1], kat[v][2], kat[v][3]}};
        philox4x32_key_t k = {{kat[v][4], kat[v][5]}};
        philox4x32_ctr_t o = philox4x32_R(10, c, k);
        for (int i = 0; i < 4; i++)
            assert_true(o.v[i] == kat[v][6 + i]);
    }
    /* another path, another seed: other numbers */
    absim_rng_loan_words(SEED, 8, 0, 4, part);
    assert_true(part[0] != all[0]);
    absim_rng_loan_words(SEED + 1, 7, 0, 4, part);
    assert_true(part[0] != all[0]);
    absim_loan_set_free(&set);
}

static double word_uniform(uint64_t w) { return ((double)(w >> 11) + 0.5) * 0x1p-53; }

/* The loan words as uniforms: mean 1/2 and variance 1/12 (4 standard
 * errors), and no correlation (|r| < 4/sqrt(n)) between the two lines of
 * a block, neighbouring blocks, neighbouring paths, neighbouring seeds. */
static void test_loans_words_uniform(void **state)
{
    (void)state;
    enum { LINES = 1024, PATHS = 128, N = LINES * PATHS / 4 };
    uint64_t *w = malloc(sizeof(uint64_t) * LINES);
    double *u = malloc(sizeof(double) * LINES * PATHS), *v = malloc(sizeof(double) * LINES * PATHS);
    double *x[6];
    for (int j = 0; j < 6; j++)
        x[j] = malloc(sizeof(double) * N);
    assert_true(w && u && v && x[0] && x[1] && x[2] && x[3] && x[4] && x[5]);
    double sum = 0.0, sum2 = 0.0;
    for (int p = 0; p < PATHS; p++) {
        absim_rng_loan_words(SEED, (uint64_t)p, 0, LINES, w);
        for (int l = 0; l < LINES; l++) {
            u[p * LINES + l] = word_uniform(w[l]);
            sum += u[p * LINES + l];
            sum2 += u[p * LINES + l] * u[p * LINES + l];
        }
        absim_rng_loan_words(SEED + 1, (uint64_t)p, 0, LINES, w);
        for (int l = 0; l < LINES; l++)
            v[p * LINES + l] = word_uniform(w[l]);
    }
    const double n = (double)LINES * PATHS, mean = sum / n, var = sum2 / n - mean * mean;
    assert_true(fabs(mean - 0.5) < 4.0 * sqrt(1.0 / 12.0 / n));
    assert_true(fabs(var - 1.0 / 12.0) < 4.0 * sqrt(1.0 / 180.0 / n)); /* Var((U-1/2)^2) = 1/180 */
    /* pairs: (line 4i, 4i+1) same block; (4i+1, 4i+2) neighbouring blocks;
     * (path p, p+1) same line; (seed, seed + 1) same line and path */
    int m = 0;
    for (int p = 0; p + 1 < PATHS; p += 2)
        for (int l = 0; l < LINES; l += 4) {
            if (m >= N / 2)
                break;
            const double *a = u + p * LINES, *b = u + (p + 1) * LINES;
            x[0][m] = a[l];
            x[1][m] = a[l + 1];
            x[2][m] = a[l + 2];
            x[3][m] = b[l];
            x[4][m] = v[p * LINES + l];
            x[5][m] = a[l + 3];
            m++;
        }
    const double lim = 4.0 / sqrt((double)m);
    assert_true(fabs(test_correlation(x[0], x[1], m)) < lim); /* same block */
    assert_true(fabs(test_correlation(x[1], x[2], m)) < lim); /* neighbouring blocks */
    assert_true(fabs(test_correlation(x[0], x[3], m)) < lim); /* neighbouring paths */
    assert_true(fabs(test_correlation(x[0], x[4], m)) < lim); /* neighbouring seeds */
    assert_true(fabs(test_correlation(x[2], x[5], m)) < lim); /* same block, second pair */
    for (int j = 0; j < 6; j++)
        free(x[j]);
    free(w);
    free(u);
    free(v);
}

/* Brute force from the line model: 0 if e > y_last, else the smallest k
 * with (e + sys) / m <= c_k / c (loans.h). */
static int brute_period(const absim_line_model *m, const absim_loan_set *s, int l, const absim_factors *f, double e)
{
    const double ic = 1.0 / m->c, sys = m->bg * ic * f->zg + m->bs * ic * f->zs[m->sector];
    if (!(e <= m->threshold[m->last] * ic * f->mix - sys))
        return 0;
    for (int k = 1; k <= m->last; k++)
        if ((e + sys) / f->mix <= m->threshold[k] * ic)
            return k;
    (void)s;
    return m->last;
}

enum { NL = 150, TT = 60 };

/* NL one-loan lines of 12 laws and terms, in 3 sectors (more lines than
 * the path loop hands over at once, ABSIM_PATH_BATCH). */
static void build(absim_line_model *m, absim_loan_set *s, absim_copula cop, double dof)
{
    double F[TT + 1];
    assert_int_equal(absim_loan_set_alloc(s, NL), ABSIM_OK);
    for (int l = 0; l < NL; l++) {
        absim_line line;
        const int v = l % 12;
        switch (v % 4) {
        case 0:
            line = test_line(ABSIM_LAW_PD, 0.02 + 0.01 * v, 24 + 3 * v);
            break;
        case 1:
            line = test_line(ABSIM_LAW_CDR, 0.05 + 0.02 * v, TT);
            break;
        case 2:
            line = test_line(ABSIM_LAW_PD, 0.4, 12 + v);
            break;
        default:
            line = test_line(ABSIM_LAW_PD, 0.001 * (v + 1), TT);
            break;
        }
        absim_law_default_cdf(&line, TT, 1, 1.0, -1, 0.0, F);
        assert_int_equal(
            absim_line_model_init(&m[l], F, TT, 1, l % 3, 0.1 + 0.02 * (l % 3), 0.05 * (l % 3), cop, dof, 0),
            ABSIM_OK);
        assert_true(m[l].last > 0);
        assert_int_equal(absim_loan_set_line(s, l, &m[l]), ABSIM_OK);
    }
}

/* Lines with equal thresholds share one copy; the search reads the same
 * values either way. */
static void test_loans_shared_thresholds(void **state)
{
    (void)state;
    double F[TT + 1];
    absim_line_model m[3];
    absim_loan_set s;
    assert_int_equal(absim_loan_set_alloc(&s, 3), ABSIM_OK);
    for (int l = 0; l < 3; l++) {
        absim_line line = test_line(ABSIM_LAW_PD, l == 1 ? 0.05 : 0.03, 48);
        absim_law_default_cdf(&line, TT, 1, 1.0, -1, 0.0, F);
        assert_int_equal(absim_line_model_init(&m[l], F, TT, 1, 0, 0.1, 0.05, ABSIM_COPULA_GAUSSIAN, 0.0, 0),
                         ABSIM_OK);
        assert_int_equal(absim_loan_set_line(&s, l, &m[l]), ABSIM_OK);
    }
    assert_true(s.srch[0].yoff == s.srch[2].yoff);
    assert_true(s.srch[1].yoff != s.srch[0].yoff);
    const int64_t len0 = s.srch[0].n, len1 = s.srch[1].n;
    assert_int_equal(s.nyk, len0 + len1 + 2 * ABSIM_LOANS_PAD);
    assert_true(s.srch[0].goff == s.srch[2].goff && s.srch[1].goff != s.srch[0].goff);
    for (int l = 0; l < 3; l++)
        for (int k = s.srch[l].first; k <= m[l].last; k++) {
            assert_int_equal(s.srch[l].first + s.srch[l].n - 1, m[l].last);
            assert_true(s.yk[s.srch[l].yoff + k - s.srch[l].first] == m[l].threshold[k] * (1.0 / m[l].c));
        }
    for (int l = 0; l < 3; l++)
        absim_line_model_free(&m[l]);
    absim_loan_set_free(&s);
}

static void check_against_brute(absim_copula cop, double dof)
{
    absim_line_model m[NL];
    absim_loan_set s;
    build(m, &s, cop, dof);
    double zs[3], u[NL];
    uint64_t w[NL];
    int period[NL], def[NL];
    absim_factors f = {0.0, zs, 1.0};
    int64_t defaults = 0;
    int windows = 0;
    for (int l = 0; l < NL; l++)
        windows += s.srch[l].window;
    assert_int_equal(windows, NL); /* smooth curves: the search without a scan */
    for (uint64_t p = 0; p < 2000; p++) {
        absim_rng rng;
        absim_rng_open(&rng, SEED, p, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        absim_factors_draw(cop, dof, 3, 0.0, &rng, &f);
        f.zg *= 1.5; /* reach further into the tails */
        absim_loans_latent(&s, SEED, p, 0, NL, w, u);
        const int nd = absim_loans_sample(&s, 0, NL, &f, u, period, def);
        int j = 0;
        for (int l = 0; l < NL; l++) {
            if (period[l] > 0) { /* the defaulters' indices, increasing */
                assert_true(j < nd);
                assert_int_equal(def[j++], l);
            }
            int want = brute_period(&m[l], &s, l, &f, u[l]);
            if (period[l] != want)
                print_error("path %llu line %d: period %d, brute force %d\n", (unsigned long long)p, l, period[l],
                            want);
            assert_int_equal(period[l], want);
            defaults += period[l] > 0;
        }
        assert_int_equal(j, nd);
        int def0[NL];
        memcpy(def0, def, sizeof def0);
        /* a batch starting mid-way gives the same periods */
        int part[NL];
        absim_loans_sample(&s, 5, NL - 5, &f, u + 5, part, def);
        for (int l = 5; l < NL; l++)
            assert_int_equal(part[l - 5], period[l]);
        /* every route of the default test the CPU has: the same periods
         * and defaulters (both batches: tails of 22 and 17 loans) */
        for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= absim_rng_loan_route_best(); route++) {
            int rdef[NL];
            assert_int_equal(absim_loans_sample_route(&s, 0, NL, &f, u, part, rdef, route), nd);
            assert_memory_equal(part, period, sizeof part);
            assert_memory_equal(rdef, def0, (size_t)nd * sizeof *def0);
            absim_loans_sample_route(&s, 5, NL - 5, &f, u + 5, part, rdef, route);
            for (int l = 5; l < NL; l++)
                assert_int_equal(part[l - 5], period[l]);
        }
    }
    assert_true(defaults > 20000); /* the test saw many defaulters */
    for (int l = 0; l < NL; l++)
        absim_line_model_free(&m[l]);
    absim_loan_set_free(&s);
}

static void test_loans_gaussian_brute(void **state)
{
    (void)state;
    check_against_brute(ABSIM_COPULA_GAUSSIAN, 0.0);
}

static void test_loans_student_t_brute(void **state)
{
    (void)state;
    check_against_brute(ABSIM_COPULA_STUDENT_T, 5.0);
}

/* One loan over many paths: the default periods follow F. */
static void test_loans_marginal(void **state)
{
    (void)state;
    absim_line_model m[NL];
    absim_loan_set s;
    build(m, &s, ABSIM_COPULA_GAUSSIAN, 0.0);
    const int line = 2; /* PD 0.4 a year, term 14: F(14) ~ 0.45 */
    const int npaths = 200000, last = m[line].last;
    int64_t count[TT + 1] = {0};
    double zs[3], u[NL];
    uint64_t w[NL];
    int period[NL], def[NL];
    absim_factors f = {0.0, zs, 1.0};
    for (int p = 0; p < npaths; p++) {
        absim_rng rng;
        absim_rng_open(&rng, SEED + 1, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        absim_factors_draw(ABSIM_COPULA_GAUSSIAN, 0.0, 3, 0.0, &rng, &f);
        absim_loans_latent(&s, SEED + 1, (uint64_t)p, 0, NL, w, u);
        absim_loans_sample(&s, 0, NL, &f, u, period, def);
        count[period[line]]++;
    }
    /* cells: survive (0) and each period 1..last */
    double chi2 = 0.0;
    int cells = 0;
    for (int k = 0; k <= last; k++) {
        double pk = k == 0 ? 1.0 - m[line].F[last] : m[line].F[k] - m[line].F[k - 1];
        if (pk <= 0.0)
            continue;
        double e = pk * npaths, d = (double)count[k] - e;
        chi2 += d * d / e;
        cells++;
    }
    double crit = gsl_cdf_chisq_Qinv(1e-4, cells - 1);
    if (!(chi2 < crit))
        print_error("chi2 %.2f >= %.2f (%d cells)\n", chi2, crit, cells);
    assert_true(chi2 < crit);
    for (int l = 0; l < NL; l++)
        absim_line_model_free(&m[l]);
    absim_loan_set_free(&s);
}

/* The ziggurat's fast path on every route, on crafted words: every layer,
 * both signs, the position bits at their extremes (all zero, all one, one
 * bit set at each place, a word next to each layer's acceptance edge) and
 * pseudo-random words; any count. Accepted words give bitwise
 * absim_zig_fast's normal, the others are listed, in order. */
static void test_loans_zig_batch(void **state)
{
    (void)state;
    absim_loan_set set;
    assert_int_equal(absim_loan_set_alloc(&set, 1), ABSIM_OK);
    enum { NW = 256 * 2 * 60 + 4000 };
    static uint64_t w[NW];
    static double e[NW], ref[NW];
    static int rej[NW];
    int n = 0;
    for (int layer = 0; layer < 256; layer++)
        for (int sign = 0; sign < 2; sign++) {
            const uint64_t low = (uint64_t)layer | (uint64_t)sign << 8;
            w[n++] = low;                                   /* u = 0 */
            w[n++] = low | ~(uint64_t)0 << 11;              /* u = 1 - 2^-53 */
            for (int b = 11; b < 64; b++)
                w[n++] = low | (uint64_t)1 << b;            /* one bit of u */
            /* just below, at and above the edge u = k[layer] */
            const uint64_t edge = (uint64_t)(set.zig.k[layer] * 0x1.0p53);
            for (int d = -2; d <= 2; d++)
                if (edge + (uint64_t)d < ((uint64_t)1 << 53))
                    w[n++] = low | (edge + (uint64_t)d) << 11;
        }
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    while (n < NW) { /* splitmix64 */
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        w[n++] = z ^ (z >> 31);
    }
    int nref = 0;
    for (int i = 0; i < n; i++)
        nref += !absim_zig_fast(&set.zig, w[i], &ref[i]);
    assert_true(nref > 0 && nref < n); /* both outcomes are exercised */
    const int counts[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, n};
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= absim_rng_loan_route_best(); route++)
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
            for (int start = 0; start + counts[c] <= n; start += counts[c] == n ? 1 : 977) {
                const int m = counts[c];
                const int nr = absim_loans_zig_batch_route(&set.zig, w + start, m, e, rej, route);
                int j = 0;
                for (int i = 0; i < m; i++) {
                    const int accepted = absim_zig_fast(&set.zig, w[start + i], &ref[start + i]);
                    if (accepted) {
                        assert_memory_equal(&e[i], &ref[start + i], sizeof e[i]);
                    } else {
                        assert_true(j < nr);
                        assert_int_equal(rej[j], i);
                        j++;
                    }
                }
                assert_int_equal(j, nr);
                if (m == n)
                    break;
            }
    absim_loan_set_free(&set);
}

/* The period search on crafted thresholds (no factors: t = e): ties,
 * large and tiny gaps, +inf at the end (a PD of 1), one threshold only, a
 * long curve; e at each threshold, one ulp either side, far below and
 * NaN-free extremes. The period is the smallest k in [first, last] with
 * e <= y_k (brute force), 0 above y_last. */
static void test_loans_search_edges(void **state)
{
    (void)state;
    enum { NC = 6, TL = 400 };
    static double th[NC][TL + 1], F[NC][TL + 1];
    const int lasts[NC] = {10, 12, 1, 7, TL, 9};
    absim_loan_set s;
    assert_int_equal(absim_loan_set_alloc(&s, NC), ABSIM_OK);
    absim_line_model m[NC];
    for (int l = 0; l < NC; l++) {
        for (int k = 0; k <= TL; k++) {
            F[l][k] = k == 0 ? 0.0 : 0.5;
            th[l][k] = k == 0 ? -INFINITY : 0.0;
        }
        for (int k = 1; k <= lasts[l]; k++) {
            double y;
            switch (l) {
            case 0: y = -3.0 + 0.5 * k; break;                             /* even */
            case 1: y = k < 4 ? -2.0 : (k < 9 ? -1.0 : -0.5 + 0.01 * k); break; /* ties */
            case 2: y = -1.5; break;                                       /* one threshold */
            case 3: y = k < 7 ? -4.0 + k * 1e-9 : INFINITY; break;         /* tiny gaps, PD 1 */
            case 4: y = -5.0 + 8.0 * pow((double)k / TL, 3.0); break;      /* uneven, long */
            default: y = k < 3 ? -30.0 + k : (k < 9 ? -1.0 + 1e-3 * k : 2.0); break; /* a big jump */
            }
            th[l][k] = y;
        }
        m[l] = (absim_line_model){.T = TL, .count = 1, .bg = 0.0, .bs = 0.0, .c = 1.0, .sector = 0,
                                  .last = lasts[l], .threshold = th[l], .F = F[l]};
        assert_int_equal(absim_loan_set_line(&s, l, &m[l]), ABSIM_OK);
    }
    /* both searches are exercised: a window (even steps, one threshold)
     * and the scan (the five equal thresholds of line 1; line 4's first
     * twenty thresholds within 1e-5 of each other) */
    assert_true(s.srch[0].window && s.srch[2].window && !s.srch[1].window && !s.srch[4].window);
    double zs[1] = {0.0};
    absim_factors f = {0.0, zs, 1.0};
    int checked = 0;
    for (int l = 0; l < NC; l++)
        for (int k = 0; k <= lasts[l] + 1; k++) {
            const double base = k == 0 ? -1e300 : (k > lasts[l] ? 1e300 : th[l][k]);
            const double es[] = {base, nextafter(base, -INFINITY), nextafter(base, INFINITY), base - 0.25,
                                 base + 0.25};
            for (size_t c = 0; c < sizeof es / sizeof es[0]; c++) {
                const double e = es[c];
                if (!isfinite(e))
                    continue;
                int want = 0;
                if (e <= th[l][lasts[l]]) {
                    want = lasts[l];
                    for (int q = lasts[l]; q >= 1; q--)
                        if (e <= th[l][q])
                            want = q;
                }
                int period, def;
                for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= absim_rng_loan_route_best(); route++) {
                    absim_loans_sample_route(&s, l, 1, &f, &e, &period, &def, route);
                    if (period != want)
                        print_error("line %d e %.17g: period %d, want %d\n", l, e, period, want);
                    assert_int_equal(period, want);
                }
                checked++;
            }
        }
    assert_true(checked > 1500);
    absim_loan_set_free(&s);

    /* A loan that passes the default test e <= y_last - sys but whose
     * t = e + sys rounds above y_last: the period is `last` (on every
     * route). Line: y_k = y_last - 0.1 (last - k), factor term sys = bg Z_g. */
    const double ylast = -2.3502018086081597, sys = -0.15576684883456537;
    for (int k = 0; k <= TL; k++) {
        F[0][k] = k == 0 ? 0.0 : 0.5;
        th[0][k] = k == 0 ? -INFINITY : ylast - 0.1 * (double)(6 - (k < 6 ? k : 6));
    }
    absim_line_model one = {.T = TL, .count = 1, .bg = sys, .bs = 0.0, .c = 1.0, .sector = 0, .last = 6,
                            .threshold = th[0], .F = F[0]};
    assert_int_equal(absim_loan_set_alloc(&s, 1), ABSIM_OK);
    assert_int_equal(absim_loan_set_line(&s, 0, &one), ABSIM_OK);
    assert_true(s.srch[0].window);
    const double e = ylast - sys;
    assert_true(e + sys > ylast); /* the rounding this case is about */
    f.zg = 1.0;
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= absim_rng_loan_route_best(); route++) {
        int period = -1, def = -1;
        assert_int_equal(absim_loans_sample_route(&s, 0, 1, &f, &e, &period, &def, route), 1);
        assert_int_equal(period, 6);
    }
    absim_loan_set_free(&s);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loans_words),
        cmocka_unit_test(test_loans_words_uniform),
        cmocka_unit_test(test_loans_zig_batch),
        cmocka_unit_test(test_loans_shared_thresholds),
        cmocka_unit_test(test_loans_search_edges),
        cmocka_unit_test(test_loans_gaussian_brute),
        cmocka_unit_test(test_loans_student_t_brute),
        cmocka_unit_test(test_loans_marginal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
