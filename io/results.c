/* results.c -- the tranche table of a deal (results.h).
 *
 * Attachment and detachment are fractions of the original pool balance
 * (absim_deal_pool_balance): tranche i attaches at the balance of every
 * tranche junior to it, the residual included, and detaches one own balance
 * higher. Sums run from the most junior tranche up and the detachment is
 * computed as (junior + balance) / pool, the very quotient the next senior
 * tranche uses as its attachment: adjacent tranches meet exactly, with no
 * rounding gap. With a zero pool both are 0. */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int absim_tranche_table_init(absim_tranche_table *t, const absim_deal *deal)
{
    const int n = deal->structure.ntranches;
    const size_t nalloc = n > 0 ? (size_t)n : 1;
    const double pool = absim_deal_pool_balance(deal);
    double junior = 0.0;

    memset(t, 0, sizeof *t);
    t->name = calloc(nalloc, sizeof *t->name);
    t->original_balance = calloc(nalloc, sizeof *t->original_balance);
    t->attachment = calloc(nalloc, sizeof *t->attachment);
    t->detachment = calloc(nalloc, sizeof *t->detachment);
    if (!t->name || !t->original_balance || !t->attachment || !t->detachment) {
        absim_tranche_table_free(t);
        return absim_error_set(ABSIM_ENOMEM, "out of memory for the table of %d tranches", n);
    }
    t->ntranches = n;
    for (int i = n - 1; i >= 0; i--) {
        const absim_tranche *tr = &deal->structure.tranches[i];
        snprintf(t->name[i], ABSIM_NAME_MAX, "%s", tr->name);
        t->original_balance[i] = tr->balance;
        const double through = junior + tr->balance;
        if (pool > 0.0) {
            t->attachment[i] = junior / pool;
            t->detachment[i] = through / pool;
        }
        junior = through;
    }
    return ABSIM_OK;
}

void absim_tranche_table_free(absim_tranche_table *t)
{
    free(t->name);
    free(t->original_balance);
    free(t->attachment);
    free(t->detachment);
    memset(t, 0, sizeof *t);
}
