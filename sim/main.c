/* main.c -- the absim command line. */
#include <stdio.h>

int main(void)
{
    puts("absim");
    return 0;
}
