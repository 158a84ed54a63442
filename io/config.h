/* config.h -- YAML deal configuration: parse, validate, fill an absim_deal.
 *
 * Parsing uses libyaml's event API, which gives exact line/column marks.
 * Every problem is reported as "FILE:LINE:COL: error: MESSAGE" (one line
 * each, all problems of the file, not only the first) naming the key and
 * what was expected; unknown keys get a did-you-mean. Numbers are parsed
 * strictly (whole token, range-checked). A loan tape named by pool.tape
 * (path relative to the config file) is read by io/tape.c and its errors
 * are reported as "TAPE:ROW: error: MESSAGE". */
#ifndef ABSIM_CONFIG_H
#define ABSIM_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "deal.h"

/* Load `path` into *deal (zeroed by the caller or previously freed).
 * Errors are printed to `err` (may be NULL to stay silent). Returns ABSIM_OK,
 * ABSIM_ECONFIG (invalid; deal left zeroed), ABSIM_EIO (unreadable file) or
 * ABSIM_ENOMEM. */
int absim_config_load(absim_deal *deal, const char *path, FILE *err);

/* Same from memory: `name` is used in messages, `base_dir` resolves the
 * tape path (NULL = current directory). */
int absim_config_load_string(absim_deal *deal, const char *text, size_t len, const char *name,
                             const char *base_dir, FILE *err);

/* The bundled default deal (configs/default.yaml compiled into the binary),
 * NUL-terminated. */
extern const char absim_default_config_text[];

#endif
