/* h5read.c -- reading a results file back for `absim report` (SPEC
 * section 4).
 *
 * absim_h5_read_report() checks filetype and schema_version, then the
 * shape and type class of every dataset before reading it into memory of
 * the expected size, so a corrupt or foreign file yields ABSIM_EFORMAT with
 * a message, never an out-of-bounds write. The writer is in h5out.c. See
 * docs/output.md. */
#define _POSIX_C_SOURCE 200809L

#include "h5out.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "../kernels/status.h"
#include "h5util.h"

#define MAX_TRANCHES_READ 100000  /* sanity bounds applied by the reader */
#define MAX_QUANTILES_READ 10000
#define MAX_SCENARIOS_READ 100000


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
    absim_h5u_close_id(&attr);
    absim_h5u_close_id(&ftype);
    absim_h5u_close_id(&mtype);
    absim_h5u_close_id(&space);
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
    absim_h5u_close_id(&attr);
    absim_h5u_close_id(&ftype);
    absim_h5u_close_id(&space);
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
    absim_h5u_close_id(&space);
    absim_h5u_close_id(&type);
    if (rc != 0)
        absim_h5u_close_id(dset);
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
        bad(r, absim_h5u_detail(detail));
        goto cleanup;
    }
    rc = 0;
cleanup:
    absim_h5u_close_id(&dset);
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
        bad(r, absim_h5u_detail(detail));
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
            bad(r, absim_h5u_detail(detail));
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
            bad(r, absim_h5u_detail(detail));
            goto cleanup;
        }
        for (hsize_t i = 0; i < n; i++)
            snprintf(out + i * cap, cap, "%s", buf + i * (size + 1));
        free(buf);
    }
    rc = 0;
cleanup:
    absim_h5u_close_id(&space);
    absim_h5u_close_id(&ftype);
    absim_h5u_close_id(&mtype);
    absim_h5u_close_id(&dset);
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
    absim_h5u_close_id(&dset);
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
        absim_h5u_close_id(&dset);
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
    absim_h5u_close_id(&hg);
    absim_h5u_close_id(&g);
    absim_h5u_close_id(&sc);
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
    rep->has_isolation = calloc(info.nlinks, sizeof *rep->has_isolation);
    rep->isolation_true_sale = calloc(info.nlinks, sizeof *rep->isolation_true_sale);
    rep->isolation_alt = calloc(info.nlinks, sizeof *rep->isolation_alt);
    if (!rep->scenario || !rep->summary || !rep->scenario_seconds || !rep->has_isolation ||
        !rep->isolation_true_sale || !rep->isolation_alt)
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
    absim_h5u_close_id(&dset);
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
    absim_h5u_close_id(&g);
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
    if (strcmp(filetype, ABSIM_H5U_FILETYPE) != 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: not an absim results file (filetype '%.64s', expected '%s')",
                             r->path, filetype, ABSIM_H5U_FILETYPE);
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

/* The optional isolation/ group of a scenario: the other true-sale leg's
 * expected loss and default probability into alt (allocated here). */
static int isolation_read(reader *r, hid_t results, const char *name, int nt, int nq, absim_summary *alt,
                          int *has, int *true_sale)
{
    char grp[ABSIM_NAME_MAX + 32];
    double flag = 1.0;
    int rc = ABSIM_OK;
    hid_t g = H5I_INVALID_HID;
    snprintf(grp, sizeof grp, "/results/%s/isolation", name);
    if (H5Lexists(results, name, H5P_DEFAULT) <= 0)
        return ABSIM_OK;
    hid_t sc = H5Gopen2(results, name, H5P_DEFAULT);
    if (sc < 0)
        return ABSIM_OK;
    if (H5Lexists(sc, "isolation", H5P_DEFAULT) <= 0 || (g = H5Gopen2(sc, "isolation", H5P_DEFAULT)) < 0)
        goto cleanup;
    if (numbers_read(r, g, grp, "true_sale", 1, 1, 0, H5T_NATIVE_DOUBLE, &flag, 0) < 0 ||
        summary_alloc(alt, nt, nq) != ABSIM_OK) {
        rc = ABSIM_EFORMAT;
        goto cleanup;
    }
    *true_sale = flag != 0.0;
    /* The summary is the configured leg; alt is the other one. */
    const char *el = *true_sale ? "expected_loss_no_true_sale" : "expected_loss_true_sale";
    const char *pd = *true_sale ? "default_probability_no_true_sale" : "default_probability_true_sale";
    if (numbers_read(r, g, grp, el, 1, (hsize_t)nt, 0, H5T_NATIVE_DOUBLE, alt->expected_loss, 1) < 0 ||
        numbers_read(r, g, grp, pd, 1, (hsize_t)nt, 0, H5T_NATIVE_DOUBLE, alt->default_probability, 1) < 0) {
        absim_summary_free(alt);
        rc = ABSIM_EFORMAT;
        goto cleanup;
    }
    *has = 1;
cleanup:
    absim_h5u_close_id(&g);
    absim_h5u_close_id(&sc);
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
        rc = absim_error_set(ABSIM_ENOMEM, "%s: cannot open: %s", path, absim_h5u_detail(detail));
        goto cleanup;
    }
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
        rc = absim_error_set(ABSIM_EFORMAT, "%s: cannot open the HDF5 file (truncated or corrupt?): %s", path,
                             absim_h5u_detail(detail));
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
        rc = isolation_read(&r, results, rep->scenario[i], rep->tranches.ntranches, rep->summary[i].nquantiles,
                            &rep->isolation_alt[i], &rep->has_isolation[i], &rep->isolation_true_sale[i]);
        if (rc != ABSIM_OK)
            goto cleanup;
    }
cleanup:
    absim_h5u_close_id(&results);
    absim_h5u_close_id(&file);
    absim_h5u_close_id(&fapl);
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
    if (rep->isolation_alt && rep->has_isolation)
        for (int i = 0; i < rep->nscenarios; i++)
            if (rep->has_isolation[i])
                absim_summary_free(&rep->isolation_alt[i]);
    free(rep->isolation_alt);
    free(rep->has_isolation);
    free(rep->isolation_true_sale);
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
