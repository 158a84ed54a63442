/* loans.c -- the loan-level default sampler (see loans.h).
 *
 * For a line of one loan with loadings (b_g, b_s, c) and thresholds c_k,
 * given the factors (Z_g, Z_s, m) the loan defaults by k iff
 *     e <= y_k = (c_k m - s) / c,   s = b_g Z_g + b_s Z_s,
 * with e = Phi^-1(U): the same event as U <= Phi(y_k). Decisions are made
 * on U against Phi(y_last) (one table lookup per loan); only a defaulter
 * computes e = Phi^-1(U) and searches its period among the y_k.
 *
 * Invariants: c > 0, m > 0, thresholds non-decreasing, so y_k is
 * non-decreasing in k and the search is well defined. No allocation. */
#include "loans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "status.h"

int absim_loan_set_alloc(absim_loan_set *s, int n)
{
    size_t m = n > 0 ? (size_t)n : 1;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->ag = calloc(m, sizeof *s->ag);
    s->as = calloc(m, sizeof *s->as);
    s->ylast = calloc(m, sizeof *s->ylast);
    s->ic = calloc(m, sizeof *s->ic);
    s->sector = calloc(m, sizeof *s->sector);
    s->first = calloc(m, sizeof *s->first);
    s->last = calloc(m, sizeof *s->last);
    s->threshold = calloc(m, sizeof *s->threshold);
    if (!s->ag || !s->as || !s->ylast || !s->ic || !s->sector || !s->first || !s->last || !s->threshold) {
        absim_loan_set_free(s);
        return absim_error_set(ABSIM_ENOMEM, "out of memory for %d loan-level lines", n);
    }
    return ABSIM_OK;
}

void absim_loan_set_free(absim_loan_set *s)
{
    free(s->ag);
    free(s->as);
    free(s->ylast);
    free(s->ic);
    free(s->sector);
    free(s->first);
    free(s->last);
    free((void *)s->threshold);
    memset(s, 0, sizeof *s);
}

void absim_loan_set_line(absim_loan_set *s, int l, const absim_line_model *m)
{
    const double ic = 1.0 / m->c;
    s->ic[l] = ic;
    s->ag[l] = m->bg * ic;
    s->as[l] = m->bs * ic;
    s->ylast[l] = m->threshold[m->last] * ic;
    s->sector[l] = m->sector;
    s->last[l] = m->last;
    s->threshold[l] = m->threshold;
    int first = 1;
    while (first < m->last && !(m->F[first] > 0.0))
        first++;
    s->first[l] = first;
}

/* The table part of the test: 1 (below), 0 (above), -1 (too close to
 * tell: ask gsl_cdf_ugaussian_P). hi = n - 1 as a double. */
static inline int phi_table_side(const double *restrict v, double lo, double inv_h, double hi, double err, double u,
                                 double y)
{
    double x = (y - lo) * inv_h;
    if (x >= 0.0 && x < hi) {
        int j = (int)x;
        double a = v[j] + (x - (double)j) * (v[j + 1] - v[j]);
        if (u > a + err)
            return 0;
        if (u < a - err)
            return 1;
    } else if (y == -INFINITY) {
        return 0;
    } else if (y == INFINITY) {
        return 1;
    }
    return -1;
}

int absim_phi_below(const absim_phi_table *t, double u, double y)
{
    int side = phi_table_side(t->v, t->lo, t->inv_h, (double)(t->n - 1), t->err, u, y);
    return side >= 0 ? side : u <= gsl_cdf_ugaussian_P(y);
}

/* Period of a loan known to default by `last`: the smallest k in
 * [first, last] with e <= y_k, e = Phi^-1(u) (last if rounding leaves
 * none: the default itself was decided on U <= Phi(y_last)). */
static int default_period(const absim_loan_set *s, int l, double u, double mix, double sys)
{
    const double *thr = s->threshold[l], ic = s->ic[l], e = gsl_cdf_ugaussian_Pinv(u);
    int lo = s->first[l], hi = s->last[l];
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (e <= thr[mid] * ic * mix - sys)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int absim_loans_sample(const absim_loan_set *s, int l0, int n, const absim_factors *f, const double *restrict u,
                       const absim_phi_table *t, int *restrict period, int *restrict def)
{
    const double zg = f->zg, mix = f->mix;
    const double *restrict zs = f->zs, *restrict ag = s->ag + l0, *restrict as = s->as + l0,
                           *restrict ylast = s->ylast + l0;
    const int *restrict sector = s->sector + l0;
    const double *restrict v = t->v, tlo = t->lo, inv_h = t->inv_h, thi = (double)(t->n - 1), err = t->err;
    /* pass 1: the table test; period[i] = 0 (survives), 1 (defaults) or
     * -1 (too close for the table: decided exactly in pass 2) */
    for (int i = 0; i < n; i++) {
        const double y = ylast[i] * mix - (ag[i] * zg + as[i] * zs[sector[i]]);
        period[i] = phi_table_side(v, tlo, inv_h, thi, err, u[i], y);
    }
    /* pass 2: the few defaulters (and undecided loans) */
    int nd = 0;
    for (int i = 0; i < n; i++) {
        if (period[i] == 0)
            continue;
        const double sys = ag[i] * zg + as[i] * zs[sector[i]];
        if (period[i] < 0 && !(u[i] <= gsl_cdf_ugaussian_P(ylast[i] * mix - sys))) {
            period[i] = 0;
            continue;
        }
        period[i] = default_period(s, l0 + i, u[i], mix, sys);
        if (def)
            def[nd] = i;
        nd++;
    }
    return nd;
}
