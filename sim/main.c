/* main.c -- the absim command line: dispatch to sub-commands. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "absim_version.h"
#include "cluster.h"
#include "commands.h"

static const char usage[] =
    "usage: absim COMMAND [ARGS]\n"
    "\n"
    "Parallel Monte Carlo credit-risk simulator for securitizations.\n"
    "\n"
    "commands:\n"
    "  run [CONFIG]          Monte Carlo run of one scenario (default deal if no CONFIG)\n"
    "  stress CONFIG         base case and every scenario, on common random numbers\n"
    "  cashflow CONFIG       one deterministic path, period-by-period table\n"
    "  bdr CONFIG            break-even default rate per tranche\n"
    "  validate CONFIG       check a config (and its loan tape); errors as FILE:LINE:COL\n"
    "  report OUT.h5         print the summary stored in a results file\n"
    "  similarity A B        Finger-Kreinin similarity of two pools\n"
    "\n"
    "options:\n"
    "  -h, --help            this help; 'absim COMMAND --help' for a command's options\n"
    "  -V, --version         print the version\n"
    "\n"
    "exit codes: 0 success, 1 runtime failure, 2 bad usage or invalid config,\n"
    "3 output cannot be written, 130/143 interrupted (SIGINT/SIGTERM).\n"
    "Documentation: docs/ in the source tree (or share/doc/absim when installed).\n";

struct command {
    const char *name;
    int (*fn)(int, char **);
};

static const struct command commands[] = {
    {"run", absim_cmd_run},           {"stress", absim_cmd_stress},     {"cashflow", absim_cmd_cashflow},
    {"bdr", absim_cmd_bdr},           {"validate", absim_cmd_validate}, {"report", absim_cmd_report},
    {"similarity", absim_cmd_similarity},
};

static int dispatch(int argc, char **argv)
{
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (argc < 2) {
        fputs(usage, stderr);
        return ABSIM_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return ABSIM_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("absim %s\n", ABSIM_VERSION);
        return ABSIM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "absim: unknown command '%s' (see 'absim --help')\n", argv[1]);
    return ABSIM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    absim_mpi_init(&argc, &argv);
    int code = dispatch(argc, argv);
    absim_mpi_finalize();
    return code;
}
