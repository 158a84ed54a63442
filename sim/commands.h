/* commands.h -- entry points of the absim sub-commands. Each takes the
 * arguments after the command name (argv[0] = the command name) and
 * returns the process exit code: 0 success, 1 runtime failure, 2 bad usage
 * or invalid config, 3 output cannot be written, 130/143 interrupted. */
#ifndef ABSIM_COMMANDS_H
#define ABSIM_COMMANDS_H

enum {
    ABSIM_EXIT_OK = 0,
    ABSIM_EXIT_FAILURE = 1,
    ABSIM_EXIT_USAGE = 2,
    ABSIM_EXIT_OUTPUT = 3,
    ABSIM_EXIT_SIGINT = 130,
    ABSIM_EXIT_SIGTERM = 143
};

int absim_cmd_run(int argc, char **argv);        /* sim/run.c */
int absim_cmd_stress(int argc, char **argv);     /* sim/run.c */
int absim_cmd_validate(int argc, char **argv);   /* sim/validate.c */
int absim_cmd_cashflow(int argc, char **argv);   /* sim/cashflow.c */
int absim_cmd_bdr(int argc, char **argv);        /* sim/bdr.c */
int absim_cmd_report(int argc, char **argv);     /* sim/report.c */
int absim_cmd_similarity(int argc, char **argv); /* sim/similarity.c */

#endif
