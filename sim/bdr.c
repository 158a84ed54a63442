/* bdr.c -- `absim bdr` (being written; replaced by the real command). */
#include <stdio.h>

#include "commands.h"

int absim_cmd_bdr(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "absim: command 'bdr' is not available in this build\n");
    return ABSIM_EXIT_FAILURE;
}
