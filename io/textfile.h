/* textfile.h -- reading input text: a whole input file (config, loan tape,
 * rating scale) into a NUL-terminated buffer, with a size cap and messages
 * that name the file and what it is; and the one grammar of numbers that
 * configs and tapes accept. */
#ifndef ABSIM_TEXTFILE_H
#define ABSIM_TEXTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Read `path` into *text (malloc'd, NUL-terminated; caller frees) and its
 * length into *len. `what` names the file in messages ("config", "loan
 * tape", ...), printed to `err` (may be NULL) as "PATH: error: ...".
 * Returns ABSIM_OK, ABSIM_EIO (cannot open or read), ABSIM_ECONFIG (larger
 * than max_bytes) or ABSIM_ENOMEM; *text is NULL on failure. */
int absim_textfile_read(const char *path, const char *what, long max_bytes, char **text, size_t *len, FILE *err);

/* 1 if s is a whole decimal number token, [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?,
 * else 0 (no hex, inf, nan, spaces or trailing characters). */
int absim_text_is_number(const char *s);

#endif
