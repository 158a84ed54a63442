/* yamltree.c -- YAML text to a node tree, and strict typed reading of it.
 *
 * libyaml's event API builds a small tree (scalars, lists, mappings) in
 * which every node keeps the 1-based line and column where it starts;
 * duplicate keys, aliases and syntax errors are reported there. Readers
 * then take typed values out of the tree (numbers in a range, integers,
 * booleans, strings, choices; mappings as sections with unknown-key and
 * missing-key checks, with "did you mean" hints). Problems are collected
 * in the absim_yaml_doc, sorted by position and printed as
 * "FILE:LINE:COL: error: KEY.PATH: MESSAGE". Invariants: the tree owns all
 * of its strings; no input makes the parser crash, recurse without bound
 * or allocate without bound (nesting and the number of nodes are capped). */
#define _POSIX_C_SOURCE 200809L

#include "yamltree.h"
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

#define MAX_DEPTH 64          /* nesting of lists and mappings */
#define MAX_ERRORS 200        /* messages printed; the rest are counted */
#define MAX_NODES 4000000  /* scalars, lists and mappings in one file */

/* ---------------------------------------------------------------- tree */

void absim_yaml_node_free(absim_yaml_node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        if (n->key)
            absim_yaml_node_free(n->key[i]);
        absim_yaml_node_free(n->item[i]);
    }
    free(n->key);
    free(n->item);
    free(n->text);
    free(n);
}

static absim_yaml_node *node_new(absim_yaml_doc *c, absim_yaml_kind kind, yaml_mark_t mark)
{
    absim_yaml_node *n = calloc(1, sizeof *n);
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
static int node_push(absim_yaml_doc *c, absim_yaml_node *parent, absim_yaml_node *key, absim_yaml_node *value)
{
    if (parent->n == parent->cap) {
        int cap = parent->cap ? 2 * parent->cap : 4;
        absim_yaml_node **items = realloc(parent->item, (size_t)cap * sizeof *items);
        if (!items)
            goto fail;
        parent->item = items;
        if (parent->kind == ABSIM_YAML_MAP) {
            absim_yaml_node **keys = realloc(parent->key, (size_t)cap * sizeof *keys);
            if (!keys)
                goto fail;
            parent->key = keys;
        }
        parent->cap = cap;
    }
    if (parent->kind == ABSIM_YAML_MAP)
        parent->key[parent->n] = key;
    parent->item[parent->n++] = value;
    return 0;
fail:
    c->nomem = 1;
    absim_yaml_node_free(key);
    absim_yaml_node_free(value);
    return -1;
}


/* ---------------------------------------------------------- messages */

static void add_diag(absim_yaml_doc *c, int line, int col, const char *fmt, va_list ap)
{
    char msg[768];
    c->nerrors++;
    if (c->ndiags >= MAX_ERRORS)
        return;
    if (c->ndiags == c->capdiags) {
        int cap = c->capdiags ? 2 * c->capdiags : 16;
        absim_yaml_diag *d = realloc(c->diags, (size_t)cap * sizeof *d);
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
    c->diags[c->ndiags++] = (absim_yaml_diag){line, col, c->ndiags, text};
}

void absim_yaml_error_at(absim_yaml_doc *c, const absim_yaml_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(c, at ? at->line : 1, at ? at->col : 1, fmt, ap);
    va_end(ap);
}

void absim_yaml_error_mark(absim_yaml_doc *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(c, line, col, fmt, ap);
    va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
    const absim_yaml_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void absim_yaml_flush(absim_yaml_doc *c, FILE *err)
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
const char *absim_yaml_show(const absim_yaml_node *v, char *buf, size_t cap)
{
    if (!v)
        return "nothing";
    if (v->kind == ABSIM_YAML_LIST)
        return "a list";
    if (v->kind == ABSIM_YAML_MAP)
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

void absim_yaml_match_try(absim_yaml_matcher *m, const char *cand)
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
const char *absim_yaml_hint(const absim_yaml_matcher *m, char *buf, size_t cap)
{
    if (!m->best)
        return "";
    snprintf(buf, cap, " (did you mean '%s'?)", m->best);
    return buf;
}

const char *absim_yaml_hint_list(const char *word, const char *const *cands, char *buf, size_t cap)
{
    absim_yaml_matcher m = {word, NULL, SIZE_MAX};
    for (int i = 0; cands[i]; i++)
        absim_yaml_match_try(&m, cands[i]);
    return absim_yaml_hint(&m, buf, cap);
}


/* ----------------------------------------------------------- parsing */

static void syntax_error(absim_yaml_doc *c, const yaml_parser_t *p)
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
        absim_yaml_error_mark(c, line, col, "YAML syntax error: %s", problem);
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
        absim_yaml_error_mark(c, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1,
                              "YAML syntax error: %s (%s started here; detected at line %d, column %d)", problem,
                              p->context, line, col);
    } else if (p->context) {
        absim_yaml_error_mark(c, line, col, "YAML syntax error: %s (%s started at line %d, column %d)", problem,
                              p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        absim_yaml_error_mark(c, line, col, "YAML syntax error: %s", problem);
    }
}

static int next_event(absim_yaml_doc *c, yaml_parser_t *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(p, ev)) {
        syntax_error(c, p);
        return -1;
    }
    return 0;
}

int absim_yaml_is_null(const absim_yaml_node *v)
{
    return v && v->kind == ABSIM_YAML_SCALAR && !v->quoted &&
           (v->len == 0 || strcmp(v->text, "~") == 0 || strcmp(v->text, "null") == 0 ||
            strcmp(v->text, "Null") == 0 || strcmp(v->text, "NULL") == 0);
}

/* Build the node that starts with `ev` (which this function deletes).
 * Returns NULL after reporting an error (fatal for the document). */
static absim_yaml_node *build(absim_yaml_doc *c, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
    absim_yaml_node *n = NULL;
    yaml_event_t sub;
    char shown[64];

    if (++c->nnodes > MAX_NODES) {
        absim_yaml_error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                              "the %s has more than %d values", c->what, MAX_NODES);
        goto fail;
    }
    if (depth > MAX_DEPTH) {
        absim_yaml_error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                              "nesting deeper than %d levels", MAX_DEPTH);
        goto fail;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(c, ABSIM_YAML_SCALAR, ev->start_mark);
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
        absim_yaml_error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                              "YAML aliases (*%s) are not supported; write the value out",
                              (const char *)ev->data.alias.anchor);
        goto fail;
    case YAML_SEQUENCE_START_EVENT:
        n = node_new(c, ABSIM_YAML_LIST, ev->start_mark);
        if (!n)
            goto fail;
        for (;;) {
            if (next_event(c, p, &sub) < 0)
                goto fail;
            if (sub.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&sub);
                break;
            }
            absim_yaml_node *item = build(c, p, &sub, depth + 1);
            if (!item || node_push(c, n, NULL, item) < 0)
                goto fail;
        }
        break;
    case YAML_MAPPING_START_EVENT:
        n = node_new(c, ABSIM_YAML_MAP, ev->start_mark);
        if (!n)
            goto fail;
        for (;;) {
            if (next_event(c, p, &sub) < 0)
                goto fail;
            if (sub.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&sub);
                break;
            }
            absim_yaml_node *key = build(c, p, &sub, depth + 1);
            if (!key)
                goto fail;
            if (next_event(c, p, &sub) < 0) {
                absim_yaml_node_free(key);
                goto fail;
            }
            absim_yaml_node *value = build(c, p, &sub, depth + 1);
            if (!value) {
                absim_yaml_node_free(key);
                goto fail;
            }
            if (key->kind != ABSIM_YAML_SCALAR || strlen(key->text) != key->len) {
                absim_yaml_error_at(c, key, "mapping keys must be plain strings");
                absim_yaml_node_free(key);
                absim_yaml_node_free(value);
                continue;
            }
            const absim_yaml_node *first = NULL;
            for (int i = 0; i < n->n && !first; i++)
                if (strcmp(n->key[i]->text, key->text) == 0)
                    first = n->key[i];
            if (first) {
                absim_yaml_error_at(c, key, "duplicate key %s (first given at line %d, column %d)",
                                    absim_yaml_show(key, shown, sizeof shown), first->line, first->col);
                absim_yaml_node_free(key);
                absim_yaml_node_free(value);
                continue;
            }
            if (node_push(c, n, key, value) < 0)
                goto fail;
        }
        break;
    default:
        absim_yaml_error_mark(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, "unexpected YAML event");
        goto fail;
    }
    yaml_event_delete(ev);
    return n;
fail:
    yaml_event_delete(ev);
    absim_yaml_node_free(n);
    return NULL;
}

absim_yaml_node *absim_yaml_parse(absim_yaml_doc *c, int *empty)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    absim_yaml_node *root = NULL;

    *empty = 1;

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
        if (type == YAML_DOCUMENT_START_EVENT && !*empty) {
            absim_yaml_error_mark(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                                  "only one YAML document is allowed in a %s", c->what);
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
            *empty = 0;
            continue;
        }
        yaml_event_delete(&ev); /* stream start, document end */
    }
    yaml_parser_delete(&parser);
    return root;
fail:
    *empty = 0;
    yaml_parser_delete(&parser);
    absim_yaml_node_free(root);
    return NULL;
}


/* ------------------------------------------------------- value checks */

const char *absim_yaml_range_text(const absim_yaml_range *r, char *buf, size_t cap)
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

static int in_range(double x, const absim_yaml_range *r)
{
    if (r->lo_open ? !(x > r->lo) : !(x >= r->lo))
        return 0;
    if (r->hi_open ? !(x < r->hi) : !(x <= r->hi))
        return 0;
    return 1;
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
int absim_yaml_expect_scalar(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, const char *what)
{
    char shown[64];
    if (absim_yaml_is_null(v)) {
        absim_yaml_error_at(c, v, "%s: missing value (expected %s)", path, what);
        return -1;
    }
    if (v->kind != ABSIM_YAML_SCALAR) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s", path, what, absim_yaml_show(v, shown, sizeof shown));
        return -1;
    }
    return 0;
}

int absim_yaml_num(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, const absim_yaml_range *r,
                   double *out)
{
    char shown[64], what[64];
    absim_yaml_range_text(r, what, sizeof what);
    if (absim_yaml_expect_scalar(c, v, path, what) < 0)
        return -1;
    if (v->quoted || strlen(v->text) != v->len || !absim_text_is_number(v->text)) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s%s", path, what, absim_yaml_show(v, shown, sizeof shown),
                            v->quoted && absim_text_is_number(v->text) ? " (a quoted string; remove the quotes)" : "");
        return -1;
    }
    errno = 0;
    double x = strtod(v->text, NULL);
    if (!isfinite(x) || errno == ERANGE) {
        if (x != 0.0 || !isfinite(x)) {
            absim_yaml_error_at(c, v, "%s: number %s is out of the representable range", path,
                                absim_yaml_show(v, shown, sizeof shown));
            return -1;
        }
    }
    if (!in_range(x, r)) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s", path, what, v->text);
        return -1;
    }
    *out = x;
    return 0;
}

int absim_yaml_int(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    char shown[64], what[96];
    if (hi == INT64_MAX)
        snprintf(what, sizeof what, "an integer >= %lld", (long long)lo);
    else
        snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    if (absim_yaml_expect_scalar(c, v, path, what) < 0)
        return -1;
    if (v->quoted || strlen(v->text) != v->len || !is_integer_token(v->text)) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s", path, what, absim_yaml_show(v, shown, sizeof shown));
        return -1;
    }
    errno = 0;
    long long x = strtoll(v->text, NULL, 10);
    if (errno == ERANGE || x < lo || x > hi) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s", path, what, absim_yaml_show(v, shown, sizeof shown));
        return -1;
    }
    *out = (int64_t)x;
    return 0;
}

int absim_yaml_u64(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, uint64_t *out)
{
    char shown[64];
    const char *what = "an integer in [0, 18446744073709551615]";
    if (absim_yaml_expect_scalar(c, v, path, what) < 0)
        return -1;
    const char *s = v->text;
    if (*s == '+')
        s++;
    if (v->quoted || strlen(v->text) != v->len || !*s || strspn(s, "0123456789") != strlen(s)) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s", path, what, absim_yaml_show(v, shown, sizeof shown));
        return -1;
    }
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno == ERANGE) {
        absim_yaml_error_at(c, v, "%s: expected %s, got %s", path, what, absim_yaml_show(v, shown, sizeof shown));
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

int absim_yaml_bool(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, int *out)
{
    char shown[64];
    if (absim_yaml_expect_scalar(c, v, path, "true or false") < 0)
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
    absim_yaml_error_at(c, v, "%s: expected true or false, got %s", path, absim_yaml_show(v, shown, sizeof shown));
    return -1;
}

/* Free text (deal name, paths): a scalar without control characters. */
int absim_yaml_text(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, char *out, size_t cap)
{
    char shown[64];
    if (absim_yaml_expect_scalar(c, v, path, "a string") < 0)
        return -1;
    if (strlen(v->text) != v->len) {
        absim_yaml_error_at(c, v, "%s: the string contains a NUL character", path);
        return -1;
    }
    for (size_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)v->text[i];
        if (ch < 0x20 || ch == 0x7f) {
            absim_yaml_error_at(c, v, "%s: the string %s contains a control character", path,
                                absim_yaml_show(v, shown, sizeof shown));
            return -1;
        }
    }
    if (v->len >= cap) {
        absim_yaml_error_at(c, v, "%s: the string is too long (%zu bytes; at most %zu)", path, v->len, cap - 1);
        return -1;
    }
    memcpy(out, v->text, v->len + 1);
    return 0;
}

/* Index of `v`'s text in `options` (NULL-terminated), or -1 (reported). */
int absim_yaml_choice(absim_yaml_doc *c, const absim_yaml_node *v, const char *path, const char *const *options)
{
    char shown[64], list[256] = "", hbuf[96];
    size_t o = 0;
    for (int i = 0; options[i]; i++)
        o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, "%s%s", i ? ", " : "", options[i]);
    if (absim_yaml_expect_scalar(c, v, path, "a string") < 0)
        return -1;
    for (int i = 0; options[i] && !v->quoted; i++)
        if (strcmp(v->text, options[i]) == 0)
            return i;
    for (int i = 0; options[i] && v->quoted; i++)
        if (strcmp(v->text, options[i]) == 0)
            return i;
    absim_yaml_error_at(c, v, "%s: expected one of %s, got %s%s", path, list, absim_yaml_show(v, shown, sizeof shown),
                        absim_yaml_hint_list(v->text, options, hbuf, sizeof hbuf));
    return -1;
}


/* ----------------------------------------------------------- sections */

const char *absim_yaml_key_path(const absim_yaml_sect *s, const char *key, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", s->path, s->path[0] ? "." : "", key);
    return buf;
}

const absim_yaml_node *absim_yaml_get(const absim_yaml_sect *s, const char *key)
{
    if (!s->map)
        return NULL;
    for (int i = 0; i < s->map->n; i++)
        if (strcmp(s->map->key[i]->text, key) == 0)
            return s->map->item[i];
    return NULL;
}

const absim_yaml_node *absim_yaml_get_key(const absim_yaml_sect *s, const char *key)
{
    if (!s->map)
        return NULL;
    for (int i = 0; i < s->map->n; i++)
        if (strcmp(s->map->key[i]->text, key) == 0)
            return s->map->key[i];
    return NULL;
}

void absim_yaml_missing(const absim_yaml_sect *s, const char *key, const char *what)
{
    if (s->path[0])
        absim_yaml_error_at(s->doc, s->at, "%s: missing required key '%s' (%s)", s->path, key, what);
    else
        absim_yaml_error_at(s->doc, s->at, "missing required section '%s' (%s)", key, what);
}

/* Report keys of the map that are not in `allowed`. */
void absim_yaml_check_keys(const absim_yaml_sect *s, const char *const *allowed)
{
    char shown[64], hbuf[96];
    if (!s->map)
        return;
    for (int i = 0; i < s->map->n; i++) {
        const absim_yaml_node *k = s->map->key[i];
        int known = 0;
        for (int j = 0; allowed[j] && !known; j++)
            known = strcmp(k->text, allowed[j]) == 0;
        if (known)
            continue;
        if (s->path[0])
            absim_yaml_error_at(s->doc, k, "%s: unknown key %s%s", s->path, absim_yaml_show(k, shown, sizeof shown),
                                absim_yaml_hint_list(k->text, allowed, hbuf, sizeof hbuf));
        else
            absim_yaml_error_at(s->doc, k, "unknown top-level key %s%s", absim_yaml_show(k, shown, sizeof shown),
                                absim_yaml_hint_list(k->text, allowed, hbuf, sizeof hbuf));
    }
}

/* Open the mapping under `key` (or an item when key is NULL). Returns 1 if
 * present and a mapping, 0 if absent (child->map NULL), -1 on a type error. */
int absim_yaml_open_map(const absim_yaml_sect *parent, const char *key, const absim_yaml_node *v, const char *path,
                        absim_yaml_sect *child)
{
    char shown[64];
    child->doc = parent->doc;
    child->user = parent->user;
    child->map = NULL;
    child->at = v ? v : parent->at;
    snprintf(child->path, sizeof child->path, "%s", path);
    (void)key;
    if (!v)
        return 0;
    if (v->kind != ABSIM_YAML_MAP) {
        if (absim_yaml_is_null(v))
            absim_yaml_error_at(parent->doc, v, "%s: missing value (expected a mapping)", path);
        else
            absim_yaml_error_at(parent->doc, v, "%s: expected a mapping, got %s", path,
                                absim_yaml_show(v, shown, sizeof shown));
        return -1;
    }
    child->map = v;
    return 1;
}

int absim_yaml_section(const absim_yaml_sect *parent, const char *key, absim_yaml_sect *child)
{
    char path[192];
    return absim_yaml_open_map(parent, key, absim_yaml_get(parent, key),
                               absim_yaml_key_path(parent, key, path, sizeof path), child);
}

const absim_yaml_node *absim_yaml_list_at(const absim_yaml_sect *s, const char *key, int min, int max, const char *what)
{
    char path[192], shown[64];
    const absim_yaml_node *v = absim_yaml_get(s, key);
    absim_yaml_key_path(s, key, path, sizeof path);
    if (!v)
        return NULL;
    if (v->kind != ABSIM_YAML_LIST) {
        absim_yaml_error_at(s->doc, v, "%s: expected a list of %s, got %s", path, what,
                            absim_yaml_is_null(v) ? "nothing" : absim_yaml_show(v, shown, sizeof shown));
        return NULL;
    }
    if (v->n < min || v->n > max) {
        absim_yaml_error_at(s->doc, v, "%s: expected %d to %d %s, got %d", path, min, max, what, v->n);
        return NULL;
    }
    return v;
}

/* Optional/required typed keys: 1 = present and valid, 0 = absent
 * (default stored), -1 = error reported. */
int absim_yaml_get_num(const absim_yaml_sect *s, const char *key, double *out, double def, int required,
                       const absim_yaml_range *r)
{
    char path[192], what[64];
    const absim_yaml_node *v = absim_yaml_get(s, key);
    *out = def;
    if (!v) {
        if (required)
            absim_yaml_missing(s, key, absim_yaml_range_text(r, what, sizeof what));
        return required ? -1 : 0;
    }
    return absim_yaml_num(s->doc, v, absim_yaml_key_path(s, key, path, sizeof path), r, out) < 0 ? -1 : 1;
}

int absim_yaml_get_int(const absim_yaml_sect *s, const char *key, int64_t *out, int64_t def, int required, int64_t lo,
                       int64_t hi)
{
    char path[192];
    const absim_yaml_node *v = absim_yaml_get(s, key);
    *out = def;
    if (!v) {
        if (required)
            absim_yaml_missing(s, key, "an integer");
        return required ? -1 : 0;
    }
    return absim_yaml_int(s->doc, v, absim_yaml_key_path(s, key, path, sizeof path), lo, hi, out) < 0 ? -1 : 1;
}

int absim_yaml_get_bool(const absim_yaml_sect *s, const char *key, int *out, int def)
{
    char path[192];
    const absim_yaml_node *v = absim_yaml_get(s, key);
    *out = def;
    if (!v)
        return 0;
    return absim_yaml_bool(s->doc, v, absim_yaml_key_path(s, key, path, sizeof path), out) < 0 ? -1 : 1;
}

int absim_yaml_get_choice(const absim_yaml_sect *s, const char *key, const char *const *options, int def)
{
    char path[192];
    const absim_yaml_node *v = absim_yaml_get(s, key);
    if (!v)
        return def;
    return absim_yaml_choice(s->doc, v, absim_yaml_key_path(s, key, path, sizeof path), options);
}


/* Exactly one of `keys` present: its index, -1 none (reported if
 * required), -2 several (reported). */
int absim_yaml_one_of(const absim_yaml_sect *s, const char *const *keys, int required, const char *what)
{
    char path[192];
    int found = -1;
    for (int i = 0; keys[i]; i++) {
        const absim_yaml_node *k = absim_yaml_get_key(s, keys[i]);
        if (!k)
            continue;
        if (found >= 0) {
            absim_yaml_error_at(s->doc, k, "%s: '%s' and '%s' are mutually exclusive (give %s)",
                                absim_yaml_key_path(s, keys[i], path, sizeof path), keys[found], keys[i], what);
            return -2;
        }
        found = i;
    }
    if (found < 0 && required)
        absim_yaml_error_at(s->doc, s->at, "%s: missing %s", s->path, what);
    return found;
}

