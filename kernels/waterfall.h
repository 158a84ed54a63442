/* waterfall.h -- the deal's priority of payments for one path.
 *
 * Each period: available funds = collections (interest + principal +
 * recoveries, less what an originator default takes) + reserve; paid as
 * senior fees (with carried unpaid fees first), note interest by seniority
 * (carried for deferrable notes, shortfall otherwise), reserve top-up,
 * principal (sequential or pro rata down to (1 - oc_target) x performing
 * collateral; a breached trigger forces sequential and, for oc/ic, diverts
 * all remaining cash to the most senior notes), then the residual. Clean-up
 * call and final period as in SPEC section 1 (in the call period and at T
 * the performing loans are sold at par and loans awaiting recovery for the
 * recoveries still to come, c->pending). Cash is conserved exactly:
 * collections + reserve release = fees + interest + principal + residual +
 * reserve build.
 *
 * The kernel allocates nothing: all state lives on the stack (at most
 * ABSIM_MAX_TRANCHES tranches, ABSIM_MAX_FEES fees, ABSIM_MAX_TRIGGERS). */
#ifndef ABSIM_WATERFALL_H
#define ABSIM_WATERFALL_H

#include "deal.h"
#include "pool.h"

#define ABSIM_MAX_TRANCHES 32
#define ABSIM_MAX_FEES 16
#define ABSIM_MAX_TRIGGERS 16
#define ABSIM_MAX_PERIODS 2400 /* 200 years of monthly periods (residual IRR buffer) */

typedef struct {
    int T;
    double dt;
    double pool_balance;        /* original pool balance */
    int ntranches, nnotes;      /* nnotes = ntranches - has_residual */
    int has_residual;
    double balance[ABSIM_MAX_TRANCHES];
    int floating[ABSIM_MAX_TRANCHES];
    double coupon[ABSIM_MAX_TRANCHES];
    double spread[ABSIM_MAX_TRANCHES];
    int deferrable[ABSIM_MAX_TRANCHES];
    int nfees;
    int fee_fixed[ABSIM_MAX_FEES];
    double fee_value[ABSIM_MAX_FEES];
    int servicing_fee;          /* index of the fee replaced after originator default, -1 none */
    int has_reserve;
    double reserve_initial;     /* currency */
    double reserve_target;      /* currency */
    absim_principal_rule principal;
    double oc_target;
    int ntriggers;
    absim_trigger_type trigger_type[ABSIM_MAX_TRIGGERS];
    int trigger_tranche[ABSIM_MAX_TRIGGERS];
    double trigger_threshold[ABSIM_MAX_TRIGGERS];
    double clean_up;            /* currency threshold; 0 = none */
    /* isolation */
    int isolation;              /* originator default has effects */
    int true_sale;
    double commingling_fraction;/* of the default period's collections, <= 1 */
    double backup_servicer_fee;
    int stay_periods;
    double estate_recovery;
    /* Derived by absim_waterfall_plan_init from the fields above, so that
     * the per-period loop of absim_waterfall_run does no path-independent
     * arithmetic (each is the exact value the loop would compute). */
    double rate_dt[ABSIM_MAX_TRANCHES];       /* fixed tranche: coupon x dt (floating: unused) */
    double fee_rate[2][ABSIM_MAX_FEES];       /* [backup servicer?] annual rate or amount of each fee */
    double fee_fixed_dt[2][ABSIM_MAX_FEES];   /* [backup servicer?] fixed fee: amount x dt */
    double cumloss_level[ABSIM_MAX_TRIGGERS]; /* cumulative_loss: threshold x pool_balance (+inf if pool <= 0) */
    double paydown;                           /* 1 - oc_target */
    double call_level;                        /* clean_up if > 0, else -inf (never called) */
    int ntriggers_of[3];                      /* number of oc, ic, cumulative_loss triggers */
    int triggers_of[3][ABSIM_MAX_TRIGGERS];   /* their indices, in trigger order */
    int notes_nonneg;                         /* every note balance >= 0 (so it stays >= 0 or NaN) */
    int residual_flat;                        /* the residual's discount factor stays 1 (fixed, 1 + rate x dt == 1) */
} absim_waterfall_plan;

/* Fill the plan from the deal. If `true_sale_override` >= 0 it replaces
 * deal->isolation.true_sale (to value isolation on the same paths). */
int absim_waterfall_plan_init(absim_waterfall_plan *w, const absim_deal *deal, int true_sale_override);

/* Per-path result of every tranche (arrays of ntranches). */
typedef struct {
    double loss[ABSIM_MAX_TRANCHES];       /* unpaid principal at T / original (residual: max(0,1-cash/orig)) */
    double pv_loss[ABSIM_MAX_TRANCHES];    /* 1 - PV(cash at own rate)/original */
    double wal[ABSIM_MAX_TRANCHES];        /* years; T*dt if no principal received */
    double shortfall[ABSIM_MAX_TRANCHES];  /* interest unpaid (incl. carried) at T / original */
    int first_loss[ABSIM_MAX_TRANCHES];    /* first period the tranche is impaired; 0 = never */
    double residual_irr;                   /* annualised IRR of the residual; NAN if no residual */
    double collections_lost;               /* cash lost to the originator's estate/commingling */
    int end_period;                        /* last period of the deal: T, or the clean-up call period */
} absim_waterfall_result;

/* Optional period-by-period trace (for `absim cashflow` and tests). Arrays
 * of length T (per note arrays: nnotes*T, note-major: x[n*T + k-1]). */
typedef struct {
    double *fees, *reserve_balance, *residual, *collections_lost;
    double *note_interest, *note_principal, *note_balance, *note_shortfall;
    int *trigger_breached;   /* 1 if any trigger breached in period k */
    double *collections;     /* cash the SPV received in k (after isolation effects, incl. sales) */
    double *sale_performing; /* performing loans sold at par in k (clean-up call or period T) */
    double *sale_recoveries; /* loans awaiting recovery sold in k (clean-up call) */
} absim_waterfall_trace;

int absim_waterfall_trace_alloc(absim_waterfall_trace *t, int T, int nnotes);
void absim_waterfall_trace_free(absim_waterfall_trace *t);

/* Run the waterfall on one path.
 *   c        collateral cash flows of the path (T periods)
 *   r        short-rate path, length T (floating coupons, discounting)
 *   originator_default  period of originator default, 0 = none
 *   out      per-tranche results
 *   trace    NULL, or per-period detail
 * Returns the cash-conservation residual (collections + reserve release -
 * payments - reserve build), which is zero to rounding. */
double absim_waterfall_run(const absim_waterfall_plan *w, const absim_collateral *c, const double *r,
                           int originator_default, absim_waterfall_result *out, absim_waterfall_trace *trace);

#endif
