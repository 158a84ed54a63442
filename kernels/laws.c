/* laws.c -- marginal default-time laws and prepayment laws per period.
 *
 * Every law is reduced to a per-period conditional rate h_k (the
 * probability that a loan still performing at the start of period k
 * defaults, or prepays, in period k); cumulative curves follow from
 * survival products. Monthly rates are compounded over the
 * period_months months of a period: h_k = 1 - prod_j (1 - m_j).
 *
 * Invariants: results are in [0,1]; F[0] = 0 and F is non-decreasing; no
 * default probability after the loan's term; `pd_multiplier` and
 * `cpr_multiplier` scale the per-period rate and cap it at 1. Pure
 * functions: no allocation, no I/O. */
#include "laws.h"

#include <math.h>

double absim_sda_cdr(int month)
{
    if (month < 1)
        return 0.0;
    if (month <= 30)
        return 0.0002 * month;
    if (month <= 60)
        return 0.006;
    if (month <= 120)
        return 0.006 - 0.000095 * (month - 60);
    return 0.0003;
}

double absim_psa_cpr(int month)
{
    if (month < 1)
        return 0.0;
    return 0.002 * (month < 30 ? month : 30);
}

double absim_annual_to_monthly(double annual)
{
    if (annual <= 0.0)
        return 0.0;
    if (annual >= 1.0)
        return 1.0;
    /* 1 - (1-a)^(1/12), accurate for small a */
    return -expm1(log1p(-annual) / 12.0);
}

static double clamp01(double x)
{
    if (!(x > 0.0))
        return 0.0; /* also NaN */
    return x < 1.0 ? x : 1.0;
}

/* Rate over `months` months of a constant annual rate: 1 - (1-a)^(months/12). */
static double annual_over_months(double annual, int months)
{
    if (annual <= 0.0)
        return 0.0;
    if (annual >= 1.0)
        return 1.0;
    return -expm1(log1p(-annual) * months / 12.0);
}

/* Conditional default probability of period k (1-based) under `law`. */
static double period_default_rate(const absim_line *line, int law, double value, int k, int pm, double Fprev)
{
    switch (law) {
    case ABSIM_LAW_PD:  /* constant hazard -ln(1-pd) a year */
    case ABSIM_LAW_CDR: /* MDR = 1-(1-cdr)^(1/12) as a hazard: same formula */
        return annual_over_months(value, pm);
    case ABSIM_LAW_SDA: {
        double surv = 1.0;
        for (int j = (k - 1) * pm + 1; j <= k * pm; j++)
            surv *= 1.0 - absim_annual_to_monthly(value / 100.0 * absim_sda_cdr(j));
        return 1.0 - surv;
    }
    case ABSIM_LAW_CURVE: {
        /* The curve gives F at period ends 1..ncurve; past its end F stays
         * flat (no further defaults). */
        if (k > line->ncurve || Fprev >= 1.0)
            return 0.0;
        double Fk = clamp01(line->curve[k - 1]);
        return clamp01((Fk - Fprev) / (1.0 - Fprev));
    }
    default:
        return 0.0;
    }
}

void absim_law_default_cdf(const absim_line *line, int T, int period_months, double pd_multiplier,
                           int override_law, double override_value, double *F)
{
    int law = line->law;
    double value = line->law_value;
    if ((override_law == ABSIM_LAW_CDR || override_law == ABSIM_LAW_SDA) && override_value >= 0.0) {
        law = override_law;
        value = override_value;
    }
    double log_surv = 0.0; /* log survival under the stressed law (log1p keeps small F exact) */
    double Fcurve = 0.0;   /* unstressed curve value at the previous period end (curve law) */
    F[0] = 0.0;
    for (int k = 1; k <= T; k++) {
        double h = 0.0;
        if (k <= line->term) {
            h = period_default_rate(line, law, value, k, period_months, Fcurve);
            h = clamp01(h * pd_multiplier);
        }
        if (law == ABSIM_LAW_CURVE && k <= line->ncurve) {
            double c = clamp01(line->curve[k - 1]);
            if (c > Fcurve)
                Fcurve = c;
        }
        log_surv += log1p(-h);
        F[k] = -expm1(log_surv);
        if (F[k] < F[k - 1])
            F[k] = F[k - 1];
    }
}

void absim_law_prepay(const absim_line *line, int T, int period_months, double cpr_multiplier, double *smm)
{
    smm[0] = 0.0;
    for (int k = 1; k <= T; k++) {
        double s = 0.0;
        if (line->prepay == ABSIM_PREPAY_CPR) {
            s = annual_over_months(line->prepay_value, period_months);
        } else if (line->prepay == ABSIM_PREPAY_PSA) {
            double surv = 1.0;
            for (int j = (k - 1) * period_months + 1; j <= k * period_months; j++)
                surv *= 1.0 - absim_annual_to_monthly(line->prepay_value / 100.0 * absim_psa_cpr(j));
            s = 1.0 - surv;
        }
        smm[k] = clamp01(s * cpr_multiplier);
    }
}
