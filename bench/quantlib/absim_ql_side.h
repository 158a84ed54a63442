/* absim_ql_side.h -- the absim half of absim_bench_quantlib: a small C
 * interface (compiled as C11 and linked with absim's static libraries) so
 * that the C++ program never includes absim's C headers.
 *
 * absimql_open() loads a config of the form of
 * bench/configs/quantlib_basket.yaml and checks that it is a homogeneous
 * one-period basket that QuantLib's RandomDefaultLM can model identically:
 * one period, pd law, fixed recovery without lag, bullet loans of the same
 * size with no coupon and no prepayment, a Gaussian one-factor copula
 * without sector factors, and zero-coupon sequential notes without fees,
 * reserve, triggers or residual (so that each note's loss is the pool loss
 * tranched between its attachment and detachment points). It returns the
 * basket's parameters for the QuantLib side. */
#ifndef ABSIM_QL_SIDE_H
#define ABSIM_QL_SIDE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ABSIMQL_MAX_TRANCHES 32

typedef struct {
    int names;                       /* loans in the basket */
    int lines;                       /* lines in the config (1: one line of `names` loans) */
    double notional;                 /* per name, currency units */
    double pd;                       /* probability of default within the period (1 year) */
    double recovery;                 /* fixed recovery rate */
    double rho;                      /* asset correlation = systematic weight b^2 */
    double years;                    /* the horizon: period_months / 12 */
    uint64_t seed;                   /* simulation.seed of the config */
    int ntranches;                   /* notes, most JUNIOR first */
    char tranche_name[ABSIMQL_MAX_TRANCHES][64];
    double attach[ABSIMQL_MAX_TRANCHES], detach[ABSIMQL_MAX_TRANCHES]; /* fractions of the pool */
} absimql_basket;

typedef struct {
    int64_t paths;
    double wall_s, cpu_s;            /* best over the repeats (each the least disturbed run) */
    double pool_el, pool_el_se;      /* E[pool loss] / pool notional and its standard error */
    double el[ABSIMQL_MAX_TRANCHES], el_se[ABSIMQL_MAX_TRANCHES]; /* fraction of the tranche, junior first */
    double pd[ABSIMQL_MAX_TRANCHES], pd_se[ABSIMQL_MAX_TRANCHES]; /* P(tranche loss > 1e-9) */
} absimql_result;

typedef struct absimql absimql;

/* NULL on failure, with a message in err. */
absimql *absimql_open(const char *config_path, absimql_basket *basket, char *err, size_t errlen);

/* Run `paths` paths `repeat` times with one thread through absim_driver_run
 * (as `absim run --threads 1 --no-paths`). per_name = 0: the config as
 * loaded; 1: the same basket written as `names` single-loan lines (absim's
 * loan-by-loan sampler instead of the conditional binomial one). Returns 0
 * on success. */
int absimql_run(absimql *h, int per_name, int64_t paths, uint64_t seed, int repeat, absimql_result *out,
                char *err, size_t errlen);

void absimql_close(absimql *h);

/* Inverse of the standard normal distribution function (GSL). */
double absimql_norm_inv(double p);

#ifdef __cplusplus
}
#endif

#endif
