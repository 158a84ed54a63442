/* h5out.h -- the results file (SPEC section 4, schema_version 1).
 *
 * Written to "<out>.tmp.<pid>" and renamed onto <out> only by a successful
 * absim_h5_close(h, 1) (after H5Fclose and fsync of the file and its
 * directory): a failed or interrupted run never leaves a truncated file
 * under the output name. Per-path datasets are chunked and deflated and
 * written in row blocks as the run proceeds. */
#ifndef ABSIM_H5OUT_H
#define ABSIM_H5OUT_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* Bump rule: increment ABSIM_SCHEMA_VERSION when a reader of the previous
 * version could misread a file (renamed/removed/reshaped datasets); adding
 * datasets or attributes does not change it. */
#define ABSIM_SCHEMA_VERSION 1

typedef struct absim_h5 absim_h5;

/* Create the temporary file, write the root attributes (wall_seconds is
 * rewritten at close) and /tranches. Returns ABSIM_OK or ABSIM_EIO (message
 * names the path). */
int absim_h5_create(absim_h5 **h, const char *out_path, const absim_run_meta *meta,
                    const absim_tranche_table *tranches);

/* Start /results/<scenario>: if keep_paths, create the per-path datasets
 * for `npaths` rows (chunked, compressed). ABSIM_EINVAL for an empty name,
 * one containing '/', or a scenario already in the file. */
int absim_h5_scenario_begin(absim_h5 *h, const char *scenario, int64_t npaths, int keep_paths);

/* Write rows [first, first+n) of the current scenario's per-path datasets:
 * tranche_loss is n x ntranches row-major; pool_loss and pool_default_rate
 * have n entries (a NULL array is skipped). A no-op when keep_paths = 0.
 * Rows never written read as NaN; scenario_end fails (ABSIM_EINVAL) if
 * fewer than npaths rows were written in total. */
int absim_h5_write_paths(absim_h5 *h, int64_t first, int64_t n, const double *tranche_loss,
                         const double *pool_loss, const double *pool_default_rate);

/* Optional per-path datasets of the current scenario (keep_paths only):
 * paths/weight (likelihood ratios) and paths/originator_default_period.
 * Call right after scenario_begin. */
int absim_h5_paths_extra(absim_h5 *h, int weight, int originator);

/* Write rows [first, first+n) of the optional per-path datasets (NULL
 * arrays and datasets not created are skipped). */
int absim_h5_write_paths_extra(absim_h5 *h, int64_t first, int64_t n, const double *weight,
                               const double *originator);

typedef enum {
    ABSIM_H5_TRANCHE_LOSS = 0, /* col = tranche */
    ABSIM_H5_POOL_LOSS,
    ABSIM_H5_POOL_DEFAULT_RATE,
    ABSIM_H5_WEIGHT,
    ABSIM_H5_ORIGINATOR
} absim_h5_column;

/* Read back rows [first, first+n) of one column of the current scenario's
 * per-path datasets (already written) into out. */
int absim_h5_read_paths(absim_h5 *h, absim_h5_column which, int col, int64_t first, int64_t n, double *out);

/* Shrink the current scenario's per-path datasets to their first n rows
 * (a run that stopped early, e.g. on a standard-error target). */
int absim_h5_truncate_paths(absim_h5 *h, int64_t n);

/* Write the current scenario's summary/ and histogram/ groups, and end it. */
int absim_h5_scenario_end(absim_h5 *h, const absim_summary *s);

/* Optional: wall time of the current scenario, stored as the scenario
 * group's wall_seconds attribute (what `absim report` prints as seconds).
 * Without it, the time from scenario_begin to scenario_end is stored. */
void absim_h5_set_scenario_seconds(absim_h5 *h, double seconds);

/* Extra results of the open scenario, in /results/<scenario>/<group>/<name>
 * (the group is created on first use): a float64 array [d0] (rank 1) or
 * [d0, d1] (rank 2) with its units and description, or n strings (string i
 * at base + i * stride). Call between scenario_begin and scenario_end.
 * Returns ABSIM_OK or ABSIM_EIO. */
int absim_h5_write_extra(absim_h5 *h, const char *group, const char *name, int rank, int64_t d0, int64_t d1,
                         const double *data, const char *units, const char *description);
int absim_h5_write_extra_strings(absim_h5 *h, const char *group, const char *name, int n, const char *base,
                                 size_t stride, const char *description);

/* Set the wall_seconds root attribute written at close. */
void absim_h5_set_wall_seconds(absim_h5 *h, double seconds);

/* Close. commit = 1: flush, fsync, rename onto the output path; commit = 0:
 * remove the temporary file. Frees h. After any failed call on h (or with
 * a scenario still open) commit = 1 also removes the temporary file and
 * returns the error: the output name only ever holds a complete file. */
int absim_h5_close(absim_h5 *h, int commit);

/* Read back a results file for `absim report`: metadata, tranche table and
 * every scenario's summary (in file order). Rejects files whose filetype is
 * not "absim-results" or whose schema_version differs (ABSIM_EFORMAT).
 * Everything allocated is released by absim_h5_report_free. */
typedef struct {
    absim_run_meta meta;
    char *config_text;
    absim_tranche_table tranches;
    int nscenarios;
    char (*scenario)[ABSIM_NAME_MAX];
    absim_summary *summary;   /* nscenarios; owned by the report */
    double *scenario_seconds; /* nscenarios: wall time of each scenario (NAN if not stored) */
    /* Per scenario, from its isolation/ group when present: the other
     * true-sale leg (expected_loss and default_probability filled). */
    int *has_isolation;       /* nscenarios */
    int *isolation_true_sale; /* nscenarios: 1 if the summary is the true-sale leg */
    absim_summary *isolation_alt; /* nscenarios (zeroed where has_isolation is 0) */
} absim_h5_report;

int absim_h5_read_report(absim_h5_report *rep, const char *path);
void absim_h5_report_free(absim_h5_report *rep);

#endif
