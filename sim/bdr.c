/* bdr.c -- `absim bdr CONFIG`: break-even default rates, scenario default
 * rates and the S&P-style cushion test.
 *
 * For each note: the BDR (kernels/bdr.c) on the expected short-rate path,
 * and the cumulative default rate it implies. Then a Monte Carlo run of the
 * base case gives the pool's cumulative default-rate distribution; the
 * scenario default rate (SDR) of rating R for a note is that distribution's
 * quantile at 1 - PD_R(WAL), PD_R from the PD rating scale at the note's
 * simulated WAL. The note's cushion rating is the best rating whose SDR its
 * cumulative BDR covers (BDR >= SDR). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <omp.h>

#include "bdr.h"
#include "cli.h"
#include "commands.h"
#include "cluster.h"
#include "driver.h"
#include "h5out.h"
#include "results.h"
#include "rates.h"
#include "status.h"

static const char usage[] =
    "usage: absim bdr CONFIG [--format table|json] [-o OUT.h5] [--paths N] [--seed S] [--threads T]\n"
    "\n"
    "Break-even default rate (BDR) of every note: the highest constant annual\n"
    "default rate at which the note still receives all principal and interest on\n"
    "the deterministic path (Standard Formulas, the deal's own prepayment,\n"
    "severity and lag, the expected short-rate path), by bisection to 1e-6.\n"
    "Also the scenario default rate (SDR) per rating from the simulated pool\n"
    "default-rate distribution of the base case, and each note's best rating\n"
    "with cumulative BDR >= SDR (cushion test). With -o, the base-case results\n"
    "file is written with a /results/base/bdr group. See docs/stress.md.\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Smallest x of the sorted sample with P(X <= x) >= q. */
static double sorted_quantile(const double *x, int64_t n, double q)
{
    int64_t i = (int64_t)ceil(q * (double)n) - 1;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    return x[i];
}

/* /results/base/bdr: per note BDR, cumulative BDR, WAL, cushion rating,
 * and the SDR table [ratings, notes]; then the base summary. */
static int write_bdr(absim_h5 *h5, const absim_deal *deal, const absim_rating_scale *ps, const absim_bdr_result *res,
                     const double *sdr, const int *best, int nnotes, const absim_scenario_run *run)
{
    double *v = malloc((size_t)(3 * (nnotes > 0 ? nnotes : 1)) * sizeof *v);
    char(*names)[ABSIM_NAME_MAX] = calloc((size_t)(nnotes > 0 ? nnotes : 1), sizeof *names);
    char(*cushion)[16] = calloc((size_t)(nnotes > 0 ? nnotes : 1), sizeof *cushion);
    int rc = ABSIM_ENOMEM;
    if (!v || !names || !cushion)
        goto cleanup;
    for (int t = 0; t < nnotes; t++) {
        v[t] = res[t].bdr;
        v[nnotes + t] = res[t].cumulative;
        v[2 * nnotes + t] = run->summary.wal[t];
        snprintf(names[t], ABSIM_NAME_MAX, "%s", deal->structure.tranches[t].name);
        snprintf(cushion[t], sizeof cushion[t], "%s", best[t] >= 0 ? ps->rating[best[t]] : "none");
    }
    const char *g = "bdr";
    rc = absim_h5_write_extra_strings(h5, g, "note", nnotes, names[0], sizeof names[0], "notes, most senior first");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "bdr", 1, nnotes, 0, v, "annual CDR",
                                  "break-even constant annual default rate (Standard Formulas path)");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "bdr_cumulative", 1, nnotes, 0, v + nnotes, "fraction of original pool",
                                  "cumulative defaulted principal at the break-even rate");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "wal", 1, nnotes, 0, v + 2 * nnotes, "years",
                                  "simulated mean WAL of the note (SDR horizon)");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra_strings(h5, g, "rating", ps->nratings, ps->rating[0], sizeof ps->rating[0],
                                          "ratings of the PD scale, best first");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "sdr", 2, ps->nratings, nnotes, sdr, "fraction of original pool",
                                  "scenario default rate by rating (row) and note (column)");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra_strings(h5, g, "cushion_rating", nnotes, cushion[0], sizeof cushion[0],
                                          "best rating whose SDR the note's cumulative BDR covers");
    if (rc == ABSIM_OK)
        rc = absim_h5_scenario_end(h5, &run->summary);
cleanup:
    free(v);
    free(names);
    free(cushion);
    return rc;
}

int absim_cmd_bdr(int argc, char **argv)
{
    const char *config = NULL, *output = NULL;
    int json = 0, quiet = 0, code = ABSIM_EXIT_OK;
    int64_t paths = -1, threads = -1;
    uint64_t seed = 0;
    int have_seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return ABSIM_EXIT_OK;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (!(v = absim_cli_value("bdr", argc, argv, &i)))
                return ABSIM_EXIT_USAGE;
            if (strcmp(v, "json") == 0)
                json = 1;
            else if (strcmp(v, "table") != 0) {
                fprintf(stderr, "absim bdr: --format: expected 'table' or 'json', got '%s'\n", v);
                return ABSIM_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--paths") == 0) {
            if (!(v = absim_cli_value("bdr", argc, argv, &i)) ||
                absim_cli_int64("bdr", "--paths", v, 1, (int64_t)1 << 40, &paths))
                return ABSIM_EXIT_USAGE;
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = absim_cli_value("bdr", argc, argv, &i)) ||
                absim_cli_int64("bdr", "--threads", v, 0, 4096, &threads))
                return ABSIM_EXIT_USAGE;
        } else if (strcmp(argv[i], "--seed") == 0) {
            if (!(v = absim_cli_value("bdr", argc, argv, &i)) || absim_cli_uint64("bdr", "--seed", v, &seed))
                return ABSIM_EXIT_USAGE;
            have_seed = 1;
        } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (!(output = absim_cli_value("bdr", argc, argv, &i)))
                return ABSIM_EXIT_USAGE;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "absim bdr: unknown option '%s' (see 'absim bdr --help')\n", argv[i]);
            return ABSIM_EXIT_USAGE;
        } else if (!config) {
            config = argv[i];
        } else {
            fprintf(stderr, "absim bdr: unexpected argument '%s'\n", argv[i]);
            return ABSIM_EXIT_USAGE;
        }
    }
    if (!config) {
        fprintf(stderr, "absim bdr: missing CONFIG (see 'absim bdr --help')\n");
        return ABSIM_EXIT_USAGE;
    }

    absim_deal deal;
    absim_rating_scale scale, pdscale;
    absim_rate_plan rp;
    absim_scenario base;
    absim_scenario_run run;
    absim_bdr_result *res = NULL;
    double *r = NULL, *dr = NULL, *sdr = NULL;
    int have_rp = 0, have_base = 0, have_run = 0, have_pdscale = 0, have_table = 0;
    absim_h5 *h5 = NULL;
    absim_tranche_table table;
    int *best = NULL;
    memset(&run, 0, sizeof run);

    if (absim_cli_load_deal(&deal, config))
        return ABSIM_EXIT_USAGE;
    if (absim_cli_load_scale(&deal, &scale)) {
        absim_deal_free(&deal);
        return ABSIM_EXIT_USAGE;
    }
    /* The SDR needs default probabilities: an EL scale is replaced by the
     * bundled PD scale for this purpose. */
    const absim_rating_scale *ps = &scale;
    if (scale.measure != ABSIM_MEASURE_PD) {
        if (absim_rating_scale_load_string(&pdscale, absim_default_rating_scale_text, "<bundled>", stderr) !=
            ABSIM_OK) {
            code = ABSIM_EXIT_FAILURE;
            goto cleanup;
        }
        have_pdscale = 1;
        ps = &pdscale;
    }

    const int T = deal.periods, ntr = deal.structure.ntranches;
    int nnotes = ntr;
    while (nnotes > 0 && deal.structure.tranches[nnotes - 1].residual)
        nnotes--;
    r = malloc((size_t)T * sizeof *r);
    res = calloc((size_t)(nnotes > 0 ? nnotes : 1), sizeof *res);
    if (!r || !res) {
        fprintf(stderr, "absim bdr: out of memory\n");
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    if (absim_rate_plan_init(&rp, &deal.rates, 0.0, T, deal.period_months / 12.0) != ABSIM_OK) {
        fprintf(stderr, "absim bdr: %s\n", absim_error_message());
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_rp = 1;
    absim_rate_expected(&rp, r);
    for (int t = 0; t < nnotes; t++)
        if (absim_bdr_solve(&deal, r, t, 1e-6, &res[t]) != ABSIM_OK) {
            fprintf(stderr, "absim bdr: %s\n", absim_error_message());
            code = ABSIM_EXIT_FAILURE;
            goto cleanup;
        }

    /* Monte Carlo: the pool's cumulative default-rate distribution. */
    int64_t n = paths > 0 ? paths : deal.sim.paths;
    dr = malloc((size_t)n * sizeof *dr);
    sdr = malloc((size_t)(ps->nratings * (nnotes > 0 ? nnotes : 1)) * sizeof *sdr);
    best = malloc((size_t)(nnotes > 0 ? nnotes : 1) * sizeof *best);
    if (!dr || !sdr || !best || absim_scenario_init_base(&base, &deal) != ABSIM_OK) {
        fprintf(stderr, "absim bdr: out of memory\n");
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_base = 1;
    absim_run_options o;
    memset(&o, 0, sizeof o);
    o.paths = n;
    o.seed = have_seed ? seed : deal.sim.seed;
    o.threads = (int)(threads >= 0 ? threads : deal.sim.threads);
    o.progress = ABSIM_PROGRESS_NONE;
    o.label = "base";
    o.scale = &scale;
    o.pool_default_rate_out = dr;
    absim_run_meta meta;
    memset(&meta, 0, sizeof meta);
    if (output && absim_mpi_rank() == 0) {
        absim_cli_fill_meta(&meta, &deal, o.seed, n, o.threads > 0 ? o.threads : omp_get_max_threads());
        meta.mpi_ranks = absim_mpi_size();
        if (absim_tranche_table_init(&table, &deal) != ABSIM_OK) {
            code = ABSIM_EXIT_FAILURE;
            goto cleanup;
        }
        have_table = 1;
        if (absim_h5_create(&h5, output, &meta, &table) != ABSIM_OK) {
            fprintf(stderr, "absim bdr: cannot write %s: %s\n", output, absim_error_message());
            h5 = NULL;
            code = ABSIM_EXIT_OUTPUT;
            goto cleanup;
        }
        o.h5 = h5;
        o.keep_paths = deal.sim.keep_paths;
    }
    if (absim_driver_run(&deal, &base, &o, &run) != ABSIM_OK) {
        fprintf(stderr, "absim bdr: %s\n", absim_error_message());
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_run = 1;
    if (absim_mpi_rank() != 0)
        goto cleanup;
    qsort(dr, (size_t)n, sizeof *dr, cmp_double);
    for (int t = 0; t < nnotes; t++) {
        best[t] = -1;
        double wal = run.summary.wal[t];
        for (int k = 0; k < ps->nratings; k++) {
            double pd = absim_rating_value(ps, k, wal);
            double s = pd >= 1.0 ? 0.0 : sorted_quantile(dr, n, 1.0 - pd);
            sdr[k * nnotes + t] = s;
            if (best[t] < 0 && res[t].cumulative >= s)
                best[t] = k;
        }
    }
    if (h5 && write_bdr(h5, &deal, ps, res, sdr, best, nnotes, &run) != ABSIM_OK) {
        fprintf(stderr, "absim bdr: cannot write %s: %s\n", output, absim_error_message());
        code = ABSIM_EXIT_OUTPUT;
        goto cleanup;
    }
    if (h5) {
        int rc = absim_h5_close(h5, 1);
        h5 = NULL;
        if (rc != ABSIM_OK) {
            fprintf(stderr, "absim bdr: cannot write %s: %s\n", output, absim_error_message());
            code = ABSIM_EXIT_OUTPUT;
            goto cleanup;
        }
    }

    if (json) {
        json_t *root = json_object(), *list = json_array();
        for (int t = 0; t < nnotes; t++) {
            json_t *o_t = json_object(), *s_t = json_object();
            for (int k = 0; k < ps->nratings; k++)
                json_object_set_new(s_t, ps->rating[k], json_real(sdr[k * nnotes + t]));
            json_object_set_new(o_t, "name", json_string(deal.structure.tranches[t].name));
            json_object_set_new(o_t, "bdr", json_real(res[t].bdr));
            json_object_set_new(o_t, "bdr_cumulative", json_real(res[t].cumulative));
            json_object_set_new(o_t, "wal", json_real(run.summary.wal[t]));
            json_object_set_new(o_t, "sdr", s_t);
            json_object_set_new(o_t, "cushion_rating",
                                best[t] >= 0 ? json_string(ps->rating[best[t]]) : json_string("none"));
            json_object_set_new(o_t, "implied_rating", json_string(run.summary.implied_rating[t]));
            json_array_append_new(list, o_t);
        }
        json_object_set_new(root, "tranches", list);
        json_object_set_new(root, "paths", json_integer(n));
        json_object_set_new(root, "seed", json_integer((json_int_t)o.seed));
        json_object_set_new(root, "expected_default_rate", json_real(run.summary.pool_expected_default_rate));
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(root);
    } else {
        printf("Break-even default rates: %s\n", deal.name);
        printf("  deterministic path: Standard Formulas, expected short rates, each line's own prepayment,\n"
               "  severity and lag; SDR from %lld simulated paths (seed %llu), scale %s\n\n",
               (long long)n, (unsigned long long)o.seed, ps->source);
        printf("  %-12s %10s %12s %8s %14s %12s\n", "tranche", "BDR (CDR)", "BDR (cum.)", "WAL", "cushion rating",
               "MC rating");
        for (int t = 0; t < nnotes; t++)
            printf("  %-12s %9.4f%% %11.4f%% %7.2fy %14s %12s\n", deal.structure.tranches[t].name, 100 * res[t].bdr,
                   100 * res[t].cumulative, run.summary.wal[t], best[t] >= 0 ? ps->rating[best[t]] : "none",
                   run.summary.implied_rating[t]);
        printf("\n  Scenario default rates (cumulative, %% of pool) by rating at each note's WAL\n  %-8s",
               "rating");
        for (int t = 0; t < nnotes; t++)
            printf(" %12s", deal.structure.tranches[t].name);
        printf("\n");
        for (int k = 0; k < ps->nratings; k++) {
            printf("  %-8s", ps->rating[k]);
            for (int t = 0; t < nnotes; t++)
                printf(" %11.4f%%", 100 * sdr[k * nnotes + t]);
            printf("\n");
        }
    }
    (void)quiet;

cleanup:
    if (h5)
        absim_h5_close(h5, 0);
    if (have_table)
        absim_tranche_table_free(&table);
    if (have_run)
        absim_scenario_run_free(&run);
    if (have_base)
        absim_scenario_free(&base);
    if (have_rp)
        absim_rate_plan_free(&rp);
    if (have_pdscale)
        absim_rating_scale_free(&pdscale);
    absim_rating_scale_free(&scale);
    free(r);
    free(res);
    free(dr);
    free(sdr);
    free(best);
    absim_deal_free(&deal);
    return code;
}
