/* testutil.h -- helpers shared by the cmocka tests (cmocka 1.1.5 has no
 * assert_double_equal). Include after <cmocka.h>. */
#ifndef ABSIM_TESTUTIL_H
#define ABSIM_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "deal.h"

/* Fail unless |a - b| <= tol, printing both values. */
#define assert_close(a, b, tol)                                                                          \
    do {                                                                                                 \
        double a_ = (a), b_ = (b), t_ = (tol);                                                           \
        if (!(fabs(a_ - b_) <= t_)) {                                                                    \
            print_error("%s = %.17g, %s = %.17g, |diff| = %.3g > tol %.3g\n", #a, a_, #b, b_, fabs(a_ - b_), \
                        t_);                                                                             \
            fail();                                                                                      \
        }                                                                                                \
    } while (0)

/* Sample correlation of n pairs (x[i], y[i]). */
static inline double test_correlation(const double *x, const double *y, int n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* A line of one loan of balance 1 with the given default law and term
 * (every other field zero). */
static inline absim_line test_line(absim_default_law law, double value, int term)
{
    absim_line l;
    memset(&l, 0, sizeof l);
    l.count = 1;
    l.balance = 1.0;
    l.term = term;
    l.law = law;
    l.law_value = value;
    return l;
}

/* Chi-square statistic of the histogram obs[0 .. hi-lo] (outcomes lo ..
 * hi) of N draws against the probabilities pmf(j, ctx), cells merged in
 * order until each expects >= min_expected draws, the remainder joining
 * the last cell. Returns the statistic, df in *df and the summed
 * probabilities in *total. */
static inline double test_chisq_cells(const long *obs, long N, int64_t lo, int64_t hi,
                                      double (*pmf)(int64_t j, const void *ctx), const void *ctx,
                                      double min_expected, double *total, int *df)
{
    double stat = 0.0, eo = 0.0, ee = 0.0, last_o = 0.0, last_e = 0.0;
    int cells = 0;
    *total = 0.0;
    for (int64_t j = lo; j <= hi; j++) {
        const double pj = pmf(j, ctx);
        *total += pj;
        eo += (double)obs[j - lo];
        ee += pj * (double)N;
        if (ee >= min_expected) {
            if (cells > 0)
                stat += (last_o - last_e) * (last_o - last_e) / last_e;
            last_o = eo;
            last_e = ee;
            cells++;
            eo = ee = 0.0;
        }
    }
    last_o += eo;
    last_e += ee;
    stat += (last_o - last_e) * (last_o - last_e) / last_e;
    *df = cells - 1;
    return stat;
}

typedef struct {
    int64_t n;
    double p;
} test_binomial_law;

static inline double test_binomial_pmf(int64_t j, const void *ctx)
{
    const test_binomial_law *b = ctx;
    return gsl_ran_binomial_pdf((unsigned)j, b->p, (unsigned)b->n);
}

/* test_chisq_cells against Binomial(n, p) (gsl_ran_binomial_pdf), cells
 * of >= 20 expected draws; [lo, hi] must hold all but a negligible mass
 * (checked to 1e-7: gsl_ran_binomial_pdf is good to ~1e-9 at n = 1e6). */
static inline double test_chisq_binomial(const long *obs, long N, int64_t n, double p, int64_t lo, int64_t hi,
                                         int *df)
{
    const test_binomial_law law = {n, p};
    double total;
    const double stat = test_chisq_cells(obs, N, lo, hi, test_binomial_pmf, &law, 20.0, &total, df);
    assert_close(total, 1.0, 1e-7);
    return stat;
}

#endif
