/* loans.c -- the loan-level default sampler (see loans.h).
 *
 * For a line of one loan with loadings (b_g, b_s, c) and thresholds c_k,
 * given the factors (Z_g, Z_s, m) the loan defaults by k iff
 *     s + c e <= c_k m,   s = b_g Z_g + b_s Z_s,
 * i.e. e <= y_k = (c_k / c) m - s / c with e ~ N(0,1) its own draw. One
 * comparison per loan decides default by `last`; a defaulter's period is
 * the smallest k with (e + s/c) / m <= c_k / c, the same test up to
 * rounding (binary search).
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
    s->ic = calloc(m, sizeof *s->ic);
    s->sector = calloc(m, sizeof *s->sector);
    s->first = calloc(m, sizeof *s->first);
    s->last = calloc(m, sizeof *s->last);
    s->yoff = calloc(m, sizeof *s->yoff);
    if (!s->ag || !s->as || !s->ylast || !s->ic || !s->sector || !s->first || !s->last || !s->yoff) {
        absim_loan_set_free(s);
        return absim_error_set(ABSIM_ENOMEM, "out of memory for %d loan-level lines", n);
    }
    s->ndedup = 16;
    while (s->ndedup < 2 * (int64_t)m)
        s->ndedup *= 2;
    s->dedup = malloc((size_t)s->ndedup * sizeof *s->dedup);
    s->dedup_len = malloc((size_t)s->ndedup * sizeof *s->dedup_len);
    if (!s->dedup || !s->dedup_len) {
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
    free(s->ic);
    free(s->sector);
    free(s->first);
    free(s->last);
    free(s->yoff);
    free(s->yk);
    free(s->dedup);
    free(s->dedup_len);
    memset(s, 0, sizeof *s);
}

int absim_loan_set_line(absim_loan_set *s, int l, const absim_line_model *m)
{
    const double ic = 1.0 / m->c;
    int first = 1;
    while (first < m->last && !(m->F[first] > 0.0))
        first++;
    const int64_t n = m->last - first + 1;
    if (s->nyk + n > s->cap) {
        int64_t cap = 2 * s->cap > s->nyk + n ? 2 * s->cap : s->nyk + n + 1024;
        double *grown = realloc(s->yk, (size_t)cap * sizeof *grown);
        if (!grown)
            return absim_error_set(ABSIM_ENOMEM, "out of memory for loan-level thresholds");
        s->yk = grown;
        s->cap = cap;
    }
    double *yk = s->yk + s->nyk;
    for (int k = first; k <= m->last; k++)
        yk[k - first] = m->threshold[k] * ic;
    /* an earlier line with the same thresholds: share its copy (FNV-1a
     * over the bytes; equal contents compared in full) */
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *b = (const unsigned char *)yk;
    for (size_t i = 0; i < (size_t)n * sizeof *yk; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    int64_t slot = (int64_t)(h & (uint64_t)(s->ndedup - 1));
    while (s->dedup[slot] >= 0) {
        if (s->dedup_len[slot] == (int)n && memcmp(s->yk + s->dedup[slot], yk, (size_t)n * sizeof *yk) == 0)
            break;
        slot = (slot + 1) & (s->ndedup - 1);
    }
    if (s->dedup[slot] >= 0) {
        s->yoff[l] = s->dedup[slot];
    } else {
        s->yoff[l] = s->nyk;
        s->dedup[slot] = s->nyk;
        s->dedup_len[slot] = (int)n;
        s->nyk += n;
    }
    s->ic[l] = ic;
    s->ag[l] = m->bg * ic;
    s->as[l] = m->bs * ic;
    s->ylast[l] = m->threshold[m->last] * ic;
    s->sector[l] = m->sector;
    s->first[l] = first;
    s->last[l] = m->last;
    return ABSIM_OK;
}

void absim_loans_latent(const absim_loan_set *s, uint64_t seed, uint64_t path, int first, int n, uint64_t *w,
                        double *e)
{
    absim_rng_loan_words(seed, path, first, n, w);
    for (int i = 0; i < n; i++)
        if (!absim_zig_fast(&s->zig, w[i], &e[i])) {
            absim_rng r;
            absim_rng_open(&r, seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_LOANS_MORE, first + i));
            e[i] = absim_zig_finish(&s->zig, w[i], &r);
        }
}

/* Period of a loan known to default by `last`: the smallest k in
 * [first, last] with t <= c_k ic, t = (e + sys) / m (the test e <= y_k up
 * to rounding; `last` if rounding leaves none). Branch-free binary search
 * with one load and one comparison per step: the answer stays in
 * [first + lo, first + lo + len - 1]. */
static int default_period(const absim_loan_set *s, int l, double t)
{
    const double *yk = s->yk + s->yoff[l];
    int lo = 0, len = s->last[l] - s->first[l] + 1;
    while (len > 1) {
        const int half = len >> 1;
        lo = t <= yk[lo + half - 1] ? lo : lo + half;
        len -= half;
    }
    return s->first[l] + lo;
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

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define DEFAULT_BITS_SIMD 1

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
#ifdef DEFAULT_BITS_SIMD
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
    for (int j = 0; j < nd; j++) {
        const int i = def[j];
        period[i] = default_period(s, l0 + i, (e[i] + (ag[i] * zg + as[i] * zs[sector[i]])) / mix);
    }
    return nd;
}

int absim_loans_sample(const absim_loan_set *s, int l0, int n, const absim_factors *f, const double *restrict e,
                       int *restrict period, int *restrict def)
{
    return absim_loans_sample_route(s, l0, n, f, e, period, def, -1);
}
