/* absim_bench_floor.c -- the random-draw floor of a deal: what one path
 * costs if it only drew its random numbers, with absim's stream design,
 * and did no model work at all (no thresholds, no pool cash flows, no
 * waterfall).
 *
 * Per path, from the same streams absim uses (docs/random-streams.md):
 *   - the short-rate path (absim_rate_path on the RATES stream: one normal
 *     per step; its recursion is one multiply-add);
 *   - the factors (absim_factors_draw on the FACTORS stream);
 *   - per loan-level line (one loan): its latent normal e from the LOANS
 *     words (absim_loans_latent: two words per Philox4x32 block, ziggurat, as
 *     in absim); a loan with e <= c_last (the unconditional threshold) is a
 *     defaulter;
 *   - per larger line: one binomial Binomial(count, F(last)) and then, as
 *     absim's binomial sampler, min(N, last) further draws (N uniforms and
 *     Phi^-1, or last-1 binomials; absim_binomial_draw as in absim);
 *   - per defaulted loan with a random recovery: one recovery draw
 *     (absim_path_recovery on the line's RECOVERY stream; a one-loan
 *     line's starts with its Philox4x32 block, made for all of the path's
 *     one-loan defaulters at once, as in absim).
 * The number of defaulters has the same mean as in the model (the
 * unconditional PD), so the floor draws as many numbers as absim does on
 * average. All draws are summed into a checksum so none is optimised
 * away.
 *
 * usage: absim_bench_floor CONFIG [PATHS]   (default 20000). Prints ns per
 * path (one thread, process CPU time) and JSON. For instruction counts run
 * it under callgrind at two path counts and take the difference. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <hdf5.h>

#include "binomial.h"
#include "config.h"
#include "path.h"
#include "status.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Draws of one path; returns their sum. `r` and `zs` are scratch, `u`
 * holds ABSIM_PATH_BATCH uniforms. */
static double floor_path(const absim_sim_plan *p, uint64_t path, double *r, double *zs, double *u, uint64_t *w,
                         uint32_t *ridx, uint64_t *rw, int64_t *defaulters)
{
    int nrec = 0;
    absim_rng rng;
    absim_factors f;
    double sum = 0.0;
    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
    absim_rate_path(&p->rates, &rng, r);
    sum += r[p->T - 1];
    absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    f.zs = zs;
    absim_factors_draw(p->copula, p->dof, p->nsectors, 0.0, &rng, &f);
    sum += f.zg;
    for (int l = 0; l < p->nlines;) {
        const absim_line_model *m = &p->lines[l];
        if (p->single[l]) {
            int e = l + 1;
            while (e < p->nlines && e - l < ABSIM_PATH_BATCH && p->single[e])
                e++;
            absim_loans_latent(&p->loans, p->seed, path, l, e - l, w, u);
            for (int i = 0; i < e - l; i++) {
                const absim_line_model *mi = &m[i];
                if (u[i] <= mi->threshold[mi->last]) {
                    (*defaulters)++;
                    if (!p->rec_fixed[l + i])
                        ridx[nrec++] = (uint32_t)(l + i); /* recovery below, as absim */
                } else {
                    sum += u[i];
                }
            }
            l = e;
            continue;
        }
        if (m->last > 0 && m->count > 0) {
            absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, l));
            const double q = m->F[m->last];
            int64_t n = 0;
            if (m->sampler == ABSIM_SAMPLER_BINOMIAL) {
                n = absim_binomial_draw(&rng, m->count, q);
                if (n * 80 <= (int64_t)m->last * 95) {
                    for (int64_t i = 0; i < n; i++)
                        sum += gsl_cdf_ugaussian_Pinv(absim_rng_uniform(&rng) * q);
                } else {
                    int64_t left = n;
                    for (int k = 1; k < m->last && left > 0; k++) {
                        int64_t d = absim_binomial_draw(&rng, left, 1.0 / (m->last - k + 1));
                        left -= d;
                        sum += (double)d;
                    }
                }
            } else {
                for (int64_t i = 0; i < m->count; i++) {
                    double v = absim_rng_uniform(&rng);
                    if (v <= q) {
                        sum += gsl_cdf_ugaussian_Pinv(v);
                        n++;
                    }
                }
            }
            *defaulters += n;
            if (n > 0 && !p->rec_fixed[l]) {
                absim_rng_open(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, l));
                for (int64_t i = 0; i < n; i++)
                    sum += absim_path_recovery(p, l, f.zg, &rng);
            }
        }
        l++;
    }
    /* one-loan defaulters' recoveries: their first words in one batch */
    if (nrec > 0)
        absim_rng_blocks32(p->seed, path, ABSIM_STREAM_RECOVERY, ridx, nrec, rw);
    for (int j = 0; j < nrec; j++) {
        absim_rng_open_words(&rng, p->seed, path, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, ridx[j]), rw[2 * j],
                             rw[2 * j + 1]);
        sum += absim_path_recovery(p, (int)ridx[j], f.zg, &rng);
    }
    return sum;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: absim_bench_floor CONFIG [PATHS]\n");
        return 2;
    }
    int64_t paths = argc > 2 ? strtoll(argv[2], NULL, 10) : 20000;
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    absim_deal deal;
    absim_scenario base;
    absim_sim_plan plan;
    memset(&deal, 0, sizeof deal);
    if (absim_config_load(&deal, argv[1], stderr) != ABSIM_OK || absim_scenario_init_base(&base, &deal) != ABSIM_OK)
        return 2;
    if (absim_sim_plan_init(&plan, &deal, &base, deal.sim.seed) != ABSIM_OK) {
        fprintf(stderr, "absim_bench_floor: %s\n", absim_error_message());
        return 2;
    }
    double *r = malloc((size_t)plan.T * sizeof *r), *zs = malloc((size_t)plan.nsectors * sizeof *zs);
    double u[ABSIM_PATH_BATCH];
    uint64_t w[ABSIM_PATH_BATCH];
    uint32_t *ridx = malloc(((size_t)plan.nlines + 1) * sizeof *ridx);
    uint64_t *rw = malloc(2 * ((size_t)plan.nlines + 1) * sizeof *rw);
    if (!r || !zs || !ridx || !rw)
        return 2;
    int64_t defaulters = 0;
    double sum = 0.0, t0 = cpu_seconds();
    for (int64_t i = 0; i < paths; i++)
        sum += floor_path(&plan, (uint64_t)i, r, zs, u, w, ridx, rw, &defaulters);
    double sec = cpu_seconds() - t0;
    printf("floor %s: %" PRId64 " paths, %.0f ns/path (1 thread, CPU time), %.2f defaulters/path, sum %.6e\n",
           argv[1], paths, 1e9 * sec / (double)paths, (double)defaulters / (double)paths, sum);
    printf("{\"bench\": \"absim_bench_floor\", \"config\": \"%s\", \"paths\": %" PRId64
           ", \"ns_per_path\": %.1f, \"defaulters_per_path\": %.3f, \"sum\": %.17g}\n",
           argv[1], paths, 1e9 * sec / (double)paths, (double)defaulters / (double)paths, sum);
    free(r);
    free(zs);
    free(ridx);
    free(rw);
    absim_sim_plan_free(&plan);
    absim_scenario_free(&base);
    absim_deal_free(&deal);
    return isfinite(sum) ? 0 : 1;
}
