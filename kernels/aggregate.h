/* aggregate.h -- streaming accumulation of per-path results into summaries.
 *
 * Paths are added one by one in global path order (the driver guarantees
 * it), so every floating-point sum is formed in the same order whatever the
 * thread or rank count: bitwise reproducible. Each tranche (and the pool
 * loss and default rate) keeps weighted moments and a fine histogram of
 * ABSIM_ACC_FINE_BINS bins on [0,1] (an exact atom at 0 is kept apart), so
 * VaR/ES can be read without the per-path sample with an error of at most
 * 1/ABSIM_ACC_FINE_BINS. With the sample available, absim_quantiles_exact
 * gives the exact (weighted) sample VaR/ES (SPEC: Acerbi-Tasche ES). */
#ifndef ABSIM_AGGREGATE_H
#define ABSIM_AGGREGATE_H

#include <stdint.h>

#define ABSIM_ACC_FINE_BINS 10000
#define ABSIM_HIST_BINS 100       /* bins of the stored histogram on [0,1] */
#define ABSIM_LOSS_EPS 1e-9       /* loss > eps counts as a default */

/* Distribution of one loss-like variable in [0,1]. */
typedef struct {
    double sum_w, sum_wx, sum_wx2;  /* weight, weighted sum, weighted sum of squares */
    double sum_w2x2;                /* sum (w x)^2 for the stderr with weights */
    double sum_w2x;                 /* sum w^2 x (pd stderr with weights) */
    double w_default;               /* weight of x > eps */
    double w_default2;              /* sum of w^2 over x > eps */
    double *fine_w;                 /* ABSIM_ACC_FINE_BINS+1: [0] atom at x<=eps, then bins */
    double *fine_wx;                /* same layout: weighted sum of x */
    uint64_t hist[ABSIM_HIST_BINS]; /* unweighted counts, bins [i/n, (i+1)/n), last closed */
    int64_t n;                      /* paths added */
} absim_dist;

typedef struct {
    int ntranches;
    absim_dist *tranche;      /* ntranches */
    absim_dist pool_loss;
    absim_dist pool_default_rate;
    double *sum_w_pv;         /* per tranche: sum of w * pv_loss */
    double *sum_w_wal;        /* per tranche: sum of w * wal */
    double *sum_w_shortfall;  /* per tranche */
    double sum_w_irr;         /* residual IRR: sum over paths with finite IRR */
    double w_irr;
    int64_t originator_defaults;
    double sum_w_originator;  /* sum of w over paths whose originator defaulted */
} absim_acc;

int absim_acc_init(absim_acc *a, int ntranches);
void absim_acc_free(absim_acc *a);
void absim_acc_reset(absim_acc *a);

/* Add one path (weight w: 1 for plain Monte Carlo, the likelihood ratio
 * under importance sampling). */
void absim_acc_add(absim_acc *a, double w, const double *loss, const double *pv_loss, const double *wal,
                   const double *shortfall, double residual_irr, double pool_loss, double pool_default_rate,
                   int originator_defaulted);

/* Append b's paths after a's (a := a followed by b). Exact for counts;
 * sums are added in that order. */
void absim_acc_merge(absim_acc *a, const absim_acc *b);

/* Summary statistics (per tranche arrays, quantile arrays [nq * ntranches],
 * row q, column tranche). Allocated by absim_summary_init. */
typedef struct {
    int ntranches, nquantiles;
    int64_t paths;
    double *quantile_levels;    /* nq */
    double *expected_loss, *expected_loss_stderr, *default_probability, *default_probability_stderr,
        *loss_given_default, *pv_loss, *wal, *shortfall;
    double *var, *es;           /* nq * ntranches */
    double pool_expected_loss, pool_expected_loss_stderr, pool_expected_default_rate;
    double *pool_loss_q, *pool_loss_es, *pool_default_rate_q; /* nq */
    double residual_irr_mean;   /* NAN if none */
    double originator_default_rate;
    double hist_edges[ABSIM_HIST_BINS + 1];
    uint64_t *hist;             /* ntranches * ABSIM_HIST_BINS */
    char (*implied_rating)[16]; /* ntranches; "n/a" until rated */
    double *variance_reduction;    /* per tranche: plain-MC variance of the EL estimator over this
                                      run's variance, on the same number of paths (1 = none) */
    double *pd_variance_reduction; /* same for the default probability */
    int exact_quantiles;        /* 1: from the sample; 0: from the fine histogram */
} absim_summary;

int absim_summary_init(absim_summary *s, int ntranches, int nquantiles, const double *levels);
void absim_summary_free(absim_summary *s);

/* Fill moments, histograms and accumulator-based VaR/ES from the
 * accumulator (sets exact_quantiles = 0). For losses in [0,1] the VaR and ES
 * are never below the exact sample values and exceed them by less than
 * 1/ABSIM_ACC_FINE_BINS; a VaR in the atom x <= ABSIM_LOSS_EPS is reported
 * as 0 (docs/statistics.md). With no paths every moment and quantile is 0
 * and residual_irr_mean NAN; standard errors are 0 below 2 paths. */
void absim_acc_summarize(const absim_acc *a, absim_summary *s);

/* Variance-reduction factors of s (from its current standard errors) against
 * plain Monte Carlo on the same number of paths, whose variance is
 * estimated from the same run: E_P[x^2] - EL^2 = sum(w x^2)/n - EL^2 (and
 * PD (1 - PD)). NAN where the standard error is 0. Called by
 * absim_acc_summarize; call again after replacing the standard errors
 * (antithetic pairs, QMC replicates). */
void absim_summary_variance_reduction(absim_summary *s, const absim_acc *a);

/* Exact weighted sample VaR and ES at `nq` levels of x[0..n-1] with weights
 * w (NULL = all 1; contiguous, w[i] belongs to x[i * stride]), stride
 * `stride` between consecutive samples of x. P uses the weights normalized
 * by their sum. VaR_q = min{x: P(L<=x) >= q}; ES_q Acerbi-Tasche. es may be
 * NULL. With n == 0 (or zero total weight) the results are NAN. Uses
 * `scratch` of 2n doubles (or allocates if NULL). Returns ABSIM_OK or
 * ABSIM_ENOMEM. */
int absim_quantiles_exact(const double *x, const double *w, int64_t n, int64_t stride, int nq,
                          const double *levels, double *var, double *es, double *scratch);

/* Reads rows [first, first+n) of one per-path column into x (and, when w
 * is non-NULL, the paths' weights into w). Returns 0, or -1 on failure. */
typedef int (*absim_column_reader)(void *ctx, int64_t first, int64_t n, double *x, double *w);

/* Exact (weighted) sample VaR and ES of a column whose accumulator `d`
 * holds all n paths, in bounded memory: the fine histogram locates the bin
 * holding each VaR, one streamed pass over the column collects the values
 * of those bins only (equal values merged), and the ES adds the histogram's
 * exact bin sums above. Same definitions and same VaR as
 * absim_quantiles_exact; memory grows with the number of distinct values in
 * the VaR bins, not with n. Returns ABSIM_OK, ABSIM_ENOMEM or ABSIM_EIO
 * (reader failure). */
int absim_quantiles_streamed(const absim_dist *d, absim_column_reader read, void *ctx, int64_t n, int weighted,
                             int nq, const double *levels, double *var, double *es);

#endif
