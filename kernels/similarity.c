/* similarity.c -- Finger-Kreinin similarity index (see similarity.h). */
#include "similarity.h"

void absim_similarity_shares(const double *amount, int n, double *share)
{
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += amount[i];
    for (int i = 0; i < n; i++)
        share[i] = total > 0.0 ? amount[i] / total : 0.0;
}

double absim_similarity_index(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] < b[i] ? a[i] : b[i];
    return 100.0 * s;
}
