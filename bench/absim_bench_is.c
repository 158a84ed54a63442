/* absim_bench_is.c -- importance sampling against plain Monte Carlo on a
 * senior tranche with a default probability of about 1e-4.
 *
 * Deal: one period, 5,000 homogeneous loans (PD 2%, recovery 40%, asset
 * correlation 0.2), pure subordination; the senior note attaches at 20%,
 * so P(senior loss) ~ 1e-4 (Vasicek: 1 - Phi((sqrt(0.8) Phi^-1(1/3) -
 * Phi^-1(0.02)) / sqrt(0.2)) = 9.6e-5). Plain Monte Carlo runs N paths,
 * importance sampling (automatic tail-matching shift of the systematic
 * factor) N/50. For each, the paths needed to reach a common standard
 * error are n * se^2 / target^2; the ratio plain / IS is the speed-up in
 * paths. Prints a table and JSON; exits 1 unless IS needs at least 50x
 * fewer paths for both the senior EL and PD, and 2 on a setup failure.
 *
 * usage: absim_bench_is [PLAIN_PATHS] (default 2,000,000) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "config.h"
#include "driver.h"
#include "status.h"

static const char yaml_fmt[] =
    "deal: {name: senior tail, periods: 1, period_months: 12}\n"
    "simulation: {paths: 1000, seed: 2026, quantiles: [0.99]%s}\n"
    "rates: {model: flat, r0: 0.0}\n"
    "pool: {lines: [{name: loans, count: 5000, balance: 1.0e8, coupon: 0.0, term: 1, amortization: bullet,\n"
    "        pd: 0.02, recovery: {mean: 0.4}}]}\n"
    "correlation: {systematic: 0.2}\n"
    "structure: {tranches: [{name: Senior, balance: 8.0e7, coupon: 0.0}, {name: Mezz, balance: 1.5e7, coupon: 0.0},\n"
    "                       {name: Equity, balance: 0.5e7, coupon: 0.0}]}\n";

static int run(const char *extra, int64_t paths, absim_scenario_run *out)
{
    char yaml[2048];
    absim_deal deal;
    absim_scenario base;
    absim_run_options o;
    snprintf(yaml, sizeof yaml, yaml_fmt, extra);
    memset(&deal, 0, sizeof deal);
    if (absim_config_load_string(&deal, yaml, strlen(yaml), "bench_is.yaml", NULL, stderr) != ABSIM_OK)
        return -1;
    if (absim_scenario_init_base(&base, &deal) != ABSIM_OK) {
        absim_deal_free(&deal);
        return -1;
    }
    memset(&o, 0, sizeof o);
    o.paths = paths;
    o.seed = deal.sim.seed;
    o.threads = 0;
    o.progress = ABSIM_PROGRESS_NONE;
    int rc = absim_driver_run(&deal, &base, &o, out);
    absim_scenario_free(&base);
    absim_deal_free(&deal);
    return rc == ABSIM_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int64_t n_plain = argc > 1 ? atoll(argv[1]) : 2000000;
    if (n_plain < 5000) {
        fprintf(stderr, "absim_bench_is: PLAIN_PATHS must be >= 5000\n");
        return 2;
    }
    int64_t n_is = n_plain / 50;
    absim_scenario_run plain, is;
    if (run("", n_plain, &plain) || run(", importance_sampling: auto", n_is, &is)) {
        fprintf(stderr, "absim_bench_is: %s\n", absim_error_message());
        return 2;
    }
    const absim_summary *p = &plain.summary, *q = &is.summary;
    double el_gain = (double)n_plain * p->expected_loss_stderr[0] * p->expected_loss_stderr[0] /
                     ((double)n_is * q->expected_loss_stderr[0] * q->expected_loss_stderr[0]);
    double pd_gain = (double)n_plain * p->default_probability_stderr[0] * p->default_probability_stderr[0] /
                     ((double)n_is * q->default_probability_stderr[0] * q->default_probability_stderr[0]);
    double z_el = (p->expected_loss[0] - q->expected_loss[0]) /
                  hypot(p->expected_loss_stderr[0], q->expected_loss_stderr[0]);
    printf("senior tranche, PD ~ 1e-4        plain MC              importance sampling\n");
    printf("  paths                      %14lld        %14lld\n", (long long)n_plain, (long long)n_is);
    printf("  expected loss              %14.6e        %14.6e\n", p->expected_loss[0], q->expected_loss[0]);
    printf("  EL standard error          %14.3e        %14.3e\n", p->expected_loss_stderr[0],
           q->expected_loss_stderr[0]);
    printf("  default probability        %14.6e        %14.6e\n", p->default_probability[0],
           q->default_probability[0]);
    printf("  PD standard error          %14.3e        %14.3e\n", p->default_probability_stderr[0],
           q->default_probability_stderr[0]);
    printf("  seconds                    %14.3f        %14.3f\n", plain.seconds, is.seconds);
    printf("paths needed for equal standard error, plain / IS: EL %.1fx, PD %.1fx (target >= 50x)\n", el_gain,
           pd_gain);
    printf("time for equal standard error, plain / IS: EL %.1fx\n",
           el_gain * (plain.seconds / (double)n_plain) / (is.seconds / (double)n_is));
    printf("agreement of the two EL estimates: %.2f combined standard errors\n", z_el);
    printf("{\"plain_paths\": %lld, \"is_paths\": %lld, \"el_plain\": %.10e, \"el_is\": %.10e, "
           "\"el_se_plain\": %.6e, \"el_se_is\": %.6e, \"pd_plain\": %.10e, \"pd_is\": %.10e, "
           "\"el_path_gain\": %.3f, \"pd_path_gain\": %.3f, \"shift_agreement_z\": %.3f}\n",
           (long long)n_plain, (long long)n_is, p->expected_loss[0], q->expected_loss[0], p->expected_loss_stderr[0],
           q->expected_loss_stderr[0], p->default_probability[0], q->default_probability[0], el_gain, pd_gain, z_el);
    int ok = el_gain >= 50.0 && pd_gain >= 50.0 && fabs(z_el) < 4.0;
    absim_scenario_run_free(&plain);
    absim_scenario_run_free(&is);
    return ok ? 0 : 1;
}
