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
 * arrives in period min(k + lag, T). Floating coupons are r_k + spread
 * (floored at 0); a floating level-pay loan amortizes on the annuity
 * schedule of its initial rate r0 + spread (interest floats, the principal
 * schedule does not). Prepayments: SMM_k x the balance left after k's
 * scheduled principal. Interest of period k is rate x dt x start-of-k
 * balance. All amounts are >= 0 (rounding below zero is clamped). */
#ifndef ABSIM_POOL_H
#define ABSIM_POOL_H

#include <stdint.h>

#include "deal.h"

/* The event path adds profiles into its accumulators in whole aligned
 * blocks of this many periods (see pool.c, GRID_ADD). */
#define ABSIM_POOL_GRID 8

/* One path's collateral cash flows; every array has length T, index k-1
 * for period k. Amounts in currency units. */
typedef struct {
    int T;
    double *balance_start;    /* performing balance at start of k (before k's defaults) */
    double *balance_end;      /* performing balance at end of k */
    double *interest;         /* interest collected in k */
    double *sched_principal;  /* scheduled principal collected in k */
    double *prepayments;      /* prepaid principal collected in k */
    double *principal;        /* principal collected in k: scheduled + prepaid (what the
                               * waterfall reads; absim_pool_path_events forms only this sum,
                               * see there) */
    double *defaults;         /* principal of loans defaulting in k */
    double *recoveries;       /* recovery cash received in k */
    double *losses;           /* defaulted principal less its recovery, by default period */
    double *pending;          /* value at end of k of loans defaulted by k and awaiting
                               * recovery: their recoveries still to come (what a clean-up
                               * call in k sells them for); 0 at T */
    double *work;             /* scratch of absim_pool_path_events: 5 arrays of T rounded up
                               * to ABSIM_POOL_GRID, 64-byte aligned */
} absim_collateral;

int absim_collateral_alloc(absim_collateral *c, int T);
void absim_collateral_free(absim_collateral *c);

/* Scheduled balance factor of one loan of `line` without prepayments or
 * defaults: sch[k] for k = 0..T (sch[0] = 1, 0 from the term on). Level
 * annuity at the periodic rate coupon x dt (floating: max(0, r0 + spread)
 * x dt; straight line when that rate is 0), linear (n-k)/n, bullet 1 until
 * the term. */
void absim_pool_schedule(const absim_line *line, int T, double dt, double r0, double *sch);

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
    double *total_end;         /* performing balance at end */
    double *total_sched, *total_prepay;
    double *total_fixed_interest;    /* fixed-coupon interest amount */
    double *total_float_balance;     /* floating balance at start (x r_k dt gives index interest) */
    double *total_float_spread;      /* sum floating balance x spread x dt */
    int *live;                 /* per line: last period k whose profile is non-zero (0 from
                                * there on: nothing left to subtract after it) */
    /* the principal profile scaled to one loan, for one straight loop:
     * prof1[l*S + k-1] = loan balance x (sched[k] + prepay[k]), rows of
     * S = ABSIM_POOL_GRID-rounded T (zeros after T), 64-byte aligned */
    double *prof1;
    double *prof1_cut;         /* with a horizon < T - 1: prof1's periods 1 .. horizon+1 only
                                * (a denser table for the path loop), else NULL */
    int prof_periods;          /* periods per line of the table the path reads */
    int prof_stride;           /* its row length: prof_periods rounded up to the grid */
    int horizon;               /* periods after it are not reduced by defaults (T by
                                * default; see absim_pool_set_horizon) */
    int nfloating;             /* lines with a floating coupon */
    double min_spread;         /* smallest floating spread (coupon floor check) */
} absim_pool_plan;

/* Build the plan for `deal` with every line's SMM multiplied by
 * cpr_multiplier (SPEC scenario knob). Returns ABSIM_OK / ABSIM_ENOMEM. */
int absim_pool_plan_init(absim_pool_plan *p, const absim_deal *deal, double cpr_multiplier);
void absim_pool_plan_free(absim_pool_plan *p);

/* Promise that nobody reads balance_start, balance_end, interest,
 * principal, sched_principal or prepayments of periods after `horizon`
 * (1..T; balance_end of `horizon` itself is read): for example a waterfall
 * whose clean-up call is certain by then, because the no-default balance
 * is already below the call level and defaults only lower it.
 * absim_pool_path_events() then stops reducing those periods for defaults
 * on paths without floored coupons: their values are unspecified, the
 * earlier periods' bitwise unchanged (defaults, recoveries, losses and
 * pending stay complete). */
void absim_pool_set_horizon(absim_pool_plan *p, int horizon);

/* Annual coupon rate of line l in period k given r_k: fixed coupon, or
 * max(0, r_k + spread) (floating coupons are floored at zero). */
double absim_pool_line_rate(const absim_pool_plan *p, int l, double rk);

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

/* Same cash flows from a sparse list of default events: event j is
 * count[j] loans of line line[j] defaulting in period period[j] with
 * recovery-rate sum rec[j] (as `recovered` above). Events must be grouped
 * by line in increasing line order and, within a line, in increasing
 * period order, one event per (line, period). The result equals
 * absim_pool_path() on the equivalent dense arrays up to rounding (when
 * no floating coupon is floored on the path, the sums are formed in
 * another order: per-loan principal profiles accumulated in one straight
 * loop, and balances and interest as running sums of defaults less the
 * principal those loans would have paid; otherwise bitwise). Only
 * `principal` is formed, not its scheduled / prepaid split:
 * sched_principal and prepayments are left unspecified. Cost O(T + sum
 * over defaulting lines of their live periods from the first default
 * on); lines without defaults cost nothing. */
void absim_pool_path_events(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                            const int *period, const int64_t *count, const double *rec, absim_collateral *out);

/* The same on a given route (ABSIM_LOAN_ROUTE_*, rng.h; < 0: the best the
 * CPU has) of its vectorised loops: the same bits on every route. */
void absim_pool_path_events_route(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                                  const int *period, const int64_t *count, const double *rec, absim_collateral *out,
                                  int route);

/* The principal-profile table the event path reads: prof1_cut when the
 * horizon cut it, else prof1; prof_periods values a line. */
static inline const double *absim_pool_prof_table(const absim_pool_plan *p)
{
    return p->prof1_cut ? p->prof1_cut : p->prof1;
}

/* Ask the cache for what absim_pool_path_events() reads first for a
 * default of line l in period kd (its balance at default and the start of
 * its principal profile, random places of tables larger than the cache):
 * issued when the event is found, the reads have arrived by the time the
 * pool needs them. No effect on any result.
 *
 * Always inlined: GCC (12) finds a function whose only statements are
 * prefetches "pure", and deletes calls to a pure function whose result is
 * unused before it inlines them, so a plain static inline version emits
 * no prefetch at all. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void absim_pool_prefetch(const absim_pool_plan *p, int l, int kd)
{
#if defined(__GNUC__)
    __builtin_prefetch(p->factor + (size_t)l * ((size_t)p->T + 1) + kd - 1);
    if (kd <= p->prof_periods)
        __builtin_prefetch(absim_pool_prof_table(p) + (size_t)l * (size_t)p->prof_stride + kd - 1);
#else
    (void)p;
    (void)l;
    (void)kd;
#endif
}

#endif
