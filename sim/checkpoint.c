/* checkpoint.c -- save and restore a run's merged state (see checkpoint.h).
 *
 * Layout: "ABSIMCK1", uint32 version, the header struct, the accumulators
 * (every field in declaration order), max conservation error, the kept
 * per-path arrays, then the FNV-1a hash of everything before it. */
#define _POSIX_C_SOURCE 200809L

#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"

static const char magic[8] = {'A', 'B', 'S', 'I', 'M', 'C', 'K', '1'};

uint64_t absim_checkpoint_hash(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    if (h == 0)
        h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

typedef struct {
    FILE *f;
    uint64_t hash;
    int failed;
} stream;

static void put(stream *s, const void *p, size_t n)
{
    if (s->failed || n == 0)
        return;
    if (fwrite(p, 1, n, s->f) != n)
        s->failed = 1;
    s->hash = absim_checkpoint_hash(p, n, s->hash);
}

static void get(stream *s, void *p, size_t n)
{
    if (s->failed || n == 0)
        return;
    if (fread(p, 1, n, s->f) != n) {
        s->failed = 1;
        return;
    }
    s->hash = absim_checkpoint_hash(p, n, s->hash);
}

/* Same field order for writing and reading: `io` is put or get. */
static void dist_io(stream *s, absim_dist *d, void (*io)(stream *, void *, size_t))
{
    io(s, &d->sum_w, sizeof d->sum_w);
    io(s, &d->sum_wx, sizeof d->sum_wx);
    io(s, &d->sum_wx2, sizeof d->sum_wx2);
    io(s, &d->sum_w2x2, sizeof d->sum_w2x2);
    io(s, &d->sum_w2x, sizeof d->sum_w2x);
    io(s, &d->w_default, sizeof d->w_default);
    io(s, &d->w_default2, sizeof d->w_default2);
    io(s, d->fine_w, (ABSIM_ACC_FINE_BINS + 1) * sizeof *d->fine_w);
    io(s, d->fine_wx, (ABSIM_ACC_FINE_BINS + 1) * sizeof *d->fine_wx);
    io(s, d->hist, sizeof d->hist);
    io(s, &d->n, sizeof d->n);
}

static void acc_io(stream *s, absim_acc *a, void (*io)(stream *, void *, size_t))
{
    size_t nt = (size_t)a->ntranches;
    for (size_t t = 0; t < nt; t++)
        dist_io(s, &a->tranche[t], io);
    dist_io(s, &a->pool_loss, io);
    dist_io(s, &a->pool_default_rate, io);
    io(s, a->sum_w_pv, nt * sizeof(double));
    io(s, a->sum_w_wal, nt * sizeof(double));
    io(s, a->sum_w_shortfall, nt * sizeof(double));
    io(s, &a->sum_w_irr, sizeof a->sum_w_irr);
    io(s, &a->w_irr, sizeof a->w_irr);
    io(s, &a->originator_defaults, sizeof a->originator_defaults);
    io(s, &a->sum_w_originator, sizeof a->sum_w_originator);
}

static void put_any(stream *s, void *p, size_t n) { put(s, p, n); }

enum { ROW_CHUNK = 1 << 15 };

/* Chunk buffers for streaming rows: tl (ROW_CHUNK x ntr) then four columns. */
static double *row_buffers(int ntr, double **tl, double **pool, double **dr, double **w, double **orig)
{
    double *b = malloc((size_t)ROW_CHUNK * (size_t)(ntr + 4) * sizeof *b);
    if (!b)
        return NULL;
    *tl = b;
    *pool = b + (size_t)ROW_CHUNK * (size_t)ntr;
    *dr = *pool + ROW_CHUNK;
    *w = *dr + ROW_CHUNK;
    *orig = *w + ROW_CHUNK;
    return b;
}

int absim_checkpoint_write(const char *path, const absim_checkpoint_header *h, const absim_acc *acc,
                           const absim_acc *acc_alt, double max_conservation_error, const absim_checkpoint_rows *rows,
                           const double *extra, size_t nextra)
{
    double *tl, *pool, *dr, *w, *orig, *buf = NULL;
    int rows_rc = ABSIM_OK;
    char tmp[4096];
    uint32_t version = ABSIM_CHECKPOINT_VERSION;
    stream s = {NULL, 0, 0};
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return absim_error_set(ABSIM_EIO, "%s: checkpoint path too long", path);
    s.f = fopen(tmp, "wb");
    if (!s.f)
        return absim_error_set(ABSIM_EIO, "%s: cannot create checkpoint: %s", tmp, strerror(errno));
    put(&s, magic, sizeof magic);
    put(&s, &version, sizeof version);
    put(&s, h, sizeof *h);
    acc_io(&s, (absim_acc *)acc, put_any);
    if (h->has_alt)
        acc_io(&s, (absim_acc *)acc_alt, put_any);
    put(&s, &max_conservation_error, sizeof max_conservation_error);
    put(&s, extra, nextra * sizeof(double));
    if (h->keep_paths) {
        buf = rows ? row_buffers(h->ntranches, &tl, &pool, &dr, &w, &orig) : NULL;
        if (!buf)
            s.failed = 1;
        for (int64_t first = 0; !s.failed && first < h->paths_done; first += ROW_CHUNK) {
            int64_t n = h->paths_done - first < ROW_CHUNK ? h->paths_done - first : ROW_CHUNK;
            rows_rc = rows->get(rows->ctx, first, n, tl, pool, dr, w, orig);
            if (rows_rc != ABSIM_OK) {
                s.failed = 1;
                break;
            }
            put(&s, tl, (size_t)n * (size_t)h->ntranches * sizeof(double));
            put(&s, pool, (size_t)n * sizeof(double));
            put(&s, dr, (size_t)n * sizeof(double));
            if (h->weighted)
                put(&s, w, (size_t)n * sizeof(double));
            if (h->originator)
                put(&s, orig, (size_t)n * sizeof(double));
        }
        free(buf);
    }
    uint64_t hash = s.hash;
    if (!s.failed && fwrite(&hash, sizeof hash, 1, s.f) != 1)
        s.failed = 1;
    if (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0)
        s.failed = 1;
    if (fclose(s.f) != 0)
        s.failed = 1;
    if (s.failed) {
        unlink(tmp);
        if (rows_rc != ABSIM_OK)
            return rows_rc;
        return absim_error_set(ABSIM_EIO, "%s: cannot write checkpoint", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return absim_error_set(ABSIM_EIO, "%s: cannot rename checkpoint: %s", path, strerror(e));
    }
    /* fsync the directory so the rename itself is durable. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return ABSIM_OK;
}

int absim_checkpoint_read(const char *path, const absim_checkpoint_header *expect, absim_acc *acc,
                          absim_acc *acc_alt, double *max_conservation_error, const absim_checkpoint_rows *rows,
                          double *extra, size_t nextra, int64_t *paths_done)
{
    double *tl, *pool, *dr, *w, *orig, *buf = NULL;
    char m[8];
    uint32_t version = 0;
    absim_checkpoint_header h;
    stream s = {NULL, 0, 0};
    int rc = ABSIM_OK;
    s.f = fopen(path, "rb");
    if (!s.f)
        return absim_error_set(ABSIM_EINVAL, "%s: cannot open checkpoint: %s", path, strerror(errno));
    get(&s, m, sizeof m);
    if (s.failed || memcmp(m, magic, sizeof m) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: not an absim checkpoint", path);
        goto cleanup;
    }
    get(&s, &version, sizeof version);
    if (s.failed || version != ABSIM_CHECKPOINT_VERSION) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: checkpoint format version %u, this absim reads %u", path,
                             (unsigned)version, ABSIM_CHECKPOINT_VERSION);
        goto cleanup;
    }
    get(&s, &h, sizeof h);
    if (s.failed) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: truncated checkpoint", path);
        goto cleanup;
    }
    h.scenario[sizeof h.scenario - 1] = '\0';
    h.absim_version[sizeof h.absim_version - 1] = '\0';
    if (strcmp(h.absim_version, expect->absim_version) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: written by absim %s, this is absim %s", path, h.absim_version,
                             expect->absim_version);
        goto cleanup;
    }
    if (h.config_hash != expect->config_hash) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: checkpoint of another config (the config text differs)", path);
        goto cleanup;
    }
    if (h.seed != expect->seed) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: checkpoint of seed %llu, this run uses seed %llu", path,
                             (unsigned long long)h.seed, (unsigned long long)expect->seed);
        goto cleanup;
    }
    if (h.paths != expect->paths) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: checkpoint of a %lld-path run, this run has %lld paths", path,
                             (long long)h.paths, (long long)expect->paths);
        goto cleanup;
    }
    if (strcmp(h.scenario, expect->scenario) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: checkpoint of scenario '%s', this run is '%s'", path, h.scenario,
                             expect->scenario);
        goto cleanup;
    }
    if (h.ntranches != expect->ntranches || h.keep_paths != expect->keep_paths || h.has_alt != expect->has_alt ||
        h.weighted != expect->weighted || h.originator != expect->originator || h.paths_done < 0 || h.paths_done > h.paths) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: checkpoint of a run with other options (--no-paths, structure)",
                             path);
        goto cleanup;
    }
    acc_io(&s, acc, get);
    if (h.has_alt)
        acc_io(&s, acc_alt, get);
    get(&s, max_conservation_error, sizeof *max_conservation_error);
    get(&s, extra, nextra * sizeof(double));
    /* Rows are handed over only after the whole file has been verified:
     * first pass checks the checksum, second pass (after a rewind) puts. */
    long rows_at = ftell(s.f);
    uint64_t rows_hash = s.hash;
    if (h.keep_paths) {
        buf = row_buffers(h.ntranches, &tl, &pool, &dr, &w, &orig);
        if (!buf) {
            rc = absim_error_set(ABSIM_ENOMEM, "out of memory reading %s", path);
            goto cleanup;
        }
        for (int pass = 0; pass < 2 && !s.failed; pass++) {
            if (pass == 1) {
                uint64_t want = s.hash, stored = 0;
                if (fread(&stored, sizeof stored, 1, s.f) != 1 || stored != want || fgetc(s.f) != EOF) {
                    s.failed = 1;
                    break;
                }
                if (!rows || fseek(s.f, rows_at, SEEK_SET) != 0) {
                    s.failed = 1;
                    break;
                }
                s.hash = rows_hash;
            }
            for (int64_t first = 0; !s.failed && first < h.paths_done; first += ROW_CHUNK) {
                int64_t n = h.paths_done - first < ROW_CHUNK ? h.paths_done - first : ROW_CHUNK;
                get(&s, tl, (size_t)n * (size_t)h.ntranches * sizeof(double));
                get(&s, pool, (size_t)n * sizeof(double));
                get(&s, dr, (size_t)n * sizeof(double));
                if (h.weighted)
                    get(&s, w, (size_t)n * sizeof(double));
                if (h.originator)
                    get(&s, orig, (size_t)n * sizeof(double));
                if (pass == 1 && !s.failed) {
                    int prc = rows->put(rows->ctx, first, n, tl, pool, dr, w, orig);
                    if (prc != ABSIM_OK) {
                        rc = prc;
                        goto cleanup;
                    }
                }
            }
        }
    }
    uint64_t want = s.hash, stored = 0;
    if (s.failed || fread(&stored, sizeof stored, 1, s.f) != 1 || stored != want || fgetc(s.f) != EOF) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: corrupt or truncated checkpoint (checksum mismatch)", path);
        goto cleanup;
    }
    *paths_done = h.paths_done;
cleanup:
    free(buf);
    fclose(s.f);
    return rc;
}
