/* pool.h -- pool cash flows of one path from aggregated default events.
 *
 * Per line, the cash flows of one performing loan are deterministic given
 * the scenario (amortization, prepayment) and the rate path (floating
 * interest): they are prepared once per run as per-loan profiles. A path's
 * collateral is then  sum_l (count_l - D_l(k)) x profile_l(k)  where D_l(k)
 * is the line's cumulative number of defaults by period k, so lines without
 * defaults cost nothing beyond the precomputed no-default pool totals.
 *
 * Conventions (SPEC section 1): a loan defaulting in period k pays nothing
 * in k; its defaulted principal is its start-of-k balance; its recovery
 * arrives in period min(k + lag, T). Floating coupons are r_k + spread; a
 * floating level-pay loan amortizes on the annuity schedule of its initial
 * rate r0 + spread (interest floats, the principal schedule does not). */
#ifndef ABSIM_POOL_H
#define ABSIM_POOL_H

#include <stdint.h>

#include "deal.h"

/* One path's collateral cash flows; every array has length T, index k-1
 * for period k. Amounts in currency units. */
typedef struct {
    int T;
    double *balance_start;    /* performing balance at start of k (before k's defaults) */
    double *balance_end;      /* performing balance at end of k */
    double *interest;         /* interest collected in k */
    double *sched_principal;  /* scheduled principal collected in k */
    double *prepayments;      /* prepaid principal collected in k */
    double *defaults;         /* principal of loans defaulting in k */
    double *recoveries;       /* recovery cash received in k */
    double *losses;           /* defaulted principal less its recovery, by default period */
} absim_collateral;

int absim_collateral_alloc(absim_collateral *c, int T);
void absim_collateral_free(absim_collateral *c);

/* Per-run pool plan (struct of arrays). Per-loan profiles are stored line-
 * major: x[l * (T+1) + k], k = 0..T. */
typedef struct {
    int T, nlines;
    double dt;
    double original_balance;   /* sum of line balances */
    /* per line, length nlines */
    int64_t *count;
    double *loan_balance;      /* balance / count */
    int *floating;
    double *coupon;            /* fixed coupon (annual) */
    double *spread;            /* floating spread (annual) */
    int *lag;                  /* recovery lag in periods */
    double *rec_mean, *rec_stdev, *rec_loading; /* recovery law */
    /* per line, per period k = 0..T: per-unit-original-balance profile */
    double *factor;            /* performing balance factor at end of k (factor[0] = 1) */
    double *sched;             /* scheduled principal in k (per unit) */
    double *prepay;            /* prepayment in k (per unit) */
    /* no-default pool totals, per period index k-1 (length T) */
    double *total_start;       /* performing balance at start */
    double *total_sched, *total_prepay;
    double *total_fixed_interest;    /* fixed-coupon interest amount */
    double *total_float_balance;     /* floating balance at start (x r_k dt gives index interest) */
    double *total_float_spread;      /* sum floating balance x spread x dt */
} absim_pool_plan;

/* Build the plan for `deal` with every line's SMM multiplied by
 * cpr_multiplier (SPEC scenario knob). Returns ABSIM_OK / ABSIM_ENOMEM. */
int absim_pool_plan_init(absim_pool_plan *p, const absim_deal *deal, double cpr_multiplier);
void absim_pool_plan_free(absim_pool_plan *p);

/* Collateral cash flows of one path.
 *   r          rate path, length T (r[k-1] = r_k)
 *   defaults   per line, per period: defaults[l*T + k-1] = number of loans of
 *              line l defaulting in period k (length nlines*T)
 *   recovered  per line, per period: total recovery RATE summed over the
 *              loans of line l defaulting in period k (so recovery cash =
 *              recovered x loan balance at default); length nlines*T
 * Writes every array of `out` (already allocated for T). O(T + sum over
 * lines with defaults of T). */
void absim_pool_path(const absim_pool_plan *p, const double *r, const int64_t *defaults, const double *recovered,
                     absim_collateral *out);

#endif
