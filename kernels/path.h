/* path.h -- one Monte Carlo path, end to end: rates, factors, defaults,
 * recoveries, originator, pool cash flows and the waterfall.
 *
 * absim_sim_plan holds everything prepared once per (deal, scenario): the
 * rate plan, pool profiles, per-line default models and the waterfall
 * plan(s). absim_path_simulate() is pure: its result depends only on the
 * plan, the seed and the global path index, and it writes only into the
 * caller's scratch and result (no allocation, no I/O). */
#ifndef ABSIM_PATH_H
#define ABSIM_PATH_H

#include <stdint.h>

#include "copula.h"
#include "beta.h"
#include "deal.h"
#include "loans.h"
#include "pool.h"
#include "rates.h"
#include "sobol.h"
#include "waterfall.h"

/* Randomised QMC: path p belongs to replicate p % R and uses Sobol point
 * p / R of that replicate's digital shift; the R replicate means give the
 * standard error. */
#define ABSIM_QMC_REPLICATES 16

typedef struct {
    int T;
    double dt;
    uint64_t seed;
    int nlines, nsectors, ntranches;
    absim_copula copula;
    double dof;
    absim_rate_plan rates;
    absim_pool_plan pool;
    absim_line_model *lines;        /* nlines */
    double *phi_table;         /* absim_phi_table_alloc, when a line uses the binomial sampler */
    double recovery_haircut;
    absim_waterfall_plan waterfall; /* as configured */
    int has_alt;                    /* isolation enabled: also run the other true_sale leg */
    absim_waterfall_plan waterfall_alt;
    /* originator default: X_o = b Z_g + sqrt(1-b^2) e_o <= threshold[k] */
    int originator;                 /* 1 if isolation is enabled with originator_pd > 0 */
    double originator_loading;
    double *originator_threshold;   /* length T+1 */
    double zg_shift;                /* importance-sampling mean shift of Z_g (0 = plain MC) */
    int is_tranche;                 /* tranche the shift was chosen for (-1: given or none) */
    int antithetic;                 /* paths 2i and 2i+1 use opposite factor signs */
    int qmc;                        /* 1: systematic factors from randomised Sobol points */
    int qmc_dim;                    /* Sobol dimensions used (<= ABSIM_SOBOL_MAXDIM) */
    absim_sobol sobol;
    uint32_t qmc_shift[ABSIM_QMC_REPLICATES][ABSIM_SOBOL_MAXDIM]; /* random digital shifts */
    /* hot per-line data of the path loop (length nlines) */
    unsigned char *single;          /* 1: one loan, loan-by-loan sampler, last > 0 (batched draws) */
    int *single_end;                /* for a single line l: the end of its run of single lines */
    absim_loan_set loans;           /* hot data of the single lines */
    unsigned char *rec_fixed;       /* 1: the recovery rate is fixed (no draw): rec_rate */
    double *rec_rate;               /* fixed recovery rate after the haircut */
    int *rec_law;                   /* index into rec_laws of a Beta recovery without
                                     * systematic loading, else -1 */
    absim_beta_law *rec_laws;       /* one per distinct (a, b) */
    int nrec_laws;
} absim_sim_plan;

/* Prepare for one scenario (the base when sc is the neutral scenario). */
int absim_sim_plan_init(absim_sim_plan *p, const absim_deal *deal, const absim_scenario *sc, uint64_t seed);
void absim_sim_plan_free(absim_sim_plan *p);

/* Loan-level lines whose first draws are computed in one batch. */
#define ABSIM_PATH_BATCH 64

/* Per-thread working memory, allocated once. A path's defaults are a
 * sparse event list (line, period, count, recovery-rate sum), grouped by
 * line in line order and by period within a line: at most
 * sum over lines of min(count, last) events. */
typedef struct {
    double *zs;            /* nsectors */
    double *r;             /* T */
    int64_t *dline;        /* T: one line's defaults by period (general samplers) */
    int64_t ev_cap;        /* capacity of the event arrays */
    int *ev_line, *ev_period; /* ev_cap */
    int64_t *ev_count;     /* ev_cap */
    double *ev_rec;        /* ev_cap */
    int nev;               /* events of the last path simulated (ev_* hold them) */
    uint32_t *rec_idx;     /* nlines: one-loan defaulters with a random recovery, in event order */
    uint64_t *rec_w;       /* 2 nlines: their first two recovery words (absim_rng_blocks32) */
    uint64_t w[ABSIM_PATH_BATCH];  /* latent words of a batch of one-loan lines */
    double e[ABSIM_PATH_BATCH];    /* their latent normals */
    int period[ABSIM_PATH_BATCH];
    int def[ABSIM_PATH_BATCH];
    absim_collateral collateral;
} absim_path_scratch;

int absim_path_scratch_alloc(absim_path_scratch *s, const absim_sim_plan *p);
void absim_path_scratch_free(absim_path_scratch *s);

typedef struct {
    absim_waterfall_result wf;      /* the configured structure */
    absim_waterfall_result wf_alt;  /* the other isolation leg (has_alt) */
    double pool_loss;               /* (defaulted principal - recoveries) / original pool */
    double pool_default_rate;       /* defaulted principal / original pool */
    double weight;                  /* likelihood ratio (1 without importance sampling) */
    int originator_default;         /* period, 0 = none */
    double conservation_error;      /* |cash in - cash out| of the waterfall */
} absim_path_result;

/* Importance-sampling mean shift of Z_g that puts the large-pool expected
 * loss given Z_g at the attachment point of tranche `tranche` (0 if that
 * loss is already reached at Z_g = 0). Tail matching as in Glasserman and
 * Li (2005): the shifted measure makes the tranche's losses typical. */
double absim_path_is_shift(const absim_sim_plan *p, const absim_deal *deal, int tranche);

/* Recovery rate of one defaulted loan of line l (a line without a fixed
 * rate) from the line's RECOVERY stream r: the line's Beta law, times
 * (1 - recovery_haircut), clamped to [0, 1] (absim_recovery_draw() with
 * the law prepared once). */
double absim_path_recovery(const absim_sim_plan *p, int l, double zg, absim_rng *r);

/* Simulate global path `path`. */
void absim_path_simulate(const absim_sim_plan *p, uint64_t path, absim_path_scratch *s, absim_path_result *out);

#endif
