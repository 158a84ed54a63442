/* driver.c -- OpenMP driver over path blocks (see driver.h).
 *
 * The only OpenMP region of absim is the `parallel for` over the blocks of
 * a wave below. Per-thread scratch is allocated once; a wave's results are
 * written into disjoint rows of one buffer and reduced afterwards in path
 * order, never with atomics. */
#define _POSIX_C_SOURCE 200809L

#include "driver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "absim_version.h"
#include "checkpoint.h"
#include "cluster.h"
#include "path.h"
#include "status.h"

/* Row layout of the wave buffer: fixed columns, then per-tranche groups. */
enum { COL_WEIGHT, COL_POOL_LOSS, COL_POOL_DR, COL_ORIGINATOR, COL_IRR, COL_ALT_IRR, COL_CONSERVATION, NFIXED };

typedef struct {
    int ntr, has_alt, width;
} row_layout;

static double *row_group(double *row, const row_layout *L, int leg, int field)
{
    return row + NFIXED + (size_t)(leg * 4 + field) * (size_t)L->ntr;
}

static void store_row(double *row, const row_layout *L, const absim_path_result *r)
{
    row[COL_WEIGHT] = r->weight;
    row[COL_POOL_LOSS] = r->pool_loss;
    row[COL_POOL_DR] = r->pool_default_rate;
    row[COL_ORIGINATOR] = r->originator_default;
    row[COL_IRR] = r->wf.residual_irr;
    row[COL_ALT_IRR] = L->has_alt ? r->wf_alt.residual_irr : NAN;
    row[COL_CONSERVATION] = r->conservation_error;
    for (int leg = 0; leg <= L->has_alt; leg++) {
        const absim_waterfall_result *w = leg ? &r->wf_alt : &r->wf;
        memcpy(row_group(row, L, leg, 0), w->loss, (size_t)L->ntr * sizeof(double));
        memcpy(row_group(row, L, leg, 1), w->pv_loss, (size_t)L->ntr * sizeof(double));
        memcpy(row_group(row, L, leg, 2), w->wal, (size_t)L->ntr * sizeof(double));
        memcpy(row_group(row, L, leg, 3), w->shortfall, (size_t)L->ntr * sizeof(double));
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress_report(const absim_run_options *o, int64_t done, double elapsed, int final)
{
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    double eta = rate > 0 ? (double)(o->paths - done) / rate : 0.0;
    double pct = 100.0 * (double)done / (double)o->paths;
    if (o->progress == ABSIM_PROGRESS_BAR) {
        char bar[31];
        int filled = (int)(pct * 30 / 100);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%-12.12s [%s] %5.1f%% %9.0f paths/s  ETA %5.0f s ", o->label ? o->label : "", bar, pct,
                rate, eta);
        if (final)
            fputc('\n', stderr);
    } else if (o->progress == ABSIM_PROGRESS_LINES) {
        char stamp[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s absim: scenario=%s paths_done=%lld paths=%lld pct=%.1f paths_per_s=%.0f eta_s=%.0f\n",
                stamp, o->label ? o->label : "", (long long)done, (long long)o->paths, pct, rate, eta);
    }
    fflush(stderr);
}

/* Standard errors when paths are not independent: antithetic pairs (the
 * pair means are) or QMC replicates (the replicate means are). The state
 * is one flat array so that checkpoints can carry it. */
typedef struct {
    int mode; /* 0 independent paths, 1 antithetic pairs, 2 QMC replicates */
    int ntr;
    size_t n;
    double *v;
} vr_groups;

static size_t vr_size(int mode, int ntr)
{
    if (mode == 1)
        return 6 * (size_t)ntr + 2; /* pair partial el/pd, s1/s2 of el and pd, npairs, pending */
    if (mode == 2)
        return (size_t)ABSIM_QMC_REPLICATES * (2 * (size_t)ntr + 1); /* el sum, pd sum, count */
    return 0;
}

static void vr_add(vr_groups *g, int64_t path, double w, const double *loss)
{
    const int nt = g->ntr;
    if (g->mode == 1) {
        double *part = g->v, *s = g->v + 2 * nt, *np = g->v + 6 * nt, *pending = np + 1;
        for (int t = 0; t < nt; t++) {
            part[t] += w * loss[t];
            part[nt + t] += w * (loss[t] > ABSIM_LOSS_EPS);
        }
        *pending += 1;
        if (path & 1) {
            for (int t = 0; t < nt; t++) {
                double el = part[t] / 2, pd = part[nt + t] / 2;
                s[t] += el;
                s[nt + t] += el * el;
                s[2 * nt + t] += pd;
                s[3 * nt + t] += pd * pd;
                part[t] = part[nt + t] = 0.0;
            }
            *np += 1;
            *pending = 0;
        }
    } else if (g->mode == 2) {
        double *grp = g->v + (size_t)(path % ABSIM_QMC_REPLICATES) * (2 * (size_t)nt + 1);
        for (int t = 0; t < nt; t++) {
            grp[t] += w * loss[t];
            grp[nt + t] += w * (loss[t] > ABSIM_LOSS_EPS);
        }
        grp[2 * nt] += 1;
    }
}

static double se_of(double s1, double s2, double n)
{
    if (n < 2)
        return 0.0;
    double m = s1 / n, var = (s2 - n * m * m) / (n - 1);
    return var > 0 ? sqrt(var / n) : 0.0;
}

/* Current standard error of tranche t's EL (independent paths, pairs or
 * replicates), for the target_stderr stopping rule. */
static double current_se(const vr_groups *g, const absim_acc *acc, int t)
{
    const int nt = g->ntr;
    if (g->mode == 1) {
        const double *s1 = g->v + 2 * nt;
        return se_of(s1[t], s1[nt + t], g->v[6 * nt]);
    }
    if (g->mode == 2) {
        double a1 = 0, a2 = 0;
        int R = 0;
        for (int r = 0; r < ABSIM_QMC_REPLICATES; r++) {
            const double *grp = g->v + (size_t)r * (2 * (size_t)nt + 1);
            if (grp[2 * nt] > 0) {
                double el = grp[t] / grp[2 * nt];
                a1 += el;
                a2 += el * el;
                R++;
            }
        }
        return se_of(a1, a2, R);
    }
    const absim_dist *d = &acc->tranche[t];
    return se_of(d->sum_wx, d->sum_w2x2, (double)d->n);
}

/* Replace the summary's EL and PD standard errors by the group ones. */
static void vr_finish(const vr_groups *g, absim_summary *s, const absim_acc *acc)
{
    const int nt = g->ntr;
    if (g->mode == 1) {
        const double *s1 = g->v + 2 * nt, np = g->v[6 * nt];
        for (int t = 0; t < nt; t++) {
            s->expected_loss_stderr[t] = se_of(s1[t], s1[nt + t], np);
            s->default_probability_stderr[t] = se_of(s1[2 * nt + t], s1[3 * nt + t], np);
        }
    } else if (g->mode == 2) {
        for (int t = 0; t < nt; t++) {
            double a1 = 0, a2 = 0, b1 = 0, b2 = 0;
            int R = 0;
            for (int r = 0; r < ABSIM_QMC_REPLICATES; r++) {
                const double *grp = g->v + (size_t)r * (2 * (size_t)nt + 1);
                if (grp[2 * nt] <= 0)
                    continue;
                double el = grp[t] / grp[2 * nt], pd = grp[nt + t] / grp[2 * nt];
                a1 += el;
                a2 += el * el;
                b1 += pd;
                b2 += pd * pd;
                R++;
            }
            s->expected_loss_stderr[t] = se_of(a1, a2, R);
            s->default_probability_stderr[t] = se_of(b1, b2, R);
        }
    } else {
        return;
    }
    absim_summary_variance_reduction(s, acc);
}

void absim_driver_rate(const absim_deal *deal, const absim_rating_scale *scale, absim_summary *s)
{
    for (int t = 0; t < s->ntranches; t++) {
        if (deal->structure.tranches[t].residual) {
            strcpy(s->implied_rating[t], "NR");
        } else if (!scale) {
            strcpy(s->implied_rating[t], "n/a");
        } else {
            double measure = scale->measure == ABSIM_MEASURE_PD ? s->default_probability[t] : s->pv_loss[t];
            absim_rating_implied(scale, measure, s->wal[t], s->implied_rating[t]);
        }
    }
}

void absim_scenario_run_free(absim_scenario_run *r)
{
    absim_summary_free(&r->summary);
    if (r->has_alt)
        absim_summary_free(&r->alt);
    memset(r, 0, sizeof *r);
}

/* Where a run keeps its per-path rows (keep_paths, rank 0): the results
 * file's per-path datasets (written wave by wave and read back at the end:
 * memory does not grow with the number of paths), or, without a file,
 * arrays in memory. Rows are tranche losses (ntr per path), pool loss,
 * pool default rate, and optionally weight and originator default period. */
typedef struct {
    absim_h5 *h5;
    int ntr, weighted, originator;
    int64_t cap;
    double *tl, *pool, *dr, *w, *orig; /* memory store only */
    double *tmp;                       /* file store: one chunk of one column */
} path_store;

enum { STORE_CHUNK = 1 << 16 };

static void store_free(path_store *st)
{
    free(st->tl);
    free(st->pool);
    free(st->dr);
    free(st->w);
    free(st->orig);
    free(st->tmp);
    memset(st, 0, sizeof *st);
}

static int store_init(path_store *st, absim_h5 *h5, int ntr, int weighted, int originator, int64_t cap)
{
    memset(st, 0, sizeof *st);
    st->h5 = h5;
    st->ntr = ntr;
    st->weighted = weighted;
    st->originator = originator;
    st->cap = cap;
    if (h5) {
        st->tmp = malloc(STORE_CHUNK * sizeof *st->tmp);
        if (!st->tmp)
            return absim_error_set(ABSIM_ENOMEM, "out of memory");
        int rc = absim_h5_paths_extra(h5, weighted, originator);
        if (rc != ABSIM_OK)
            store_free(st);
        return rc;
    }
    st->tl = malloc((size_t)cap * (size_t)ntr * sizeof *st->tl);
    st->pool = malloc((size_t)cap * sizeof *st->pool);
    st->dr = malloc((size_t)cap * sizeof *st->dr);
    st->w = weighted ? malloc((size_t)cap * sizeof *st->w) : NULL;
    st->orig = originator ? malloc((size_t)cap * sizeof *st->orig) : NULL;
    if (!st->tl || !st->pool || !st->dr || (weighted && !st->w) || (originator && !st->orig)) {
        store_free(st);
        return absim_error_set(ABSIM_ENOMEM, "out of memory keeping %lld paths (try --no-paths)", (long long)cap);
    }
    return ABSIM_OK;
}

/* Rows [first, first+n): tl is n x ntr row-major; w and orig may be NULL. */
static int store_put(void *ctx, int64_t first, int64_t n, const double *tl, const double *pool, const double *dr,
                     const double *w, const double *orig)
{
    path_store *st = ctx;
    if (st->h5) {
        int rc = absim_h5_write_paths(st->h5, first, n, tl, pool, dr);
        if (rc == ABSIM_OK)
            rc = absim_h5_write_paths_extra(st->h5, first, n, st->weighted ? w : NULL, st->originator ? orig : NULL);
        return rc;
    }
    memcpy(st->tl + (size_t)first * (size_t)st->ntr, tl, (size_t)n * (size_t)st->ntr * sizeof *tl);
    memcpy(st->pool + first, pool, (size_t)n * sizeof *pool);
    memcpy(st->dr + first, dr, (size_t)n * sizeof *dr);
    if (st->w && w)
        memcpy(st->w + first, w, (size_t)n * sizeof *w);
    if (st->orig && orig)
        memcpy(st->orig + first, orig, (size_t)n * sizeof *orig);
    return ABSIM_OK;
}

/* One column (which, col) of rows [first, first+n) into out. */
static int store_column(path_store *st, absim_h5_column which, int col, int64_t first, int64_t n, double *out)
{
    if (st->h5)
        return absim_h5_read_paths(st->h5, which, col, first, n, out);
    const double *src = which == ABSIM_H5_POOL_LOSS ? st->pool + first
                        : which == ABSIM_H5_POOL_DEFAULT_RATE ? st->dr + first
                        : which == ABSIM_H5_WEIGHT ? st->w + first
                        : which == ABSIM_H5_ORIGINATOR ? st->orig + first
                                                       : st->tl + (size_t)first * (size_t)st->ntr + col;
    size_t stride = which == ABSIM_H5_TRANCHE_LOSS ? (size_t)st->ntr : 1;
    for (int64_t i = 0; i < n; i++)
        out[i] = src[(size_t)i * stride];
    return ABSIM_OK;
}

static int store_get(void *ctx, int64_t first, int64_t n, double *tl, double *pool, double *dr, double *w,
                     double *orig)
{
    path_store *st = ctx;
    int rc = ABSIM_OK;
    if (!st->h5) /* rows are stored as they are asked for */
        memcpy(tl, st->tl + (size_t)first * (size_t)st->ntr, (size_t)n * (size_t)st->ntr * sizeof *tl);
    for (int t = 0; st->h5 && t < st->ntr && rc == ABSIM_OK; t++) {
        rc = store_column(st, ABSIM_H5_TRANCHE_LOSS, t, first, n, st->tmp);
        for (int64_t i = 0; rc == ABSIM_OK && i < n; i++)
            tl[(size_t)i * (size_t)st->ntr + t] = st->tmp[i];
    }
    if (rc == ABSIM_OK)
        rc = store_column(st, ABSIM_H5_POOL_LOSS, 0, first, n, pool);
    if (rc == ABSIM_OK)
        rc = store_column(st, ABSIM_H5_POOL_DEFAULT_RATE, 0, first, n, dr);
    if (rc == ABSIM_OK && st->weighted && w)
        rc = store_column(st, ABSIM_H5_WEIGHT, 0, first, n, w);
    if (rc == ABSIM_OK && st->originator && orig)
        rc = store_column(st, ABSIM_H5_ORIGINATOR, 0, first, n, orig);
    return rc;
}

typedef struct {
    path_store *st;
    absim_h5_column which;
    int col;
} column_ctx;

static int column_read(void *ctx, int64_t first, int64_t n, double *x, double *w)
{
    column_ctx *c = ctx;
    if (store_column(c->st, c->which, c->col, first, n, x) != ABSIM_OK)
        return -1;
    if (w && store_column(c->st, ABSIM_H5_WEIGHT, 0, first, n, w) != ABSIM_OK)
        return -1;
    return 0;
}

/* Exact sample quantiles of the stored paths into s (bounded memory). */
static int exact_quantiles(absim_summary *s, const absim_acc *acc, path_store *st, int64_t n)
{
    const int ntr = st->ntr, nq = s->nquantiles;
    double *var = malloc((size_t)(nq > 0 ? nq : 1) * sizeof *var), *es = malloc((size_t)(nq > 0 ? nq : 1) * sizeof *es);
    int rc = ABSIM_OK;
    if (!var || !es) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory computing quantiles");
        goto cleanup;
    }
    for (int t = 0; t < ntr && rc == ABSIM_OK; t++) {
        column_ctx c = {st, ABSIM_H5_TRANCHE_LOSS, t};
        rc = absim_quantiles_streamed(&acc->tranche[t], column_read, &c, n, st->weighted, nq, s->quantile_levels,
                                      var, es);
        for (int q = 0; rc == ABSIM_OK && q < nq; q++) {
            s->var[q * ntr + t] = var[q];
            s->es[q * ntr + t] = es[q];
        }
    }
    if (rc == ABSIM_OK) {
        column_ctx c = {st, ABSIM_H5_POOL_LOSS, 0};
        rc = absim_quantiles_streamed(&acc->pool_loss, column_read, &c, n, st->weighted, nq, s->quantile_levels,
                                      s->pool_loss_q, s->pool_loss_es);
    }
    if (rc == ABSIM_OK) {
        column_ctx c = {st, ABSIM_H5_POOL_DEFAULT_RATE, 0};
        rc = absim_quantiles_streamed(&acc->pool_default_rate, column_read, &c, n, st->weighted, nq,
                                      s->quantile_levels, s->pool_default_rate_q, es);
    }
    if (rc == ABSIM_OK)
        s->exact_quantiles = 1;
cleanup:
    free(var);
    free(es);
    return rc;
}

/* Rank 0's reduction of a wave: its rows fed to the accumulators, the
 * variance-reduction groups and the path store in path order, and the
 * stopping rule checked. It runs beside the next wave's simulation (see
 * absim_driver_run), so everything it reads or writes is its own. */
typedef struct {
    const absim_deal *deal;
    const absim_run_options *o;
    const row_layout *L;
    int ntr, has_alt, target, store_ok;
    absim_acc *acc, *acc_alt;
    vr_groups *vr;
    path_store *store;
    double *wave_loss, *wave_pool, *wave_dr, *wave_w, *wave_orig; /* path-store buffers */
    double *max_conservation_error;
    int reached;  /* the stopping rule held: the run ends at `done` paths */
    int64_t done;
    int pending;  /* a failure (the store), ABSIM_OK otherwise */
} wave_reducer;

static void reduce_wave(wave_reducer *c, int64_t first, int64_t n, double *rows)
{
    const row_layout *L = c->L;
    const absim_run_options *o = c->o;
    const int ntr = c->ntr;
    for (int64_t i = 0; i < n; i++) {
        double *row = rows + (size_t)i * (size_t)L->width;
        int orig = row[COL_ORIGINATOR] > 0.0;
        if (row[COL_CONSERVATION] > *c->max_conservation_error)
            *c->max_conservation_error = row[COL_CONSERVATION];
        absim_acc_add(c->acc, row[COL_WEIGHT], row_group(row, L, 0, 0), row_group(row, L, 0, 1),
                      row_group(row, L, 0, 2), row_group(row, L, 0, 3), row[COL_IRR], row[COL_POOL_LOSS],
                      row[COL_POOL_DR], orig);
        vr_add(c->vr, first + i, row[COL_WEIGHT], row_group(row, L, 0, 0));
        if (c->has_alt)
            absim_acc_add(c->acc_alt, row[COL_WEIGHT], row_group(row, L, 1, 0), row_group(row, L, 1, 1),
                          row_group(row, L, 1, 2), row_group(row, L, 1, 3), row[COL_ALT_IRR], row[COL_POOL_LOSS],
                          row[COL_POOL_DR], orig);
        memcpy(c->wave_loss + (size_t)i * (size_t)ntr, row_group(row, L, 0, 0), (size_t)ntr * sizeof(double));
        c->wave_pool[i] = row[COL_POOL_LOSS];
        c->wave_dr[i] = row[COL_POOL_DR];
        c->wave_w[i] = row[COL_WEIGHT];
        c->wave_orig[i] = row[COL_ORIGINATOR];
        if (o->pool_default_rate_out)
            o->pool_default_rate_out[first + i] = row[COL_POOL_DR];
        if (c->target && ((first + i + 1) % ABSIM_TARGET_CHECK == 0 || first + i + 1 == o->paths)) {
            int ok = 1;
            for (int t = 0; t < ntr && ok; t++)
                if (!c->deal->structure.tranches[t].residual && !(current_se(c->vr, c->acc, t) < o->target_stderr))
                    ok = 0;
            if (ok) {
                c->reached = 1;
                c->done = first + i + 1;
                break;
            }
        }
    }
    if (c->store_ok) {
        int rc = store_put(c->store, first, c->reached ? c->done - first : n, c->wave_loss, c->wave_pool, c->wave_dr,
                           c->wave_w, c->wave_orig);
        if (rc != ABSIM_OK)
            c->pending = rc;
    }
}

int absim_driver_run(const absim_deal *deal, const absim_scenario *sc, const absim_run_options *o,
                     absim_scenario_run *out)
{
    absim_sim_plan plan;
    absim_path_scratch *scratch = NULL;
    absim_acc acc, acc_alt;
    int64_t *row0 = NULL;
    vr_groups vr = {0, 0, 0, NULL};
    double *rows[2] = {NULL, NULL}, *wave = NULL; /* rows: two wave buffers (pipelined reduction) */
    path_store store;
    int store_ok = 0;
    int rc, nthreads, nscratch = 0, acc_ok = 0, alt_ok = 0, weighted = 0;
    double t0 = now_seconds(), last_report = t0;

    memset(out, 0, sizeof *out);
    memset(&store, 0, sizeof store);
    memset(&acc, 0, sizeof acc);
    memset(&acc_alt, 0, sizeof acc_alt);
    rc = absim_sim_plan_init(&plan, deal, sc, o->seed);
    if (rc != ABSIM_OK)
        return rc;

    const int ntr = plan.ntranches;
    row_layout L = {ntr, plan.has_alt, 0};
    L.width = NFIXED + 4 * ntr * (1 + plan.has_alt);
    nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
    if (nthreads < 1)
        nthreads = 1;
    const int rank = absim_mpi_rank(), nranks = absim_mpi_size();
    const int64_t wave_blocks = 8 * (int64_t)nthreads * nranks;
    const int64_t wave_paths = wave_blocks * ABSIM_BLOCK_PATHS;
    weighted = plan.zg_shift != 0.0;

    row0 = malloc((size_t)(nranks + 1) * sizeof *row0);
    scratch = calloc((size_t)nthreads, sizeof *scratch);
    /* the second row buffer only where waves are reduced (rank 0) */
    rows[0] = malloc((size_t)wave_paths * (size_t)L.width * sizeof *rows[0]);
    rows[1] = rank == 0 ? malloc((size_t)wave_paths * (size_t)L.width * sizeof *rows[1]) : NULL;
    /* Wave buffers: tranche losses (wave_paths x ntr), then pool loss, pool
     * default rate, weight and originator period (wave_paths each). */
    wave = malloc((size_t)wave_paths * (size_t)(ntr + 4) * sizeof *wave);
    double *wave_loss = wave, *wave_pool = wave ? wave + (size_t)wave_paths * (size_t)ntr : NULL;
    double *wave_dr = wave_pool ? wave_pool + wave_paths : NULL, *wave_w = wave_dr ? wave_dr + wave_paths : NULL;
    double *wave_orig = wave_w ? wave_w + wave_paths : NULL;
    if (!scratch || !rows[0] || (rank == 0 && !rows[1]) || !wave || !row0) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory for %d threads", nthreads);
        goto cleanup;
    }
    for (; nscratch < nthreads; nscratch++) {
        rc = absim_path_scratch_alloc(&scratch[nscratch], &plan);
        if (rc != ABSIM_OK)
            goto cleanup;
    }
    if ((rc = absim_acc_init(&acc, ntr)) != ABSIM_OK)
        goto cleanup;
    acc_ok = 1;
    if (plan.has_alt) {
        if ((rc = absim_acc_init(&acc_alt, ntr)) != ABSIM_OK)
            goto cleanup;
        alt_ok = 1;
    }
    vr.mode = plan.qmc ? 2 : plan.antithetic ? 1 : 0;
    vr.ntr = ntr;
    vr.n = vr_size(vr.mode, ntr);
    if (vr.n && !(vr.v = calloc(vr.n, sizeof *vr.v))) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory");
        goto cleanup;
    }
    absim_checkpoint_header ck;
    memset(&ck, 0, sizeof ck);
    ck.config_hash = o->config_hash;
    ck.seed = o->seed;
    ck.paths = o->paths;
    ck.ntranches = ntr;
    ck.keep_paths = o->keep_paths;
    ck.has_alt = plan.has_alt;
    ck.weighted = weighted;
    ck.originator = plan.originator;
    snprintf(ck.scenario, sizeof ck.scenario, "%s", sc->name);
    snprintf(ck.absim_version, sizeof ck.absim_version, "%s", ABSIM_VERSION);

    /* Rank 0 decides, before every wave, whether the ranks go on: a wave
     * (GO), a stop on a signal (STOP), a failure on rank 0 (FAIL) or the end
     * (DONE). `pending` holds rank 0's failure until it is broadcast. */
    enum { GO = 0, STOP = 1, FAIL = 2, DONE = 3 };
    int pending = ABSIM_OK;
    const int target = o->target_stderr > 0.0;
    if (o->h5 && rank == 0)
        pending = absim_h5_scenario_begin(o->h5, sc->name, o->paths, o->keep_paths);
    if (o->keep_paths && rank == 0 && pending == ABSIM_OK) {
        pending = store_init(&store, o->h5, ntr, weighted, plan.originator, o->paths);
        store_ok = pending == ABSIM_OK;
    }
    absim_checkpoint_rows ckrows = {store_get, store_put, &store};
    int64_t start = 0;
    if (o->resume && rank == 0 && pending == ABSIM_OK)
        /* The finished paths' rows go back into the store (the new file). */
        pending = absim_checkpoint_read(o->resume, &ck, &acc, &acc_alt, &out->max_conservation_error,
                                        store_ok ? &ckrows : NULL, vr.v, vr.n, &start);
    {
        int hi = (int)(start >> 31), lo = (int)(start & 0x7fffffff);
        absim_mpi_bcast_int(&hi);
        absim_mpi_bcast_int(&lo);
        start = ((int64_t)hi << 31) | lo;
    }
    /* The waves are pipelined on rank 0: while the threads simulate wave
     * w into one row buffer, one of them reduces wave w-1 from the other
     * (the reduction is serial, in path order; on its own it would leave
     * the other threads idle for its duration). A wave is reduced at once
     * instead when the run may end or its state is about to be written
     * (checkpoint, signal, failure, end, stopping rule). Every path is
     * reduced exactly once and in order, so results do not change; when
     * the stopping rule holds the wave simulated meanwhile is dropped. */
    wave_reducer red = {deal, o, &L, ntr, plan.has_alt, target, store_ok, &acc, &acc_alt, &vr, &store, wave_loss,
                        wave_pool, wave_dr, wave_w, wave_orig, &out->max_conservation_error, 0, o->paths,
                        pending};
    int cur = 0, have_prev = 0;
    int64_t prev_first = 0, prev_n = 0;
    double last_checkpoint = now_seconds();

    for (int64_t first = start;; first += wave_paths) {
        int cmd = GO;
        if (rank == 0) {
            int stopping = o->stop && *o->stop;
            const int checkpoint_due = o->checkpoint && (stopping || (o->checkpoint_interval > 0 &&
                                                                       now_seconds() - last_checkpoint >=
                                                                           o->checkpoint_interval));
            if (have_prev && (red.pending != ABSIM_OK || first >= o->paths || red.reached || stopping ||
                              checkpoint_due)) {
                reduce_wave(&red, prev_first, prev_n, rows[1 - cur]);
                have_prev = 0;
            }
            if (red.pending != ABSIM_OK)
                cmd = FAIL;
            else if (first >= o->paths || red.reached)
                cmd = DONE;
            else if (stopping)
                cmd = STOP;
            if ((cmd == GO || cmd == STOP) && checkpoint_due) {
                ck.paths_done = first;
                red.pending = absim_checkpoint_write(o->checkpoint, &ck, &acc, &acc_alt, out->max_conservation_error,
                                                     store_ok ? &ckrows : NULL, vr.v, vr.n);
                if (red.pending != ABSIM_OK)
                    cmd = FAIL;
                last_checkpoint = now_seconds();
            }
        }
        absim_mpi_bcast_int(&cmd);
        if (cmd == DONE)
            break;
        if (cmd == FAIL) {
            rc = rank == 0 ? red.pending : (int)absim_error_set(ABSIM_EIO, "rank 0 failed");
            goto cleanup;
        }
        if (cmd == STOP) {
            rc = absim_error_set(ABSIM_EINTR, "interrupted after %lld paths", (long long)first);
            goto cleanup;
        }

        const int64_t n = o->paths - first < wave_paths ? o->paths - first : wave_paths;
        const int64_t nblocks = (n + ABSIM_BLOCK_PATHS - 1) / ABSIM_BLOCK_PATHS;
        /* Rank r simulates blocks [b0, b1) of the wave: rows [row0[r], row0[r+1]). */
        for (int r = 0; r <= nranks; r++) {
            int64_t b = nblocks * r / nranks;
            row0[r] = b * ABSIM_BLOCK_PATHS < n ? b * ABSIM_BLOCK_PATHS : n;
        }
        const int64_t b0 = nblocks * rank / nranks, b1 = nblocks * (rank + 1) / nranks;
        double *wave_rows = rows[cur];
        const int reduce_now = have_prev;

#pragma omp parallel num_threads(nthreads)
        {
#pragma omp single nowait
            {
                if (reduce_now)
                    reduce_wave(&red, prev_first, prev_n, rows[1 - cur]);
            }
#pragma omp for schedule(dynamic, 1)
            for (int64_t b = b0; b < b1; b++) {
                absim_path_scratch *s = &scratch[omp_get_thread_num()];
                absim_path_result r;
                int64_t end = (b + 1) * ABSIM_BLOCK_PATHS < n ? (b + 1) * ABSIM_BLOCK_PATHS : n;
                for (int64_t i = b * ABSIM_BLOCK_PATHS; i < end; i++) {
                    absim_path_simulate(&plan, (uint64_t)(first + i), s, &r);
                    store_row(wave_rows + (size_t)i * (size_t)L.width, &L, &r);
                }
            }
        }
        have_prev = 0;
        absim_mpi_gather_rows(wave_rows, row0, L.width);
        if (rank != 0)
            continue;
        if (!red.reached && red.pending == ABSIM_OK) { /* this wave is reduced next time */
            have_prev = 1;
            prev_first = first;
            prev_n = n;
            cur = 1 - cur;
        }
        double now = now_seconds();
        double every = o->progress == ABSIM_PROGRESS_BAR ? 0.25 : 5.0;
        if (o->progress != ABSIM_PROGRESS_NONE && !red.reached && first + n < o->paths && now - last_report >= every) {
            progress_report(o, first + n, now - t0, 0);
            last_report = now;
        }
    }
    const int64_t done = red.done; /* paths in the results */
    out->threads = nthreads;
    out->paths = done;
    if (rank != 0) {
        rc = ABSIM_OK; /* only rank 0 summarises */
        goto cleanup;
    }
    if (target && o->h5 && o->keep_paths) {
        rc = absim_h5_truncate_paths(o->h5, done); /* the run stopped at `done` paths */
        if (rc != ABSIM_OK)
            goto cleanup;
    }
    out->seconds = now_seconds() - t0;
    if (o->progress != ABSIM_PROGRESS_NONE)
        progress_report(o, done, out->seconds, 1);

    rc = absim_summary_init(&out->summary, ntr, deal->sim.nquantiles, deal->sim.quantiles);
    if (rc != ABSIM_OK)
        goto cleanup;
    absim_acc_summarize(&acc, &out->summary);
    vr_finish(&vr, &out->summary, &acc);
    if (store_ok) {
        rc = exact_quantiles(&out->summary, &acc, &store, done);
        if (rc != ABSIM_OK)
            goto cleanup;
    }
    absim_driver_rate(deal, o->scale, &out->summary);
    if (plan.has_alt) {
        rc = absim_summary_init(&out->alt, ntr, deal->sim.nquantiles, deal->sim.quantiles);
        if (rc != ABSIM_OK)
            goto cleanup;
        out->has_alt = 1;
        absim_acc_summarize(&acc_alt, &out->alt);
        absim_driver_rate(deal, o->scale, &out->alt);
    }

cleanup:
    if (rc != ABSIM_OK)
        absim_scenario_run_free(out);
    for (int i = 0; i < nscratch; i++)
        absim_path_scratch_free(&scratch[i]);
    free(scratch);
    free(row0);
    free(vr.v);
    free(rows[0]);
    free(rows[1]);
    free(wave);
    if (store_ok)
        store_free(&store);
    if (acc_ok)
        absim_acc_free(&acc);
    if (alt_ok)
        absim_acc_free(&acc_alt);
    absim_sim_plan_free(&plan);
    return rc;
}
