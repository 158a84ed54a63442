/* aggregate.c -- streaming accumulation of per-path results (aggregate.h).
 *
 * Every sum is formed in the order the paths are added, so results are
 * bitwise reproducible for a given order. Estimators (n = paths added, w =
 * path weight, 1 for plain Monte Carlo, the likelihood ratio under
 * importance sampling):
 *   EL = sum(w x) / n, stderr = sqrt(var(w x) / n) (sample variance, n-1);
 *   PD = sum(w 1{x > eps}) / n, stderr likewise; LGD = EL / PD (0 if PD = 0);
 *   pv_loss, wal, shortfall = sum(w v) / n;
 *   residual IRR = sum(w irr) / sum(w) over the paths with a finite IRR.
 * Dividing by n (not by sum w) keeps the importance-sampling estimators
 * unbiased. VaR/ES from the fine histogram are read at the upper edge of the
 * bin holding the sample VaR: both are >= the exact sample values and
 * exceed them by less than 1/ABSIM_ACC_FINE_BINS (docs/statistics.md). */
#include "aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* Relative tolerance of the test P(L <= x) >= q: absorbs the rounding of
 * q x total, so that 90 of 100 equally weighted paths reach q = 0.9. */
#define LEVEL_RTOL 1e-12

/* Fine bin of x: 0 for the atom x <= eps (and NaN), else k in
 * 1..ABSIM_ACC_FINE_BINS with (k-1)/N < x <= k/N, the edges being the
 * doubles k / (double)N; values above 1 go to the last bin. */
static int fine_bin(double x)
{
    const int nb = ABSIM_ACC_FINE_BINS;
    const double n = (double)nb;
    if (!(x > ABSIM_LOSS_EPS))
        return 0;
    if (x >= 1.0)
        return nb;
    int k = (int)ceil(x * n);
    if (k < 1)
        k = 1;
    if (k > nb)
        k = nb;
    if (k < nb && x > (double)k / n)
        k++;
    else if (k > 1 && x <= (double)(k - 1) / n)
        k--;
    return k;
}

/* Stored-histogram bin of x: i with i/N <= x < (i+1)/N, the last bin
 * closed; values below 0 (and NaN) go to bin 0, above 1 to the last. */
static int hist_bin(double x)
{
    const int nb = ABSIM_HIST_BINS;
    const double n = (double)nb;
    if (!(x > 0.0))
        return 0;
    if (x >= 1.0)
        return nb - 1;
    int i = (int)floor(x * n);
    if (i < 0)
        i = 0;
    if (i > nb - 1)
        i = nb - 1;
    if (i < nb - 1 && x >= (double)(i + 1) / n)
        i++;
    else if (i > 0 && x < (double)i / n)
        i--;
    return i;
}

/* 1 when the cumulative weight `cum` reaches level q of `total`. */
static int reaches(double cum, double q, double total)
{
    return cum >= q * total - LEVEL_RTOL * total;
}

static int dist_init(absim_dist *d)
{
    memset(d, 0, sizeof *d);
    d->fine_w = calloc(ABSIM_ACC_FINE_BINS + 1, sizeof *d->fine_w);
    d->fine_wx = calloc(ABSIM_ACC_FINE_BINS + 1, sizeof *d->fine_wx);
    if (!d->fine_w || !d->fine_wx) {
        free(d->fine_w);
        free(d->fine_wx);
        memset(d, 0, sizeof *d);
        return ABSIM_ENOMEM;
    }
    return ABSIM_OK;
}

static void dist_free(absim_dist *d)
{
    free(d->fine_w);
    free(d->fine_wx);
    memset(d, 0, sizeof *d);
}

static void dist_reset(absim_dist *d)
{
    double *fw = d->fine_w, *fwx = d->fine_wx;
    memset(d, 0, sizeof *d);
    d->fine_w = fw;
    d->fine_wx = fwx;
    if (fw)
        memset(fw, 0, (ABSIM_ACC_FINE_BINS + 1) * sizeof *fw);
    if (fwx)
        memset(fwx, 0, (ABSIM_ACC_FINE_BINS + 1) * sizeof *fwx);
}

static void dist_add(absim_dist *d, double w, double x)
{
    const double wx = w * x;
    const int k = fine_bin(x);
    d->sum_w += w;
    d->sum_wx += wx;
    d->sum_wx2 += wx * x;
    d->sum_w2x2 += wx * wx;
    d->sum_w2x += w * wx;
    if (k > 0) {
        d->w_default += w;
        d->w_default2 += w * w;
    }
    d->fine_w[k] += w;
    d->fine_wx[k] += wx;
    d->hist[hist_bin(x)]++;
    d->n++;
}

static void dist_merge(absim_dist *a, const absim_dist *b)
{
    a->sum_w += b->sum_w;
    a->sum_wx += b->sum_wx;
    a->sum_wx2 += b->sum_wx2;
    a->sum_w2x2 += b->sum_w2x2;
    a->sum_w2x += b->sum_w2x;
    a->w_default += b->w_default;
    a->w_default2 += b->w_default2;
    for (int k = 0; k <= ABSIM_ACC_FINE_BINS; k++) {
        a->fine_w[k] += b->fine_w[k];
        a->fine_wx[k] += b->fine_wx[k];
    }
    for (int i = 0; i < ABSIM_HIST_BINS; i++)
        a->hist[i] += b->hist[i];
    a->n += b->n;
}

int absim_acc_init(absim_acc *a, int ntranches)
{
    int rc = ABSIM_OK, ndist = 0;
    memset(a, 0, sizeof *a);
    if (ntranches < 0)
        return absim_error_set(ABSIM_EINVAL, "accumulator: negative tranche count %d", ntranches);
    a->ntranches = ntranches;
    const size_t nt = ntranches > 0 ? (size_t)ntranches : 1;
    a->tranche = calloc(nt, sizeof *a->tranche);
    a->sum_w_pv = calloc(nt, sizeof *a->sum_w_pv);
    a->sum_w_wal = calloc(nt, sizeof *a->sum_w_wal);
    a->sum_w_shortfall = calloc(nt, sizeof *a->sum_w_shortfall);
    if (!a->tranche || !a->sum_w_pv || !a->sum_w_wal || !a->sum_w_shortfall) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    for (; ndist < ntranches; ndist++)
        if ((rc = dist_init(&a->tranche[ndist])) != ABSIM_OK)
            goto cleanup;
    if ((rc = dist_init(&a->pool_loss)) != ABSIM_OK)
        goto cleanup;
    if ((rc = dist_init(&a->pool_default_rate)) != ABSIM_OK)
        goto cleanup;
    return ABSIM_OK;

cleanup:
    if (a->tranche)
        for (int i = 0; i < ndist; i++)
            dist_free(&a->tranche[i]);
    dist_free(&a->pool_loss);
    free(a->tranche);
    free(a->sum_w_pv);
    free(a->sum_w_wal);
    free(a->sum_w_shortfall);
    memset(a, 0, sizeof *a);
    return absim_error_set(rc, "out of memory for the accumulator of %d tranches", ntranches);
}

void absim_acc_free(absim_acc *a)
{
    if (a->tranche)
        for (int i = 0; i < a->ntranches; i++)
            dist_free(&a->tranche[i]);
    dist_free(&a->pool_loss);
    dist_free(&a->pool_default_rate);
    free(a->tranche);
    free(a->sum_w_pv);
    free(a->sum_w_wal);
    free(a->sum_w_shortfall);
    memset(a, 0, sizeof *a);
}

void absim_acc_reset(absim_acc *a)
{
    for (int i = 0; i < a->ntranches; i++) {
        dist_reset(&a->tranche[i]);
        a->sum_w_pv[i] = 0.0;
        a->sum_w_wal[i] = 0.0;
        a->sum_w_shortfall[i] = 0.0;
    }
    dist_reset(&a->pool_loss);
    dist_reset(&a->pool_default_rate);
    a->sum_w_irr = 0.0;
    a->w_irr = 0.0;
    a->sum_w_originator = 0.0;
    a->originator_defaults = 0;
}

void absim_acc_add(absim_acc *a, double w, const double *loss, const double *pv_loss, const double *wal,
                   const double *shortfall, double residual_irr, double pool_loss, double pool_default_rate,
                   int originator_defaulted)
{
    for (int t = 0; t < a->ntranches; t++) {
        dist_add(&a->tranche[t], w, loss[t]);
        if (pv_loss)
            a->sum_w_pv[t] += w * pv_loss[t];
        if (wal)
            a->sum_w_wal[t] += w * wal[t];
        if (shortfall)
            a->sum_w_shortfall[t] += w * shortfall[t];
    }
    dist_add(&a->pool_loss, w, pool_loss);
    dist_add(&a->pool_default_rate, w, pool_default_rate);
    if (isfinite(residual_irr)) {
        a->sum_w_irr += w * residual_irr;
        a->w_irr += w;
    }
    if (originator_defaulted) {
        a->originator_defaults++;
        a->sum_w_originator += w;
    }
}

void absim_acc_merge(absim_acc *a, const absim_acc *b)
{
    const int nt = a->ntranches < b->ntranches ? a->ntranches : b->ntranches;
    for (int t = 0; t < nt; t++) {
        dist_merge(&a->tranche[t], &b->tranche[t]);
        a->sum_w_pv[t] += b->sum_w_pv[t];
        a->sum_w_wal[t] += b->sum_w_wal[t];
        a->sum_w_shortfall[t] += b->sum_w_shortfall[t];
    }
    dist_merge(&a->pool_loss, &b->pool_loss);
    dist_merge(&a->pool_default_rate, &b->pool_default_rate);
    a->sum_w_irr += b->sum_w_irr;
    a->w_irr += b->w_irr;
    a->sum_w_originator += b->sum_w_originator;
    a->originator_defaults += b->originator_defaults;
}

int absim_summary_init(absim_summary *s, int ntranches, int nquantiles, const double *levels)
{
    memset(s, 0, sizeof *s);
    if (ntranches < 0 || nquantiles < 0)
        return absim_error_set(ABSIM_EINVAL, "summary: bad sizes (%d tranches, %d quantiles)", ntranches,
                               nquantiles);
    const size_t nt = ntranches > 0 ? (size_t)ntranches : 1;
    const size_t nq = nquantiles > 0 ? (size_t)nquantiles : 1;
    s->ntranches = ntranches;
    s->nquantiles = nquantiles;
    s->quantile_levels = calloc(nq, sizeof(double));
    s->expected_loss = calloc(nt, sizeof(double));
    s->expected_loss_stderr = calloc(nt, sizeof(double));
    s->variance_reduction = calloc(nt, sizeof(double));
    s->pd_variance_reduction = calloc(nt, sizeof(double));
    s->default_probability = calloc(nt, sizeof(double));
    s->default_probability_stderr = calloc(nt, sizeof(double));
    s->loss_given_default = calloc(nt, sizeof(double));
    s->pv_loss = calloc(nt, sizeof(double));
    s->wal = calloc(nt, sizeof(double));
    s->shortfall = calloc(nt, sizeof(double));
    s->var = calloc(nq * nt, sizeof(double));
    s->es = calloc(nq * nt, sizeof(double));
    s->pool_loss_q = calloc(nq, sizeof(double));
    s->pool_loss_es = calloc(nq, sizeof(double));
    s->pool_default_rate_q = calloc(nq, sizeof(double));
    s->hist = calloc(nt * ABSIM_HIST_BINS, sizeof(uint64_t));
    s->implied_rating = calloc(nt, sizeof *s->implied_rating);
    if (!s->quantile_levels || !s->expected_loss || !s->expected_loss_stderr || !s->default_probability ||
        !s->variance_reduction || !s->pd_variance_reduction ||
        !s->default_probability_stderr || !s->loss_given_default || !s->pv_loss || !s->wal || !s->shortfall ||
        !s->var || !s->es || !s->pool_loss_q || !s->pool_loss_es || !s->pool_default_rate_q || !s->hist ||
        !s->implied_rating) {
        absim_summary_free(s);
        return absim_error_set(ABSIM_ENOMEM, "out of memory for the summary of %d tranches", ntranches);
    }
    for (int j = 0; j < nquantiles; j++)
        s->quantile_levels[j] = levels ? levels[j] : 0.0;
    for (int t = 0; t < ntranches; t++)
        strcpy(s->implied_rating[t], "n/a");
    for (int i = 0; i <= ABSIM_HIST_BINS; i++)
        s->hist_edges[i] = (double)i / (double)ABSIM_HIST_BINS;
    s->residual_irr_mean = NAN;
    return ABSIM_OK;
}

void absim_summary_free(absim_summary *s)
{
    free(s->quantile_levels);
    free(s->expected_loss);
    free(s->expected_loss_stderr);
    free(s->variance_reduction);
    free(s->pd_variance_reduction);
    free(s->default_probability);
    free(s->default_probability_stderr);
    free(s->loss_given_default);
    free(s->pv_loss);
    free(s->wal);
    free(s->shortfall);
    free(s->var);
    free(s->es);
    free(s->pool_loss_q);
    free(s->pool_loss_es);
    free(s->pool_default_rate_q);
    free(s->hist);
    free(s->implied_rating);
    memset(s, 0, sizeof *s);
}

/* Standard error of the mean of a variable y over n paths from sum y and
 * sum y^2 (sample variance with n - 1; 0 when n < 2). */
static double mean_stderr(double sum, double sum2, int64_t n)
{
    if (n < 2)
        return 0.0;
    const double dn = (double)n, m = sum / dn;
    double v = (sum2 / dn - m * m) * dn / (dn - 1.0);
    if (!(v > 0.0))
        return 0.0;
    return sqrt(v / dn);
}

/* VaR and ES at the given levels from d's fine histogram; results written
 * at var[j * stride] and es[j * stride] (es may be NULL). */
static void fine_quantiles(const absim_dist *d, int nq, const double *levels, double *var, double *es, int stride)
{
    const int nb = ABSIM_ACC_FINE_BINS;
    double total = 0.0;
    for (int k = 0; k <= nb; k++)
        total += d->fine_w[k];
    for (int j = 0; j < nq; j++) {
        const double q = levels[j];
        double cum = 0.0;
        int kstar = -1, last = 0;
        if (!(total > 0.0)) {
            var[(size_t)j * (size_t)stride] = 0.0;
            if (es)
                es[(size_t)j * (size_t)stride] = 0.0;
            continue;
        }
        for (int k = 0; k <= nb; k++) {
            if (d->fine_w[k] == 0.0)
                continue;
            cum += d->fine_w[k];
            last = k;
            if (reaches(cum, q, total)) {
                kstar = k;
                break;
            }
        }
        if (kstar < 0) { /* rounding: q above the last mass */
            kstar = last;
            cum = total;
        }
        const double v = kstar == 0 ? 0.0 : (double)kstar / (double)nb;
        var[(size_t)j * (size_t)stride] = v;
        if (es) {
            double tail = 0.0, excess = cum / total - q;
            for (int k = kstar + 1; k <= nb; k++)
                tail += d->fine_wx[k];
            if (excess < 0.0)
                excess = 0.0;
            es[(size_t)j * (size_t)stride] = q < 1.0 ? (tail / total + v * excess) / (1.0 - q) : v;
        }
    }
}

void absim_acc_summarize(const absim_acc *a, absim_summary *s)
{
    const int64_t n = a->pool_loss.n;
    const double dn = n > 0 ? (double)n : 1.0;
    const int nt = s->ntranches < a->ntranches ? s->ntranches : a->ntranches;
    const int nq = s->nquantiles;

    s->paths = n;
    for (int t = 0; t < nt; t++) {
        const absim_dist *d = &a->tranche[t];
        s->expected_loss[t] = d->sum_wx / dn;
        s->expected_loss_stderr[t] = mean_stderr(d->sum_wx, d->sum_w2x2, n);
        s->default_probability[t] = d->w_default / dn;
        s->default_probability_stderr[t] = mean_stderr(d->w_default, d->w_default2, n);
        s->loss_given_default[t] =
            s->default_probability[t] > 0.0 ? s->expected_loss[t] / s->default_probability[t] : 0.0;
        s->pv_loss[t] = a->sum_w_pv[t] / dn;
        s->wal[t] = a->sum_w_wal[t] / dn;
        s->shortfall[t] = a->sum_w_shortfall[t] / dn;
        fine_quantiles(d, nq, s->quantile_levels, s->var + t, s->es + t, s->ntranches);
        memcpy(s->hist + (size_t)t * ABSIM_HIST_BINS, d->hist, sizeof d->hist);
    }
    s->pool_expected_loss = a->pool_loss.sum_wx / dn;
    s->pool_expected_loss_stderr = mean_stderr(a->pool_loss.sum_wx, a->pool_loss.sum_w2x2, n);
    s->pool_expected_default_rate = a->pool_default_rate.sum_wx / dn;
    fine_quantiles(&a->pool_loss, nq, s->quantile_levels, s->pool_loss_q, s->pool_loss_es, 1);
    fine_quantiles(&a->pool_default_rate, nq, s->quantile_levels, s->pool_default_rate_q, NULL, 1);
    s->residual_irr_mean = a->w_irr > 0.0 ? a->sum_w_irr / a->w_irr : NAN;
    s->originator_default_rate = a->sum_w_originator / dn;
    absim_summary_variance_reduction(s, a);
    for (int i = 0; i <= ABSIM_HIST_BINS; i++)
        s->hist_edges[i] = (double)i / (double)ABSIM_HIST_BINS;
    s->exact_quantiles = 0;
}

/* Order of (value, index) pairs: by value, ties by index (a total order,
 * so the sorted sequence does not depend on the qsort implementation). */
static int pair_cmp(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    if (a[0] < b[0])
        return -1;
    if (a[0] > b[0])
        return 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

int absim_quantiles_exact(const double *x, const double *w, int64_t n, int64_t stride, int nq,
                          const double *levels, double *var, double *es, double *scratch)
{
    double *pair = scratch, *owned = NULL;
    double total = 0.0;
    if (n <= 0) {
        for (int j = 0; j < nq; j++) {
            var[j] = NAN;
            if (es)
                es[j] = NAN;
        }
        return ABSIM_OK;
    }
    if (!pair) {
        owned = malloc((size_t)n * 2 * sizeof *owned);
        if (!owned)
            return absim_error_set(ABSIM_ENOMEM, "out of memory sorting %lld samples", (long long)n);
        pair = owned;
    }
    for (int64_t i = 0; i < n; i++) {
        pair[2 * i] = x[i * stride];
        pair[2 * i + 1] = (double)i;
    }
    qsort(pair, (size_t)n, 2 * sizeof *pair, pair_cmp);
    /* Replace each index by its weight: pair[2i+1] = w of the i-th smallest. */
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[(int64_t)pair[2 * i + 1]] : 1.0;
        pair[2 * i + 1] = wi;
        total += wi;
    }
    for (int j = 0; j < nq; j++) {
        const double q = levels[j];
        double cum = 0.0, tail = 0.0;
        int64_t i = 0, istar = n - 1;
        if (!(total > 0.0)) {
            var[j] = NAN;
            if (es)
                es[j] = NAN;
            continue;
        }
        for (i = 0; i < n; i++) {
            cum += pair[2 * i + 1];
            if (reaches(cum, q, total)) {
                istar = i;
                break;
            }
        }
        if (i == n)
            cum = total;
        const double v = pair[2 * istar];
        /* P(L <= VaR) includes every sample tied with VaR. */
        for (i = istar + 1; i < n && pair[2 * i] <= v; i++)
            cum += pair[2 * i + 1];
        for (; i < n; i++)
            tail += pair[2 * i + 1] * pair[2 * i];
        var[j] = v;
        if (es) {
            double excess = cum / total - q;
            if (excess < 0.0)
                excess = 0.0;
            es[j] = q < 1.0 ? (tail / total + v * excess) / (1.0 - q) : v;
        }
    }
    free(owned);
    return ABSIM_OK;
}

void absim_summary_variance_reduction(absim_summary *s, const absim_acc *a)
{
    const int nt = s->ntranches < a->ntranches ? s->ntranches : a->ntranches;
    const double dn = (double)(a->pool_loss.n > 0 ? a->pool_loss.n : 1);
    for (int t = 0; t < nt; t++) {
        const absim_dist *d = &a->tranche[t];
        double el = s->expected_loss[t], pd = s->default_probability[t];
        double plain = d->sum_wx2 / dn - el * el;
        double se = s->expected_loss_stderr[t], sep = s->default_probability_stderr[t];
        s->variance_reduction[t] = se > 0.0 ? (plain > 0.0 ? plain : 0.0) / (dn * se * se) : NAN;
        s->pd_variance_reduction[t] = sep > 0.0 ? pd * (1.0 - pd) / (dn * sep * sep) : NAN;
    }
}

/* Values of one fine bin collected by absim_quantiles_streamed: (x, w)
 * pairs, compacted (sorted, equal x merged) when full. */
typedef struct {
    int bin;
    double *xw;      /* 2 * cap doubles */
    int64_t n, cap;
} bin_values;

static void bin_compact(bin_values *b)
{
    qsort(b->xw, (size_t)b->n, 2 * sizeof *b->xw, pair_cmp);
    int64_t m = 0;
    for (int64_t i = 0; i < b->n; i++) {
        if (m > 0 && b->xw[2 * (m - 1)] == b->xw[2 * i]) {
            b->xw[2 * (m - 1) + 1] += b->xw[2 * i + 1];
        } else {
            b->xw[2 * m] = b->xw[2 * i];
            b->xw[2 * m + 1] = b->xw[2 * i + 1];
            m++;
        }
    }
    b->n = m;
}

static int bin_push(bin_values *b, double x, double w)
{
    if (b->n == b->cap) {
        bin_compact(b);
        if (b->n > b->cap / 2) {
            int64_t cap = 2 * b->cap;
            double *xw = realloc(b->xw, (size_t)cap * 2 * sizeof *xw);
            if (!xw)
                return -1;
            b->xw = xw;
            b->cap = cap;
        }
    }
    b->xw[2 * b->n] = x;
    b->xw[2 * b->n + 1] = w;
    b->n++;
    return 0;
}

int absim_quantiles_streamed(const absim_dist *d, absim_column_reader read, void *ctx, int64_t n, int weighted,
                             int nq, const double *levels, double *var, double *es)
{
    enum { CHUNK = 1 << 16 };
    const int nb = ABSIM_ACC_FINE_BINS;
    double total = 0.0;
    int rc = ABSIM_OK, nbins = 0;
    int *kstar = calloc((size_t)(nq > 0 ? nq : 1), sizeof *kstar);
    double *before = calloc((size_t)(nq > 0 ? nq : 1), sizeof *before);
    bin_values *bins = calloc((size_t)(nq > 0 ? nq : 1), sizeof *bins);
    double *x = malloc(CHUNK * sizeof *x), *w = weighted ? malloc(CHUNK * sizeof *w) : NULL;
    if (!kstar || !before || !bins || !x || (weighted && !w)) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory for the sample quantiles");
        goto cleanup;
    }
    for (int k = 0; k <= nb; k++)
        total += d->fine_w[k];
    if (n <= 0 || !(total > 0.0)) {
        for (int j = 0; j < nq; j++) {
            var[j] = NAN;
            if (es)
                es[j] = NAN;
        }
        goto cleanup;
    }
    /* The bin of each VaR and the weight below it, as in fine_quantiles. */
    for (int j = 0; j < nq; j++) {
        double cum = 0.0;
        int last = 0, found = -1;
        for (int k = 0; k <= nb; k++) {
            if (d->fine_w[k] == 0.0)
                continue;
            last = k;
            if (reaches(cum + d->fine_w[k], levels[j], total)) {
                found = k;
                break;
            }
            cum += d->fine_w[k];
        }
        if (found < 0) {
            found = last;
            cum = total - d->fine_w[last];
        }
        kstar[j] = found;
        before[j] = cum;
        int b = 0;
        while (b < nbins && bins[b].bin != found)
            b++;
        if (b == nbins) {
            bins[b].bin = found;
            bins[b].cap = 1 << 12;
            bins[b].xw = malloc((size_t)bins[b].cap * 2 * sizeof *bins[b].xw);
            if (!bins[b].xw) {
                rc = absim_error_set(ABSIM_ENOMEM, "out of memory for the sample quantiles");
                goto cleanup;
            }
            nbins++;
        }
    }
    /* One pass over the column: keep the values of the VaR bins. */
    for (int64_t first = 0; first < n; first += CHUNK) {
        int64_t m = n - first < CHUNK ? n - first : CHUNK;
        if (read(ctx, first, m, x, w) != 0) {
            rc = absim_error_set(ABSIM_EIO, "cannot read back the per-path results");
            goto cleanup;
        }
        for (int64_t i = 0; i < m; i++) {
            int k = fine_bin(x[i]);
            for (int b = 0; b < nbins; b++)
                if (bins[b].bin == k && bin_push(&bins[b], x[i], w ? w[i] : 1.0) != 0) {
                    rc = absim_error_set(ABSIM_ENOMEM, "out of memory for the sample quantiles");
                    goto cleanup;
                }
        }
    }
    for (int b = 0; b < nbins; b++)
        bin_compact(&bins[b]);
    for (int j = 0; j < nq; j++) {
        const bin_values *bv = bins;
        while (bv->bin != kstar[j])
            bv++;
        double cum = before[j], v = bv->n > 0 ? bv->xw[2 * (bv->n - 1)] : (double)kstar[j] / nb;
        int64_t i = 0;
        for (; i < bv->n; i++) {
            cum += bv->xw[2 * i + 1];
            if (reaches(cum, levels[j], total)) {
                v = bv->xw[2 * i];
                break;
            }
        }
        if (i == bv->n)
            i = bv->n - 1;
        double tail = 0.0;
        for (int64_t k = i + 1; k < bv->n; k++)
            tail += bv->xw[2 * k + 1] * bv->xw[2 * k];
        for (int k = kstar[j] + 1; k <= nb; k++)
            tail += d->fine_wx[k];
        var[j] = v;
        if (es) {
            double q = levels[j], excess = cum / total - q;
            if (excess < 0.0)
                excess = 0.0;
            es[j] = q < 1.0 ? (tail / total + v * excess) / (1.0 - q) : v;
        }
    }
cleanup:
    if (bins)
        for (int b = 0; b < nbins; b++)
            free(bins[b].xw);
    free(bins);
    free(kstar);
    free(before);
    free(x);
    free(w);
    return rc;
}
