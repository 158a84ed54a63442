/* similarity.c -- `absim similarity` (being written; replaced by the real command). */
#include <stdio.h>

#include "commands.h"

int absim_cmd_similarity(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "absim: command 'similarity' is not available in this build\n");
    return ABSIM_EXIT_FAILURE;
}
