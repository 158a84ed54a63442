/* loans.h -- the loan-level default sampler: pool lines of one loan each.
 *
 * A loan tape makes every loan its own line. Such a line's loan defaults
 * by period k iff its latent idiosyncratic normal e satisfies
 *     e <= y_k = (c_k ic) m - (a_g Z_g + a_s Z_s),
 * ic = 1/c, a_g = b_g ic, a_s = b_s ic (copula.h), so one normal per loan
 * decides whether it defaults at all, and only defaulters search their
 * period. The normals come from one 64-bit word each, two words to a
 * Philox4x32-10 block (absim_rng_loan_words), through the ziggurat (zignor.h):
 * about 1.5% of loans need further words, from their own stream
 * LOANS_MORE(l). A loan's normal depends only on (seed, path, line). */
#ifndef ABSIM_LOANS_H
#define ABSIM_LOANS_H

#include "copula.h"
#include "zignor.h"

/* The period search of one line, with n = last - first + 1 thresholds
 * y_0..y_{n-1} at yk + yoff (followed by ABSIM_LOANS_PAD entries of +inf):
 * a guide table (as for discrete inversion) of G buckets, bucket(t) =
 * (t - y_0) scale clamped to [0, G-1], guide[goff + b] = the smallest j
 * with bucket(y_j) >= b (n - 1 if none). The bucket is non-decreasing in
 * t, so every j below guide[b] has y_j < t. `window`: every bucket's
 * answers lie within ABSIM_LOANS_PAD of its guide entry (G is doubled
 * until they do, up to a bound), so the search is ABSIM_LOANS_PAD
 * independent comparisons; else a forward scan. */
#define ABSIM_LOANS_PAD 4

typedef struct {
    double y0, scale, gmax;    /* y_0, G / range of the finite y, G - 1 */
    int32_t yoff, goff;        /* thresholds at yk + yoff, guide at guide + goff */
    int32_t n, first;          /* thresholds, and the period of y_0 */
    int32_t window;            /* 1: answers within ABSIM_LOANS_PAD of the guide */
    int32_t unused;
} absim_loan_search;

/* Loan-level lines of one run, struct of arrays indexed by line (entries
 * of other lines are unused); y_k is non-decreasing in k. */
typedef struct {
    int n;                     /* lines */
    double *ag, *as;           /* b_g / c, b_s / c */
    double *ylast;             /* c_last / c */
    int *sector;
    absim_loan_search *srch;   /* per line: its period search (where its thresholds and
                                * guide are, its first period) */
    double *yk;                /* thresholds y_j = c_{first+j} / c of every distinct
                                * curve, each followed by ABSIM_LOANS_PAD entries of
                                * +inf; lines with equal thresholds share one copy (a
                                * tape's loans of one sector and PD curve: keeps the
                                * table small enough for the cache the searches read) */
    int64_t nyk, cap;
    uint16_t *guide;           /* the curves' guide tables (see absim_loan_search) */
    int64_t nguide, gcap;
    int *dedup;                /* open-addressing table of the lines whose thresholds
                                * were stored (-1 = empty), size ndedup, a power of two */
    int64_t ndedup;
    absim_zig zig;             /* ziggurat tables */
} absim_loan_set;

/* Allocate for n lines (zeroed) and build the ziggurat tables.
 * ABSIM_OK / ABSIM_ENOMEM. */
int absim_loan_set_alloc(absim_loan_set *s, int n);
void absim_loan_set_free(absim_loan_set *s);

/* Fill entry l from a line model with count 1 and last > 0. Lines are
 * filled in increasing order (their thresholds are appended).
 * ABSIM_OK / ABSIM_ENOMEM. */
int absim_loan_set_line(absim_loan_set *s, int l, const absim_line_model *m);

/* Latent normals e[0..n-1] of lines first .. first+n-1 of `path`; w is
 * scratch of n words. */
void absim_loans_latent(const absim_loan_set *s, uint64_t seed, uint64_t path, int first, int n, uint64_t *w,
                        double *e);

/* The same on a given route (ABSIM_LOAN_ROUTE_*, rng.h; < 0: the best the
 * CPU has) of the words and of the ziggurat's fast path, 4 (AVX2) or 8
 * (AVX-512) words an instruction: the same normals on every route. */
void absim_loans_latent_route(const absim_loan_set *s, uint64_t seed, uint64_t path, int first, int n, uint64_t *w,
                              double *e, int route);

/* The ziggurat's fast path (absim_zig_fast) for words w[0..n-1] on a
 * route: e[i] for each word accepted at once (the others' e[i] are
 * unspecified), the indices of the others, increasing, in rej[] (room for
 * n); returns their number. */
int absim_loans_zig_batch_route(const absim_zig *z, const uint64_t *w, int n, double *e, int *rej, int route);

/* Default periods of the one-loan lines l0 .. l0+n-1 given their latent
 * normals e[i]: 0 if e[i] > y_last (the loan survives past `last`), else
 * the smallest k with (e[i] + a_g Z_g + a_s Z_s) / m <= c_k ic (the test
 * e <= y_k up to rounding). Returns the number of defaulters, whose indices
 * i, increasing, are written to def[] (room for n). */
int absim_loans_sample(const absim_loan_set *s, int l0, int n, const absim_factors *f, const double *e, int *period,
                       int *def);

/* The same on a given route of the default test (ABSIM_LOAN_ROUTE_*,
 * rng.h; < 0: the best the CPU has): the same result on every route. */
int absim_loans_sample_route(const absim_loan_set *s, int l0, int n, const absim_factors *f, const double *e,
                             int *period, int *def, int route);

#endif
