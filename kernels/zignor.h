/* zignor.h -- standard normals by the ziggurat method, one 64-bit word at
 * a time.
 *
 * Marsaglia and Tsang, "The ziggurat method for generating random
 * variables", J. Stat. Software 5(8), 2000, with 256 layers of equal area
 * (the base layer includes the tail beyond R), in the layout of Doornik,
 * "An improved ziggurat method to generate normal random samples", 2005.
 * Unlike gsl_ran_gaussian_ziggurat, the caller hands over the random word:
 * a batch of words computed in one Philox loop (one per loan) becomes a
 * batch of normals with no call per draw. A word's low 8 bits pick the
 * layer, bit 8 the sign and the top 53 bits the position: disjoint bits,
 * so independent. About 98.8% of words are accepted at once
 * (absim_zig_fast); the rest finish with further words from a stream
 * (absim_zig_finish): wedge test, tail (Marsaglia 1964) or a fresh start,
 * all exact.
 *
 * The layer edges are computed at initialisation, with R solved by
 * bisection so that the 256 layers have equal area to rounding. */
#ifndef ABSIM_ZIGNOR_H
#define ABSIM_ZIGNOR_H

#include <stdint.h>
#include <string.h>

#include "rng.h"

#define ABSIM_ZIG_LAYERS 256

typedef struct {
    double x[ABSIM_ZIG_LAYERS + 1];  /* layer edges: x[0] = V / f(R), x[1] = R, ..., x[256] = 0 */
    double f[ABSIM_ZIG_LAYERS + 1];  /* exp(-x^2 / 2) at the edges */
    double k[ABSIM_ZIG_LAYERS];      /* x[i+1] / x[i]: u below it is accepted at once */
    double r;                        /* R, start of the tail */
} absim_zig;

/* Build the tables (deterministic; about 2 ms). */
void absim_zig_init(absim_zig *z);

/* The draw of word w if it is accepted at once: returns 1 and sets *e;
 * returns 0 if the word needs absim_zig_finish. */
static inline int absim_zig_fast(const absim_zig *z, uint64_t w, double *e)
{
    const int i = (int)(w & 0xff);
    const double u = (double)(int64_t)(w >> 11) * 0x1.0p-53; /* [0, 1) */
    if (u < z->k[i]) {
        /* the sign from bit 8 by flipping the sign bit: no branch (it
         * would be a coin toss); the same value as -x */
        const double x = u * z->x[i];
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        bits ^= (w & 0x100) << 55;
        memcpy(e, &bits, sizeof bits);
        return 1;
    }
    return 0;
}

/* Complete the draw whose first word w was not accepted at once, using
 * further words from stream r. */
double absim_zig_finish(const absim_zig *z, uint64_t w, absim_rng *r);

/* One standard normal from stream r (fast path, else finish). */
double absim_zig_draw(const absim_zig *z, absim_rng *r);

#endif
