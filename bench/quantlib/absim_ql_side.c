/* absim_ql_side.c -- the absim half of absim_bench_quantlib (see
 * absim_ql_side.h). */
#define _POSIX_C_SOURCE 200809L

#include "absim_ql_side.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "config.h"
#include "deal.h"
#include "driver.h"
#include "status.h"

struct absimql {
    absim_deal deal;                 /* the config as loaded */
    absim_deal names;                /* the same basket as single-loan lines (loaded on first use) */
    int names_loaded;
    absimql_basket b;
};

static void say(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && n)
        vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int same(double a, double b)
{
    return fabs(a - b) <= 1e-12 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

double absimql_norm_inv(double p)
{
    return gsl_cdf_ugaussian_Pinv(p);
}

/* Check that the deal is a basket both tools model identically. */
static int check_basket(const absim_deal *d, absimql_basket *b, char *err, size_t n)
{
    memset(b, 0, sizeof *b);
    if (d->periods != 1) {
        say(err, n, "deal.periods must be 1 (one period), got %d", d->periods);
        return -1;
    }
    if (d->nlines < 1) {
        say(err, n, "the pool has no lines");
        return -1;
    }
    if (d->sim.antithetic || d->sim.importance_sampling != ABSIM_IS_OFF || d->sim.qmc) {
        say(err, n, "plain Monte Carlo only (no antithetic, importance_sampling or qmc)");
        return -1;
    }
    if (d->correlation.model != ABSIM_COPULA_GAUSSIAN) {
        say(err, n, "correlation.model must be gaussian");
        return -1;
    }
    for (int s = 0; s < d->nsectors; s++)
        if (d->sector_loading && d->sector_loading[s] != 0.0) {
            say(err, n, "sector factors are not supported (one-factor copula only)");
            return -1;
        }
    if (d->isolation.enabled) {
        say(err, n, "no isolation block");
        return -1;
    }
    const absim_structure *st = &d->structure;
    if (st->nfees || st->has_reserve || st->ntriggers || st->oc_target != 0.0 || st->clean_up_call != 0.0 ||
        st->principal != ABSIM_PRINCIPAL_SEQUENTIAL) {
        say(err, n, "structure: sequential notes only (no fees, reserve, triggers, oc_target, clean-up call)");
        return -1;
    }
    if (st->ntranches > ABSIMQL_MAX_TRANCHES) {
        say(err, n, "at most %d tranches", ABSIMQL_MAX_TRANCHES);
        return -1;
    }
    int64_t names = 0;
    double per_name = 0.0;
    for (int i = 0; i < d->nlines; i++) {
        const absim_line *l = &d->lines[i];
        double nb = l->balance / (double)l->count;
        if (l->law != ABSIM_LAW_PD || l->floating || l->coupon != 0.0 || l->term != 1 ||
            l->amortization != ABSIM_AMORT_BULLET || l->recovery_stdev != 0.0 || l->recovery_lag != 0 ||
            l->recovery_loading != 0.0 || l->prepay != ABSIM_PREPAY_NONE) {
            say(err, n,
                "pool.lines[%d]: needs pd, coupon 0, term 1, bullet, a fixed recovery without lag or "
                "loading, no prepayment",
                i);
            return -1;
        }
        if (i == 0) {
            b->pd = l->law_value;
            b->recovery = l->recovery_mean;
            per_name = nb;
        } else if (!same(l->law_value, b->pd) || !same(l->recovery_mean, b->recovery) || !same(nb, per_name)) {
            say(err, n, "pool.lines[%d]: every loan must have the same pd, recovery and balance", i);
            return -1;
        }
        names += l->count;
    }
    if (names > 65535) { /* QuantLib's simEvent indexes names on 16 bits */
        say(err, n, "at most 65535 names");
        return -1;
    }
    b->names = (int)names;
    b->lines = d->nlines;
    b->notional = per_name;
    b->rho = d->correlation.systematic;
    b->years = d->period_months / 12.0;
    b->seed = d->sim.seed;
    /* The one-period probability of a pd law is 1 - (1 - pd)^(years). */
    b->pd = 1.0 - pow(1.0 - b->pd, b->years);
    double pool = absim_deal_pool_balance(d), below = 0.0;
    b->ntranches = st->ntranches;
    for (int k = 0; k < st->ntranches; k++) {
        const absim_tranche *t = &st->tranches[st->ntranches - 1 - k]; /* junior first */
        if (t->residual || t->floating || t->coupon != 0.0 || t->deferrable) {
            say(err, n, "structure.tranches: notes with coupon 0 only (no residual, no spread)");
            return -1;
        }
        snprintf(b->tranche_name[k], sizeof b->tranche_name[k], "%s", t->name);
        b->attach[k] = below / pool;
        below += t->balance;
        b->detach[k] = below / pool;
    }
    return 0;
}

absimql *absimql_open(const char *config_path, absimql_basket *basket, char *err, size_t errlen)
{
    gsl_set_error_handler_off();
    absimql *h = calloc(1, sizeof *h);
    if (!h) {
        say(err, errlen, "out of memory");
        return NULL;
    }
    if (absim_config_load(&h->deal, config_path, stderr) != ABSIM_OK) {
        say(err, errlen, "cannot load %s", config_path);
        free(h);
        return NULL;
    }
    if (check_basket(&h->deal, &h->b, err, errlen)) {
        absim_deal_free(&h->deal);
        free(h);
        return NULL;
    }
    *basket = h->b;
    return h;
}

/* The same basket as `names` single-loan lines. */
static int load_per_name(absimql *h, char *err, size_t errlen)
{
    if (h->names_loaded)
        return 0;
    const absim_deal *d = &h->deal;
    const absimql_basket *b = &h->b;
    size_t cap = 4096 + (size_t)b->names * 160 + (size_t)b->ntranches * 160, len = 0;
    char *y = malloc(cap);
    if (!y) {
        say(err, errlen, "out of memory");
        return -1;
    }
#define ADD(...) len += (size_t)snprintf(y + len, cap - len, __VA_ARGS__)
    ADD("deal: {name: per-name basket, periods: 1, period_months: %d}\n", d->period_months);
    ADD("simulation: {seed: %llu, keep_paths: false}\n", (unsigned long long)d->sim.seed);
    ADD("rates: {model: flat, r0: %.17g}\n", d->rates.r0);
    ADD("pool:\n  lines:\n");
    for (int i = 0; i < b->names; i++)
        ADD("    - {name: n%05d, balance: %.17g, coupon: 0.0, term: 1, amortization: bullet, pd: %.17g, "
            "recovery: %.17g}\n",
            i, b->notional, d->lines[0].law_value, b->recovery);
    ADD("correlation: {model: gaussian, systematic: %.17g}\n", b->rho);
    ADD("structure:\n  principal: sequential\n  tranches:\n");
    for (int k = 0; k < d->structure.ntranches; k++)
        ADD("    - {name: \"%s\", balance: %.17g, coupon: 0.0}\n", d->structure.tranches[k].name,
            d->structure.tranches[k].balance);
#undef ADD
    int rc = absim_config_load_string(&h->names, y, len, "<per-name basket>", NULL, stderr);
    free(y);
    if (rc != ABSIM_OK) {
        say(err, errlen, "cannot build the per-name basket");
        return -1;
    }
    h->names_loaded = 1;
    return 0;
}

int absimql_run(absimql *h, int per_name, int64_t paths, uint64_t seed, int repeat, absimql_result *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (per_name && load_per_name(h, err, errlen))
        return -1;
    const absim_deal *deal = per_name ? &h->names : &h->deal;
    absim_scenario base;
    if (absim_scenario_init_base(&base, deal) != ABSIM_OK) {
        say(err, errlen, "out of memory");
        return -1;
    }
    out->paths = paths;
    out->wall_s = out->cpu_s = INFINITY;
    for (int rep = 0; rep < (repeat < 1 ? 1 : repeat); rep++) {
        absim_run_options o;
        absim_scenario_run r;
        memset(&o, 0, sizeof o);
        o.paths = paths;
        o.seed = seed;
        o.threads = 1;
        o.progress = ABSIM_PROGRESS_NONE;
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        int rc = absim_driver_run(deal, &base, &o, &r);
        double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_PROCESS_CPUTIME_ID);
        if (rc != ABSIM_OK) {
            say(err, errlen, "absim_driver_run: %s", absim_error_message());
            absim_scenario_free(&base);
            return -1;
        }
        out->wall_s = fmin(out->wall_s, w1 - w0);
        out->cpu_s = fmin(out->cpu_s, c1 - c0);
        const absim_summary *s = &r.summary;
        int nt = h->b.ntranches;
        out->pool_el = s->pool_expected_loss;
        out->pool_el_se = s->pool_expected_loss_stderr;
        for (int k = 0; k < nt; k++) {
            int t = nt - 1 - k; /* absim lists the most senior first */
            out->el[k] = s->expected_loss[t];
            out->el_se[k] = s->expected_loss_stderr[t];
            out->pd[k] = s->default_probability[t];
            out->pd_se[k] = s->default_probability_stderr[t];
        }
        absim_scenario_run_free(&r);
    }
    absim_scenario_free(&base);
    return 0;
}

void absimql_close(absimql *h)
{
    if (!h)
        return;
    absim_deal_free(&h->deal);
    if (h->names_loaded)
        absim_deal_free(&h->names);
    free(h);
}
