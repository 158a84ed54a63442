/* sobol.h -- randomised Sobol points with random access by index.
 *
 * The Sobol construction of Bratley-Fox / Joe-Kuo (primitive polynomials
 * and initial direction numbers of the "new-joe-kuo-6.21201" table, the
 * same construction as GSL's gsl_qrng_sobol) for up to ABSIM_SOBOL_MAXDIM
 * dimensions, 32 bits. Point n is computed directly from the Gray code of
 * n (x_n = XOR of the direction numbers V_k over the set bits k of
 * n ^ (n >> 1)), so any path can compute its own point without generating
 * the points before it: GSL's gsl_qrng is sequential only, which would
 * break absim's per-path reproducibility. Randomisation is a random digital
 * shift (XOR with 32 random bits per dimension and replicate), which keeps
 * the net structure and makes each replicate an unbiased estimator. */
#ifndef ABSIM_SOBOL_H
#define ABSIM_SOBOL_H

#include <stdint.h>

#define ABSIM_SOBOL_MAXDIM 32

typedef struct {
    int dim;
    uint32_t v[ABSIM_SOBOL_MAXDIM][32]; /* direction numbers V_{k+1} of each dimension */
} absim_sobol;

/* Prepare `dim` dimensions (1..ABSIM_SOBOL_MAXDIM). Returns 0, or -1 if dim is out of range. */
int absim_sobol_init(absim_sobol *s, int dim);

/* Raw 32-bit coordinates of point n (n = 0, 1, ...; point 0 is the origin). */
void absim_sobol_point(const absim_sobol *s, uint32_t n, uint32_t *x);

/* Point n digitally shifted by `shift` (dim words), mapped to (0,1):
 * u = ((x ^ shift) + 0.5) / 2^32. */
void absim_sobol_point_shifted(const absim_sobol *s, uint32_t n, const uint32_t *shift, double *u);

#endif
