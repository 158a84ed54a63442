/* test_loans.c -- the loan-level sampler (kernels/loans.c) and its
 * streams:
 *   - absim_rng_loan_words: line l's word is word l % 4 of block 0 of
 *     stream LOANS(l / 4), whatever batch it is computed in, and so are
 *     the latent normals; each normal is its word's ziggurat draw
 *     (absim_zig_fast), finished from stream LOANS_MORE(l) when refused;
 *   - absim_loans_sample gives, for every loan, the smallest period k with
 *     e <= y_k (brute force over k), for gaussian and student_t factors
 *     and several laws;
 *   - over many paths, the default periods of one loan follow its marginal
 *     law F(k) (chi-square at the 1 - 1e-4 quantile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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
        absim_rng r;
        absim_rng_open(&r, SEED, 7, ABSIM_STREAM_ID(ABSIM_STREAM_LOANS, l / 4));
        uint64_t w = 0;
        for (int i = 0; i <= l % 4; i++)
            w = absim_rng_u64(&r);
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
    /* any batch boundaries give the same words and normals */
    const int cuts[][2] = {{0, 1}, {1, 3}, {3, 6}, {5, 64}, {2, 101}, {100, 3}, {7, 1024}, {960, 71}};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        absim_rng_loan_words(SEED, 7, cuts[c][0], cuts[c][1], part);
        for (int i = 0; i < cuts[c][1]; i++)
            assert_true(part[i] == all[cuts[c][0] + i]);
        absim_loans_latent(&set, SEED, 7, cuts[c][0], cuts[c][1], part, epart);
        for (int i = 0; i < cuts[c][1]; i++)
            assert_true(epart[i] == eall[cuts[c][0] + i]);
    }
    /* the shared-rounds Philox equals the stream's for extreme keys and paths */
    const uint64_t keys[][2] = {{0, 0}, {UINT64_MAX, UINT64_MAX}, {12345, (uint64_t)1 << 40}, {SEED, 3}};
    for (size_t c = 0; c < sizeof keys / sizeof keys[0]; c++) {
        absim_rng_loan_words(keys[c][0], keys[c][1], 0, 41, part);
        for (int l = 0; l < 41; l++) {
            absim_rng r;
            absim_rng_open(&r, keys[c][0], keys[c][1], ABSIM_STREAM_ID(ABSIM_STREAM_LOANS, l / 4));
            uint64_t w = 0;
            for (int i = 0; i <= l % 4; i++)
                w = absim_rng_u64(&r);
            assert_true(w == part[l]);
        }
    }
    /* another path: other numbers */
    absim_rng_loan_words(SEED, 8, 0, 4, part);
    assert_true(part[0] != all[0]);
    absim_loan_set_free(&set);
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
    assert_true(s.yoff[0] == s.yoff[2]);
    assert_true(s.yoff[1] != s.yoff[0]);
    const int64_t len0 = s.last[0] - s.first[0] + 1, len1 = s.last[1] - s.first[1] + 1;
    assert_int_equal(s.nyk, len0 + len1);
    for (int l = 0; l < 3; l++)
        for (int k = s.first[l]; k <= s.last[l]; k++)
            assert_true(s.yk[s.yoff[l] + k - s.first[l]] == m[l].threshold[k] * s.ic[l]);
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
        /* a batch starting mid-way gives the same periods */
        int part[NL];
        absim_loans_sample(&s, 5, NL - 5, &f, u + 5, part, def);
        for (int l = 5; l < NL; l++)
            assert_int_equal(part[l - 5], period[l]);
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

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loans_words),
        cmocka_unit_test(test_loans_shared_thresholds),
        cmocka_unit_test(test_loans_gaussian_brute),
        cmocka_unit_test(test_loans_student_t_brute),
        cmocka_unit_test(test_loans_marginal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
