/* similarity.h -- Finger-Kreinin similarity of two pools' compositions.
 *
 * Given the two pools' balance shares a_l and b_l over a common list of
 * categories (sectors or lines), S = 100 x sum_l min(a_l, b_l): 100 for
 * identical compositions, 0 for disjoint ones, symmetric in the pools. */
#ifndef ABSIM_SIMILARITY_H
#define ABSIM_SIMILARITY_H

/* Normalise `amount[0..n-1]` (non-negative) into shares summing to 1
 * (all zero if the total is zero). */
void absim_similarity_shares(const double *amount, int n, double *share);

/* Finger-Kreinin index of shares a and b over n categories. */
double absim_similarity_index(const double *a, const double *b, int n);

#endif
