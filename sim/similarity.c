/* similarity.c -- `absim similarity POOL_A POOL_B`: how alike two pools are.
 *
 * A pool is a deal config (YAML) or a loan tape (a file ending in .csv).
 * Balances are grouped by sector (default) or by line (a tape's loan id),
 * turned into shares, and compared with the Finger-Kreinin index
 * (kernels/similarity.c). Categories are listed in order of first
 * appearance in A, then B. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "deal.h"
#include "similarity.h"
#include "status.h"
#include "tape.h"

static const char usage[] =
    "usage: absim similarity POOL_A POOL_B [--by sector|line] [--format table|json]\n"
    "\n"
    "Finger-Kreinin similarity index of two pools' compositions:\n"
    "S = 100 x sum_l min(a_l, b_l), a_l and b_l the pools' balance shares in\n"
    "category l (sector, or line / loan id). 100 = identical composition,\n"
    "0 = nothing in common. A pool is a deal config (.yaml) or a loan tape (.csv).\n";

typedef struct {
    int n, cap;
    char (*name)[ABSIM_NAME_MAX];
    double *a, *b;
} categories;

static int category_index(categories *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return i;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 16;
        void *nn = realloc(c->name, (size_t)cap * sizeof *c->name);
        if (!nn)
            return -1;
        c->name = nn;
        double *na = realloc(c->a, (size_t)cap * sizeof *na);
        if (!na)
            return -1;
        c->a = na;
        double *nb = realloc(c->b, (size_t)cap * sizeof *nb);
        if (!nb)
            return -1;
        c->b = nb;
        c->cap = cap;
    }
    snprintf(c->name[c->n], ABSIM_NAME_MAX, "%s", name);
    c->a[c->n] = c->b[c->n] = 0.0;
    return c->n++;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Load a config or a tape into *deal. Returns 0 or an exit code. */
static int load_pool(absim_deal *deal, const char *path)
{
    memset(deal, 0, sizeof *deal);
    if (!ends_with(path, ".csv") && !ends_with(path, ".CSV"))
        return absim_cli_load_deal(deal, path);
    deal->sectors = calloc(1, sizeof *deal->sectors);
    deal->sector_loading = calloc(1, sizeof *deal->sector_loading);
    if (!deal->sectors || !deal->sector_loading) {
        absim_deal_free(deal);
        fprintf(stderr, "absim similarity: out of memory\n");
        return ABSIM_EXIT_FAILURE;
    }
    strcpy(deal->sectors[0], "general");
    deal->nsectors = 1;
    int rc = absim_tape_append(deal, path, stderr);
    if (rc == ABSIM_OK)
        return 0;
    absim_deal_free(deal); /* the reader printed the problem */
    return ABSIM_EXIT_USAGE;
}

static int add_pool(categories *c, const absim_deal *deal, int by_line, int which)
{
    for (int l = 0; l < deal->nlines; l++) {
        const absim_line *line = &deal->lines[l];
        const char *name = by_line ? line->name : deal->sectors[line->sector_index];
        int i = category_index(c, name);
        if (i < 0)
            return -1;
        (which ? c->b : c->a)[i] += line->balance;
    }
    return 0;
}

int absim_cmd_similarity(int argc, char **argv)
{
    const char *pa = NULL, *pb = NULL;
    int by_line = 0, json = 0, code = ABSIM_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return ABSIM_EXIT_OK;
        } else if (strcmp(argv[i], "--by") == 0) {
            if (!(v = absim_cli_value("similarity", argc, argv, &i)))
                return ABSIM_EXIT_USAGE;
            if (strcmp(v, "line") == 0)
                by_line = 1;
            else if (strcmp(v, "sector") != 0) {
                fprintf(stderr, "absim similarity: --by: expected 'sector' or 'line', got '%s'\n", v);
                return ABSIM_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--format") == 0) {
            if (!(v = absim_cli_value("similarity", argc, argv, &i)))
                return ABSIM_EXIT_USAGE;
            if (strcmp(v, "json") == 0)
                json = 1;
            else if (strcmp(v, "table") != 0) {
                fprintf(stderr, "absim similarity: --format: expected 'table' or 'json', got '%s'\n", v);
                return ABSIM_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "absim similarity: unknown option '%s'\n", argv[i]);
            return ABSIM_EXIT_USAGE;
        } else if (!pa) {
            pa = argv[i];
        } else if (!pb) {
            pb = argv[i];
        } else {
            fprintf(stderr, "absim similarity: unexpected argument '%s'\n", argv[i]);
            return ABSIM_EXIT_USAGE;
        }
    }
    if (!pa || !pb) {
        fprintf(stderr, "absim similarity: needs two pools (see 'absim similarity --help')\n");
        return ABSIM_EXIT_USAGE;
    }

    absim_deal da, db;
    categories c = {0, 0, NULL, NULL, NULL};
    int ra = load_pool(&da, pa);
    if (ra)
        return ra;
    int rb = load_pool(&db, pb);
    if (rb) {
        absim_deal_free(&da);
        return rb;
    }
    if (add_pool(&c, &da, by_line, 0) || add_pool(&c, &db, by_line, 1)) {
        fprintf(stderr, "absim similarity: out of memory\n");
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    absim_similarity_shares(c.a, c.n, c.a);
    absim_similarity_shares(c.b, c.n, c.b);
    double S = absim_similarity_index(c.a, c.b, c.n);
    const char *by = by_line ? "line" : "sector";

    if (json) {
        json_t *root = json_object(), *cats = json_array();
        for (int i = 0; i < c.n; i++)
            json_array_append_new(cats, json_pack("{s:s, s:f, s:f}", "name", c.name[i], "share_a", c.a[i],
                                                  "share_b", c.b[i]));
        json_object_set_new(root, "index", json_real(S));
        json_object_set_new(root, "by", json_string(by));
        json_object_set_new(root, "pool_a", json_string(pa));
        json_object_set_new(root, "pool_b", json_string(pb));
        json_object_set_new(root, "categories", cats);
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(root);
    } else {
        printf("Finger-Kreinin similarity by %s: %.4f (100 = identical, 0 = disjoint)\n", by, S);
        printf("  A: %s\n  B: %s\n\n", pa, pb);
        printf("  %-24s %10s %10s %10s\n", by, "share A", "share B", "min");
        for (int i = 0; i < c.n; i++)
            printf("  %-24s %9.4f%% %9.4f%% %9.4f%%\n", c.name[i], 100.0 * c.a[i], 100.0 * c.b[i],
                   100.0 * (c.a[i] < c.b[i] ? c.a[i] : c.b[i]));
        printf("  %-24s %10s %10s %9.4f%%\n", "total", "", "", S);
    }

cleanup:
    free(c.name);
    free(c.a);
    free(c.b);
    absim_deal_free(&da);
    absim_deal_free(&db);
    return code;
}
