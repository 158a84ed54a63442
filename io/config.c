/* config.c -- YAML deal configuration: parse, validate, fill an absim_deal.
 *
 * Two passes. First libyaml's event API builds a small node tree (scalars,
 * lists, mappings) in which every node keeps the 1-based line and column
 * where it starts; duplicate keys, aliases and syntax errors are reported
 * there. Then a schema walk reads the tree into an absim_deal, checking
 * every key, type and range (see docs/config.md for the schema). Problems
 * are collected, sorted by position and printed as
 * "FILE:LINE:COL: error: KEY.PATH: MESSAGE"; loan-tape problems follow as
 * "TAPE:ROW: error: ...". Invariants: the tree owns all of its strings; a
 * failed load leaves the deal zeroed; no input makes the loader crash,
 * recurse without bound or allocate without bound (nesting and list
 * lengths are capped). */
#define _POSIX_C_SOURCE 200809L

#include "config.h"
#include "textfile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

/* Key paths and messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include "../kernels/status.h"
#include "tape.h"

#define MAX_DEPTH 64          /* nesting of lists and mappings */
#define MAX_ERRORS 200        /* messages printed; the rest are counted */
#define MAX_FILE_BYTES (64L << 20)
#define MAX_PERIODS 1200
#define MAX_TRANCHES 32
#define MAX_FEES 16
#define MAX_TRIGGERS 16
#define MAX_QUANTILES 64
#define MAX_SCENARIOS 256
#define MAX_LINES 100000
#define MAX_CURVE 100000
#define MAX_PATH 4096
#define MAX_NODES 4000000  /* scalars, lists and mappings in one file */

/* ---------------------------------------------------------------- tree */

typedef enum { NODE_SCALAR, NODE_LIST, NODE_MAP } node_kind;

typedef struct node {
    node_kind kind;
    int line, col;       /* 1-based start mark */
    char *text;          /* scalar value, NUL-terminated */
    size_t len;          /* scalar length (may hold a NUL escape) */
    int quoted;          /* scalar was quoted or a block literal */
    struct node **key;   /* map keys (scalars); NULL for lists */
    struct node **item;  /* list items or map values */
    int n, cap;
} node;

typedef struct {
    int line, col;
    long seq;
    char *text;
} diag;

typedef struct {
    const char *name;     /* file name used in messages */
    const char *base_dir; /* directory of the config file, NULL = cwd */
    const char *text;     /* the YAML text (for reader-error positions) */
    size_t len;
    diag *diags;
    int ndiags, capdiags;
    int nerrors;
    int nomem;
    long nnodes;
    int tape_failed;      /* the loan tape had errors (printed separately) */
    absim_deal *deal;
    int pool_ok;          /* the pool parsed without errors */
} ctx;

static void node_free(node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        if (n->key)
            node_free(n->key[i]);
        node_free(n->item[i]);
    }
    free(n->key);
    free(n->item);
    free(n->text);
    free(n);
}

static node *node_new(ctx *c, node_kind kind, yaml_mark_t mark)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        c->nomem = 1;
        return NULL;
    }
    n->kind = kind;
    n->line = (int)(mark.line + 1 < INT32_MAX ? mark.line + 1 : INT32_MAX);
    n->col = (int)(mark.column + 1 < INT32_MAX ? mark.column + 1 : INT32_MAX);
    return n;
}

/* Append (key, value) to a map or value to a list; takes ownership. */
static int node_push(ctx *c, node *parent, node *key, node *value)
{
    if (parent->n == parent->cap) {
        int cap = parent->cap ? 2 * parent->cap : 4;
        node **items = realloc(parent->item, (size_t)cap * sizeof *items);
        if (!items)
            goto fail;
        parent->item = items;
        if (parent->kind == NODE_MAP) {
            node **keys = realloc(parent->key, (size_t)cap * sizeof *keys);
            if (!keys)
                goto fail;
            parent->key = keys;
        }
        parent->cap = cap;
    }
    if (parent->kind == NODE_MAP)
        parent->key[parent->n] = key;
    parent->item[parent->n++] = value;
    return 0;
fail:
    c->nomem = 1;
    node_free(key);
    node_free(value);
    return -1;
}

/* ---------------------------------------------------------- messages */

static void add_diag(ctx *c, int line, int col, const char *fmt, va_list ap)
{
    char msg[768];
    c->nerrors++;
    if (c->ndiags >= MAX_ERRORS)
        return;
    if (c->ndiags == c->capdiags) {
        int cap = c->capdiags ? 2 * c->capdiags : 16;
        diag *d = realloc(c->diags, (size_t)cap * sizeof *d);
        if (!d) {
            c->nomem = 1;
            return;
        }
        c->diags = d;
        c->capdiags = cap;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    char *text = strdup(msg);
    if (!text) {
        c->nomem = 1;
        return;
    }
    c->diags[c->ndiags++] = (diag){line, col, c->ndiags, text};
}

#if defined(__GNUC__)
#define PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define PRINTF_LIKE(a, b)
#endif

static void error_at(ctx *c, const node *at, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void error_at(ctx *c, const node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(c, at ? at->line : 1, at ? at->col : 1, fmt, ap);
    va_end(ap);
}

static void error_mark(ctx *c, int line, int col, const char *fmt, ...) PRINTF_LIKE(4, 5);
static void error_mark(ctx *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(c, line, col, fmt, ap);
    va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
    const diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void flush_diags(ctx *c, FILE *err)
{
    if (c->ndiags > 1)
        qsort(c->diags, (size_t)c->ndiags, sizeof *c->diags, diag_cmp);
    for (int i = 0; i < c->ndiags; i++) {
        if (err)
            fprintf(err, "%s:%d:%d: error: %s\n", c->name, c->diags[i].line, c->diags[i].col, c->diags[i].text);
        free(c->diags[i].text);
    }
    if (err && c->nerrors > c->ndiags)
        fprintf(err, "%s: error: %d more errors not shown\n", c->name, c->nerrors - c->ndiags);
    free(c->diags);
    c->diags = NULL;
    c->ndiags = c->capdiags = 0;
}

/* A printable, shortened copy of a scalar for messages. */
static const char *show(const node *v, char *buf, size_t cap)
{
    if (!v)
        return "nothing";
    if (v->kind == NODE_LIST)
        return "a list";
    if (v->kind == NODE_MAP)
        return "a mapping";
    size_t o = 0;
    buf[o++] = v->quoted ? '"' : '\'';
    for (size_t i = 0; i < v->len && o + 6 < cap; i++) {
        unsigned char ch = (unsigned char)v->text[i];
        buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        if (i == 39 && v->len > 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
    }
    buf[o++] = v->quoted ? '"' : '\'';
    buf[o] = '\0';
    return buf;
}

/* Levenshtein distance of two short strings (longer ones: a large value). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[65];
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag_prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag_prev + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag_prev = up;
        }
    }
    return row[lb];
}

typedef struct {
    const char *word;
    const char *best;
    size_t dist;
} matcher;

static void match_try(matcher *m, const char *cand)
{
    size_t d = strcasecmp(m->word, cand) == 0 ? 0 : edit_distance(m->word, cand);
    size_t len = strlen(m->word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    if (d <= limit && d < m->dist && (d == 0 || d < strlen(cand) || d < len)) {
        m->dist = d;
        m->best = cand;
    }
}

/* " (did you mean 'x'?)" or "" into buf. */
static const char *hint(const matcher *m, char *buf, size_t cap)
{
    if (!m->best)
        return "";
    snprintf(buf, cap, " (did you mean '%s'?)", m->best);
    return buf;
}

static const char *hint_list(const char *word, const char *const *cands, char *buf, size_t cap)
{
    matcher m = {word, NULL, SIZE_MAX};
    for (int i = 0; cands[i]; i++)
        match_try(&m, cands[i]);
    return hint(&m, buf, cap);
}

/* ----------------------------------------------------------- parsing */

static void syntax_error(ctx *c, const yaml_parser_t *p)
{
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_READER_ERROR) {
        size_t off = p->problem_offset < c->len ? p->problem_offset : c->len;
        line = 1;
        col = 1;
        for (size_t i = 0; i < off; i++) {
            if (c->text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        error_mark(c, line, col, "YAML syntax error: %s", problem);
        return;
    }
    if (p->error == YAML_MEMORY_ERROR) {
        c->nomem = 1;
        return;
    }
    if (p->context && (strstr(p->context, "simple key") || strstr(p->context, "flow") ||
                       strstr(p->context, "quoted scalar"))) {
        /* A missing ':', an unclosed bracket or quote is noticed only
         * later, often lines later; the mistake is where it started. */
        error_mark(c, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1,
                   "YAML syntax error: %s (%s started here; detected at line %d, column %d)", problem, p->context,
                   line, col);
    } else if (p->context) {
        error_mark(c, line, col, "YAML syntax error: %s (%s started at line %d, column %d)", problem, p->context,
                   (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        error_mark(c, line, col, "YAML syntax error: %s", problem);
    }
}

static int next_event(ctx *c, yaml_parser_t *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(p, ev)) {
        syntax_error(c, p);
        return -1;
    }
    return 0;
}

static int is_null(const node *v)
{
    return v && v->kind == NODE_SCALAR && !v->quoted &&
           (v->len == 0 || strcmp(v->text, "~") == 0 || strcmp(v->text, "null") == 0 ||
            strcmp(v->text, "Null") == 0 || strcmp(v->text, "NULL") == 0);
}

/* Build the node that starts with `ev` (which this function deletes).
 * Returns NULL after reporting an error (fatal for the document). */
static node *build(ctx *c, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
    node *n = NULL;
    yaml_event_t sub;
    char shown[64];

    if (++c->nnodes > MAX_NODES) {
        error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                   "the config has more than %d values", MAX_NODES);
        goto fail;
    }
    if (depth > MAX_DEPTH) {
        error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                   "nesting deeper than %d levels", MAX_DEPTH);
        goto fail;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(c, NODE_SCALAR, ev->start_mark);
        if (!n)
            goto fail;
        n->len = ev->data.scalar.length;
        n->text = malloc(n->len + 1);
        if (!n->text) {
            c->nomem = 1;
            goto fail;
        }
        memcpy(n->text, ev->data.scalar.value, n->len);
        n->text[n->len] = '\0';
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        break;
    case YAML_ALIAS_EVENT:
        error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                   "YAML aliases (*%s) are not supported; write the value out", (const char *)ev->data.alias.anchor);
        goto fail;
    case YAML_SEQUENCE_START_EVENT:
        n = node_new(c, NODE_LIST, ev->start_mark);
        if (!n)
            goto fail;
        for (;;) {
            if (next_event(c, p, &sub) < 0)
                goto fail;
            if (sub.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&sub);
                break;
            }
            node *item = build(c, p, &sub, depth + 1);
            if (!item || node_push(c, n, NULL, item) < 0)
                goto fail;
        }
        break;
    case YAML_MAPPING_START_EVENT:
        n = node_new(c, NODE_MAP, ev->start_mark);
        if (!n)
            goto fail;
        for (;;) {
            if (next_event(c, p, &sub) < 0)
                goto fail;
            if (sub.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&sub);
                break;
            }
            node *key = build(c, p, &sub, depth + 1);
            if (!key)
                goto fail;
            if (next_event(c, p, &sub) < 0) {
                node_free(key);
                goto fail;
            }
            node *value = build(c, p, &sub, depth + 1);
            if (!value) {
                node_free(key);
                goto fail;
            }
            if (key->kind != NODE_SCALAR || strlen(key->text) != key->len) {
                error_at(c, key, "mapping keys must be plain strings");
                node_free(key);
                node_free(value);
                continue;
            }
            const node *first = NULL;
            for (int i = 0; i < n->n && !first; i++)
                if (strcmp(n->key[i]->text, key->text) == 0)
                    first = n->key[i];
            if (first) {
                error_at(c, key, "duplicate key %s (first given at line %d, column %d)",
                         show(key, shown, sizeof shown), first->line, first->col);
                node_free(key);
                node_free(value);
                continue;
            }
            if (node_push(c, n, key, value) < 0)
                goto fail;
        }
        break;
    default:
        error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, "unexpected YAML event");
        goto fail;
    }
    yaml_event_delete(ev);
    return n;
fail:
    yaml_event_delete(ev);
    node_free(n);
    return NULL;
}

/* Parse the text into a tree. Returns the root (NULL on error or for an
 * empty document; errors reported). */
static node *parse_tree(ctx *c)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    node *root = NULL;
    int empty = 1;

    if (!yaml_parser_initialize(&parser)) {
        c->nomem = 1;
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)c->text, c->len);
    for (;;) {
        if (next_event(c, &parser, &ev) < 0)
            goto fail;
        yaml_event_type_t type = ev.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT && !empty) {
            error_mark(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                       "only one YAML document is allowed in a config");
            yaml_event_delete(&ev);
            goto fail;
        }
        if (type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            if (next_event(c, &parser, &ev) < 0)
                goto fail;
            root = build(c, &parser, &ev, 0);
            if (!root)
                goto fail;
            empty = 0;
            continue;
        }
        yaml_event_delete(&ev); /* stream start, document end */
    }
    yaml_parser_delete(&parser);
    if (empty)
        error_mark(c, 1, 1, "the config is empty (expected a mapping with deal, pool and structure)");
    return root;
fail:
    yaml_parser_delete(&parser);
    node_free(root);
    return NULL;
}

/* ------------------------------------------------------- value checks */

typedef struct {
    double lo, hi;
    unsigned char lo_open, hi_open;
} range;

static const range R_RATE = {-1.0, 1.0, 0, 0};
static const range R_PROB = {0.0, 1.0, 0, 0};        /* [0, 1] */
static const range R_FRACTION = {0.0, 1.0, 0, 1};    /* [0, 1) */
static const range R_OPEN_UNIT = {0.0, 1.0, 1, 1};   /* (0, 1) */
static const range R_HALF_OPEN = {0.0, 1.0, 1, 0};   /* (0, 1] */
static const range R_NONNEG = {0.0, HUGE_VAL, 0, 0};
static const range R_POSITIVE = {0.0, HUGE_VAL, 1, 0};

static const char *range_text(const range *r, char *buf, size_t cap)
{
    if (isinf(r->lo) && isinf(r->hi))
        snprintf(buf, cap, "a number");
    else if (isinf(r->hi))
        snprintf(buf, cap, "a number %s %g", r->lo_open ? ">" : ">=", r->lo);
    else if (isinf(r->lo))
        snprintf(buf, cap, "a number %s %g", r->hi_open ? "<" : "<=", r->hi);
    else
        snprintf(buf, cap, "a number in %c%g, %g%c", r->lo_open ? '(' : '[', r->lo, r->hi, r->hi_open ? ')' : ']');
    return buf;
}

static int in_range(double x, const range *r)
{
    if (r->lo_open ? !(x > r->lo) : !(x >= r->lo))
        return 0;
    if (r->hi_open ? !(x < r->hi) : !(x <= r->hi))
        return 0;
    return 1;
}

/* Whole-token decimal number: [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? */
static int is_number_token(const char *s)
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

static int is_integer_token(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(*s >= '0' && *s <= '9'))
            return 0;
    return 1;
}

/* Common scalar checks: present, a plain scalar. */
static int expect_scalar(ctx *c, const node *v, const char *path, const char *what)
{
    char shown[64];
    if (is_null(v)) {
        error_at(c, v, "%s: missing value (expected %s)", path, what);
        return -1;
    }
    if (v->kind != NODE_SCALAR) {
        error_at(c, v, "%s: expected %s, got %s", path, what, show(v, shown, sizeof shown));
        return -1;
    }
    return 0;
}

static int node_num(ctx *c, const node *v, const char *path, const range *r, double *out)
{
    char shown[64], what[64];
    range_text(r, what, sizeof what);
    if (expect_scalar(c, v, path, what) < 0)
        return -1;
    if (v->quoted || strlen(v->text) != v->len || !is_number_token(v->text)) {
        error_at(c, v, "%s: expected %s, got %s%s", path, what, show(v, shown, sizeof shown),
                 v->quoted && is_number_token(v->text) ? " (a quoted string; remove the quotes)" : "");
        return -1;
    }
    errno = 0;
    double x = strtod(v->text, NULL);
    if (!isfinite(x) || errno == ERANGE) {
        if (x != 0.0 || !isfinite(x)) {
            error_at(c, v, "%s: number %s is out of the representable range", path, show(v, shown, sizeof shown));
            return -1;
        }
    }
    if (!in_range(x, r)) {
        error_at(c, v, "%s: expected %s, got %s", path, what, v->text);
        return -1;
    }
    *out = x;
    return 0;
}

static int node_int(ctx *c, const node *v, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    char shown[64], what[96];
    if (hi == INT64_MAX)
        snprintf(what, sizeof what, "an integer >= %lld", (long long)lo);
    else
        snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    if (expect_scalar(c, v, path, what) < 0)
        return -1;
    if (v->quoted || strlen(v->text) != v->len || !is_integer_token(v->text)) {
        error_at(c, v, "%s: expected %s, got %s", path, what, show(v, shown, sizeof shown));
        return -1;
    }
    errno = 0;
    long long x = strtoll(v->text, NULL, 10);
    if (errno == ERANGE || x < lo || x > hi) {
        error_at(c, v, "%s: expected %s, got %s", path, what, show(v, shown, sizeof shown));
        return -1;
    }
    *out = (int64_t)x;
    return 0;
}

static int node_u64(ctx *c, const node *v, const char *path, uint64_t *out)
{
    char shown[64];
    const char *what = "an integer in [0, 18446744073709551615]";
    if (expect_scalar(c, v, path, what) < 0)
        return -1;
    const char *s = v->text;
    if (*s == '+')
        s++;
    if (v->quoted || strlen(v->text) != v->len || !*s || strspn(s, "0123456789") != strlen(s)) {
        error_at(c, v, "%s: expected %s, got %s", path, what, show(v, shown, sizeof shown));
        return -1;
    }
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno == ERANGE) {
        error_at(c, v, "%s: expected %s, got %s", path, what, show(v, shown, sizeof shown));
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

static int node_bool(ctx *c, const node *v, const char *path, int *out)
{
    char shown[64];
    if (expect_scalar(c, v, path, "true or false") < 0)
        return -1;
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False", "FALSE"};
    for (int i = 0; i < 3 && !v->quoted; i++) {
        if (strcmp(v->text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v->text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    error_at(c, v, "%s: expected true or false, got %s", path, show(v, shown, sizeof shown));
    return -1;
}

/* Free text (deal name, paths): a scalar without control characters. */
static int node_text(ctx *c, const node *v, const char *path, char *out, size_t cap)
{
    char shown[64];
    if (expect_scalar(c, v, path, "a string") < 0)
        return -1;
    if (strlen(v->text) != v->len) {
        error_at(c, v, "%s: the string contains a NUL character", path);
        return -1;
    }
    for (size_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)v->text[i];
        if (ch < 0x20 || ch == 0x7f) {
            error_at(c, v, "%s: the string %s contains a control character", path, show(v, shown, sizeof shown));
            return -1;
        }
    }
    if (v->len >= cap) {
        error_at(c, v, "%s: the string is too long (%zu bytes; at most %zu)", path, v->len, cap - 1);
        return -1;
    }
    memcpy(out, v->text, v->len + 1);
    return 0;
}

/* Names of lines, sectors, tranches, fees, scenarios: also used as HDF5
 * group names and CSV column prefixes, so '/', ',', '"' and '\' are out. */
static int node_name(ctx *c, const node *v, const char *path, char *out, size_t cap)
{
    char shown[64];
    if (node_text(c, v, path, out, cap) < 0)
        return -1;
    if (!out[0] || strpbrk(out, "/,\"\\") || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        error_at(c, v, "%s: invalid name %s (non-empty; no '/', ',', '\"' or '\\')", path, show(v, shown, sizeof shown));
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* Index of `v`'s text in `options` (NULL-terminated), or -1 (reported). */
static int node_choice(ctx *c, const node *v, const char *path, const char *const *options)
{
    char shown[64], list[256] = "", hbuf[96];
    size_t o = 0;
    for (int i = 0; options[i]; i++)
        o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, "%s%s", i ? ", " : "", options[i]);
    if (expect_scalar(c, v, path, "a string") < 0)
        return -1;
    for (int i = 0; options[i] && !v->quoted; i++)
        if (strcmp(v->text, options[i]) == 0)
            return i;
    for (int i = 0; options[i] && v->quoted; i++)
        if (strcmp(v->text, options[i]) == 0)
            return i;
    error_at(c, v, "%s: expected one of %s, got %s%s", path, list, show(v, shown, sizeof shown),
             hint_list(v->text, options, hbuf, sizeof hbuf));
    return -1;
}

/* ----------------------------------------------------------- sections */

/* A mapping being read, with its key path for messages. */
typedef struct {
    ctx *c;
    const node *map;  /* NULL: section absent */
    const node *at;   /* where to report missing keys */
    char path[192];
} sect;

static const char *key_path(const sect *s, const char *key, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", s->path, s->path[0] ? "." : "", key);
    return buf;
}

static const node *get(const sect *s, const char *key)
{
    if (!s->map)
        return NULL;
    for (int i = 0; i < s->map->n; i++)
        if (strcmp(s->map->key[i]->text, key) == 0)
            return s->map->item[i];
    return NULL;
}

static const node *get_key(const sect *s, const char *key)
{
    if (!s->map)
        return NULL;
    for (int i = 0; i < s->map->n; i++)
        if (strcmp(s->map->key[i]->text, key) == 0)
            return s->map->key[i];
    return NULL;
}

static void missing(const sect *s, const char *key, const char *what)
{
    if (s->path[0])
        error_at(s->c, s->at, "%s: missing required key '%s' (%s)", s->path, key, what);
    else
        error_at(s->c, s->at, "missing required section '%s' (%s)", key, what);
}

/* Report keys of the map that are not in `allowed`. */
static void check_keys(const sect *s, const char *const *allowed)
{
    char shown[64], hbuf[96];
    if (!s->map)
        return;
    for (int i = 0; i < s->map->n; i++) {
        const node *k = s->map->key[i];
        int known = 0;
        for (int j = 0; allowed[j] && !known; j++)
            known = strcmp(k->text, allowed[j]) == 0;
        if (known)
            continue;
        if (s->path[0])
            error_at(s->c, k, "%s: unknown key %s%s", s->path, show(k, shown, sizeof shown),
                     hint_list(k->text, allowed, hbuf, sizeof hbuf));
        else
            error_at(s->c, k, "unknown top-level key %s%s", show(k, shown, sizeof shown),
                     hint_list(k->text, allowed, hbuf, sizeof hbuf));
    }
}

/* Open the mapping under `key` (or an item when key is NULL). Returns 1 if
 * present and a mapping, 0 if absent (child->map NULL), -1 on a type error. */
static int open_map(const sect *parent, const char *key, const node *v, const char *path, sect *child)
{
    char shown[64];
    child->c = parent->c;
    child->map = NULL;
    child->at = v ? v : parent->at;
    snprintf(child->path, sizeof child->path, "%s", path);
    (void)key;
    if (!v)
        return 0;
    if (v->kind != NODE_MAP) {
        if (is_null(v))
            error_at(parent->c, v, "%s: missing value (expected a mapping)", path);
        else
            error_at(parent->c, v, "%s: expected a mapping, got %s", path, show(v, shown, sizeof shown));
        return -1;
    }
    child->map = v;
    return 1;
}

static int section(const sect *parent, const char *key, sect *child)
{
    char path[192];
    return open_map(parent, key, get(parent, key), key_path(parent, key, path, sizeof path), child);
}

static const node *list_at(const sect *s, const char *key, int min, int max, const char *what)
{
    char path[192], shown[64];
    const node *v = get(s, key);
    key_path(s, key, path, sizeof path);
    if (!v)
        return NULL;
    if (v->kind != NODE_LIST) {
        error_at(s->c, v, "%s: expected a list of %s, got %s", path, what, is_null(v) ? "nothing" : show(v, shown, sizeof shown));
        return NULL;
    }
    if (v->n < min || v->n > max) {
        error_at(s->c, v, "%s: expected %d to %d %s, got %d", path, min, max, what, v->n);
        return NULL;
    }
    return v;
}

/* Optional/required typed keys: 1 = present and valid, 0 = absent
 * (default stored), -1 = error reported. */
static int get_num(const sect *s, const char *key, double *out, double def, int required, const range *r)
{
    char path[192], what[64];
    const node *v = get(s, key);
    *out = def;
    if (!v) {
        if (required)
            missing(s, key, range_text(r, what, sizeof what));
        return required ? -1 : 0;
    }
    return node_num(s->c, v, key_path(s, key, path, sizeof path), r, out) < 0 ? -1 : 1;
}

static int get_int(const sect *s, const char *key, int64_t *out, int64_t def, int required, int64_t lo, int64_t hi)
{
    char path[192];
    const node *v = get(s, key);
    *out = def;
    if (!v) {
        if (required)
            missing(s, key, "an integer");
        return required ? -1 : 0;
    }
    return node_int(s->c, v, key_path(s, key, path, sizeof path), lo, hi, out) < 0 ? -1 : 1;
}

static int get_bool(const sect *s, const char *key, int *out, int def)
{
    char path[192];
    const node *v = get(s, key);
    *out = def;
    if (!v)
        return 0;
    return node_bool(s->c, v, key_path(s, key, path, sizeof path), out) < 0 ? -1 : 1;
}

static int get_choice(const sect *s, const char *key, const char *const *options, int def)
{
    char path[192];
    const node *v = get(s, key);
    if (!v)
        return def;
    return node_choice(s->c, v, key_path(s, key, path, sizeof path), options);
}

/* ------------------------------------------------------------ helpers */

static int add_sector(ctx *c, const char *name)
{
    absim_deal *d = c->deal;
    int idx = absim_deal_find_sector(d, name);
    if (idx >= 0)
        return idx;
    char(*names)[ABSIM_NAME_MAX] = realloc(d->sectors, (size_t)(d->nsectors + 1) * sizeof *names);
    if (!names) {
        c->nomem = 1;
        return -1;
    }
    d->sectors = names;
    double *load = realloc(d->sector_loading, (size_t)(d->nsectors + 1) * sizeof *load);
    if (!load) {
        c->nomem = 1;
        return -1;
    }
    d->sector_loading = load;
    snprintf(d->sectors[d->nsectors], ABSIM_NAME_MAX, "%s", name);
    d->sector_loading[d->nsectors] = 0.0;
    return d->nsectors++;
}

static int sector_used(const absim_deal *d, int s)
{
    for (int i = 0; i < d->nlines; i++)
        if (d->lines[i].sector_index == s)
            return 1;
    return 0;
}

/* Sector index named by key node `k` (must be used by a line), or -1. */
static int sector_ref(ctx *c, const node *k, const char *path)
{
    char shown[64], hbuf[96];
    const absim_deal *d = c->deal;
    int idx = absim_deal_find_sector(d, k->text);
    if (idx >= 0 && sector_used(d, idx))
        return idx;
    matcher m = {k->text, NULL, SIZE_MAX};
    for (int i = 0; i < d->nsectors; i++)
        if (sector_used(d, i))
            match_try(&m, d->sectors[i]);
    error_at(c, k, "%s: sector %s is not used by any pool line%s", path, show(k, shown, sizeof shown),
             hint(&m, hbuf, sizeof hbuf));
    return -1;
}

/* Resolve a path relative to base_dir (when relative and base_dir set). */
static int join_path(const char *base_dir, const char *rel, char *out, size_t cap)
{
    int n;
    if (rel[0] == '/' || !base_dir || !base_dir[0])
        n = snprintf(out, cap, "%s", rel);
    else
        n = snprintf(out, cap, "%s/%s", base_dir, rel);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static int readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    /* A directory opens but does not read. */
    char byte;
    size_t got = fread(&byte, 1, 1, f);
    int ok = got == 1 || !ferror(f);
    fclose(f);
    return ok;
}

/* ------------------------------------------------------------- schema */

static const char *const root_keys[] = {"deal", "simulation", "rates", "pool", "correlation", "structure",
                                        "isolation", "scenarios", "rating", NULL};

static void parse_deal(const sect *root)
{
    static const char *const keys[] = {"name", "periods", "period_months", NULL};
    ctx *c = root->c;
    absim_deal *d = c->deal;
    sect s;
    int64_t v;
    char path[192];

    if (section(root, "deal", &s) == 0)
        missing(root, "deal", "a mapping with name and periods");
    check_keys(&s, keys);
    snprintf(d->name, sizeof d->name, "%s", "absim deal");
    const node *name = get(&s, "name");
    if (name)
        node_text(c, name, key_path(&s, "name", path, sizeof path), d->name, sizeof d->name);
    if (s.map && get_int(&s, "periods", &v, 0, 1, 1, MAX_PERIODS) > 0)
        d->periods = (int)v;
    if (get_int(&s, "period_months", &v, 1, 0, 1, 12) >= 0)
        d->period_months = (int)v;
}

static void parse_simulation(const sect *root, const node **is_tranche)
{
    static const char *const keys[] = {"paths", "seed", "threads", "quantiles", "keep_paths", "antithetic",
                                       "importance_sampling", "qmc", "target_stderr", NULL};
    static const char *const qmc_options[] = {"off", "sobol", NULL};
    static const double default_q[] = {0.5, 0.9, 0.99, 0.999};
    ctx *c = root->c;
    absim_simulation *sim = &c->deal->sim;
    sect s;
    int64_t v;
    char path[192];

    section(root, "simulation", &s);
    check_keys(&s, keys);
    if (get_int(&s, "paths", &v, 10000, 0, 1, INT64_MAX) >= 0)
        sim->paths = v;
    sim->seed = 1;
    const node *seed = get(&s, "seed");
    if (seed)
        node_u64(c, seed, key_path(&s, "seed", path, sizeof path), &sim->seed);
    if (get_int(&s, "threads", &v, 0, 0, 0, 65536) >= 0)
        sim->threads = (int)v;
    get_bool(&s, "keep_paths", &sim->keep_paths, 1);
    get_bool(&s, "antithetic", &sim->antithetic, 0);
    int q = get_choice(&s, "qmc", qmc_options, 0);
    sim->qmc = q > 0 ? q : 0;
    get_num(&s, "target_stderr", &sim->target_stderr, 0.0, 0, &R_NONNEG);

    const node *ql = list_at(&s, "quantiles", 1, MAX_QUANTILES, "quantile levels");
    int nq = ql ? ql->n : 4;
    sim->quantiles = malloc((size_t)nq * sizeof *sim->quantiles);
    if (!sim->quantiles) {
        c->nomem = 1;
        return;
    }
    sim->nquantiles = nq;
    for (int i = 0; i < nq; i++) {
        if (!ql) {
            sim->quantiles[i] = default_q[i];
            continue;
        }
        char ipath[200];
        snprintf(ipath, sizeof ipath, "%s[%d]", key_path(&s, "quantiles", path, sizeof path), i);
        double x = 0.5;
        if (node_num(c, ql->item[i], ipath, &R_OPEN_UNIT, &x) == 0 && i > 0 && !(x > sim->quantiles[i - 1]))
            error_at(c, ql->item[i], "%s: quantile levels must be strictly increasing (%g after %g)", ipath, x,
                     sim->quantiles[i - 1]);
        sim->quantiles[i] = x;
    }

    const node *is = get(&s, "importance_sampling");
    key_path(&s, "importance_sampling", path, sizeof path);
    sim->importance_sampling = ABSIM_IS_OFF;
    sim->is_tranche = -1;
    if (is && is->kind == NODE_MAP) {
        static const char *const is_keys[] = {"tranche", "shift", NULL};
        sect m;
        open_map(&s, NULL, is, path, &m);
        check_keys(&m, is_keys);
        const node *tr = get(&m, "tranche"), *sh = get(&m, "shift");
        if (tr && sh) {
            error_at(c, is, "%s: give either tranche or shift, not both", path);
        } else if (tr) {
            char name[ABSIM_NAME_MAX];
            char tpath[200];
            snprintf(tpath, sizeof tpath, "%s.tranche", path);
            if (node_name(c, tr, tpath, name, sizeof name) == 0) {
                sim->importance_sampling = ABSIM_IS_TRANCHE;
                *is_tranche = tr;
            }
        } else if (sh) {
            if (get_num(&m, "shift", &sim->is_shift, 0.0, 1, &(range){-10.0, 10.0, 0, 0}) > 0)
                sim->importance_sampling = ABSIM_IS_SHIFT;
        } else {
            error_at(c, is, "%s: expected {tranche: NAME} or {shift: X}", path);
        }
    } else if (is) {
        static const char *const is_options[] = {"off", "auto", NULL};
        int k = node_choice(c, is, path, is_options);
        sim->importance_sampling = k == 1 ? ABSIM_IS_AUTO : ABSIM_IS_OFF;
    }
}

static void parse_rates(const sect *root)
{
    static const char *const keys[] = {"model", "r0", "kappa", "theta", "sigma", "zero_curve", NULL};
    static const char *const models[] = {"flat", "vasicek", "cir", "hull_white", NULL};
    ctx *c = root->c;
    absim_rates *r = &c->deal->rates;
    sect s;
    char path[192];

    section(root, "rates", &s);
    check_keys(&s, keys);
    int model = get_choice(&s, "model", models, 0);
    if (model < 0)
        return;
    r->model = (absim_rate_model)model;
    const range r0_range = model == ABSIM_RATES_CIR ? (range){0.0, 1.0, 0, 0} : R_RATE;
    get_num(&s, "r0", &r->r0, 0.0, 0, &r0_range);
    /* Keys that the chosen model does not use are mistakes. */
    static const char *const flat_unused[] = {"kappa", "theta", "sigma", "zero_curve", NULL};
    static const char *const mr_unused[] = {"zero_curve", NULL};
    static const char *const hw_unused[] = {"theta", NULL};
    const char *const *unused = model == ABSIM_RATES_FLAT ? flat_unused
                                : model == ABSIM_RATES_HULL_WHITE ? hw_unused : mr_unused;
    for (int i = 0; unused[i]; i++) {
        const node *k = get_key(&s, unused[i]);
        if (k)
            error_at(c, k, "%s: '%s' is not used by model '%s'", key_path(&s, unused[i], path, sizeof path),
                     unused[i], models[model]);
    }
    if (model == ABSIM_RATES_FLAT)
        return;
    get_num(&s, "kappa", &r->kappa, 0.0, 1, &(range){0.0, 100.0, 1, 0});
    get_num(&s, "sigma", &r->sigma, 0.0, 0, &(range){0.0, 1.0, 0, 0});
    if (model != ABSIM_RATES_HULL_WHITE) {
        get_num(&s, "theta", &r->theta, r->r0, 0, model == ABSIM_RATES_CIR ? &(range){0.0, 1.0, 0, 0} : &R_RATE);
        return;
    }
    const node *zc = get(&s, "zero_curve");
    key_path(&s, "zero_curve", path, sizeof path);
    if (!zc) {
        missing(&s, "zero_curve", "a list of [years, rate] pairs, required by model hull_white");
        return;
    }
    zc = list_at(&s, "zero_curve", 1, 1000, "[years, rate] pairs");
    if (!zc)
        return;
    r->curve_t = malloc((size_t)zc->n * sizeof *r->curve_t);
    r->curve_z = malloc((size_t)zc->n * sizeof *r->curve_z);
    if (!r->curve_t || !r->curve_z) {
        c->nomem = 1;
        return;
    }
    r->ncurve = zc->n;
    for (int i = 0; i < zc->n; i++) {
        const node *pt = zc->item[i];
        char ipath[200], shown[64];
        snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
        r->curve_t[i] = r->curve_z[i] = 0.0;
        if (pt->kind != NODE_LIST || pt->n != 2) {
            error_at(c, pt, "%s: expected a pair [years, rate], got %s", ipath,
                     pt->kind == NODE_LIST ? "a list of another length" : show(pt, shown, sizeof shown));
            continue;
        }
        char tpath[210];
        snprintf(tpath, sizeof tpath, "%s[0]", ipath);
        if (node_num(c, pt->item[0], tpath, &(range){0.0, 200.0, 1, 0}, &r->curve_t[i]) == 0 && i > 0 &&
            !(r->curve_t[i] > r->curve_t[i - 1]))
            error_at(c, pt->item[0], "%s: times must be strictly increasing (%g after %g)", tpath, r->curve_t[i],
                     r->curve_t[i - 1]);
        snprintf(tpath, sizeof tpath, "%s[1]", ipath);
        node_num(c, pt->item[1], tpath, &R_RATE, &r->curve_z[i]);
    }
    if (!get(&s, "r0"))
        r->r0 = r->curve_z[0];
}

/* Exactly one of `keys` present: its index, -1 none (reported if
 * required), -2 several (reported). */
static int one_of(const sect *s, const char *const *keys, int required, const char *what)
{
    char path[192];
    int found = -1;
    for (int i = 0; keys[i]; i++) {
        const node *k = get_key(s, keys[i]);
        if (!k)
            continue;
        if (found >= 0) {
            error_at(s->c, k, "%s: '%s' and '%s' are mutually exclusive (give %s)",
                     key_path(s, keys[i], path, sizeof path), keys[found], keys[i], what);
            return -2;
        }
        found = i;
    }
    if (found < 0 && required)
        error_at(s->c, s->at, "%s: missing %s", s->path, what);
    return found;
}

static void parse_recovery(const sect *line, absim_line *ln)
{
    static const char *const keys[] = {"mean", "stdev", "lag", "systematic_loading", NULL};
    ctx *c = line->c;
    char path[192];
    const node *v = get(line, "recovery");
    key_path(line, "recovery", path, sizeof path);
    if (!v) {
        missing(line, "recovery", "{mean: M, stdev: S, lag: L}");
        return;
    }
    if (v->kind == NODE_SCALAR && !is_null(v)) { /* shorthand: recovery: 0.4 */
        node_num(c, v, path, &R_PROB, &ln->recovery_mean);
        return;
    }
    sect s;
    if (open_map(line, NULL, v, path, &s) < 0)
        return;
    check_keys(&s, keys);
    int64_t lag;
    int ok_mean = get_num(&s, "mean", &ln->recovery_mean, 0.0, 1, &R_PROB) > 0;
    int ok_sd = get_num(&s, "stdev", &ln->recovery_stdev, 0.0, 0, &R_NONNEG) > 0;
    if (get_int(&s, "lag", &lag, 0, 0, 0, MAX_PERIODS) >= 0)
        ln->recovery_lag = (int)lag;
    get_num(&s, "systematic_loading", &ln->recovery_loading, 0.0, 0, &R_FRACTION);
    double m = ln->recovery_mean, sd = ln->recovery_stdev;
    if (ok_mean && ok_sd && sd > 0 && !(sd * sd < m * (1.0 - m)))
        error_at(c, get(&s, "stdev"),
                 "%s.stdev: a beta recovery with mean %g needs stdev < sqrt(mean (1 - mean)) = %g, got %g", path, m,
                 sqrt(m * (1.0 - m)), sd);
}

static void parse_prepay(const sect *line, absim_line *ln)
{
    static const char *const keys[] = {"cpr", "psa", NULL};
    char path[192];
    const node *v = get(line, "prepay");
    sect s;
    ln->prepay = ABSIM_PREPAY_NONE;
    if (open_map(line, NULL, v, key_path(line, "prepay", path, sizeof path), &s) <= 0)
        return;
    check_keys(&s, keys);
    int k = one_of(&s, keys, 1, "cpr or psa");
    if (k == 0 && get_num(&s, "cpr", &ln->prepay_value, 0.0, 1, &R_PROB) > 0)
        ln->prepay = ABSIM_PREPAY_CPR;
    if (k == 1 && get_num(&s, "psa", &ln->prepay_value, 0.0, 1, &(range){0.0, 100000.0, 0, 0}) > 0)
        ln->prepay = ABSIM_PREPAY_PSA;
}

/* Returns 0 if the line parsed cleanly. */
static int parse_line(const sect *pool, const node *item, int i, absim_line *ln)
{
    static const char *const keys[] = {"name", "sector", "count", "balance", "coupon", "spread", "term",
                                       "amortization", "pd", "cdr", "sda", "default_curve", "recovery",
                                       "prepay", NULL};
    static const char *const amort[] = {"level", "linear", "bullet", NULL};
    static const char *const laws[] = {"pd", "cdr", "sda", "default_curve", NULL};
    static const char *const rates[] = {"coupon", "spread", NULL};
    ctx *c = pool->c;
    int before = c->nerrors;
    char path[192], kpath[192];
    sect s;
    int64_t v;

    snprintf(path, sizeof path, "%s.lines[%d]", pool->path, i);
    memset(ln, 0, sizeof *ln);
    ln->source_line = item->line;
    if (open_map(pool, NULL, item, path, &s) < 0)
        return -1;
    check_keys(&s, keys);
    const node *name = get(&s, "name");
    if (!name)
        missing(&s, "name", "a unique line name");
    else if (node_name(c, name, key_path(&s, "name", kpath, sizeof kpath), ln->name, sizeof ln->name) == 0) {
        absim_deal *d = c->deal;
        for (int j = 0; j < d->nlines; j++)
            if (strcmp(d->lines[j].name, ln->name) == 0) {
                error_at(c, name, "%s: duplicate line name '%s' (also at line %d)", kpath, ln->name,
                         d->lines[j].source_line);
                break;
            }
    }
    char sector[ABSIM_NAME_MAX] = "general";
    const node *sv = get(&s, "sector");
    if (sv)
        node_name(c, sv, key_path(&s, "sector", kpath, sizeof kpath), sector, sizeof sector);
    ln->sector_index = add_sector(c, sector[0] ? sector : "general");
    if (ln->sector_index < 0)
        ln->sector_index = 0;
    if (get_int(&s, "count", &v, 1, 0, 1, INT64_C(100000000)) >= 0)
        ln->count = v;
    get_num(&s, "balance", &ln->balance, 0.0, 1, &R_POSITIVE);
    int rk = one_of(&s, rates, 1, "a coupon (fixed) or a spread (floating)");
    if (rk == 0)
        get_num(&s, "coupon", &ln->coupon, 0.0, 1, &R_PROB);
    if (rk == 1) {
        ln->floating = 1;
        get_num(&s, "spread", &ln->spread, 0.0, 1, &R_RATE);
    }
    if (get_int(&s, "term", &v, 1, 1, 1, MAX_PERIODS) > 0)
        ln->term = (int)v;
    int a = get_choice(&s, "amortization", amort, 0);
    ln->amortization = a > 0 ? (absim_amort)a : ABSIM_AMORT_LEVEL;
    int law = one_of(&s, laws, 1, "one default law: pd, cdr, sda or default_curve");
    if (law == 0)
        get_num(&s, "pd", &ln->law_value, 0.0, 1, &R_PROB);
    else if (law == 1)
        get_num(&s, "cdr", &ln->law_value, 0.0, 1, &R_PROB);
    else if (law == 2)
        get_num(&s, "sda", &ln->law_value, 0.0, 1, &(range){0.0, 100000.0, 0, 0});
    if (law >= 0)
        ln->law = (absim_default_law)law;
    if (law == 3) {
        const node *cl = list_at(&s, "default_curve", 1, MAX_CURVE, "cumulative default probabilities");
        key_path(&s, "default_curve", kpath, sizeof kpath);
        if (cl) {
            ln->curve = malloc((size_t)cl->n * sizeof *ln->curve);
            if (!ln->curve) {
                c->nomem = 1;
                return -1;
            }
            ln->ncurve = cl->n;
            for (int j = 0; j < cl->n; j++) {
                char ipath[200];
                snprintf(ipath, sizeof ipath, "%s[%d]", kpath, j);
                ln->curve[j] = 0.0;
                if (node_num(c, cl->item[j], ipath, &R_PROB, &ln->curve[j]) == 0 && j > 0 &&
                    ln->curve[j] < ln->curve[j - 1])
                    error_at(c, cl->item[j], "%s: cumulative default probabilities must not decrease (%g after %g)",
                             ipath, ln->curve[j], ln->curve[j - 1]);
            }
        }
    }
    parse_recovery(&s, ln);
    parse_prepay(&s, ln);
    return c->nerrors == before ? 0 : -1;
}

static void parse_pool(const sect *root, FILE *tape_err)
{
    static const char *const keys[] = {"tape", "lines", NULL};
    ctx *c = root->c;
    absim_deal *d = c->deal;
    int before = c->nerrors;
    int tape_failed = 0;
    sect s;
    char path[192];

    if (section(root, "pool", &s) == 0)
        missing(root, "pool", "a mapping with lines and/or tape");
    check_keys(&s, keys);
    const node *lines = get(&s, "lines");
    if (lines)
        lines = list_at(&s, "lines", 0, MAX_LINES, "pool lines");
    if (lines && lines->n > 0) {
        d->lines = calloc((size_t)lines->n, sizeof *d->lines);
        if (!d->lines) {
            c->nomem = 1;
            return;
        }
        for (int i = 0; i < lines->n; i++) {
            parse_line(&s, lines->item[i], i, &d->lines[d->nlines]);
            d->nlines++;
        }
    }
    const node *tape = get(&s, "tape");
    if (tape) {
        char rel[MAX_PATH], full[MAX_PATH];
        key_path(&s, "tape", path, sizeof path);
        if (node_text(c, tape, path, rel, sizeof rel) == 0) {
            if (!rel[0] || join_path(c->base_dir, rel, full, sizeof full) < 0) {
                error_at(c, tape, "%s: invalid path", path);
                tape_failed = 1;
            } else if (!readable(full)) {
                error_at(c, tape, "%s: cannot read loan tape '%s': %s", path, full, strerror(errno ? errno : ENOENT));
                tape_failed = 1;
            } else {
                int rc = absim_tape_append(d, full, tape_err);
                if (rc == ABSIM_ENOMEM)
                    c->nomem = 1;
                if (rc != ABSIM_OK) {
                    tape_failed = 1;
                    c->tape_failed = 1; /* its messages are in tape_err */
                }
            }
        } else {
            tape_failed = 1;
        }
    }
    if (d->nlines == 0 && !tape_failed && s.map)
        error_at(c, s.at, "pool: no loans (give pool.lines and/or pool.tape)");
    c->pool_ok = c->nerrors == before && !tape_failed && d->nlines > 0;
}

static void parse_correlation(const sect *root)
{
    static const char *const keys[] = {"model", "dof", "systematic", "sectors", NULL};
    static const char *const models[] = {"gaussian", "student_t", NULL};
    ctx *c = root->c;
    absim_deal *d = c->deal;
    absim_correlation *cor = &d->correlation;
    sect s;
    char path[192];

    section(root, "correlation", &s);
    check_keys(&s, keys);
    int model = get_choice(&s, "model", models, 0);
    cor->model = model == 1 ? ABSIM_COPULA_STUDENT_T : ABSIM_COPULA_GAUSSIAN;
    if (model == 1) {
        get_num(&s, "dof", &cor->dof, 0.0, 1, &(range){2.0, 1e6, 1, 0});
    } else if (model == 0 && get_key(&s, "dof")) {
        error_at(c, get_key(&s, "dof"), "%s: 'dof' is only used by model student_t",
                 key_path(&s, "dof", path, sizeof path));
    }
    int sys_ok = get_num(&s, "systematic", &cor->systematic, 0.0, 0, &R_FRACTION) >= 0;
    sect sec;
    if (section(&s, "sectors", &sec) <= 0)
        return;
    for (int i = 0; i < sec.map->n; i++) {
        const node *k = sec.map->key[i], *v = sec.map->item[i];
        char kpath[200];
        snprintf(kpath, sizeof kpath, "%s.%s", sec.path, k->text);
        int idx = sector_ref(c, k, sec.path);
        double b2 = 0.0;
        if (node_num(c, v, kpath, &R_FRACTION, &b2) < 0 || idx < 0)
            continue;
        d->sector_loading[idx] = b2;
        if (sys_ok && !(cor->systematic + b2 < 1.0))
            error_at(c, v,
                     "%s: correlation.systematic (%g) + sector %s (%g) = %g must be < 1 (the idiosyncratic weight "
                     "would be negative)",
                     kpath, cor->systematic, k->text, b2, cor->systematic + b2);
    }
}

static int find_tranche(const absim_structure *st, const char *name)
{
    for (int i = 0; i < st->ntranches; i++)
        if (strcmp(st->tranches[i].name, name) == 0)
            return i;
    return -1;
}

/* Tranche named by scalar `v` (notes only when notes_only), or -1. */
static int tranche_ref(ctx *c, const node *v, const char *path, int notes_only)
{
    char shown[64], hbuf[96];
    const absim_structure *st = &c->deal->structure;
    int idx = v->kind == NODE_SCALAR ? find_tranche(st, v->text) : -1;
    if (idx >= 0 && notes_only && st->tranches[idx].residual) {
        error_at(c, v, "%s: '%s' is the residual tranche; name a note", path, v->text);
        return -1;
    }
    if (idx >= 0)
        return idx;
    matcher m = {v->kind == NODE_SCALAR ? v->text : "", NULL, SIZE_MAX};
    for (int i = 0; i < st->ntranches; i++)
        if (!notes_only || !st->tranches[i].residual)
            match_try(&m, st->tranches[i].name);
    error_at(c, v, "%s: unknown tranche %s%s", path, show(v, shown, sizeof shown), hint(&m, hbuf, sizeof hbuf));
    return -1;
}

static void parse_fees(const sect *st_sect)
{
    static const char *const keys[] = {"name", "rate", "fixed", NULL};
    static const char *const kinds[] = {"rate", "fixed", NULL};
    ctx *c = st_sect->c;
    absim_structure *st = &c->deal->structure;
    const node *fl = list_at(st_sect, "fees", 0, MAX_FEES, "fees");
    if (!fl || fl->n == 0)
        return;
    st->fees = calloc((size_t)fl->n, sizeof *st->fees);
    if (!st->fees) {
        c->nomem = 1;
        return;
    }
    st->nfees = fl->n;
    for (int i = 0; i < fl->n; i++) {
        absim_fee *f = &st->fees[i];
        char path[200], kpath[192];
        sect s;
        snprintf(path, sizeof path, "%s.fees[%d]", st_sect->path, i);
        if (open_map(st_sect, NULL, fl->item[i], path, &s) < 0)
            continue;
        check_keys(&s, keys);
        const node *name = get(&s, "name");
        if (!name)
            missing(&s, "name", "the fee's name");
        else if (node_name(c, name, key_path(&s, "name", kpath, sizeof kpath), f->name, sizeof f->name) == 0)
            for (int j = 0; j < i; j++)
                if (strcmp(st->fees[j].name, f->name) == 0) {
                    error_at(c, name, "%s: duplicate fee name '%s'", kpath, f->name);
                    break;
                }
        int k = one_of(&s, kinds, 1, "a rate (annual, on the performing balance) or a fixed amount (per year)");
        if (k == 0)
            get_num(&s, "rate", &f->value, 0.0, 1, &R_PROB);
        if (k == 1) {
            f->fixed = 1;
            get_num(&s, "fixed", &f->value, 0.0, 1, &R_NONNEG);
        }
    }
    int servicing = -1;
    for (int i = 0; i < st->nfees && servicing < 0; i++)
        if (strcmp(st->fees[i].name, "servicing") == 0)
            servicing = i;
    for (int i = 0; i < st->nfees && servicing < 0; i++)
        if (!st->fees[i].fixed)
            servicing = i;
    if (servicing >= 0)
        st->fees[servicing].is_servicing = 1;
}

static void parse_tranches(const sect *st_sect)
{
    static const char *const keys[] = {"name", "balance", "coupon", "spread", "deferrable", "residual", NULL};
    static const char *const rates[] = {"coupon", "spread", NULL};
    ctx *c = st_sect->c;
    absim_deal *d = c->deal;
    absim_structure *st = &d->structure;
    char path[200], kpath[192];
    int before = c->nerrors;

    if (!get(st_sect, "tranches")) {
        if (st_sect->map)
            missing(st_sect, "tranches", "a list of tranches, most senior first");
        return;
    }
    const node *tl = list_at(st_sect, "tranches", 1, MAX_TRANCHES, "tranches");
    if (!tl)
        return;
    st->tranches = calloc((size_t)tl->n, sizeof *st->tranches);
    if (!st->tranches) {
        c->nomem = 1;
        return;
    }
    st->ntranches = tl->n;
    for (int i = 0; i < tl->n; i++) {
        absim_tranche *t = &st->tranches[i];
        sect s;
        snprintf(path, sizeof path, "%s.tranches[%d]", st_sect->path, i);
        if (open_map(st_sect, NULL, tl->item[i], path, &s) < 0)
            continue;
        check_keys(&s, keys);
        const node *name = get(&s, "name");
        if (!name)
            missing(&s, "name", "the tranche's name");
        else if (node_name(c, name, key_path(&s, "name", kpath, sizeof kpath), t->name, sizeof t->name) == 0)
            for (int j = 0; j < i; j++)
                if (strcmp(st->tranches[j].name, t->name) == 0) {
                    error_at(c, name, "%s: duplicate tranche name '%s'", kpath, t->name);
                    break;
                }
        get_num(&s, "balance", &t->balance, 0.0, 1, &R_POSITIVE);
        get_bool(&s, "residual", &t->residual, 0);
        get_bool(&s, "deferrable", &t->deferrable, 0);
        if (t->residual) {
            if (i != tl->n - 1)
                error_at(c, get(&s, "residual"), "%s: only the last tranche may be residual (this is tranche %d of %d)",
                         key_path(&s, "residual", kpath, sizeof kpath), i + 1, tl->n);
            for (int k = 0; rates[k]; k++)
                if (get_key(&s, rates[k]))
                    error_at(c, get_key(&s, rates[k]), "%s: the residual tranche has no %s (it receives what is left)",
                             key_path(&s, rates[k], kpath, sizeof kpath), rates[k]);
            if (t->deferrable)
                error_at(c, get(&s, "deferrable"), "%s: the residual tranche cannot be deferrable",
                         key_path(&s, "deferrable", kpath, sizeof kpath));
            continue;
        }
        int rk = one_of(&s, rates, 1, "a coupon (fixed) or a spread (floating)");
        if (rk == 0)
            get_num(&s, "coupon", &t->coupon, 0.0, 1, &R_PROB);
        if (rk == 1) {
            t->floating = 1;
            get_num(&s, "spread", &t->spread, 0.0, 1, &R_RATE);
        }
    }
    if (c->nerrors != before)
        return;
    int has_residual = st->tranches[st->ntranches - 1].residual;
    if (has_residual && st->ntranches == 1) {
        error_at(c, tl, "%s.tranches: at least one note (a tranche that is not residual) is required", st_sect->path);
        return;
    }
    if (!c->pool_ok)
        return;
    double pool = absim_deal_pool_balance(d), notes = 0.0, all = 0.0;
    for (int i = 0; i < st->ntranches; i++) {
        all += st->tranches[i].balance;
        if (!st->tranches[i].residual)
            notes += st->tranches[i].balance;
    }
    if (!has_residual && fabs(all - pool) > 1e-9 * pool)
        error_at(c, tl,
                 "%s.tranches: tranche balances sum to %.15g but the pool balance is %.15g (they must be equal "
                 "unless a residual tranche absorbs the difference)",
                 st_sect->path, all, pool);
    if (has_residual && notes > pool * (1.0 + 1e-9))
        error_at(c, tl, "%s.tranches: note balances sum to %.15g, more than the pool balance %.15g", st_sect->path,
                 notes, pool);
}

static void parse_triggers(const sect *st_sect)
{
    static const char *const keys[] = {"type", "tranche", "threshold", NULL};
    static const char *const types[] = {"oc", "ic", "cumulative_loss", NULL};
    ctx *c = st_sect->c;
    absim_structure *st = &c->deal->structure;
    const node *tl = list_at(st_sect, "triggers", 0, MAX_TRIGGERS, "triggers");
    if (!tl || tl->n == 0)
        return;
    st->triggers = calloc((size_t)tl->n, sizeof *st->triggers);
    if (!st->triggers) {
        c->nomem = 1;
        return;
    }
    st->ntriggers = tl->n;
    for (int i = 0; i < tl->n; i++) {
        absim_trigger *tr = &st->triggers[i];
        char path[200], kpath[192];
        sect s;
        tr->tranche = -1;
        snprintf(path, sizeof path, "%s.triggers[%d]", st_sect->path, i);
        if (open_map(st_sect, NULL, tl->item[i], path, &s) < 0)
            continue;
        check_keys(&s, keys);
        if (!get(&s, "type")) {
            missing(&s, "type", "oc, ic or cumulative_loss");
            continue;
        }
        int type = get_choice(&s, "type", types, 0);
        if (type < 0)
            continue;
        tr->type = (absim_trigger_type)type;
        const node *tv = get(&s, "tranche");
        key_path(&s, "tranche", kpath, sizeof kpath);
        if (type == ABSIM_TRIGGER_CUMLOSS) {
            if (tv)
                error_at(c, get_key(&s, "tranche"), "%s: a cumulative_loss trigger tests the pool, not a tranche", kpath);
            get_num(&s, "threshold", &tr->threshold, 0.0, 1, &R_HALF_OPEN);
            continue;
        }
        if (!tv)
            missing(&s, "tranche", "the note whose coverage is tested");
        else if (expect_scalar(c, tv, kpath, "a tranche name") == 0 && st->ntranches > 0)
            tr->tranche = tranche_ref(c, tv, kpath, 1);
        get_num(&s, "threshold", &tr->threshold, 0.0, 1, &(range){0.0, 1000.0, 1, 0});
    }
}

static void parse_structure(const sect *root)
{
    static const char *const keys[] = {"fees", "reserve_account", "principal", "oc_target", "tranches",
                                       "triggers", "clean_up_call", NULL};
    static const char *const rules[] = {"sequential", "pro_rata", NULL};
    static const char *const reserve_keys[] = {"initial", "target", NULL};
    ctx *c = root->c;
    absim_structure *st = &c->deal->structure;
    sect s, res;

    if (section(root, "structure", &s) == 0)
        missing(root, "structure", "a mapping with tranches");
    check_keys(&s, keys);
    parse_fees(&s);
    if (section(&s, "reserve_account", &res) > 0) {
        check_keys(&res, reserve_keys);
        st->has_reserve = 1;
        get_num(&res, "initial", &st->reserve_initial, 0.0, 0, &R_PROB);
        get_num(&res, "target", &st->reserve_target, 0.0, 0, &R_PROB);
    }
    int rule = get_choice(&s, "principal", rules, 0);
    st->principal = rule == 1 ? ABSIM_PRINCIPAL_PRO_RATA : ABSIM_PRINCIPAL_SEQUENTIAL;
    get_num(&s, "oc_target", &st->oc_target, 0.0, 0, &R_FRACTION);
    get_num(&s, "clean_up_call", &st->clean_up_call, 0.0, 0, &R_FRACTION);
    parse_tranches(&s);
    parse_triggers(&s);
}

static void parse_isolation(const sect *root)
{
    static const char *const keys[] = {"true_sale", "originator_pd", "originator_loading", "commingling_days",
                                       "backup_servicer_fee", "stay_periods", "estate_recovery", NULL};
    absim_isolation *iso = &root->c->deal->isolation;
    sect s;
    int64_t v;

    if (section(root, "isolation", &s) <= 0)
        return;
    check_keys(&s, keys);
    iso->enabled = 1;
    get_bool(&s, "true_sale", &iso->true_sale, 1);
    get_num(&s, "originator_pd", &iso->originator_pd, 0.0, 0, &R_PROB);
    get_num(&s, "originator_loading", &iso->originator_loading, 0.0, 0, &R_FRACTION);
    get_num(&s, "commingling_days", &iso->commingling_days, 0.0, 0, &(range){0.0, 36500.0, 0, 0});
    get_num(&s, "backup_servicer_fee", &iso->backup_servicer_fee, 0.0, 0, &R_PROB);
    if (get_int(&s, "stay_periods", &v, 0, 0, 0, MAX_PERIODS) >= 0)
        iso->stay_periods = (int)v;
    get_num(&s, "estate_recovery", &iso->estate_recovery, 1.0, 0, &R_PROB);
}

/* Scenario map {sector: value} into per-sector array `out`. */
static void sector_values(const sect *sc, const node *map, const char *path, const range *r, double *out)
{
    ctx *c = sc->c;
    for (int i = 0; i < map->n; i++) {
        const node *k = map->key[i];
        char kpath[220];
        snprintf(kpath, sizeof kpath, "%s.%s", path, k->text);
        int idx = sector_ref(c, k, path);
        double x;
        if (node_num(c, map->item[i], kpath, r, &x) == 0 && idx >= 0)
            out[idx] = x;
    }
}

static void parse_scenario(const sect *list_sect, const node *item, int i, absim_scenario *sc)
{
    static const char *const keys[] = {"name", "pd_multiplier", "recovery_haircut", "cpr_multiplier", "rate_shift",
                                       "systematic", "sectors", "cdr", "sda", NULL};
    static const char *const laws[] = {"cdr", "sda", NULL};
    static const range mult = {0.0, 1e6, 0, 0};
    ctx *c = list_sect->c;
    absim_deal *d = c->deal;
    char path[200], kpath[192];
    sect s;

    snprintf(path, sizeof path, "scenarios[%d]", i);
    if (open_map(list_sect, NULL, item, path, &s) < 0)
        return;
    check_keys(&s, keys);
    const node *name = get(&s, "name");
    if (!name) {
        missing(&s, "name", "the scenario's name");
    } else if (node_name(c, name, key_path(&s, "name", kpath, sizeof kpath), sc->name, sizeof sc->name) == 0) {
        if (strcmp(sc->name, "base") == 0)
            error_at(c, name, "%s: 'base' is reserved for the unstressed case", kpath);
        for (int j = 0; j < i; j++)
            if (strcmp(d->scenarios[j].name, sc->name) == 0) {
                error_at(c, name, "%s: duplicate scenario name '%s'", kpath, sc->name);
                break;
            }
    }
    const node *pm = get(&s, "pd_multiplier");
    key_path(&s, "pd_multiplier", kpath, sizeof kpath);
    if (pm && pm->kind == NODE_MAP) {
        sector_values(&s, pm, kpath, &mult, sc->pd_multiplier);
    } else if (pm) {
        double x = 1.0;
        if (node_num(c, pm, kpath, &mult, &x) == 0)
            for (int k = 0; k < d->nsectors; k++)
                sc->pd_multiplier[k] = x;
    }
    get_num(&s, "recovery_haircut", &sc->recovery_haircut, 0.0, 0, &R_PROB);
    get_num(&s, "cpr_multiplier", &sc->cpr_multiplier, 1.0, 0, &mult);
    get_num(&s, "rate_shift", &sc->rate_shift, 0.0, 0, &R_RATE);
    int sys_ok = get_num(&s, "systematic", &sc->systematic, -1.0, 0, &R_FRACTION) >= 0;
    sect sec;
    if (section(&s, "sectors", &sec) > 0)
        sector_values(&s, sec.map, sec.path, &R_FRACTION, sc->sector_loading);
    int law = one_of(&s, laws, 0, "one law override: cdr or sda");
    if (law == 0 && get_num(&s, "cdr", &sc->law_override_value, -1.0, 1, &R_PROB) > 0)
        sc->law_override = ABSIM_LAW_CDR;
    if (law == 1 && get_num(&s, "sda", &sc->law_override_value, -1.0, 1, &(range){0.0, 100000.0, 0, 0}) > 0)
        sc->law_override = ABSIM_LAW_SDA;
    if (!sys_ok)
        return;
    double sys = sc->systematic >= 0 ? sc->systematic : d->correlation.systematic;
    for (int k = 0; k < d->nsectors; k++) {
        double b2 = sc->sector_loading[k] >= 0 ? sc->sector_loading[k] : d->sector_loading[k];
        if (sector_used(d, k) && !(sys + b2 < 1.0)) {
            error_at(c, s.at, "%s: systematic (%g) + sector %s (%g) = %g must be < 1", path, sys, d->sectors[k], b2,
                     sys + b2);
            break;
        }
    }
}

static void parse_scenarios(const sect *root)
{
    ctx *c = root->c;
    absim_deal *d = c->deal;
    const node *sl = list_at(root, "scenarios", 0, MAX_SCENARIOS, "scenarios");
    if (!sl || sl->n == 0)
        return;
    d->scenarios = calloc((size_t)sl->n, sizeof *d->scenarios);
    if (!d->scenarios) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < sl->n; i++) {
        if (absim_scenario_init_base(&d->scenarios[i], d) != ABSIM_OK) {
            c->nomem = 1;
            return;
        }
        d->nscenarios++;
        d->scenarios[i].name[0] = '\0';
        parse_scenario(root, sl->item[i], i, &d->scenarios[i]);
    }
}

static void parse_rating(const sect *root)
{
    static const char *const keys[] = {"scale", NULL};
    ctx *c = root->c;
    absim_deal *d = c->deal;
    sect s;
    char path[192], rel[MAX_PATH], full[MAX_PATH];

    d->rating_scale[0] = '\0';
    if (section(root, "rating", &s) <= 0)
        return;
    check_keys(&s, keys);
    const node *v = get(&s, "scale");
    key_path(&s, "scale", path, sizeof path);
    if (!v) {
        missing(&s, "scale", "the path of a rating scale CSV");
        return;
    }
    if (node_text(c, v, path, rel, sizeof rel) < 0)
        return;
    if (rel[0] && c->base_dir && rel[0] != '/' && join_path(c->base_dir, rel, full, sizeof full) == 0 &&
        readable(full)) {
        /* found next to the config */
    } else if (rel[0] && readable(rel)) {
        snprintf(full, sizeof full, "%s", rel);
    } else {
        error_at(c, v, "%s: cannot read rating scale '%s' (looked next to the config and in the current directory)",
                 path, rel);
        return;
    }
    if (strlen(full) >= sizeof d->rating_scale) {
        error_at(c, v, "%s: path too long", path);
        return;
    }
    snprintf(d->rating_scale, sizeof d->rating_scale, "%s", full);
}

/* ------------------------------------------------------------- public */

int absim_config_load_string(absim_deal *deal, const char *text, size_t len, const char *name,
                             const char *base_dir, FILE *err)
{
    ctx c = {0};
    node *root = NULL;
    char *tape_buf = NULL;
    size_t tape_len = 0;
    FILE *tape_err = NULL;
    int rc = ABSIM_OK;

    memset(deal, 0, sizeof *deal);
    c.name = name ? name : "<config>";
    c.base_dir = base_dir;
    c.text = text;
    c.len = text ? len : 0;
    c.deal = deal;
    tape_err = open_memstream(&tape_buf, &tape_len);
    if (!tape_err) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    deal->sectors = malloc(sizeof *deal->sectors);
    deal->sector_loading = malloc(sizeof *deal->sector_loading);
    if (!deal->sectors || !deal->sector_loading) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    strcpy(deal->sectors[0], "general");
    deal->sector_loading[0] = 0.0;
    deal->nsectors = 1;

    root = parse_tree(&c);
    if (root) {
        sect top = {&c, NULL, root, ""};
        const node *is_tranche = NULL;
        char shown[64];
        if (root->kind != NODE_MAP) {
            error_at(&c, root, "expected a mapping of sections (deal, pool, structure, ...), got %s",
                     show(root, shown, sizeof shown));
        } else {
            top.map = root;
            check_keys(&top, root_keys);
            parse_deal(&top);
            parse_simulation(&top, &is_tranche);
            parse_rates(&top);
            parse_pool(&top, tape_err);
            parse_correlation(&top);
            parse_structure(&top);
            if (is_tranche && deal->structure.ntranches > 0) {
                int t = tranche_ref(&c, is_tranche, "simulation.importance_sampling.tranche", 0);
                deal->sim.is_tranche = t;
            }
            parse_isolation(&top);
            parse_scenarios(&top);
            parse_rating(&top);
        }
    }
    if (c.nomem) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    if (c.nerrors > 0 || c.tape_failed) {
        rc = ABSIM_ECONFIG;
        goto cleanup;
    }
    deal->config_text = malloc(c.len + 1);
    deal->source_path = strdup(c.name);
    if (!deal->config_text || !deal->source_path) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    if (c.len)
        memcpy(deal->config_text, text, c.len);
    deal->config_text[c.len] = '\0';

cleanup:
    if (tape_err)
        fclose(tape_err);
    flush_diags(&c, err);
    if (err && tape_buf && tape_len)
        fwrite(tape_buf, 1, tape_len, err);
    if (err && rc == ABSIM_ENOMEM)
        fprintf(err, "%s: error: out of memory\n", c.name);
    free(tape_buf);
    node_free(root);
    if (rc != ABSIM_OK)
        absim_deal_free(deal);
    return rc;
}

int absim_config_load(absim_deal *deal, const char *path, FILE *err)
{
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    int rc = ABSIM_OK;

    memset(deal, 0, sizeof *deal);
    rc = absim_textfile_read(path, "config", MAX_FILE_BYTES, &text, &len, err);
    if (rc != ABSIM_OK)
        goto cleanup;
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        dir = malloc(n + 2);
        if (!dir) {
            rc = ABSIM_ENOMEM;
            goto cleanup;
        }
        if (n == 0)
            strcpy(dir, "/");
        else {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    rc = absim_config_load_string(deal, text, len, path, dir, err);

cleanup:
    free(text);
    free(dir);
    return rc;
}
