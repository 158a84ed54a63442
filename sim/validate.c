/* validate.c -- `absim validate CONFIG`: load and check a config (and its
 * loan tape) without running anything. Errors go to stderr as
 * FILE:LINE:COL (tapes FILE:ROW); on success one summary line goes to
 * stdout. Exit 0 valid; 2 invalid config, unreadable file or bad usage;
 * 1 out of memory. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/status.h"
#include "commands.h"
#include "config.h"

static const char usage[] =
    "usage: absim validate CONFIG\n"
    "\n"
    "Check a deal configuration (and the loan tape it names) without running it.\n"
    "Every problem is printed to stderr as FILE:LINE:COL: error: MESSAGE (loan\n"
    "tapes: FILE:ROW: error: MESSAGE); on success one summary line is printed.\n"
    "\n"
    "options:\n"
    "  -h, --help   this help\n"
    "\n"
    "exit codes: 0 valid; 2 invalid config, unreadable file or bad usage;\n"
    "1 out of memory.\n";

int absim_cmd_validate(int argc, char **argv)
{
    const char *path = NULL;
    absim_deal deal;
    int64_t loans = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return ABSIM_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "absim validate: unknown option '%s'\n%s", argv[i], usage);
            return ABSIM_EXIT_USAGE;
        }
        if (path) {
            fprintf(stderr, "absim validate: only one CONFIG may be given\n%s", usage);
            return ABSIM_EXIT_USAGE;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "absim validate: missing CONFIG\n%s", usage);
        return ABSIM_EXIT_USAGE;
    }
    memset(&deal, 0, sizeof deal);
    int rc = absim_config_load(&deal, path, stderr);
    if (rc == ABSIM_ECONFIG)
        return ABSIM_EXIT_USAGE;
    if (rc != ABSIM_OK)
        return rc == ABSIM_EIO ? ABSIM_EXIT_USAGE : ABSIM_EXIT_FAILURE;
    for (int i = 0; i < deal.nlines; i++)
        loans += deal.lines[i].count;
    printf("%s: ok (%d line%s, %lld loan%s, %d tranche%s, %d scenario%s)\n", path, deal.nlines,
           deal.nlines == 1 ? "" : "s", (long long)loans, loans == 1 ? "" : "s", deal.structure.ntranches,
           deal.structure.ntranches == 1 ? "" : "s", deal.nscenarios, deal.nscenarios == 1 ? "" : "s");
    absim_deal_free(&deal);
    return ABSIM_EXIT_OK;
}
