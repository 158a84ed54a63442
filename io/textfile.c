/* textfile.c -- whole-file reads of input files and strict number tokens
 * (see textfile.h). */
#include "textfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/status.h"

int absim_textfile_read(const char *path, const char *what, long max_bytes, char **text, size_t *len, FILE *err)
{
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = ABSIM_OK;
    FILE *f = fopen(path, "rb");
    *text = NULL;
    *len = 0;
    if (!f) {
        if (err)
            fprintf(err, "%s: error: cannot open %s: %s\n", path, what, strerror(errno));
        return absim_error_set(ABSIM_EIO, "%s: cannot open %s: %s", path, what, strerror(errno));
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? 2 * cap : 16384;
            char *grown = realloc(buf, ncap);
            if (!grown) {
                rc = absim_error_set(ABSIM_ENOMEM, "out of memory reading %s", path);
                if (err)
                    fprintf(err, "%s: error: out of memory\n", path);
                goto cleanup;
            }
            buf = grown;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n > (size_t)max_bytes) {
            if (err)
                fprintf(err, "%s: error: %s larger than %ld bytes\n", path, what, max_bytes);
            rc = absim_error_set(ABSIM_ECONFIG, "%s: %s larger than %ld bytes", path, what, max_bytes);
            goto cleanup;
        }
    }
    if (ferror(f)) {
        if (err)
            fprintf(err, "%s: error: cannot read %s: %s\n", path, what, strerror(errno));
        rc = absim_error_set(ABSIM_EIO, "%s: cannot read %s", path, what);
        goto cleanup;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
cleanup:
    fclose(f);
    free(buf);
    return rc;
}

/* Whole-token decimal number: [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? */
int absim_text_is_number(const char *s)
{
    int digits = 0;
    if (*s == '+' || *s == '-')
        s++;
    while (*s >= '0' && *s <= '9') {
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            s++;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}
