/* driver.h -- the parallel Monte Carlo run of one or more scenarios. */
#ifndef ABSIM_DRIVER_H
#define ABSIM_DRIVER_H
#endif
