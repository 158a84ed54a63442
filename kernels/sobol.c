/* sobol.c -- Sobol points by direct Gray-code indexing (see sobol.h). */
#include "sobol.h"

/* new-joe-kuo-6.21201, dimensions 2..32: degree s, coefficients a, m_1..m_s. */
static const struct {
    int s, a;
    uint32_t m[7];
} table[ABSIM_SOBOL_MAXDIM - 1] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
};

int absim_sobol_init(absim_sobol *s, int dim)
{
    if (dim < 1 || dim > ABSIM_SOBOL_MAXDIM)
        return -1;
    s->dim = dim;
    for (int k = 0; k < 32; k++) /* dimension 1: van der Corput */
        s->v[0][k] = (uint32_t)1 << (31 - k);
    for (int d = 1; d < dim; d++) {
        int deg = table[d - 1].s;
        uint32_t a = (uint32_t)table[d - 1].a;
        uint32_t *v = s->v[d];
        for (int k = 0; k < 32; k++) {
            if (k < deg) {
                v[k] = table[d - 1].m[k] << (31 - k);
            } else {
                v[k] = v[k - deg] ^ (v[k - deg] >> deg);
                for (int j = 1; j < deg; j++)
                    if ((a >> (deg - 1 - j)) & 1u)
                        v[k] ^= v[k - j];
            }
        }
    }
    return 0;
}

void absim_sobol_point(const absim_sobol *s, uint32_t n, uint32_t *x)
{
    uint32_t g = n ^ (n >> 1);
    for (int d = 0; d < s->dim; d++) {
        uint32_t acc = 0, bits = g;
        for (int k = 0; bits; k++, bits >>= 1)
            if (bits & 1u)
                acc ^= s->v[d][k];
        x[d] = acc;
    }
}

void absim_sobol_point_shifted(const absim_sobol *s, uint32_t n, const uint32_t *shift, double *u)
{
    uint32_t x[ABSIM_SOBOL_MAXDIM];
    absim_sobol_point(s, n, x);
    for (int d = 0; d < s->dim; d++)
        u[d] = ((double)(x[d] ^ shift[d]) + 0.5) / 4294967296.0;
}
