/* absim_bench.c -- end-to-end throughput of absim on the reference deals
 * in bench/configs/ (see docs/performance.md).
 *
 * For each deal: paths/s with 1 thread and with all threads (each the best
 * of --repeat runs: wall-clock time on a shared machine varies a lot, the
 * best run is the least disturbed one), ns per path per thread, peak RSS of
 * the process, and a checksum of the results. A run goes through
 * absim_driver_run() exactly as `absim run --no-paths` does (no output
 * file), so the figures include the per-wave reduction. Results do not
 * depend on the thread count, so the checksum is the same for every run;
 * at the default path counts it is compared with the value recorded for a
 * correct build and the exit code is 1 on a mismatch (as in XSBench).
 *
 * usage: absim_bench [--deal NAME] [--paths N] [--threads T] [--repeat R]
 *                    [--configs DIR] [--once]
 *   --deal     one of the deals below (default: all)
 *   --paths    paths per run (default: the deal's own; the checksum is only
 *              verified at the default)
 *   --threads  the "all threads" count (default: omp_get_max_threads())
 *   --once     one run with one thread, no timing table (for callgrind:
 *              instructions per path = difference of two path counts)
 * Prints a table, then one JSON object on stdout. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <omp.h>

#include "config.h"
#include "driver.h"
#include "status.h"

#ifndef ABSIM_BENCH_CONFIG_DIR
#define ABSIM_BENCH_CONFIG_DIR "bench/configs"
#endif

typedef struct {
    const char *name;     /* config file stem */
    int64_t paths;        /* default path count */
    uint64_t checksum;    /* at the default path count and the config's seed */
} bench_deal;

static const bench_deal deals[] = {
    {"a_tape_1000", 20000, 0xbfa54d7dd223f0a0ULL},
    {"b_granular_20x5000", 10000, 0x5d7ca8d6e37ff2e2ULL},
    {"b_granular_20x500", 10000, 0x94d160b236d87829ULL},
    {"c_homogeneous_1m", 200000, 0x849796a6641aa633ULL},
};
#define NDEALS ((int)(sizeof deals / sizeof deals[0]))

/* Integer digest of a double rounded to 2^-24 (robust to last-bit libm
 * differences). */
static uint64_t mix_double(uint64_t h, double x)
{
    int64_t q = isfinite(x) ? (int64_t)llround(x * 16777216.0) : 0x7ff;
    h ^= (uint64_t)q + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t summary_digest(const absim_summary *s)
{
    uint64_t h = 0;
    for (int t = 0; t < s->ntranches; t++) {
        h = mix_double(h, s->expected_loss[t]);
        h = mix_double(h, s->default_probability[t]);
        h = mix_double(h, s->wal[t]);
    }
    h = mix_double(h, s->pool_expected_loss);
    h = mix_double(h, s->pool_expected_default_rate);
    return h;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

/* One driver run; returns seconds (< 0 on failure) and the digest. */
static double run_once(const absim_deal *deal, const absim_scenario *base, int64_t paths, int threads,
                       uint64_t *digest, double *pool_dr)
{
    absim_run_options o;
    absim_scenario_run r;
    memset(&o, 0, sizeof o);
    o.paths = paths;
    o.seed = deal->sim.seed;
    o.threads = threads;
    o.progress = ABSIM_PROGRESS_NONE;
    if (absim_driver_run(deal, base, &o, &r) != ABSIM_OK) {
        fprintf(stderr, "absim_bench: %s\n", absim_error_message());
        return -1.0;
    }
    *digest = summary_digest(&r.summary);
    *pool_dr = r.summary.pool_expected_default_rate;
    double sec = r.seconds;
    absim_scenario_run_free(&r);
    return sec;
}

int main(int argc, char **argv)
{
    const char *only = NULL, *dir = ABSIM_BENCH_CONFIG_DIR;
    int64_t paths_opt = 0;
    int threads_all = omp_get_max_threads(), repeat = 3, once = 0, bad = 0, ran = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--deal") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--paths") && i + 1 < argc)
            paths_opt = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads_all = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--configs") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--once"))
            once = 1;
        else {
            fprintf(stderr, "usage: absim_bench [--deal NAME] [--paths N] [--threads T] [--repeat R] "
                            "[--configs DIR] [--once]\n");
            return 2;
        }
    }
    if (threads_all < 1)
        threads_all = 1;
    if (repeat < 1)
        repeat = 1;
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    char json[8192];
    size_t jl = 0;
    jl += (size_t)snprintf(json + jl, sizeof json - jl, "{\"bench\": \"absim_bench\", \"threads_all\": %d, \"deals\": [",
                           threads_all);
    if (!once)
        printf("%-20s %9s %12s %12s %10s %10s %8s %8s  %-18s %s\n", "deal", "paths", "paths/s(1)", "paths/s(all)",
               "ns/path/t", "ns(all)/t", "eff", "RSS MB", "checksum", "ok");
    for (int d = 0; d < NDEALS; d++) {
        if (only && strcmp(only, deals[d].name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.yaml", dir, deals[d].name);
        absim_deal deal;
        absim_scenario base;
        memset(&deal, 0, sizeof deal);
        if (absim_config_load(&deal, path, stderr) != ABSIM_OK) {
            fprintf(stderr, "absim_bench: cannot load %s (run from the source directory or pass --configs)\n",
                    path);
            return 2;
        }
        if (absim_scenario_init_base(&base, &deal) != ABSIM_OK) {
            absim_deal_free(&deal);
            return 2;
        }
        int64_t paths = paths_opt > 0 ? paths_opt : deals[d].paths;
        uint64_t digest = 0, dg;
        double dr = 0.0, best1 = INFINITY, bestn = INFINITY;
        if (once) {
            if (run_once(&deal, &base, paths, 1, &digest, &dr) < 0)
                return 2;
            printf("%s paths=%" PRId64 " checksum=0x%016" PRIx64 "\n", deals[d].name, paths, digest);
            absim_scenario_free(&base);
            absim_deal_free(&deal);
            ran++;
            continue;
        }
        for (int rep = 0; rep < repeat; rep++) {
            double s1 = run_once(&deal, &base, paths, 1, &dg, &dr);
            if (s1 < 0)
                return 2;
            if (rep == 0)
                digest = dg;
            bad |= dg != digest; /* thread count must not change results */
            double sn = run_once(&deal, &base, paths, threads_all, &dg, &dr);
            if (sn < 0)
                return 2;
            bad |= dg != digest;
            if (s1 < best1)
                best1 = s1;
            if (sn < bestn)
                bestn = sn;
        }
        int verified = paths == deals[d].paths;
        int ok = !verified || digest == deals[d].checksum;
        bad |= !ok;
        double pps1 = paths / best1, ppsn = paths / bestn;
        double ns1 = 1e9 / pps1, nsn = 1e9 * threads_all / ppsn, eff = ppsn / (threads_all * pps1);
        printf("%-20s %9" PRId64 " %12.0f %12.0f %10.0f %10.0f %7.1f%% %8.1f  0x%016" PRIx64 " %s\n", deals[d].name,
               paths, pps1, ppsn, ns1, nsn, 100.0 * eff, peak_rss_mb(), digest,
               verified ? (ok ? "valid" : "INVALID") : "(not verified)");
        jl += (size_t)snprintf(json + jl, sizeof json - jl,
                               "%s{\"deal\": \"%s\", \"paths\": %" PRId64 ", \"paths_per_s_1\": %.1f, "
                               "\"paths_per_s_all\": %.1f, \"ns_per_path_per_thread_1\": %.1f, "
                               "\"ns_per_path_per_thread_all\": %.1f, \"parallel_efficiency\": %.4f, "
                               "\"peak_rss_mb\": %.1f, \"pool_default_rate\": %.6f, \"checksum\": \"0x%016" PRIx64
                               "\", \"checksum_verified\": %s, \"valid\": %s}",
                               ran ? ", " : "", deals[d].name, paths, pps1, ppsn, ns1, nsn, eff, peak_rss_mb(), dr,
                               digest, verified ? "true" : "false", ok ? "true" : "false");
        ran++;
        absim_scenario_free(&base);
        absim_deal_free(&deal);
    }
    if (!ran) {
        fprintf(stderr, "absim_bench: no deal named %s\n", only ? only : "");
        return 2;
    }
    if (!once) {
        snprintf(json + jl, sizeof json - jl, "], \"repeat\": %d, \"valid\": %s}", repeat, bad ? "false" : "true");
        printf("%s\n", json);
    }
    return bad ? 1 : 0;
}
