/* h5out.c -- the HDF5 results file: writer (SPEC section 4).
 *
 * absim_h5_create() opens "<out>.tmp.<pid>" next to the output, writes the
 * root attributes and /tranches; each scenario is written by
 * absim_h5_scenario_begin / absim_h5_write_paths (row blocks, by hyperslab,
 * into chunked + shuffled + deflated datasets) / absim_h5_scenario_end
 * (summary and histogram). absim_h5_close(h, 1) rewrites wall_seconds,
 * closes every handle (H5F_CLOSE_STRONG), fsyncs the file, renames it onto
 * the output name and fsyncs the directory; close(h, 0) or any failure
 * removes the temporary file, so the output name never holds a partial file.
 *
 * Strings (attributes and datasets) are variable-length UTF-8: h5py reads
 * such attributes as str and such datasets as bytes (ds.asstr()[()] gives
 * str). Every dataset carries `units` and/or `description` attributes.
 *
 * The reader (absim_h5_read_report) is in h5read.c; helpers both use are in
 * h5util.c. See docs/output.md. */
#define _POSIX_C_SOURCE 200809L

#include "h5out.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "absim_version.h"
#include "../kernels/status.h"
#include "h5util.h"
#include "output.h"

#define CHUNK_ROWS 16384          /* rows per chunk of the per-path datasets */
#define DEFLATE_LEVEL 1           /* fast; shuffle does most of the work */

#define U_TRANCHE "fraction of tranche original balance"
#define U_POOL "fraction of original pool balance"

struct absim_h5 {
    hid_t file;                 /* the temporary file */
    hid_t results;              /* /results */
    hid_t scenario;             /* /results/<name> while a scenario is open */
    hid_t d_tranche_loss, d_pool_loss, d_pool_default_rate; /* per-path datasets or invalid */
    hid_t d_weight, d_originator; /* optional per-path datasets (absim_h5_paths_extra) */
    int ntranches;
    int64_t npaths;             /* rows of the current scenario's per-path datasets */
    int64_t rows_written;
    int keep_paths;
    int failed;                 /* status of an earlier failed write (0 = none) */
    double wall_seconds;
    double scenario_seconds;    /* NAN: measured from begin to end */
    struct timespec scenario_start;
    char scenario_name[ABSIM_NAME_MAX];
    char *out_path;
    char *tmp_path;
};

/* ------------------------------------------------------------------ */
/* Small HDF5 helpers (return 0 on success, -1 on failure).           */

/* Variable-length UTF-8 string type (caller closes). */
static hid_t string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

static int attr_write(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, const void *value)
{
    int rc = -1;
    hid_t space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
    htri_t exists = H5Aexists(obj, name);
    if (exists < 0)
        goto cleanup;
    if (exists)
        attr = H5Aopen(obj, name, H5P_DEFAULT);
    else {
        space = H5Screate(H5S_SCALAR);
        if (space < 0)
            goto cleanup;
        attr = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    }
    if (attr < 0 || H5Awrite(attr, mem_type, value) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    absim_h5u_close_id(&attr);
    absim_h5u_close_id(&space);
    return rc;
}

static int attr_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = string_type();
    int rc = -1;
    if (t >= 0)
        rc = attr_write(obj, name, t, t, &value);
    absim_h5u_close_id(&t);
    return rc;
}

static int attr_double(hid_t obj, const char *name, double v)
{
    return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

static int attr_int(hid_t obj, const char *name, int v)
{
    return attr_write(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

static int attr_int64(hid_t obj, const char *name, int64_t v)
{
    return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

static int attr_uint64(hid_t obj, const char *name, uint64_t v)
{
    return attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

static int describe(hid_t obj, const char *units, const char *description)
{
    if (units && attr_string(obj, "units", units) < 0)
        return -1;
    if (description && attr_string(obj, "description", description) < 0)
        return -1;
    return 0;
}

/* Contiguous dataset of rank 0 (scalar), 1 or 2 written in one call. */
static int dataset_write(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                         const hsize_t *dims, const void *data, const char *units, const char *description)
{
    int rc = -1;
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t dset = H5I_INVALID_HID;
    if (space < 0)
        goto cleanup;
    dset = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (dset < 0 || H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        goto cleanup;
    rc = describe(dset, units, description);
cleanup:
    absim_h5u_close_id(&dset);
    absim_h5u_close_id(&space);
    return rc;
}

static int doubles_write(hid_t loc, const char *name, int rank, hsize_t d0, hsize_t d1, const double *data,
                         const char *units, const char *description)
{
    hsize_t dims[2] = {d0, d1};
    return dataset_write(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rank, dims, data, units, description);
}

/* n strings, string i at base + i * stride (NUL-terminated). */
static int strings_write(hid_t loc, const char *name, int n, const char *base, size_t stride,
                         const char *description)
{
    int rc = -1;
    hsize_t dims[1] = {(hsize_t)n};
    const char **ptr = malloc((size_t)(n > 0 ? n : 1) * sizeof *ptr);
    hid_t t = string_type();
    if (!ptr || t < 0)
        goto cleanup;
    for (int i = 0; i < n; i++)
        ptr[i] = base + (size_t)i * stride;
    rc = dataset_write(loc, name, t, t, 1, dims, ptr, NULL, description);
cleanup:
    absim_h5u_close_id(&t);
    free(ptr);
    return rc;
}

static hid_t group_create(hid_t loc, const char *name, int track_order)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = H5I_INVALID_HID;
    if (gcpl < 0)
        return g;
    if (!track_order || H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

/* Chunked, shuffled, deflated float64 dataset [rows] or [rows, cols],
 * filled with NaN until written. */
static hid_t path_dataset_create(hid_t loc, const char *name, int rank, int64_t rows, int cols, const char *units,
                                 const char *description)
{
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID, dset = H5I_INVALID_HID;
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hsize_t chunk[2] = {(hsize_t)(rows < CHUNK_ROWS ? rows : CHUNK_ROWS), (hsize_t)cols};
    double fill = NAN;
    size_t chunk_bytes = (size_t)chunk[0] * (rank == 2 ? (size_t)cols : 1) * sizeof(double);
    /* Rows arrive in order: a few chunks of cache suffice (the one being
     * filled, the one read back), and a small cache keeps memory flat. */
    size_t cache = 4 * chunk_bytes;

    space = H5Screate_simple(rank, dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (space < 0 || dcpl < 0 || dapl < 0 || H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill) < 0)
        goto cleanup;
    if (rows > 0) {
        if (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_shuffle(dcpl) < 0)
            goto cleanup;
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 && H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0)
            goto cleanup;
        /* w0 = 1: fully written chunks are evicted first (sequential writes). */
        if (H5Pset_chunk_cache(dapl, 521, cache, 1.0) < 0)
            goto cleanup;
    }
    dset = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, dapl);
    if (dset >= 0 && describe(dset, units, description) < 0)
        absim_h5u_close_id(&dset);
cleanup:
    absim_h5u_close_id(&space);
    absim_h5u_close_id(&dcpl);
    absim_h5u_close_id(&dapl);
    return dset;
}

static int fsync_path(const char *path, int directory)
{
    int flags = O_RDONLY;
#ifdef O_DIRECTORY
    if (directory)
        flags |= O_DIRECTORY;
#endif
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    /* Some file systems refuse fsync on directories: not an error. */
    if (rc < 0 && directory && (errno == EINVAL || errno == EBADF))
        rc = 0;
    if (close(fd) < 0)
        rc = -1;
    return rc;
}

/* Directory part of a path ("." if none), into buf of size cap. */
static void dir_of(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, cap, ".");
    else if (slash == path)
        snprintf(buf, cap, "/");
    else
        snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

static int fail_io(absim_h5 *h, const char *what)
{
    char detail[256];
    h->failed = ABSIM_EIO;
    return absim_error_set(ABSIM_EIO, "%s: cannot write %s: %s", h->out_path, what, absim_h5u_detail(detail));
}

/* ------------------------------------------------------------------ */
/* Writer.                                                            */

static void handles_close(absim_h5 *h)
{
    absim_h5u_close_id(&h->d_tranche_loss);
    absim_h5u_close_id(&h->d_pool_loss);
    absim_h5u_close_id(&h->d_pool_default_rate);
    absim_h5u_close_id(&h->d_weight);
    absim_h5u_close_id(&h->d_originator);
    absim_h5u_close_id(&h->scenario);
    absim_h5u_close_id(&h->results);
    absim_h5u_close_id(&h->file);
}

static void h5_discard(absim_h5 *h)
{
    handles_close(h);
    if (h->tmp_path)
        unlink(h->tmp_path);
    free(h->out_path);
    free(h->tmp_path);
    free(h);
}

static int root_write(absim_h5 *h, const absim_run_meta *meta)
{
    char created[32], deal_name[128];
    const char *version = meta->absim_version[0] ? meta->absim_version : ABSIM_VERSION;
    if (meta->created_utc[0])
        snprintf(created, sizeof created, "%s", meta->created_utc);
    else {
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            snprintf(created, sizeof created, "unknown");
    }
    absim_output_deal_name(meta->config_text, deal_name, sizeof deal_name);
    if (attr_string(h->file, "filetype", ABSIM_H5U_FILETYPE) < 0 ||
        attr_string(h->file, "absim_version", version) < 0 ||
        attr_int(h->file, "schema_version", ABSIM_SCHEMA_VERSION) < 0 ||
        attr_string(h->file, "created_utc", created) < 0 ||
        attr_string(h->file, "config_text", meta->config_text ? meta->config_text : "") < 0 ||
        attr_string(h->file, "deal_name", deal_name) < 0 || attr_uint64(h->file, "seed", meta->seed) < 0 ||
        attr_int64(h->file, "paths", meta->paths) < 0 || attr_int(h->file, "threads", meta->threads) < 0 ||
        attr_int(h->file, "mpi_ranks", meta->mpi_ranks) < 0 ||
        attr_string(h->file, "rng", meta->rng[0] ? meta->rng : "unknown") < 0 ||
        attr_double(h->file, "wall_seconds", h->wall_seconds) < 0)
        return fail_io(h, "root attributes");
    return ABSIM_OK;
}

static int tranches_write(absim_h5 *h, const absim_tranche_table *t)
{
    int rc = ABSIM_OK;
    hsize_t n = (hsize_t)t->ntranches;
    hid_t g = group_create(h->file, "tranches", 0);
    if (g < 0 || describe(g, NULL, "the deal's tranches, most senior first (index = tranche column)") < 0 ||
        strings_write(g, "name", t->ntranches, t->name[0], sizeof t->name[0], "tranche name, most senior first") <
            0 ||
        doubles_write(g, "original_balance", 1, n, 0, t->original_balance, "currency",
                      "tranche balance at closing") < 0 ||
        doubles_write(g, "attachment", 1, n, 0, t->attachment, U_POOL,
                      "sum of the balances of the tranches junior to it / original pool balance") < 0 ||
        doubles_write(g, "detachment", 1, n, 0, t->detachment, U_POOL,
                      "attachment + tranche balance / original pool balance") < 0)
        rc = fail_io(h, "/tranches");
    absim_h5u_close_id(&g);
    return rc;
}

int absim_h5_create(absim_h5 **out, const char *out_path, const absim_run_meta *meta,
                    const absim_tranche_table *tranches)
{
    int rc = ABSIM_OK;
    absim_h5 *h = NULL;
    hid_t fapl = H5I_INVALID_HID;
    struct stat st;
    size_t len;

    if (!out || !out_path || !out_path[0] || !meta || !tranches || tranches->ntranches < 1 || !tranches->name ||
        !tranches->original_balance || !tranches->attachment || !tranches->detachment)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_create: invalid arguments");
    *out = NULL;
    if (stat(out_path, &st) == 0 && S_ISDIR(st.st_mode))
        return absim_error_set(ABSIM_EIO, "%s: cannot write the results file: it is a directory", out_path);

    h = calloc(1, sizeof *h);
    len = strlen(out_path);
    if (!h)
        return absim_error_set(ABSIM_ENOMEM, "out of memory");
    h->file = h->results = h->scenario = H5I_INVALID_HID;
    h->d_tranche_loss = h->d_pool_loss = h->d_pool_default_rate = H5I_INVALID_HID;
    h->d_weight = h->d_originator = H5I_INVALID_HID;
    h->ntranches = tranches->ntranches;
    h->wall_seconds = meta->wall_seconds;
    h->scenario_seconds = NAN;
    h->out_path = malloc(len + 1);
    h->tmp_path = malloc(len + 32);
    if (!h->out_path || !h->tmp_path) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory");
        goto cleanup;
    }
    memcpy(h->out_path, out_path, len + 1);
    snprintf(h->tmp_path, len + 32, "%s.tmp.%ld", out_path, (long)getpid());

    /* Create with open(2) first: errno gives the precise reason. */
    {
        int fd = open(h->tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd < 0) {
            rc = absim_error_set(ABSIM_EIO, "%s: cannot create the results file (temporary %s): %s", out_path,
                                 h->tmp_path, strerror(errno));
            free(h->tmp_path); /* nothing to remove */
            h->tmp_path = NULL;
            goto cleanup;
        }
        close(fd);
    }
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        rc = fail_io(h, "the file (property list)");
        goto cleanup;
    }
    /* HDF5 keeps freed blocks on its own free lists, unbounded by default:
     * cap them so that memory does not grow with the number of chunks
     * written (long runs with per-path output). */
    H5set_free_list_limits(1 << 20, 1 << 18, 4 << 20, 1 << 20, 8 << 20, 2 << 20);
    h->file = H5Fcreate(h->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (h->file < 0) {
        rc = fail_io(h, "the file");
        goto cleanup;
    }
    rc = root_write(h, meta);
    if (rc == ABSIM_OK)
        rc = tranches_write(h, tranches);
    if (rc != ABSIM_OK)
        goto cleanup;
    h->results = group_create(h->file, "results", 1);
    if (h->results < 0 || describe(h->results, NULL, "one group per scenario, in the order run") < 0) {
        rc = fail_io(h, "/results");
        goto cleanup;
    }
cleanup:
    absim_h5u_close_id(&fapl);
    if (rc != ABSIM_OK)
        h5_discard(h);
    else
        *out = h;
    return rc;
}

static int valid_scenario_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n < ABSIM_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int absim_h5_scenario_begin(absim_h5 *h, const char *scenario, int64_t npaths, int keep_paths)
{
    char what[ABSIM_NAME_MAX + 64];
    hid_t pool = H5I_INVALID_HID, paths = H5I_INVALID_HID;
    int rc = ABSIM_OK;
    htri_t exists;

    if (!h || h->scenario >= 0 || npaths < 0 || !valid_scenario_name(scenario))
        return absim_error_set(ABSIM_EINVAL, "absim_h5_scenario_begin: invalid arguments (scenario name '%s')",
                               scenario ? scenario : "(null)");
    if (h->failed)
        return h->failed;
    exists = H5Lexists(h->results, scenario, H5P_DEFAULT);
    if (exists > 0)
        return absim_error_set(ABSIM_EINVAL, "%s: scenario '%s' written twice", h->out_path, scenario);
    snprintf(h->scenario_name, sizeof h->scenario_name, "%s", scenario);
    snprintf(what, sizeof what, "/results/%s", scenario);
    h->npaths = npaths;
    h->rows_written = 0;
    h->keep_paths = keep_paths != 0;
    h->scenario_seconds = NAN;
    clock_gettime(CLOCK_MONOTONIC, &h->scenario_start);
    h->scenario = group_create(h->results, scenario, 0);
    if (h->scenario < 0 || describe(h->scenario, NULL, "results of one scenario") < 0)
        return fail_io(h, what);
    if (!h->keep_paths)
        return ABSIM_OK;
    pool = group_create(h->scenario, "pool", 0);
    paths = group_create(h->scenario, "paths", 0);
    if (pool < 0 || paths < 0) {
        rc = fail_io(h, what);
        goto cleanup;
    }
    h->d_pool_loss = path_dataset_create(pool, "loss", 1, npaths, 1, U_POOL,
                                         "per path: defaulted principal less recoveries over periods 1..T");
    h->d_pool_default_rate = path_dataset_create(
        pool, "default_rate", 1, npaths, 1, U_POOL,
        "per path: cumulative defaulted principal (balance at default) over periods 1..T");
    h->d_tranche_loss = path_dataset_create(paths, "tranche_loss", 2, npaths, h->ntranches, U_TRANCHE,
                                            "per path (row) and tranche (column): unpaid principal at T");
    if (h->d_pool_loss < 0 || h->d_pool_default_rate < 0 || h->d_tranche_loss < 0)
        rc = fail_io(h, what);
cleanup:
    absim_h5u_close_id(&pool);
    absim_h5u_close_id(&paths);
    return rc;
}

static int rows_write(hid_t dset, int rank, int64_t first, int64_t n, int cols, const double *data)
{
    int rc = -1;
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)n, (hsize_t)cols};
    hid_t fspace = H5Dget_space(dset), mspace = H5Screate_simple(rank, count, NULL);
    if (fspace < 0 || mspace < 0 || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
        goto cleanup;
    if (H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, data) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    absim_h5u_close_id(&fspace);
    absim_h5u_close_id(&mspace);
    return rc;
}

int absim_h5_write_paths(absim_h5 *h, int64_t first, int64_t n, const double *tranche_loss,
                         const double *pool_loss, const double *pool_default_rate)
{
    if (!h || h->scenario < 0 || first < 0 || n < 0 || first > h->npaths - n)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_write_paths: rows [%lld, %lld) outside [0, %lld)",
                               (long long)first, (long long)(first + n), (long long)(h ? h->npaths : 0));
    if (h->failed)
        return h->failed;
    if (!h->keep_paths || n == 0)
        return ABSIM_OK;
    if ((tranche_loss && rows_write(h->d_tranche_loss, 2, first, n, h->ntranches, tranche_loss) < 0) ||
        (pool_loss && rows_write(h->d_pool_loss, 1, first, n, 1, pool_loss) < 0) ||
        (pool_default_rate && rows_write(h->d_pool_default_rate, 1, first, n, 1, pool_default_rate) < 0))
        return fail_io(h, "per-path results");
    h->rows_written += n;
    return ABSIM_OK;
}

int absim_h5_paths_extra(absim_h5 *h, int weight, int originator)
{
    char what[ABSIM_NAME_MAX + 64];
    if (!h || h->scenario < 0)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_paths_extra: no scenario open");
    if (h->failed)
        return h->failed;
    if (!h->keep_paths)
        return ABSIM_OK;
    snprintf(what, sizeof what, "/results/%s/paths", h->scenario_name);
    hid_t paths = H5Gopen2(h->scenario, "paths", H5P_DEFAULT);
    if (paths < 0)
        return fail_io(h, what);
    if (weight)
        h->d_weight = path_dataset_create(paths, "weight", 1, h->npaths, 1, "1",
                                          "per path: likelihood ratio (importance sampling)");
    if (originator)
        h->d_originator = path_dataset_create(paths, "originator_default_period", 1, h->npaths, 1, "period",
                                              "per path: period of the originator's default, 0 = none by T");
    absim_h5u_close_id(&paths);
    if ((weight && h->d_weight < 0) || (originator && h->d_originator < 0))
        return fail_io(h, what);
    return ABSIM_OK;
}

int absim_h5_write_paths_extra(absim_h5 *h, int64_t first, int64_t n, const double *weight,
                               const double *originator)
{
    if (!h || h->scenario < 0 || first < 0 || n < 0 || first > h->npaths - n)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_write_paths_extra: rows outside the datasets");
    if (h->failed)
        return h->failed;
    if (!h->keep_paths || n == 0)
        return ABSIM_OK;
    if ((weight && h->d_weight >= 0 && rows_write(h->d_weight, 1, first, n, 1, weight) < 0) ||
        (originator && h->d_originator >= 0 && rows_write(h->d_originator, 1, first, n, 1, originator) < 0))
        return fail_io(h, "per-path results");
    return ABSIM_OK;
}

int absim_h5_read_paths(absim_h5 *h, absim_h5_column which, int col, int64_t first, int64_t n, double *out)
{
    hid_t dset = H5I_INVALID_HID;
    int rank = 1, cols = 1;
    if (!h || h->scenario < 0 || !h->keep_paths || first < 0 || n < 0 || first > h->npaths - n)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_read_paths: rows outside the datasets");
    switch (which) {
    case ABSIM_H5_TRANCHE_LOSS: dset = h->d_tranche_loss; rank = 2; cols = h->ntranches; break;
    case ABSIM_H5_POOL_LOSS: dset = h->d_pool_loss; break;
    case ABSIM_H5_POOL_DEFAULT_RATE: dset = h->d_pool_default_rate; break;
    case ABSIM_H5_WEIGHT: dset = h->d_weight; break;
    case ABSIM_H5_ORIGINATOR: dset = h->d_originator; break;
    }
    if (dset < 0 || col < 0 || col >= cols)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_read_paths: no such column");
    if (n == 0)
        return ABSIM_OK;
    /* Whole rows are read (a column alone would make HDF5 decompress each
     * chunk into buffers it keeps), then the column is picked out. */
    int rc = -1;
    double *rowbuf = cols > 1 ? malloc((size_t)n * (size_t)cols * sizeof *rowbuf) : out;
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)n, (hsize_t)cols};
    hid_t fspace = H5Dget_space(dset), mspace = H5Screate_simple(rank, count, NULL);
    if (rowbuf && fspace >= 0 && mspace >= 0 &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
        H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, rowbuf) >= 0)
        rc = 0;
    if (rc == 0 && cols > 1)
        for (int64_t i = 0; i < n; i++)
            out[i] = rowbuf[(size_t)i * (size_t)cols + (size_t)col];
    if (cols > 1)
        free(rowbuf);
    absim_h5u_close_id(&fspace);
    absim_h5u_close_id(&mspace);
    return rc == 0 ? ABSIM_OK : fail_io(h, "per-path results (reading back)");
}

int absim_h5_truncate_paths(absim_h5 *h, int64_t n)
{
    if (!h || h->scenario < 0 || n < 0 || n > h->npaths)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_truncate_paths: invalid row count");
    if (h->failed)
        return h->failed;
    if (!h->keep_paths || n == h->npaths)
        return ABSIM_OK;
    hsize_t d2[2] = {(hsize_t)n, (hsize_t)h->ntranches}, d1[1] = {(hsize_t)n};
    if (H5Dset_extent(h->d_tranche_loss, d2) < 0 || H5Dset_extent(h->d_pool_loss, d1) < 0 ||
        H5Dset_extent(h->d_pool_default_rate, d1) < 0 || (h->d_weight >= 0 && H5Dset_extent(h->d_weight, d1) < 0) ||
        (h->d_originator >= 0 && H5Dset_extent(h->d_originator, d1) < 0))
        return fail_io(h, "per-path results (truncating)");
    h->npaths = n;
    if (h->rows_written > n)
        h->rows_written = n;
    return ABSIM_OK;
}

void absim_h5_set_scenario_seconds(absim_h5 *h, double seconds)
{
    if (h)
        h->scenario_seconds = seconds;
}

static int summary_write(hid_t g, const absim_summary *s)
{
    hsize_t nt = (hsize_t)s->ntranches, nq = (hsize_t)s->nquantiles;
    struct {
        const char *name;
        const double *v;
        const char *units, *description;
    } per_tranche[] = {
        {"expected_loss", s->expected_loss, U_TRANCHE, "mean loss (unpaid principal at T)"},
        {"expected_loss_stderr", s->expected_loss_stderr, U_TRANCHE, "Monte Carlo standard error of expected_loss"},
        {"default_probability", s->default_probability, "probability", "P(loss > 1e-9)"},
        {"default_probability_stderr", s->default_probability_stderr, "probability",
         "Monte Carlo standard error of default_probability"},
        {"loss_given_default", s->loss_given_default, U_TRANCHE, "expected_loss / default_probability"},
        {"pv_loss", s->pv_loss, U_TRANCHE,
         "mean of 1 - PV(cash received) / original balance, discounted at the tranche's own rate"},
        {"wal", s->wal, "years", "mean weighted average life of principal received"},
        {"shortfall", s->shortfall, U_TRANCHE, "mean interest unpaid (incl. carried) at T"},
        {"variance_reduction", s->variance_reduction, "ratio",
         "plain Monte Carlo variance of the expected_loss estimator over this run's (1 = none)"},
        {"default_probability_variance_reduction", s->pd_variance_reduction, "ratio",
         "same for default_probability"},
    };
    double scalars[] = {s->pool_expected_loss, s->pool_expected_loss_stderr, s->pool_expected_default_rate,
                        s->residual_irr_mean, s->originator_default_rate};
    const char *scalar_names[] = {"pool_expected_loss", "pool_expected_loss_stderr", "pool_expected_default_rate",
                                  "residual_irr_mean", "originator_default_rate"};
    const char *scalar_units[] = {U_POOL, U_POOL, U_POOL, "per year", "probability"};
    const char *scalar_desc[] = {"mean pool loss (defaulted principal less recoveries)",
                                 "Monte Carlo standard error of pool_expected_loss",
                                 "mean pool cumulative default rate",
                                 "mean annualised IRR of the residual tranche over paths where it is finite (NaN: none)",
                                 "fraction of paths (weighted) on which the originator defaulted"};
    int64_t paths = s->paths;
    int exact = s->exact_quantiles;
    for (size_t i = 0; i < sizeof per_tranche / sizeof per_tranche[0]; i++)
        if (per_tranche[i].v &&
            doubles_write(g, per_tranche[i].name, 1, nt, 0, per_tranche[i].v, per_tranche[i].units,
                          per_tranche[i].description) < 0)
            return -1;
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        if (doubles_write(g, scalar_names[i], 0, 0, 0, &scalars[i], scalar_units[i], scalar_desc[i]) < 0)
            return -1;
    if (doubles_write(g, "quantile_levels", 1, nq, 0, s->quantile_levels, "probability",
                      "quantile levels q of var and es (rows)") < 0 ||
        doubles_write(g, "var", 2, nq, nt, s->var, U_TRANCHE,
                      "value at risk: smallest x with P(loss <= x) >= q; row = level, column = tranche") < 0 ||
        doubles_write(g, "es", 2, nq, nt, s->es, U_TRANCHE,
                      "expected shortfall (Acerbi-Tasche) at level q; row = level, column = tranche") < 0)
        return -1;
    if ((s->pool_loss_q && doubles_write(g, "pool_loss_quantiles", 1, nq, 0, s->pool_loss_q, U_POOL,
                                         "pool loss VaR at quantile_levels") < 0) ||
        (s->pool_loss_es && doubles_write(g, "pool_loss_es", 1, nq, 0, s->pool_loss_es, U_POOL,
                                          "pool loss expected shortfall at quantile_levels") < 0) ||
        (s->pool_default_rate_q && doubles_write(g, "pool_default_rate_quantiles", 1, nq, 0,
                                                 s->pool_default_rate_q, U_POOL,
                                                 "pool cumulative default rate VaR at quantile_levels") < 0))
        return -1;
    if (s->implied_rating && strings_write(g, "implied_rating", s->ntranches, s->implied_rating[0],
                                           sizeof s->implied_rating[0],
                                           "implied rating on the configured scale at the tranche's WAL") < 0)
        return -1;
    if (attr_int64(g, "paths", paths) < 0 || attr_int(g, "exact_quantiles", exact) < 0)
        return -1;
    return 0;
}

static int histogram_write(hid_t g, const absim_summary *s)
{
    hsize_t dims[2] = {(hsize_t)s->ntranches, ABSIM_HIST_BINS};
    if (doubles_write(g, "edges", 1, ABSIM_HIST_BINS + 1, 0, s->hist_edges, U_TRANCHE,
                      "bin edges; bin i is [edges[i], edges[i+1]), the last bin closed") < 0)
        return -1;
    if (!s->hist)
        return 0;
    return dataset_write(g, "tranche_loss", H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, dims, s->hist, "paths",
                         "number of paths per tranche (row) and loss bin (column), unweighted");
}

int absim_h5_scenario_end(absim_h5 *h, const absim_summary *s)
{
    char what[ABSIM_NAME_MAX + 64];
    hid_t summary = H5I_INVALID_HID, hist = H5I_INVALID_HID;
    int rc = ABSIM_OK;
    double seconds;

    if (!h || h->scenario < 0)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_scenario_end: no scenario open");
    if (!s || s->ntranches != h->ntranches || s->nquantiles < 0 || !s->expected_loss || !s->expected_loss_stderr ||
        !s->default_probability || !s->loss_given_default || !s->pv_loss || !s->wal ||
        (s->nquantiles > 0 && (!s->quantile_levels || !s->var || !s->es))) {
        h->failed = ABSIM_EINVAL;
        rc = absim_error_set(ABSIM_EINVAL, "absim_h5_scenario_end: summary does not match the file (%d tranches)",
                             h->ntranches);
        goto cleanup;
    }
    if (h->failed) {
        rc = h->failed;
        goto cleanup;
    }
    if (h->keep_paths && h->rows_written < h->npaths) {
        h->failed = ABSIM_EINVAL;
        rc = absim_error_set(ABSIM_EINVAL, "%s: scenario '%s': only %lld of %lld per-path rows were written",
                             h->out_path, h->scenario_name, (long long)h->rows_written, (long long)h->npaths);
        goto cleanup;
    }
    absim_h5u_close_id(&h->d_tranche_loss);
    absim_h5u_close_id(&h->d_pool_loss);
    absim_h5u_close_id(&h->d_pool_default_rate);
    absim_h5u_close_id(&h->d_weight);
    absim_h5u_close_id(&h->d_originator);
    if (isnan(h->scenario_seconds)) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        seconds = (double)(now.tv_sec - h->scenario_start.tv_sec) +
                  1e-9 * (double)(now.tv_nsec - h->scenario_start.tv_nsec);
    } else
        seconds = h->scenario_seconds;
    snprintf(what, sizeof what, "/results/%s summary", h->scenario_name);
    summary = group_create(h->scenario, "summary", 0);
    hist = group_create(h->scenario, "histogram", 0);
    if (summary < 0 || hist < 0 || summary_write(summary, s) < 0 || histogram_write(hist, s) < 0 ||
        attr_int64(h->scenario, "paths", s->paths) < 0 || attr_double(h->scenario, "wall_seconds", seconds) < 0 ||
        attr_int(h->scenario, "keep_paths", h->keep_paths) < 0) {
        rc = fail_io(h, what);
        goto cleanup;
    }
cleanup:
    absim_h5u_close_id(&summary);
    absim_h5u_close_id(&hist);
    absim_h5u_close_id(&h->d_tranche_loss);
    absim_h5u_close_id(&h->d_pool_loss);
    absim_h5u_close_id(&h->d_pool_default_rate);
    absim_h5u_close_id(&h->d_weight);
    absim_h5u_close_id(&h->d_originator);
    absim_h5u_close_id(&h->scenario);
    return rc;
}

/* The open scenario's subgroup `group`, created on first use. */
static hid_t extra_group(absim_h5 *h, const char *group)
{
    if (!h || h->scenario < 0 || h->failed)
        return H5I_INVALID_HID;
    htri_t exists = H5Lexists(h->scenario, group, H5P_DEFAULT);
    if (exists < 0)
        return H5I_INVALID_HID;
    return exists ? H5Gopen2(h->scenario, group, H5P_DEFAULT) : group_create(h->scenario, group, 0);
}

/* Status of an extra dataset write: ABSIM_OK, or the failure recorded
 * against /results/<scenario>/<group>/<name>. */
static int extra_status(absim_h5 *h, int bad, const char *group, const char *name)
{
    char what[2 * ABSIM_NAME_MAX + 128];
    if (!bad)
        return ABSIM_OK;
    if (!h)
        return absim_error_set(ABSIM_EINVAL, "absim_h5 extra results: no file");
    snprintf(what, sizeof what, "/results/%s/%s/%s", h->scenario_name, group, name);
    return fail_io(h, what);
}

int absim_h5_write_extra(absim_h5 *h, const char *group, const char *name, int rank, int64_t d0, int64_t d1,
                         const double *data, const char *units, const char *description)
{
    hid_t g = extra_group(h, group);
    int bad = g < 0 || doubles_write(g, name, rank, (hsize_t)d0, (hsize_t)d1, data, units, description) < 0;
    absim_h5u_close_id(&g);
    return extra_status(h, bad, group, name);
}

int absim_h5_write_extra_strings(absim_h5 *h, const char *group, const char *name, int n, const char *base,
                                 size_t stride, const char *description)
{
    hid_t g = extra_group(h, group);
    int bad = g < 0 || strings_write(g, name, n, base, stride, description) < 0;
    absim_h5u_close_id(&g);
    return extra_status(h, bad, group, name);
}

void absim_h5_set_wall_seconds(absim_h5 *h, double seconds)
{
    if (h)
        h->wall_seconds = seconds;
}

int absim_h5_close(absim_h5 *h, int commit)
{
    int rc = ABSIM_OK;
    char dir[PATH_MAX];
    if (!h)
        return ABSIM_OK;
    if (!commit) {
        h5_discard(h);
        return ABSIM_OK;
    }
    if (h->failed) {
        rc = h->failed; /* the message of the failed call stands */
        goto discard;
    }
    if (h->scenario >= 0) {
        rc = absim_error_set(ABSIM_EINVAL, "%s: scenario '%s' was not ended; file not written", h->out_path,
                             h->scenario_name);
        goto discard;
    }
    if (attr_double(h->file, "wall_seconds", h->wall_seconds) < 0) {
        rc = fail_io(h, "wall_seconds");
        goto discard;
    }
    absim_h5u_close_id(&h->results);
    if (H5Fclose(h->file) < 0) {
        h->file = H5I_INVALID_HID;
        rc = fail_io(h, "the file (close)");
        goto discard;
    }
    h->file = H5I_INVALID_HID;
    if (fsync_path(h->tmp_path, 0) < 0) {
        rc = absim_error_set(ABSIM_EIO, "%s: cannot sync %s: %s", h->out_path, h->tmp_path, strerror(errno));
        goto discard;
    }
    if (rename(h->tmp_path, h->out_path) < 0) {
        rc = absim_error_set(ABSIM_EIO, "%s: cannot rename %s onto it: %s", h->out_path, h->tmp_path,
                             strerror(errno));
        goto discard;
    }
    /* The file is complete under its name now; a directory that refuses
     * fsync only leaves the rename's durability in doubt: not an error. */
    dir_of(h->out_path, dir, sizeof dir);
    (void)fsync_path(dir, 1);
    free(h->tmp_path);
    h->tmp_path = NULL;
discard:
    h5_discard(h);
    return rc;
}
