/* status.h -- status codes and the per-thread error message of absim.
 *
 * Every fallible library call returns an absim_status. On failure it first
 * records a human-readable message with absim_error_set() (thread-local, so
 * concurrent callers do not clobber each other), which the caller may print
 * with absim_error_message(). Only main() exits. */
#ifndef ABSIM_STATUS_H
#define ABSIM_STATUS_H

typedef enum {
    ABSIM_OK = 0,
    ABSIM_EINVAL = 1,  /* invalid argument supplied by the caller */
    ABSIM_ENOMEM = 2,  /* allocation failed */
    ABSIM_EIO = 3,     /* file could not be read or written */
    ABSIM_ECONFIG = 4, /* invalid configuration or loan tape */
    ABSIM_ERANGE = 5,  /* numerical result out of range */
    ABSIM_EFORMAT = 6, /* input file has the wrong format or version */
    ABSIM_EINTR = 7    /* interrupted by a signal */
} absim_status;

/* Static description of a status code, never NULL. */
const char *absim_strerror(absim_status s);

/* Record a printf-style message for the calling thread and return `s`. */
absim_status absim_error_set(absim_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Message of the last failure recorded by this thread ("" if none). */
const char *absim_error_message(void);

/* Forget the recorded message. */
void absim_error_clear(void);

#endif
