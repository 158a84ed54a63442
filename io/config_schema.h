/* config_schema.h -- private to the deal configuration reader: its
 * context, limits and value ranges, and the schema-walk functions that
 * config.c and config_structure.c share. */
#ifndef ABSIM_CONFIG_SCHEMA_H
#define ABSIM_CONFIG_SCHEMA_H

#include <math.h>
#include <stddef.h>

#include "deal.h"
#include "yamltree.h"

#define MAX_PERIODS 1200
#define MAX_TRANCHES 32
#define MAX_FEES 16
#define MAX_TRIGGERS 16
#define MAX_QUANTILES 64
#define MAX_SCENARIOS 256
#define MAX_LINES 100000
#define MAX_CURVE 100000
#define MAX_PATH 4096

/* One load. Sections being read carry it as their `user` pointer. */
typedef struct {
    absim_yaml_doc doc;   /* the YAML text and the problems found */
    const char *base_dir; /* directory of the config file, NULL = cwd */
    int tape_failed;      /* the loan tape had errors (printed separately) */
    absim_deal *deal;
    int pool_ok;          /* the pool parsed without errors */
} ctx;

static const absim_yaml_range R_RATE = {-1.0, 1.0, 0, 0};
static const absim_yaml_range R_PROB = {0.0, 1.0, 0, 0};        /* [0, 1] */
static const absim_yaml_range R_FRACTION = {0.0, 1.0, 0, 1};    /* [0, 1) */
static const absim_yaml_range R_OPEN_UNIT = {0.0, 1.0, 1, 1};   /* (0, 1) */
static const absim_yaml_range R_HALF_OPEN = {0.0, 1.0, 1, 0};   /* (0, 1] */
static const absim_yaml_range R_NONNEG = {0.0, HUGE_VAL, 0, 0};
static const absim_yaml_range R_POSITIVE = {0.0, HUGE_VAL, 1, 0};

/* config.c */

/* Names of lines, sectors, tranches, fees, scenarios (0, or -1 reported). */
int absim_config_name(ctx *c, const absim_yaml_node *v, const char *path, char *out, size_t cap);
/* Whether sector s is used by a pool line. */
int absim_config_sector_used(const absim_deal *d, int s);
/* Sector index named by key node `k` (must be used by a line), or -1. */
int absim_config_sector_ref(ctx *c, const absim_yaml_node *k, const char *path);

/* config_structure.c */

/* Tranche named by scalar `v` (notes only when notes_only), or -1. */
int absim_config_tranche_ref(ctx *c, const absim_yaml_node *v, const char *path, int notes_only);
void absim_config_parse_structure(const absim_yaml_sect *root);
void absim_config_parse_isolation(const absim_yaml_sect *root);
void absim_config_parse_scenarios(const absim_yaml_sect *root);

#endif
