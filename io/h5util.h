/* h5util.h -- HDF5 helpers shared by the results-file writer (h5out.c)
 * and reader (h5read.c); private to the io library. */
#ifndef ABSIM_H5UTIL_H
#define ABSIM_H5UTIL_H

#include <hdf5.h>

/* Value of the root `filetype` attribute of a results file. */
#define ABSIM_H5U_FILETYPE "absim-results"

/* Close any HDF5 identifier (file, group, dataset, dataspace, datatype,
 * attribute, property list) and set it to H5I_INVALID_HID; a negative id
 * is left alone. */
void absim_h5u_close_id(hid_t *id);

/* Innermost message of the HDF5 error stack ("" if none). buf: 256 chars. */
const char *absim_h5u_detail(char *buf);

#endif
