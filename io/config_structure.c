/* config_structure.c -- the structure, isolation and scenarios sections
 * of a deal configuration (fees, reserve account, tranches, triggers;
 * true-sale isolation; stress scenarios), read from the YAML tree into the
 * absim_deal by the schema walk of config.c. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Key paths and messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include "../kernels/status.h"
#include "config_schema.h"

static int find_tranche(const absim_structure *st, const char *name)
{
    for (int i = 0; i < st->ntranches; i++)
        if (strcmp(st->tranches[i].name, name) == 0)
            return i;
    return -1;
}

/* Tranche named by scalar `v` (notes only when notes_only), or -1. */
int absim_config_tranche_ref(ctx *c, const absim_yaml_node *v, const char *path, int notes_only)
{
    char shown[64], hbuf[96];
    const absim_structure *st = &c->deal->structure;
    int idx = v->kind == ABSIM_YAML_SCALAR ? find_tranche(st, v->text) : -1;
    if (idx >= 0 && notes_only && st->tranches[idx].residual) {
        absim_yaml_error_at(&c->doc, v, "%s: '%s' is the residual tranche; name a note", path, v->text);
        return -1;
    }
    if (idx >= 0)
        return idx;
    absim_yaml_matcher m = {v->kind == ABSIM_YAML_SCALAR ? v->text : "", NULL, SIZE_MAX};
    for (int i = 0; i < st->ntranches; i++)
        if (!notes_only || !st->tranches[i].residual)
            absim_yaml_match_try(&m, st->tranches[i].name);
    absim_yaml_error_at(&c->doc, v, "%s: unknown tranche %s%s", path, absim_yaml_show(v, shown, sizeof shown),
                        absim_yaml_hint(&m, hbuf, sizeof hbuf));
    return -1;
}

static void parse_fees(const absim_yaml_sect *st_sect)
{
    static const char *const keys[] = {"name", "rate", "fixed", NULL};
    static const char *const kinds[] = {"rate", "fixed", NULL};
    ctx *c = st_sect->user;
    absim_structure *st = &c->deal->structure;
    const absim_yaml_node *fl = absim_yaml_list_at(st_sect, "fees", 0, MAX_FEES, "fees");
    if (!fl || fl->n == 0)
        return;
    st->fees = calloc((size_t)fl->n, sizeof *st->fees);
    if (!st->fees) {
        c->doc.nomem = 1;
        return;
    }
    st->nfees = fl->n;
    for (int i = 0; i < fl->n; i++) {
        absim_fee *f = &st->fees[i];
        char path[200], kpath[192];
        absim_yaml_sect s;
        snprintf(path, sizeof path, "%s.fees[%d]", st_sect->path, i);
        if (absim_yaml_open_map(st_sect, NULL, fl->item[i], path, &s) < 0)
            continue;
        absim_yaml_check_keys(&s, keys);
        const absim_yaml_node *name = absim_yaml_get(&s, "name");
        if (!name)
            absim_yaml_missing(&s, "name", "the fee's name");
        else if (absim_config_name(c, name, absim_yaml_key_path(&s, "name", kpath, sizeof kpath), f->name,
                                   sizeof f->name) == 0)
            for (int j = 0; j < i; j++)
                if (strcmp(st->fees[j].name, f->name) == 0) {
                    absim_yaml_error_at(&c->doc, name, "%s: duplicate fee name '%s'", kpath, f->name);
                    break;
                }
        int k =
            absim_yaml_one_of(&s, kinds, 1, "a rate (annual, on the performing balance) or a fixed amount (per year)");
        if (k == 0)
            absim_yaml_get_num(&s, "rate", &f->value, 0.0, 1, &R_PROB);
        if (k == 1) {
            f->fixed = 1;
            absim_yaml_get_num(&s, "fixed", &f->value, 0.0, 1, &R_NONNEG);
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

static void parse_tranches(const absim_yaml_sect *st_sect)
{
    static const char *const keys[] = {"name", "balance", "coupon", "spread", "deferrable", "residual", NULL};
    static const char *const rates[] = {"coupon", "spread", NULL};
    ctx *c = st_sect->user;
    absim_deal *d = c->deal;
    absim_structure *st = &d->structure;
    char path[200], kpath[192];
    int before = c->doc.nerrors;

    if (!absim_yaml_get(st_sect, "tranches")) {
        if (st_sect->map)
            absim_yaml_missing(st_sect, "tranches", "a list of tranches, most senior first");
        return;
    }
    const absim_yaml_node *tl = absim_yaml_list_at(st_sect, "tranches", 1, MAX_TRANCHES, "tranches");
    if (!tl)
        return;
    st->tranches = calloc((size_t)tl->n, sizeof *st->tranches);
    if (!st->tranches) {
        c->doc.nomem = 1;
        return;
    }
    st->ntranches = tl->n;
    for (int i = 0; i < tl->n; i++) {
        absim_tranche *t = &st->tranches[i];
        absim_yaml_sect s;
        snprintf(path, sizeof path, "%s.tranches[%d]", st_sect->path, i);
        if (absim_yaml_open_map(st_sect, NULL, tl->item[i], path, &s) < 0)
            continue;
        absim_yaml_check_keys(&s, keys);
        const absim_yaml_node *name = absim_yaml_get(&s, "name");
        if (!name)
            absim_yaml_missing(&s, "name", "the tranche's name");
        else if (absim_config_name(c, name, absim_yaml_key_path(&s, "name", kpath, sizeof kpath), t->name,
                                   sizeof t->name) == 0)
            for (int j = 0; j < i; j++)
                if (strcmp(st->tranches[j].name, t->name) == 0) {
                    absim_yaml_error_at(&c->doc, name, "%s: duplicate tranche name '%s'", kpath, t->name);
                    break;
                }
        absim_yaml_get_num(&s, "balance", &t->balance, 0.0, 1, &R_POSITIVE);
        absim_yaml_get_bool(&s, "residual", &t->residual, 0);
        absim_yaml_get_bool(&s, "deferrable", &t->deferrable, 0);
        if (t->residual) {
            if (i != tl->n - 1)
                absim_yaml_error_at(&c->doc, absim_yaml_get(&s, "residual"),
                                    "%s: only the last tranche may be residual (this is tranche %d of %d)",
                                    absim_yaml_key_path(&s, "residual", kpath, sizeof kpath), i + 1, tl->n);
            for (int k = 0; rates[k]; k++)
                if (absim_yaml_get_key(&s, rates[k]))
                    absim_yaml_error_at(&c->doc, absim_yaml_get_key(&s, rates[k]),
                                        "%s: the residual tranche has no %s (it receives what is left)",
                                        absim_yaml_key_path(&s, rates[k], kpath, sizeof kpath), rates[k]);
            if (t->deferrable)
                absim_yaml_error_at(&c->doc, absim_yaml_get(&s, "deferrable"),
                                    "%s: the residual tranche cannot be deferrable",
                                    absim_yaml_key_path(&s, "deferrable", kpath, sizeof kpath));
            continue;
        }
        int rk = absim_yaml_one_of(&s, rates, 1, "a coupon (fixed) or a spread (floating)");
        if (rk == 0)
            absim_yaml_get_num(&s, "coupon", &t->coupon, 0.0, 1, &R_PROB);
        if (rk == 1) {
            t->floating = 1;
            absim_yaml_get_num(&s, "spread", &t->spread, 0.0, 1, &R_RATE);
        }
    }
    if (c->doc.nerrors != before)
        return;
    int has_residual = st->tranches[st->ntranches - 1].residual;
    if (has_residual && st->ntranches == 1) {
        absim_yaml_error_at(&c->doc, tl, "%s.tranches: at least one note (a tranche that is not residual) is required",
                            st_sect->path);
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
        absim_yaml_error_at(
            &c->doc, tl,
            "%s.tranches: tranche balances sum to %.15g but the pool balance is %.15g (they must be equal "
            "unless a residual tranche absorbs the difference)",
            st_sect->path, all, pool);
    if (has_residual && notes > pool * (1.0 + 1e-9))
        absim_yaml_error_at(&c->doc, tl, "%s.tranches: note balances sum to %.15g, more than the pool balance %.15g",
                            st_sect->path, notes, pool);
}

static void parse_triggers(const absim_yaml_sect *st_sect)
{
    static const char *const keys[] = {"type", "tranche", "threshold", NULL};
    static const char *const types[] = {"oc", "ic", "cumulative_loss", NULL};
    ctx *c = st_sect->user;
    absim_structure *st = &c->deal->structure;
    const absim_yaml_node *tl = absim_yaml_list_at(st_sect, "triggers", 0, MAX_TRIGGERS, "triggers");
    if (!tl || tl->n == 0)
        return;
    st->triggers = calloc((size_t)tl->n, sizeof *st->triggers);
    if (!st->triggers) {
        c->doc.nomem = 1;
        return;
    }
    st->ntriggers = tl->n;
    for (int i = 0; i < tl->n; i++) {
        absim_trigger *tr = &st->triggers[i];
        char path[200], kpath[192];
        absim_yaml_sect s;
        tr->tranche = -1;
        snprintf(path, sizeof path, "%s.triggers[%d]", st_sect->path, i);
        if (absim_yaml_open_map(st_sect, NULL, tl->item[i], path, &s) < 0)
            continue;
        absim_yaml_check_keys(&s, keys);
        if (!absim_yaml_get(&s, "type")) {
            absim_yaml_missing(&s, "type", "oc, ic or cumulative_loss");
            continue;
        }
        int type = absim_yaml_get_choice(&s, "type", types, 0);
        if (type < 0)
            continue;
        tr->type = (absim_trigger_type)type;
        const absim_yaml_node *tv = absim_yaml_get(&s, "tranche");
        absim_yaml_key_path(&s, "tranche", kpath, sizeof kpath);
        if (type == ABSIM_TRIGGER_CUMLOSS) {
            if (tv)
                absim_yaml_error_at(&c->doc, absim_yaml_get_key(&s, "tranche"),
                                    "%s: a cumulative_loss trigger tests the pool, not a tranche", kpath);
            absim_yaml_get_num(&s, "threshold", &tr->threshold, 0.0, 1, &R_HALF_OPEN);
            continue;
        }
        if (!tv)
            absim_yaml_missing(&s, "tranche", "the note whose coverage is tested");
        else if (absim_yaml_expect_scalar(&c->doc, tv, kpath, "a tranche name") == 0 && st->ntranches > 0)
            tr->tranche = absim_config_tranche_ref(c, tv, kpath, 1);
        absim_yaml_get_num(&s, "threshold", &tr->threshold, 0.0, 1, &(absim_yaml_range){0.0, 1000.0, 1, 0});
    }
}

void absim_config_parse_structure(const absim_yaml_sect *root)
{
    static const char *const keys[] = {"fees", "reserve_account", "principal", "oc_target", "tranches",
                                       "triggers", "clean_up_call", NULL};
    static const char *const rules[] = {"sequential", "pro_rata", NULL};
    static const char *const reserve_keys[] = {"initial", "target", NULL};
    ctx *c = root->user;
    absim_structure *st = &c->deal->structure;
    absim_yaml_sect s, res;

    if (absim_yaml_section(root, "structure", &s) == 0)
        absim_yaml_missing(root, "structure", "a mapping with tranches");
    absim_yaml_check_keys(&s, keys);
    parse_fees(&s);
    if (absim_yaml_section(&s, "reserve_account", &res) > 0) {
        absim_yaml_check_keys(&res, reserve_keys);
        st->has_reserve = 1;
        absim_yaml_get_num(&res, "initial", &st->reserve_initial, 0.0, 0, &R_PROB);
        absim_yaml_get_num(&res, "target", &st->reserve_target, 0.0, 0, &R_PROB);
    }
    int rule = absim_yaml_get_choice(&s, "principal", rules, 0);
    st->principal = rule == 1 ? ABSIM_PRINCIPAL_PRO_RATA : ABSIM_PRINCIPAL_SEQUENTIAL;
    absim_yaml_get_num(&s, "oc_target", &st->oc_target, 0.0, 0, &R_FRACTION);
    absim_yaml_get_num(&s, "clean_up_call", &st->clean_up_call, 0.0, 0, &R_FRACTION);
    parse_tranches(&s);
    parse_triggers(&s);
}

void absim_config_parse_isolation(const absim_yaml_sect *root)
{
    static const char *const keys[] = {"true_sale", "originator_pd", "originator_loading", "commingling_days",
                                       "backup_servicer_fee", "stay_periods", "estate_recovery", NULL};
    ctx *c = root->user;
    absim_isolation *iso = &c->deal->isolation;
    absim_yaml_sect s;
    int64_t v;

    if (absim_yaml_section(root, "isolation", &s) <= 0)
        return;
    absim_yaml_check_keys(&s, keys);
    iso->enabled = 1;
    absim_yaml_get_bool(&s, "true_sale", &iso->true_sale, 1);
    absim_yaml_get_num(&s, "originator_pd", &iso->originator_pd, 0.0, 0, &R_PROB);
    absim_yaml_get_num(&s, "originator_loading", &iso->originator_loading, 0.0, 0, &R_FRACTION);
    absim_yaml_get_num(&s, "commingling_days", &iso->commingling_days, 0.0, 0, &(absim_yaml_range){0.0, 36500.0, 0, 0});
    absim_yaml_get_num(&s, "backup_servicer_fee", &iso->backup_servicer_fee, 0.0, 0, &R_PROB);
    if (absim_yaml_get_int(&s, "stay_periods", &v, 0, 0, 0, MAX_PERIODS) >= 0)
        iso->stay_periods = (int)v;
    absim_yaml_get_num(&s, "estate_recovery", &iso->estate_recovery, 1.0, 0, &R_PROB);
}

/* Scenario map {sector: value} into per-sector array `out`. */
static void sector_values(const absim_yaml_sect *sc, const absim_yaml_node *map, const char *path,
                          const absim_yaml_range *r, double *out)
{
    ctx *c = sc->user;
    for (int i = 0; i < map->n; i++) {
        const absim_yaml_node *k = map->key[i];
        char kpath[220];
        snprintf(kpath, sizeof kpath, "%s.%s", path, k->text);
        int idx = absim_config_sector_ref(c, k, path);
        double x;
        if (absim_yaml_num(&c->doc, map->item[i], kpath, r, &x) == 0 && idx >= 0)
            out[idx] = x;
    }
}

static void parse_scenario(const absim_yaml_sect *list_sect, const absim_yaml_node *item, int i, absim_scenario *sc)
{
    static const char *const keys[] = {"name", "pd_multiplier", "recovery_haircut", "cpr_multiplier", "rate_shift",
                                       "systematic", "sectors", "cdr", "sda", NULL};
    static const char *const laws[] = {"cdr", "sda", NULL};
    static const absim_yaml_range mult = {0.0, 1e6, 0, 0};
    ctx *c = list_sect->user;
    absim_deal *d = c->deal;
    char path[200], kpath[192];
    absim_yaml_sect s;

    snprintf(path, sizeof path, "scenarios[%d]", i);
    if (absim_yaml_open_map(list_sect, NULL, item, path, &s) < 0)
        return;
    absim_yaml_check_keys(&s, keys);
    const absim_yaml_node *name = absim_yaml_get(&s, "name");
    if (!name) {
        absim_yaml_missing(&s, "name", "the scenario's name");
    } else if (absim_config_name(c, name, absim_yaml_key_path(&s, "name", kpath, sizeof kpath), sc->name,
                                 sizeof sc->name) == 0) {
        if (strcmp(sc->name, "base") == 0)
            absim_yaml_error_at(&c->doc, name, "%s: 'base' is reserved for the unstressed case", kpath);
        for (int j = 0; j < i; j++)
            if (strcmp(d->scenarios[j].name, sc->name) == 0) {
                absim_yaml_error_at(&c->doc, name, "%s: duplicate scenario name '%s'", kpath, sc->name);
                break;
            }
    }
    const absim_yaml_node *pm = absim_yaml_get(&s, "pd_multiplier");
    absim_yaml_key_path(&s, "pd_multiplier", kpath, sizeof kpath);
    if (pm && pm->kind == ABSIM_YAML_MAP) {
        sector_values(&s, pm, kpath, &mult, sc->pd_multiplier);
    } else if (pm) {
        double x = 1.0;
        if (absim_yaml_num(&c->doc, pm, kpath, &mult, &x) == 0)
            for (int k = 0; k < d->nsectors; k++)
                sc->pd_multiplier[k] = x;
    }
    absim_yaml_get_num(&s, "recovery_haircut", &sc->recovery_haircut, 0.0, 0, &R_PROB);
    absim_yaml_get_num(&s, "cpr_multiplier", &sc->cpr_multiplier, 1.0, 0, &mult);
    absim_yaml_get_num(&s, "rate_shift", &sc->rate_shift, 0.0, 0, &R_RATE);
    int sys_ok = absim_yaml_get_num(&s, "systematic", &sc->systematic, -1.0, 0, &R_FRACTION) >= 0;
    absim_yaml_sect sec;
    if (absim_yaml_section(&s, "sectors", &sec) > 0)
        sector_values(&s, sec.map, sec.path, &R_FRACTION, sc->sector_loading);
    int law = absim_yaml_one_of(&s, laws, 0, "one law override: cdr or sda");
    if (law == 0 && absim_yaml_get_num(&s, "cdr", &sc->law_override_value, -1.0, 1, &R_PROB) > 0)
        sc->law_override = ABSIM_LAW_CDR;
    if (law == 1 &&
        absim_yaml_get_num(&s, "sda", &sc->law_override_value, -1.0, 1, &(absim_yaml_range){0.0, 100000.0, 0, 0}) > 0)
        sc->law_override = ABSIM_LAW_SDA;
    if (!sys_ok)
        return;
    double sys = sc->systematic >= 0 ? sc->systematic : d->correlation.systematic;
    for (int k = 0; k < d->nsectors; k++) {
        double b2 = sc->sector_loading[k] >= 0 ? sc->sector_loading[k] : d->sector_loading[k];
        if (absim_config_sector_used(d, k) && !(sys + b2 < 1.0)) {
            absim_yaml_error_at(&c->doc, s.at, "%s: systematic (%g) + sector %s (%g) = %g must be < 1", path, sys,
                                d->sectors[k], b2, sys + b2);
            break;
        }
    }
}

void absim_config_parse_scenarios(const absim_yaml_sect *root)
{
    ctx *c = root->user;
    absim_deal *d = c->deal;
    const absim_yaml_node *sl = absim_yaml_list_at(root, "scenarios", 0, MAX_SCENARIOS, "scenarios");
    if (!sl || sl->n == 0)
        return;
    d->scenarios = calloc((size_t)sl->n, sizeof *d->scenarios);
    if (!d->scenarios) {
        c->doc.nomem = 1;
        return;
    }
    for (int i = 0; i < sl->n; i++) {
        if (absim_scenario_init_base(&d->scenarios[i], d) != ABSIM_OK) {
            c->doc.nomem = 1;
            return;
        }
        d->nscenarios++;
        d->scenarios[i].name[0] = '\0';
        parse_scenario(root, sl->item[i], i, &d->scenarios[i]);
    }
}

