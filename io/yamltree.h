/* yamltree.h -- YAML text to a node tree with line/column marks, and
 * strict typed reading of it with positioned error messages.
 *
 * Private to the io library (the deal configuration reader, config.c).
 * Every reader reports its own problems into the absim_yaml_doc, named by
 * a key path ("pool.lines[2].balance"), and returns -1 (or NULL); the
 * messages are printed, sorted by position, by absim_yaml_flush. */
#ifndef ABSIM_YAMLTREE_H
#define ABSIM_YAMLTREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define ABSIM_YAML_PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define ABSIM_YAML_PRINTF_LIKE(a, b)
#endif

/* ---------------------------------------------------------------- tree */

typedef enum { ABSIM_YAML_SCALAR, ABSIM_YAML_LIST, ABSIM_YAML_MAP } absim_yaml_kind;

typedef struct absim_yaml_node {
    absim_yaml_kind kind;
    int line, col;                 /* 1-based start mark */
    char *text;                    /* scalar value, NUL-terminated */
    size_t len;                    /* scalar length (may hold a NUL escape) */
    int quoted;                    /* scalar was quoted or a block literal */
    struct absim_yaml_node **key;  /* map keys (scalars); NULL for lists */
    struct absim_yaml_node **item; /* list items or map values */
    int n, cap;
} absim_yaml_node;

typedef struct {
    int line, col;
    long seq;
    char *text;
} absim_yaml_diag;

/* A document being parsed and read: its text, and the problems found.
 * The caller sets name, what, text and len and zeroes the rest. */
typedef struct {
    const char *name;     /* file name used in messages */
    const char *what;     /* what the document is, in messages ("config") */
    const char *text;     /* the YAML text (for reader-error positions) */
    size_t len;
    absim_yaml_diag *diags;
    int ndiags, capdiags;
    int nerrors;
    int nomem;
    long nnodes;
} absim_yaml_doc;

/* Parse the text into a tree. Returns the root, or NULL on error (reported)
 * or for an empty document (*empty set, nothing reported). Duplicate keys
 * and non-string keys are reported and dropped; aliases, more than one
 * document, too deep nesting or too many nodes are fatal. */
absim_yaml_node *absim_yaml_parse(absim_yaml_doc *doc, int *empty);

void absim_yaml_node_free(absim_yaml_node *n);

/* --------------------------------------------------------- messages */

/* Record an error at a node (line 1, column 1 when at is NULL) or at a
 * mark. Only the first 200 messages are kept; the rest are counted. */
void absim_yaml_error_at(absim_yaml_doc *doc, const absim_yaml_node *at, const char *fmt, ...)
    ABSIM_YAML_PRINTF_LIKE(3, 4);
void absim_yaml_error_mark(absim_yaml_doc *doc, int line, int col, const char *fmt, ...)
    ABSIM_YAML_PRINTF_LIKE(4, 5);

/* Print the messages sorted by position as "NAME:LINE:COL: error: MSG"
 * (when err is not NULL) and free them. */
void absim_yaml_flush(absim_yaml_doc *doc, FILE *err);

/* A printable, shortened copy of a scalar for messages ("a list", "a
 * mapping" or "nothing" for the others). */
const char *absim_yaml_show(const absim_yaml_node *v, char *buf, size_t cap);

/* An unquoted empty, ~ or null scalar. */
int absim_yaml_is_null(const absim_yaml_node *v);

/* "Did you mean" hints: the closest candidate within a few edits. */
typedef struct {
    const char *word;
    const char *best;
    size_t dist;
} absim_yaml_matcher;

void absim_yaml_match_try(absim_yaml_matcher *m, const char *cand);
/* " (did you mean 'x'?)" or "" into buf. */
const char *absim_yaml_hint(const absim_yaml_matcher *m, char *buf, size_t cap);
/* The hint for word among the NULL-terminated cands. */
const char *absim_yaml_hint_list(const char *word, const char *const *cands, char *buf, size_t cap);

/* ----------------------------------------------------------- scalars */

/* An interval of accepted numbers; lo_open / hi_open exclude the bound. */
typedef struct {
    double lo, hi;
    unsigned char lo_open, hi_open;
} absim_yaml_range;

/* "a number in [0, 1)" and the like, into buf. */
const char *absim_yaml_range_text(const absim_yaml_range *r, char *buf, size_t cap);

/* Typed scalars at key path `path`: 0 and *out set, or -1 (reported).
 * Numbers and integers are whole unquoted decimal tokens; booleans are
 * true/false (True, TRUE, ...); text is a string without control
 * characters that fits in cap bytes; choice returns the index of the
 * value in the NULL-terminated options. */
int absim_yaml_expect_scalar(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, const char *what);
int absim_yaml_num(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, const absim_yaml_range *r,
                   double *out);
int absim_yaml_int(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, int64_t lo, int64_t hi,
                   int64_t *out);
int absim_yaml_u64(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, uint64_t *out);
int absim_yaml_bool(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, int *out);
int absim_yaml_text(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, char *out, size_t cap);
int absim_yaml_choice(absim_yaml_doc *doc, const absim_yaml_node *v, const char *path, const char *const *options);

/* ---------------------------------------------------------- sections */

/* A mapping being read, with its key path for messages. */
typedef struct {
    absim_yaml_doc *doc;
    void *user;                  /* the caller's context, handed to child sections */
    const absim_yaml_node *map;  /* NULL: section absent */
    const absim_yaml_node *at;   /* where to report missing keys */
    char path[192];
} absim_yaml_sect;

/* "PATH.key" (or "key" at the top level) into buf. */
const char *absim_yaml_key_path(const absim_yaml_sect *s, const char *key, char *buf, size_t cap);

/* The value (get) or the key node (get_key) of `key`, or NULL. */
const absim_yaml_node *absim_yaml_get(const absim_yaml_sect *s, const char *key);
const absim_yaml_node *absim_yaml_get_key(const absim_yaml_sect *s, const char *key);

/* Report a missing required key (a missing section at the top level). */
void absim_yaml_missing(const absim_yaml_sect *s, const char *key, const char *what);

/* Report keys of the map that are not in the NULL-terminated `allowed`. */
void absim_yaml_check_keys(const absim_yaml_sect *s, const char *const *allowed);

/* Open the mapping v (the value of key, or a list item) as child, path
 * `path`. Returns 1 if present and a mapping, 0 if absent (child->map
 * NULL), -1 on a type error (reported). section() opens parent's `key`. */
int absim_yaml_open_map(const absim_yaml_sect *parent, const char *key, const absim_yaml_node *v,
                        const char *path, absim_yaml_sect *child);
int absim_yaml_section(const absim_yaml_sect *parent, const char *key, absim_yaml_sect *child);

/* The list under key with min..max items, or NULL (absent, or reported). */
const absim_yaml_node *absim_yaml_list_at(const absim_yaml_sect *s, const char *key, int min, int max,
                                          const char *what);

/* Optional/required typed keys: 1 = present and valid, 0 = absent
 * (default stored), -1 = error reported. get_choice returns the option's
 * index, def when absent, -1 on error. */
int absim_yaml_get_num(const absim_yaml_sect *s, const char *key, double *out, double def, int required,
                       const absim_yaml_range *r);
int absim_yaml_get_int(const absim_yaml_sect *s, const char *key, int64_t *out, int64_t def, int required,
                       int64_t lo, int64_t hi);
int absim_yaml_get_bool(const absim_yaml_sect *s, const char *key, int *out, int def);
int absim_yaml_get_choice(const absim_yaml_sect *s, const char *key, const char *const *options, int def);

/* Exactly one of `keys` present: its index, -1 none (reported if
 * required), -2 several (reported). */
int absim_yaml_one_of(const absim_yaml_sect *s, const char *const *keys, int required, const char *what);

#endif
