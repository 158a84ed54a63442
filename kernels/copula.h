/* copula.h -- latent factors and exact default-time samplers.
 *
 * Loan i of line l: X_i = b_g Z_g + b_s Z_s(l) + c e_i, c = sqrt(1-b_g^2-b_s^2),
 * defaults in period k when F(k-1) < U_i <= F(k), U_i = Phi(X_i) (gaussian)
 * or U_i = t_nu(X_i sqrt(nu/W)) with W ~ chi2(nu) common to the path
 * (student_t). Equivalently, with thresholds c_k = Phi^-1(F(k)) (or
 * t_nu^-1(F(k))), the loan defaults by period k when
 *     b_g Z_g + b_s Z_s + c e_i <= c_k * m,    m = 1 (gaussian) or sqrt(W/nu).
 * Two exact samplers, chosen per line by absim_line_model_init():
 *   - loan by loan: one uniform U_i per loan (e_i = Phi^-1(U_i), evaluated
 *     only for defaulters), period by binary search on the thresholds;
 *   - conditional binomial: given the factors, N ~ Binomial(count, q_T(Z))
 *     defaulters by T, then each defaulter's e conditional on default,
 *     e = Phi^-1(u q_T), and the same binary search (or, when N is large
 *     against T, a sequential-binomial split over periods). Cost
 *     O(1 + min(defaults, T)), independent of count.
 * See docs/generators.md for the cost rule. */
#ifndef ABSIM_COPULA_H
#define ABSIM_COPULA_H

#include <stdint.h>

#include "deal.h"
#include "rng.h"

/* One path's systematic draw. */
typedef struct {
    double zg;            /* global factor */
    double *zs;           /* sector factors, length nsectors (owned by caller) */
    double mix;           /* sqrt(W/nu) for student_t, 1 for gaussian */
} absim_factors;

/* Draw the factors of one path from the FACTORS stream (`rng` opened on
 * it): zg, zs[0..nsectors-1] standard normal, then W ~ chi2(dof) when
 * `copula` is student_t. `zg_shift` is added to zg (importance sampling;
 * 0 otherwise). Antithetic: the caller negates zg/zs. */
void absim_factors_draw(absim_copula copula, double dof, int nsectors, double zg_shift, absim_rng *rng,
                        absim_factors *f);

typedef enum { ABSIM_SAMPLER_LOAN = 0, ABSIM_SAMPLER_BINOMIAL = 1 } absim_sampler;

/* Default model of one line under one scenario (prepared once per run). */
typedef struct {
    int T;                 /* periods */
    int64_t count;         /* loans */
    double bg, bs, c;      /* factor loadings and idiosyncratic weight */
    int sector;            /* sector index */
    int last;              /* last period with positive default probability (0 = none) */
    double *threshold;     /* c_k, k = 0..T (threshold[0] = -inf); length T+1 */
    double *F;             /* marginal CDF, length T+1 */
    absim_copula copula;
    double dof;
    absim_sampler sampler; /* chosen by cost */
    const double *phi;     /* absim_phi_table of the run for the binomial sampler's q_k
                            * (not owned; NULL: absim_copula_phi) */
} absim_line_model;

/* Build from the line's marginal CDF F[0..T] (absim_law_default_cdf) and
 * the correlation parameters (bg2 = b_g^2, bs2 = b_s^2). `force` is -1 to
 * pick the faster sampler, or an absim_sampler to force one (tests). */
int absim_line_model_init(absim_line_model *m, const double *F, int T, int64_t count, int sector, double bg2,
                          double bs2, absim_copula copula, double dof, int force);
void absim_line_model_free(absim_line_model *m);

/* Conditional cumulative default probability q_k(Z) of one loan by period
 * k given the factors (0 <= k <= T). */
double absim_line_conditional_pd(const absim_line_model *m, const absim_factors *f, int k);

/* Standard normal CDF as the conditional-binomial sampler computes its
 * q_k: the rational approximations gsl_cdf_ugaussian_P uses (W. J. Cody,
 * Math. Comp. 23, 1969) with one table-driven exponential instead of two
 * exp() calls; within a few ulps of gsl_cdf_ugaussian_P (test_copula).
 * 0 below -37.519, 1 above 8.572, as GSL. */
double absim_copula_phi(double x);

/* Phi on a table: at the nodes x0 = -10 + i/128, i < ABSIM_PHI_NODES,
 * Phi(x0) and the coefficients of its Taylor series
 *     Phi(x0 + h) = Phi(x0) + phi(x0) sum_{n>=0} (-1)^n He_n(x0) h^(n+1) / (n+1)!
 * to n = 8 (He_n the Hermite polynomials; for |h| <= 1/256 the first term
 * left out is below 1e-19 relative on [-10, 10]), summed by Horner's
 * rule: within a few ulps of Phi like absim_copula_phi (test_copula), at a
 * third of its cost; outside [-10, 10] it is absim_copula_phi.
 * absim_phi_table_alloc() returns the ABSIM_PHI_STRIDE values a node
 * (malloc'd, from gsl_cdf_ugaussian_P and exp; NULL when out of memory). */
#define ABSIM_PHI_NODES 2561
#define ABSIM_PHI_STRIDE 10
double *absim_phi_table_alloc(void);
double absim_phi_tab(const double *table, double x);

/* Sample the line's defaults for one path. `rng` is opened on the line's
 * DEFAULTS stream. Writes the number of defaults in period k to
 * defaults[k-1], k = 1..T (length T). Returns the total. */
int64_t absim_line_sample_defaults(const absim_line_model *m, const absim_factors *f, absim_rng *rng,
                                   int64_t *defaults);

/* The Beta shapes of a recovery law with this mean and standard
 * deviation: k = mean (1 - mean) / stdev^2 - 1, a = mean k, b = (1 - mean)
 * k. Returns 1 and sets *a, *b when the law is random (stdev > 0,
 * 0 < mean < 1, k > 0), 0 when the rate is fixed at the mean. */
int absim_recovery_beta_shapes(double mean, double stdev, double *a, double *b);

/* 1 when absim_recovery_draw() with these parameters draws nothing (the
 * rate is fixed at mean x (1 - haircut), clamped), 0 otherwise. */
int absim_recovery_is_fixed(double mean, double stdev);

/* Recovery rate of one defaulted loan: Beta with `mean`, `stdev` (fixed
 * when stdev = 0), times (1 - haircut). With loading a > 0 the Beta
 * quantile is taken at Phi(a zg + sqrt(1-a^2) e), so recoveries fall when
 * zg is low. `rng` is opened on the line's RECOVERY stream. The path
 * simulator draws unloaded Beta recoveries from laws prepared once per
 * run instead (absim_path_recovery: the same law, kernels/beta.h). */
double absim_recovery_draw(double mean, double stdev, double loading, double haircut, double zg, absim_rng *rng);

#endif
