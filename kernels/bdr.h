/* bdr.h -- break-even default rates.
 *
 * The break-even default rate (BDR) of a note is the highest constant
 * annual default rate (CDR) at which, on one deterministic path (the
 * Standard Formulas engine with the deal's own prepayment, severity, lag,
 * and the given short-rate path), the note still receives all its
 * principal and interest. Found by bisection on [0, 1]: the tranche is
 * "paid in full" at a CDR when its loss and its unpaid interest are both
 * <= ABSIM_BDR_PAID_EPS of its balance. */
#ifndef ABSIM_BDR_H
#define ABSIM_BDR_H

#include "deal.h"

#define ABSIM_BDR_PAID_EPS 1e-9

typedef struct {
    double bdr;             /* annual CDR, in [0, 1] */
    double cumulative;      /* defaulted principal / original pool at that CDR */
    double wal;             /* tranche WAL (years) at that CDR */
    int iterations;
} absim_bdr_result;

/* Whether note `tranche` is paid in full at constant annual CDR `cdr`.
 * Writes the pool's cumulative default rate into *cumulative and the
 * tranche's WAL into *wal when non-NULL. Returns 1 / 0, or -1 on
 * allocation failure (message set). */
int absim_bdr_paid(const absim_deal *deal, const double *r, int tranche, double cdr, double *cumulative, double *wal);

/* BDR of note `tranche` to tolerance `tol` (e.g. 1e-6) on rate path r
 * (length deal->periods). Returns ABSIM_OK or ABSIM_ENOMEM / ABSIM_EINVAL. */
int absim_bdr_solve(const absim_deal *deal, const double *r, int tranche, double tol, absim_bdr_result *out);

#endif
