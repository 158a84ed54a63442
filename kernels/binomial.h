/* binomial.h -- exact binomial variates drawn from an absim_rng stream.
 *
 * absim_binomial_draw() is what the conditional-binomial default sampler
 * (copula.c) calls once per line for the number of defaulters and once per
 * period to split them. It is exact: inversion from 0 for means below 6,
 * inversion from the mode for variances below 40, BTRD (Hörmann 1993) with
 * an exact acceptance test above; no normal or Poisson approximation
 * anywhere (binomial.c). Its cost does not grow with n: O(1 + n p) below a
 * mean of 6, O(1 + sqrt(n p (1-p))) below a variance of 40, O(1) above. */
#ifndef ABSIM_BINOMIAL_H
#define ABSIM_BINOMIAL_H

#include <stdint.h>

#include "rng.h"

/* One Binomial(n, p) variate from `rng`. p <= 0 or NaN gives 0, p >= 1
 * gives n, n <= 0 gives 0 (without drawing). One uniform per draw below a
 * variance of 40 (but for restarts forced by rounding, ~1e-15), 1.5 to 1.7
 * on average for BTRD above; no allocation, no other state. */
int64_t absim_binomial_draw(absim_rng *rng, int64_t n, double p);

#endif
