/* pool.c -- pool cash flows of one path from aggregated default events.
 *
 * absim_pool_plan_init() builds, once per run, the per-loan profile of every
 * line (performing balance factor, scheduled principal and prepayment per
 * unit of original balance, period by period) and the no-default pool
 * totals. absim_pool_path() starts from those totals and, for each line with
 * defaults, subtracts the cumulative defaulted loans times the profile from
 * the default period on, so a path costs O(T + sum over defaulting lines of
 * T) and allocates nothing.
 *
 * Invariants: profile factor[l][0] = 1, factor is non-increasing and 0 from
 * the term on; sched + prepay + factor[k] = factor[k-1]; every output amount
 * is >= 0; recoveries of period-k defaults land in min(k + lag, T). */
#include "pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "laws.h"
#include "rng.h"
#include "status.h"

/* n rounded up to the grid, and zeroed 64-byte aligned storage of n
 * doubles (n a multiple of the grid, so the size is of 64 bytes). */
static size_t grid_round(size_t n)
{
    return (n + ABSIM_POOL_GRID - 1) / ABSIM_POOL_GRID * ABSIM_POOL_GRID;
}

static double *grid_alloc(size_t n)
{
    double *x = aligned_alloc(64, (n > 0 ? n : ABSIM_POOL_GRID) * sizeof *x);
    if (x)
        memset(x, 0, n * sizeof *x);
    return x;
}

int absim_collateral_alloc(absim_collateral *c, int T)
{
    size_t n = T > 0 ? (size_t)T : 1;
    memset(c, 0, sizeof *c);
    c->T = T;
    c->balance_start = calloc(n, sizeof(double));
    c->balance_end = calloc(n, sizeof(double));
    c->interest = calloc(n, sizeof(double));
    c->sched_principal = calloc(n, sizeof(double));
    c->prepayments = calloc(n, sizeof(double));
    c->principal = calloc(n, sizeof(double));
    c->defaults = calloc(n, sizeof(double));
    c->recoveries = calloc(n, sizeof(double));
    c->losses = calloc(n, sizeof(double));
    c->pending = calloc(n, sizeof(double));
    c->work = grid_alloc(5 * grid_round(n));
    if (!c->work || !c->balance_start || !c->balance_end || !c->interest || !c->sched_principal || !c->prepayments ||
        !c->principal || !c->defaults || !c->recoveries || !c->losses || !c->pending) {
        absim_collateral_free(c);
        return absim_error_set(ABSIM_ENOMEM, "out of memory allocating collateral for %d periods", T);
    }
    return ABSIM_OK;
}

void absim_collateral_free(absim_collateral *c)
{
    free(c->balance_start);
    free(c->balance_end);
    free(c->interest);
    free(c->sched_principal);
    free(c->prepayments);
    free(c->principal);
    free(c->defaults);
    free(c->recoveries);
    free(c->losses);
    free(c->pending);
    free(c->work);
    memset(c, 0, sizeof *c);
}

void absim_pool_schedule(const absim_line *line, int T, double dt, double r0, double *sch)
{
    int n = line->term;
    double rate = line->floating ? fmax(0.0, r0 + line->spread) : line->coupon;
    double i = rate * dt;
    sch[0] = 1.0;
    for (int k = 1; k <= T; k++) {
        if (k >= n) {
            sch[k] = 0.0;
            continue;
        }
        switch (line->amortization) {
        case ABSIM_AMORT_BULLET:
            sch[k] = 1.0;
            break;
        case ABSIM_AMORT_LEVEL:
            if (i > 0.0) {
                /* ((1+i)^n - (1+i)^k) / ((1+i)^n - 1), in a form exact for small i */
                double a_n = -expm1(-n * log1p(i));       /* 1 - (1+i)^-n */
                double a_r = -expm1(-(n - k) * log1p(i)); /* 1 - (1+i)^-(n-k) */
                sch[k] = a_r / a_n;
                break;
            }
            /* zero rate: the annuity is straight-line */
            /* fall through */
        case ABSIM_AMORT_LINEAR:
        default:
            sch[k] = (double)(n - k) / (double)n;
            break;
        }
    }
}

void absim_pool_set_horizon(absim_pool_plan *p, int horizon)
{
    p->horizon = horizon >= 1 && horizon < p->T ? horizon : p->T;
    /* the profiles are read up to the horizon + 1 (its end balance): a
     * copy of just those periods keeps the path loop's table small */
    const int keep = p->horizon < p->T ? p->horizon + 1 : p->T;
    const size_t full = grid_round((size_t)p->T), stride = grid_round((size_t)keep);
    free(p->prof1_cut);
    p->prof1_cut = NULL;
    p->prof_periods = p->T;
    p->prof_stride = (int)full;
    if (keep >= p->T)
        return;
    double *cut = grid_alloc((size_t)p->nlines * stride);
    if (!cut) /* not needed for correctness: read the full table */
        return;
    for (int l = 0; l < p->nlines; l++)
        memcpy(cut + (size_t)l * stride, p->prof1 + (size_t)l * full, (size_t)keep * sizeof *cut);
    p->prof1_cut = cut;
    p->prof_periods = keep;
    p->prof_stride = (int)stride;
}

double absim_pool_line_rate(const absim_pool_plan *p, int l, double rk)
{
    return p->floating[l] ? fmax(0.0, rk + p->spread[l]) : p->coupon[l];
}

void absim_pool_plan_free(absim_pool_plan *p)
{
    free(p->count);
    free(p->loan_balance);
    free(p->floating);
    free(p->coupon);
    free(p->spread);
    free(p->lag);
    free(p->rec_mean);
    free(p->rec_stdev);
    free(p->rec_loading);
    free(p->factor);
    free(p->sched);
    free(p->prepay);
    free(p->total_start);
    free(p->total_end);
    free(p->total_sched);
    free(p->total_prepay);
    free(p->total_fixed_interest);
    free(p->total_float_balance);
    free(p->total_float_spread);
    free(p->live);
    free(p->prof1);
    free(p->prof1_cut);
    memset(p, 0, sizeof *p);
}

int absim_pool_plan_init(absim_pool_plan *p, const absim_deal *deal, double cpr_multiplier)
{
    int rc = ABSIM_OK;
    double *sch = NULL, *smm = NULL;
    memset(p, 0, sizeof *p);
    if (deal->periods < 1 || deal->nlines < 1 || deal->period_months < 1)
        return absim_error_set(ABSIM_EINVAL, "pool plan: need at least one period and one line");
    const int T = deal->periods;
    const size_t L = (size_t)deal->nlines, P = (size_t)T + 1;
    p->T = T;
    p->nlines = deal->nlines;
    p->dt = deal->period_months / 12.0;
    p->count = calloc(L, sizeof *p->count);
    p->loan_balance = calloc(L, sizeof *p->loan_balance);
    p->floating = calloc(L, sizeof *p->floating);
    p->coupon = calloc(L, sizeof *p->coupon);
    p->spread = calloc(L, sizeof *p->spread);
    p->lag = calloc(L, sizeof *p->lag);
    p->rec_mean = calloc(L, sizeof *p->rec_mean);
    p->rec_stdev = calloc(L, sizeof *p->rec_stdev);
    p->rec_loading = calloc(L, sizeof *p->rec_loading);
    p->factor = calloc(L * P, sizeof *p->factor);
    p->sched = calloc(L * P, sizeof *p->sched);
    p->prepay = calloc(L * P, sizeof *p->prepay);
    p->total_start = calloc((size_t)T, sizeof *p->total_start);
    p->total_end = calloc((size_t)T, sizeof *p->total_end);
    p->total_sched = calloc((size_t)T, sizeof *p->total_sched);
    p->total_prepay = calloc((size_t)T, sizeof *p->total_prepay);
    p->total_fixed_interest = calloc((size_t)T, sizeof *p->total_fixed_interest);
    p->total_float_balance = calloc((size_t)T, sizeof *p->total_float_balance);
    p->total_float_spread = calloc((size_t)T, sizeof *p->total_float_spread);
    p->live = calloc(L, sizeof *p->live);
    p->prof1 = grid_alloc(L * grid_round((size_t)T));
    sch = malloc(P * sizeof *sch);
    smm = malloc(P * sizeof *smm);
    if (!p->count || !p->loan_balance || !p->floating || !p->coupon || !p->spread || !p->lag || !p->rec_mean ||
        !p->rec_stdev || !p->rec_loading || !p->factor || !p->sched || !p->prepay || !p->total_start ||
        !p->total_end || !p->total_sched || !p->total_prepay || !p->total_fixed_interest ||
        !p->total_float_balance || !p->total_float_spread || !p->live || !p->prof1 || !sch || !smm) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory preparing the pool (%d lines, %d periods)", deal->nlines, T);
        goto cleanup;
    }
    p->min_spread = INFINITY;
    p->horizon = T;
    p->prof_periods = T;
    p->prof_stride = (int)grid_round((size_t)T);
    for (int l = 0; l < p->nlines; l++) {
        const absim_line *line = &deal->lines[l];
        int64_t count = line->count > 0 ? line->count : 1;
        double bal = line->balance;
        p->count[l] = count;
        p->loan_balance[l] = bal / (double)count;
        p->floating[l] = line->floating;
        p->coupon[l] = line->floating ? 0.0 : line->coupon;
        p->spread[l] = line->floating ? line->spread : 0.0;
        p->lag[l] = line->recovery_lag;
        p->rec_mean[l] = line->recovery_mean;
        p->rec_stdev[l] = line->recovery_stdev;
        p->rec_loading[l] = line->recovery_loading;
        p->original_balance += bal;
        if (line->floating) {
            p->nfloating++;
            if (line->spread < p->min_spread)
                p->min_spread = line->spread;
        }

        absim_pool_schedule(line, T, p->dt, deal->rates.r0, sch);
        absim_law_prepay(line, T, deal->period_months, cpr_multiplier, smm);
        double *fac = p->factor + (size_t)l * P, *sc = p->sched + (size_t)l * P, *pp = p->prepay + (size_t)l * P;
        fac[0] = 1.0;
        for (int k = 1; k <= T; k++) {
            double ratio = sch[k - 1] > 0.0 ? sch[k] / sch[k - 1] : 0.0;
            double after = fac[k - 1] * ratio;   /* balance left after scheduled principal */
            sc[k] = fac[k - 1] - after;
            pp[k] = smm[k] * after;
            fac[k] = after - pp[k];
            if (fac[k] < 0.0)
                fac[k] = 0.0;
        }
        /* fac[k-1] = 0 makes fac[k], sc[k] and pp[k] 0 as well */
        int live = T;
        while (live > 0 && fac[live - 1] == 0.0)
            live--;
        p->live[l] = live;
        for (int k = 1; k <= T; k++) {
            double start = bal * fac[k - 1];
            p->total_start[k - 1] += start;
            p->total_end[k - 1] += bal * fac[k];
            p->total_sched[k - 1] += bal * sc[k];
            p->total_prepay[k - 1] += bal * pp[k];
            if (line->floating) {
                p->total_float_balance[k - 1] += start;
                p->total_float_spread[k - 1] += start * line->spread * p->dt;
            } else {
                p->total_fixed_interest[k - 1] += start * line->coupon * p->dt;
            }
        }
        const double lb = p->loan_balance[l];
        double *pr1 = p->prof1 + (size_t)l * (size_t)p->prof_stride;
        for (int k = 1; k <= T; k++)
            pr1[k - 1] = lb * (sc[k] + pp[k]);
    }
    if (p->nfloating == 0)
        p->min_spread = 0.0;

cleanup:
    free(sch);
    free(smm);
    if (rc != ABSIM_OK)
        absim_pool_plan_free(p);
    return rc;
}

/* Interest of period k (1-based) of the whole pool without defaults. */
static double pool_interest(const absim_pool_plan *p, int k, double rk)
{
    double interest = p->total_fixed_interest[k - 1];
    if (p->nfloating == 0)
        return interest;
    if (rk + p->min_spread >= 0.0)
        return interest + rk * p->dt * p->total_float_balance[k - 1] + p->total_float_spread[k - 1];
    /* some floating coupon is floored at zero this period: line by line */
    const size_t P = (size_t)p->T + 1;
    for (int l = 0; l < p->nlines; l++)
        if (p->floating[l])
            interest += (double)p->count[l] * p->loan_balance[l] * p->factor[(size_t)l * P + k - 1] *
                        fmax(0.0, rk + p->spread[l]) * p->dt;
    return interest;
}

static void finish(int T, absim_collateral *out);

/* The no-default pool totals of the path's rate path. */
static void start_totals(const absim_pool_plan *p, const double *r, absim_collateral *out)
{
    for (int k = 1; k <= p->T; k++) {
        out->balance_start[k - 1] = p->total_start[k - 1];
        out->balance_end[k - 1] = p->total_end[k - 1];
        out->interest[k - 1] = pool_interest(p, k, r[k - 1]);
        out->sched_principal[k - 1] = p->total_sched[k - 1];
        out->prepayments[k - 1] = p->total_prepay[k - 1];
        out->defaults[k - 1] = 0.0;
        out->recoveries[k - 1] = 0.0;
        out->losses[k - 1] = 0.0;
    }
}

/* nd loans defaulting in period kd with start-of-kd balance at_default
 * each and recovery-rate sum rec: their principal and loss by default
 * period, their recovery cash in min(kd + lag, T). */
static inline void record_defaults(absim_collateral *out, int T, int kd, int lag, double nd, double at_default,
                                   double rec)
{
    const double cash = rec * at_default;
    const int when = kd + lag < T ? kd + lag : T;
    out->defaults[kd - 1] += nd * at_default;
    out->recoveries[when - 1] += cash;
    out->losses[kd - 1] += nd * at_default - cash;
}

void absim_pool_path(const absim_pool_plan *p, const double *r, const int64_t *defaults, const double *recovered,
                     absim_collateral *out)
{
    const int T = p->T;
    const size_t P = (size_t)T + 1;
    const double dt = p->dt;

    start_totals(p, r, out);
    for (int l = 0; l < p->nlines; l++) {
        const int64_t *d = defaults + (size_t)l * T;
        int first = 0;
        while (first < T && d[first] == 0)
            first++;
        if (first == T)
            continue;
        const double *rec = recovered + (size_t)l * T;
        const double *fac = p->factor + (size_t)l * P, *sc = p->sched + (size_t)l * P,
                     *pp = p->prepay + (size_t)l * P;
        const double lb = p->loan_balance[l];
        const int lag = p->lag[l];
        double cum = 0.0; /* loans defaulted by the end of k */
        for (int k = first + 1; k <= T; k++) {
            double before = cum; /* defaulted before k */
            if (d[k - 1] > 0) {
                double n = (double)d[k - 1];
                cum += n;
                record_defaults(out, T, k, lag, n, lb * fac[k - 1], rec[k - 1]); /* one loan's start-of-k balance */
            }
            double rate = absim_pool_line_rate(p, l, r[k - 1]);
            out->balance_start[k - 1] -= before * lb * fac[k - 1];
            out->balance_end[k - 1] -= cum * lb * fac[k];
            out->interest[k - 1] -= cum * lb * fac[k - 1] * rate * dt;
            out->sched_principal[k - 1] -= cum * lb * sc[k];
            out->prepayments[k - 1] -= cum * lb * pp[k];
        }
    }

    finish(T, out);
}

/* fmax(0, x), inline where x > 0 (the same value in every libm). */
static inline double floored(double x)
{
    return x > 0.0 ? x : fmax(0.0, x);
}

/* Periods k0..k1 (1-based) of one line between two default periods: cl =
 * defaulted loans x loan balance (before == cum there), so the period's
 * terms are those of the dense loop with t = cl x fac[k-1]. */
static void segment_fixed(double cl, int k0, int k1, const double *restrict fac, const double *restrict sc,
                          const double *restrict pp, double coupon, double dt, double *restrict bs,
                          double *restrict be, double *restrict in, double *restrict sp, double *restrict pr)
{
    for (int k = k0; k <= k1; k++) {
        double t = cl * fac[k - 1];
        bs[k - 1] -= t;
        be[k - 1] -= cl * fac[k];
        in[k - 1] -= t * coupon * dt;
        sp[k - 1] -= cl * sc[k];
        pr[k - 1] -= cl * pp[k];
    }
}

/* positive = 1 when r[k-1] + spread > 0 for every k (no coupon floor in
 * play: floored() is the identity, and the loop vectorizes). */
static void segment_floating(double cl, int k0, int k1, const double *restrict fac, const double *restrict sc,
                             const double *restrict pp, const double *restrict r, double spread, double dt,
                             int positive, double *restrict bs, double *restrict be, double *restrict in,
                             double *restrict sp, double *restrict pr)
{
    if (positive) {
        for (int k = k0; k <= k1; k++) {
            double t = cl * fac[k - 1];
            bs[k - 1] -= t;
            be[k - 1] -= cl * fac[k];
            in[k - 1] -= t * (r[k - 1] + spread) * dt;
            sp[k - 1] -= cl * sc[k];
            pr[k - 1] -= cl * pp[k];
        }
        return;
    }
    for (int k = k0; k <= k1; k++) {
        double t = cl * fac[k - 1];
        bs[k - 1] -= t;
        be[k - 1] -= cl * fac[k];
        in[k - 1] -= t * floored(r[k - 1] + spread) * dt;
        sp[k - 1] -= cl * sc[k];
        pr[k - 1] -= cl * pp[k];
    }
}

/* Subtract from `out` the loans of line l defaulting as its events say
 * (n events, periods increasing): the same operations, in the same order
 * and with the same rounding, as the dense loop of absim_pool_path(), but
 * only over the line's live periods and with the periods between two
 * default periods (where the count of defaulted loans is constant) as
 * straight loops. Products skipped after `live` are exactly +0. */
static void subtract_line(const absim_pool_plan *p, int l, const double *restrict r, int positive, int n,
                          const int *restrict period, const int64_t *restrict count, const double *restrict rec,
                          absim_collateral *out)
{
    const int T = p->T, live = p->live[l], lag = p->lag[l], floating = p->floating[l];
    const size_t P = (size_t)T + 1;
    const double *restrict fac = p->factor + (size_t)l * P, *restrict sc = p->sched + (size_t)l * P,
                           *restrict pp = p->prepay + (size_t)l * P;
    const double lb = p->loan_balance[l], dt = p->dt, coupon = p->coupon[l], spread = p->spread[l];
    double *restrict bs = out->balance_start, *restrict be = out->balance_end, *restrict in = out->interest,
                     *restrict sp = out->sched_principal, *restrict pr = out->prepayments;
    double cum = 0.0; /* loans defaulted by the end of k */
    int k = period[0];
    for (int j = 0; j <= n; j++) {
        const int kd = j < n ? period[j] : T + 1;
        const int stop = kd - 1 < live ? kd - 1 : live;
        /* periods k..stop: no default, defaulted-before == cum */
        if (k <= stop) {
            if (floating)
                segment_floating(cum * lb, k, stop, fac, sc, pp, r, spread, dt, positive, bs, be, in, sp, pr);
            else
                segment_fixed(cum * lb, k, stop, fac, sc, pp, coupon, dt, bs, be, in, sp, pr);
            k = stop + 1;
        }
        if (j == n)
            break;
        /* period kd: its defaults, then the subtraction with before != cum */
        const double before = cum, nd = (double)count[j];
        const double at_default = lb * fac[kd - 1];
        cum += nd;
        record_defaults(out, T, kd, lag, nd, at_default, rec[j]);
        if (kd <= live) {
            double rate = floating ? floored(r[kd - 1] + spread) : coupon;
            bs[kd - 1] -= before * lb * fac[kd - 1];
            be[kd - 1] -= cum * lb * fac[kd];
            in[kd - 1] -= cum * lb * fac[kd - 1] * rate * dt;
            sp[kd - 1] -= cum * lb * sc[kd];
            pr[kd - 1] -= cum * lb * pp[kd];
        }
        k = kd + 1;
    }
}

/* grid_add: a[k] += c x b[k], ac[k] += cc x b[k] for s0 <= k < s1, and
 * af[k] += c x b[k] for a floating line: one line's principal profile
 * over a run of periods (c = its defaulted loans, cc = c x coupon x dt),
 * the pool's hot loop. The vector routes work on the whole aligned
 * blocks of ABSIM_POOL_GRID (AVX2: 4) periods that cover the run (a run of
 * one period takes the scalar update), the periods outside it adding
 * 0 x b[k] = +-0.0, which leaves an accumulator bitwise as it was
 * (they hold sums of non-negative terms, never -0.0; b is finite and
 * zero-padded to the grid): the same value on every route. Every
 * defaulter then reads and writes the accumulators in the same full,
 * aligned blocks, so a block stored for one defaulter and loaded for the
 * next is forwarded from the store buffer; runs starting anywhere would
 * overlap the earlier stores partly and wait for them to reach the cache. */
static inline void grid_add_scalar(double *restrict a, double *restrict ac, double *restrict af,
                                   const double *restrict b, double c, double cc, int s0, int s1, int floating)
{
    for (int k = s0; k < s1; k++) {
        const double y = c * b[k];
        a[k] += y;
        ac[k] += cc * b[k];
        if (floating)
            af[k] += y;
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define POOL_SIMD 1

/* Lane masks of a block of 4 from a sliding window (all-ones / 0): the
 * lanes i >= lo are the 4 from grid_win + 8 - lo, the lanes i < hi the 4
 * from grid_win + 4 - hi (0 <= lo, hi <= 4). */
static const int64_t grid_win[12] = {-1, -1, -1, -1, 0, 0, 0, 0, -1, -1, -1, -1};

/* one block of 4 at k0 with multipliers mc, mcc (already masked) */
__attribute__((target("avx2"))) static inline void grid_block_avx2(double *restrict a, double *restrict ac,
                                                                  double *restrict af, const double *restrict b,
                                                                  __m256d mc, __m256d mcc, int k0, int floating)
{
    const __m256d x = _mm256_load_pd(b + k0), y = _mm256_mul_pd(mc, x);
    _mm256_store_pd(a + k0, _mm256_add_pd(_mm256_load_pd(a + k0), y));
    _mm256_store_pd(ac + k0, _mm256_add_pd(_mm256_load_pd(ac + k0), _mm256_mul_pd(mcc, x)));
    if (floating)
        _mm256_store_pd(af + k0, _mm256_add_pd(_mm256_load_pd(af + k0), y));
}

/* blocks of 4: the first masked from s0, the last up to s1, the ones in
 * between whole */
__attribute__((target("avx2"))) static inline void grid_add_avx2(double *restrict a, double *restrict ac,
                                                                double *restrict af, const double *restrict b,
                                                                double c, double cc, int s0, int s1, int floating)
{
    const __m256d vc = _mm256_set1_pd(c), vcc = _mm256_set1_pd(cc);
    const int first = s0 & ~3, last = (s1 - 1) & ~3; /* blocks of s0 and of s1 - 1 */
    __m256d on = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(grid_win + 8 - (s0 - first))));
    if (first == last) /* one block: also below s1 */
        on = _mm256_and_pd(on, _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(grid_win + 4 - (s1 - first)))));
    grid_block_avx2(a, ac, af, b, _mm256_and_pd(vc, on), _mm256_and_pd(vcc, on), first, floating);
    if (first == last)
        return;
    for (int k0 = first + 4; k0 < last; k0 += 4)
        grid_block_avx2(a, ac, af, b, vc, vcc, k0, floating);
    on = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(grid_win + 4 - (s1 - last))));
    grid_block_avx2(a, ac, af, b, _mm256_and_pd(vc, on), _mm256_and_pd(vcc, on), last, floating);
}

__attribute__((target("avx512f"))) static inline void grid_block_avx512(double *restrict a, double *restrict ac,
                                                                       double *restrict af,
                                                                       const double *restrict b, __m512d mc,
                                                                       __m512d mcc, int k0, int floating)
{
    const __m512d x = _mm512_load_pd(b + k0), y = _mm512_mul_pd(mc, x);
    _mm512_store_pd(a + k0, _mm512_add_pd(_mm512_load_pd(a + k0), y));
    _mm512_store_pd(ac + k0, _mm512_add_pd(_mm512_load_pd(ac + k0), _mm512_mul_pd(mcc, x)));
    if (floating)
        _mm512_store_pd(af + k0, _mm512_add_pd(_mm512_load_pd(af + k0), y));
}

/* blocks of 8: the first masked from s0, the last up to s1, the ones in
 * between whole */
__attribute__((target("avx512f"))) static inline void grid_add_avx512(double *restrict a, double *restrict ac,
                                                                     double *restrict af, const double *restrict b,
                                                                     double c, double cc, int s0, int s1,
                                                                     int floating)
{
    const __m512d vc = _mm512_set1_pd(c), vcc = _mm512_set1_pd(cc);
    const int first = s0 & ~7, last = (s1 - 1) & ~7; /* blocks of s0 and of s1 - 1 */
    unsigned on = 0xffu << (s0 - first);
    if (first == last) /* one block: also below s1 */
        on &= 0xffu >> (8 - (s1 - first));
    grid_block_avx512(a, ac, af, b, _mm512_maskz_mov_pd((__mmask8)on, vc), _mm512_maskz_mov_pd((__mmask8)on, vcc),
                      first, floating);
    if (first == last)
        return;
    for (int k0 = first + 8; k0 < last; k0 += 8)
        grid_block_avx512(a, ac, af, b, vc, vcc, k0, floating);
    on = 0xffu >> (8 - (s1 - last));
    grid_block_avx512(a, ac, af, b, _mm512_maskz_mov_pd((__mmask8)on, vc), _mm512_maskz_mov_pd((__mmask8)on, vcc),
                      last, floating);
}
#endif

/* The path when no floating coupon is floored (r_k + spread > 0 for every
 * floating line and k). Only principal profiles are read: what the
 * defaulted loans would have paid in principal is accumulated per period
 * (also weighted by coupon x dt, and apart for floating lines) and taken
 * from the no-default totals at the end. A loan's balance at the start of
 * k > kd is its balance at kd less the principal it would have paid in
 * kd .. k-1, so the balance removed at the start of k is the running sum
 * over earlier periods of defaults less that principal; the coupon (or
 * spread) interest removed is the same sum weighted by coupon x dt plus
 * period k's defaults, and a floating line's index interest is r_k dt x
 * its performing balance (start balance less period-k defaults). The end
 * balance of k is the start balance of k+1.
 * Element-wise arithmetic only (no reductions, and no contraction: the
 * build passes -ffp-contract=off), so the AVX-512 and AVX2 versions give
 * bitwise the same result as the scalar one. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void path_unfloored_body(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                                       const int *period, const int64_t *count, const double *rec,
                                       absim_collateral *out, int route)
{
    const int T = p->T;
    /* removed principal, the same x coupon dt, floating principal; defaulted
     * floating balance, defaulted balance x coupon dt; by period */
    const size_t G = grid_round((size_t)T); /* each array's length, on the grid */
    double *rp = out->work, *rc = rp + G, *rf = rc + G, *dfl = rf + G, *dc = dfl + G;
    /* one array at a time: a single 5 G clear is long enough for libc's
     * `rep stosb` route, whose start-up costs more than these few stores */
    for (int a = 0; a < 5; a++)
        memset(rp + (size_t)a * G, 0, G * sizeof *rp);
    memset(out->defaults, 0, (size_t)T * sizeof *out->defaults);
    memset(out->recoveries, 0, (size_t)T * sizeof *out->recoveries);
    memset(out->losses, 0, (size_t)T * sizeof *out->losses);
    /* balance_end of the horizon is the start balance of the period after */
    const int cut = p->horizon < T ? p->horizon + 1 : T;
    const int S = p->prof_stride;
    const double *prof = absim_pool_prof_table(p);
    for (int j = 0; j < nevents;) {
        const int l = line[j], lag = p->lag[l], floating = p->floating[l];
        const int live = p->live[l] < cut ? p->live[l] : cut;
        const double *restrict q = prof + (size_t)l * (size_t)S;
        const double *restrict fac = p->factor + (size_t)l * ((size_t)T + 1);
        const double lb = p->loan_balance[l], cdt = (p->coupon[l] + p->spread[l]) * p->dt; /* one of them is 0 */
        double cum = 0.0; /* loans defaulted by the end of k */
        for (;; j++) {
            const int last_event = j + 1 >= nevents || line[j + 1] != l;
            const int kd = period[j];
            const double nd = (double)count[j], at_default = lb * fac[kd - 1];
            cum += nd;
            record_defaults(out, T, kd, lag, nd, at_default, rec[j]);
            if (kd <= live) {
                dc[kd - 1] += cdt * (nd * at_default);
                if (floating)
                    dfl[kd - 1] += nd * at_default;
            }
            /* periods kd .. (next default - 1), up to live: cum loans */
            const int next = last_event ? T + 1 : period[j + 1];
            const int stop = next - 1 < live ? next - 1 : live;
            const double cc = cum * cdt;
            if (kd == stop) { /* one period (a line with defaults in consecutive periods) */
                grid_add_scalar(rp, rc, rf, q, cum, cc, kd - 1, stop, floating);
            } else if (kd < stop) {
#ifdef POOL_SIMD
                if (route == ABSIM_LOAN_ROUTE_AVX512)
                    grid_add_avx512(rp, rc, rf, q, cum, cc, kd - 1, stop, floating);
                else if (route == ABSIM_LOAN_ROUTE_AVX2)
                    grid_add_avx2(rp, rc, rf, q, cum, cc, kd - 1, stop, floating);
                else
#endif
                    grid_add_scalar(rp, rc, rf, q, cum, cc, kd - 1, stop, floating);
            }
            if (last_event)
                break;
        }
        j++;
    }
    const double dt = p->dt;
    /* at the start of k: balance removed by defaults (all lines, floating
     * lines), and that removed balance x coupon dt; and finish()'s work in
     * the same pass: amounts below zero (rounding) clamped as they are
     * stored (a period's end balance is the next one's start balance,
     * clamped alike), pending from running sums */
    double gone = 0.0, gone_fl = 0.0, gone_c = 0.0, drawn = 0.0, received = 0.0;
    for (int k = 0; k < T; k++) {
        const double fl_start = p->total_float_balance[k] - gone_fl;
        const double start = p->total_start[k] - gone;
        const double principal = (p->total_sched[k] + p->total_prepay[k]) - rp[k];
        const double interest = (p->total_fixed_interest[k] + p->total_float_spread[k]) - (gone_c + dc[k]) +
                                r[k] * dt * (fl_start - dfl[k]);
        out->balance_start[k] = start < 0.0 ? 0.0 : start;
        if (k > 0)
            out->balance_end[k - 1] = out->balance_start[k];
        out->principal[k] = principal < 0.0 ? 0.0 : principal;
        out->interest[k] = interest < 0.0 ? 0.0 : interest;
        gone += out->defaults[k] - rp[k];
        gone_fl += dfl[k] - rf[k];
        gone_c += dc[k] - rc[k];
        drawn += out->defaults[k] - out->losses[k];
        received += out->recoveries[k];
        const double pending = drawn - received;
        out->pending[k] = k + 1 < T && pending > 0.0 ? pending : 0.0;
    }
    const double end = p->total_end[T - 1] - gone;
    out->balance_end[T - 1] = end < 0.0 ? 0.0 : end;
}

/* The body compiled for each route: the vector routes' wrappers carry
 * their target, so the whole path (its other loops too) is compiled for
 * it, as function multi-versioning would; the same bits on each. */
static void path_unfloored_scalar(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                                  const int *period, const int64_t *count, const double *rec, absim_collateral *out)
{
    path_unfloored_body(p, r, nevents, line, period, count, rec, out, ABSIM_LOAN_ROUTE_SCALAR);
}

#ifdef POOL_SIMD
__attribute__((target("avx2"))) static void path_unfloored_avx2(const absim_pool_plan *p, const double *r,
                                                                int nevents, const int *line, const int *period,
                                                                const int64_t *count, const double *rec,
                                                                absim_collateral *out)
{
    path_unfloored_body(p, r, nevents, line, period, count, rec, out, ABSIM_LOAN_ROUTE_AVX2);
}

__attribute__((target("avx512f"))) static void path_unfloored_avx512(const absim_pool_plan *p, const double *r,
                                                                    int nevents, const int *line, const int *period,
                                                                    const int64_t *count, const double *rec,
                                                                    absim_collateral *out)
{
    path_unfloored_body(p, r, nevents, line, period, count, rec, out, ABSIM_LOAN_ROUTE_AVX512);
}
#endif

static void path_unfloored(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                           const int *period, const int64_t *count, const double *rec, absim_collateral *out,
                           int route)
{
    route = absim_rng_loan_route(route);
#ifdef POOL_SIMD
    if (route == ABSIM_LOAN_ROUTE_AVX512) {
        path_unfloored_avx512(p, r, nevents, line, period, count, rec, out);
        return;
    }
    if (route == ABSIM_LOAN_ROUTE_AVX2) {
        path_unfloored_avx2(p, r, nevents, line, period, count, rec, out);
        return;
    }
#endif
    path_unfloored_scalar(p, r, nevents, line, period, count, rec, out);
}

void absim_pool_path_events(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                            const int *period, const int64_t *count, const double *rec, absim_collateral *out)
{
    absim_pool_path_events_route(p, r, nevents, line, period, count, rec, out, -1);
}

void absim_pool_path_events_route(const absim_pool_plan *p, const double *r, int nevents, const int *line,
                                  const int *period, const int64_t *count, const double *rec, absim_collateral *out,
                                  int route)
{
    /* fl(r + spread) >= fl(r + min_spread) for every floating line */
    int positive = 1;
    for (int k = 0; k < p->T && p->nfloating > 0; k++)
        if (!(r[k] + p->min_spread > 0.0))
            positive = 0;
    if (positive) {
        path_unfloored(p, r, nevents, line, period, count, rec, out, route);
        return;
    }
    start_totals(p, r, out);
    for (int j = 0; j < nevents;) {
        int e = j + 1;
        while (e < nevents && line[e] == line[j])
            e++;
        subtract_line(p, line[j], r, positive, e - j, period + j, count + j, rec + j, out);
        j = e;
    }
    finish(p->T, out);
}

/* Clamp rounding below zero; pending = recovery cash of loans defaulted
 * by k (defaults - losses, by default period) not yet received; principal
 * = scheduled + prepaid (the event path without floors does all of this
 * in its last pass, path_unfloored_body). */
static void finish(int T, absim_collateral *out)
{
    double drawn = 0.0, received = 0.0;
    for (int k = 1; k <= T; k++) {
        drawn += out->defaults[k - 1] - out->losses[k - 1];
        received += out->recoveries[k - 1];
        double pending = drawn - received;
        out->pending[k - 1] = k < T && pending > 0.0 ? pending : 0.0;
        if (out->balance_start[k - 1] < 0.0)
            out->balance_start[k - 1] = 0.0;
        if (out->balance_end[k - 1] < 0.0)
            out->balance_end[k - 1] = 0.0;
        if (out->interest[k - 1] < 0.0)
            out->interest[k - 1] = 0.0;
        if (out->sched_principal[k - 1] < 0.0)
            out->sched_principal[k - 1] = 0.0;
        if (out->prepayments[k - 1] < 0.0)
            out->prepayments[k - 1] = 0.0;
        out->principal[k - 1] = out->sched_principal[k - 1] + out->prepayments[k - 1];
    }
}
