/* rng.h -- counter-based random streams keyed by (seed, path, stream).
 *
 * absim uses Philox4x64-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC'11) from Random123 (and its Philox4x32-10 for the latent
 * words of one-loan lines, absim_rng_loan_words). A stream is the key (seed) plus a
 * counter whose words hold (draw block, stream id, path index): opening a
 * stream is two stores, streams never overlap, and the numbers a path sees
 * depend only on (seed, path, stream) -- not on threads, ranks, call order
 * or the number of paths. Each use inside a path (rates, factors, each
 * line's defaults and recoveries, the originator) has its own stream id, so
 * adding a feature does not shift anybody else's numbers.
 *
 * absim_rng_bind_gsl() presents an absim_rng as a gsl_rng so that every
 * gsl_ran_* sampler works on it (no allocation). */
#ifndef ABSIM_RNG_H
#define ABSIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Stream kinds: the stream id is (kind << 32) | index. */
enum {
    ABSIM_STREAM_RATES = 1,      /* index 0 */
    ABSIM_STREAM_FACTORS = 2,    /* index 0 */
    ABSIM_STREAM_ORIGINATOR = 3, /* index 0 */
    ABSIM_STREAM_DEFAULTS = 4,   /* index = line */
    ABSIM_STREAM_RECOVERY = 5,   /* index = line */
    ABSIM_STREAM_LOANS = 6,      /* latent words of one-loan lines (Philox4x32, absim_rng_loan_words) */
    ABSIM_STREAM_LOANS_MORE = 7  /* index = line: the rare further words of one */
};

#define ABSIM_STREAM_ID(kind, index) (((uint64_t)(kind) << 32) | (uint64_t)(uint32_t)(index))

typedef struct {
    uint64_t key[2];     /* seed, fixed constant */
    uint64_t ctr[4];     /* block counter, stream id, path, 0 */
    uint64_t out[4];     /* current output block */
    int used;            /* words of out[] consumed, 4 = empty */
} absim_rng;

/* Open stream `stream` of path `path` under `seed`. */
void absim_rng_open(absim_rng *r, uint64_t seed, uint64_t path, uint64_t stream);

/* Next 64 random bits. */
uint64_t absim_rng_u64(absim_rng *r);

/* Uniform double in the open interval (0,1), 53 bits. */
double absim_rng_uniform(absim_rng *r);

/* Latent words of one-loan lines first, first+1, ..., first+n-1 of
 * `path`: Philox4x32-10 (Random123's philox4x32_R(10, ...)) with key
 * {seed low 32 bits, seed high 32 bits} and counter {b, ABSIM_STREAM_LOANS,
 * path low, path high}; block b = l / 2 holds lines 2b and 2b + 1, line
 * 2b + j getting v[2j] | v[2j+1] << 32. A line's word depends only on
 * (seed, path, l); two loans share one block, made 32 blocks at a time
 * with AVX-512 or AVX2 where the CPU has them (about 1 ns a word, against
 * 4 for Philox4x64-10 one block at a time): the same bits on every route. */
void absim_rng_loan_words(uint64_t seed, uint64_t path, int first, int n, uint64_t *w);

/* Philox4x32-10 blocks with key {seed low, seed high} and counter
 * {idx[j], kind, path low, path high}, j < n: block j to out[2j] =
 * v[0] | v[1] << 32 and out[2j+1] = v[2] | v[3] << 32 (length 2n). Made
 * 32 at a time as absim_rng_loan_words (whose words are these blocks of
 * kind ABSIM_STREAM_LOANS at idx = l / 2). */
void absim_rng_blocks32(uint64_t seed, uint64_t path, uint32_t kind, const uint32_t *idx, int n, uint64_t *out);
void absim_rng_blocks32_route(uint64_t seed, uint64_t path, uint32_t kind, const uint32_t *idx, int n,
                              uint64_t *out, int route);

/* Open stream `stream` of path `path` under `seed` with two words in
 * front: it gives w0, w1, then the stream's own words (block 0, 1, ...).
 * The recovery stream of a one-loan line starts with its Philox4x32 block
 * (absim_rng_blocks32), computed with the path's other defaulters'. */
void absim_rng_open_words(absim_rng *r, uint64_t seed, uint64_t path, uint64_t stream, uint64_t w0, uint64_t w1);

/* The routes of the vectorised loan-tape kernels (absim_rng_loan_words,
 * absim_rng_blocks32, absim_loans_sample; the _route variants are for
 * tests and benchmarks): scalar (every machine), AVX2, AVX-512, all
 * giving the same bits. `route` < 0 or above what the CPU has takes the
 * best the CPU has (absim_rng_loan_route_best()). */
enum { ABSIM_LOAN_ROUTE_SCALAR = 0, ABSIM_LOAN_ROUTE_AVX2 = 1, ABSIM_LOAN_ROUTE_AVX512 = 2 };
int absim_rng_loan_route_best(void);
/* The route a request runs on: `route` itself when the CPU has it, else
 * the best the CPU has (also for route < 0). */
int absim_rng_loan_route(int route);
void absim_rng_loan_words_route(uint64_t seed, uint64_t path, int first, int n, uint64_t *w, int route);

/* Standard normal by inverse CDF (one uniform per draw, fixed count). */
double absim_rng_gaussian_icdf(absim_rng *r);

/* Make *g a gsl_rng that draws from *r (g->state points at r; no
 * allocation). gsl_rng_free must not be called on g. */
void absim_rng_bind_gsl(gsl_rng *g, absim_rng *r);

/* The gsl_rng_type used by absim_rng_bind_gsl ("philox4x64"). */
extern const gsl_rng_type *const absim_rng_type_philox;

/* Name of the generators, written to output metadata: Philox4x64-10 for
 * every stream, Philox4x32-10 for the latent words of one-loan lines. */
#define ABSIM_RNG_NAME "philox4x64-10+philox4x32-10"

#endif
