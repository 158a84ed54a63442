/* deal.h -- the deal model: plain C structs for a parsed, validated config.
 *
 * io/config.c fills an absim_deal from YAML (and io/tape.c adds loan-tape
 * lines); kernels/ and sim/ read it. No YAML or CSV type appears here.
 * Invariants after a successful absim_config_load():
 *   - every probability is in [0,1], every balance >= 0, term >= 1;
 *   - line.sector_index indexes deal.sectors (0 = "general" is always there);
 *   - exactly the last tranche may be residual; trigger.tranche indexes a note;
 *   - sector_loading[s] + systematic < 1 for every sector actually used.
 * All arrays are owned by the deal and released by absim_deal_free(). Rates
 * are annual decimals; balances in currency units; terms/lags in periods. */
#ifndef ABSIM_DEAL_H
#define ABSIM_DEAL_H

#include <stddef.h>
#include <stdint.h>

#define ABSIM_NAME_MAX 64

typedef enum { ABSIM_AMORT_LEVEL = 0, ABSIM_AMORT_LINEAR, ABSIM_AMORT_BULLET } absim_amort;

typedef enum {
    ABSIM_LAW_PD = 0, /* value = annual default probability */
    ABSIM_LAW_CDR,    /* value = annual conditional default rate */
    ABSIM_LAW_SDA,    /* value = percent of SDA (100 = 100% SDA) */
    ABSIM_LAW_CURVE   /* curve[0..ncurve-1] = cumulative PD at period ends 1..ncurve */
} absim_default_law;

typedef enum { ABSIM_PREPAY_NONE = 0, ABSIM_PREPAY_CPR, ABSIM_PREPAY_PSA } absim_prepay_law;

typedef struct {
    char name[ABSIM_NAME_MAX];
    int sector_index;          /* into absim_deal.sectors */
    int64_t count;             /* identical loans in the line, >= 1 */
    double balance;            /* total line balance, split equally */
    int floating;              /* 0: coupon fixed; 1: coupon = r_t + spread */
    double coupon;             /* fixed annual coupon (floating: 0) */
    double spread;             /* floating spread (fixed: 0) */
    int term;                  /* periods, >= 1 */
    absim_amort amortization;
    absim_default_law law;
    double law_value;          /* pd, cdr or SDA percent (see law) */
    double *curve;             /* ABSIM_LAW_CURVE only; length ncurve */
    int ncurve;
    double recovery_mean;      /* [0,1] */
    double recovery_stdev;     /* >= 0, < sqrt(mean (1-mean)) unless 0 */
    int recovery_lag;          /* periods, >= 0 */
    double recovery_loading;   /* systematic_loading in [0,1); 0 = none */
    absim_prepay_law prepay;
    double prepay_value;       /* CPR (decimal) or PSA percent */
    int source_line;           /* config line (or tape row) it came from, for messages */
} absim_line;

typedef enum { ABSIM_RATES_FLAT = 0, ABSIM_RATES_VASICEK, ABSIM_RATES_CIR, ABSIM_RATES_HULL_WHITE } absim_rate_model;

typedef struct {
    absim_rate_model model;
    double r0, kappa, theta, sigma;
    double *curve_t;           /* hull_white zero curve: times in years, increasing */
    double *curve_z;           /* continuously compounded zero rates */
    int ncurve;
} absim_rates;

typedef enum { ABSIM_COPULA_GAUSSIAN = 0, ABSIM_COPULA_STUDENT_T } absim_copula;

typedef struct {
    absim_copula model;
    double dof;                /* student_t: > 2 */
    double systematic;         /* b_g^2 in [0,1) */
    /* b_s^2 per sector, indexed like absim_deal.sectors (0 when not given) */
} absim_correlation;

typedef struct {
    char name[ABSIM_NAME_MAX];
    int fixed;                 /* 0: rate x performing balance; 1: fixed per year */
    double value;              /* rate or amount per year */
    int is_servicing;          /* replaced by backup_servicer_fee after originator default */
} absim_fee;

typedef struct {
    char name[ABSIM_NAME_MAX];
    double balance;
    int floating;
    double coupon;             /* fixed coupon (0 for residual) */
    double spread;             /* floating spread */
    int deferrable;
    int residual;              /* only the last tranche */
} absim_tranche;

typedef enum { ABSIM_TRIGGER_OC = 0, ABSIM_TRIGGER_IC, ABSIM_TRIGGER_CUMLOSS } absim_trigger_type;

typedef struct {
    absim_trigger_type type;
    int tranche;               /* note index (oc/ic); -1 for cumulative_loss */
    double threshold;
} absim_trigger;

typedef enum { ABSIM_PRINCIPAL_SEQUENTIAL = 0, ABSIM_PRINCIPAL_PRO_RATA } absim_principal_rule;

typedef struct {
    absim_fee *fees;
    int nfees;
    int has_reserve;
    double reserve_initial;    /* fraction of original pool balance */
    double reserve_target;     /* fraction of original pool balance */
    absim_principal_rule principal;
    double oc_target;          /* notes paid down to (1-oc_target) x collateral */
    absim_tranche *tranches;   /* most senior first; residual last if any */
    int ntranches;
    absim_trigger *triggers;
    int ntriggers;
    double clean_up_call;      /* fraction of original pool; 0 = none */
} absim_structure;

typedef struct {
    int enabled;               /* an isolation block was given */
    int true_sale;
    double originator_pd;      /* annual */
    double originator_loading; /* b in X_o = b Z_g + sqrt(1-b^2) e_o */
    double commingling_days;
    double backup_servicer_fee;/* annual rate on performing balance */
    int stay_periods;
    double estate_recovery;
} absim_isolation;

typedef enum { ABSIM_IS_OFF = 0, ABSIM_IS_AUTO, ABSIM_IS_TRANCHE, ABSIM_IS_SHIFT } absim_is_mode;

typedef struct {
    int64_t paths;
    uint64_t seed;
    int threads;               /* 0 = all available */
    double *quantiles;         /* levels in (0,1), increasing */
    int nquantiles;
    int keep_paths;
    int antithetic;
    absim_is_mode importance_sampling;
    int is_tranche;            /* ABSIM_IS_TRANCHE: tranche index */
    double is_shift;           /* ABSIM_IS_SHIFT: mean shift of Z_g */
    int qmc;                   /* 0 off, 1 sobol */
    double target_stderr;
} absim_simulation;

/* A stress scenario. Fields left at their "unset" value leave the base alone. */
typedef struct {
    char name[ABSIM_NAME_MAX];
    double *pd_multiplier;     /* per sector (length nsectors), 1 = unchanged */
    double recovery_haircut;   /* 0 = none */
    double cpr_multiplier;     /* 1 = unchanged */
    double rate_shift;         /* 0 = none */
    double systematic;         /* < 0: unset */
    double *sector_loading;    /* per sector; < 0: unset (length nsectors) */
    absim_default_law law_override; /* only ABSIM_LAW_CDR or ABSIM_LAW_SDA */
    double law_override_value; /* < 0: no override */
} absim_scenario;

typedef struct {
    char name[128];            /* deal.name */
    int periods;               /* T */
    int period_months;         /* 1, 3, 6 or 12 (any >= 1 allowed) */
    absim_simulation sim;
    absim_rates rates;
    absim_line *lines;
    int nlines;
    char (*sectors)[ABSIM_NAME_MAX]; /* sector names; sectors[0] = "general" */
    int nsectors;
    double *sector_loading;    /* b_s^2 per sector (length nsectors) */
    absim_correlation correlation;
    absim_structure structure;
    absim_isolation isolation;
    absim_scenario *scenarios; /* not including the implicit base */
    int nscenarios;
    char rating_scale[1024];   /* path as given ("" = bundled default) */
    char *source_path;         /* config file path as given (or "<default>") */
    char *config_text;         /* the YAML text as read */
} absim_deal;

/* Release everything the deal owns (safe on a zeroed deal); leaves it zeroed. */
void absim_deal_free(absim_deal *deal);

/* Original pool balance: sum of line balances. */
double absim_deal_pool_balance(const absim_deal *deal);

/* Index of the sector named `name`, or -1. */
int absim_deal_find_sector(const absim_deal *deal, const char *name);

/* A neutral scenario named "base" (all knobs unset). pd_multiplier and
 * sector_loading are allocated for deal->nsectors; release with
 * absim_scenario_free(). Returns ABSIM_ENOMEM on failure. */
int absim_scenario_init_base(absim_scenario *sc, const absim_deal *deal);
void absim_scenario_free(absim_scenario *sc);

#endif
