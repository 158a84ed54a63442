/* stdformula.c -- the Standard Formulas collateral engine (see stdformula.h).
 *
 * Line by line, period by period: new defaults on the prior performing
 * balance, scheduled amortization of what still performs, capped voluntary
 * prepayments, and cohorts of defaulted loans that amortize on schedule
 * (advanced) until their liquidation `lag` periods later. Pool columns are
 * the sums over lines. Invariants: per line and period, the performing
 * balance falls by exactly defaults + amortization + prepayments; each
 * cohort's defaulted balance = advanced principal + recovery + loss over
 * its life. A recovery is negative when a late cohort's advances took its
 * amortized balance below the loss (the servicer is reimbursed from the
 * pool's other collections). Not a hot path: it allocates its scratch per
 * call. */
#include "stdformula.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "laws.h"
#include "status.h"

void absim_stdformula_assumptions_init(absim_stdformula_assumptions *a)
{
    a->default_law = -1;
    a->default_value = 0.0;
    a->prepay_law = -1;
    a->prepay_value = 0.0;
    a->severity = -1.0;
    a->lag = -1;
}

int absim_stdformula_alloc(absim_stdformula_result *s, int T)
{
    size_t n = T > 0 ? (size_t)T : 1;
    memset(s, 0, sizeof *s);
    int rc = absim_collateral_alloc(&s->c, T);
    if (rc != ABSIM_OK)
        return rc;
    s->foreclosure = calloc(n, sizeof(double));
    s->advanced_principal = calloc(n, sizeof(double));
    s->advanced_interest = calloc(n, sizeof(double));
    if (!s->foreclosure || !s->advanced_principal || !s->advanced_interest) {
        absim_stdformula_free(s);
        return absim_error_set(ABSIM_ENOMEM, "out of memory allocating cash-flow columns for %d periods", T);
    }
    return ABSIM_OK;
}

void absim_stdformula_free(absim_stdformula_result *s)
{
    absim_collateral_free(&s->c);
    free(s->foreclosure);
    free(s->advanced_principal);
    free(s->advanced_interest);
    memset(s, 0, sizeof *s);
}

static int check_assumptions(const absim_stdformula_assumptions *a)
{
    if (a->default_law != -1 && a->default_law != ABSIM_LAW_CDR && a->default_law != ABSIM_LAW_SDA)
        return absim_error_set(ABSIM_EINVAL, "default assumption must be a CDR or an SDA percentage");
    if (a->default_law == ABSIM_LAW_CDR && !(a->default_value >= 0.0 && a->default_value <= 1.0))
        return absim_error_set(ABSIM_EINVAL, "CDR %g outside [0, 1]", a->default_value);
    if (a->default_law == ABSIM_LAW_SDA && !(a->default_value >= 0.0 && isfinite(a->default_value)))
        return absim_error_set(ABSIM_EINVAL, "SDA %g%% must be >= 0", a->default_value);
    if (a->prepay_law != -1 && a->prepay_law != ABSIM_PREPAY_NONE && a->prepay_law != ABSIM_PREPAY_CPR &&
        a->prepay_law != ABSIM_PREPAY_PSA)
        return absim_error_set(ABSIM_EINVAL, "prepayment assumption must be a CPR or a PSA percentage");
    if (a->prepay_law == ABSIM_PREPAY_CPR && !(a->prepay_value >= 0.0 && a->prepay_value <= 1.0))
        return absim_error_set(ABSIM_EINVAL, "CPR %g outside [0, 1]", a->prepay_value);
    if (a->prepay_law == ABSIM_PREPAY_PSA && !(a->prepay_value >= 0.0 && isfinite(a->prepay_value)))
        return absim_error_set(ABSIM_EINVAL, "PSA %g%% must be >= 0", a->prepay_value);
    if (a->severity >= 0.0 && !(a->severity <= 1.0))
        return absim_error_set(ABSIM_EINVAL, "severity %g outside [0, 1]", a->severity);
    return ABSIM_OK;
}

int absim_stdformula_run(const absim_deal *deal, const absim_stdformula_assumptions *a, const double *r,
                         absim_stdformula_result *out)
{
    const int T = deal->periods, pm = deal->period_months;
    const double dt = pm / 12.0;
    absim_collateral *c = &out->c;
    double *sch = NULL, *F = NULL, *smm = NULL, *cohort = NULL;
    int rc = check_assumptions(a);
    if (rc != ABSIM_OK)
        return rc;
    sch = malloc(((size_t)T + 1) * sizeof *sch);
    F = malloc(((size_t)T + 1) * sizeof *F);
    smm = malloc(((size_t)T + 1) * sizeof *smm);
    cohort = malloc(((size_t)T + 1) * sizeof *cohort);
    if (!sch || !F || !smm || !cohort) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory running the Standard Formulas");
        goto cleanup;
    }
    for (int k = 0; k < T; k++) {
        c->balance_start[k] = c->balance_end[k] = c->interest[k] = c->sched_principal[k] = 0.0;
        c->prepayments[k] = c->defaults[k] = c->recoveries[k] = c->losses[k] = c->pending[k] = 0.0;
        out->foreclosure[k] = out->advanced_principal[k] = out->advanced_interest[k] = 0.0;
    }

    for (int l = 0; l < deal->nlines; l++) {
        absim_line line = deal->lines[l];
        if (a->prepay_law >= 0) {
            line.prepay = (absim_prepay_law)a->prepay_law;
            line.prepay_value = a->prepay_value;
        }
        const int lag = a->lag >= 0 ? a->lag : line.recovery_lag;
        const double severity = a->severity >= 0.0 ? a->severity : 1.0 - line.recovery_mean;
        const int n = line.term;
        absim_pool_schedule(&line, T, dt, deal->rates.r0, sch);
        absim_law_default_cdf(&line, T, pm, 1.0, a->default_law, a->default_value, F);
        absim_law_prepay(&line, T, pm, 1.0, smm);

        double perf = line.balance;
        cohort[0] = 0.0;
        for (int k = 1; k <= T; k++) {
            double rate = line.floating ? fmax(0.0, r[k - 1] + line.spread) : line.coupon;
            double ratio = sch[k - 1] > 0.0 ? sch[k] / sch[k - 1] : 0.0;
            double mdr = 0.0;
            if (k <= n - lag && F[k - 1] < 1.0)
                mdr = (F[k] - F[k - 1]) / (1.0 - F[k - 1]);
            double d = mdr * perf;
            double am = (perf - d) * (1.0 - ratio);
            double vp = smm[k] * perf * ratio, room = perf - d - am;
            if (vp > room)
                vp = room > 0.0 ? room : 0.0;
            c->balance_start[k - 1] += perf;
            c->interest[k - 1] += rate * dt * (perf - d);
            c->sched_principal[k - 1] += am;
            c->prepayments[k - 1] += vp;
            c->defaults[k - 1] += d;
            cohort[k] = d;
            perf -= d + am + vp;
            if (perf < 0.0)
                perf = 0.0;
            c->balance_end[k - 1] += perf;

            /* Cohorts defaulted in j = k - lag .. k: advanced or liquidated. */
            int j0 = k - lag > 1 ? k - lag : 1;
            for (int j = j0; j <= k; j++) {
                if (!(cohort[j] > 0.0))
                    continue;
                int liquidation = j + lag < T ? j + lag : T;
                double start = cohort[j] * sch[k - 1] / sch[j - 1]; /* amortized on schedule */
                double loss = severity * cohort[j];
                if (k < liquidation) {
                    double after = cohort[j] * sch[k] / sch[j - 1];
                    out->advanced_interest[k - 1] += rate * dt * start;
                    out->advanced_principal[k - 1] += start - after;
                    c->interest[k - 1] += rate * dt * start;
                    c->sched_principal[k - 1] += start - after;
                    out->foreclosure[k - 1] += after;
                    c->pending[k - 1] += after - loss;
                } else if (k == liquidation) {
                    c->recoveries[k - 1] += start - loss;
                    c->losses[k - 1] += loss;
                }
            }
        }
    }
    for (int k = 0; k < T; k++)
        c->principal[k] = c->sched_principal[k] + c->prepayments[k];

cleanup:
    free(sch);
    free(F);
    free(smm);
    free(cohort);
    return rc;
}
