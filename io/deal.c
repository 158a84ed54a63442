/* deal.c -- lifetime helpers of the deal model (see deal.h). */
#include "deal.h"

#include <stdlib.h>
#include <string.h>

#include "../kernels/status.h"

void absim_scenario_free(absim_scenario *sc)
{
    free(sc->pd_multiplier);
    free(sc->sector_loading);
    memset(sc, 0, sizeof *sc);
}

int absim_scenario_init_base(absim_scenario *sc, const absim_deal *deal)
{
    int n = deal->nsectors > 0 ? deal->nsectors : 1;
    memset(sc, 0, sizeof *sc);
    strcpy(sc->name, "base");
    sc->pd_multiplier = malloc((size_t)n * sizeof *sc->pd_multiplier);
    sc->sector_loading = malloc((size_t)n * sizeof *sc->sector_loading);
    if (!sc->pd_multiplier || !sc->sector_loading) {
        absim_scenario_free(sc);
        return ABSIM_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        sc->pd_multiplier[i] = 1.0;
        sc->sector_loading[i] = -1.0;
    }
    sc->recovery_haircut = 0.0;
    sc->cpr_multiplier = 1.0;
    sc->rate_shift = 0.0;
    sc->systematic = -1.0;
    sc->law_override = ABSIM_LAW_PD;
    sc->law_override_value = -1.0;
    return ABSIM_OK;
}

void absim_deal_free(absim_deal *deal)
{
    for (int i = 0; i < deal->nlines; i++)
        free(deal->lines[i].curve);
    free(deal->lines);
    free(deal->sectors);
    free(deal->sector_loading);
    free(deal->rates.curve_t);
    free(deal->rates.curve_z);
    free(deal->structure.fees);
    free(deal->structure.tranches);
    free(deal->structure.triggers);
    for (int i = 0; i < deal->nscenarios; i++)
        absim_scenario_free(&deal->scenarios[i]);
    free(deal->scenarios);
    free(deal->sim.quantiles);
    free(deal->source_path);
    free(deal->config_text);
    memset(deal, 0, sizeof *deal);
}

double absim_deal_pool_balance(const absim_deal *deal)
{
    double total = 0.0;
    for (int i = 0; i < deal->nlines; i++)
        total += deal->lines[i].balance;
    return total;
}

int absim_deal_find_sector(const absim_deal *deal, const char *name)
{
    for (int i = 0; i < deal->nsectors; i++)
        if (strcmp(deal->sectors[i], name) == 0)
            return i;
    return -1;
}
