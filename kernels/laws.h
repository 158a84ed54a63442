/* laws.h -- marginal default-time laws, prepayment laws and their stressing.
 *
 * All curves are per period (period k = 1..T covers months
 * (k-1)*period_months+1 .. k*period_months). Monthly curves (SDA, PSA, CDR,
 * CPR) are compounded over the months of a period. */
#ifndef ABSIM_LAWS_H
#define ABSIM_LAWS_H

#include "deal.h"

/* 100% SDA annual CDR in month m >= 1 (0.0002*m to 0.006 at m=30, flat to
 * m=60, -0.000095 a month to 0.0003 at m=120, flat after). */
double absim_sda_cdr(int month);

/* 100% PSA annual CPR in month m >= 1: 0.002 * min(m, 30). */
double absim_psa_cpr(int month);

/* Annual rate to monthly: 1 - (1 - annual)^(1/12). */
double absim_annual_to_monthly(double annual);

/* Marginal cumulative default probability of one loan of `line` at period
 * ends: F[0] = 0, F[k] for k = 1..T (array length T+1). Each period's
 * conditional default probability h_k = (F[k]-F[k-1])/(1-F[k-1]) is
 * multiplied by `pd_multiplier` and capped at 1. No defaults after the
 * loan's term (F flat from `term` on). If `override_law` is ABSIM_LAW_CDR or
 * ABSIM_LAW_SDA it replaces the line's law with `override_value`. */
void absim_law_default_cdf(const absim_line *line, int T, int period_months, double pd_multiplier,
                           int override_law, double override_value, double *F);

/* Single-period prepayment rate of a performing loan in period k, stored in
 * smm[k] for k = 1..T (smm[0] = 0), each multiplied by `cpr_multiplier` and
 * capped at 1. Monthly SMMs are compounded over the months of a period. */
void absim_law_prepay(const absim_line *line, int T, int period_months, double cpr_multiplier,
                      double *smm);

#endif
