/* philox_batch.c -- Philox4x64-10 blocks by the batch (see philox_batch.h).
 *
 * A round maps (x0, x1, x2, x3) under the round key (k0, k1) to
 * (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0), where hi0:lo0 = M0 x0 and
 * hi1:lo1 = M1 x2 are 64x64 -> 128-bit products; the key grows by
 * (W0, W1) before each round after the first. The vector versions keep
 * the state as four vectors x0..x3 whose lanes are blocks, form each
 * 128-bit product from four 32x32 -> 64-bit multiplies, and transpose to
 * block-major order on the way out.
 *
 * Only counter word 1 differs between the blocks of a call, so part of
 * the first three rounds is the same for all of them and is done once,
 * in scalar code (see philox_pre): round 1 multiplies nothing that
 * depends on c1, round 2 only M0 x0 and round 3 only M1 x2. From round 4
 * on the rounds are the plain ones. The n % 8 (n % 4) blocks left after
 * the vector steps go through the scalar loop.
 *
 * Invariants: every version gives exactly philox4x64_R(10, ...) of
 * Random123; no allocation; the only global is the cached choice of
 * version, which every thread computes to the same value. */
#include "philox_batch.h"

#include <stdatomic.h>

#include <Random123/philox.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define PHILOX_X86 1
#include <immintrin.h>
#else
#define PHILOX_X86 0
#endif

/* One block at a time with Random123. */
static void blocks_scalar(uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1, uint64_t c2,
                          uint64_t c3, int n, uint64_t *restrict out)
{
    const philox4x64_key_t k = {{key0, key1}};
    for (int i = 0; i < n; i++) {
        const philox4x64_ctr_t c = {{c0, c1[i], c2, c3}};
        const philox4x64_ctr_t o = philox4x64_R(10, c, k);
        out[4 * i + 0] = o.v[0];
        out[4 * i + 1] = o.v[1];
        out[4 * i + 2] = o.v[2];
        out[4 * i + 3] = o.v[3];
    }
}

#if PHILOX_X86

#define ROUNDS 10

/* The part of rounds 1-3 that is the same for every block, and the round
 * keys. After round 1, x0 = c1 ^ a; round 2 sets x2 = hi(M0 x0) ^ e2;
 * round 3 sets x0 = hi(M1 x2) ^ e3, x2 = x3 ^ f3 and x3 = d3. */
typedef struct {
    uint64_t a, e2, e3, f3, d3;
    uint64_t k[ROUNDS][2]; /* key of round r + 1 */
} philox_pre;

static void philox_prepare(philox_pre *p, uint64_t key0, uint64_t key1, uint64_t c0, uint64_t c2, uint64_t c3)
{
    for (int r = 0; r < ROUNDS; r++) {
        p->k[r][0] = key0 + (uint64_t)r * PHILOX_W64_0;
        p->k[r][1] = key1 + (uint64_t)r * PHILOX_W64_1;
    }
    uint64_t hi0, hi1;
    /* round 1: (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0) */
    const uint64_t lo0 = mulhilo64(PHILOX_M4x64_0, c0, &hi0);
    const uint64_t lo1 = mulhilo64(PHILOX_M4x64_1, c2, &hi1);
    p->a = hi1 ^ p->k[0][0];
    const uint64_t x2 = hi0 ^ c3 ^ p->k[0][1];
    /* round 2: x1 = lo1 and x2 are known, x0 is not */
    uint64_t hi1b;
    const uint64_t lo1b = mulhilo64(PHILOX_M4x64_1, x2, &hi1b);
    const uint64_t y0 = hi1b ^ lo1 ^ p->k[1][0];
    p->e2 = lo0 ^ p->k[1][1];
    /* round 3: x0 = y0 and x1 = lo1b are known, x2 and x3 are not */
    uint64_t hi0c;
    const uint64_t lo0c = mulhilo64(PHILOX_M4x64_0, y0, &hi0c);
    p->e3 = lo1b ^ p->k[2][0];
    p->f3 = hi0c ^ p->k[2][1];
    p->d3 = lo0c;
}

/* ---- AVX-512F: 8 blocks per step ---- */

#define T512 __attribute__((target("avx512f")))

/* hi:lo = x m lane by lane, for m = mh 2^32 + ml (ml, mh in the low
 * halves of the lanes). */
T512 static inline void mul512(__m512i x, __m512i ml, __m512i mh, __m512i *lo, __m512i *hi)
{
    const __m512i xh = _mm512_srli_epi64(x, 32);
    const __m512i ll = _mm512_mul_epu32(x, ml);
    const __m512i lh = _mm512_mul_epu32(x, mh);
    const __m512i hl = _mm512_mul_epu32(xh, ml);
    const __m512i hh = _mm512_mul_epu32(xh, mh);
    const __m512i t = _mm512_add_epi64(lh, _mm512_srli_epi64(ll, 32));
    const __m512i u = _mm512_add_epi64(hl, _mm512_and_si512(t, _mm512_set1_epi64(0xffffffff)));
    *lo = _mm512_mask_blend_epi32(0xAAAA, ll, _mm512_slli_epi64(u, 32));
    *hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
}

/* Blocks c1[0..7] to out[0..31]. */
T512 static inline void step512(const philox_pre *p, const uint64_t *c1, uint64_t *out)
{
    const __m512i m0l = _mm512_set1_epi64((long long)(PHILOX_M4x64_0 & 0xffffffff));
    const __m512i m0h = _mm512_set1_epi64((long long)(PHILOX_M4x64_0 >> 32));
    const __m512i m1l = _mm512_set1_epi64((long long)(PHILOX_M4x64_1 & 0xffffffff));
    const __m512i m1h = _mm512_set1_epi64((long long)(PHILOX_M4x64_1 >> 32));
    __m512i x0, x1, x2, x3, lo0, hi0, lo1, hi1;

    /* rounds 1-3 (see philox_pre) */
    x0 = _mm512_xor_si512(_mm512_loadu_si512((const void *)c1), _mm512_set1_epi64((long long)p->a));
    mul512(x0, m0l, m0h, &lo0, &hi0);
    x2 = _mm512_xor_si512(hi0, _mm512_set1_epi64((long long)p->e2));
    mul512(x2, m1l, m1h, &lo1, &hi1);
    x0 = _mm512_xor_si512(hi1, _mm512_set1_epi64((long long)p->e3));
    x1 = lo1;
    x2 = _mm512_xor_si512(lo0, _mm512_set1_epi64((long long)p->f3));
    x3 = _mm512_set1_epi64((long long)p->d3);

    for (int r = 3; r < ROUNDS; r++) {
        mul512(x0, m0l, m0h, &lo0, &hi0);
        mul512(x2, m1l, m1h, &lo1, &hi1);
        x0 = _mm512_xor_si512(_mm512_xor_si512(hi1, x1), _mm512_set1_epi64((long long)p->k[r][0]));
        x1 = lo1;
        x2 = _mm512_xor_si512(_mm512_xor_si512(hi0, x3), _mm512_set1_epi64((long long)p->k[r][1]));
        x3 = lo0;
    }

    /* transpose: t0 = a0 b0 | a2 b2 | a4 b4 | a6 b6 (128-bit lanes) etc. */
    const __m512i t0 = _mm512_unpacklo_epi64(x0, x1);
    const __m512i t1 = _mm512_unpackhi_epi64(x0, x1);
    const __m512i t2 = _mm512_unpacklo_epi64(x2, x3);
    const __m512i t3 = _mm512_unpackhi_epi64(x2, x3);
    const __m512i u0 = _mm512_shuffle_i64x2(t0, t2, 0x44); /* t0.0 t0.1 t2.0 t2.1 */
    const __m512i u1 = _mm512_shuffle_i64x2(t1, t3, 0x44); /* t1.0 t1.1 t3.0 t3.1 */
    const __m512i u2 = _mm512_shuffle_i64x2(t0, t2, 0xEE); /* t0.2 t0.3 t2.2 t2.3 */
    const __m512i u3 = _mm512_shuffle_i64x2(t1, t3, 0xEE); /* t1.2 t1.3 t3.2 t3.3 */
    _mm512_storeu_si512((void *)(out + 0), _mm512_shuffle_i64x2(u0, u1, 0x88));  /* blocks 0, 1 */
    _mm512_storeu_si512((void *)(out + 8), _mm512_shuffle_i64x2(u0, u1, 0xDD));  /* blocks 2, 3 */
    _mm512_storeu_si512((void *)(out + 16), _mm512_shuffle_i64x2(u2, u3, 0x88)); /* blocks 4, 5 */
    _mm512_storeu_si512((void *)(out + 24), _mm512_shuffle_i64x2(u2, u3, 0xDD)); /* blocks 6, 7 */
}

T512 static void blocks_avx512(uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1, uint64_t c2,
                               uint64_t c3, int n, uint64_t *restrict out)
{
    philox_pre p;
    philox_prepare(&p, key0, key1, c0, c2, c3);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        step512(&p, c1 + i, out + 4 * i);
    /* the last blocks one by one: a padded vector step costs more */
    blocks_scalar(key0, key1, c0, c1 + i, c2, c3, n - i, out + 4 * i);
}

/* ---- AVX2: 4 blocks per step ---- */

#define T256 __attribute__((target("avx2")))

/* As mul512. */
T256 static inline void mul256(__m256i x, __m256i ml, __m256i mh, __m256i *lo, __m256i *hi)
{
    const __m256i xh = _mm256_srli_epi64(x, 32);
    const __m256i ll = _mm256_mul_epu32(x, ml);
    const __m256i lh = _mm256_mul_epu32(x, mh);
    const __m256i hl = _mm256_mul_epu32(xh, ml);
    const __m256i hh = _mm256_mul_epu32(xh, mh);
    const __m256i t = _mm256_add_epi64(lh, _mm256_srli_epi64(ll, 32));
    const __m256i u = _mm256_add_epi64(hl, _mm256_and_si256(t, _mm256_set1_epi64x(0xffffffff)));
    *lo = _mm256_blend_epi32(ll, _mm256_slli_epi64(u, 32), 0xAA);
    *hi = _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(t, 32)), _mm256_srli_epi64(u, 32));
}

/* Blocks c1[0..3] to out[0..15]. */
T256 static inline void step256(const philox_pre *p, const uint64_t *c1, uint64_t *out)
{
    const __m256i m0l = _mm256_set1_epi64x((long long)(PHILOX_M4x64_0 & 0xffffffff));
    const __m256i m0h = _mm256_set1_epi64x((long long)(PHILOX_M4x64_0 >> 32));
    const __m256i m1l = _mm256_set1_epi64x((long long)(PHILOX_M4x64_1 & 0xffffffff));
    const __m256i m1h = _mm256_set1_epi64x((long long)(PHILOX_M4x64_1 >> 32));
    __m256i x0, x1, x2, x3, lo0, hi0, lo1, hi1;

    x0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)c1),
                          _mm256_set1_epi64x((long long)p->a));
    mul256(x0, m0l, m0h, &lo0, &hi0);
    x2 = _mm256_xor_si256(hi0, _mm256_set1_epi64x((long long)p->e2));
    mul256(x2, m1l, m1h, &lo1, &hi1);
    x0 = _mm256_xor_si256(hi1, _mm256_set1_epi64x((long long)p->e3));
    x1 = lo1;
    x2 = _mm256_xor_si256(lo0, _mm256_set1_epi64x((long long)p->f3));
    x3 = _mm256_set1_epi64x((long long)p->d3);

    for (int r = 3; r < ROUNDS; r++) {
        mul256(x0, m0l, m0h, &lo0, &hi0);
        mul256(x2, m1l, m1h, &lo1, &hi1);
        x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi64x((long long)p->k[r][0]));
        x1 = lo1;
        x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi64x((long long)p->k[r][1]));
        x3 = lo0;
    }

    /* transpose: t0 = a0 b0 | a2 b2 (128-bit lanes) etc. */
    const __m256i t0 = _mm256_unpacklo_epi64(x0, x1);
    const __m256i t1 = _mm256_unpackhi_epi64(x0, x1);
    const __m256i t2 = _mm256_unpacklo_epi64(x2, x3);
    const __m256i t3 = _mm256_unpackhi_epi64(x2, x3);
    _mm256_storeu_si256((__m256i *)(void *)(out + 0), _mm256_permute2x128_si256(t0, t2, 0x20));
    _mm256_storeu_si256((__m256i *)(void *)(out + 4), _mm256_permute2x128_si256(t1, t3, 0x20));
    _mm256_storeu_si256((__m256i *)(void *)(out + 8), _mm256_permute2x128_si256(t0, t2, 0x31));
    _mm256_storeu_si256((__m256i *)(void *)(out + 12), _mm256_permute2x128_si256(t1, t3, 0x31));
}

T256 static void blocks_avx2(uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1, uint64_t c2,
                             uint64_t c3, int n, uint64_t *restrict out)
{
    philox_pre p;
    philox_prepare(&p, key0, key1, c0, c2, c3);
    int i = 0;
    for (; i + 4 <= n; i += 4)
        step256(&p, c1 + i, out + 4 * i);
    /* the last blocks one by one: a padded vector step costs more */
    blocks_scalar(key0, key1, c0, c1 + i, c2, c3, n - i, out + 4 * i);
}

#endif /* PHILOX_X86 */

/* Whether this CPU (and its OS) runs version isa. */
static int isa_available(int isa)
{
    switch (isa) {
    case ABSIM_PHILOX_SCALAR:
        return 1;
#if PHILOX_X86
    case ABSIM_PHILOX_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    case ABSIM_PHILOX_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") != 0;
#endif
    default:
        return 0;
    }
}

/* Run version isa, which must be available. */
static void blocks_isa(int isa, uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1, uint64_t c2,
                       uint64_t c3, int n, uint64_t *restrict out)
{
    if (n <= 0)
        return;
    switch (isa) {
#if PHILOX_X86
    case ABSIM_PHILOX_AVX512:
        blocks_avx512(key0, key1, c0, c1, c2, c3, n, out);
        break;
    case ABSIM_PHILOX_AVX2:
        blocks_avx2(key0, key1, c0, c1, c2, c3, n, out);
        break;
#endif
    default:
        blocks_scalar(key0, key1, c0, c1, c2, c3, n, out);
        break;
    }
}

int absim_philox_blocks_isa(int isa, uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1,
                            uint64_t c2, uint64_t c3, int n, uint64_t *restrict out)
{
    if (!isa_available(isa))
        return 0;
    blocks_isa(isa, key0, key1, c0, c1, c2, c3, n, out);
    return 1;
}

/* The version in use: -1 until the first call; every thread that finds
 * -1 computes and stores the same value. */
static _Atomic int philox_isa = -1;

void absim_philox_blocks(uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1, uint64_t c2,
                         uint64_t c3, int n, uint64_t *restrict out)
{
    int isa = atomic_load_explicit(&philox_isa, memory_order_relaxed);
    if (isa < 0) {
        isa = isa_available(ABSIM_PHILOX_AVX512) ? ABSIM_PHILOX_AVX512
              : isa_available(ABSIM_PHILOX_AVX2) ? ABSIM_PHILOX_AVX2
                                                 : ABSIM_PHILOX_SCALAR;
        atomic_store_explicit(&philox_isa, isa, memory_order_relaxed);
    }
    blocks_isa(isa, key0, key1, c0, c1, c2, c3, n, out);
}
