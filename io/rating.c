/* rating.c -- rating scales (CSV) and implied ratings (rating.h).
 *
 * Format (docs/ratings.md): '#' comment lines and blank lines anywhere;
 * first "measure,pd" or "measure,el"; then "rating,<h1>,...,<hm>" with
 * horizons in years, finite, > 0 and strictly increasing; then one row per
 * rating, best first: a unique name (at most 15 characters) and m values in
 * [0,1]. Fields are trimmed of blanks and may be double-quoted. Errors
 * (reported "FILE:LINE: error: ...", the scale left empty): bad numbers,
 * a missing measure or header line, ragged rows, non-increasing horizons,
 * values outside [0,1], duplicate names, no rows, and a value that
 * decreases from a rating to the next worse one at some horizon (the
 * implied rating needs the scale monotone in rating). A cumulative value
 * that decreases with the horizon is only a warning ("FILE:LINE: warning:"):
 * the implied rating stays well defined. */
#include "rating.h"
#include "textfile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define RATING_NAME_MAX 16

/* A rating scale is a small table: anything larger is not one. */
#define MAX_SCALE_BYTES (16L << 20)

typedef struct {
    const char *name; /* file name for messages */
    FILE *err;
} parse_ctx;

/* Report "NAME:LINE: error: MSG" to ctx->err and record it; returns rc. */
static int report_error(const parse_ctx *ctx, int line, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int report_error(const parse_ctx *ctx, int line, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) {
        if (ctx->err)
            fprintf(ctx->err, "%s:%d: error: %s\n", ctx->name, line, msg);
        return absim_error_set(rc, "%s:%d: error: %s", ctx->name, line, msg);
    }
    if (ctx->err)
        fprintf(ctx->err, "%s: error: %s\n", ctx->name, msg);
    return absim_error_set(rc, "%s: error: %s", ctx->name, msg);
}

/* ASCII case-insensitive equality. */
static int same_word(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        s[len - 1] = '\0';
        s++;
    }
    return s;
}

/* Split `line` in place at commas into at most `max` trimmed fields;
 * returns the number of fields (which may exceed max: the rest are not
 * stored). */
static int split(char *line, char **field, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (n < max)
            field[n] = trim(p);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

/* Parse a whole field as a finite double. */
static int parse_number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return 0;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int count_fields(const char *line)
{
    int n = 1;
    for (; *line; line++)
        n += *line == ',';
    return n;
}

void absim_rating_scale_free(absim_rating_scale *s)
{
    free(s->rating);
    free(s->horizon);
    free(s->value);
    memset(s, 0, sizeof *s);
}

int absim_rating_scale_load_string(absim_rating_scale *s, const char *text, const char *name, FILE *err)
{
    parse_ctx ctx = {name ? name : "<string>", err};
    char *buf = NULL, **field = NULL;
    int *row_line = NULL;
    int rc = ABSIM_OK, state = 0, lineno = 0, cap = 0, nfield_max = 0;
    char *next;

    memset(s, 0, sizeof *s);
    snprintf(s->source, sizeof s->source, "%s", ctx.name);
    if (!text)
        text = "";
    buf = malloc(strlen(text) + 1);
    if (buf)
        memcpy(buf, text, strlen(text) + 1);
    if (!buf) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory reading rating scale %s", ctx.name);
        goto cleanup;
    }
    for (char *line = buf; line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        else if (!*line)
            break; /* nothing after the last newline */
        lineno++;
        char *t = trim(line);
        if (!*t || *t == '#')
            continue;
        int nf = count_fields(t);
        if (nf > nfield_max) {
            char **grown = realloc(field, (size_t)nf * sizeof *field);
            if (!grown) {
                rc = absim_error_set(ABSIM_ENOMEM, "out of memory reading rating scale %s", ctx.name);
                goto cleanup;
            }
            field = grown;
            nfield_max = nf;
        }
        nf = split(t, field, nfield_max);

        if (state == 0) {
            if (nf != 2 || !same_word(field[0], "measure")) {
                rc = report_error(&ctx, lineno, ABSIM_ECONFIG,
                                  "expected 'measure,pd' or 'measure,el' before the header");
                goto cleanup;
            }
            if (same_word(field[1], "pd")) {
                s->measure = ABSIM_MEASURE_PD;
            } else if (same_word(field[1], "el")) {
                s->measure = ABSIM_MEASURE_EL;
            } else {
                rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "unknown measure '%s' (expected pd or el)",
                                  field[1]);
                goto cleanup;
            }
            state = 1;
        } else if (state == 1) {
            if (!same_word(field[0], "rating") || nf < 2) {
                rc = report_error(&ctx, lineno, ABSIM_ECONFIG,
                                  "expected the header 'rating,<horizon years>,...' with at least one horizon");
                goto cleanup;
            }
            s->nhorizons = nf - 1;
            s->horizon = malloc((size_t)s->nhorizons * sizeof *s->horizon);
            if (!s->horizon) {
                rc = absim_error_set(ABSIM_ENOMEM, "out of memory reading rating scale %s", ctx.name);
                goto cleanup;
            }
            for (int j = 0; j < s->nhorizons; j++) {
                double h;
                if (!parse_number(field[j + 1], &h) || h <= 0.0) {
                    rc = report_error(&ctx, lineno, ABSIM_ECONFIG,
                                      "horizon %d: '%s' is not a positive number of years", j + 1, field[j + 1]);
                    goto cleanup;
                }
                if (j > 0 && h <= s->horizon[j - 1]) {
                    rc = report_error(&ctx, lineno, ABSIM_ECONFIG,
                                      "horizons must increase: %g after %g", h, s->horizon[j - 1]);
                    goto cleanup;
                }
                s->horizon[j] = h;
            }
            state = 2;
        } else {
            if (nf != s->nhorizons + 1) {
                rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "row has %d values, the header has %d horizons",
                                  nf - 1, s->nhorizons);
                goto cleanup;
            }
            if (!*field[0] || strlen(field[0]) >= RATING_NAME_MAX) {
                rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "rating name '%s' is empty or longer than %d",
                                  field[0], RATING_NAME_MAX - 1);
                goto cleanup;
            }
            for (int i = 0; i < s->nratings; i++)
                if (strcmp(s->rating[i], field[0]) == 0) {
                    rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "rating '%s' appears twice", field[0]);
                    goto cleanup;
                }
            if (s->nratings == cap) {
                int ncap = cap ? 2 * cap : 32;
                char(*r)[RATING_NAME_MAX] = realloc(s->rating, (size_t)ncap * sizeof *r);
                if (r)
                    s->rating = r;
                double *v = realloc(s->value, (size_t)ncap * (size_t)s->nhorizons * sizeof *v);
                if (v)
                    s->value = v;
                int *rl = realloc(row_line, (size_t)ncap * sizeof *rl);
                if (rl)
                    row_line = rl;
                if (!r || !v || !rl) {
                    rc = absim_error_set(ABSIM_ENOMEM, "out of memory reading rating scale %s", ctx.name);
                    goto cleanup;
                }
                cap = ncap;
            }
            double *row = s->value + (size_t)s->nratings * (size_t)s->nhorizons;
            for (int j = 0; j < s->nhorizons; j++) {
                if (!parse_number(field[j + 1], &row[j]) || row[j] < 0.0 || row[j] > 1.0) {
                    rc = report_error(&ctx, lineno, ABSIM_ECONFIG,
                                      "rating '%s', horizon %g: '%s' is not a number in [0,1]", field[0],
                                      s->horizon[j], field[j + 1]);
                    goto cleanup;
                }
            }
            snprintf(s->rating[s->nratings], RATING_NAME_MAX, "%s", field[0]);
            row_line[s->nratings] = lineno;
            s->nratings++;
        }
    }
    if (lineno < 1)
        lineno = 1;
    if (state == 0) {
        rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "missing the 'measure,pd' or 'measure,el' line");
        goto cleanup;
    }
    if (state == 1) {
        rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "missing the header 'rating,<horizon years>,...'");
        goto cleanup;
    }
    if (s->nratings == 0) {
        rc = report_error(&ctx, lineno, ABSIM_ECONFIG, "no rating rows");
        goto cleanup;
    }
    for (int i = 1; i < s->nratings; i++)
        for (int j = 0; j < s->nhorizons; j++) {
            double better = s->value[(size_t)(i - 1) * (size_t)s->nhorizons + (size_t)j];
            double worse = s->value[(size_t)i * (size_t)s->nhorizons + (size_t)j];
            if (worse < better) {
                rc = report_error(&ctx, row_line[i], ABSIM_ECONFIG,
                                  "rating '%s' has %g at horizon %g, below %g of the better rating '%s' "
                                  "(rows go from best to worst)",
                                  s->rating[i], worse, s->horizon[j], better, s->rating[i - 1]);
                goto cleanup;
            }
        }
    for (int i = 0; i < s->nratings; i++)
        for (int j = 1; j < s->nhorizons; j++) {
            const double *row = s->value + (size_t)i * (size_t)s->nhorizons;
            if (row[j] < row[j - 1]) {
                if (err)
                    fprintf(err,
                            "%s:%d: warning: rating '%s' decreases from %g at %g years to %g at %g years "
                            "(cumulative values should not decrease)\n",
                            ctx.name, row_line[i], s->rating[i], row[j - 1], s->horizon[j - 1], row[j],
                            s->horizon[j]);
                break;
            }
        }

cleanup:
    free(buf);
    free(field);
    free(row_line);
    if (rc != ABSIM_OK)
        absim_rating_scale_free(s);
    return rc;
}

int absim_rating_scale_load(absim_rating_scale *s, const char *path, FILE *err)
{
    parse_ctx ctx = {path, err};
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(s, 0, sizeof *s);
    rc = absim_textfile_read(path, "rating scale", MAX_SCALE_BYTES, &text, &len, err);
    if (rc == ABSIM_OK && strlen(text) != len)
        rc = report_error(&ctx, 0, ABSIM_ECONFIG, "rating scale contains a NUL byte");
    if (rc == ABSIM_OK)
        rc = absim_rating_scale_load_string(s, text, path, err);
    free(text);
    return rc;
}

double absim_rating_value(const absim_rating_scale *s, int i, double years)
{
    if (!s || i < 0 || i >= s->nratings || s->nhorizons < 1)
        return NAN;
    const double *row = s->value + (size_t)i * (size_t)s->nhorizons;
    const int m = s->nhorizons;
    if (!(years > s->horizon[0]))   /* also NaN: the shortest horizon */
        return row[0];
    if (years >= s->horizon[m - 1])
        return row[m - 1];
    int j = 0;
    while (j + 1 < m && s->horizon[j + 1] <= years)
        j++;
    /* horizon[j] <= years < horizon[j+1] */
    if (years == s->horizon[j])
        return row[j];
    const double f = (years - s->horizon[j]) / (s->horizon[j + 1] - s->horizon[j]);
    return row[j] + f * (row[j + 1] - row[j]);
}

void absim_rating_implied(const absim_rating_scale *s, double measure, double wal_years, char *out)
{
    if (!s || s->nratings < 1) {
        snprintf(out, RATING_NAME_MAX, "%s", "n/a");
        return;
    }
    for (int i = 0; i < s->nratings; i++)
        if (absim_rating_value(s, i, wal_years) >= measure) {
            snprintf(out, RATING_NAME_MAX, "%s", s->rating[i]);
            return;
        }
    snprintf(out, RATING_NAME_MAX, "%s", s->rating[s->nratings - 1]);
}
