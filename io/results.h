/* results.h -- one scenario's results as presented to users: the tranche
 * table of the deal plus the summary statistics. Shared by the table/JSON
 * printers (io/output.c) and the HDF5 writer/reader (io/h5out.c). */
#ifndef ABSIM_RESULTS_H
#define ABSIM_RESULTS_H

#include <stdint.h>

#include "../kernels/aggregate.h"
#include "deal.h"

typedef struct {
    int ntranches;
    char (*name)[ABSIM_NAME_MAX];   /* most senior first */
    double *original_balance;       /* currency */
    double *attachment, *detachment;/* fractions of the original pool */
} absim_tranche_table;

/* Fill from the deal: attachment of tranche i = sum of the balances of the
 * tranches junior to it / pool; detachment = attachment + balance / pool.
 * Returns ABSIM_OK / ABSIM_ENOMEM. */
int absim_tranche_table_init(absim_tranche_table *t, const absim_deal *deal);
void absim_tranche_table_free(absim_tranche_table *t);

/* Run metadata (root attributes of the HDF5 file, JSON header keys). */
typedef struct {
    char absim_version[64];
    char created_utc[32];      /* ISO 8601 */
    const char *config_text;   /* the YAML as read */
    uint64_t seed;
    int64_t paths;
    int threads;
    int mpi_ranks;
    char rng[64];
    double wall_seconds;
} absim_run_meta;

/* One scenario's results. */
typedef struct {
    char scenario[ABSIM_NAME_MAX];
    const absim_tranche_table *tranches;
    const absim_summary *summary;
    double seconds;            /* wall time of this scenario */
    /* Isolation block: the other true_sale leg on the same paths (NULL if none). */
    const absim_summary *isolation_alt;
    int isolation_true_sale;   /* the configured leg: 1 = true sale */
} absim_scenario_result;

#endif
