/* stdformula.h -- the deterministic Standard Formulas collateral engine of
 * `absim cashflow` (SPEC section 3; BMA/SIFMA Uniform Practices, Standard
 * Formulas).
 *
 * Per line and period k, with P the performing balance, SCH the scheduled
 * balance factor (absim_pool_schedule), MDR_k the period default rate and
 * SMM_k the period prepayment rate:
 *   new defaults      D_k  = MDR_k x P_{k-1}        (0 in the last `lag`
 *                                                    periods of the line's term)
 *   amortization      AM_k = (P_{k-1} - D_k) x (1 - SCH_k / SCH_{k-1})
 *   prepayments       VP_k = min(SMM_k x P_{k-1} x SCH_k / SCH_{k-1},
 *                                P_{k-1} - D_k - AM_k)
 *   performing        P_k  = P_{k-1} - D_k - AM_k - VP_k
 * A cohort defaulting in period j is liquidated in period min(j + lag, T);
 * until then (periods j .. j+lag-1) the servicer advances its scheduled
 * interest and principal, so it amortizes on schedule; at liquidation its
 * loss is severity x D_j and its recovery is its amortized balance less the
 * loss (negative, i.e. advances reimbursed out of the pool's collections,
 * when a late cohort has amortized below its loss).
 * Interest: coupon x dt on the start-of-period balance of performing loans
 * (less the period's defaults) and of loans in foreclosure.
 *
 * Assumptions left unset use each line's own laws at expected values: the
 * per-period default rate h_k = (F_k - F_{k-1}) / (1 - F_{k-1}) of its
 * marginal CDF (absim_law_default_cdf), its prepayment law, severity =
 * 1 - recovery mean, lag = recovery lag. Rates are per period: annual CDR
 * and CPR compound to 1 - (1 - x)^(period_months/12); SDA and PSA months
 * are compounded over the months of a period (laws.h). */
#ifndef ABSIM_STDFORMULA_H
#define ABSIM_STDFORMULA_H

#include "deal.h"
#include "pool.h"

typedef struct {
    int default_law;      /* -1: each line's own law; ABSIM_LAW_CDR or ABSIM_LAW_SDA */
    double default_value; /* annual CDR (decimal) or SDA percent */
    int prepay_law;       /* -1: each line's own law; ABSIM_PREPAY_NONE, _CPR or _PSA */
    double prepay_value;  /* annual CPR (decimal) or PSA percent */
    double severity;      /* < 0: each line's 1 - recovery mean; else in [0,1] */
    int lag;              /* < 0: each line's recovery lag; else periods */
} absim_stdformula_assumptions;

/* Every assumption unset (each line's own laws). */
void absim_stdformula_assumptions_init(absim_stdformula_assumptions *a);

/* Result: the collateral columns fed to the waterfall, plus the loans in
 * foreclosure. Arrays of length T, index k-1 for period k. In `c`:
 * interest and sched_principal include what is advanced on loans in
 * foreclosure; defaults are new defaults by default period; recoveries and
 * losses are by liquidation period; pending is the value at end of k of the
 * loans awaiting liquidation (amortized balance less loss, their future
 * advanced principal plus recovery). */
typedef struct {
    absim_collateral c;
    double *foreclosure;        /* balance of defaulted loans awaiting liquidation, end of k */
    double *advanced_principal; /* scheduled principal advanced on them in k */
    double *advanced_interest;  /* interest advanced on them in k */
} absim_stdformula_result;

int absim_stdformula_alloc(absim_stdformula_result *s, int T);
void absim_stdformula_free(absim_stdformula_result *s);

/* Run the Standard Formulas for every line of `deal` on the short-rate path
 * r[0..T-1] (floating coupons r_k + spread, floored at 0; level-pay floating
 * loans amortize on the schedule of deal->rates.r0 + spread) and write the
 * pool totals into `out` (allocated for deal->periods). Returns ABSIM_OK,
 * ABSIM_EINVAL (bad assumption, message set) or ABSIM_ENOMEM. */
int absim_stdformula_run(const absim_deal *deal, const absim_stdformula_assumptions *a, const double *r,
                         absim_stdformula_result *out);

#endif
