/* philox_batch.h -- many Philox4x64-10 blocks at once, bit for bit equal
 * to Random123's philox4x64_R(10, ...).
 *
 * The blocks of one call share the key and counter words 0, 2 and 3 and
 * differ in counter word 1 (in absim: the stream id), which is the case
 * of a loan tape. AVX-512F and AVX2 versions compute 8 or 4 blocks per
 * step; the widest one this CPU supports is chosen at the first call.
 * Every version gives the same words. */
#ifndef ABSIM_PHILOX_BATCH_H
#define ABSIM_PHILOX_BATCH_H

#include <stdint.h>

/* out[4*i + j] = word j of philox4x64_R(10, {c0, c1[i], c2, c3},
 * {key0, key1}) for 0 <= i < n; nothing when n <= 0 (c1 and out may then
 * be NULL). out must not overlap c1. No allocation; thread-safe. */
void absim_philox_blocks(uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1, uint64_t c2,
                         uint64_t c3, int n, uint64_t *restrict out);

/* Instruction sets of absim_philox_blocks_isa. */
enum {
    ABSIM_PHILOX_SCALAR = 0, /* Random123's philox4x64_R, one block at a time */
    ABSIM_PHILOX_AVX2 = 1,   /* 4 blocks per step */
    ABSIM_PHILOX_AVX512 = 2  /* AVX-512F, 8 blocks per step */
};

/* For tests and benchmarks: absim_philox_blocks with the version `isa`
 * forced. Returns 1, or 0 (writing nothing) when this CPU or build lacks
 * that version. */
int absim_philox_blocks_isa(int isa, uint64_t key0, uint64_t key1, uint64_t c0, const uint64_t *restrict c1,
                            uint64_t c2, uint64_t c3, int n, uint64_t *restrict out);

#endif
