/* absim_bench_naive.c -- the naive reference kernel (per loan, per
 * period) for loan-level deals, checked against absim on the same random
 * numbers and timed against it.
 *
 * Naive path: the same rate path and factors (same streams); for every
 * loan, its latent draw as a uniform u (the LOANS streams, as absim) and, period by period,
 * its conditional default probability q_k = Phi((c_k m - s)/c) until
 * u <= q_k (the default period); a defaulter's recovery from its RECOVERY
 * stream; then every loan's cash flows period by period (performing
 * balance, interest, scheduled principal, prepayment, default, recovery)
 * summed into the pool, and absim's waterfall. Cost O(loans x periods).
 *
 * Check: per path, the default period of every loan must be the same as
 * in absim_path_simulate (exact), and the pool arrays and every tranche's
 * loss must agree to 1e-9 of the pool balance (the sums are formed in a
 * different order). Exit code 1 on any mismatch.
 *
 * usage: absim_bench_naive CONFIG [PATHS] [ABSIM_PATHS]
 *   (default bench/configs/a_tape_1000.yaml, 200 naive paths, 20000 absim
 *   paths for the timing; any 4th argument skips the check). Only deals
 *   whose lines are single loans. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "config.h"
#include "path.h"
#include "status.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Naive path: per loan, per period. Writes the collateral, the waterfall
 * result and every loan's default period (0 = none). */
static void naive_path(const absim_sim_plan *p, uint64_t path, double *r, double *zs, absim_collateral *c,
                       absim_waterfall_result *wf, int *kdef)
{
    const int T = p->T;
    const absim_pool_plan *pl = &p->pool;
    const size_t P = (size_t)T + 1;
    absim_rng rng;
    absim_factors f;
    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    absim_rate_path(&p->rates, &rng, r);
    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    f.zs = zs;
    absim_factors_draw(p->copula, p->dof, p->nsectors, 0.0, &rng, &f);
    for (int k = 0; k < T; k++)
        c->balance_start[k] = c->balance_end[k] = c->interest[k] = c->sched_principal[k] = c->prepayments[k] =
            c->defaults[k] = c->recoveries[k] = c->losses[k] = c->pending[k] = 0.0;
    for (int l = 0; l < p->nlines; l++) {
        const absim_line_model *m = &p->lines[l];
        double s = m->bg * f.zg + (m->bs != 0.0 ? m->bs * f.zs[m->sector] : 0.0);
        /* the latent draw as a uniform: u = Phi(e) for one-loan lines */
        double u;
        if (p->single[l]) {
            uint64_t w;
            double e;
            absim_loans_latent(&p->loans, p->seed, path, l, 1, &w, &e);
            u = gsl_cdf_ugaussian_P(e);
        } else {
            absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, l));
            u = absim_rng_uniform(&rng);
        }
        int kd = 0;
        for (int k = 1; k <= T && !kd; k++) {
            double ck = m->threshold[k];
            double q = ck == -INFINITY ? 0.0 : ck == INFINITY ? 1.0 : gsl_cdf_ugaussian_P((ck * f.mix - s) / m->c);
            if (u <= q)
                kd = k;
        }
        kdef[l] = kd;
        const double lb = pl->loan_balance[l];
        const double *fac = pl->factor + (size_t)l * P, *sc = pl->sched + (size_t)l * P,
                     *pp = pl->prepay + (size_t)l * P;
        for (int k = 1; k <= T; k++) {
            if (kd && k > kd)
                break;
            double start = lb * fac[k - 1];
            c->balance_start[k - 1] += start;
            if (k == kd) {
                double rec = 0.0;
                if (p->single[l]) { /* its recovery stream starts with its Philox4x32 block */
                    const uint32_t idx = (uint32_t)l;
                    uint64_t rw[2];
                    absim_rng_blocks32(p->seed, path, ABSIM_STREAM_RECOVERY, &idx, 1, rw);
                    absim_rng_open_words(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, l), rw[0], rw[1]);
                } else {
                    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, l));
                }
                rec = absim_path_recovery(p, l, f.zg, &rng);
                int when = k + pl->lag[l] < T ? k + pl->lag[l] : T;
                c->defaults[k - 1] += start;
                c->recoveries[when - 1] += rec * start;
                c->losses[k - 1] += start - rec * start;
                break;
            }
            double rate = pl->floating[l] ? fmax(0.0, r[k - 1] + pl->spread[l]) : pl->coupon[l];
            c->interest[k - 1] += start * rate * pl->dt;
            c->sched_principal[k - 1] += lb * sc[k];
            c->prepayments[k - 1] += lb * pp[k];
            c->balance_end[k - 1] += lb * fac[k];
        }
    }
    double drawn = 0.0, received = 0.0;
    for (int k = 1; k <= T; k++) {
        drawn += c->defaults[k - 1] - c->losses[k - 1];
        received += c->recoveries[k - 1];
        c->pending[k - 1] = k < T && drawn - received > 0.0 ? drawn - received : 0.0;
        c->principal[k - 1] = c->sched_principal[k - 1] + c->prepayments[k - 1];
    }
    absim_waterfall_run(&p->waterfall, c, r, 0, wf, NULL);
}

int main(int argc, char **argv)
{
    const char *cfg = argc > 1 ? argv[1] : "bench/configs/a_tape_1000.yaml";
    int64_t paths = argc > 2 ? strtoll(argv[2], NULL, 10) : 200;
    int64_t apaths = argc > 3 ? strtoll(argv[3], NULL, 10) : 20000;
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    absim_deal deal;
    absim_scenario base;
    absim_sim_plan plan;
    absim_path_scratch s;
    absim_collateral c;
    memset(&deal, 0, sizeof deal);
    if (absim_config_load(&deal, cfg, stderr) != ABSIM_OK || absim_scenario_init_base(&base, &deal) != ABSIM_OK)
        return 2;
    if (absim_sim_plan_init(&plan, &deal, &base, deal.sim.seed) != ABSIM_OK ||
        absim_path_scratch_alloc(&s, &plan) != ABSIM_OK || absim_collateral_alloc(&c, plan.T) != ABSIM_OK) {
        fprintf(stderr, "absim_bench_naive: %s\n", absim_error_message());
        return 2;
    }
    for (int l = 0; l < plan.nlines; l++)
        if (plan.lines[l].count != 1 || plan.lines[l].sampler != ABSIM_SAMPLER_LOAN || plan.has_alt ||
            plan.originator || plan.antithetic || plan.qmc || plan.zg_shift != 0.0) {
            fprintf(stderr, "absim_bench_naive: only plain loan-level deals (one loan a line)\n");
            return 2;
        }
    double *r = malloc((size_t)plan.T * sizeof *r), *zs = malloc((size_t)plan.nsectors * sizeof *zs);
    int *kdef = malloc((size_t)plan.nlines * sizeof *kdef);
    if (!r || !zs || !kdef)
        return 2;
    const double tol = 1e-9 * plan.pool.original_balance;
    int64_t bad_periods = 0, bad_values = 0, defaults = 0;
    double max_diff = 0.0;
    absim_waterfall_result wf;
    absim_path_result out;
    double t0 = cpu_seconds();
    for (int64_t i = 0; i < paths; i++)
        naive_path(&plan, (uint64_t)i, r, zs, &c, &wf, kdef);
    double naive_sec = cpu_seconds() - t0;
    /* check, path by path (skipped with a 4th argument: timing only, for
     * callgrind instruction counts of the naive kernel) */
    const int64_t checked = argc > 4 ? 0 : paths;
    for (int64_t i = 0; i < checked; i++) {
        naive_path(&plan, (uint64_t)i, r, zs, &c, &wf, kdef);
        absim_path_simulate(&plan, (uint64_t)i, &s, &out);
        for (int k = 0; k < plan.T; k++) {
            double d[8] = {c.balance_start[k] - s.collateral.balance_start[k],
                           c.balance_end[k] - s.collateral.balance_end[k],
                           c.interest[k] - s.collateral.interest[k],
                           c.principal[k] - s.collateral.principal[k],
                           c.defaults[k] - s.collateral.defaults[k],
                           c.recoveries[k] - s.collateral.recoveries[k],
                           c.losses[k] - s.collateral.losses[k],
                           c.pending[k] - s.collateral.pending[k]};
            /* after the pool horizon (the certain clean-up call) absim
             * leaves balances, interest and principal at their no-default
             * values: nobody reads them */
            for (int j = k < plan.pool.horizon ? 0 : 4; j < 8; j++) {
                if (fabs(d[j]) > max_diff)
                    max_diff = fabs(d[j]);
                bad_values += fabs(d[j]) > tol;
            }
        }
        for (int t = 0; t < plan.ntranches; t++)
            bad_values += fabs(wf.loss[t] - out.wf.loss[t]) > 1e-9;
        int64_t nd = 0;
        for (int l = 0; l < plan.nlines; l++)
            nd += kdef[l] != 0;
        defaults += nd;
    }
    /* exact default periods: recompute absim's events through the public kernels */
    for (int64_t i = 0; i < checked; i++) {
        absim_factors f;
        absim_rng rng;
        naive_path(&plan, (uint64_t)i, r, zs, &c, &wf, kdef);
        double zs2[64];
        if (plan.nsectors > 64)
            break;
        f.zs = zs2;
        absim_rng_open(&rng, plan.seed, (uint64_t)i, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        absim_factors_draw(plan.copula, plan.dof, plan.nsectors, 0.0, &rng, &f);
        for (int l = 0; l < plan.nlines; l++) {
            int ka = 0;
            if (plan.single[l]) {
                uint64_t w;
                double e;
                absim_loans_latent(&plan.loans, plan.seed, (uint64_t)i, l, 1, &w, &e);
                int one;
                absim_loans_sample(&plan.loans, l, 1, &f, &e, &ka, &one);
            } else {
                int64_t dl[ABSIM_MAX_PERIODS];
                absim_rng_open(&rng, plan.seed, (uint64_t)i, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, l));
                absim_line_sample_defaults(&plan.lines[l], &f, &rng, dl);
                for (int k = 0; k < plan.T; k++)
                    if (dl[k])
                        ka = k + 1;
            }
            bad_periods += ka != kdef[l];
        }
    }
    t0 = cpu_seconds();
    for (int64_t i = 0; i < apaths; i++)
        absim_path_simulate(&plan, (uint64_t)i, &s, &out);
    double absim_sec = cpu_seconds() - t0;
    double ns_naive = 1e9 * naive_sec / (double)paths, ns_absim = 1e9 * absim_sec / (double)apaths;
    int ok = bad_periods == 0 && bad_values == 0;
    printf("naive %s: %" PRId64 " paths, %.0f ns/path; absim %" PRId64 " paths, %.0f ns/path; speed-up %.1fx\n", cfg,
           paths, ns_naive, apaths, ns_absim, ns_naive / ns_absim);
    printf("check: %.2f defaults/path, default-period mismatches %" PRId64 ", values beyond 1e-9 x pool %" PRId64
           ", max |diff| %.3g (currency) -> %s\n",
           (double)defaults / (double)paths, bad_periods, bad_values, max_diff, ok ? "equal" : "MISMATCH");
    printf("{\"bench\": \"absim_bench_naive\", \"config\": \"%s\", \"naive_paths\": %" PRId64
           ", \"naive_ns_per_path\": %.1f, \"absim_paths\": %" PRId64
           ", \"absim_ns_per_path\": %.1f, \"speedup\": %.2f, \"period_mismatches\": %" PRId64
           ", \"value_mismatches\": %" PRId64 ", \"max_abs_diff\": %.6g, \"equal\": %s}\n",
           cfg, paths, ns_naive, apaths, ns_absim, ns_naive / ns_absim, bad_periods, bad_values, max_diff,
           ok ? "true" : "false");
    free(r);
    free(zs);
    free(kdef);
    absim_collateral_free(&c);
    absim_path_scratch_free(&s);
    absim_sim_plan_free(&plan);
    absim_scenario_free(&base);
    absim_deal_free(&deal);
    return ok ? 0 : 1;
}
