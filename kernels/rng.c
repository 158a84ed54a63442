/* rng.c -- Philox4x64-10 random streams and their gsl_rng face.
 *
 * A stream is the Philox key {seed, ABSIM_RNG_KEY1} and the counter
 * {block, stream id, path, 0}; block i of a stream is philox4x64(counter
 * with word 0 = i, key), four 64-bit words handed out in order. Distinct
 * (stream id, path) pairs therefore never share a counter, and a stream
 * would have to draw 2^64 blocks to wrap.
 *
 * Invariants: no allocation, no globals other than the constant type
 * descriptor; an absim_rng is plain data that may be copied (the copy
 * continues the same sequence). */
#include "rng.h"

#include <limits.h>
#include <string.h>

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>

/* Second key word: fixed so that the key is {seed, constant} (the first
 * 64 fractional bits of the golden ratio). */
#define ABSIM_RNG_KEY1 0x9E3779B97F4A7C15ULL

/* 2^-53 */
#define TWO_M53 (1.0 / 9007199254740992.0)

void absim_rng_open(absim_rng *r, uint64_t seed, uint64_t path, uint64_t stream)
{
    r->key[0] = seed;
    r->key[1] = ABSIM_RNG_KEY1;
    r->ctr[0] = 0;
    r->ctr[1] = stream;
    r->ctr[2] = path;
    r->ctr[3] = 0;
    r->used = 4;
}

/* (k + 1/2) 2^-53 for the top 53 bits k of w: k < 2^53 converts exactly
 * through the signed conversion (one instruction, unlike uint64 -> double). */
static inline double to_uniform(uint64_t w)
{
    return ((double)(int64_t)(w >> 11) + 0.5) * TWO_M53;
}

static void refill(absim_rng *r)
{
    philox4x64_ctr_t c = {{r->ctr[0], r->ctr[1], r->ctr[2], r->ctr[3]}};
    philox4x64_key_t k = {{r->key[0], r->key[1]}};
    philox4x64_ctr_t o = philox4x64_R(10, c, k);
    r->out[0] = o.v[0];
    r->out[1] = o.v[1];
    r->out[2] = o.v[2];
    r->out[3] = o.v[3];
    r->ctr[0]++;
    r->used = 0;
}

uint64_t absim_rng_u64(absim_rng *r)
{
    if (r->used >= 4)
        refill(r);
    return r->out[r->used++];
}

double absim_rng_uniform(absim_rng *r)
{
    /* (k + 1/2) 2^-53 for the top 53 bits k: strictly inside (0,1),
     * symmetric about 1/2, every value exactly representable. */
    return to_uniform(absim_rng_u64(r));
}

void absim_rng_loan_words(uint64_t seed, uint64_t path, int first, int n, uint64_t *w)
{
    const philox4x64_key_t k = {{seed, ABSIM_RNG_KEY1}};
    const int end = first + n;
    for (int g = first >> 2; 4 * g < end; g++) {
        philox4x64_ctr_t c = {{0, ABSIM_STREAM_ID(ABSIM_STREAM_LOANS, (uint64_t)g), path, 0}};
        philox4x64_ctr_t o = philox4x64_R(10, c, k);
        const int l0 = 4 * g;
        if (l0 >= first && l0 + 4 <= end) {
            uint64_t *d = w + (l0 - first);
            d[0] = o.v[0];
            d[1] = o.v[1];
            d[2] = o.v[2];
            d[3] = o.v[3];
            continue;
        }
        for (int i = 0; i < 4; i++)
            if (l0 + i >= first && l0 + i < end)
                w[l0 + i - first] = o.v[i];
    }
}

double absim_rng_gaussian_icdf(absim_rng *r)
{
    return gsl_cdf_ugaussian_Pinv(absim_rng_uniform(r));
}

/* gsl_rng_type callbacks. `get` returns a whole 64-bit word where unsigned
 * long holds one (max = ULONG_MAX, so gsl_rng_uniform_int accepts any n and
 * gsl_ran_gaussian_ziggurat takes its one-word path), else the top 32 bits. */
static void philox_set(void *state, unsigned long int seed)
{
    absim_rng *r = state;
    absim_rng_open(r, (uint64_t)seed, r->ctr[2], r->ctr[1]);
}

static unsigned long int philox_get(void *state)
{
#if ULONG_MAX >= UINT64_MAX
    return (unsigned long int)absim_rng_u64(state);
#else
    return (unsigned long int)(absim_rng_u64(state) >> 32);
#endif
}

static double philox_get_double(void *state) { return absim_rng_uniform(state); }

static const gsl_rng_type philox_type = {
    "philox4x64", /* name */
    ULONG_MAX,    /* max (32-bit unsigned long: the top 32 bits, see philox_get) */
    0,            /* min */
    sizeof(absim_rng),
    philox_set,
    philox_get,
    philox_get_double,
};

const gsl_rng_type *const absim_rng_type_philox = &philox_type;

void absim_rng_bind_gsl(gsl_rng *g, absim_rng *r)
{
    g->type = &philox_type;
    g->state = r;
}
