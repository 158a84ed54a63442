/* cashflow.c -- `absim cashflow` (being written; replaced by the real command). */
#include <stdio.h>

#include "commands.h"

int absim_cmd_cashflow(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "absim: command 'cashflow' is not available in this build\n");
    return ABSIM_EXIT_FAILURE;
}
