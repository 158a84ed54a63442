/* cli.c -- option parsing and loading helpers of the sub-commands. */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "absim_version.h"
#include "config.h"
#include "rng.h"
#include "status.h"

int absim_cli_int64(const char *cmd, const char *opt, const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "absim %s: %s: expected an integer in [%" PRId64 ", %" PRId64 "], got '%s'\n", cmd, opt, min,
                max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int absim_cli_uint64(const char *cmd, const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '\0') {
        fprintf(stderr, "absim %s: %s: expected a non-negative integer, got '%s'\n", cmd, opt, text);
        return -1;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end != '\0') {
        fprintf(stderr, "absim %s: %s: expected a non-negative integer, got '%s'\n", cmd, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int absim_cli_double(const char *cmd, const char *opt, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "absim %s: %s: expected a number in [%g, %g], got '%s'\n", cmd, opt, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

const char *absim_cli_value(const char *cmd, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "absim %s: option %s needs a value\n", cmd, argv[*i]);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

int absim_cli_load_deal(absim_deal *deal, const char *path)
{
    int rc;
    memset(deal, 0, sizeof *deal);
    if (path)
        rc = absim_config_load(deal, path, stderr);
    else
        rc = absim_config_load_string(deal, absim_default_config_text, strlen(absim_default_config_text),
                                      "configs/default.yaml", NULL, stderr);
    if (rc == ABSIM_OK)
        return 0;
    /* The loader has printed every problem (FILE:LINE:COL or FILE: error). */
    if (rc == ABSIM_ENOMEM)
        fprintf(stderr, "absim: out of memory loading %s\n", path ? path : "the default deal");
    return 2;
}

int absim_cli_load_scale(const absim_deal *deal, absim_rating_scale *scale)
{
    int rc;
    memset(scale, 0, sizeof *scale);
    if (deal->rating_scale[0])
        rc = absim_rating_scale_load(scale, deal->rating_scale, stderr);
    else
        rc = absim_rating_scale_load_string(scale, absim_default_rating_scale_text, "<bundled>", stderr);
    return rc == ABSIM_OK ? 0 : 2;
}

void absim_cli_fill_meta(absim_run_meta *m, const absim_deal *deal, uint64_t seed, int64_t paths, int threads)
{
    memset(m, 0, sizeof *m);
    snprintf(m->absim_version, sizeof m->absim_version, "%s", ABSIM_VERSION);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(m->created_utc, sizeof m->created_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    m->config_text = deal->config_text ? deal->config_text : "";
    m->seed = seed;
    m->paths = paths;
    m->threads = threads;
    m->mpi_ranks = 1;
    snprintf(m->rng, sizeof m->rng, "%s", ABSIM_RNG_NAME);
}
