/* checkpoint.h -- overnight runs: the merged state of the finished paths of
 * one scenario, saved atomically and restored to continue the run.
 *
 * A checkpoint holds the accumulators after the first `paths_done` paths
 * (in path order) and, when per-path output is kept, those paths' rows
 * (streamed through absim_checkpoint_rows: never all in memory).
 * Because the accumulators are fed in path order, a resumed run produces
 * the same bits as an uninterrupted one. The file is refused when it was
 * written for another config (hash of the config text), seed, path count,
 * scenario, absim version or structure, or when its checksum is wrong.
 * Format: native byte order (not portable across architectures), see
 * docs/overnight.md. */
#ifndef ABSIM_CHECKPOINT_H
#define ABSIM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"

#define ABSIM_CHECKPOINT_VERSION 1

typedef struct {
    uint64_t config_hash;
    uint64_t seed;
    int64_t paths;
    int64_t paths_done;
    int32_t ntranches;
    int32_t keep_paths;
    int32_t has_alt;
    int32_t weighted;
    int32_t originator;   /* per-path originator default periods are kept */
    char scenario[64];
    char absim_version[64];
} absim_checkpoint_header;

/* Access to the finished paths' rows (tranche losses n x ntranches row-major,
 * pool loss, pool default rate, weight, originator period), so that a
 * checkpoint streams them in chunks instead of holding them in memory.
 * Callbacks return 0 (ABSIM_OK) or a status. */
typedef struct {
    int (*get)(void *ctx, int64_t first, int64_t n, double *tl, double *pool, double *dr, double *w, double *orig);
    int (*put)(void *ctx, int64_t first, int64_t n, const double *tl, const double *pool, const double *dr,
               const double *w, const double *orig);
    void *ctx;
} absim_checkpoint_rows;

/* FNV-1a 64-bit hash of a byte string (config identity). */
uint64_t absim_checkpoint_hash(const void *data, size_t n, uint64_t h);

/* Write atomically (tmp + fsync + rename + fsync of the directory). When
 * keep_paths, the rows [0, paths_done) are fetched with rows->get in
 * chunks (weight only when weighted, originator only when originator);
 * `extra` (nextra doubles: the driver's grouped variance statistics)
 * always. Returns ABSIM_OK, ABSIM_EIO with a message naming the file, or
 * the status of a failed rows->get. */
int absim_checkpoint_write(const char *path, const absim_checkpoint_header *h, const absim_acc *acc,
                           const absim_acc *acc_alt, double max_conservation_error, const absim_checkpoint_rows *rows,
                           const double *extra, size_t nextra);

/* Read a checkpoint and check it against `expect` (every field but
 * paths_done). acc (and acc_alt when has_alt) must be initialised for
 * expect->ntranches; when keep_paths the saved rows are handed to
 * rows->put chunk by chunk. On success *paths_done is set. Returns ABSIM_OK,
 * ABSIM_EINVAL (cannot be opened) or ABSIM_EFORMAT (corrupt or mismatched: the
 * message says which field). */
int absim_checkpoint_read(const char *path, const absim_checkpoint_header *expect, absim_acc *acc,
                          absim_acc *acc_alt, double *max_conservation_error, const absim_checkpoint_rows *rows,
                          double *extra, size_t nextra, int64_t *paths_done);

#endif
