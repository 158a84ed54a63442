/* rng.c -- Philox4x64-10 random streams and their gsl_rng face, and the
 * Philox4x32-10 latent words of one-loan lines.
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

/* Philox4x32-10 blocks (Random123's philox4x32_R(10, ...)) with key
 * {seed low, seed high} and counter {idx[j], kind, path low, path high},
 * CHUNK32 at a time (a batch of 64 loans' words in one call): block j to
 * out[2j] = v[0] | v[1] << 32 and out[2j+1] = v[2] | v[3] << 32. With
 * AVX-512 as four independent groups of 8 blocks (their multiply
 * latencies overlap), with AVX2 as two groups of 4 at a time, in 64-bit
 * lanes (each 32-bit word in a lane's low half; vpmuludq
 * multiplies the low halves 32 x 32 -> 64, which is Philox's mulhilo),
 * else block by block through Random123. Every route gives the same bits
 * (test_rng, test_loans). */
#define CHUNK32 32
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

typedef void chunk32_fn(uint64_t seed, uint64_t path, uint32_t kind, const uint32_t *idx, uint64_t *out);

static void chunk32_scalar(uint64_t seed, uint64_t path, uint32_t kind, const uint32_t *idx, uint64_t *out)
{
    const philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    for (int j = 0; j < CHUNK32; j++) {
        philox4x32_ctr_t c = {{idx[j], kind, (uint32_t)path, (uint32_t)(path >> 32)}};
        philox4x32_ctr_t o = philox4x32_R(10, c, k);
        out[2 * j] = (uint64_t)o.v[1] << 32 | o.v[0];
        out[2 * j + 1] = (uint64_t)o.v[3] << 32 | o.v[2];
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define CHUNK32_SIMD 1

__attribute__((target("avx512f"))) static void chunk32_avx512(uint64_t seed, uint64_t path, uint32_t kind,
                                                              const uint32_t *idx, uint64_t *out)
{
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
    const __m512i lo = _mm512_set1_epi64(0xffffffff);
    __m512i x0[4], x1[4], x2[4], x3[4];
    for (int g = 0; g < 4; g++) {
        x0[g] = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(idx + 8 * g)));
        x1[g] = _mm512_set1_epi64(kind);
        x2[g] = _mm512_set1_epi64((uint32_t)path);
        x3[g] = _mm512_set1_epi64((long long)(path >> 32));
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        const __m512i kA = _mm512_set1_epi64(k0), kB = _mm512_set1_epi64(k1);
        for (int g = 0; g < 4; g++) { /* four independent groups of 8 blocks */
            const __m512i p0 = _mm512_mul_epu32(x0[g], m0), p1 = _mm512_mul_epu32(x2[g], m1);
            x0[g] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), x1[g]), kA);
            x2[g] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), x3[g]), kB);
            x1[g] = p1; /* high halves are junk: the multiplies ignore them, the end masks them */
            x3[g] = p0;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    const __m512i i0 = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), i1 = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    for (int g = 0; g < 4; g++) {
        const __m512i w0 = _mm512_or_si512(_mm512_slli_epi64(x1[g], 32), _mm512_and_si512(x0[g], lo));
        const __m512i w1 = _mm512_or_si512(_mm512_slli_epi64(x3[g], 32), _mm512_and_si512(x2[g], lo));
        _mm512_storeu_si512((void *)(out + 16 * g), _mm512_permutex2var_epi64(w0, i0, w1));
        _mm512_storeu_si512((void *)(out + 16 * g + 8), _mm512_permutex2var_epi64(w0, i1, w1));
    }
}

__attribute__((target("avx2"))) static void chunk32_avx2(uint64_t seed, uint64_t path, uint32_t kind,
                                                         const uint32_t *idx, uint64_t *out)
{
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0), m1 = _mm256_set1_epi64x(PHILOX_M1);
    const __m256i lo = _mm256_set1_epi64x(0xffffffff);
    const __m256i c1 = _mm256_set1_epi64x(kind), c2 = _mm256_set1_epi64x((uint32_t)path);
    const __m256i c3 = _mm256_set1_epi64x((long long)(path >> 32));
    for (int h = 0; h < CHUNK32; h += 8) {
        __m256i a0 = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(idx + h)));
        __m256i b0 = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(idx + h + 4)));
        __m256i a1 = c1, b1 = c1, a2 = c2, b2 = c2, a3 = c3, b3 = c3;
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int r = 0; r < 10; r++) {
            const __m256i kA = _mm256_set1_epi64x(k0), kB = _mm256_set1_epi64x(k1);
            const __m256i pa0 = _mm256_mul_epu32(a0, m0), pa1 = _mm256_mul_epu32(a2, m1);
            const __m256i pb0 = _mm256_mul_epu32(b0, m0), pb1 = _mm256_mul_epu32(b2, m1);
            a0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa1, 32), a1), kA);
            a2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa0, 32), a3), kB);
            b0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pb1, 32), b1), kA);
            b2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pb0, 32), b3), kB);
            a1 = pa1;
            a3 = pa0;
            b1 = pb1;
            b3 = pb0;
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        const __m256i wa0 = _mm256_or_si256(_mm256_slli_epi64(a1, 32), _mm256_and_si256(a0, lo));
        const __m256i wa1 = _mm256_or_si256(_mm256_slli_epi64(a3, 32), _mm256_and_si256(a2, lo));
        const __m256i wb0 = _mm256_or_si256(_mm256_slli_epi64(b1, 32), _mm256_and_si256(b0, lo));
        const __m256i wb1 = _mm256_or_si256(_mm256_slli_epi64(b3, 32), _mm256_and_si256(b2, lo));
        const __m256i la = _mm256_unpacklo_epi64(wa0, wa1), ha = _mm256_unpackhi_epi64(wa0, wa1);
        const __m256i lb = _mm256_unpacklo_epi64(wb0, wb1), hb = _mm256_unpackhi_epi64(wb0, wb1);
        uint64_t *d = out + 2 * h;
        _mm256_storeu_si256((__m256i *)d, _mm256_permute2x128_si256(la, ha, 0x20));
        _mm256_storeu_si256((__m256i *)(d + 4), _mm256_permute2x128_si256(la, ha, 0x31));
        _mm256_storeu_si256((__m256i *)(d + 8), _mm256_permute2x128_si256(lb, hb, 0x20));
        _mm256_storeu_si256((__m256i *)(d + 12), _mm256_permute2x128_si256(lb, hb, 0x31));
    }
}
#endif

int absim_rng_loan_route_best(void)
{
#ifdef CHUNK32_SIMD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return ABSIM_LOAN_ROUTE_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return ABSIM_LOAN_ROUTE_AVX2;
#endif
    return ABSIM_LOAN_ROUTE_SCALAR;
}

int absim_rng_loan_route(int route)
{
    const int best = absim_rng_loan_route_best();
    return route < 0 || route > best ? best : route;
}

static chunk32_fn *chunk32_of(int route)
{
    route = absim_rng_loan_route(route);
#ifdef CHUNK32_SIMD
    if (route == ABSIM_LOAN_ROUTE_AVX512)
        return chunk32_avx512;
    if (route == ABSIM_LOAN_ROUTE_AVX2)
        return chunk32_avx2;
#endif
    return chunk32_scalar;
}

void absim_rng_blocks32_route(uint64_t seed, uint64_t path, uint32_t kind, const uint32_t *idx, int n,
                              uint64_t *out, int route)
{
    chunk32_fn *chunk = chunk32_of(route);
    int j = 0;
    for (; j + CHUNK32 <= n; j += CHUNK32)
        chunk(seed, path, kind, idx + j, out + 2 * j);
    if (j < n) {
        uint32_t tail[CHUNK32];
        uint64_t buf[2 * CHUNK32];
        for (int i = 0; i < CHUNK32; i++)
            tail[i] = idx[j + i < n ? j + i : n - 1];
        chunk(seed, path, kind, tail, buf);
        memcpy(out + 2 * j, buf, (size_t)(n - j) * 2 * sizeof *out);
    }
}

void absim_rng_blocks32(uint64_t seed, uint64_t path, uint32_t kind, const uint32_t *idx, int n, uint64_t *out)
{
    absim_rng_blocks32_route(seed, path, kind, idx, n, out, -1);
}

/* Loan words: blocks b = l / 2 of kind LOANS, CHUNK32 consecutive blocks
 * at a time. */
void absim_rng_loan_words_route(uint64_t seed, uint64_t path, int first, int n, uint64_t *w, int route)
{
    chunk32_fn *chunk = chunk32_of(route);
    uint64_t buf[2 * CHUNK32];
    uint32_t idx[CHUNK32];
    const int64_t end = (int64_t)first + n;
    int64_t l = first;
    while (l < end) {
        const int64_t l0 = l & ~(int64_t)1; /* first line of l's block */
        for (int j = 0; j < CHUNK32; j++)
            idx[j] = (uint32_t)(l >> 1) + (uint32_t)j;
        if (l0 == l && end - l >= 2 * CHUNK32) {
            chunk(seed, path, ABSIM_STREAM_LOANS, idx, w + (l - first));
            l += 2 * CHUNK32;
            continue;
        }
        chunk(seed, path, ABSIM_STREAM_LOANS, idx, buf);
        const int64_t stop = l0 + 2 * CHUNK32 < end ? l0 + 2 * CHUNK32 : end;
        memcpy(w + (l - first), buf + (l - l0), (size_t)(stop - l) * sizeof *w);
        l = stop;
    }
}

void absim_rng_loan_words(uint64_t seed, uint64_t path, int first, int n, uint64_t *w)
{
    absim_rng_loan_words_route(seed, path, first, n, w, -1);
}

void absim_rng_open_words(absim_rng *r, uint64_t seed, uint64_t path, uint64_t stream, uint64_t w0, uint64_t w1)
{
    absim_rng_open(r, seed, path, stream);
    r->out[2] = w0;
    r->out[3] = w1;
    r->used = 2; /* w0, w1, then the stream's block 0, 1, ... */
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
