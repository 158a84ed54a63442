/* loans.h -- the loan-level default sampler: pool lines of one loan each.
 *
 * A loan tape makes every loan its own line. Such a line's loan defaults
 * by period k iff its latent uniform U satisfies U <= q_k(Z) =
 * Phi((c_k m - s) / c) (copula.h), so one uniform per loan decides whether
 * it defaults at all, and only defaulters search their period. The
 * uniforms come four to a Philox block (absim_rng_loan_uniforms) and the
 * test U <= q_k goes through a certified Phi table (absim_phi_table): it
 * always agrees with U <= gsl_cdf_ugaussian_P(y), which decides the rare
 * cases the table cannot. */
#ifndef ABSIM_LOANS_H
#define ABSIM_LOANS_H

#include "copula.h"

/* Loan-level lines of one run, struct of arrays indexed by line (entries
 * of other lines are unused). With ic = 1/c the default-by-k test is
 *     U <= Phi(y_k),   y_k = (c_k ic) m - (a_g Z_g + a_s Z_s),
 * a_g = b_g ic, a_s = b_s ic: y_k is non-decreasing in k. */
typedef struct {
    int n;                     /* lines */
    double *ag, *as;           /* b_g / c, b_s / c */
    double *ylast;             /* c_last / c */
    double *ic;                /* 1 / c */
    int *sector;
    int *first, *last;         /* first and last period with F_k > F_{k-1} */
    const double **threshold;  /* the line models' thresholds (not owned) */
} absim_loan_set;

/* Allocate for n lines (zeroed). ABSIM_OK / ABSIM_ENOMEM. */
int absim_loan_set_alloc(absim_loan_set *s, int n);
void absim_loan_set_free(absim_loan_set *s);

/* Fill entry l from a line model with count 1 and last > 0. */
void absim_loan_set_line(absim_loan_set *s, int l, const absim_line_model *m);

/* 1 if u <= gsl_cdf_ugaussian_P(y), decided from the table where it can
 * be (the same answer either way). */
int absim_phi_below(const absim_phi_table *t, double u, double y);

/* Default periods of the one-loan lines l0 .. l0+n-1 given their latent
 * uniforms u[i]: period[i] = smallest k with u[i] <= Phi(y_k), 0 if the
 * loan survives past `last`. Returns the number of defaulters; when `def`
 * is not NULL their indices i, increasing, are written to def[]. */
int absim_loans_sample(const absim_loan_set *s, int l0, int n, const absim_factors *f, const double *u,
                        const absim_phi_table *t, int *period, int *def);

#endif
