/* h5out.c -- the HDF5 results file: writer and reader (SPEC section 4).
 *
 * Writer: absim_h5_create() opens "<out>.tmp.<pid>" next to the output,
 * writes the root attributes and /tranches; each scenario is written by
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
 * Reader: absim_h5_read_report() checks filetype and schema_version, then
 * the shape and type class of every dataset before reading it into memory
 * of the expected size, so a corrupt or foreign file yields ABSIM_EFORMAT
 * with a message, never an out-of-bounds write. See docs/output.md. */
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

#include "../kernels/status.h"
#include "output.h"

#define FILETYPE "absim-results"
#define CHUNK_ROWS 16384          /* rows per chunk of the per-path datasets */
#define DEFLATE_LEVEL 1           /* fast; shuffle does most of the work */
#define MAX_TRANCHES_READ 100000  /* sanity bounds applied by the reader */
#define MAX_QUANTILES_READ 10000
#define MAX_SCENARIOS_READ 100000

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

static void close_id(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break;
    }
    *id = H5I_INVALID_HID;
}

static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc)
        snprintf(buf, 256, "%s", e->desc);
    return 0;
}

/* Innermost message of the HDF5 error stack ("" if none). buf: 256 chars. */
static const char *h5_detail(char *buf)
{
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, buf);
    if (!buf[0])
        snprintf(buf, 256, "HDF5 error");
    return buf;
}

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
    close_id(&attr);
    close_id(&space);
    return rc;
}

static int attr_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = string_type();
    int rc = -1;
    if (t >= 0)
        rc = attr_write(obj, name, t, t, &value);
    close_id(&t);
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
    close_id(&dset);
    close_id(&space);
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
    close_id(&t);
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
        close_id(&dset);
cleanup:
    close_id(&space);
    close_id(&dcpl);
    close_id(&dapl);
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
    return absim_error_set(ABSIM_EIO, "%s: cannot write %s: %s", h->out_path, what, h5_detail(detail));
}

/* ------------------------------------------------------------------ */
/* Writer.                                                            */

static void handles_close(absim_h5 *h)
{
    close_id(&h->d_tranche_loss);
    close_id(&h->d_pool_loss);
    close_id(&h->d_pool_default_rate);
    close_id(&h->d_weight);
    close_id(&h->d_originator);
    close_id(&h->scenario);
    close_id(&h->results);
    close_id(&h->file);
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
    if (attr_string(h->file, "filetype", FILETYPE) < 0 || attr_string(h->file, "absim_version", version) < 0 ||
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
    close_id(&g);
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
    close_id(&fapl);
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
    close_id(&pool);
    close_id(&paths);
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
    close_id(&fspace);
    close_id(&mspace);
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
    close_id(&paths);
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
    close_id(&fspace);
    close_id(&mspace);
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
    close_id(&h->d_tranche_loss);
    close_id(&h->d_pool_loss);
    close_id(&h->d_pool_default_rate);
    close_id(&h->d_weight);
    close_id(&h->d_originator);
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
    close_id(&summary);
    close_id(&hist);
    close_id(&h->d_tranche_loss);
    close_id(&h->d_pool_loss);
    close_id(&h->d_pool_default_rate);
    close_id(&h->d_weight);
    close_id(&h->d_originator);
    close_id(&h->scenario);
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

int absim_h5_write_extra(absim_h5 *h, const char *group, const char *name, int rank, int64_t d0, int64_t d1,
                         const double *data, const char *units, const char *description)
{
    char what[2 * ABSIM_NAME_MAX + 128];
    hid_t g = extra_group(h, group);
    int bad = g < 0 || doubles_write(g, name, rank, (hsize_t)d0, (hsize_t)d1, data, units, description) < 0;
    close_id(&g);
    if (!bad)
        return ABSIM_OK;
    if (!h)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_write_extra: no file");
    snprintf(what, sizeof what, "/results/%s/%s/%s", h->scenario_name, group, name);
    return fail_io(h, what);
}

int absim_h5_write_extra_strings(absim_h5 *h, const char *group, const char *name, int n, const char *base,
                                 size_t stride, const char *description)
{
    char what[2 * ABSIM_NAME_MAX + 128];
    hid_t g = extra_group(h, group);
    int bad = g < 0 || strings_write(g, name, n, base, stride, description) < 0;
    close_id(&g);
    if (!bad)
        return ABSIM_OK;
    if (!h)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_write_extra_strings: no file");
    snprintf(what, sizeof what, "/results/%s/%s/%s", h->scenario_name, group, name);
    return fail_io(h, what);
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
    close_id(&h->results);
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

/* ------------------------------------------------------------------ */
/* Reader.                                                            */

typedef struct {
    const char *path;  /* file name for messages */
    char where[256];   /* object being read */
} reader;

static int bad(const reader *r, const char *what)
{
    return absim_error_set(ABSIM_EFORMAT, "%s: %s%s%s (truncated or corrupt results file?)", r->path, r->where,
                           r->where[0] ? ": " : "", what);
}

/* Read a string attribute into a new buffer (*out, caller frees). Returns
 * 0, 1 if absent, -1 on error. */
static int attr_read_string(hid_t obj, const char *name, char **out)
{
    int rc = -1;
    hid_t attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID, space = H5I_INVALID_HID;
    htri_t exists = H5Aexists(obj, name), vlen;
    *out = NULL;
    if (exists <= 0)
        return exists == 0 ? 1 : -1;
    attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0 || (ftype = H5Aget_type(attr)) < 0 || (space = H5Aget_space(attr)) < 0)
        goto cleanup;
    if (H5Tget_class(ftype) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1)
        goto cleanup;
    vlen = H5Tis_variable_str(ftype);
    if (vlen < 0 || (mtype = H5Tcopy(H5T_C_S1)) < 0)
        goto cleanup;
    if (vlen) {
        char *value = NULL;
        if (H5Tset_size(mtype, H5T_VARIABLE) < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
            H5Aread(attr, mtype, &value) < 0)
            goto cleanup;
        if (value) {
            *out = strdup(value);
            H5free_memory(value);
        } else
            *out = strdup("");
    } else {
        size_t size = H5Tget_size(ftype);
        if (size == 0 || size > (1u << 30) || H5Tset_size(mtype, size + 1) < 0 ||
            H5Tset_strpad(mtype, H5T_STR_NULLTERM) < 0 || !(*out = calloc(1, size + 1)))
            goto cleanup;
        if (H5Aread(attr, mtype, *out) < 0) {
            free(*out);
            *out = NULL;
            goto cleanup;
        }
        (*out)[size] = '\0';
    }
    rc = *out ? 0 : -1;
cleanup:
    close_id(&attr);
    close_id(&ftype);
    close_id(&mtype);
    close_id(&space);
    return rc;
}

/* Numeric scalar attribute converted to mem_type. 0, 1 absent, -1 error. */
static int attr_read_number(hid_t obj, const char *name, hid_t mem_type, void *out)
{
    int rc = -1;
    hid_t attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, space = H5I_INVALID_HID;
    htri_t exists = H5Aexists(obj, name);
    H5T_class_t cls;
    if (exists <= 0)
        return exists == 0 ? 1 : -1;
    attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0 || (ftype = H5Aget_type(attr)) < 0 || (space = H5Aget_space(attr)) < 0)
        goto cleanup;
    cls = H5Tget_class(ftype);
    if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || H5Sget_simple_extent_npoints(space) != 1)
        goto cleanup;
    if (H5Aread(attr, mem_type, out) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    close_id(&attr);
    close_id(&ftype);
    close_id(&space);
    return rc;
}

/* Open dataset `name` in loc and check its rank and type class; dims are
 * returned. 0 ok, 1 absent, -1 error (message set). */
static int dataset_open(reader *r, hid_t loc, const char *name, int rank, H5T_class_t cls, hsize_t *dims,
                        hid_t *dset)
{
    hid_t space = H5I_INVALID_HID, type = H5I_INVALID_HID;
    htri_t exists = H5Lexists(loc, name, H5P_DEFAULT);
    H5T_class_t got;
    int rc = -1;
    *dset = H5I_INVALID_HID;
    if (exists == 0)
        return 1;
    if (exists < 0 || (*dset = H5Dopen2(loc, name, H5P_DEFAULT)) < 0 || (space = H5Dget_space(*dset)) < 0 ||
        (type = H5Dget_type(*dset)) < 0) {
        bad(r, "cannot open a dataset");
        goto cleanup;
    }
    got = H5Tget_class(type);
    if (!(got == cls || (cls == H5T_FLOAT && got == H5T_INTEGER))) {
        bad(r, "unexpected data type");
        goto cleanup;
    }
    if (H5Sget_simple_extent_ndims(space) != rank) {
        bad(r, "unexpected rank");
        goto cleanup;
    }
    if (rank > 0 && H5Sget_simple_extent_dims(space, dims, NULL) != rank) {
        bad(r, "cannot read the shape");
        goto cleanup;
    }
    rc = 0;
cleanup:
    close_id(&space);
    close_id(&type);
    if (rc != 0)
        close_id(dset);
    return rc;
}

/* Read a numeric dataset of exactly the given shape into out (converted to
 * mem_type). required = 0: absent is fine (returns 1). */
static int numbers_read(reader *r, hid_t loc, const char *group, const char *name, int rank, hsize_t d0, hsize_t d1,
                        hid_t mem_type, void *out, int required)
{
    hsize_t dims[2] = {0, 0};
    hid_t dset;
    int rc;
    snprintf(r->where, sizeof r->where, "%s/%s", group, name);
    rc = dataset_open(r, loc, name, rank, mem_type == H5T_NATIVE_UINT64 ? H5T_INTEGER : H5T_FLOAT, dims, &dset);
    if (rc == 1 && required)
        bad(r, "missing");
    if (rc == 1)
        return required ? -1 : 1;
    if (rc < 0)
        return -1;
    rc = -1;
    if ((rank >= 1 && dims[0] != d0) || (rank == 2 && dims[1] != d1)) {
        bad(r, "unexpected shape");
        goto cleanup;
    }
    if (H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
        char detail[256];
        bad(r, h5_detail(detail));
        goto cleanup;
    }
    rc = 0;
cleanup:
    close_id(&dset);
    return rc;
}

/* Read n strings (fixed or variable length) into out[i] (cap bytes each,
 * truncated). */
static int strings_read(reader *r, hid_t loc, const char *group, const char *name, hsize_t n, char *out, size_t cap,
                        int required)
{
    hsize_t dims[1] = {0};
    hid_t dset, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID, space = H5I_INVALID_HID;
    int rc;
    htri_t vlen;
    char detail[256];
    snprintf(r->where, sizeof r->where, "%s/%s", group, name);
    rc = dataset_open(r, loc, name, 1, H5T_STRING, dims, &dset);
    if (rc == 1 && required)
        bad(r, "missing");
    if (rc == 1)
        return required ? -1 : 1;
    if (rc < 0)
        return -1;
    rc = -1;
    if (dims[0] != n) {
        bad(r, "unexpected shape");
        goto cleanup;
    }
    if ((ftype = H5Dget_type(dset)) < 0 || (vlen = H5Tis_variable_str(ftype)) < 0 ||
        (mtype = H5Tcopy(H5T_C_S1)) < 0) {
        bad(r, h5_detail(detail));
        goto cleanup;
    }
    if (vlen) {
        char **v = calloc(n ? n : 1, sizeof *v);
        if (!v) {
            absim_error_set(ABSIM_ENOMEM, "out of memory");
            goto cleanup;
        }
        if (H5Tset_size(mtype, H5T_VARIABLE) < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
            (space = H5Dget_space(dset)) < 0 || H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
            free(v);
            bad(r, h5_detail(detail));
            goto cleanup;
        }
        for (hsize_t i = 0; i < n; i++)
            snprintf(out + i * cap, cap, "%s", v[i] ? v[i] : "");
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mtype, space, H5P_DEFAULT, v);
#else
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, v);
#endif
        free(v);
    } else {
        size_t size = H5Tget_size(ftype);
        char *buf = size > 0 && size < (1u << 20) ? calloc(n ? n : 1, size + 1) : NULL;
        if (!buf) {
            bad(r, "bad string size");
            goto cleanup;
        }
        if (H5Tset_size(mtype, size + 1) < 0 || H5Tset_strpad(mtype, H5T_STR_NULLTERM) < 0 ||
            H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            free(buf);
            bad(r, h5_detail(detail));
            goto cleanup;
        }
        for (hsize_t i = 0; i < n; i++)
            snprintf(out + i * cap, cap, "%s", buf + i * (size + 1));
        free(buf);
    }
    rc = 0;
cleanup:
    close_id(&space);
    close_id(&ftype);
    close_id(&mtype);
    close_id(&dset);
    return rc;
}

/* A summary of the given size with every optional value NaN (what the
 * file does not hold stays NaN; ratings "n/a"). */
static int summary_alloc(absim_summary *s, int nt, int nq)
{
    double *per_tranche[4];
    double *per_level[3];
    if (absim_summary_init(s, nt, nq, NULL) != ABSIM_OK)
        return ABSIM_ENOMEM;
    per_tranche[0] = s->default_probability_stderr;
    per_tranche[1] = s->shortfall;
    per_tranche[2] = s->variance_reduction;
    per_tranche[3] = s->pd_variance_reduction;
    per_level[0] = s->pool_loss_q;
    per_level[1] = s->pool_loss_es;
    per_level[2] = s->pool_default_rate_q;
    for (int k = 0; k < 4; k++)
        for (int i = 0; per_tranche[k] && i < nt; i++)
            per_tranche[k][i] = NAN;
    for (int k = 0; k < 3; k++)
        for (int q = 0; per_level[k] && q < nq; q++)
            per_level[k][q] = NAN;
    s->pool_expected_loss = s->pool_expected_loss_stderr = s->pool_expected_default_rate = NAN;
    s->residual_irr_mean = s->originator_default_rate = NAN;
    for (int i = 0; i <= ABSIM_HIST_BINS; i++)
        s->hist_edges[i] = NAN;
    return ABSIM_OK;
}

static int scenario_read(reader *r, hid_t results, const char *name, int nt, absim_summary *s, double *seconds,
                         int64_t default_paths)
{
    int rc = ABSIM_OK, got;
    hid_t sc = H5I_INVALID_HID, g = H5I_INVALID_HID, hg = H5I_INVALID_HID, dset = H5I_INVALID_HID;
    hsize_t dims[2];
    char grp[ABSIM_NAME_MAX + 32];
    int64_t paths = default_paths;
    int nq;
    htri_t exists;

    snprintf(grp, sizeof grp, "/results/%s/summary", name);
    snprintf(r->where, sizeof r->where, "%s", grp);
    exists = H5Lexists(results, name, H5P_DEFAULT);
    if (exists <= 0 || (sc = H5Gopen2(results, name, H5P_DEFAULT)) < 0 ||
        H5Lexists(sc, "summary", H5P_DEFAULT) <= 0 || (g = H5Gopen2(sc, "summary", H5P_DEFAULT)) < 0) {
        rc = bad(r, "missing or unreadable group");
        goto cleanup;
    }
    snprintf(r->where, sizeof r->where, "%s/quantile_levels", grp);
    got = dataset_open(r, g, "quantile_levels", 1, H5T_FLOAT, dims, &dset);
    close_id(&dset);
    if (got != 0) {
        rc = got == 1 ? bad(r, "missing") : ABSIM_EFORMAT;
        goto cleanup;
    }
    if (dims[0] > MAX_QUANTILES_READ) {
        rc = bad(r, "too many quantile levels");
        goto cleanup;
    }
    nq = (int)dims[0];
    rc = summary_alloc(s, nt, nq);
    if (rc != ABSIM_OK)
        goto cleanup;
    {
        struct {
            const char *name;
            double *v;
            int required;
        } vec[] = {
            {"expected_loss", s->expected_loss, 1},
            {"expected_loss_stderr", s->expected_loss_stderr, 1},
            {"default_probability", s->default_probability, 1},
            {"default_probability_stderr", s->default_probability_stderr, 0},
            {"loss_given_default", s->loss_given_default, 1},
            {"pv_loss", s->pv_loss, 1},
            {"wal", s->wal, 1},
            {"shortfall", s->shortfall, 0},
            {"variance_reduction", s->variance_reduction, 0},
            {"default_probability_variance_reduction", s->pd_variance_reduction, 0},
        };
        struct {
            const char *name;
            double *v;
        } scal[] = {
            {"pool_expected_loss", &s->pool_expected_loss},
            {"pool_expected_loss_stderr", &s->pool_expected_loss_stderr},
            {"pool_expected_default_rate", &s->pool_expected_default_rate},
            {"residual_irr_mean", &s->residual_irr_mean},
            {"originator_default_rate", &s->originator_default_rate},
        };
        struct {
            const char *name;
            double *v;
        } qvec[] = {
            {"pool_loss_quantiles", s->pool_loss_q},
            {"pool_loss_es", s->pool_loss_es},
            {"pool_default_rate_quantiles", s->pool_default_rate_q},
        };
        for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
            if (numbers_read(r, g, grp, vec[i].name, 1, (hsize_t)nt, 0, H5T_NATIVE_DOUBLE, vec[i].v,
                             vec[i].required) < 0)
                { rc = ABSIM_EFORMAT; goto cleanup; }
        for (size_t i = 0; i < sizeof scal / sizeof scal[0]; i++)
            if (numbers_read(r, g, grp, scal[i].name, 0, 0, 0, H5T_NATIVE_DOUBLE, scal[i].v, 0) < 0)
                { rc = ABSIM_EFORMAT; goto cleanup; }
        for (size_t i = 0; i < sizeof qvec / sizeof qvec[0]; i++)
            if (numbers_read(r, g, grp, qvec[i].name, 1, (hsize_t)nq, 0, H5T_NATIVE_DOUBLE, qvec[i].v, 0) < 0)
                { rc = ABSIM_EFORMAT; goto cleanup; }
    }
    if (numbers_read(r, g, grp, "quantile_levels", 1, (hsize_t)nq, 0, H5T_NATIVE_DOUBLE, s->quantile_levels, 1) <
            0 ||
        numbers_read(r, g, grp, "var", 2, (hsize_t)nq, (hsize_t)nt, H5T_NATIVE_DOUBLE, s->var, 1) < 0 ||
        numbers_read(r, g, grp, "es", 2, (hsize_t)nq, (hsize_t)nt, H5T_NATIVE_DOUBLE, s->es, 1) < 0 ||
        strings_read(r, g, grp, "implied_rating", (hsize_t)nt, s->implied_rating[0], sizeof s->implied_rating[0],
                     1) < 0)
        { rc = ABSIM_EFORMAT; goto cleanup; }
    if (attr_read_number(g, "paths", H5T_NATIVE_INT64, &paths) < 0 ||
        attr_read_number(g, "exact_quantiles", H5T_NATIVE_INT, &s->exact_quantiles) < 0 ||
        attr_read_number(sc, "wall_seconds", H5T_NATIVE_DOUBLE, seconds) < 0) {
        snprintf(r->where, sizeof r->where, "/results/%s", name);
        rc = bad(r, "unreadable attribute");
        goto cleanup;
    }
    s->paths = paths;

    /* The histogram is optional for the report; a different bin count than
     * this build's is ignored (left zero, edges NaN). */
    snprintf(grp, sizeof grp, "/results/%s/histogram", name);
    exists = H5Lexists(sc, "histogram", H5P_DEFAULT);
    if (exists > 0 && (hg = H5Gopen2(sc, "histogram", H5P_DEFAULT)) >= 0) {
        snprintf(r->where, sizeof r->where, "%s/edges", grp);
        got = dataset_open(r, hg, "edges", 1, H5T_FLOAT, dims, &dset);
        close_id(&dset);
        if (got < 0)
            { rc = ABSIM_EFORMAT; goto cleanup; }
        if (got == 0 && dims[0] == ABSIM_HIST_BINS + 1) {
            if (numbers_read(r, hg, grp, "edges", 1, ABSIM_HIST_BINS + 1, 0, H5T_NATIVE_DOUBLE, s->hist_edges, 1) <
                    0 ||
                numbers_read(r, hg, grp, "tranche_loss", 2, (hsize_t)nt, ABSIM_HIST_BINS, H5T_NATIVE_UINT64, s->hist,
                             0) < 0)
                { rc = ABSIM_EFORMAT; goto cleanup; }
        }
    } else if (exists < 0) {
        rc = bad(r, "unreadable group");
        goto cleanup;
    }
cleanup:
    close_id(&hg);
    close_id(&g);
    close_id(&sc);
    if (rc != ABSIM_OK)
        absim_summary_free(s);
    return rc;
}

/* Names of the groups under /results, in creation order when tracked. */
static int scenario_names(reader *r, hid_t results, absim_h5_report *rep, int *n)
{
    H5G_info_t info;
    H5_index_t index = H5_INDEX_CRT_ORDER;
    snprintf(r->where, sizeof r->where, "/results");
    if (H5Gget_info(results, &info) < 0)
        return bad(r, "unreadable group");
    if (info.nlinks == 0)
        return bad(r, "no scenario in the file");
    if (info.nlinks > MAX_SCENARIOS_READ)
        return bad(r, "too many scenarios");
    rep->scenario = calloc(info.nlinks, sizeof *rep->scenario);
    rep->summary = calloc(info.nlinks, sizeof *rep->summary);
    rep->scenario_seconds = calloc(info.nlinks, sizeof *rep->scenario_seconds);
    if (!rep->scenario || !rep->summary || !rep->scenario_seconds)
        return absim_error_set(ABSIM_ENOMEM, "out of memory");
    if (H5Lget_name_by_idx(results, ".", index, H5_ITER_INC, 0, NULL, 0, H5P_DEFAULT) < 0)
        index = H5_INDEX_NAME;
    for (hsize_t i = 0; i < info.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(results, ".", index, H5_ITER_INC, i, rep->scenario[i],
                                         sizeof rep->scenario[i], H5P_DEFAULT);
        if (len < 0)
            return bad(r, "cannot list the scenarios");
        if ((size_t)len >= sizeof rep->scenario[i])
            return bad(r, "scenario name too long");
        rep->scenario_seconds[i] = NAN;
    }
    *n = (int)info.nlinks;
    return ABSIM_OK;
}

static int tranches_read(reader *r, hid_t file, absim_tranche_table *t)
{
    int rc = ABSIM_EFORMAT;
    hid_t g = H5I_INVALID_HID, dset = H5I_INVALID_HID;
    hsize_t dims[1];
    size_t n;
    snprintf(r->where, sizeof r->where, "/tranches");
    if (H5Lexists(file, "tranches", H5P_DEFAULT) <= 0 || (g = H5Gopen2(file, "tranches", H5P_DEFAULT)) < 0) {
        bad(r, "missing");
        goto cleanup;
    }
    snprintf(r->where, sizeof r->where, "/tranches/name");
    rc = dataset_open(r, g, "name", 1, H5T_STRING, dims, &dset);
    close_id(&dset);
    if (rc != 0) {
        rc = rc == 1 ? bad(r, "missing") : ABSIM_EFORMAT;
        goto cleanup;
    }
    if (dims[0] < 1 || dims[0] > MAX_TRANCHES_READ) {
        rc = bad(r, "bad number of tranches");
        goto cleanup;
    }
    n = (size_t)dims[0];
    t->ntranches = (int)n;
    t->name = calloc(n, sizeof *t->name);
    t->original_balance = malloc(n * sizeof(double));
    t->attachment = malloc(n * sizeof(double));
    t->detachment = malloc(n * sizeof(double));
    if (!t->name || !t->original_balance || !t->attachment || !t->detachment) {
        rc = absim_error_set(ABSIM_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = ABSIM_EFORMAT;
    if (strings_read(r, g, "/tranches", "name", n, t->name[0], sizeof t->name[0], 1) < 0 ||
        numbers_read(r, g, "/tranches", "original_balance", 1, n, 0, H5T_NATIVE_DOUBLE, t->original_balance, 1) < 0 ||
        numbers_read(r, g, "/tranches", "attachment", 1, n, 0, H5T_NATIVE_DOUBLE, t->attachment, 1) < 0 ||
        numbers_read(r, g, "/tranches", "detachment", 1, n, 0, H5T_NATIVE_DOUBLE, t->detachment, 1) < 0)
        goto cleanup;
    rc = ABSIM_OK;
cleanup:
    close_id(&g);
    return rc;
}

static int root_read(reader *r, hid_t file, absim_h5_report *rep)
{
    char *filetype = NULL, *text = NULL;
    long long schema = -1;
    int rc = ABSIM_EFORMAT, got;
    struct {
        const char *name;
        char *dst;
        size_t cap;
    } str[] = {
        {"absim_version", rep->meta.absim_version, sizeof rep->meta.absim_version},
        {"created_utc", rep->meta.created_utc, sizeof rep->meta.created_utc},
        {"rng", rep->meta.rng, sizeof rep->meta.rng},
    };
    struct {
        const char *name;
        hid_t type;
        void *dst;
    } num[] = {
        {"seed", H5T_NATIVE_UINT64, &rep->meta.seed},
        {"paths", H5T_NATIVE_INT64, &rep->meta.paths},
        {"threads", H5T_NATIVE_INT, &rep->meta.threads},
        {"mpi_ranks", H5T_NATIVE_INT, &rep->meta.mpi_ranks},
        {"wall_seconds", H5T_NATIVE_DOUBLE, &rep->meta.wall_seconds},
    };
    r->where[0] = '\0';
    got = attr_read_string(file, "filetype", &filetype);
    if (got != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: not an absim results file (no filetype attribute)", r->path);
        goto cleanup;
    }
    if (strcmp(filetype, FILETYPE) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: not an absim results file (filetype '%.64s', expected '%s')",
                             r->path, filetype, FILETYPE);
        goto cleanup;
    }
    if (attr_read_number(file, "schema_version", H5T_NATIVE_LLONG, &schema) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: missing or unreadable schema_version attribute", r->path);
        goto cleanup;
    }
    if (schema != ABSIM_SCHEMA_VERSION) {
        rc = absim_error_set(ABSIM_EFORMAT,
                             "%s: schema_version %lld is not supported (this absim reads schema_version %d)",
                             r->path, schema, ABSIM_SCHEMA_VERSION);
        goto cleanup;
    }
    for (size_t i = 0; i < sizeof str / sizeof str[0]; i++) {
        if (attr_read_string(file, str[i].name, &text) != 0) {
            rc = absim_error_set(ABSIM_EFORMAT, "%s: missing or unreadable root attribute '%s'", r->path,
                                 str[i].name);
            goto cleanup;
        }
        snprintf(str[i].dst, str[i].cap, "%s", text);
        free(text);
        text = NULL;
    }
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
        if (attr_read_number(file, num[i].name, num[i].type, num[i].dst) != 0) {
            rc = absim_error_set(ABSIM_EFORMAT, "%s: missing or unreadable root attribute '%s'", r->path,
                                 num[i].name);
            goto cleanup;
        }
    if (attr_read_string(file, "config_text", &rep->config_text) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: missing or unreadable root attribute 'config_text'", r->path);
        goto cleanup;
    }
    rep->meta.config_text = rep->config_text;
    rc = ABSIM_OK;
cleanup:
    free(filetype);
    free(text);
    return rc;
}

int absim_h5_read_report(absim_h5_report *rep, const char *path)
{
    int rc;
    hid_t file = H5I_INVALID_HID, fapl = H5I_INVALID_HID, results = H5I_INVALID_HID;
    reader r = {.path = path, .where = ""};
    int nscen = 0;
    struct stat st;
    htri_t is;
    char detail[256];

    if (!rep || !path)
        return absim_error_set(ABSIM_EINVAL, "absim_h5_read_report: invalid arguments");
    memset(rep, 0, sizeof *rep);
    if (stat(path, &st) != 0)
        return absim_error_set(ABSIM_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return absim_error_set(ABSIM_EIO, "%s: cannot open: it is a directory", path);
    if (!S_ISREG(st.st_mode))
        return absim_error_set(ABSIM_EIO, "%s: cannot open: not a regular file", path);
    if (access(path, R_OK) != 0)
        return absim_error_set(ABSIM_EIO, "%s: cannot open: %s", path, strerror(errno));
    is = H5Fis_hdf5(path);
    if (is <= 0)
        return absim_error_set(ABSIM_EFORMAT, "%s: not an absim results file (not an HDF5 file)", path);
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        rc = absim_error_set(ABSIM_ENOMEM, "%s: cannot open: %s", path, h5_detail(detail));
        goto cleanup;
    }
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: cannot open the HDF5 file (truncated or corrupt?): %s", path,
                             h5_detail(detail));
        goto cleanup;
    }
    rc = root_read(&r, file, rep);
    if (rc == ABSIM_OK)
        rc = tranches_read(&r, file, &rep->tranches);
    if (rc != ABSIM_OK)
        goto cleanup;
    snprintf(r.where, sizeof r.where, "/results");
    if (H5Lexists(file, "results", H5P_DEFAULT) <= 0 || (results = H5Gopen2(file, "results", H5P_DEFAULT)) < 0) {
        rc = bad(&r, "missing");
        goto cleanup;
    }
    rc = scenario_names(&r, results, rep, &nscen);
    if (rc != ABSIM_OK)
        goto cleanup;
    for (int i = 0; i < nscen; i++) {
        rc = scenario_read(&r, results, rep->scenario[i], rep->tranches.ntranches, &rep->summary[i],
                           &rep->scenario_seconds[i], rep->meta.paths);
        if (rc != ABSIM_OK)
            goto cleanup;
        rep->nscenarios++;
    }
cleanup:
    close_id(&results);
    close_id(&file);
    close_id(&fapl);
    if (rc != ABSIM_OK)
        absim_h5_report_free(rep);
    return rc;
}

void absim_h5_report_free(absim_h5_report *rep)
{
    if (!rep)
        return;
    if (rep->summary)
        for (int i = 0; i < rep->nscenarios; i++)
            absim_summary_free(&rep->summary[i]);
    free(rep->summary);
    free(rep->scenario);
    free(rep->scenario_seconds);
    free(rep->config_text);
    free(rep->tranches.name);
    free(rep->tranches.original_balance);
    free(rep->tranches.attachment);
    free(rep->tranches.detachment);
    memset(rep, 0, sizeof *rep);
}
