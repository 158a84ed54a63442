/* report.c -- `absim report` (being written; replaced by the real command). */
#include <stdio.h>

#include "commands.h"

int absim_cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "absim: command 'report' is not available in this build\n");
    return ABSIM_EXIT_FAILURE;
}
