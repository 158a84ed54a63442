/* rates.h -- short-rate paths: flat, Vasicek, CIR, Hull-White.
 *
 * Convention: r[0] = r_1 = r0 (+ shift) -- for Hull-White r_1 = z(dt) (+ shift)
 * so that E[DF_1] matches the curve; r[k-1] = r_k is known at the start
 * of period k and sets that period's floating coupons. Transitions are
 * exact: Vasicek/Hull-White Gaussian, CIR non-central chi-square
 * (gsl_ran_chisq / gsl_ran_poisson mixture). Hull-White uses Vasicek with a
 * time-dependent mean theta(t) fitted so that E[exp(-int r)] reproduces the
 * input zero curve at every period end (discrete fit on the period grid). */
#ifndef ABSIM_RATES_H
#define ABSIM_RATES_H

#include "deal.h"
#include "rng.h"
#include "zignor.h"

typedef struct {
    absim_rate_model model;
    int T;                 /* periods */
    double dt;             /* years per period */
    double r0, kappa, theta, sigma;
    double *drift;         /* hull_white: per-step mean add-on, length T (else NULL) */
    double decay;          /* exp(-kappa dt) */
    double step_sd;        /* sd of one Gaussian step (vasicek, hull_white) */
    double cir_scale;      /* cir: c = sigma^2 (1 - decay) / (4 kappa) */
    double cir_df;         /* cir: d = 4 kappa theta / sigma^2 */
    absim_zig zig;     /* normals of the Gaussian steps */
} absim_rate_plan;

/* Prepare a plan for T periods of dt years with r0, theta (or the zero
 * curve) shifted by `shift`. Returns ABSIM_OK, ABSIM_ENOMEM or ABSIM_EINVAL
 * (message set). Free with absim_rate_plan_free. */
int absim_rate_plan_init(absim_rate_plan *plan, const absim_rates *rates, double shift, int T, double dt);
void absim_rate_plan_free(absim_rate_plan *plan);

/* Draw one path: r[0..T-1] (length T). Uses only `rng`. */
void absim_rate_path(const absim_rate_plan *plan, absim_rng *rng, double *r);

/* Expected path E[r_k], k = 1..T, into r[0..T-1]. */
void absim_rate_expected(const absim_rate_plan *plan, double *r);

/* Model-implied discount factor E[DF_k] = E[exp(-sum_{s<=k} r_s dt)] for
 * k = 1..T into P[0..T-1] on the discrete grid (closed form for flat,
 * Vasicek and Hull-White). Returns ABSIM_EINVAL for CIR. */
int absim_rate_bond_prices(const absim_rate_plan *plan, double *P);

#endif
