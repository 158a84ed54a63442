/* bdr.c -- break-even default rates by bisection (see bdr.h). */
#include "bdr.h"

#include <math.h>

#include "status.h"
#include "stdformula.h"
#include "waterfall.h"

int absim_bdr_paid(const absim_deal *deal, const double *r, int tranche, double cdr, double *cumulative, double *wal)
{
    absim_stdformula_assumptions a;
    absim_stdformula_result sf;
    absim_waterfall_plan w;
    absim_waterfall_result res;
    absim_stdformula_assumptions_init(&a);
    a.default_law = ABSIM_LAW_CDR;
    a.default_value = cdr;
    if (absim_stdformula_alloc(&sf, deal->periods) != ABSIM_OK)
        return -1;
    int paid = -1;
    if (absim_stdformula_run(deal, &a, r, &sf) != ABSIM_OK || absim_waterfall_plan_init(&w, deal, -1) != ABSIM_OK)
        goto cleanup;
    absim_waterfall_run(&w, &sf.c, r, 0, &res, NULL);
    paid = res.loss[tranche] <= ABSIM_BDR_PAID_EPS && res.shortfall[tranche] <= ABSIM_BDR_PAID_EPS;
    if (cumulative) {
        double d = 0.0, pool = absim_deal_pool_balance(deal);
        for (int k = 0; k < deal->periods; k++)
            d += sf.c.defaults[k];
        *cumulative = pool > 0 ? d / pool : 0.0;
    }
    if (wal)
        *wal = res.wal[tranche];
cleanup:
    absim_stdformula_free(&sf);
    return paid;
}

int absim_bdr_solve(const absim_deal *deal, const double *r, int tranche, double tol, absim_bdr_result *out)
{
    if (tranche < 0 || tranche >= deal->structure.ntranches || deal->structure.tranches[tranche].residual)
        return absim_error_set(ABSIM_EINVAL, "break-even default rate: tranche %d is not a note", tranche);
    double lo = 0.0, hi = 1.0;
    out->iterations = 0;
    int p = absim_bdr_paid(deal, r, tranche, hi, NULL, NULL);
    if (p < 0)
        return ABSIM_ENOMEM;
    if (p) {
        lo = hi; /* survives even a 100% CDR */
    } else {
        p = absim_bdr_paid(deal, r, tranche, lo, NULL, NULL);
        if (p < 0)
            return ABSIM_ENOMEM;
        if (!p) {
            hi = lo; /* loses even without defaults */
        } else {
            /* Invariant: paid at lo, not paid at hi. */
            while (hi - lo > tol) {
                double mid = 0.5 * (lo + hi);
                p = absim_bdr_paid(deal, r, tranche, mid, NULL, NULL);
                if (p < 0)
                    return ABSIM_ENOMEM;
                if (p)
                    lo = mid;
                else
                    hi = mid;
                out->iterations++;
            }
        }
    }
    out->bdr = lo;
    if (absim_bdr_paid(deal, r, tranche, lo, &out->cumulative, &out->wal) < 0)
        return ABSIM_ENOMEM;
    return ABSIM_OK;
}
