/* cluster.c -- MPI helpers (see cluster.h); single-process fallbacks without MPI. */
#include "cluster.h"

#include <stdlib.h>

#ifdef ABSIM_HAVE_MPI
#include <mpi.h>

static int active(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

void absim_mpi_init(int *argc, char ***argv)
{
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
}

void absim_mpi_finalize(void)
{
    if (active())
        MPI_Finalize();
}

int absim_mpi_rank(void)
{
    int r = 0;
    if (active())
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int absim_mpi_size(void)
{
    int n = 1;
    if (active())
        MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

void absim_mpi_bcast_int(int *value)
{
    if (active())
        MPI_Bcast(value, 1, MPI_INT, 0, MPI_COMM_WORLD);
}

void absim_mpi_gather_rows(double *rows, const int64_t *first, int width)
{
    int size = absim_mpi_size(), rank = absim_mpi_rank();
    if (size == 1)
        return;
    int *counts = malloc((size_t)size * sizeof *counts), *displs = malloc((size_t)size * sizeof *displs);
    if (!counts || !displs)
        MPI_Abort(MPI_COMM_WORLD, 1);
    for (int r = 0; r < size; r++) {
        counts[r] = (int)((first[r + 1] - first[r]) * width);
        displs[r] = (int)(first[r] * width);
    }
    if (rank == 0)
        MPI_Gatherv(MPI_IN_PLACE, 0, MPI_DOUBLE, rows, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    else
        MPI_Gatherv(rows + displs[rank], counts[rank], MPI_DOUBLE, NULL, NULL, NULL, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    free(counts);
    free(displs);
}

#else

void absim_mpi_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

void absim_mpi_finalize(void) {}

int absim_mpi_rank(void) { return 0; }

int absim_mpi_size(void) { return 1; }

void absim_mpi_bcast_int(int *value) { (void)value; }

void absim_mpi_gather_rows(double *rows, const int64_t *first, int width)
{
    (void)rows;
    (void)first;
    (void)width;
}

#endif
