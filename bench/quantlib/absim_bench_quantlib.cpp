/* absim_bench_quantlib.cpp -- absim against QuantLib's Monte Carlo default
 * simulation (RandomDefaultLM, Gaussian copula) on the same basket, one
 * thread each (docs/performance.md, "absim against QuantLib").
 *
 * The basket is read from bench/configs/quantlib_basket.yaml (by default:
 * 100 names of equal notional, one-year PD 2% as a flat hazard rate,
 * recovery 40%, one-factor Gaussian asset correlation 0.2, zero-coupon
 * sequential notes 0-3%, 3-7%, 7-15%, 15-100%); QuantLib's side is built
 * from the same numbers:
 *   - one Issuer per name with a FlatHazardRate h = -ln(1 - PD) (Actual/365
 *     Fixed), a Pool, and one Basket per tranche (attachment, detachment);
 *   - GaussianConstantLossLM with factor weight sqrt(rho) and the constant
 *     recovery, simulated by RandomDefaultLM<GaussianCopulaPolicy,
 *     RandomSequenceGenerator<MersenneTwisterUniformRng>>: pseudo-random
 *     Monte Carlo as absim's (the library's GaussianRandomDefaultLM typedef
 *     draws a Sobol sequence instead; --ql-sobol times it too);
 *   - each tranche basket gets its own model with the same seed, so all
 *     QuantLib estimates come from the same default scenarios.
 *
 * Quantities compared (both tools compute them on every path):
 *   - the expected pool loss, as a fraction of the pool notional;
 *   - each tranche's expected loss, as a fraction of the tranche notional
 *     (QuantLib: RandomLM::expectedTrancheLossInterval, the library's own
 *     mean and error estimate);
 *   - each tranche's probability of a loss, P(N >= k) with k the smallest
 *     default count that reaches into the tranche (QuantLib:
 *     Basket::probAtLeastNEvents; absim: the tranche default probability).
 * The referee is exact: P(N = k) = int phi(z) Binomial(n, p(z))(k) dz,
 * p(z) = Phi((Phi^-1(PD) - sqrt(rho) z) / sqrt(1 - rho)), by composite
 * Simpson on [-10, 10] (the difference between 4,000 and 8,000 intervals
 * is printed as its error).
 *
 * Timing (wall clock and process CPU time, best of --repeat runs each):
 *   - QuantLib: the first statistic on the 0-100% basket runs the
 *     simulation and one pass over the stored paths; calling it again runs
 *     the pass alone. QuantLib's paths/s is that of the simulation alone
 *     (first - second call), which favours QuantLib.
 *   - absim: absim_driver_run with one thread and no output file, as
 *     `absim run CONFIG --threads 1 --no-paths`, all statistics included;
 *     both for the config (one line of 100 loans: conditional binomial
 *     sampler) and for the same basket written as 100 single-loan lines
 *     (loan-by-loan sampler, the way QuantLib simulates it).
 *
 * Exit code: 0 when every estimate agrees with the other tool's and with
 * the exact value within 4 combined standard errors (the exact standard
 * error sqrt(Var/n) of each estimate, Var from the exact distribution; the
 * tools' own sample standard errors are printed), 1 otherwise, 2 on bad
 * usage or a config that is not such a basket. It never depends on the
 * speed, which varies with the machine's load; whether the 100x target is
 * met is printed.
 *
 * usage: absim_bench_quantlib [--config FILE] [--paths N] [--absim-paths M]
 *                             [--seed S] [--repeat R] [--ql-sobol] [--no-per-name]
 *   --paths        QuantLib paths (default 100000)
 *   --absim-paths  absim paths (default 1000000)
 *   --seed         seed of both tools (default: the config's)
 *   --repeat       timed runs of each, the best is kept (default 3)
 * Prints tables, then one JSON object on the last line. */

#include <ql/currencies/europe.hpp>
#include <ql/experimental/credit/basket.hpp>
#include <ql/experimental/credit/constantlosslatentmodel.hpp>
#include <ql/experimental/credit/defaultprobabilitykey.hpp>
#include <ql/experimental/credit/issuer.hpp>
#include <ql/experimental/credit/pool.hpp>
#include <ql/experimental/credit/randomdefaultlatentmodel.hpp>
#include <ql/math/distributions/normaldistribution.hpp>
#include <ql/math/randomnumbers/mt19937uniformrng.hpp>
#include <ql/math/randomnumbers/randomsequencegenerator.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/credit/flathazardrate.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>
#include <ql/version.hpp>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absim_ql_side.h"

#ifndef ABSIM_BENCH_CONFIG_DIR
#define ABSIM_BENCH_CONFIG_DIR "bench/configs"
#endif

using namespace QuantLib;

namespace {

double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/* ---- exact referee: P(N = k), k = 0..n, by integration over the factor */

std::vector<double> exact_count_distribution(const absimql_basket& b, int intervals)
{
    const int n = b.names;
    const double c = absimql_norm_inv(b.pd), a = std::sqrt(b.rho), s = std::sqrt(1.0 - b.rho);
    const double lo = -10.0, hi = 10.0, h = (hi - lo) / intervals;
    std::vector<double> lbinom(n + 1), P(n + 1, 0.0);
    for (int k = 0; k <= n; k++)
        lbinom[k] = std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
    for (int i = 0; i <= intervals; i++) {
        double z = lo + i * h;
        double w = (i == 0 || i == intervals) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        w *= h / 3.0 * std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
        double p = Phi((c - a * z) / s);
        if (p <= 0.0) {
            P[0] += w;
            continue;
        }
        if (p >= 1.0) {
            P[n] += w;
            continue;
        }
        double lp = std::log(p), lq = std::log1p(-p);
        for (int k = 0; k <= n; k++)
            P[k] += w * std::exp(lbinom[k] + k * lp + (n - k) * lq);
    }
    return P;
}

/* Smallest default count whose loss reaches into the tranche (beyond
 * absim's 1e-9 rounding allowance), or n + 1 if none does. */
int first_loss_count(const absimql_basket& b, int t)
{
    double lgd = (1.0 - b.recovery) / b.names, width = b.detach[t] - b.attach[t];
    for (int k = 0; k <= b.names; k++)
        if (k * lgd - b.attach[t] > 1e-9 * width)
            return k;
    return b.names + 1;
}

double tranche_loss(const absimql_basket& b, int t, int k)
{
    double L = k * (1.0 - b.recovery) / b.names, a = b.attach[t], d = b.detach[t];
    return std::min(std::max(L - a, 0.0), d - a) / (d - a);
}

/* ---- the QuantLib side */

struct Market {
    Date today, horizon;
    std::vector<std::string> names;
    std::vector<Real> notionals;
    ext::shared_ptr<Pool> pool;
    std::vector<std::vector<Real>> factors;
    std::vector<Real> recoveries;
};

Market make_market(const absimql_basket& b)
{
    Market m;
    m.today = Date(3, January, 2023); /* the next 365 days are exactly one Actual/365 year */
    Settings::instance().evaluationDate() = m.today;
    const Integer days = (Integer)std::lround(365.0 * b.years);
    m.horizon = m.today + days;
    /* flat hazard with PD(horizon) = the basket's PD */
    const Real hazard = -std::log(1.0 - b.pd) / (days / 365.0);
    ext::shared_ptr<DefaultProbabilityTermStructure> curve = ext::make_shared<FlatHazardRate>(
        m.today, Handle<Quote>(ext::make_shared<SimpleQuote>(hazard)), Actual365Fixed());
    /* the same default key for the issuers' curve and the basket's contracts */
    const NorthAmericaCorpDefaultKey key(EURCurrency(), SeniorSec, Period(), 1.);
    std::vector<std::pair<DefaultProbKey, Handle<DefaultProbabilityTermStructure>>> probs;
    probs.emplace_back(key, Handle<DefaultProbabilityTermStructure>(curve));
    m.pool = ext::make_shared<Pool>();
    for (int i = 0; i < b.names; i++) {
        char nm[32];
        std::snprintf(nm, sizeof nm, "name-%05d", i);
        m.names.push_back(nm);
        m.pool->add(m.names.back(), Issuer(probs), key);
    }
    m.notionals.assign(b.names, b.notional);
    m.factors.assign(b.names, std::vector<Real>(1, std::sqrt(b.rho)));
    m.recoveries.assign(b.names, b.recovery);
    return m;
}

/* RandomDefaultLM with its (protected) estimator and error estimate exposed.
 * (QuantLib's LazyObject/Observable hierarchy makes GCC and Clang warn about
 * an inaccessible virtual base in any class derived from it: harmless.) */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winaccessible-base"
#endif
template <class USNG>
class ExposedRandomDefaultLM : public RandomDefaultLM<GaussianCopulaPolicy, USNG> {
  public:
    ExposedRandomDefaultLM(const ext::shared_ptr<GaussianConstantLossLM>& model, Size nSims, BigNatural seed)
    : RandomDefaultLM<GaussianCopulaPolicy, USNG>(model, nSims, 1.e-6, seed) {}
    /* mean and standard error of the tranche loss amount at d */
    std::pair<Real, Real> trancheLoss(const Date& d) const
    {
        const Probability conf = 0.95;
        std::pair<Real, Real> r = this->expectedTrancheLossInterval(d, conf);
        return std::make_pair(r.first, r.second / InverseCumulativeNormal::standard_value(0.5 * (1.0 + conf)));
    }
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

template <class USNG>
struct QLTranche {
    ext::shared_ptr<Basket> basket;
    ext::shared_ptr<ExposedRandomDefaultLM<USNG>> model;
};

template <class USNG>
QLTranche<USNG> make_tranche(const Market& m, Real attach, Real detach, Size paths, BigNatural seed)
{
    QLTranche<USNG> t;
    t.basket = ext::make_shared<Basket>(m.today, m.names, m.notionals, m.pool, attach, detach);
    ext::shared_ptr<GaussianConstantLossLM> lm = ext::make_shared<GaussianConstantLossLM>(
        m.factors, m.recoveries, LatentModelIntegrationType::GaussianQuadrature, GaussianCopulaPolicy::initTraits());
    t.model = ext::make_shared<ExposedRandomDefaultLM<USNG>>(lm, paths, seed);
    t.basket->setLossModel(t.model);
    /* the basket hands itself to the model in its own calculation: trigger
       it with a statistic that does not simulate (a constant recovery) */
    t.basket->recoveryRate(m.horizon, 0);
    return t;
}

struct QLTiming {
    double sim_wall = INFINITY, sim_cpu = INFINITY;   /* simulation alone */
    double first_wall = INFINITY, first_cpu = INFINITY; /* simulation + one statistic */
    double el = 0.0, el_se = 0.0;                     /* pool loss amount */
};

template <class USNG>
QLTiming time_quantlib(const Market& m, Size paths, BigNatural seed, int repeat)
{
    QLTiming r;
    for (int rep = 0; rep < repeat; rep++) {
        QLTranche<USNG> t = make_tranche<USNG>(m, 0.0, 1.0, paths, seed);
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        std::pair<Real, Real> e = t.model->trancheLoss(m.horizon); /* simulation + statistic */
        double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_PROCESS_CPUTIME_ID);
        t.model->trancheLoss(m.horizon); /* statistic alone */
        double w2 = now(CLOCK_MONOTONIC), c2 = now(CLOCK_PROCESS_CPUTIME_ID);
        r.first_wall = std::min(r.first_wall, w1 - w0);
        r.first_cpu = std::min(r.first_cpu, c1 - c0);
        r.sim_wall = std::min(r.sim_wall, (w1 - w0) - (w2 - w1));
        r.sim_cpu = std::min(r.sim_cpu, (c1 - c0) - (c2 - c1));
        r.el = e.first;
        r.el_se = e.second;
    }
    return r;
}

/* ---- comparison table */

struct Estimate {
    double v = NAN, se = NAN;
    long long n = 0;
};

struct Row {
    std::string name;
    double exact = 0.0; /* E[x] of the per-path quantity x */
    double var = 0.0;   /* Var[x], exact */
    Estimate ql, ab, abn;
};

/* z-scores use the exact standard error sqrt(Var[x] / n) of a mean of n
 * paths. The sample standard errors the tools report are printed too, but
 * for rare tail events (the senior tranche) they are correlated with the
 * estimate itself (a sample that missed part of the tail also reports a
 * smaller spread), which would inflate |z| at small path counts. */
double z_ratio(double diff, double var)
{
    if (var > 0.0)
        return diff / std::sqrt(var);
    return diff == 0.0 ? 0.0 : INFINITY;
}

double z_exact(const Row& r, const Estimate& e)
{
    return z_ratio(e.v - r.exact, r.var / (double)e.n);
}

double z_pair(const Row& r, const Estimate& a, const Estimate& b)
{
    return z_ratio(a.v - b.v, r.var / (double)a.n + r.var / (double)b.n);
}

void usage()
{
    std::fprintf(stderr, "usage: absim_bench_quantlib [--config FILE] [--paths N] [--absim-paths M] [--seed S] "
                         "[--repeat R] [--ql-sobol] [--no-per-name]\n");
}

} // namespace

int main(int argc, char** argv)
{
    std::string config = std::string(ABSIM_BENCH_CONFIG_DIR) + "/quantlib_basket.yaml";
    long long ql_paths = 100000, ab_paths = 1000000;
    unsigned long long seed = 0;
    int have_seed = 0, repeat = 3, ql_sobol = 0, per_name = 1;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!std::strcmp(argv[i], "--paths") && i + 1 < argc)
            ql_paths = std::atoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--absim-paths") && i + 1 < argc)
            ab_paths = std::atoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
            have_seed = 1;
        } else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--ql-sobol"))
            ql_sobol = 1;
        else if (!std::strcmp(argv[i], "--no-per-name"))
            per_name = 0;
        else {
            usage();
            return 2;
        }
    }
    if (ql_paths < 2 || ab_paths < 2 || repeat < 1) {
        usage();
        return 2;
    }

    char err[512] = "";
    absimql_basket b;
    absimql* h = absimql_open(config.c_str(), &b, err, sizeof err);
    if (!h) {
        std::fprintf(stderr, "absim_bench_quantlib: %s: %s\n", config.c_str(), err);
        return 2;
    }
    if (!have_seed)
        seed = b.seed;
    const int nt = b.ntranches;

    std::printf("basket: %s\n  %d names x %g, PD %.6g over %.6g year(s), recovery %.6g, Gaussian asset correlation "
                "%.6g; %s\n",
                config.c_str(), b.names, b.notional, b.pd, b.years, b.recovery, b.rho,
                b.lines == 1 ? "one line" : "several lines");
    std::printf("  tranches:");
    for (int t = 0; t < nt; t++)
        std::printf(" %s %.4g-%.4g%%", b.tranche_name[t], 100 * b.attach[t], 100 * b.detach[t]);
    std::printf("\n  QuantLib %s: %lld paths; absim: %lld paths; seed %llu; one thread each; best of %d\n\n",
                QL_VERSION, ql_paths, ab_paths, seed, repeat);

    /* exact referee */
    std::vector<double> P = exact_count_distribution(b, 8000), P2 = exact_count_distribution(b, 4000);
    double quad_err = 0.0, mass = 0.0;
    for (int k = 0; k <= b.names; k++) {
        quad_err = std::max(quad_err, std::fabs(P[k] - P2[k]));
        mass += P[k];
    }

    std::vector<Row> rows;
    {
        Row r;
        r.name = "pool EL";
        r.exact = b.pd * (1.0 - b.recovery);
        double m2 = 0.0;
        for (int k = 0; k <= b.names; k++) {
            double x = k * (1.0 - b.recovery) / b.names;
            m2 += P[k] * x * x;
        }
        r.var = std::max(m2 - r.exact * r.exact, 0.0);
        rows.push_back(r);
    }
    std::vector<int> kmin(nt);
    for (int t = 0; t < nt; t++) {
        Row e, p;
        char nm[128];
        std::snprintf(nm, sizeof nm, "EL %.4g-%.4g%%", 100 * b.attach[t], 100 * b.detach[t]);
        e.name = nm;
        e.exact = 0.0;
        kmin[t] = first_loss_count(b, t);
        std::snprintf(nm, sizeof nm, "P(N>=%d) %.4g-%.4g%%", kmin[t], 100 * b.attach[t], 100 * b.detach[t]);
        p.name = nm;
        p.exact = 0.0;
        double m2 = 0.0;
        for (int k = 0; k <= b.names; k++) {
            double x = tranche_loss(b, t, k);
            e.exact += P[k] * x;
            m2 += P[k] * x * x;
            if (k >= kmin[t])
                p.exact += P[k];
        }
        e.var = std::max(m2 - e.exact * e.exact, 0.0);
        p.var = p.exact * (1.0 - p.exact);
        rows.push_back(e);
        if (kmin[t] <= b.names)
            rows.push_back(p);
    }

    /* QuantLib: timing on the 0-100% basket, then one basket per tranche */
    Market m = make_market(b);
    typedef RandomSequenceGenerator<MersenneTwisterUniformRng> MT;
    QLTiming qt = time_quantlib<MT>(m, (Size)ql_paths, (BigNatural)seed, repeat);
    {
        double notional = b.notional * b.names;
        rows[0].ql.v = qt.el / notional;
        rows[0].ql.se = qt.el_se / notional;
        rows[0].ql.n = ql_paths;
    }
    {
        size_t ri = 1;
        for (int t = 0; t < nt; t++) {
            QLTranche<MT> q = make_tranche<MT>(m, b.attach[t], b.detach[t], (Size)ql_paths, (BigNatural)seed);
            std::pair<Real, Real> e = q.model->trancheLoss(m.horizon);
            double tn = q.basket->trancheNotional();
            rows[ri].ql.v = e.first / tn;
            rows[ri].ql.se = e.second / tn;
            rows[ri].ql.n = ql_paths;
            ri++;
            if (kmin[t] <= b.names) {
                double p = q.basket->probAtLeastNEvents((Size)kmin[t], m.horizon);
                rows[ri].ql.v = p;
                rows[ri].ql.se = std::sqrt(p * (1.0 - p) / (double)(ql_paths - 1));
                rows[ri].ql.n = ql_paths;
                ri++;
            }
        }
    }
    QLTiming qs;
    if (ql_sobol)
        qs = time_quantlib<SobolRsg>(m, (Size)ql_paths, (BigNatural)seed, repeat);

    /* absim */
    absimql_result ar, an;
    if (absimql_run(h, 0, ab_paths, seed, repeat, &ar, err, sizeof err) ||
        (per_name && absimql_run(h, 1, ab_paths, seed, repeat, &an, err, sizeof err))) {
        std::fprintf(stderr, "absim_bench_quantlib: %s\n", err);
        absimql_close(h);
        return 2;
    }
    absimql_close(h);
    auto fill = [&](const absimql_result& r, Estimate Row::*f) {
        rows[0].*f = Estimate{r.pool_el, r.pool_el_se, r.paths};
        size_t ri = 1;
        for (int t = 0; t < nt; t++) {
            rows[ri++].*f = Estimate{r.el[t], r.el_se[t], r.paths};
            if (kmin[t] <= b.names)
                rows[ri++].*f = Estimate{r.pd[t], r.pd_se[t], r.paths};
        }
    };
    fill(ar, &Row::ab);
    if (per_name)
        fill(an, &Row::abn);

    /* estimates */
    std::printf("exact: composite Simpson over the factor, 8,000 intervals on [-10, 10]; max |P(N=k)| change "
                "from 4,000: %.1e; total mass - 1: %.1e\n",
                quad_err, mass - 1.0);
    std::printf("%-22s %12s | %12s %10s %6s | %12s %10s %6s |", "quantity", "exact", "QuantLib", "stderr", "z",
                "absim", "stderr", "z");
    if (per_name)
        std::printf(" %12s %10s %6s |", "absim names", "stderr", "z");
    std::printf(" %8s\n", "z(ab-QL)");
    double zmax = 0.0;
    for (const Row& r : rows) {
        double zq = z_exact(r, r.ql), za = z_exact(r, r.ab), zaq = z_pair(r, r.ab, r.ql);
        std::printf("%-22s %12.8f | %12.8f %10.2e %6.2f | %12.8f %10.2e %6.2f |", r.name.c_str(), r.exact, r.ql.v,
                    r.ql.se, zq, r.ab.v, r.ab.se, za);
        zmax = std::max({zmax, std::fabs(zq), std::fabs(za), std::fabs(zaq)});
        if (per_name) {
            double zn = z_exact(r, r.abn), znq = z_pair(r, r.abn, r.ql);
            std::printf(" %12.8f %10.2e %6.2f |", r.abn.v, r.abn.se, zn);
            zmax = std::max({zmax, std::fabs(zn), std::fabs(znq)});
        }
        std::printf(" %8.2f\n", zaq);
    }
    if (ql_sobol) {
        double notional = b.notional * b.names, v = qs.el / notional, se = qs.el_se / notional;
        std::printf("QuantLib GaussianRandomDefaultLM (Sobol, not randomised): pool EL %.8f, iid-formula stderr "
                    "%.2e (not a QMC error bound), difference from exact %.2e (not checked)\n",
                    v, se, v - rows[0].exact);
    }
    const bool agree = zmax <= 4.0 && std::isfinite(zmax);
    std::printf("stderr: each tool's own estimate; z = difference / exact standard error sqrt(Var/n), "
                "z(ab-QL) with sqrt(Var/n_absim + Var/n_QuantLib)\n");
    std::printf("largest |z| (each tool against the exact value and against QuantLib): %.2f -> %s\n\n", zmax,
                agree ? "results agree within Monte Carlo error" : "RESULTS DISAGREE (more than 4 standard errors)");

    /* speed */
    double ql_pps = ql_paths / qt.sim_wall, ql_pps_cpu = ql_paths / qt.sim_cpu;
    double ab_pps = ab_paths / ar.wall_s, ab_pps_cpu = ab_paths / ar.cpu_s;
    double an_pps = per_name ? ab_paths / an.wall_s : NAN, an_pps_cpu = per_name ? ab_paths / an.cpu_s : NAN;
    std::printf("%-58s %12s %12s %12s %12s\n", "speed, one thread (best of runs)", "wall s", "CPU s", "paths/s",
                "paths/s CPU");
    std::printf("%-58s %12.4f %12.4f %12.0f %12.0f\n", "QuantLib RandomDefaultLM (MT19937), simulation alone",
                qt.sim_wall, qt.sim_cpu, ql_pps, ql_pps_cpu);
    std::printf("%-58s %12.4f %12.4f %12.0f %12.0f\n", "QuantLib RandomDefaultLM (MT19937), + expectedTrancheLoss",
                qt.first_wall, qt.first_cpu, ql_paths / qt.first_wall, ql_paths / qt.first_cpu);
    if (ql_sobol)
        std::printf("%-58s %12.4f %12.4f %12.0f %12.0f\n", "QuantLib GaussianRandomDefaultLM (Sobol), simulation alone",
                    qs.sim_wall, qs.sim_cpu, ql_paths / qs.sim_wall, ql_paths / qs.sim_cpu);
    std::printf("%-58s %12.4f %12.4f %12.0f %12.0f\n", "absim, config (conditional binomial), all statistics",
                ar.wall_s, ar.cpu_s, ab_pps, ab_pps_cpu);
    if (per_name)
        std::printf("%-58s %12.4f %12.4f %12.0f %12.0f\n", "absim, single-loan lines (loan by loan), all statistics",
                    an.wall_s, an.cpu_s, an_pps, an_pps_cpu);
    double ratio = ab_pps / ql_pps, ratio_cpu = ab_pps_cpu / ql_pps_cpu;
    double ratio_n = an_pps / ql_pps, ratio_n_cpu = an_pps_cpu / ql_pps_cpu;
    std::printf("\nabsim / QuantLib paths/s: config %.0fx (CPU time %.0fx)", ratio, ratio_cpu);
    if (per_name)
        std::printf("; single-loan lines %.0fx (CPU time %.0fx)", ratio_n, ratio_n_cpu);
    std::printf("\ntarget >= 100x QuantLib's paths/s, one thread each: %s (config, wall clock)",
                ratio >= 100.0 ? "met" : "NOT met");
    if (per_name)
        std::printf("; %s (single-loan lines)", ratio_n >= 100.0 ? "met" : "NOT met");
    std::printf("\n");

    /* JSON */
    std::printf("{\"bench\": \"absim_bench_quantlib\", \"quantlib_version\": \"%s\", \"names\": %d, \"pd\": %.17g, "
                "\"recovery\": %.17g, \"rho\": %.17g, \"seed\": %llu, \"repeat\": %d, \"quantlib_paths\": %lld, "
                "\"absim_paths\": %lld, \"quantlib_paths_per_s\": %.1f, \"quantlib_paths_per_s_cpu\": %.1f, "
                "\"quantlib_with_statistic_paths_per_s\": %.1f, \"absim_paths_per_s\": %.1f, "
                "\"absim_paths_per_s_cpu\": %.1f, \"ratio\": %.2f, \"ratio_cpu\": %.2f",
                QL_VERSION, b.names, b.pd, b.recovery, b.rho, seed, repeat, ql_paths, ab_paths, ql_pps, ql_pps_cpu,
                ql_paths / qt.first_wall, ab_pps, ab_pps_cpu, ratio, ratio_cpu);
    if (per_name)
        std::printf(", \"absim_per_name_paths_per_s\": %.1f, \"absim_per_name_paths_per_s_cpu\": %.1f, "
                    "\"ratio_per_name\": %.2f, \"ratio_per_name_cpu\": %.2f",
                    an_pps, an_pps_cpu, ratio_n, ratio_n_cpu);
    if (ql_sobol)
        std::printf(", \"quantlib_sobol_paths_per_s\": %.1f", ql_paths / qs.sim_wall);
    std::printf(", \"estimates\": [");
    for (size_t i = 0; i < rows.size(); i++) {
        const Row& r = rows[i];
        std::printf("%s{\"quantity\": \"%s\", \"exact\": %.17g, \"quantlib\": %.17g, \"quantlib_stderr\": %.6g, "
                    "\"absim\": %.17g, \"absim_stderr\": %.6g, \"z_quantlib\": %.3f, \"z_absim\": %.3f, "
                    "\"z_absim_quantlib\": %.3f",
                    i ? ", " : "", r.name.c_str(), r.exact, r.ql.v, r.ql.se, r.ab.v, r.ab.se, z_exact(r, r.ql),
                    z_exact(r, r.ab), z_pair(r, r.ab, r.ql));
        if (per_name)
            std::printf(", \"absim_per_name\": %.17g, \"absim_per_name_stderr\": %.6g", r.abn.v, r.abn.se);
        std::printf("}");
    }
    std::printf("], \"max_abs_z\": %.3f, \"agree\": %s, \"target_100x_met\": %s}\n", zmax, agree ? "true" : "false",
                ratio >= 100.0 ? "true" : "false");
    return agree ? 0 : 1;
}
