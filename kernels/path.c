/* path.c -- one Monte Carlo path end to end (see path.h).
 *
 * Stream layout of a path (all keyed by the run seed and the global path
 * index, see rng.h): RATES draws the short-rate path, FACTORS the global and
 * sector factors (and the Student-t mixing variable), DEFAULTS(l) the
 * defaults of line l, except that a line of one loan (a loan tape) takes
 * its latent normal from its word of LOANS (absim_rng_loan_words: word l % 2
 * of Philox4x32 block l / 2; rarely, further words from LOANS_MORE(l));
 * RECOVERY(l) the
 * recovery rates of line l's defaulted loans in period order (a one-loan
 * line's stream starting with its Philox4x32 block of kind RECOVERY,
 * absim_rng_open_words), ORIGINATOR
 * the originator's idiosyncratic draw.
 * Scenarios change thresholds and amounts, never the streams: a stress run
 * sees common random numbers. */
#include "path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "laws.h"
#include "rng.h"
#include "status.h"

void absim_sim_plan_free(absim_sim_plan *p)
{
    absim_rate_plan_free(&p->rates);
    absim_pool_plan_free(&p->pool);
    if (p->lines)
        for (int l = 0; l < p->nlines; l++)
            absim_line_model_free(&p->lines[l]);
    free(p->lines);
    free(p->phi_table);
    free(p->originator_threshold);
    free(p->single);
    free(p->single_end);
    absim_loan_set_free(&p->loans);
    free(p->rec_fixed);
    free(p->rec_rate);
    free(p->rec_law);
    for (int i = 0; i < p->nrec_laws; i++)
        absim_beta_free(&p->rec_laws[i]);
    free(p->rec_laws);
    memset(p, 0, sizeof *p);
}

static double scenario_systematic(const absim_deal *deal, const absim_scenario *sc)
{
    return sc->systematic >= 0.0 ? sc->systematic : deal->correlation.systematic;
}

static double scenario_sector_loading(const absim_deal *deal, const absim_scenario *sc, int s)
{
    if (sc->sector_loading && sc->sector_loading[s] >= 0.0)
        return sc->sector_loading[s];
    return deal->sector_loading ? deal->sector_loading[s] : 0.0;
}

/* Beta shapes of a random recovery (absim_recovery_beta_shapes), by line. */
typedef struct {
    double a, b;
    int line;
} rec_shape;

static int rec_shape_cmp(const void *x, const void *y)
{
    const rec_shape *u = x, *v = y;
    if (u->a != v->a)
        return u->a < v->a ? -1 : 1;
    if (u->b != v->b)
        return u->b < v->b ? -1 : 1;
    return u->line - v->line;
}

/* One prepared Beta law per distinct (a, b) among the lines with a
 * random recovery and no systematic loading; the first
 * ABSIM_PATH_MAX_BETA_TABLES laws get tables (10 KB each), any further
 * ones Cheng's method. */
#define ABSIM_PATH_MAX_BETA_TABLES 256

static int prepare_recovery_laws(absim_sim_plan *p)
{
    int rc = ABSIM_OK, n = 0;
    p->rec_law = malloc((size_t)p->nlines * sizeof *p->rec_law);
    rec_shape *sh = malloc((size_t)p->nlines * sizeof *sh);
    if (!p->rec_law || !sh) {
        free(sh);
        return absim_error_set(ABSIM_ENOMEM, "out of memory preparing recovery laws");
    }
    for (int l = 0; l < p->nlines; l++) {
        p->rec_law[l] = -1;
        double a, b;
        if (p->pool.rec_loading[l] > 0.0 ||
            !absim_recovery_beta_shapes(p->pool.rec_mean[l], p->pool.rec_stdev[l], &a, &b))
            continue;
        sh[n++] = (rec_shape){a, b, l};
    }
    qsort(sh, (size_t)n, sizeof *sh, rec_shape_cmp);
    int distinct = 0;
    for (int i = 0; i < n; i++)
        distinct += i == 0 || sh[i].a != sh[i - 1].a || sh[i].b != sh[i - 1].b;
    p->rec_laws = calloc(distinct > 0 ? (size_t)distinct : 1, sizeof *p->rec_laws);
    if (!p->rec_laws) {
        free(sh);
        return absim_error_set(ABSIM_ENOMEM, "out of memory preparing recovery laws");
    }
    for (int i = 0; i < n; i++) {
        if (i == 0 || sh[i].a != sh[i - 1].a || sh[i].b != sh[i - 1].b) {
            absim_beta_law *law = &p->rec_laws[p->nrec_laws++];
            rc = p->nrec_laws <= ABSIM_PATH_MAX_BETA_TABLES ? absim_beta_init(law, sh[i].a, sh[i].b)
                                                             : absim_beta_init_cheng(law, sh[i].a, sh[i].b);
            if (rc != ABSIM_OK)
                break;
        }
        p->rec_law[sh[i].line] = p->nrec_laws - 1;
    }
    free(sh);
    return rc;
}

double absim_path_recovery(const absim_sim_plan *p, int l, double zg, absim_rng *r)
{
    const int law = p->rec_law[l];
    if (law < 0)
        return absim_recovery_draw(p->pool.rec_mean[l], p->pool.rec_stdev[l], p->pool.rec_loading[l],
                                   p->recovery_haircut, zg, r);
    const double rate = absim_beta_draw(&p->rec_laws[law], r) * (1.0 - p->recovery_haircut);
    if (!(rate > 0.0))
        return 0.0;
    return rate < 1.0 ? rate : 1.0;
}

/* The waterfall reads nothing after its clean-up call, and the call comes
 * no later than the first period whose no-default end balance is below
 * the call level (defaults only lower balances: every subtraction of
 * absim_pool_path_events is of a non-negative amount). */
static int set_pool_horizon(absim_sim_plan *p)
{
    const double level = p->waterfall.clean_up;
    if (!(level > 0.0) || (p->has_alt && p->waterfall_alt.clean_up != level))
        return ABSIM_OK;
    absim_collateral c;
    double *r = malloc((size_t)p->T * sizeof *r);
    if (!r || absim_collateral_alloc(&c, p->T) != ABSIM_OK) {
        free(r);
        return absim_error_set(ABSIM_ENOMEM, "out of memory");
    }
    for (int k = 0; k < p->T; k++)
        r[k] = 1.0; /* any positive rate: balances do not depend on it */
    absim_pool_path_events(&p->pool, r, 0, NULL, NULL, NULL, NULL, &c);
    int k = 1;
    while (k < p->T && !(c.balance_end[k - 1] < level))
        k++;
    absim_pool_set_horizon(&p->pool, k);
    absim_collateral_free(&c);
    free(r);
    return ABSIM_OK;
}

int absim_sim_plan_init(absim_sim_plan *p, const absim_deal *deal, const absim_scenario *sc, uint64_t seed)
{
    int rc = ABSIM_OK;
    double *F = NULL;
    memset(p, 0, sizeof *p);
    p->T = deal->periods;
    p->dt = deal->period_months / 12.0;
    p->seed = seed;
    p->nlines = deal->nlines;
    p->nsectors = deal->nsectors > 0 ? deal->nsectors : 1;
    p->ntranches = deal->structure.ntranches;
    p->copula = deal->correlation.model;
    p->dof = deal->correlation.dof;
    p->recovery_haircut = sc->recovery_haircut;

    rc = absim_rate_plan_init(&p->rates, &deal->rates, sc->rate_shift, p->T, p->dt);
    if (rc != ABSIM_OK)
        goto cleanup;
    rc = absim_pool_plan_init(&p->pool, deal, sc->cpr_multiplier);
    if (rc != ABSIM_OK)
        goto cleanup;

    p->lines = calloc((size_t)p->nlines, sizeof *p->lines);
    F = malloc((size_t)(p->T + 1) * sizeof *F);
    if (!p->lines || !F) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory preparing %d pool lines", p->nlines);
        goto cleanup;
    }
    double bg2 = scenario_systematic(deal, sc);
    int override_law = sc->law_override_value >= 0.0 ? (int)sc->law_override : -1;
    for (int l = 0; l < p->nlines; l++) {
        const absim_line *line = &deal->lines[l];
        int s = line->sector_index;
        double mult = sc->pd_multiplier ? sc->pd_multiplier[s] : 1.0;
        absim_law_default_cdf(line, p->T, deal->period_months, mult, override_law, sc->law_override_value, F);
        rc = absim_line_model_init(&p->lines[l], F, p->T, line->count, s, bg2,
                                   scenario_sector_loading(deal, sc, s), p->copula, p->dof, -1);
        if (rc != ABSIM_OK)
            goto cleanup;
        if (p->lines[l].sampler == ABSIM_SAMPLER_BINOMIAL) {
            if (!p->phi_table && !(p->phi_table = absim_phi_table_alloc())) {
                rc = absim_error_set(ABSIM_ENOMEM, "out of memory for the Phi table");
                goto cleanup;
            }
            p->lines[l].phi = p->phi_table;
        }
    }

    p->single = calloc((size_t)p->nlines, sizeof *p->single);
    p->rec_fixed = calloc((size_t)p->nlines, sizeof *p->rec_fixed);
    p->rec_rate = calloc((size_t)p->nlines, sizeof *p->rec_rate);
    if (!p->single || !p->rec_fixed || !p->rec_rate) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory preparing %d pool lines", p->nlines);
        goto cleanup;
    }
    rc = absim_loan_set_alloc(&p->loans, p->nlines);
    if (rc != ABSIM_OK)
        goto cleanup;
    for (int l = 0; l < p->nlines; l++) {
        const absim_line_model *m = &p->lines[l];
        p->single[l] = m->sampler == ABSIM_SAMPLER_LOAN && m->count == 1 && m->last > 0;
        if (p->single[l] && (rc = absim_loan_set_line(&p->loans, l, m)) != ABSIM_OK)
            goto cleanup;
        p->rec_fixed[l] = (unsigned char)absim_recovery_is_fixed(p->pool.rec_mean[l], p->pool.rec_stdev[l]);
        if (p->rec_fixed[l]) /* draws nothing: the stream is not touched */
            p->rec_rate[l] = absim_recovery_draw(p->pool.rec_mean[l], p->pool.rec_stdev[l], p->pool.rec_loading[l],
                                                 p->recovery_haircut, 0.0, NULL);
    }
    p->single_end = malloc((size_t)p->nlines * sizeof *p->single_end);
    if (!p->single_end) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory preparing %d pool lines", p->nlines);
        goto cleanup;
    }
    for (int l = p->nlines - 1; l >= 0; l--)
        p->single_end[l] = l + 1 < p->nlines && p->single[l + 1] ? p->single_end[l + 1] : l + 1;

    rc = absim_waterfall_plan_init(&p->waterfall, deal, -1);
    if (rc != ABSIM_OK)
        goto cleanup;
    if (deal->isolation.enabled) {
        p->has_alt = 1;
        rc = absim_waterfall_plan_init(&p->waterfall_alt, deal, !deal->isolation.true_sale);
        if (rc != ABSIM_OK)
            goto cleanup;
    }
    rc = prepare_recovery_laws(p);
    if (rc != ABSIM_OK)
        goto cleanup;
    rc = set_pool_horizon(p);
    if (rc != ABSIM_OK)
        goto cleanup;
    if (deal->isolation.enabled && deal->isolation.originator_pd > 0.0) {
        double pd = deal->isolation.originator_pd;
        p->originator = 1;
        p->originator_loading = deal->isolation.originator_loading;
        p->originator_threshold = malloc((size_t)(p->T + 1) * sizeof *p->originator_threshold);
        if (!p->originator_threshold) {
            rc = absim_error_set(ABSIM_ENOMEM, "out of memory");
            goto cleanup;
        }
        p->originator_threshold[0] = -INFINITY;
        for (int k = 1; k <= p->T; k++) {
            double Fk = pd >= 1.0 ? 1.0 : 1.0 - pow(1.0 - pd, k * p->dt);
            p->originator_threshold[k] = Fk >= 1.0 ? INFINITY : gsl_cdf_ugaussian_Pinv(Fk);
        }
    }
    p->antithetic = deal->sim.antithetic;
    p->is_tranche = -1;
    p->zg_shift = 0.0;
    if (deal->sim.importance_sampling == ABSIM_IS_SHIFT) {
        p->zg_shift = deal->sim.is_shift;
    } else if (deal->sim.importance_sampling == ABSIM_IS_TRANCHE || deal->sim.importance_sampling == ABSIM_IS_AUTO) {
        int t = deal->sim.importance_sampling == ABSIM_IS_TRANCHE ? deal->sim.is_tranche : 0;
        p->is_tranche = t;
        p->zg_shift = absim_path_is_shift(p, deal, t);
    }
    if (deal->sim.qmc) {
        p->qmc = 1;
        p->antithetic = 0; /* QMC replaces antithetic pairs */
        int dim = 1 + p->nsectors + (p->copula == ABSIM_COPULA_STUDENT_T);
        p->qmc_dim = dim < ABSIM_SOBOL_MAXDIM ? dim : ABSIM_SOBOL_MAXDIM;
        absim_sobol_init(&p->sobol, p->qmc_dim);
        for (int r = 0; r < ABSIM_QMC_REPLICATES; r++) {
            absim_rng rng;
            /* Shifts come from a stream no path uses: path index 2^64-1-r. */
            absim_rng_open(&rng, seed, UINT64_MAX - (uint64_t)r, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 1));
            for (int d = 0; d < p->qmc_dim; d++)
                p->qmc_shift[r][d] = (uint32_t)(absim_rng_u64(&rng) >> 32);
        }
    }

cleanup:
    free(F);
    if (rc != ABSIM_OK)
        absim_sim_plan_free(p);
    return rc;
}

void absim_path_scratch_free(absim_path_scratch *s)
{
    free(s->zs);
    free(s->r);
    free(s->dline);
    free(s->ev_line);
    free(s->ev_period);
    free(s->ev_count);
    free(s->ev_rec);
    free(s->rec_idx);
    free(s->rec_w);
    absim_collateral_free(&s->collateral);
    memset(s, 0, sizeof *s);
}

int absim_path_scratch_alloc(absim_path_scratch *s, const absim_sim_plan *p)
{
    int64_t cells = 1;
    for (int l = 0; l < p->nlines; l++)
        cells += p->lines[l].count < p->lines[l].last ? p->lines[l].count : p->lines[l].last;
    memset(s, 0, sizeof *s);
    s->zs = calloc((size_t)p->nsectors, sizeof *s->zs);
    s->r = calloc((size_t)p->T, sizeof *s->r);
    s->dline = calloc((size_t)p->T, sizeof *s->dline);
    s->ev_cap = cells;
    s->ev_line = malloc((size_t)cells * sizeof *s->ev_line);
    s->ev_period = malloc((size_t)cells * sizeof *s->ev_period);
    s->ev_count = malloc((size_t)cells * sizeof *s->ev_count);
    s->ev_rec = malloc((size_t)cells * sizeof *s->ev_rec);
    s->rec_idx = malloc(((size_t)p->nlines + 1) * sizeof *s->rec_idx);
    s->rec_w = malloc(2 * ((size_t)p->nlines + 1) * sizeof *s->rec_w);
    if (!s->zs || !s->r || !s->dline || !s->ev_line || !s->ev_period || !s->ev_count || !s->ev_rec ||
        !s->rec_idx || !s->rec_w ||
        absim_collateral_alloc(&s->collateral, p->T) != ABSIM_OK) {
        absim_path_scratch_free(s);
        return absim_error_set(ABSIM_ENOMEM, "out of memory allocating path scratch (%lld events)",
                               (long long)cells);
    }
    return ABSIM_OK;
}

double absim_path_is_shift(const absim_sim_plan *p, const absim_deal *deal, int tranche)
{
    double pool = p->pool.original_balance, attach = 0.0;
    if (tranche < 0 || tranche >= deal->structure.ntranches || pool <= 0.0)
        return 0.0;
    for (int t = tranche + 1; t < deal->structure.ntranches; t++)
        attach += deal->structure.tranches[t].balance;
    attach /= pool;
    if (attach <= 0.0)
        return 0.0;
    /* Large-pool loss given Z_g = z: sum_l balance (1 - recovery) q_l(z). */
    double lo = -8.0, hi = 0.0;
    for (int it = 0; it < 100; it++) {
        double z = it == 0 ? 0.0 : 0.5 * (lo + hi), loss = 0.0;
        for (int l = 0; l < p->nlines; l++) {
            const absim_line_model *m = &p->lines[l];
            if (m->last == 0)
                continue;
            double c = sqrt(1.0 - m->bg * m->bg);
            double q = c > 0 ? gsl_cdf_ugaussian_P((m->threshold[m->last] - m->bg * z) / c)
                             : (m->bg * z <= m->threshold[m->last]);
            loss += deal->lines[l].balance * (1.0 - p->pool.rec_mean[l]) * q;
        }
        loss /= pool;
        if (it == 0) {
            if (loss >= attach)
                return 0.0;
            continue;
        }
        if (loss >= attach)
            lo = z;
        else
            hi = z;
        if (hi - lo < 1e-6)
            break;
    }
    return 0.5 * (lo + hi);
}

/* Factors of path `path` from its replicate's shifted Sobol point. */
static void qmc_factors(const absim_sim_plan *p, uint64_t path, absim_rng *rng, absim_factors *f)
{
    double u[ABSIM_SOBOL_MAXDIM];
    int r = (int)(path % ABSIM_QMC_REPLICATES);
    absim_sobol_point_shifted(&p->sobol, (uint32_t)(path / ABSIM_QMC_REPLICATES), p->qmc_shift[r], u);
    int d = 0;
    f->zg = gsl_cdf_ugaussian_Pinv(u[d++]);
    for (int i = 0; i < p->nsectors; i++)
        f->zs[i] = d < p->qmc_dim ? gsl_cdf_ugaussian_Pinv(u[d++]) : absim_rng_gaussian_icdf(rng);
    f->mix = 1.0;
    if (p->copula == ABSIM_COPULA_STUDENT_T) {
        double w = d < p->qmc_dim ? gsl_cdf_chisq_Pinv(u[d], p->dof) : 0.0;
        if (d >= p->qmc_dim) {
            gsl_rng g;
            absim_rng_bind_gsl(&g, rng);
            w = gsl_ran_chisq(&g, p->dof);
        }
        f->mix = sqrt(w / p->dof);
    }
}

/* Period of the originator's default (0 = none within T). */
static int originator_default_period(const absim_sim_plan *p, uint64_t path, double zg)
{
    absim_rng rng;
    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_ORIGINATOR, 0));
    double b = p->originator_loading;
    double x = b * zg + sqrt(1.0 - b * b) * absim_rng_gaussian_icdf(&rng);
    if (!(x <= p->originator_threshold[p->T]))
        return 0;
    int lo = 1, hi = p->T; /* smallest k with x <= threshold[k] */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x <= p->originator_threshold[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void absim_path_simulate(const absim_sim_plan *p, uint64_t path, absim_path_scratch *s, absim_path_result *out)
{
    const int T = p->T;
    absim_rng rng;
    absim_factors f;

    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    absim_rate_path(&p->rates, &rng, s->r);

    /* Antithetic pairs (2i, 2i+1) share the factor stream of 2i; the odd
     * path uses the opposite signs. */
    uint64_t factor_path = p->antithetic ? (path & ~(uint64_t)1) : path;
    absim_rng_open(&rng, p->seed, factor_path, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    f.zs = s->zs;
    if (p->qmc)
        qmc_factors(p, path, &rng, &f);
    else
        absim_factors_draw(p->copula, p->dof, p->nsectors, 0.0, &rng, &f);
    if (p->antithetic && (path & 1)) {
        f.zg = -f.zg;
        for (int i = 0; i < p->nsectors; i++)
            f.zs[i] = -f.zs[i];
    }
    out->weight = 1.0;
    if (p->zg_shift != 0.0) {
        /* Z_g drawn from N(mu, 1): likelihood ratio phi(z)/phi(z - mu). */
        double mu = p->zg_shift;
        f.zg += mu;
        out->weight = exp(-mu * f.zg + 0.5 * mu * mu);
    }

    /* Defaults, as events in line order. Loan-level lines (one loan, one
     * draw) are batched: two latent words per Philox4x32 block, each a
     * ziggurat normal compared with the loan's threshold. */
    int nev = 0, nrec = 0;
    for (int l = 0; l < p->nlines;) {
        const absim_line_model *m = &p->lines[l];
        if (p->single[l]) {
            const int e = p->single_end[l] - l > ABSIM_PATH_BATCH ? l + ABSIM_PATH_BATCH : p->single_end[l];
            absim_loans_latent(&p->loans, p->seed, path, l, e - l, s->w, s->e);
            const int nd = absim_loans_sample(&p->loans, l, e - l, &f, s->e, s->period, s->def);
            for (int j = 0; j < nd; j++) {
                const int i = s->def[j];
                s->ev_line[nev] = l + i;
                s->ev_period[nev] = s->period[i];
                s->ev_count[nev] = 1;
                absim_pool_prefetch(&p->pool, l + i, s->period[i]);
                s->rec_idx[nrec] = (uint32_t)(l + i);
                nrec += !p->rec_fixed[l + i];
                nev++;
            }
            l = e;
            continue;
        }
        if (m->last > 0) {
            int64_t *d = s->dline;
            absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, l));
            if (absim_line_sample_defaults(m, &f, &rng, d) > 0)
                for (int k = 0; k < m->last; k++)
                    if (d[k] > 0) {
                        s->ev_line[nev] = l;
                        s->ev_period[nev] = k + 1;
                        s->ev_count[nev] = d[k];
                        nev++;
                    }
        }
        l++;
    }

    /* Recovery-rate sums of the events, per line in period order from the
     * line's RECOVERY stream (a fixed rate draws nothing: n x rate). A
     * one-loan line's stream starts with its Philox4x32 block, made here
     * for all of the path's one-loan defaulters at once. */
    s->nev = nev;
    if (nrec > 0)
        absim_rng_blocks32(p->seed, path, ABSIM_STREAM_RECOVERY, s->rec_idx, nrec, s->rec_w);
    for (int j = 0, jr = 0; j < nev;) {
        const int l = s->ev_line[j];
        int e = j + 1;
        while (e < nev && s->ev_line[e] == l)
            e++;
        if (p->rec_fixed[l]) {
            for (; j < e; j++)
                s->ev_rec[j] = (double)s->ev_count[j] * p->rec_rate[l];
            continue;
        }
        if (p->single[l]) { /* one event, one loan */
            absim_rng_open_words(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, l), s->rec_w[2 * jr],
                                 s->rec_w[2 * jr + 1]);
            jr++;
            s->ev_rec[j] = absim_path_recovery(p, l, f.zg, &rng);
            j = e;
            continue;
        }
        absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, l));
        for (; j < e; j++) {
            double sum = 0.0;
            for (int64_t i = 0; i < s->ev_count[j]; i++)
                sum += absim_path_recovery(p, l, f.zg, &rng);
            s->ev_rec[j] = sum;
        }
    }

    out->originator_default = p->originator ? originator_default_period(p, path, f.zg) : 0;

    absim_pool_path_events(&p->pool, s->r, nev, s->ev_line, s->ev_period, s->ev_count, s->ev_rec, &s->collateral);

    double defaulted = 0.0, lost = 0.0;
    for (int k = 0; k < T; k++) {
        defaulted += s->collateral.defaults[k];
        lost += s->collateral.losses[k];
    }
    out->pool_default_rate = defaulted / p->pool.original_balance;
    out->pool_loss = lost / p->pool.original_balance;

    double err = absim_waterfall_run(&p->waterfall, &s->collateral, s->r, out->originator_default, &out->wf, NULL);
    out->conservation_error = fabs(err);
    if (p->has_alt) {
        err = absim_waterfall_run(&p->waterfall_alt, &s->collateral, s->r, out->originator_default, &out->wf_alt,
                                  NULL);
        if (fabs(err) > out->conservation_error)
            out->conservation_error = fabs(err);
    }
}
