/* driver.h -- the parallel Monte Carlo run of one scenario.
 *
 * Paths are grouped in blocks of ABSIM_BLOCK_PATHS consecutive global path
 * indices; blocks are simulated in waves by one OpenMP `parallel for`, each
 * block writing its own rows of the wave buffer. Each wave's rows are then
 * fed to the accumulators (and to the HDF5 file) in path order on one
 * thread, so every sum is formed in the same order for any thread count:
 * results are bitwise identical for 1, 2 or 64 threads. That reduction of
 * a wave runs on one thread while the others simulate the next wave (two
 * row buffers), unless the run may end or be checkpointed first. */
#ifndef ABSIM_DRIVER_H
#define ABSIM_DRIVER_H

#include <signal.h>
#include <stdint.h>

#include "aggregate.h"
#include "deal.h"
#include "h5out.h"
#include "rating.h"

#define ABSIM_BLOCK_PATHS 256

typedef enum { ABSIM_PROGRESS_NONE = 0, ABSIM_PROGRESS_BAR = 1, ABSIM_PROGRESS_LINES = 2 } absim_progress;

typedef struct {
    int64_t paths;                 /* > 0 */
    uint64_t seed;
    int threads;                   /* 0 = all available */
    int keep_paths;                /* per-path datasets and exact sample quantiles */
    absim_progress progress;
    const char *label;             /* scenario name in progress lines */
    absim_h5 *h5;                  /* NULL: write no file */
    const absim_rating_scale *scale; /* NULL: implied ratings "n/a" */
    volatile sig_atomic_t *stop;   /* non-NULL: the run stops (ABSIM_EINTR) when *stop != 0 */
    const char *checkpoint;        /* non-NULL: save state here every checkpoint_interval s and on stop */
    double checkpoint_interval;    /* seconds (<= 0: only on stop) */
    const char *resume;            /* non-NULL: continue from this checkpoint */
    uint64_t config_hash;          /* identity of the config for checkpoints */
    double *pool_default_rate_out; /* non-NULL: per-path pool default rates (length paths, rank 0) */
    double target_stderr;          /* > 0: stop at the first multiple of ABSIM_TARGET_CHECK paths where
                                      every note's EL standard error is below it (paths = the cap) */
} absim_run_options;

/* Path counts at which a target_stderr run checks its standard errors:
 * fixed multiples, so the stopping point does not depend on threads. */
#define ABSIM_TARGET_CHECK 8192

typedef struct {
    absim_summary summary;         /* the configured structure */
    int has_alt;                   /* isolation block: the other true_sale leg too */
    absim_summary alt;
    double seconds;
    int threads;                   /* threads used */
    double max_conservation_error; /* over all paths, currency units */
    int64_t paths;                 /* paths run (< options.paths when target_stderr stopped early) */
} absim_scenario_run;

/* Run `o->paths` paths of scenario `sc` (fewer with target_stderr). When
 * o->h5 is set, the scenario's group /results/<sc->name> is created and
 * filled (rank 0). Returns ABSIM_OK, ABSIM_ENOMEM,
 * ABSIM_EIO (HDF5 write failed), ABSIM_EINTR (stopped) or another status
 * with a message set. On success *out must be released with
 * absim_scenario_run_free. */
int absim_driver_run(const absim_deal *deal, const absim_scenario *sc, const absim_run_options *o,
                     absim_scenario_run *out);
void absim_scenario_run_free(absim_scenario_run *r);

/* Fill s->implied_rating from the scale (residual tranche: "NR"). */
void absim_driver_rate(const absim_deal *deal, const absim_rating_scale *scale, absim_summary *s);

#endif
