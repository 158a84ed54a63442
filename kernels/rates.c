/* rates.c -- short-rate paths (flat, Vasicek, CIR, Hull-White), their
 * expected path and model discount factors on the period grid.
 *
 * One step of length dt: with a = exp(-kappa dt),
 *   Vasicek     r' = theta + (r - theta) a + s Z,  s^2 = sigma^2 (1-a^2)/(2 kappa)
 *   Hull-White  r' = a r + b_k + s Z               (b_k fitted, see below)
 *   CIR         r' = c X,  X ~ chi'^2(d, r a / c), c = sigma^2 (1-a)/(4 kappa),
 *               d = 4 kappa theta / sigma^2
 * all exact in distribution (kappa = 0 is the limit: s^2 = sigma^2 dt).
 *
 * Hull-White fit. On the grid, S_k = r_1 + ... + r_k is Gaussian for a
 * Gaussian model, so E[DF_k] = exp(-dt M_k + dt^2 V_k / 2) with
 * M_k = E[S_k] and V_k = Var[S_k]. V_k does not depend on the drift:
 * V_k = V_{k-1} + s^2 g_{k-1}^2, g_m = 1 + a g_{m-1}, g_0 = 0. Setting
 * E[DF_k] = P(t_k) = exp(-z(t_k) t_k) gives M_k, hence the mean path
 * m_k = M_k - M_{k-1}, hence r_1 = m_1 = z(dt) and b_k = m_{k+1} - a m_k.
 * The zero curve is interpolated linearly in time and extended flat
 * beyond its first and last points.
 *
 * Invariants: r[0] = r_1 (r0 + shift; z(dt) + shift for Hull-White);
 * paths use only their own stream; no allocation after plan init. */
#include "rates.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "status.h"

/* (1 - exp(-x)) / x, continuous at 0 */
static double one_minus_exp_over(double x)
{
    return x == 0.0 ? 1.0 : -expm1(-x) / x;
}

/* Zero rate at time t: linear between curve points, flat outside. */
static double zero_rate(const absim_rates *rates, double t)
{
    const double *ct = rates->curve_t, *cz = rates->curve_z;
    int n = rates->ncurve;
    if (t <= ct[0])
        return cz[0];
    if (t >= ct[n - 1])
        return cz[n - 1];
    int lo = 0, hi = n - 1; /* ct[lo] < t < ct[hi] */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (ct[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    double w = (t - ct[lo]) / (ct[hi] - ct[lo]);
    return cz[lo] + w * (cz[hi] - cz[lo]);
}

static int fit_hull_white(absim_rate_plan *plan, const absim_rates *rates, double shift)
{
    const int T = plan->T;
    const double dt = plan->dt, a = plan->decay, s2 = plan->step_sd * plan->step_sd;
    double g = 0.0, V = 0.0, Mprev = 0.0, mprev = 0.0;
    plan->drift = calloc((size_t)T, sizeof *plan->drift);
    if (!plan->drift)
        return absim_error_set(ABSIM_ENOMEM, "out of memory fitting the Hull-White drift (%d periods)", T);
    for (int k = 1; k <= T; k++) {
        double t = k * dt;
        double lnP = -(zero_rate(rates, t) + shift) * t;
        double M = (-lnP + 0.5 * dt * dt * V) / dt;
        double m = M - Mprev;
        if (k == 1)
            plan->r0 = m;
        else
            plan->drift[k - 2] = m - a * mprev;
        Mprev = M;
        mprev = m;
        /* V_{k+1} = V_k + s^2 g_k^2 */
        g = 1.0 + a * g;
        V += s2 * g * g;
    }
    return ABSIM_OK;
}

int absim_rate_plan_init(absim_rate_plan *plan, const absim_rates *rates, double shift, int T, double dt)
{
    plan->model = rates->model;
    plan->T = T;
    plan->dt = dt;
    plan->r0 = rates->r0 + shift;
    plan->kappa = rates->kappa;
    plan->theta = rates->theta + shift;
    plan->sigma = rates->sigma;
    plan->drift = NULL;
    plan->decay = 1.0;
    plan->step_sd = 0.0;
    plan->cir_scale = 0.0;
    absim_zig_init(&plan->zig);
    plan->cir_df = 0.0;

    if (T < 1 || !(dt > 0.0) || !isfinite(dt))
        return absim_error_set(ABSIM_EINVAL, "rates: need periods >= 1 and dt > 0 (got %d, %g)", T, dt);
    if (rates->model == ABSIM_RATES_FLAT)
        return ABSIM_OK;
    if (!(plan->kappa >= 0.0) || !(plan->sigma >= 0.0) || !isfinite(plan->kappa) || !isfinite(plan->sigma))
        return absim_error_set(ABSIM_EINVAL, "rates: kappa and sigma must be finite and >= 0 (got %g, %g)",
                               plan->kappa, plan->sigma);
    double kdt = plan->kappa * dt;
    plan->decay = exp(-kdt);
    /* (1 - a^2) / (2 kappa) = dt (1 - exp(-2 kappa dt)) / (2 kappa dt) */
    plan->step_sd = plan->sigma * sqrt(dt * one_minus_exp_over(2.0 * kdt));

    switch (rates->model) {
    case ABSIM_RATES_VASICEK:
        return ABSIM_OK;
    case ABSIM_RATES_CIR:
        if (!(plan->r0 >= 0.0) || !(plan->theta >= 0.0))
            return absim_error_set(ABSIM_EINVAL, "rates: CIR needs r0 >= 0 and theta >= 0 (after shift: %g, %g)",
                                   plan->r0, plan->theta);
        /* c = sigma^2 (1-a) / (4 kappa) = sigma^2 dt (1-a)/(kappa dt) / 4 */
        plan->cir_scale = plan->sigma * plan->sigma * dt * one_minus_exp_over(kdt) / 4.0;
        plan->cir_df = plan->sigma > 0.0 ? 4.0 * plan->kappa * plan->theta / (plan->sigma * plan->sigma) : 0.0;
        return ABSIM_OK;
    case ABSIM_RATES_HULL_WHITE:
        if (rates->ncurve < 1 || !rates->curve_t || !rates->curve_z)
            return absim_error_set(ABSIM_EINVAL, "rates: hull_white needs a zero curve");
        for (int i = 1; i < rates->ncurve; i++)
            if (!(rates->curve_t[i] > rates->curve_t[i - 1]))
                return absim_error_set(ABSIM_EINVAL, "rates: zero curve times must increase (point %d)", i + 1);
        return fit_hull_white(plan, rates, shift);
    default:
        return absim_error_set(ABSIM_EINVAL, "rates: unknown model %d", (int)rates->model);
    }
}

void absim_rate_plan_free(absim_rate_plan *plan)
{
    free(plan->drift);
    plan->drift = NULL;
}

/* Non-central chi-square with df degrees of freedom and non-centrality
 * lambda, exactly: for df > 1, (Z + sqrt(lambda))^2 + chi^2(df - 1);
 * otherwise the Poisson mixture chi^2(df + 2N), N ~ Poisson(lambda / 2). */
static double noncentral_chisq(const gsl_rng *g, double df, double lambda)
{
    if (df > 1.0) {
        double z = gsl_ran_gaussian_ziggurat(g, 1.0) + sqrt(lambda);
        return z * z + 2.0 * gsl_ran_gamma(g, 0.5 * (df - 1.0), 1.0);
    }
    unsigned int n = lambda > 0.0 ? gsl_ran_poisson(g, 0.5 * lambda) : 0;
    double shape = 0.5 * df + n;
    return shape > 0.0 ? 2.0 * gsl_ran_gamma(g, shape, 1.0) : 0.0;
}

void absim_rate_path(const absim_rate_plan *plan, absim_rng *rng, double *r)
{
    const int T = plan->T;
    const double a = plan->decay, s = plan->step_sd;
    r[0] = plan->r0;
    switch (plan->model) {
    case ABSIM_RATES_VASICEK: {
        const double b = plan->theta * (1.0 - a);
        for (int k = 1; k < T; k++)
            r[k] = a * r[k - 1] + b + s * absim_zig_draw(&plan->zig, rng);
        break;
    }
    case ABSIM_RATES_HULL_WHITE:
        for (int k = 1; k < T; k++)
            r[k] = a * r[k - 1] + plan->drift[k - 1] + s * absim_zig_draw(&plan->zig, rng);
        break;
    case ABSIM_RATES_CIR: {
        const double c = plan->cir_scale;
        if (!(c > 0.0)) { /* sigma = 0: deterministic */
            for (int k = 1; k < T; k++)
                r[k] = plan->theta + (r[k - 1] - plan->theta) * a;
            break;
        }
        gsl_rng g;
        absim_rng_bind_gsl(&g, rng);
        for (int k = 1; k < T; k++)
            r[k] = c * noncentral_chisq(&g, plan->cir_df, r[k - 1] * a / c);
        break;
    }
    default: /* flat */
        for (int k = 1; k < T; k++)
            r[k] = plan->r0;
        break;
    }
}

void absim_rate_expected(const absim_rate_plan *plan, double *r)
{
    const int T = plan->T;
    const double a = plan->decay;
    r[0] = plan->r0;
    for (int k = 1; k < T; k++) {
        switch (plan->model) {
        case ABSIM_RATES_VASICEK:
        case ABSIM_RATES_CIR:
            r[k] = plan->theta + (r[k - 1] - plan->theta) * a;
            break;
        case ABSIM_RATES_HULL_WHITE:
            r[k] = a * r[k - 1] + plan->drift[k - 1];
            break;
        default:
            r[k] = plan->r0;
            break;
        }
    }
}

int absim_rate_bond_prices(const absim_rate_plan *plan, double *P)
{
    if (plan->model == ABSIM_RATES_CIR)
        return absim_error_set(ABSIM_EINVAL, "rates: no closed-form discrete bond prices for CIR");
    const int T = plan->T;
    const double dt = plan->dt, a = plan->decay, s2 = plan->step_sd * plan->step_sd;
    double m = plan->r0, M = 0.0, V = 0.0, g = 0.0;
    for (int k = 1; k <= T; k++) {
        if (k > 1) {
            if (plan->model == ABSIM_RATES_VASICEK)
                m = plan->theta + (m - plan->theta) * a;
            else if (plan->model == ABSIM_RATES_HULL_WHITE)
                m = a * m + plan->drift[k - 2];
        }
        M += m;
        P[k - 1] = exp(-dt * M + 0.5 * dt * dt * V);
        g = 1.0 + a * g;
        V += s2 * g * g;
    }
    return ABSIM_OK;
}
