/* rating.h -- rating scales and implied ratings.
 *
 * A scale is a CSV: '#' comment lines (provenance), a line
 * "measure,pd" or "measure,el", then a header "rating,<h1>,<h2>,..." of
 * horizons in years and one row per rating, best first, with the idealized
 * cumulative PD (or EL) at each horizon. Values are interpolated linearly in
 * the horizon (flat beyond the ends). The implied rating of a tranche is
 * the best rating whose idealized value at the tranche's WAL is >= the
 * tranche's measure (default probability for "pd", mean pv_loss for "el");
 * if none, the worst rating. */
#ifndef ABSIM_RATING_H
#define ABSIM_RATING_H

#include <stdio.h>

typedef enum { ABSIM_MEASURE_PD = 0, ABSIM_MEASURE_EL = 1 } absim_rating_measure;

typedef struct {
    absim_rating_measure measure;
    int nratings, nhorizons;
    char (*rating)[16];     /* nratings, best first */
    double *horizon;        /* nhorizons, years, increasing */
    double *value;          /* nratings * nhorizons, row = rating */
    char source[256];       /* file name or "<bundled>" */
} absim_rating_scale;

/* Load a scale from a file; errors "FILE:LINE: error: ..." to `err`.
 * Returns ABSIM_OK, ABSIM_EIO, ABSIM_ECONFIG or ABSIM_ENOMEM. */
int absim_rating_scale_load(absim_rating_scale *s, const char *path, FILE *err);
int absim_rating_scale_load_string(absim_rating_scale *s, const char *text, const char *name, FILE *err);
void absim_rating_scale_free(absim_rating_scale *s);

/* The bundled default scale text (configs/ratings/moodys_idealized_pd.csv). */
extern const char absim_default_rating_scale_text[];

/* Idealized value of rating index i at horizon `years`. */
double absim_rating_value(const absim_rating_scale *s, int i, double years);

/* Implied rating: writes the rating name into out (size >= 16). */
void absim_rating_implied(const absim_rating_scale *s, double measure, double wal_years, char *out);

#endif
