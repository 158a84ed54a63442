/* absim_bench_generators.c -- nanoseconds per draw of every stochastic
 * generator in kernels/: raw Philox words and uniforms, normals (ziggurat
 * and inverse CDF), path factors, a line's defaults with each sampler at
 * several loan counts, Beta recoveries and each short-rate model.
 *
 * Every case runs a fixed number of draws from fixed streams, so the
 * checksum (an integer digest of the draws) is the same on every run of a
 * correct build; a mismatch makes the exit code 1 (as in XSBench). Timing
 * is the process CPU clock (CLOCK_PROCESS_CPUTIME_ID, one thread, so time
 * spent descheduled on a busy machine does not count); results go to stdout as
 * a table and then as one JSON object.
 *
 * Usage: absim_bench_generators [--scale S]   (S multiplies the draw
 * counts; the checksum is only verified at S = 1). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "beta.h"
#include "binomial.h"
#include "copula.h"
#include "laws.h"
#include "rates.h"
#include "rng.h"
#include "zignor.h"

#define SEED 20170101ULL
#define MAX_CASES 64

/* Checksum of a correct build at --scale 1. */
#define EXPECTED_CHECKSUM 0xd33b7b119225be74ULL

typedef struct {
    char name[64];
    double ns;        /* per unit */
    const char *unit; /* what one unit is */
    uint64_t digest;
} bench_case;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Integer digest of a double: its value rounded to 2^-24 (robust to
 * last-bit differences between libm builds), mixed in. */
static uint64_t mix_double(uint64_t h, double x)
{
    int64_t q = (int64_t)llround(x * 16777216.0);
    h ^= (uint64_t)q + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t mix_int(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h;
}

static int ncases;
static bench_case cases[MAX_CASES];

static void record(const char *name, double ns_total, double units, const char *unit, uint64_t digest)
{
    if (ncases >= MAX_CASES)
        return;
    bench_case *c = &cases[ncases++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->ns = ns_total / units;
    c->unit = unit;
    c->digest = digest;
}

static void bench_basic(long n)
{
    absim_rng r;
    gsl_rng g;
    double t;
    uint64_t h = 0, acc = 0;
    double s = 0.0;

    absim_rng_open(&r, SEED, 0, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    t = now_ns();
    for (long i = 0; i < n; i++)
        acc += absim_rng_u64(&r);
    record("u64", now_ns() - t, (double)n, "word", mix_int(h, acc));

    absim_rng_open(&r, SEED, 1, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    t = now_ns();
    for (long i = 0; i < n; i++)
        s += absim_rng_uniform(&r);
    record("uniform", now_ns() - t, (double)n, "draw", mix_double(0, s));

    absim_rng_open(&r, SEED, 2, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    absim_rng_bind_gsl(&g, &r);
    s = 0.0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        s += gsl_ran_gaussian_ziggurat(&g, 1.0);
    record("normal_ziggurat", now_ns() - t, (double)n, "draw", mix_double(0, s));

    absim_rng_open(&r, SEED, 3, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    s = 0.0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        s += absim_rng_gaussian_icdf(&r);
    record("normal_icdf", now_ns() - t, (double)n, "draw", mix_double(0, s));

    absim_zig z;
    absim_zig_init(&z);
    absim_rng_open(&r, SEED, 5, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    s = 0.0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        s += absim_zig_draw(&z, &r);
    record("normal_zig_word", now_ns() - t, (double)n, "draw", mix_double(0, s));
}

/* The latent words of one-loan lines (absim_rng_loan_words), 1,000 a path
 * as deal (a), on each route: scalar (Random123), AVX2, AVX-512. A route
 * the CPU lacks is reported as such and not timed; every route's words
 * must equal the scalar ones (else the checksum breaks). */
static void bench_loan_words(long npaths)
{
    enum { LOANS = 1000 };
    static const char *names[3] = {"loan_word_scalar", "loan_word_avx2", "loan_word_avx512"};
    uint64_t w[LOANS], ref = 0;
    const int best = absim_rng_loan_route_best();
    for (int route = ABSIM_LOAN_ROUTE_SCALAR; route <= ABSIM_LOAN_ROUTE_AVX512; route++) {
        char name[64];
        if (route > best) {
            snprintf(name, sizeof name, "%s (not on this CPU)", names[route]);
            record(name, 0.0, 1.0, "word", ref);
            continue;
        }
        uint64_t acc = 0;
        double t = now_ns();
        for (long p = 0; p < npaths; p++) {
            absim_rng_loan_words_route(SEED, (uint64_t)p, 0, LOANS, w, route);
            for (int i = 0; i < LOANS; i += 97)
                acc ^= w[i] + (uint64_t)i;
        }
        t = now_ns() - t;
        if (route == ABSIM_LOAN_ROUTE_SCALAR)
            ref = acc;
        record(names[route], t, (double)npaths * LOANS, "word", acc);
    }
}

static void bench_factors(long npaths)
{
    double zs[8];
    absim_factors f = {0, zs, 1};
    absim_rng r;
    const absim_copula cops[2] = {ABSIM_COPULA_GAUSSIAN, ABSIM_COPULA_STUDENT_T};
    const char *names[2] = {"factors_gaussian_8sectors", "factors_student_t_8sectors"};
    for (int c = 0; c < 2; c++) {
        double s = 0.0;
        double t = now_ns();
        for (long p = 0; p < npaths; p++) {
            absim_rng_open(&r, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
            absim_factors_draw(cops[c], 5.0, 8, 0.0, &r, &f);
            s += f.zg + f.zs[7] + f.mix;
        }
        record(names[c], now_ns() - t, (double)npaths, "path", mix_double(0, s));
    }
}

/* Pieces of the sampler cost model (copula.c): Phi, Phi^-1 and binomial
 * draws with small and large means. */
static void bench_components(long n)
{
    absim_rng r;
    gsl_rng g;
    double s = 0.0, t;
    absim_rng_open(&r, SEED, 4, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    absim_rng_bind_gsl(&g, &r);
    t = now_ns();
    for (long i = 0; i < n; i++)
        s += gsl_cdf_ugaussian_P(-3.0 + 6.0 * (double)i / (double)n);
    record("phi", now_ns() - t, (double)n, "call", mix_double(0, s));
    s = 0.0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        s += gsl_cdf_ugaussian_Pinv(((double)i + 0.5) / (double)n);
    record("phi_inverse", now_ns() - t, (double)n, "call", mix_double(0, s));
    uint64_t acc = 0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        acc += gsl_ran_binomial(&g, 0.05, 40);
    record("binomial_n40_p0.05", now_ns() - t, (double)n, "draw", mix_int(0, acc));
    acc = 0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        acc += gsl_ran_binomial(&g, 0.05 + 1e-9 * (double)(i & 1023), 4000);
    record("binomial_n4000_p0.05", now_ns() - t, (double)n, "draw", mix_int(0, acc));
    /* absim's own exact binomial (kernels/binomial.c), the same cases */
    acc = 0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        acc += (uint64_t)absim_binomial_draw(&r, 40, 0.05);
    record("absim_binomial_n40_p0.05", now_ns() - t, (double)n, "draw", mix_int(0, acc));
    acc = 0;
    t = now_ns();
    for (long i = 0; i < n; i++)
        acc += (uint64_t)absim_binomial_draw(&r, 4000, 0.05 + 1e-9 * (double)(i & 1023));
    record("absim_binomial_n4000_p0.05", now_ns() - t, (double)n, "draw", mix_int(0, acc));
}

/* One line of `count` loans, annual pd over 60 monthly periods, asset
 * correlation 0.2, both samplers; ns per path, factors drawn beforehand. */
#define NFACTORS 4096
static void bench_defaults(long budget, double pd, const char *tag)
{
    const int T = 60;
    const int64_t counts[] = {1, 4, 16, 64, 256, 1024, 4096, 65536};
    absim_line line;
    memset(&line, 0, sizeof line);
    line.count = 1;
    line.term = T;
    line.law = ABSIM_LAW_PD;
    line.law_value = pd;
    double F[61];
    absim_law_default_cdf(&line, T, 1, 1.0, -1, -1.0, F);
    int64_t d[60];
    static double zg[NFACTORS];
    absim_rng r;
    for (int p = 0; p < NFACTORS; p++) {
        absim_rng_open(&r, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
        zg[p] = absim_rng_gaussian_icdf(&r);
    }
    double zs[1] = {0.0};
    absim_factors f = {0, zs, 1};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        for (int s = 0; s < 2; s++) {
            absim_line_model m;
            if (absim_line_model_init(&m, F, T, counts[i], 0, 0.2, 0.0, ABSIM_COPULA_GAUSSIAN, 0, s) != 0)
                continue;
            long npaths = budget / (s == ABSIM_SAMPLER_LOAN ? counts[i] : 4 + (long)(counts[i] * F[T]));
            if (npaths < 100)
                npaths = 100;
            uint64_t h = 0;
            double t = now_ns();
            for (long p = 0; p < npaths; p++) {
                f.zg = zg[p & (NFACTORS - 1)];
                absim_rng_open(&r, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_DEFAULTS, 0));
                int64_t n = absim_line_sample_defaults(&m, &f, &r, d);
                h = mix_int(h, (uint64_t)n * 61u + (uint64_t)(n ? d[0] : 0));
            }
            t = now_ns() - t;
            char name[64];
            snprintf(name, sizeof name, "defaults_%s_%s_n%lld", tag, s == ABSIM_SAMPLER_LOAN ? "loan" : "binomial",
                     (long long)counts[i]);
            record(name, t, (double)npaths, "path", h);
            absim_line_model_free(&m);
        }
    }
}

static void bench_recovery(long n)
{
    absim_rng r, z;
    const double loadings[2] = {0.0, 0.5};
    const char *names[2] = {"recovery_beta", "recovery_beta_loaded"};
    static double zg[NFACTORS];
    absim_rng_open(&z, SEED, 0, ABSIM_STREAM_ID(ABSIM_STREAM_FACTORS, 0));
    for (int i = 0; i < NFACTORS; i++)
        zg[i] = absim_rng_gaussian_icdf(&z);
    for (int c = 0; c < 2; c++) {
        long m = c ? n / 10 : n;
        absim_rng_open(&r, SEED, 0, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 0));
        double s = 0.0;
        double t = now_ns();
        for (long i = 0; i < m; i++)
            s += absim_recovery_draw(0.4, 0.2, loadings[c], 0.0, zg[i & (NFACTORS - 1)], &r);
        record(names[c], now_ns() - t, (double)m, "draw", mix_double(0, s));
    }
    /* the prepared table law the simulator uses for unloaded recoveries */
    absim_beta_law law;
    if (absim_beta_init(&law, 0.4 * 5.0, 0.6 * 5.0) != ABSIM_OK) /* mean 0.4, sd 0.2 */
        return;
    absim_rng_open(&r, SEED, 0, ABSIM_STREAM_ID(ABSIM_STREAM_RECOVERY, 1));
    double s = 0.0, t = now_ns();
    for (long i = 0; i < n; i++)
        s += absim_beta_draw(&law, &r);
    record("recovery_beta_table", now_ns() - t, (double)n, "draw", mix_double(0, s));
    absim_beta_free(&law);
}

static void bench_rates(long npaths)
{
    const int T = 120;
    double ct[3] = {1.0, 5.0, 10.0}, cz[3] = {0.02, 0.03, 0.035};
    absim_rates rr = {ABSIM_RATES_FLAT, 0.03, 0.2, 0.035, 0.01, ct, cz, 3};
    const absim_rate_model models[4] = {ABSIM_RATES_FLAT, ABSIM_RATES_VASICEK, ABSIM_RATES_CIR,
                                        ABSIM_RATES_HULL_WHITE};
    const char *names[4] = {"rates_flat", "rates_vasicek", "rates_cir", "rates_hull_white"};
    double r[120];
    for (int m = 0; m < 4; m++) {
        absim_rate_plan plan;
        rr.model = models[m];
        rr.sigma = models[m] == ABSIM_RATES_CIR ? 0.05 : 0.01;
        if (absim_rate_plan_init(&plan, &rr, 0.0, T, 1.0 / 12.0) != 0)
            continue;
        absim_rng g;
        double s = 0.0;
        double t = now_ns();
        for (long p = 0; p < npaths; p++) {
            absim_rng_open(&g, SEED, (uint64_t)p, ABSIM_STREAM_ID(ABSIM_STREAM_RATES, 0));
            absim_rate_path(&plan, &g, r);
            s += r[T - 1];
        }
        record(names[m], now_ns() - t, (double)npaths * (T - 1), "step", mix_double(0, s));
        absim_rate_plan_free(&plan);
    }
}

int main(int argc, char **argv)
{
    double scale = 1.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--scale S]\n", argv[0]);
            return 2;
        }
    }
    if (!(scale > 0.0)) {
        fprintf(stderr, "absim_bench_generators: --scale must be > 0\n");
        return 2;
    }
    gsl_set_error_handler_off();

    bench_basic((long)(1e7 * scale));
    bench_loan_words((long)(1e4 * scale));
    bench_components((long)(2e6 * scale));
    bench_factors((long)(5e5 * scale));
    bench_defaults((long)(4e6 * scale), 0.02, "pd2");
    bench_defaults((long)(4e6 * scale), 0.20, "pd20");
    bench_recovery((long)(1e6 * scale));
    bench_rates((long)(5e4 * scale));

    uint64_t checksum = 0;
    printf("%-36s %12s  %s\n", "generator", "ns", "per");
    for (int i = 0; i < ncases; i++) {
        printf("%-36s %12.2f  %s\n", cases[i].name, cases[i].ns, cases[i].unit);
        checksum = mix_int(checksum, cases[i].digest);
    }
    int verify = scale == 1.0;
    int valid = !verify || checksum == EXPECTED_CHECKSUM;
    printf("checksum %016llx (%s)\n", (unsigned long long)checksum,
           verify ? (valid ? "valid" : "INVALID") : "not verified at this scale");

    printf("{\"bench\": \"generators\", \"rng\": \"%s\", \"scale\": %g, \"cases\": [", ABSIM_RNG_NAME, scale);
    for (int i = 0; i < ncases; i++)
        printf("%s{\"name\": \"%s\", \"ns\": %.3f, \"per\": \"%s\"}", i ? ", " : "", cases[i].name, cases[i].ns,
               cases[i].unit);
    printf("], \"checksum\": \"%016llx\", \"valid\": %s}\n", (unsigned long long)checksum,
           verify ? (valid ? "true" : "false") : "null");
    return valid ? 0 : 1;
}
