/* status.c -- status strings and the thread-local error message buffer. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char message[1024];

const char *absim_strerror(absim_status s)
{
    switch (s) {
    case ABSIM_OK: return "success";
    case ABSIM_EINVAL: return "invalid argument";
    case ABSIM_ENOMEM: return "out of memory";
    case ABSIM_EIO: return "input/output error";
    case ABSIM_ECONFIG: return "invalid configuration";
    case ABSIM_ERANGE: return "result out of range";
    case ABSIM_EFORMAT: return "bad file format";
    case ABSIM_EINTR: return "interrupted";
    }
    return "unknown error";
}

absim_status absim_error_set(absim_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return s;
}

const char *absim_error_message(void) { return message; }

void absim_error_clear(void) { message[0] = '\0'; }
