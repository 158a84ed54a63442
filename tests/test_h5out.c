/* test_h5out.c -- the HDF5 results file: write with the API, read back
 * bitwise, attributes and filters, atomic commit/discard, failures that
 * leave nothing behind, and the reader on foreign, truncated, corrupt and
 * newer-schema files. Runs tests/check_results.py on a written file. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5out.h"
#include "status.h"
#include "testutil.h"

#define NTR 4
#define NQ 3
#define NPATHS 40000 /* more than two chunks */
#define BLOCK 7001   /* blocks that straddle chunk boundaries */

static const char config_text[] = "deal:\n  name: Test deal 2026-1\n  periods: 12\n# \xc3\xa9t\xc3\xa9 UTF-8\n";

typedef struct {
    char dir[256];
    absim_tranche_table tranches;
    absim_run_meta meta;
    double *tranche_loss; /* NPATHS x NTR */
    double *pool_loss, *pool_default_rate;
    absim_summary base, shock;
} fixture;

static void path_in(const fixture *f, char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", f->dir, name);
}

/* Deterministic per-path losses: many zeros, some partial, some total. */
static void make_paths(fixture *f)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int64_t p = 0; p < NPATHS; p++) {
        double u[NTR + 1];
        for (int k = 0; k <= NTR; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            u[k] = (double)(x >> 11) * 0x1.0p-53;
        }
        double pool = 0.3 * u[NTR] * u[NTR];
        for (int t = 0; t < NTR; t++) {
            double att = 0.3 - 0.1 * t, l = (pool - att) / 0.1;
            f->tranche_loss[p * NTR + t] = l <= 0 ? 0.0 : l >= 1 ? 1.0 : l;
        }
        f->pool_loss[p] = pool;
        f->pool_default_rate[p] = pool / 0.6 + 0.01 * u[0];
    }
}

/* Summary consistent with the paths (what check_results.py verifies). */
static void make_summary(const fixture *f, absim_summary *s, double scale)
{
    static const double levels[NQ] = {0.5, 0.99, 0.999};
    assert_int_equal(absim_summary_init(s, NTR, NQ, levels), ABSIM_OK);
    s->paths = NPATHS;
    s->exact_quantiles = 0;
    double pl = 0, pd = 0;
    for (int64_t p = 0; p < NPATHS; p++) {
        pl += f->pool_loss[p];
        pd += f->pool_default_rate[p];
    }
    s->pool_expected_loss = scale * pl / NPATHS;
    s->pool_expected_loss_stderr = 1e-5;
    s->pool_expected_default_rate = scale * pd / NPATHS;
    for (int t = 0; t < NTR; t++) {
        double sum = 0;
        int64_t nd = 0;
        for (int64_t p = 0; p < NPATHS; p++) {
            double l = f->tranche_loss[p * NTR + t];
            sum += l;
            nd += l > 1e-9;
            if (scale == 1.0)
                s->hist[t * ABSIM_HIST_BINS + (l >= 1 ? ABSIM_HIST_BINS - 1 : (int)floor(l * ABSIM_HIST_BINS))]++;
        }
        s->expected_loss[t] = scale * sum / NPATHS;
        s->default_probability[t] = scale * (double)nd / NPATHS;
        s->expected_loss_stderr[t] = 0.1 + t * 1e-17;
        s->default_probability_stderr[t] = 1.0 / 3.0;
        s->loss_given_default[t] = nd ? s->expected_loss[t] / s->default_probability[t] : 0.0;
        s->pv_loss[t] = t == NTR - 1 ? -0.25 : s->expected_loss[t] * 0.9;
        s->wal[t] = 1.5 + t;
        s->shortfall[t] = 1e-300 * t;
        s->variance_reduction[t] = t == 0 ? NAN : 1.0 + t;
        s->pd_variance_reduction[t] = 2.5;
        for (int q = 0; q < NQ; q++) {
            s->var[q * NTR + t] = 0.1 * q + 0.01 * t;
            s->es[q * NTR + t] = 0.1 * q + 0.01 * t + 0.005;
        }
        snprintf(s->implied_rating[t], sizeof s->implied_rating[t], "%s", t == 0 ? "Aaa" : t == 1 ? "Baa3" : "Ca");
    }
    for (int q = 0; q < NQ; q++) {
        s->pool_loss_q[q] = 0.01 * (q + 1);
        s->pool_loss_es[q] = 0.011 * (q + 1);
        s->pool_default_rate_q[q] = 0.02 * (q + 1);
    }
    s->residual_irr_mean = scale == 1.0 ? 0.1234 : NAN;
    s->originator_default_rate = 0.02;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(f->dir, sizeof f->dir, "/tmp/absim_test_h5out_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    absim_tranche_table *t = &f->tranches;
    static const char *names[NTR] = {"A", "B", "C-\xce\xb1", "Equity"};
    t->ntranches = NTR;
    t->name = calloc(NTR, sizeof *t->name);
    t->original_balance = calloc(NTR, sizeof(double));
    t->attachment = calloc(NTR, sizeof(double));
    t->detachment = calloc(NTR, sizeof(double));
    f->tranche_loss = malloc(sizeof(double) * NPATHS * NTR);
    f->pool_loss = malloc(sizeof(double) * NPATHS);
    f->pool_default_rate = malloc(sizeof(double) * NPATHS);
    if (!t->name || !t->original_balance || !t->attachment || !t->detachment || !f->tranche_loss ||
        !f->pool_loss || !f->pool_default_rate)
        return -1;
    for (int i = 0; i < NTR; i++) {
        snprintf(t->name[i], sizeof t->name[i], "%s", names[i]);
        t->original_balance[i] = i == 0 ? 7.0e8 : 1.0e8 + 0.1;
        t->attachment[i] = (double)(3 - i) / 10.0;
        t->detachment[i] = i == 0 ? 1.0 : (double)(4 - i) / 10.0;
    }
    snprintf(f->meta.absim_version, sizeof f->meta.absim_version, "9.9.9-test");
    snprintf(f->meta.created_utc, sizeof f->meta.created_utc, "2026-01-02T03:04:05Z");
    snprintf(f->meta.rng, sizeof f->meta.rng, "philox4x64-10");
    f->meta.config_text = config_text;
    f->meta.seed = 18446744073709551557ull; /* above INT64_MAX */
    f->meta.paths = NPATHS;
    f->meta.threads = 8;
    f->meta.mpi_ranks = 2;
    f->meta.wall_seconds = 0;
    make_paths(f);
    make_summary(f, &f->base, 1.0);
    make_summary(f, &f->shock, 0.5);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (getenv("ABSIM_TEST_KEEP")) /* keep the files for inspection */
        fprintf(stderr, "files kept in %s\n", f->dir);
    else if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    absim_summary_free(&f->base);
    absim_summary_free(&f->shock);
    free(f->tranches.name);
    free(f->tranches.original_balance);
    free(f->tranches.attachment);
    free(f->tranches.detachment);
    free(f->tranche_loss);
    free(f->pool_loss);
    free(f->pool_default_rate);
    free(f);
    return 0;
}

/* Number of directory entries containing `needle`. */
static int count_entries(const char *dir, const char *needle)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strstr(e->d_name, needle))
            n++;
    closedir(d);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Write base (with paths, in blocks) and "alpha_shock" (no paths). */
static void write_file(fixture *f, const char *path)
{
    absim_h5 *h = NULL;
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_OK);
    assert_non_null(h);
    assert_int_equal(absim_h5_scenario_begin(h, "base", NPATHS, 1), ABSIM_OK);
    /* Blocks out of order, as a parallel driver may hand them over. */
    for (int64_t first = (NPATHS / BLOCK) * BLOCK; first >= 0; first -= BLOCK) {
        int64_t n = first + BLOCK > NPATHS ? NPATHS - first : BLOCK;
        assert_int_equal(absim_h5_write_paths(h, first, n, f->tranche_loss + first * NTR, f->pool_loss + first,
                                              f->pool_default_rate + first),
                         ABSIM_OK);
    }
    absim_h5_set_scenario_seconds(h, 1.25);
    assert_int_equal(absim_h5_scenario_end(h, &f->base), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_begin(h, "alpha_shock", NPATHS, 0), ABSIM_OK);
    assert_int_equal(absim_h5_write_paths(h, 0, 10, f->tranche_loss, f->pool_loss, f->pool_default_rate),
                     ABSIM_OK); /* no-op without paths */
    assert_int_equal(absim_h5_scenario_end(h, &f->shock), ABSIM_OK);
    absim_h5_set_wall_seconds(h, 3.5);
    assert_int_equal(absim_h5_close(h, 1), ABSIM_OK);
}

static void assert_same_doubles(const double *a, const double *b, size_t n)
{
    assert_memory_equal(a, b, n * sizeof(double));
}

static void assert_same_summary(const absim_summary *a, const absim_summary *b)
{
    size_t nt = (size_t)a->ntranches, nq = (size_t)a->nquantiles;
    assert_int_equal(a->ntranches, b->ntranches);
    assert_int_equal(a->nquantiles, b->nquantiles);
    assert_int_equal(a->paths, b->paths);
    assert_int_equal(a->exact_quantiles, b->exact_quantiles);
    assert_same_doubles(a->quantile_levels, b->quantile_levels, nq);
    assert_same_doubles(a->expected_loss, b->expected_loss, nt);
    assert_same_doubles(a->expected_loss_stderr, b->expected_loss_stderr, nt);
    assert_same_doubles(a->default_probability, b->default_probability, nt);
    assert_same_doubles(a->default_probability_stderr, b->default_probability_stderr, nt);
    assert_same_doubles(a->loss_given_default, b->loss_given_default, nt);
    assert_same_doubles(a->pv_loss, b->pv_loss, nt);
    assert_same_doubles(a->wal, b->wal, nt);
    assert_same_doubles(a->shortfall, b->shortfall, nt);
    assert_same_doubles(a->variance_reduction, b->variance_reduction, nt);
    assert_same_doubles(a->pd_variance_reduction, b->pd_variance_reduction, nt);
    assert_same_doubles(a->var, b->var, nq * nt);
    assert_same_doubles(a->es, b->es, nq * nt);
    assert_same_doubles(a->pool_loss_q, b->pool_loss_q, nq);
    assert_same_doubles(a->pool_loss_es, b->pool_loss_es, nq);
    assert_same_doubles(a->pool_default_rate_q, b->pool_default_rate_q, nq);
    assert_same_doubles(&a->pool_expected_loss, &b->pool_expected_loss, 1);
    assert_same_doubles(&a->pool_expected_loss_stderr, &b->pool_expected_loss_stderr, 1);
    assert_same_doubles(&a->pool_expected_default_rate, &b->pool_expected_default_rate, 1);
    assert_same_doubles(&a->residual_irr_mean, &b->residual_irr_mean, 1);
    assert_same_doubles(&a->originator_default_rate, &b->originator_default_rate, 1);
    assert_same_doubles(a->hist_edges, b->hist_edges, ABSIM_HIST_BINS + 1);
    assert_memory_equal(a->hist, b->hist, nt * ABSIM_HIST_BINS * sizeof(uint64_t));
    for (size_t i = 0; i < nt; i++)
        assert_string_equal(a->implied_rating[i], b->implied_rating[i]);
}

static void test_h5out_roundtrip(void **state)
{
    fixture *f = *state;
    char path[512];
    absim_h5_report rep;
    path_in(f, path, sizeof path, "roundtrip.h5");
    write_file(f, path);
    assert_true(exists(path));
    assert_int_equal(count_entries(f->dir, ".tmp."), 0);

    assert_int_equal(absim_h5_read_report(&rep, path), ABSIM_OK);
    assert_string_equal(rep.meta.absim_version, "9.9.9-test");
    assert_string_equal(rep.meta.created_utc, "2026-01-02T03:04:05Z");
    assert_string_equal(rep.meta.rng, "philox4x64-10");
    assert_string_equal(rep.config_text, config_text);
    assert_ptr_equal(rep.meta.config_text, rep.config_text);
    assert_true(rep.meta.seed == 18446744073709551557ull);
    assert_int_equal(rep.meta.paths, NPATHS);
    assert_int_equal(rep.meta.threads, 8);
    assert_int_equal(rep.meta.mpi_ranks, 2);
    assert_true(rep.meta.wall_seconds == 3.5);
    assert_int_equal(rep.tranches.ntranches, NTR);
    for (int i = 0; i < NTR; i++)
        assert_string_equal(rep.tranches.name[i], f->tranches.name[i]);
    assert_same_doubles(rep.tranches.original_balance, f->tranches.original_balance, NTR);
    assert_same_doubles(rep.tranches.attachment, f->tranches.attachment, NTR);
    assert_same_doubles(rep.tranches.detachment, f->tranches.detachment, NTR);
    /* Scenarios in the order written, not alphabetical. */
    assert_int_equal(rep.nscenarios, 2);
    assert_string_equal(rep.scenario[0], "base");
    assert_string_equal(rep.scenario[1], "alpha_shock");
    assert_true(rep.scenario_seconds[0] == 1.25);
    assert_true(rep.scenario_seconds[1] >= 0.0);
    assert_same_summary(&rep.summary[0], &f->base);
    assert_same_summary(&rep.summary[1], &f->shock);
    absim_h5_report_free(&rep);
    assert_null(rep.summary);
}

static herr_t check_described(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    int *missing = data;
    if (info->type == H5O_TYPE_DATASET) {
        hid_t d = H5Oopen(obj, name, H5P_DEFAULT);
        if (d < 0 || (H5Aexists(d, "units") <= 0 && H5Aexists(d, "description") <= 0)) {
            fprintf(stderr, "dataset %s has no units/description\n", name);
            (*missing)++;
        }
        if (d >= 0)
            H5Oclose(d);
    }
    return 0;
}

static void read_attr_string(hid_t obj, const char *name, char *buf, size_t cap)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a), m = H5Tcopy(H5T_C_S1);
    char *v = NULL;
    assert_true(a >= 0 && t >= 0);
    assert_int_equal(H5Tget_class(t), H5T_STRING);
    assert_true(H5Tis_variable_str(t) > 0);
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    H5Tset_size(m, H5T_VARIABLE);
    H5Tset_cset(m, H5T_CSET_UTF8);
    assert_true(H5Aread(a, m, &v) >= 0);
    snprintf(buf, cap, "%s", v);
    H5free_memory(v);
    H5Tclose(m);
    H5Tclose(t);
    H5Aclose(a);
}

static void test_h5out_layout(void **state)
{
    fixture *f = *state;
    char path[512], buf[256];
    int missing = 0, schema = 0;
    uint64_t seed = 0;
    path_in(f, path, sizeof path, "layout.h5");
    write_file(f, path);

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    read_attr_string(file, "filetype", buf, sizeof buf);
    assert_string_equal(buf, "absim-results");
    read_attr_string(file, "deal_name", buf, sizeof buf);
    assert_string_equal(buf, "Test deal 2026-1");
    hid_t a = H5Aopen(file, "schema_version", H5P_DEFAULT), t = H5Aget_type(a);
    assert_int_equal(H5Tget_class(t), H5T_INTEGER);
    assert_true(H5Aread(a, H5T_NATIVE_INT, &schema) >= 0);
    assert_int_equal(schema, ABSIM_SCHEMA_VERSION);
    H5Tclose(t);
    H5Aclose(a);
    a = H5Aopen(file, "seed", H5P_DEFAULT);
    t = H5Aget_type(a);
    assert_true(H5Tequal(t, H5T_STD_U64LE) > 0);
    assert_true(H5Aread(a, H5T_NATIVE_UINT64, &seed) >= 0);
    assert_true(seed == f->meta.seed);
    H5Tclose(t);
    H5Aclose(a);

    assert_true(H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, check_described, &missing) >= 0);
    assert_int_equal(missing, 0);

    /* Per-path datasets: chunked, shuffled, deflated; bitwise content. */
    hid_t d = H5Dopen2(file, "/results/base/paths/tranche_loss", H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk[2];
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_chunk(dcpl, 2, chunk), 2);
    assert_int_equal(chunk[1], NTR);
    int nfilters = H5Pget_nfilters(dcpl), shuffle = 0, deflate = 0;
    for (int i = 0; i < nfilters; i++) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        shuffle |= id == H5Z_FILTER_SHUFFLE;
        deflate |= id == H5Z_FILTER_DEFLATE;
    }
    assert_true(shuffle && deflate);
    H5Pclose(dcpl);
    double *back = malloc(sizeof(double) * NPATHS * NTR);
    assert_non_null(back);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
    assert_memory_equal(back, f->tranche_loss, sizeof(double) * NPATHS * NTR);
    H5Dclose(d);
    d = H5Dopen2(file, "/results/base/pool/default_rate", H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
    assert_memory_equal(back, f->pool_default_rate, sizeof(double) * NPATHS);
    H5Dclose(d);
    free(back);
    /* Without paths: no per-path groups. */
    assert_int_equal(H5Lexists(file, "/results/alpha_shock/paths", H5P_DEFAULT), 0);
    assert_int_equal(H5Lexists(file, "/results/alpha_shock/pool", H5P_DEFAULT), 0);
    assert_true(H5Lexists(file, "/results/alpha_shock/histogram/tranche_loss", H5P_DEFAULT) > 0);
    H5Fclose(file);
}

static void test_h5out_check_results_script(void **state)
{
    fixture *f = *state;
    char path[512], cmd[1400];
    path_in(f, path, sizeof path, "checked.h5");
    write_file(f, path);
    if (access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "skipped: /usr/bin/python3 not available\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/check_results.py' --scenarios 2 '%s'", ABSIM_SOURCE_DIR,
             path);
    assert_int_equal(system(cmd), 0);
}

static void test_h5out_create_fails_cleanly(void **state)
{
    fixture *f = *state;
    char path[600], file_as_dir[512];
    absim_h5 *h = (absim_h5 *)1;
    /* Nonexistent directory. */
    path_in(f, path, sizeof path, "no/such/dir/out.h5");
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_EIO);
    assert_null(h);
    assert_non_null(strstr(absim_error_message(), path));
    /* A regular file where the directory should be (fails even for root). */
    path_in(f, file_as_dir, sizeof file_as_dir, "plain");
    FILE *fp = fopen(file_as_dir, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/out.h5", file_as_dir);
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_EIO);
    assert_non_null(strstr(absim_error_message(), path));
    /* The output is an existing directory. */
    path_in(f, path, sizeof path, "adir");
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_EIO);
    assert_int_equal(count_entries(f->dir, ".tmp."), 0);
}

static void test_h5out_discard_and_failures(void **state)
{
    fixture *f = *state;
    char path[512];
    absim_h5 *h = NULL;
    path_in(f, path, sizeof path, "discard.h5");
    /* close(h, 0): nothing left. */
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_OK);
    assert_int_equal(count_entries(f->dir, "discard.h5.tmp."), 1);
    assert_int_equal(absim_h5_scenario_begin(h, "base", 100, 1), ABSIM_OK);
    assert_int_equal(absim_h5_close(h, 0), ABSIM_OK);
    assert_false(exists(path));
    assert_int_equal(count_entries(f->dir, "discard.h5"), 0);

    /* Missing per-path rows: scenario_end fails, commit refuses. */
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_begin(h, "base", NPATHS, 1), ABSIM_OK);
    assert_int_equal(absim_h5_write_paths(h, 0, 100, f->tranche_loss, f->pool_loss, f->pool_default_rate),
                     ABSIM_OK);
    assert_int_equal(absim_h5_write_paths(h, NPATHS - 10, 11, f->tranche_loss, NULL, NULL), ABSIM_EINVAL);
    assert_int_equal(absim_h5_scenario_end(h, &f->base), ABSIM_EINVAL);
    assert_int_not_equal(absim_h5_close(h, 1), ABSIM_OK);
    assert_false(exists(path));
    assert_int_equal(count_entries(f->dir, "discard.h5"), 0);

    /* Scenario left open: commit refuses. Bad names and duplicates. */
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_begin(h, "a/b", 10, 0), ABSIM_EINVAL);
    assert_int_equal(absim_h5_scenario_begin(h, "", 10, 0), ABSIM_EINVAL);
    assert_int_equal(absim_h5_scenario_begin(h, "base", NPATHS, 0), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_end(h, &f->base), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_begin(h, "base", NPATHS, 0), ABSIM_EINVAL);
    assert_int_equal(absim_h5_scenario_begin(h, "other", NPATHS, 0), ABSIM_OK);
    assert_int_equal(absim_h5_close(h, 1), ABSIM_EINVAL);
    assert_false(exists(path));
    assert_int_equal(count_entries(f->dir, "discard.h5"), 0);

    /* A summary of the wrong size is refused. */
    absim_summary small;
    assert_int_equal(absim_summary_init(&small, NTR - 1, 0, NULL), ABSIM_OK);
    assert_int_equal(absim_h5_create(&h, path, &f->meta, &f->tranches), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_begin(h, "base", 0, 1), ABSIM_OK);
    assert_int_equal(absim_h5_scenario_end(h, &small), ABSIM_EINVAL);
    assert_int_not_equal(absim_h5_close(h, 1), ABSIM_OK);
    assert_false(exists(path));
    absim_summary_free(&small);
    assert_int_equal(absim_h5_close(NULL, 1), ABSIM_OK);
}

/* An HDF5 file written here with the given root attributes. */
static void write_foreign(const char *path, const char *filetype, int schema)
{
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(file >= 0);
    if (filetype) {
        hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
        H5Tset_size(t, strlen(filetype) + 1);
        hid_t a = H5Acreate2(file, "filetype", t, s, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(H5Awrite(a, t, filetype) >= 0);
        H5Aclose(a);
        if (schema) {
            a = H5Acreate2(file, "schema_version", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
            long long v = schema;
            assert_true(H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0);
            H5Aclose(a);
        }
        H5Sclose(s);
        H5Tclose(t);
    }
    hid_t g = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(file);
}

static void expect_reject(const char *path, int code, const char *needle)
{
    absim_h5_report rep;
    absim_error_clear();
    assert_int_equal(absim_h5_read_report(&rep, path), code);
    assert_non_null(strstr(absim_error_message(), path));
    if (needle && !strstr(absim_error_message(), needle)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", absim_error_message(), needle);
        fail();
    }
    assert_int_equal(rep.nscenarios, 0);
    assert_null(rep.summary);
}

static void copy_prefix(const char *from, const char *to, long n)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_true(in && out);
    for (long i = 0; i < n; i++) {
        int c = fgetc(in);
        if (c == EOF)
            break;
        fputc(c, out);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static void test_h5out_reader_rejects(void **state)
{
    fixture *f = *state;
    char path[512], good[512];
    path_in(f, path, sizeof path, "missing.h5");
    expect_reject(path, ABSIM_EIO, "No such file");

    path_in(f, path, sizeof path, "text.h5");
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("deal:\n  name: not hdf5\n", fp);
    fclose(fp);
    expect_reject(path, ABSIM_EFORMAT, "not an HDF5 file");

    path_in(f, path, sizeof path, "empty.h5");
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    expect_reject(path, ABSIM_EFORMAT, NULL);

    path_in(f, path, sizeof path, "foreign.h5");
    write_foreign(path, NULL, 0);
    expect_reject(path, ABSIM_EFORMAT, "not an absim results file");
    write_foreign(path, "statepoint", 1);
    expect_reject(path, ABSIM_EFORMAT, "statepoint");
    write_foreign(path, "absim-results", 2);
    expect_reject(path, ABSIM_EFORMAT, "schema_version 2");
    write_foreign(path, "absim-results", 1); /* right header, nothing else */
    expect_reject(path, ABSIM_EFORMAT, NULL);

    path_in(f, good, sizeof good, "good.h5");
    write_file(f, good);
    long size = file_size(good);
    path_in(f, path, sizeof path, "truncated.h5");
    for (long n = 8; n < size; n = n * 2 + 1) {
        copy_prefix(good, path, n);
        expect_reject(path, n < 8 ? ABSIM_EFORMAT : ABSIM_EFORMAT, NULL);
    }
    copy_prefix(good, path, size - 1);
    expect_reject(path, ABSIM_EFORMAT, NULL);
    path_in(f, path, sizeof path, "adir");
    mkdir(path, 0755);
    expect_reject(path, ABSIM_EIO, "directory");
}

/* Overwrite small regions of a valid file: the reader must not crash and
 * must either succeed or fail with a message naming the file. */
static void test_h5out_reader_corrupt(void **state)
{
    fixture *f = *state;
    char good[512], path[512];
    path_in(f, good, sizeof good, "good2.h5");
    write_file(f, good);
    long size = file_size(good);
    path_in(f, path, sizeof path, "corrupt.h5");
    int failures = 0;
    for (long off = 0; off < size; off += size / 97 + 1) {
        copy_prefix(good, path, size);
        FILE *fp = fopen(path, "r+b");
        assert_non_null(fp);
        assert_int_equal(fseek(fp, off, SEEK_SET), 0);
        for (int i = 0; i < 48; i++)
            fputc((int)((off * 31 + i * 7) & 0xff), fp);
        fclose(fp);
        absim_h5_report rep;
        absim_error_clear();
        int rc = absim_h5_read_report(&rep, path);
        if (rc == ABSIM_OK)
            absim_h5_report_free(&rep);
        else {
            failures++;
            assert_non_null(strstr(absim_error_message(), path));
        }
    }
    assert_true(failures > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h5out_roundtrip),
        cmocka_unit_test(test_h5out_layout),
        cmocka_unit_test(test_h5out_check_results_script),
        cmocka_unit_test(test_h5out_create_fails_cleanly),
        cmocka_unit_test(test_h5out_discard_and_failures),
        cmocka_unit_test(test_h5out_reader_rejects),
        cmocka_unit_test(test_h5out_reader_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
