/* cli.h -- small helpers shared by the sub-commands: strict number parsing
 * of option values and loading a config (or the bundled default deal). */
#ifndef ABSIM_CLI_H
#define ABSIM_CLI_H

#include <stdint.h>

#include "deal.h"
#include "rating.h"
#include "results.h"

/* Strict parses of a whole option value; print "absim CMD: OPTION: ..."
 * and return -1 on error, 0 on success. */
int absim_cli_int64(const char *cmd, const char *opt, const char *text, int64_t min, int64_t max, int64_t *out);
int absim_cli_uint64(const char *cmd, const char *opt, const char *text, uint64_t *out);
int absim_cli_double(const char *cmd, const char *opt, const char *text, double min, double max, double *out);

/* Value of option argv[*i] (advancing *i), or NULL with a message. */
const char *absim_cli_value(const char *cmd, int argc, char **argv, int *i);

/* Load `path` (NULL: the bundled default deal) with errors on stderr.
 * Returns the exit code: 0, or 2 for an invalid/unreadable config. */
int absim_cli_load_deal(absim_deal *deal, const char *path);

/* Load the deal's rating scale (bundled default when none is set).
 * Returns 0 or 2 (message printed). */
int absim_cli_load_scale(const absim_deal *deal, absim_rating_scale *scale);

/* Run metadata: version, creation time (UTC), config text, seed, paths,
 * threads; mpi_ranks 1 and the RNG name. */
void absim_cli_fill_meta(absim_run_meta *m, const absim_deal *deal, uint64_t seed, int64_t paths, int threads);

#endif
