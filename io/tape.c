/* tape.c -- loan tapes: CSV files of one loan a row, read with libcsv.
 *
 * The text is fed to libcsv one physical line at a time so that every row
 * knows its line number in the file (header = 1). '#' comment lines and
 * blank lines before the header are skipped. Each data row is checked
 * field by field (strict numbers, ranges, names) and becomes one absim_line;
 * problems are collected, sorted by row and printed as
 * "FILE:ROW: error: column 'x': MESSAGE". The deal is changed only when the
 * whole tape is valid: on failure its lines and sectors are as before. */
#define _POSIX_C_SOURCE 200809L

#include "tape.h"
#include "textfile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

/* Key paths and messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include "../kernels/status.h"

#define MAX_ERRORS 200
#define MAX_FIELDS 64
#define MAX_ROWS 1000000
#define MAX_FIELD_BYTES 1024
#define MAX_FILE_BYTES (512L << 20)

typedef enum {
    COL_ID, COL_BALANCE, COL_COUPON, COL_SPREAD, COL_TERM, COL_AMORT, COL_PD, COL_CDR, COL_RECOVERY,
    COL_SECTOR, COL_RSTDEV, COL_RLAG, COL_CPR, COL_COUNT, NCOLS
} column;

static const char *const column_names[] = {"id", "balance", "coupon", "spread", "term", "amortization", "pd",
                                           "cdr", "recovery", "sector", "recovery_stdev", "recovery_lag", "cpr",
                                           "count", NULL};

typedef struct {
    int row;
    long seq;
    char *text;
} message;

typedef struct {
    const char *name;
    absim_deal *deal;
    message *msgs;
    int nmsgs, capmsgs, nerrors;
    int nomem, stop;
    int line;                     /* physical line being fed */
    int row;                      /* line where the current row started */
    char *field[MAX_FIELDS];      /* current row's fields (NUL-terminated) */
    int nfields, too_many;
    int header_done, header_row;
    int ncols;                    /* columns in the header */
    int col_of[NCOLS];            /* header position of each known column, -1 */
    absim_line *lines;
    int nlines, caplines;
} tape;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void report(tape *t, int row, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    t->nerrors++;
    if (t->nmsgs >= MAX_ERRORS)
        return;
    if (t->nmsgs == t->capmsgs) {
        int cap = t->capmsgs ? 2 * t->capmsgs : 16;
        message *m = realloc(t->msgs, (size_t)cap * sizeof *m);
        if (!m) {
            t->nomem = 1;
            return;
        }
        t->msgs = m;
        t->capmsgs = cap;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char *copy = strdup(text);
    if (!copy) {
        t->nomem = 1;
        return;
    }
    t->msgs[t->nmsgs] = (message){row, t->nmsgs, copy};
    t->nmsgs++;
}

static int message_cmp(const void *a, const void *b)
{
    const message *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A printable, shortened copy of a field for messages. */
static const char *show(const char *s, char *buf, size_t cap)
{
    size_t o = 0, n = strlen(s);
    buf[o++] = '\'';
    for (size_t i = 0; i < n && o + 6 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        if (i == 39 && n > 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = prev + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = up;
        }
    }
    return row[lb];
}

static const char *did_you_mean(const char *word, char *buf, size_t cap)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, limit = strlen(word) / 3 > 2 ? strlen(word) / 3 : 2;
    for (int i = 0; column_names[i]; i++) {
        size_t d = strcasecmp(word, column_names[i]) == 0 ? 0 : edit_distance(word, column_names[i]);
        if (d <= limit && d < best_d && (d == 0 || d < strlen(column_names[i]))) {
            best_d = d;
            best = column_names[i];
        }
    }
    if (!best)
        return "";
    snprintf(buf, cap, " (did you mean '%s'?)", best);
    return buf;
}

/* ---------------------------------------------------------- fields */


/* Value of column `col` in the current row ("" if the column is absent). */
static const char *cell(const tape *t, column col)
{
    int i = t->col_of[col];
    return i >= 0 && i < t->nfields && t->field[i] ? t->field[i] : "";
}

/* Number in [lo, hi] (open ends when lo_open / hi_open); 0 ok, -1 error. */
static int cell_num(tape *t, column col, double lo, int lo_open, double hi, int hi_open, double *out)
{
    char shown[64], what[64];
    const char *s = cell(t, col);
    if (isinf(hi))
        snprintf(what, sizeof what, "a number %s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(what, sizeof what, "a number in %c%g, %g%c", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
    if (!*s) {
        report(t, t->row, "column '%s': missing value (expected %s)", column_names[col], what);
        return -1;
    }
    errno = 0;
    double x = absim_text_is_number(s) ? strtod(s, NULL) : NAN;
    if (isnan(x) || !isfinite(x) || (lo_open ? !(x > lo) : !(x >= lo)) || (hi_open ? !(x < hi) : !(x <= hi))) {
        report(t, t->row, "column '%s': expected %s, got %s", column_names[col], what, show(s, shown, sizeof shown));
        return -1;
    }
    *out = x;
    return 0;
}

static int cell_int(tape *t, column col, long lo, long hi, long *out)
{
    char shown[64];
    const char *s = cell(t, col);
    if (!*s) {
        report(t, t->row, "column '%s': missing value (expected an integer in [%ld, %ld])", column_names[col], lo, hi);
        return -1;
    }
    const char *d = (*s == '+' || *s == '-') ? s + 1 : s;
    errno = 0;
    long x = *d && strspn(d, "0123456789") == strlen(d) ? strtol(s, NULL, 10) : lo - 1;
    if (errno == ERANGE || x < lo || x > hi) {
        report(t, t->row, "column '%s': expected an integer in [%ld, %ld], got %s", column_names[col], lo, hi,
               show(s, shown, sizeof shown));
        return -1;
    }
    *out = x;
    return 0;
}

static int cell_name(tape *t, column col, char *out, size_t cap)
{
    char shown[64];
    const char *s = cell(t, col);
    size_t n = strlen(s);
    int bad = n == 0 || n >= cap || strpbrk(s, "/,\"\\") != NULL;
    for (size_t i = 0; i < n && !bad; i++)
        bad = (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
    if (bad) {
        report(t, t->row, "column '%s': invalid name %s (1 to %zu characters; no control characters, '/', ',', '\"' "
               "or '\\')", column_names[col], show(s, shown, sizeof shown), cap - 1);
        return -1;
    }
    memcpy(out, s, n + 1);
    return 0;
}

static int add_sector(tape *t, const char *name)
{
    absim_deal *d = t->deal;
    int idx = absim_deal_find_sector(d, name);
    if (idx >= 0)
        return idx;
    char(*names)[ABSIM_NAME_MAX] = realloc(d->sectors, (size_t)(d->nsectors + 1) * sizeof *names);
    if (!names)
        goto fail;
    d->sectors = names;
    double *load = realloc(d->sector_loading, (size_t)(d->nsectors + 1) * sizeof *load);
    if (!load)
        goto fail;
    d->sector_loading = load;
    snprintf(d->sectors[d->nsectors], ABSIM_NAME_MAX, "%s", name);
    d->sector_loading[d->nsectors] = 0.0;
    return d->nsectors++;
fail:
    t->nomem = 1;
    return -1;
}

/* ------------------------------------------------------------ rows */

static void parse_header(tape *t)
{
    char shown[64], hbuf[96];
    t->header_done = 1;
    t->header_row = t->row;
    t->ncols = t->nfields;
    for (int c = 0; c < NCOLS; c++)
        t->col_of[c] = -1;
    for (int i = 0; i < t->nfields; i++) {
        const char *h = t->field[i] ? t->field[i] : "";
        int found = -1;
        for (int c = 0; c < NCOLS && found < 0; c++)
            if (strcmp(h, column_names[c]) == 0)
                found = c;
        if (found < 0) {
            report(t, t->row, "unknown column %s%s", show(h, shown, sizeof shown), did_you_mean(h, hbuf, sizeof hbuf));
            t->stop = 1;
        } else if (t->col_of[found] >= 0) {
            report(t, t->row, "duplicate column '%s' (columns %d and %d)", h, t->col_of[found] + 1, i + 1);
            t->stop = 1;
        } else {
            t->col_of[found] = i;
        }
    }
    static const column required[] = {COL_ID, COL_BALANCE, COL_TERM, COL_AMORT, COL_RECOVERY};
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (t->col_of[required[k]] < 0) {
            report(t, t->row, "missing required column '%s'", column_names[required[k]]);
            t->stop = 1;
        }
    if (t->col_of[COL_COUPON] < 0 && t->col_of[COL_SPREAD] < 0) {
        report(t, t->row, "missing required column 'coupon' (fixed) or 'spread' (floating)");
        t->stop = 1;
    }
    if (t->col_of[COL_PD] < 0 && t->col_of[COL_CDR] < 0) {
        report(t, t->row, "missing required column 'pd' or 'cdr'");
        t->stop = 1;
    }
}

static void parse_row(tape *t)
{
    static const char *const amort[] = {"level", "linear", "bullet"};
    char shown[64];
    int before = t->nerrors;
    absim_line ln;
    long v;

    memset(&ln, 0, sizeof ln);
    ln.source_line = t->row;
    ln.count = 1;
    if (t->nfields != t->ncols) {
        report(t, t->row, "expected %d fields (as in the header), got %d", t->ncols, t->nfields);
        return;
    }
    if (t->nlines >= MAX_ROWS) {
        report(t, t->row, "too many loans (at most %d rows)", MAX_ROWS);
        t->stop = 1;
        return;
    }
    cell_name(t, COL_ID, ln.name, sizeof ln.name);
    cell_num(t, COL_BALANCE, 0.0, 1, HUGE_VAL, 0, &ln.balance);
    const char *coupon = cell(t, COL_COUPON), *spread = cell(t, COL_SPREAD);
    if (*coupon && *spread)
        report(t, t->row, "column 'spread': give a coupon or a spread, not both");
    else if (*spread) {
        ln.floating = 1;
        cell_num(t, COL_SPREAD, -1.0, 0, 1.0, 0, &ln.spread);
    } else if (*coupon)
        cell_num(t, COL_COUPON, 0.0, 0, 1.0, 0, &ln.coupon);
    else
        report(t, t->row, "column '%s': missing value (a coupon or a spread is required)",
               t->col_of[COL_COUPON] >= 0 ? "coupon" : "spread");
    if (cell_int(t, COL_TERM, 1, 1200, &v) == 0)
        ln.term = (int)v;
    const char *a = cell(t, COL_AMORT);
    int found = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(a, amort[i]) == 0)
            found = i;
    if (found < 0)
        report(t, t->row, "column 'amortization': expected level, linear or bullet, got %s", show(a, shown, sizeof shown));
    else
        ln.amortization = (absim_amort)found;
    const char *pd = cell(t, COL_PD), *cdr = cell(t, COL_CDR);
    if (*pd && *cdr)
        report(t, t->row, "column 'cdr': give a pd or a cdr, not both");
    else if (*cdr) {
        ln.law = ABSIM_LAW_CDR;
        cell_num(t, COL_CDR, 0.0, 0, 1.0, 0, &ln.law_value);
    } else if (*pd) {
        ln.law = ABSIM_LAW_PD;
        cell_num(t, COL_PD, 0.0, 0, 1.0, 0, &ln.law_value);
    } else
        report(t, t->row, "column '%s': missing value (a pd or a cdr is required)",
               t->col_of[COL_PD] >= 0 ? "pd" : "cdr");
    int mean_ok = cell_num(t, COL_RECOVERY, 0.0, 0, 1.0, 0, &ln.recovery_mean) == 0;
    char sector[ABSIM_NAME_MAX] = "general";
    if (*cell(t, COL_SECTOR))
        cell_name(t, COL_SECTOR, sector, sizeof sector);
    if (*cell(t, COL_RSTDEV) && cell_num(t, COL_RSTDEV, 0.0, 0, HUGE_VAL, 0, &ln.recovery_stdev) == 0 && mean_ok) {
        double m = ln.recovery_mean, sd = ln.recovery_stdev;
        if (sd > 0 && !(sd * sd < m * (1.0 - m)))
            report(t, t->row, "column 'recovery_stdev': a beta recovery with mean %g needs stdev < %g, got %g", m,
                   sqrt(m * (1.0 - m)), sd);
    }
    if (*cell(t, COL_RLAG) && cell_int(t, COL_RLAG, 0, 1200, &v) == 0)
        ln.recovery_lag = (int)v;
    if (*cell(t, COL_CPR) && cell_num(t, COL_CPR, 0.0, 0, 1.0, 0, &ln.prepay_value) == 0)
        ln.prepay = ABSIM_PREPAY_CPR;
    if (*cell(t, COL_COUNT) && cell_int(t, COL_COUNT, 1, 100000000L, &v) == 0)
        ln.count = v;
    if (t->nerrors != before)
        return;
    ln.sector_index = add_sector(t, sector);
    if (ln.sector_index < 0)
        return;
    if (t->nlines == t->caplines) {
        int cap = t->caplines ? 2 * t->caplines : 64;
        absim_line *grown = realloc(t->lines, (size_t)cap * sizeof *grown);
        if (!grown) {
            t->nomem = 1;
            return;
        }
        t->lines = grown;
        t->caplines = cap;
    }
    t->lines[t->nlines++] = ln;
}

static void clear_fields(tape *t)
{
    for (int i = 0; i < t->nfields; i++) {
        free(t->field[i]);
        t->field[i] = NULL;
    }
    t->nfields = 0;
    t->too_many = 0;
}

static void on_field(void *data, size_t len, void *ctx)
{
    tape *t = ctx;
    if (t->nfields == 0 && !t->too_many)
        t->row = t->line;
    if (t->nfields >= MAX_FIELDS) {
        t->too_many = 1;
        return;
    }
    if (len > MAX_FIELD_BYTES)
        len = MAX_FIELD_BYTES;
    char *s = malloc(len + 1);
    if (!s) {
        t->nomem = 1;
        return;
    }
    if (len)
        memcpy(s, data, len);
    s[len] = '\0';
    /* Trim blanks; a field with a NUL inside is cut there. */
    size_t n = strlen(s), b = 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    while (s[b] == ' ' || s[b] == '\t')
        b++;
    memmove(s, s + b, n - b + 1);
    t->field[t->nfields++] = s;
}

static void on_row(int term, void *ctx)
{
    tape *t = ctx;
    (void)term;
    int blank = 1;
    for (int i = 0; i < t->nfields && blank; i++)
        blank = !t->field[i] || !t->field[i][0];
    if (t->nomem || t->stop || (blank && !t->too_many)) {
        clear_fields(t);
        return;
    }
    if (t->too_many)
        report(t, t->row, "too many fields (at most %d)", MAX_FIELDS);
    else if (!t->header_done)
        parse_header(t);
    else
        parse_row(t);
    clear_fields(t);
}

/* Duplicate ids within the tape and against existing pool lines. */
static int name_cmp(const void *a, const void *b)
{
    const absim_line *x = *(const absim_line *const *)a, *y = *(const absim_line *const *)b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->source_line > y->source_line) - (x->source_line < y->source_line);
}

static int in_tape(const tape *t, const absim_line *ln)
{
    uintptr_t p = (uintptr_t)ln, lo = (uintptr_t)t->lines, hi = (uintptr_t)(t->lines + t->nlines);
    return p >= lo && p < hi;
}

static void check_duplicates(tape *t)
{
    const absim_deal *d = t->deal;
    int n = t->nlines + d->nlines;
    if (n < 2)
        return;
    const absim_line **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted) {
        t->nomem = 1;
        return;
    }
    for (int i = 0; i < d->nlines; i++)
        sorted[i] = &d->lines[i];
    for (int i = 0; i < t->nlines; i++)
        sorted[d->nlines + i] = &t->lines[i];
    qsort(sorted, (size_t)n, sizeof *sorted, name_cmp);
    for (int i = 1, first = 0; i < n; i++) {
        if (strcmp(sorted[i]->name, sorted[first]->name) != 0) {
            first = i;
            continue;
        }
        int first_in_tape = in_tape(t, sorted[first]), this_in_tape = in_tape(t, sorted[i]);
        if (!this_in_tape)
            continue;
        if (first_in_tape)
            report(t, sorted[i]->source_line, "column 'id': duplicate id '%s' (first at row %d)", sorted[i]->name,
                   sorted[first]->source_line);
        else
            report(t, sorted[i]->source_line, "column 'id': '%s' is also the name of a pool line in the config",
                   sorted[i]->name);
    }
    free(sorted);
}

int absim_tape_append_string(absim_deal *deal, const char *text, size_t len, const char *name, FILE *err)
{
    struct csv_parser parser;
    tape t;
    int rc = ABSIM_OK, parser_ready = 0, orig_nsectors = deal->nsectors;
    size_t pos = 0;

    memset(&t, 0, sizeof t);
    t.name = name ? name : "<tape>";
    t.deal = deal;
    if (!deal->sectors) {
        if (add_sector(&t, "general") < 0) {
            rc = ABSIM_ENOMEM;
            goto cleanup;
        }
        orig_nsectors = 0;
    }
    if (csv_init(&parser, CSV_STRICT | CSV_APPEND_NULL) != 0) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    parser_ready = 1;
    t.line = 0;
    while (pos < len && !t.stop && !t.nomem) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) + 1 : len;
        t.line++;
        /* Before the header: skip comments and blank lines. */
        if (!t.header_done && t.nfields == 0) {
            size_t k = pos;
            while (k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
                k++;
            if (k == end || text[k] == '\n' || text[k] == '#') {
                pos = end;
                continue;
            }
        }
        if (csv_parse(&parser, text + pos, end - pos, on_field, on_row, &t) != end - pos) {
            report(&t, t.line, "malformed CSV: %s", csv_strerror(csv_error(&parser)));
            t.stop = 1;
        }
        pos = end;
    }
    if (!t.stop && !t.nomem && csv_fini(&parser, on_field, on_row, &t) != 0)
        report(&t, t.line, "malformed CSV: %s", csv_strerror(csv_error(&parser)));
    if (!t.nomem && !t.header_done)
        report(&t, 1, "empty tape (expected a header row: id,balance,coupon,term,amortization,pd,recovery)");
    else if (!t.nomem && !t.stop && t.nerrors == 0 && t.nlines == 0)
        report(&t, t.header_row, "the tape has no loans (only a header row)");
    if (!t.nomem && t.nerrors == 0)
        check_duplicates(&t);
    if (t.nomem) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    if (t.nerrors) {
        rc = ABSIM_ECONFIG;
        goto cleanup;
    }
    absim_line *all = realloc(deal->lines, (size_t)(deal->nlines + t.nlines) * sizeof *all);
    if (!all) {
        rc = ABSIM_ENOMEM;
        goto cleanup;
    }
    memcpy(all + deal->nlines, t.lines, (size_t)t.nlines * sizeof *all);
    deal->lines = all;
    deal->nlines += t.nlines;

cleanup:
    clear_fields(&t);
    if (parser_ready)
        csv_free(&parser);
    if (t.nmsgs > 1)
        qsort(t.msgs, (size_t)t.nmsgs, sizeof *t.msgs, message_cmp);
    for (int i = 0; i < t.nmsgs; i++) {
        if (err)
            fprintf(err, "%s:%d: error: %s\n", t.name, t.msgs[i].row, t.msgs[i].text);
        free(t.msgs[i].text);
    }
    if (err && t.nerrors > t.nmsgs)
        fprintf(err, "%s: error: %d more errors not shown\n", t.name, t.nerrors - t.nmsgs);
    if (err && rc == ABSIM_ENOMEM)
        fprintf(err, "%s: error: out of memory\n", t.name);
    free(t.msgs);
    free(t.lines);
    if (rc != ABSIM_OK && deal->nsectors > orig_nsectors)
        deal->nsectors = orig_nsectors; /* forget sectors this tape added */
    return rc;
}

int absim_tape_append(absim_deal *deal, const char *path, FILE *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = absim_textfile_read(path, "loan tape", MAX_FILE_BYTES, &text, &len, err);
    if (rc == ABSIM_OK)
        rc = absim_tape_append_string(deal, text, len, path, err);
    free(text);
    return rc;
}
