/* driver.c -- OpenMP driver over path blocks. */
#include "driver.h"
typedef int absim_driver_unused;
