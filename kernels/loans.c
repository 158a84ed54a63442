/* loans.c -- the loan-level default sampler (see loans.h).
 *
 * For a line of one loan with loadings (b_g, b_s, c) and thresholds c_k,
 * given the factors (Z_g, Z_s, m) the loan defaults by k iff
 *     s + c e <= c_k m,   s = b_g Z_g + b_s Z_s,
 * i.e. e <= y_k = (c_k / c) m - s / c with e ~ N(0,1) its own draw. One
 * comparison per loan decides default by `last`; a defaulter's period is
 * the smallest k with (e + s/c) / m <= c_k / c, the same test up to
 * rounding (a guide table and four comparisons, see default_period).
 *
 * Invariants: c > 0, m > 0, thresholds non-decreasing, so c_k ic (stored
 * once per line) is non-decreasing in k and the search is well defined.
 * No allocation per path. */
#include "loans.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int absim_loan_set_alloc(absim_loan_set *s, int n)
{
    size_t m = n > 0 ? (size_t)n : 1;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->ag = calloc(m, sizeof *s->ag);
    s->as = calloc(m, sizeof *s->as);
    s->ylast = calloc(m, sizeof *s->ylast);
    s->sector = calloc(m, sizeof *s->sector);
    s->srch = calloc(m, sizeof *s->srch);
    s->ndedup = 16;
    while (s->ndedup < 2 * (int64_t)m)
        s->ndedup *= 2;
    s->dedup = malloc((size_t)s->ndedup * sizeof *s->dedup);
    if (!s->ag || !s->as || !s->ylast || !s->sector || !s->srch || !s->dedup) {
        absim_loan_set_free(s);
        return absim_error_set(ABSIM_ENOMEM, "out of memory for %d loan-level lines", n);
    }
    for (int64_t i = 0; i < s->ndedup; i++)
        s->dedup[i] = -1;
    absim_zig_init(&s->zig);
    return ABSIM_OK;
}

void absim_loan_set_free(absim_loan_set *s)
{
    free(s->ag);
    free(s->as);
    free(s->ylast);
    free(s->sector);
    free(s->yk);
    free(s->guide);
    free(s->srch);
    free(s->dedup);
    memset(s, 0, sizeof *s);
}

/* The guide's bucket of t: (t - y0) x scale clamped to [0, gmax] (0 for
 * NaN). Non-decreasing in t: a subtraction, a product with scale >= 0 and
 * the clamp all keep order under rounding. */
static inline int guide_bucket(double t, double y0, double scale, double gmax)
{
    const double d = (t - y0) * scale;
    if (!(d > 0.0))
        return 0;
    return d < gmax ? (int)d : (int)gmax;
}

/* Build the guide of G buckets for thresholds y[0..n-1] into g[0..G-1];
 * returns the largest distance from a bucket's guide entry to an answer
 * in that bucket. */
static int64_t guide_build(const double *y, int64_t n, double scale, int64_t G, uint16_t *g)
{
    int64_t j = 0, widest = 0;
    for (int64_t b = 0; b < G; b++) {
        while (j < n - 1 && guide_bucket(y[j], y[0], scale, (double)(G - 1)) < b)
            j++;
        g[b] = (uint16_t)j;
        if (b > 0 && g[b] - g[b - 1] > widest)
            widest = g[b] - g[b - 1];
    }
    if (n - 1 - g[G - 1] > widest)
        widest = n - 1 - g[G - 1];
    return widest;
}

static int grow_guide(absim_loan_set *s, int64_t need)
{
    if (s->nguide + need <= s->gcap)
        return ABSIM_OK;
    int64_t cap = 2 * s->gcap > s->nguide + need ? 2 * s->gcap : s->nguide + need + 4096;
    uint16_t *grown = realloc(s->guide, (size_t)cap * sizeof *grown);
    if (!grown)
        return absim_error_set(ABSIM_ENOMEM, "out of memory for loan-level thresholds");
    s->guide = grown;
    s->gcap = cap;
    return ABSIM_OK;
}

int absim_loan_set_line(absim_loan_set *s, int l, const absim_line_model *m)
{
    const double ic = 1.0 / m->c;
    int first = 1;
    while (first < m->last && !(m->F[first] > 0.0))
        first++;
    const int64_t n = m->last - first + 1, stored = n + ABSIM_LOANS_PAD;
    if (s->nyk + stored > s->cap) {
        int64_t cap = 2 * s->cap > s->nyk + stored ? 2 * s->cap : s->nyk + stored + 1024;
        double *grown = realloc(s->yk, (size_t)cap * sizeof *grown);
        if (!grown)
            return absim_error_set(ABSIM_ENOMEM, "out of memory for loan-level thresholds");
        s->yk = grown;
        s->cap = cap;
    }
    double *yk = s->yk + s->nyk;
    for (int k = first; k <= m->last; k++)
        yk[k - first] = m->threshold[k] * ic;
    for (int64_t j = n; j < stored; j++)
        yk[j] = INFINITY;
    /* an earlier line with the same thresholds: share its copy and its
     * guide (FNV-1a over the bytes; equal contents compared in full) */
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *b = (const unsigned char *)yk;
    for (size_t i = 0; i < (size_t)n * sizeof *yk; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    int64_t slot = (int64_t)(h & (uint64_t)(s->ndedup - 1));
    while (s->dedup[slot] >= 0) {
        const absim_loan_search *owner = &s->srch[s->dedup[slot]];
        if (owner->n == (int32_t)n && memcmp(s->yk + owner->yoff, yk, (size_t)n * sizeof *yk) == 0)
            break;
        slot = (slot + 1) & (s->ndedup - 1);
    }
    absim_loan_search *q = &s->srch[l];
    if (s->dedup[slot] >= 0) {
        *q = s->srch[s->dedup[slot]];
    } else {
        if (s->nyk + stored > INT32_MAX || s->nguide + 16 * n > INT32_MAX)
            return absim_error_set(ABSIM_ENOMEM, "too many distinct loan-level default curves");
        double range = 0.0; /* of the finite thresholds (F = 1 gives +inf) */
        for (int64_t j = n - 1; j > 0; j--)
            if (isfinite(yk[j])) {
                range = yk[j] - yk[0];
                break;
            }
        /* G = n buckets, doubled (up to 16 n) until every answer lies
         * within ABSIM_LOANS_PAD of its bucket's guide entry */
        int64_t G = n, widest = 0;
        double scale = 0.0;
        for (;;) {
            scale = range > 0.0 && isfinite((double)G / range) ? (double)G / range : 0.0;
            if (grow_guide(s, G) != ABSIM_OK)
                return ABSIM_ENOMEM;
            widest = guide_build(yk, n, scale, G, s->guide + s->nguide);
            if (widest <= ABSIM_LOANS_PAD || G >= 16 * n || scale == 0.0)
                break;
            G *= 2;
        }
        *q = (absim_loan_search){.y0 = yk[0], .scale = scale, .gmax = (double)(G - 1),
                                 .yoff = (int32_t)s->nyk, .goff = (int32_t)s->nguide, .n = (int32_t)n,
                                 .window = widest <= ABSIM_LOANS_PAD};
        s->nguide += G;
        s->dedup[slot] = l;
        s->nyk += stored;
    }
    q->first = first;
    s->ag[l] = m->bg * ic;
    s->as[l] = m->bs * ic;
    s->ylast[l] = m->threshold[m->last] * ic;
    s->sector[l] = m->sector;
    return ABSIM_OK;
}

/* The ziggurat's fast path for n words: e[i] for each word accepted at
 * once, the indices of the others (increasing) in rej[]; returns their
 * number. Scalar, or 4 (AVX2) or 8 (AVX-512) words an instruction with the
 * layer's edge and ratio gathered: the same operations (u from the top 53
 * bits, exact in either conversion; u < k[i]; u x x[i]; the sign bit
 * flipped), so the same bits on every route. */
typedef int zig_batch_fn(const absim_zig *z, const uint64_t *w, int n, double *e, int *rej);

/* words i0..n-1 one at a time, the rejected ones appended to rej[0..nr-1];
 * returns the new count (the scalar route, and the vector routes' tails) */
static int zig_batch_tail(const absim_zig *z, const uint64_t *restrict w, int i0, int n, double *restrict e,
                          int *restrict rej, int nr)
{
    for (int i = i0; i < n; i++)
        if (!absim_zig_fast(z, w[i], &e[i]))
            rej[nr++] = i;
    return nr;
}

static int zig_batch_scalar(const absim_zig *z, const uint64_t *restrict w, int n, double *restrict e,
                            int *restrict rej)
{
    return zig_batch_tail(z, w, 0, n, e, rej, 0);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define LOANS_SIMD 1

/* The top 53 bits of each word as a double, exactly: v = hi 2^32 + lo with
 * hi < 2^21, lo < 2^32, each placed in a double's mantissa under a fixed
 * exponent (2^84, 2^52) and the offset subtracted; the sum is an integer
 * below 2^53, so exact. */
__attribute__((target("avx2"))) static inline __m256d top53_avx2(__m256i w)
{
    const __m256i v = _mm256_srli_epi64(w, 11);
    const __m256i hi = _mm256_or_si256(_mm256_srli_epi64(v, 32), _mm256_set1_epi64x(0x4530000000000000LL));
    const __m256i lo = _mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi64x(0xffffffffLL)),
                                       _mm256_set1_epi64x(0x4330000000000000LL));
    const __m256d h = _mm256_sub_pd(_mm256_castsi256_pd(hi), _mm256_set1_pd(0x1.0p84));
    const __m256d l = _mm256_sub_pd(_mm256_castsi256_pd(lo), _mm256_set1_pd(0x1.0p52));
    return _mm256_add_pd(h, l);
}

__attribute__((target("avx2"))) static int zig_batch_avx2(const absim_zig *z, const uint64_t *restrict w, int n,
                                                         double *restrict e, int *restrict rej)
{
    const __m256i layer = _mm256_set1_epi64x(0xff), signbit = _mm256_set1_epi64x(0x100);
    const __m256d scale = _mm256_set1_pd(0x1.0p-53);
    int nr = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256i vw = _mm256_loadu_si256((const __m256i *)(w + i));
        const __m256i li = _mm256_and_si256(vw, layer);
        const __m256d u = _mm256_mul_pd(top53_avx2(vw), scale);
        const __m256d k = _mm256_i64gather_pd(z->k, li, 8), x = _mm256_i64gather_pd(z->x, li, 8);
        const __m256i sign = _mm256_slli_epi64(_mm256_and_si256(vw, signbit), 55);
        const __m256d v = _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(_mm256_mul_pd(u, x)), sign));
        _mm256_storeu_pd(e + i, v);
        unsigned bad = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(u, k, _CMP_LT_OQ)) ^ 0xfu;
        while (bad) {
            rej[nr++] = i + __builtin_ctz(bad);
            bad &= bad - 1;
        }
    }
    return zig_batch_tail(z, w, i, n, e, rej, nr);
}

__attribute__((target("avx512f"))) static int zig_batch_avx512(const absim_zig *z, const uint64_t *restrict w,
                                                              int n, double *restrict e, int *restrict rej)
{
    const __m512i layer = _mm512_set1_epi64(0xff), signbit = _mm512_set1_epi64(0x100);
    const __m512i mhi = _mm512_set1_epi64(0x4530000000000000LL), mlo = _mm512_set1_epi64(0x4330000000000000LL);
    const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
    const __m512d scale = _mm512_set1_pd(0x1.0p-53), ohi = _mm512_set1_pd(0x1.0p84), olo = _mm512_set1_pd(0x1.0p52);
    int nr = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512i vw = _mm512_loadu_si512((const void *)(w + i));
        const __m512i li = _mm512_and_si512(vw, layer), v = _mm512_srli_epi64(vw, 11);
        const __m512d h = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(v, 32), mhi)), ohi);
        const __m512d l = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(v, low32), mlo)), olo);
        const __m512d u = _mm512_mul_pd(_mm512_add_pd(h, l), scale);
        const __m512d k = _mm512_i64gather_pd(li, z->k, 8), x = _mm512_i64gather_pd(li, z->x, 8);
        const __m512i sign = _mm512_slli_epi64(_mm512_and_si512(vw, signbit), 55);
        _mm512_storeu_pd(e + i, _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(_mm512_mul_pd(u, x)), sign)));
        unsigned bad = (unsigned)_mm512_cmp_pd_mask(u, k, _CMP_LT_OQ) ^ 0xffu;
        while (bad) {
            rej[nr++] = i + __builtin_ctz(bad);
            bad &= bad - 1;
        }
    }
    return zig_batch_tail(z, w, i, n, e, rej, nr);
}
#endif

static zig_batch_fn *zig_batch_of(int route)
{
    route = absim_rng_loan_route(route);
#ifdef LOANS_SIMD
    if (route == ABSIM_LOAN_ROUTE_AVX512)
        return zig_batch_avx512;
    if (route == ABSIM_LOAN_ROUTE_AVX2)
        return zig_batch_avx2;
#endif
    return zig_batch_scalar;
}

int absim_loans_zig_batch_route(const absim_zig *z, const uint64_t *w, int n, double *e, int *rej, int route)
{
    return zig_batch_of(route)(z, w, n, e, rej);
}

void absim_loans_latent_route(const absim_loan_set *s, uint64_t seed, uint64_t path, int first, int n, uint64_t *w,
                              double *e, int route)
{
    int rej[64];
    absim_rng_loan_words_route(seed, path, first, n, w, route);
    zig_batch_fn *batch = zig_batch_of(route);
    for (int b = 0; b < n; b += 64) {
        const int m = n - b < 64 ? n - b : 64;
        const int nr = batch(&s->zig, w + b, m, e + b, rej);
        for (int j = 0; j < nr; j++) {
            const int i = b + rej[j];
            absim_rng r;
            absim_rng_open(&r, seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_LOANS_MORE, first + i));
            e[i] = absim_zig_finish(&s->zig, w[i], &r);
        }
    }
}

void absim_loans_latent(const absim_loan_set *s, uint64_t seed, uint64_t path, int first, int n, uint64_t *w,
                        double *e)
{
    absim_loans_latent_route(s, seed, path, first, n, w, e, -1);
}

/* Period of a loan known to default by `last`: the smallest k in
 * [first, last] with t <= c_k ic, t = (e + sys) / m (the test e <= y_k up
 * to rounding; `last` if rounding leaves none), i.e. first + j for the
 * smallest j < n - 1 with t <= y_j, else n - 1. From the guide entry g of
 * t's bucket (every y below it is < t): with `window`, the answer is at
 * most ABSIM_LOANS_PAD past g, and y sorted makes it g plus the number of
 * y_{g+i} below t, at most n - 1 (independent loads, no branch; the
 * padding, +inf, keeps the reads inside the table and is never counted);
 * else a forward scan. */
static inline int default_period(const absim_loan_search *q, const double *yk_all, const uint16_t *guide, double t)
{
    const double *yk = yk_all + q->yoff;
    const int n1 = q->n - 1;
    int j = guide[q->goff + guide_bucket(t, q->y0, q->scale, q->gmax)];
    if (q->window) {
        int c = 0;
        for (int i = 0; i < ABSIM_LOANS_PAD; i++)
            c += t > yk[j + i];
        j += c; /* the padding (+inf) is never below t; y_{n-1} may be */
        return q->first + (j < n1 ? j : n1);
    }
    while (j < n1 && !(t <= yk[j]))
        j++;
    return q->first + j;
}

/* Default flags of up to 64 loans as the bits of a word: bit i is
 * e[i] <= ylast[i] m - (ag[i] Z_g + as[i] Z_s[sector[i]]), the operations
 * of the period search in the same order (no fused multiply-add), so
 * every route gives the same bits: scalar, or 4 (AVX2) or 8 (AVX-512)
 * loans an instruction with the sector factors gathered. */
typedef uint64_t default_bits_fn(const double *e, const double *ylast, const double *ag, const double *as,
                                 const int *sector, const double *zs, double zg, double mix, int n);

static uint64_t default_bits_scalar(const double *restrict e, const double *restrict ylast,
                                    const double *restrict ag, const double *restrict as,
                                    const int *restrict sector, const double *restrict zs, double zg, double mix,
                                    int n)
{
    uint64_t bits = 0;
    for (int i = 0; i < n; i++)
        bits |= (uint64_t)(e[i] <= ylast[i] * mix - (ag[i] * zg + as[i] * zs[sector[i]])) << i;
    return bits;
}

#ifdef LOANS_SIMD

__attribute__((target("avx2"))) static uint64_t default_bits_avx2(const double *restrict e,
                                                                 const double *restrict ylast,
                                                                 const double *restrict ag,
                                                                 const double *restrict as,
                                                                 const int *restrict sector,
                                                                 const double *restrict zs, double zg,
                                                                 double mix, int n)
{
    const __m256d vm = _mm256_set1_pd(mix), vz = _mm256_set1_pd(zg);
    uint64_t bits = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d zsi = _mm256_i32gather_pd(zs, _mm_loadu_si128((const __m128i *)(sector + i)), 8);
        const __m256d sys = _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(ag + i), vz),
                                          _mm256_mul_pd(_mm256_loadu_pd(as + i), zsi));
        const __m256d y = _mm256_sub_pd(_mm256_mul_pd(_mm256_loadu_pd(ylast + i), vm), sys);
        bits |= (uint64_t)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(e + i), y, _CMP_LE_OQ)) << i;
    }
    if (i < n)
        bits |= default_bits_scalar(e + i, ylast + i, ag + i, as + i, sector + i, zs, zg, mix, n - i) << i;
    return bits;
}

__attribute__((target("avx512f"))) static uint64_t default_bits_avx512(const double *restrict e,
                                                                      const double *restrict ylast,
                                                                      const double *restrict ag,
                                                                      const double *restrict as,
                                                                      const int *restrict sector,
                                                                      const double *restrict zs, double zg,
                                                                      double mix, int n)
{
    const __m512d vm = _mm512_set1_pd(mix), vz = _mm512_set1_pd(zg);
    uint64_t bits = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d zsi = _mm512_i32gather_pd(_mm256_loadu_si256((const __m256i *)(sector + i)), zs, 8);
        const __m512d sys = _mm512_add_pd(_mm512_mul_pd(_mm512_loadu_pd(ag + i), vz),
                                          _mm512_mul_pd(_mm512_loadu_pd(as + i), zsi));
        const __m512d y = _mm512_sub_pd(_mm512_mul_pd(_mm512_loadu_pd(ylast + i), vm), sys);
        bits |= (uint64_t)_mm512_cmp_pd_mask(_mm512_loadu_pd(e + i), y, _CMP_LE_OQ) << i;
    }
    if (i < n)
        bits |= default_bits_scalar(e + i, ylast + i, ag + i, as + i, sector + i, zs, zg, mix, n - i) << i;
    return bits;
}
#endif

static default_bits_fn *default_bits_of(int route)
{
    route = absim_rng_loan_route(route);
#ifdef LOANS_SIMD
    if (route == ABSIM_LOAN_ROUTE_AVX512)
        return default_bits_avx512;
    if (route == ABSIM_LOAN_ROUTE_AVX2)
        return default_bits_avx2;
#endif
    return default_bits_scalar;
}

int absim_loans_sample_route(const absim_loan_set *s, int l0, int n, const absim_factors *f,
                             const double *restrict e, int *restrict period, int *restrict def, int route)
{
    default_bits_fn *bits_of = default_bits_of(route);
    const double zg = f->zg, mix = f->mix;
    const double *restrict zs = f->zs, *restrict ag = s->ag + l0, *restrict as = s->as + l0,
                           *restrict ylast = s->ylast + l0;
    const int *restrict sector = s->sector + l0;
    /* y_last as thr[last] ic mix - sys: the same operations as the search;
     * the defaulters' indices read off the flag bits, 64 loans at a time */
    int nd = 0;
    for (int b = 0; b < n; b += 64) {
        uint64_t bits = bits_of(e + b, ylast + b, ag + b, as + b, sector + b, zs, zg, mix, n - b < 64 ? n - b : 64);
        while (bits) {
            def[nd++] = b + __builtin_ctzll(bits);
            bits &= bits - 1;
        }
    }
    for (int i = 0; i < n; i++)
        period[i] = 0;
    const absim_loan_search *restrict srch = s->srch + l0;
    if (mix == 1.0) /* x / 1 is x: the Gaussian copula skips the division */
        for (int j = 0; j < nd; j++) {
            const int i = def[j];
            period[i] = default_period(&srch[i], s->yk, s->guide, e[i] + (ag[i] * zg + as[i] * zs[sector[i]]));
        }
    else
        for (int j = 0; j < nd; j++) {
            const int i = def[j];
            period[i] = default_period(&srch[i], s->yk, s->guide, (e[i] + (ag[i] * zg + as[i] * zs[sector[i]])) / mix);
        }
    return nd;
}

int absim_loans_sample(const absim_loan_set *s, int l0, int n, const absim_factors *f, const double *restrict e,
                       int *restrict period, int *restrict def)
{
    return absim_loans_sample_route(s, l0, n, f, e, period, def, -1);
}
