/* test_philox_batch.c -- batched Philox4x64-10: every version this CPU
 * runs (scalar, AVX2, AVX-512F) against Random123's philox4x64_R, word
 * for word, and the published known answers.
 *
 * Keys and counters come from a fixed-seed LCG, with 0 and UINT64_MAX
 * mixed in; the batch sizes cover every tail length of both vector
 * widths, and unaligned arrays. Words past the end of the output must be
 * left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <Random123/philox.h>

#include "philox_batch.h"
#include "testutil.h"

#define MAX_N 1000
#define CANARY 0x5a5a5a5a5a5a5a5aULL

static const int isas[] = {ABSIM_PHILOX_SCALAR, ABSIM_PHILOX_AVX2, ABSIM_PHILOX_AVX512};
static const char *const isa_names[] = {"scalar", "avx2", "avx512"};

/* 64-bit LCG (Knuth's MMIX constants); returns the state mixed down so
 * that the low bits are usable too. */
static uint64_t lcg_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s ^ (*s >> 29);
}

/* A random word, 0 or UINT64_MAX with probability 1/8 each. */
static uint64_t pick(uint64_t *s)
{
    const uint64_t r = lcg_next(s);
    switch (r >> 61) {
    case 0:
        return 0;
    case 1:
        return UINT64_MAX;
    default:
        return lcg_next(s);
    }
}

static int isa_available(int isa)
{
    return absim_philox_blocks_isa(isa, 0, 0, 0, NULL, 0, 0, 0, NULL);
}

/* Run version isa on one batch (c1 and out at the given offsets into
 * their buffers) and compare with Random123; every word, and the canary
 * after the output. */
static void check_batch(int isa, uint64_t k0, uint64_t k1, uint64_t c0, const uint64_t *c1, uint64_t c2, uint64_t c3,
                        int n, int out_off)
{
    static uint64_t buf[4 * MAX_N + 16];
    for (size_t j = 0; j < sizeof buf / sizeof *buf; j++)
        buf[j] = CANARY;
    uint64_t *out = buf + out_off;
    assert_int_equal(absim_philox_blocks_isa(isa, k0, k1, c0, c1, c2, c3, n, out), 1);
    const philox4x64_key_t key = {{k0, k1}};
    for (int i = 0; i < n; i++) {
        const philox4x64_ctr_t ctr = {{c0, c1[i], c2, c3}};
        const philox4x64_ctr_t ref = philox4x64_R(10, ctr, key);
        for (int j = 0; j < 4; j++) {
            if (out[4 * i + j] != ref.v[j]) {
                print_error("%s n=%d block %d word %d: %016llx, Random123 %016llx\n", isa_names[isa], n, i, j,
                            (unsigned long long)out[4 * i + j], (unsigned long long)ref.v[j]);
                fail();
            }
        }
    }
    for (int j = 0; j < out_off; j++)
        assert_true(buf[j] == CANARY);
    for (size_t j = (size_t)out_off + 4 * (size_t)n; j < sizeof buf / sizeof *buf; j++)
        assert_true(buf[j] == CANARY);
}

/* Random123's published philox4x64_10 vectors (kat_vectors), through
 * Random123 itself and through every version. */
static void test_philox_batch_known_answers(void **state)
{
    (void)state;
    static const struct {
        uint64_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0},
         {0, 0},
         {0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL, 0xd7e772cee186176bULL, 0x7e68b68aec7ba23bULL}},
        {{UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
         {UINT64_MAX, UINT64_MAX},
         {0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL, 0x9cc7d7c69cd777b6ULL, 0xa09caebf594f0ba0ULL}},
        {{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL},
         {0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL},
         {0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL, 0x57bd43b5e52b7fe6ULL}},
    };
    for (size_t t = 0; t < sizeof kat / sizeof *kat; t++) {
        const philox4x64_ctr_t c = {{kat[t].ctr[0], kat[t].ctr[1], kat[t].ctr[2], kat[t].ctr[3]}};
        const philox4x64_key_t k = {{kat[t].key[0], kat[t].key[1]}};
        const philox4x64_ctr_t o = philox4x64_R(10, c, k);
        for (int j = 0; j < 4; j++)
            assert_true(o.v[j] == kat[t].out[j]);

        /* 11 equal blocks: a full step of either width plus a tail */
        uint64_t c1[11], out[44];
        for (int i = 0; i < 11; i++)
            c1[i] = kat[t].ctr[1];
        for (size_t v = 0; v < sizeof isas / sizeof *isas; v++) {
            if (!isa_available(isas[v]))
                continue;
            memset(out, 0, sizeof out);
            assert_int_equal(absim_philox_blocks_isa(isas[v], kat[t].key[0], kat[t].key[1], kat[t].ctr[0], c1,
                                                     kat[t].ctr[2], kat[t].ctr[3], 11, out),
                             1);
            for (int i = 0; i < 11; i++)
                for (int j = 0; j < 4; j++)
                    assert_true(out[4 * i + j] == kat[t].out[j]);
        }
        memset(out, 0, sizeof out);
        absim_philox_blocks(kat[t].key[0], kat[t].key[1], kat[t].ctr[0], c1, kat[t].ctr[2], kat[t].ctr[3], 11, out);
        for (int i = 0; i < 11; i++)
            for (int j = 0; j < 4; j++)
                assert_true(out[4 * i + j] == kat[t].out[j]);
    }
}

/* Every available version equals Random123 for n = 0..40, 257 and 1000,
 * random and extreme keys and counters, aligned and unaligned arrays. */
static void test_philox_batch_matches_random123(void **state)
{
    (void)state;
    static uint64_t c1buf[MAX_N + 1];
    static const int big[] = {257, 1000};
    int tested = 0;
    for (size_t v = 0; v < sizeof isas / sizeof *isas; v++) {
        const int isa = isas[v];
        if (!isa_available(isa)) {
            print_message("philox_batch: %s not available here, skipped\n", isa_names[isa]);
            continue;
        }
        tested++;
        uint64_t s = 20240601u + (uint64_t)isa;
        for (int n = 0; n <= 40 + 2; n++) {
            const int nn = n <= 40 ? n : big[n - 41];
            for (int trial = 0; trial < 4; trial++) {
                /* trial 0: all words 0; 1: all UINT64_MAX; then random */
                for (int i = 0; i <= nn; i++)
                    c1buf[i] = trial == 0 ? 0 : trial == 1 ? UINT64_MAX : pick(&s);
                uint64_t w[5];
                for (int j = 0; j < 5; j++)
                    w[j] = trial == 0 ? 0 : trial == 1 ? UINT64_MAX : pick(&s);
                const int off = trial & 1; /* odd trials: unaligned c1 and out */
                check_batch(isa, w[0], w[1], w[2], c1buf + off, w[3], w[4], nn, off);
            }
        }
    }
    assert_true(tested >= 1); /* scalar always runs */
}

/* The dispatched entry point equals the scalar version; an unknown
 * version is refused and writes nothing. */
static void test_philox_batch_dispatch(void **state)
{
    (void)state;
    enum { N = 123 };
    uint64_t c1[N], a[4 * N], b[4 * N];
    uint64_t s = 7;
    for (int i = 0; i < N; i++)
        c1[i] = lcg_next(&s);
    const uint64_t k0 = lcg_next(&s), k1 = lcg_next(&s), c0 = lcg_next(&s), c2 = lcg_next(&s), c3 = lcg_next(&s);
    absim_philox_blocks(k0, k1, c0, c1, c2, c3, N, a);
    assert_int_equal(absim_philox_blocks_isa(ABSIM_PHILOX_SCALAR, k0, k1, c0, c1, c2, c3, N, b), 1);
    assert_memory_equal(a, b, sizeof a);

    for (int i = 0; i < 4 * N; i++)
        b[i] = CANARY;
    assert_int_equal(absim_philox_blocks_isa(3, k0, k1, c0, c1, c2, c3, N, b), 0);
    assert_int_equal(absim_philox_blocks_isa(-1, k0, k1, c0, c1, c2, c3, N, b), 0);
    for (int i = 0; i < 4 * N; i++)
        assert_true(b[i] == CANARY);
    /* n <= 0 writes nothing */
    absim_philox_blocks(k0, k1, c0, c1, c2, c3, -5, b);
    assert_true(b[0] == CANARY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_batch_known_answers),
        cmocka_unit_test(test_philox_batch_matches_random123),
        cmocka_unit_test(test_philox_batch_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
