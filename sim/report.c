/* report.c -- `absim report OUT.h5 [--format table|json] [--scenario NAME]`:
 * print the summary stored in a results file, in the same form `absim run`
 * (one scenario) or `absim stress` (several) printed it.
 *
 * Exit codes: 0 printed; 2 bad usage, or a file that is missing, not an
 * absim results file, of another schema_version, or truncated/corrupt
 * (the message names the file); 1 out of memory or stdout write error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/status.h"
#include "commands.h"
#include "h5out.h"
#include "output.h"

static const char report_usage[] =
    "usage: absim report OUT.h5 [--format table|json] [--scenario NAME]\n"
    "\n"
    "Print the summary stored in an absim results file: the table (or JSON)\n"
    "that `absim run` printed, or the stress form when the file holds several\n"
    "scenarios.\n"
    "\n"
    "options:\n"
    "  --format table|json   output format (default table)\n"
    "  --scenario NAME       only this scenario of the file\n"
    "  -h, --help            this help\n";

int absim_cmd_report(int argc, char **argv)
{
    const char *path = NULL, *format = "table", *only = NULL;
    absim_h5_report rep;
    absim_scenario_result *res = NULL;
    int rc, exit_code = ABSIM_EXIT_OK, n = 0;

    memset(&rep, 0, sizeof rep);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(report_usage, stdout);
            return ABSIM_EXIT_OK;
        }
        if (strcmp(a, "--format") == 0 || strcmp(a, "--scenario") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "absim report: option %s needs a value\n", a);
                return ABSIM_EXIT_USAGE;
            }
            if (strcmp(a, "--format") == 0)
                format = argv[++i];
            else
                only = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0)
            format = a + 9;
        else if (strncmp(a, "--scenario=", 11) == 0)
            only = a + 11;
        else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "absim report: unknown option '%s' (see 'absim report --help')\n", a);
            return ABSIM_EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "absim report: more than one file given ('%s', '%s')\n", path, a);
            return ABSIM_EXIT_USAGE;
        } else
            path = a;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "absim report: --format: expected 'table' or 'json', got '%s'\n", format);
        return ABSIM_EXIT_USAGE;
    }
    if (!path) {
        fputs(report_usage, stderr);
        return ABSIM_EXIT_USAGE;
    }

    rc = absim_h5_read_report(&rep, path);
    if (rc != ABSIM_OK) {
        fprintf(stderr, "absim report: %s\n", absim_error_message()[0] ? absim_error_message() : absim_strerror(rc));
        return rc == ABSIM_ENOMEM ? ABSIM_EXIT_FAILURE : ABSIM_EXIT_USAGE;
    }
    res = calloc((size_t)rep.nscenarios, sizeof *res);
    if (!res) {
        fprintf(stderr, "absim report: out of memory\n");
        exit_code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    for (int k = 0; k < rep.nscenarios; k++) {
        if (only && strcmp(only, rep.scenario[k]) != 0)
            continue;
        snprintf(res[n].scenario, sizeof res[n].scenario, "%s", rep.scenario[k]);
        res[n].tranches = &rep.tranches;
        res[n].summary = &rep.summary[k];
        res[n].seconds = isfinite(rep.scenario_seconds[k]) ? rep.scenario_seconds[k] : rep.meta.wall_seconds;
        res[n].isolation_alt = rep.has_isolation[k] ? &rep.isolation_alt[k] : NULL;
        res[n].isolation_true_sale = rep.isolation_true_sale[k];
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "absim report: %s: no scenario named '%s'; the file holds:", path, only);
        for (int k = 0; k < rep.nscenarios; k++)
            fprintf(stderr, " %s", rep.scenario[k]);
        fputc('\n', stderr);
        exit_code = ABSIM_EXIT_USAGE;
        goto cleanup;
    }
    if (n == 1)
        rc = strcmp(format, "json") == 0 ? absim_output_json(stdout, &rep.meta, &res[0])
                                         : absim_output_table(stdout, &rep.meta, &res[0]);
    else
        rc = strcmp(format, "json") == 0 ? absim_output_stress_json(stdout, &rep.meta, res, n)
                                         : absim_output_stress_table(stdout, &rep.meta, res, n);
    if (rc != ABSIM_OK) {
        fprintf(stderr, "absim report: %s\n", absim_error_message());
        exit_code = ABSIM_EXIT_FAILURE;
    }
cleanup:
    free(res);
    absim_h5_report_free(&rep);
    return exit_code;
}
