/* run.c -- `absim run` and `absim stress` (being written). */
#include <stdio.h>

#include "commands.h"

int absim_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "absim: command 'run' is not available in this build\n");
    return ABSIM_EXIT_FAILURE;
}

int absim_cmd_stress(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "absim: command 'stress' is not available in this build\n");
    return ABSIM_EXIT_FAILURE;
}
