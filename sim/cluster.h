/* cluster.h -- the few MPI operations absim needs, as no-ops in a build
 * without MPI (ABSIM_HAVE_MPI undefined): one process, rank 0 of 1.
 *
 * Model: every rank loads the config and simulates its share of each
 * wave's path blocks; rank 0 gathers the rows, reduces them in path order,
 * writes the one results file and prints. Results are bitwise identical to
 * a single-process run for any number of ranks. */
#ifndef ABSIM_CLUSTER_H
#define ABSIM_CLUSTER_H

#include <stdint.h>

/* Initialise / finalise (main only). */
void absim_mpi_init(int *argc, char ***argv);
void absim_mpi_finalize(void);

int absim_mpi_rank(void);
int absim_mpi_size(void);

/* Broadcast an int from rank 0. */
void absim_mpi_bcast_int(int *value);

/* Gather row blocks to rank 0: rank r owns rows [first[r], first[r+1]) of
 * `rows` (width doubles each); after the call rank 0 holds all rows. */
void absim_mpi_gather_rows(double *rows, const int64_t *first, int width);

#endif
