/* run.c -- `absim run` (one scenario) and `absim stress` (base + every
 * scenario on common random numbers): option parsing, output file, signal
 * handling, and printing. The simulation itself is sim/driver.c. */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "checkpoint.h"
#include "cli.h"
#include "commands.h"
#include "driver.h"
#include "h5out.h"
#include "cluster.h"
#include "output.h"
#include "results.h"
#include "rng.h"
#include "status.h"

static const char run_usage[] =
    "usage: absim run [CONFIG] [options]\n"
    "\n"
    "Monte Carlo run of one scenario of a deal (the bundled default deal when\n"
    "CONFIG is omitted). Prints the summary to stdout and writes the results\n"
    "file (SPEC schema, see docs/output.md).\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5     results file (default: absim-results.h5)\n"
    "  --paths N               number of paths (overrides simulation.paths)\n"
    "  --seed S                random seed (overrides simulation.seed)\n"
    "  --threads T             OpenMP threads (0 = all available)\n"
    "  --scenario NAME         run a scenario of the config instead of the base case\n"
    "  --no-paths              do not store per-path losses (bounded memory; VaR/ES\n"
    "                          from a histogram accumulator, error <= 1e-4)\n"
    "  --format table|json     summary format on stdout (default: table)\n"
    "  --quiet                 no progress output on stderr\n"
    "  --target-stderr X       add paths (in steps of 8192, up to --paths) until every\n"
    "                          note's expected-loss standard error is below X\n"
    "  --checkpoint FILE       save the run's state to FILE every 60 s (see\n"
    "                          --checkpoint-interval) and on SIGINT/SIGTERM\n"
    "  --checkpoint-interval S seconds between checkpoints (default 60)\n"
    "  --resume FILE           continue an interrupted run from its checkpoint; the\n"
    "                          results are bitwise identical to an uninterrupted run\n"
    "  -h, --help              this help\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid config,\n"
    "3 output cannot be written, 130/143 interrupted.\n";

static const char stress_usage[] =
    "usage: absim stress CONFIG [options]\n"
    "\n"
    "Runs the base case and every scenario of the config's `scenarios:` list on\n"
    "the same random numbers (same seed and paths), writes every scenario to the\n"
    "results file and prints a tranche x scenario comparison.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5     results file (default: absim-results.h5)\n"
    "  --paths N, --seed S, --threads T, --no-paths, --quiet, --target-stderr X\n"
    "                          as for `absim run`\n"
    "  --format table|json     comparison format on stdout (default: table)\n"
    "  -h, --help              this help\n";

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) { stop_signal = sig; }

typedef struct {
    const char *config;
    const char *output;
    const char *scenario;
    int64_t paths;        /* -1: config */
    int have_seed;
    uint64_t seed;
    int64_t threads;      /* -1: config */
    int no_paths;
    int json;
    int quiet;
    const char *checkpoint;
    const char *resume;
    double checkpoint_interval;
    double target_stderr; /* < 0: config */
} run_args;

/* Parse the options shared by run and stress. Returns -1 on bad usage, 1
 * for --help, 0 otherwise. */
static int parse_args(const char *cmd, int argc, char **argv, run_args *a, int allow_scenario)
{
    memset(a, 0, sizeof *a);
    a->output = "absim-results.h5";
    a->paths = -1;
    a->threads = -1;
    a->checkpoint_interval = 60.0;
    a->target_stderr = -1.0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return 1;
        if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)))
                return -1;
            a->output = v;
        } else if (strcmp(arg, "--paths") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) ||
                absim_cli_int64(cmd, arg, v, 1, (int64_t)1 << 50, &a->paths))
                return -1;
        } else if (strcmp(arg, "--seed") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) || absim_cli_uint64(cmd, arg, v, &a->seed))
                return -1;
            a->have_seed = 1;
        } else if (strcmp(arg, "--threads") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) || absim_cli_int64(cmd, arg, v, 0, 4096, &a->threads))
                return -1;
        } else if (allow_scenario && strcmp(arg, "--scenario") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)))
                return -1;
            a->scenario = v;
        } else if (allow_scenario && strcmp(arg, "--checkpoint") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)))
                return -1;
            a->checkpoint = v;
        } else if (allow_scenario && strcmp(arg, "--resume") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)))
                return -1;
            a->resume = v;
        } else if (allow_scenario && strcmp(arg, "--checkpoint-interval") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) ||
                absim_cli_double(cmd, arg, v, 0.0, 1e9, &a->checkpoint_interval))
                return -1;
        } else if (strcmp(arg, "--target-stderr") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) || absim_cli_double(cmd, arg, v, 0.0, 1.0, &a->target_stderr))
                return -1;
        } else if (strcmp(arg, "--no-paths") == 0) {
            a->no_paths = 1;
        } else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            a->quiet = 1;
        } else if (strcmp(arg, "--format") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)))
                return -1;
            if (strcmp(v, "json") == 0)
                a->json = 1;
            else if (strcmp(v, "table") == 0)
                a->json = 0;
            else {
                fprintf(stderr, "absim %s: --format: expected 'table' or 'json', got '%s'\n", cmd, v);
                return -1;
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "absim %s: unknown option '%s' (see 'absim %s --help')\n", cmd, arg, cmd);
            return -1;
        } else if (!a->config) {
            a->config = arg;
        } else {
            fprintf(stderr, "absim %s: unexpected argument '%s'\n", cmd, arg);
            return -1;
        }
    }
    return 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}


/* /results/<scenario>/isolation: both true_sale legs on the same paths. */
static int write_isolation(absim_h5 *h5, const absim_deal *deal, const absim_scenario_run *run)
{
    const absim_summary *holds = deal->isolation.true_sale ? &run->summary : &run->alt;
    const absim_summary *fails = deal->isolation.true_sale ? &run->alt : &run->summary;
    int n = holds->ntranches, rc;
    double *value = malloc((size_t)n * sizeof *value);
    if (!value)
        return absim_error_set(ABSIM_ENOMEM, "out of memory");
    for (int t = 0; t < n; t++)
        value[t] = fails->expected_loss[t] - holds->expected_loss[t];
    const char *g = "isolation", *u = "fraction of tranche balance";
    rc = absim_h5_write_extra(h5, g, "expected_loss_true_sale", 1, n, 0, holds->expected_loss, u,
                              "expected loss when the SPV is bankruptcy remote (true sale holds)");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "expected_loss_no_true_sale", 1, n, 0, fails->expected_loss, u,
                                  "expected loss when the pool is part of the originator's estate");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "default_probability_true_sale", 1, n, 0, holds->default_probability,
                                  "probability", "P(loss > 1e-9) with true sale");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "default_probability_no_true_sale", 1, n, 0, fails->default_probability,
                                  "probability", "P(loss > 1e-9) without true sale");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "value_of_true_sale", 1, n, 0, value, u,
                                  "expected loss without true sale less expected loss with it");
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "originator_default_rate", 1, 1, 0, &run->summary.originator_default_rate,
                                  "probability", "fraction of paths on which the originator defaulted by T");
    double configured = deal->isolation.true_sale ? 1.0 : 0.0;
    if (rc == ABSIM_OK)
        rc = absim_h5_write_extra(h5, g, "true_sale", 1, 1, 0, &configured, "1",
                                  "1 if the scenario's summary is the true-sale leg, 0 if the no-true-sale leg");
    free(value);
    return rc;
}

/* Shared body of run and stress. */
static int run_scenarios(const char *cmd, const run_args *a, int stress)
{
    absim_deal deal;
    absim_rating_scale scale;
    absim_tranche_table table;
    absim_run_meta meta;
    absim_h5 *h5 = NULL;
    absim_scenario base;
    const absim_scenario **scenarios = NULL;
    int have_base = 0;
    absim_scenario_run *runs = NULL;
    absim_scenario_result *results = NULL;
    int nsc = 0, nrun = 0, code = ABSIM_EXIT_OK, have_scale = 0, have_table = 0;
    double t0 = wall_now();
    const int rank = absim_mpi_rank();

    if (absim_cli_load_deal(&deal, a->config))
        return ABSIM_EXIT_USAGE;
    if (absim_cli_load_scale(&deal, &scale)) {
        absim_deal_free(&deal);
        return ABSIM_EXIT_USAGE;
    }
    have_scale = 1;

    /* The scenarios to run: base and (stress) every scenario, or one. */
    scenarios = calloc((size_t)deal.nscenarios + 1, sizeof *scenarios);
    if (!scenarios || absim_scenario_init_base(&base, &deal) != ABSIM_OK) {
        fprintf(stderr, "absim %s: out of memory\n", cmd);
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_base = 1;
    scenarios[0] = &base;
    nsc = 1;
    if (stress) {
        for (int i = 0; i < deal.nscenarios; i++)
            scenarios[nsc++] = &deal.scenarios[i];
    } else if (a->scenario && strcmp(a->scenario, "base") != 0) {
        int found = -1;
        for (int i = 0; i < deal.nscenarios; i++)
            if (strcmp(deal.scenarios[i].name, a->scenario) == 0)
                found = i;
        if (found < 0) {
            fprintf(stderr, "absim %s: --scenario: no scenario named '%s' in %s (scenarios:", cmd, a->scenario,
                    deal.source_path ? deal.source_path : "the config");
            fprintf(stderr, " base");
            for (int i = 0; i < deal.nscenarios; i++)
                fprintf(stderr, ", %s", deal.scenarios[i].name);
            fprintf(stderr, ")\n");
            code = ABSIM_EXIT_USAGE;
            goto cleanup;
        }
        scenarios[0] = &deal.scenarios[found];
    }

    int64_t paths = a->paths > 0 ? a->paths : deal.sim.paths;
    uint64_t seed = a->have_seed ? a->seed : deal.sim.seed;
    int threads = (int)(a->threads >= 0 ? a->threads : deal.sim.threads);
    int keep = deal.sim.keep_paths && !a->no_paths;
    int nthreads = threads > 0 ? threads : omp_get_max_threads();

    if (absim_tranche_table_init(&table, &deal) != ABSIM_OK) {
        fprintf(stderr, "absim %s: out of memory\n", cmd);
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_table = 1;
    absim_cli_fill_meta(&meta, &deal, seed, paths, nthreads);
    meta.mpi_ranks = absim_mpi_size();
    int created = 1;
    if (rank == 0 && absim_h5_create(&h5, a->output, &meta, &table) != ABSIM_OK) {
        fprintf(stderr, "absim %s: cannot write %s: %s\n", cmd, a->output, absim_error_message());
        h5 = NULL;
        created = 0;
    }
    absim_mpi_bcast_int(&created);
    if (!created) {
        code = ABSIM_EXIT_OUTPUT;
        goto cleanup;
    }

    runs = calloc((size_t)nsc, sizeof *runs);
    results = calloc((size_t)nsc, sizeof *results);
    if (!runs || !results) {
        fprintf(stderr, "absim %s: out of memory\n", cmd);
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    for (int s = 0; s < nsc; s++) {
        absim_run_options o;
        memset(&o, 0, sizeof o);
        o.paths = paths;
        o.seed = seed;
        o.threads = threads;
        o.keep_paths = keep;
        o.progress = a->quiet || rank != 0 ? ABSIM_PROGRESS_NONE : isatty(2) ? ABSIM_PROGRESS_BAR : ABSIM_PROGRESS_LINES;
        o.label = scenarios[s]->name;
        o.h5 = h5;
        o.scale = &scale;
        o.stop = &stop_signal;
        o.checkpoint = a->checkpoint;
        o.checkpoint_interval = a->checkpoint_interval;
        o.resume = a->resume;
        o.target_stderr = a->target_stderr >= 0.0 ? a->target_stderr : deal.sim.target_stderr;
        o.config_hash = absim_checkpoint_hash(meta.config_text, strlen(meta.config_text), 0);
        int rc = absim_driver_run(&deal, scenarios[s], &o, &runs[s]);
        if (rc == ABSIM_EINTR) {
            if (rank == 0)
                fprintf(stderr, "\nabsim %s: interrupted by signal %d; no results file written\n", cmd,
                    (int)stop_signal);
            if (a->checkpoint && rank == 0)
                fprintf(stderr, "absim %s: checkpoint saved in %s; continue with --resume %s\n", cmd, a->checkpoint,
                        a->checkpoint);
            code = stop_signal == SIGINT ? ABSIM_EXIT_SIGINT : ABSIM_EXIT_SIGTERM;
            goto cleanup;
        }
        if (rc == ABSIM_EIO) {
            fprintf(stderr, "absim %s: cannot write: %s\n", cmd, absim_error_message());
            code = ABSIM_EXIT_OUTPUT;
            goto cleanup;
        }
        if (rc == ABSIM_EFORMAT || rc == ABSIM_EINVAL) {
            fprintf(stderr, "absim %s: --resume: %s\n", cmd, absim_error_message());
            code = ABSIM_EXIT_USAGE;
            goto cleanup;
        }
        if (rc != ABSIM_OK) {
            fprintf(stderr, "absim %s: %s\n", cmd, absim_error_message());
            code = ABSIM_EXIT_FAILURE;
            goto cleanup;
        }
        nrun++;
        if (rank != 0)
            continue;
        if (runs[s].max_conservation_error > 1e-6 * (1.0 + absim_deal_pool_balance(&deal))) {
            fprintf(stderr, "absim %s: internal error: cash not conserved (%.3g) in scenario %s\n", cmd,
                    runs[s].max_conservation_error, scenarios[s]->name);
            code = ABSIM_EXIT_FAILURE;
            goto cleanup;
        }
        absim_h5_set_scenario_seconds(h5, runs[s].seconds);
        if (runs[s].has_alt && write_isolation(h5, &deal, &runs[s]) != ABSIM_OK) {
            fprintf(stderr, "absim %s: cannot write %s: %s\n", cmd, a->output, absim_error_message());
            code = ABSIM_EXIT_OUTPUT;
            goto cleanup;
        }
        if (absim_h5_scenario_end(h5, &runs[s].summary) != ABSIM_OK) {
            fprintf(stderr, "absim %s: cannot write %s: %s\n", cmd, a->output, absim_error_message());
            code = ABSIM_EXIT_OUTPUT;
            goto cleanup;
        }
        snprintf(results[s].scenario, sizeof results[s].scenario, "%s", scenarios[s]->name);
        results[s].tranches = &table;
        results[s].summary = &runs[s].summary;
        results[s].seconds = runs[s].seconds;
        results[s].isolation_alt = runs[s].has_alt ? &runs[s].alt : NULL;
        results[s].isolation_true_sale = deal.isolation.true_sale;
    }
    if (rank != 0)
        goto cleanup;
    meta.wall_seconds = wall_now() - t0;
    absim_h5_set_wall_seconds(h5, meta.wall_seconds);
    if (absim_h5_close(h5, 1) != ABSIM_OK) {
        h5 = NULL;
        fprintf(stderr, "absim %s: cannot write %s: %s\n", cmd, a->output, absim_error_message());
        code = ABSIM_EXIT_OUTPUT;
        goto cleanup;
    }
    h5 = NULL;
    if (a->checkpoint)
        remove(a->checkpoint); /* the run is complete: its checkpoint is obsolete */

    if (!stress) {
        if (a->json)
            absim_output_json(stdout, &meta, &results[0]);
        else
            absim_output_table(stdout, &meta, &results[0]);
    } else {
        if (a->json)
            absim_output_stress_json(stdout, &meta, results, nsc);
        else
            absim_output_stress_table(stdout, &meta, results, nsc);
    }
    if (!a->quiet && !a->json)
        fprintf(stderr, "absim %s: wrote %s\n", cmd, a->output);

cleanup:
    if (h5)
        absim_h5_close(h5, 0);
    for (int s = 0; s < nrun; s++)
        absim_scenario_run_free(&runs[s]);
    free(runs);
    free(results);
    if (have_base)
        absim_scenario_free(&base); /* the others belong to the deal */
    free(scenarios);
    if (have_table)
        absim_tranche_table_free(&table);
    if (have_scale)
        absim_rating_scale_free(&scale);
    absim_deal_free(&deal);
    return code;
}

int absim_cmd_run(int argc, char **argv)
{
    run_args a;
    int p = parse_args("run", argc, argv, &a, 1);
    if (p == 1) {
        fputs(run_usage, stdout);
        return ABSIM_EXIT_OK;
    }
    if (p < 0)
        return ABSIM_EXIT_USAGE;
    return run_scenarios("run", &a, 0);
}

int absim_cmd_stress(int argc, char **argv)
{
    run_args a;
    int p = parse_args("stress", argc, argv, &a, 0);
    if (p == 1) {
        fputs(stress_usage, stdout);
        return ABSIM_EXIT_OK;
    }
    if (p < 0)
        return ABSIM_EXIT_USAGE;
    if (!a.config) {
        fprintf(stderr, "absim stress: missing CONFIG (see 'absim stress --help')\n");
        return ABSIM_EXIT_USAGE;
    }
    return run_scenarios("stress", &a, 1);
}
