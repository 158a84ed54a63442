/* test_config.c -- unit tests of io/config.c: the example configs and the
 * bundled default load with the expected fields; numbers are parsed
 * strictly; errors carry exact LINE:COL marks and are all listed. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "status.h"
#include "testutil.h"

/* Load `yaml` from memory as "t.yaml"; returns the status and leaves the
 * error output in *msgs (caller frees). */
static int load_text(absim_deal *deal, const char *yaml, char **msgs)
{
    size_t len = 0;
    FILE *err = open_memstream(msgs, &len);
    assert_non_null(err);
    int rc = absim_config_load_string(deal, yaml, strlen(yaml), "t.yaml", NULL, err);
    fclose(err);
    return rc;
}

/* Expect the config to fail with a message containing `needle`. */
static void expect_error(const char *yaml, const char *needle)
{
    absim_deal deal;
    char *msgs = NULL;
    int rc = load_text(&deal, yaml, &msgs);
    if (rc != ABSIM_ECONFIG || !strstr(msgs, needle))
        print_error("rc %d, wanted '%s' in:\n%s", rc, needle, msgs);
    assert_int_equal(rc, ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, needle));
    assert_null(deal.lines); /* a failed load leaves the deal zeroed */
    free(msgs);
}

static void expect_ok(const char *yaml, absim_deal *deal)
{
    char *msgs = NULL;
    int rc = load_text(deal, yaml, &msgs);
    if (rc != ABSIM_OK)
        print_error("unexpected errors:\n%s", msgs);
    assert_int_equal(rc, ABSIM_OK);
    free(msgs);
}

#define HEAD "deal: {name: t, periods: 12}\n"
#define POOL                                                                                                    \
    "pool:\n  lines:\n    - {name: a, sector: steel, balance: 1000, coupon: 0.05, term: 12, pd: 0.02,"           \
    " recovery: 0.4}\n"
#define TRANCHES                                                                                                \
    "structure:\n  tranches:\n    - {name: A, balance: 900, coupon: 0.04}\n"                                 \
    "    - {name: R, balance: 100, residual: true}\n"

static void test_config_default(void **state)
{
    absim_deal deal;
    (void)state;
    int rc = absim_config_load_string(&deal, absim_default_config_text, strlen(absim_default_config_text),
                                      "configs/default.yaml", NULL, stderr);
    assert_int_equal(rc, ABSIM_OK);
    assert_int_equal(deal.periods, 48);
    assert_int_equal(deal.period_months, 1);
    assert_int_equal(deal.nlines, 3);
    assert_int_equal(deal.nsectors, 4);
    assert_string_equal(deal.sectors[0], "general");
    assert_string_equal(deal.sectors[1], "prime");
    assert_close(deal.sector_loading[3], 0.06, 0.0);
    assert_int_equal(deal.lines[0].count, 3000);
    assert_close(absim_deal_pool_balance(&deal), 1.0e8, 1e-6);
    assert_int_equal(deal.structure.ntranches, 4);
    assert_true(deal.structure.tranches[3].residual);
    assert_true(deal.structure.tranches[2].deferrable);
    assert_int_equal(deal.structure.nfees, 2);
    assert_true(deal.structure.fees[0].is_servicing);
    assert_true(deal.structure.fees[1].fixed);
    assert_int_equal(deal.structure.ntriggers, 1);
    assert_int_equal(deal.structure.triggers[0].type, ABSIM_TRIGGER_CUMLOSS);
    assert_int_equal(deal.structure.triggers[0].tranche, -1);
    assert_int_equal(deal.nscenarios, 2);
    for (int s = 0; s < deal.nsectors; s++)
        assert_close(deal.scenarios[0].pd_multiplier[s], 2.5, 0.0);
    assert_close(deal.scenarios[1].rate_shift, 0.03, 0.0);
    assert_int_equal(deal.sim.nquantiles, 4);
    assert_string_equal(deal.rating_scale, "");
    assert_string_equal(deal.source_path, "configs/default.yaml");
    assert_string_equal(deal.config_text, absim_default_config_text);
    absim_deal_free(&deal);
    assert_null(deal.lines);
}

static void test_config_soe(void **state)
{
    absim_deal deal;
    (void)state;
    int rc = absim_config_load(&deal, ABSIM_SOURCE_DIR "/configs/soe_receivables.yaml", stderr);
    assert_int_equal(rc, ABSIM_OK);
    assert_int_equal(deal.nlines, 9);
    assert_int_equal(deal.nsectors, 6);
    const char *sectors[] = {"general", "steel", "coal", "power_utilities", "construction", "other"};
    for (int s = 0; s < 6; s++)
        assert_string_equal(deal.sectors[s], sectors[s]);
    assert_close(deal.sector_loading[1], 0.10, 0.0);
    assert_close(deal.correlation.systematic, 0.15, 0.0);
    assert_true(deal.isolation.enabled);
    assert_true(deal.isolation.true_sale);
    assert_close(deal.isolation.commingling_days, 30.0, 0.0);
    assert_close(deal.isolation.estate_recovery, 0.6, 0.0);
    assert_int_equal(deal.isolation.stay_periods, 12);
    assert_int_equal(deal.nscenarios, 7);
    assert_string_equal(deal.scenarios[0].name, "steel_coal_overcapacity");
    assert_close(deal.scenarios[0].pd_multiplier[1], 2.0, 0.0);
    assert_close(deal.scenarios[0].pd_multiplier[3], 1.0, 0.0);
    assert_close(deal.scenarios[0].recovery_haircut, 0.2, 0.0);
    assert_close(deal.scenarios[6].systematic, 0.30, 0.0);
    assert_close(deal.scenarios[6].sector_loading[1], -1.0, 0.0);
    assert_close(absim_deal_pool_balance(&deal), 5.0e9, 1e-3);
    const char *tail = "configs/ratings/moodys_idealized_pd.csv";
    size_t n = strlen(deal.rating_scale);
    assert_true(n >= strlen(tail));
    assert_string_equal(deal.rating_scale + n - strlen(tail), tail);
    absim_deal_free(&deal);
}

static void test_config_rmbs(void **state)
{
    absim_deal deal;
    (void)state;
    assert_int_equal(absim_config_load(&deal, ABSIM_SOURCE_DIR "/configs/rmbs_psa_sda.yaml", stderr), ABSIM_OK);
    assert_int_equal(deal.periods, 360);
    assert_int_equal(deal.lines[0].law, ABSIM_LAW_SDA);
    assert_close(deal.lines[0].law_value, 100.0, 0.0);
    assert_int_equal(deal.lines[0].prepay, ABSIM_PREPAY_PSA);
    assert_close(deal.lines[0].prepay_value, 150.0, 0.0);
    assert_int_equal(deal.lines[0].amortization, ABSIM_AMORT_LEVEL);
    assert_int_equal(deal.lines[0].recovery_lag, 12);
    assert_int_equal(deal.scenarios[0].law_override, ABSIM_LAW_SDA);
    assert_close(deal.scenarios[0].law_override_value, 300.0, 0.0);
    assert_int_equal(deal.structure.principal, ABSIM_PRINCIPAL_SEQUENTIAL);
    absim_deal_free(&deal);
}

static void test_config_clo(void **state)
{
    absim_deal deal;
    (void)state;
    assert_int_equal(absim_config_load(&deal, ABSIM_SOURCE_DIR "/configs/clo.yaml", stderr), ABSIM_OK);
    assert_int_equal(deal.period_months, 3);
    assert_int_equal(deal.nlines, 200);
    assert_int_equal(deal.nsectors, 13);
    assert_true(deal.lines[0].floating);
    assert_int_equal(deal.lines[0].amortization, ABSIM_AMORT_BULLET);
    assert_string_equal(deal.lines[0].name, "L001");
    assert_int_equal(deal.lines[0].source_line, 7);
    assert_close(absim_deal_pool_balance(&deal), 5.0e8, 1e-3);
    assert_int_equal(deal.correlation.model, ABSIM_COPULA_STUDENT_T);
    assert_close(deal.correlation.dof, 8.0, 0.0);
    assert_int_equal(deal.structure.ntranches, 6);
    assert_int_equal(deal.structure.ntriggers, 6);
    assert_int_equal(deal.structure.triggers[0].type, ABSIM_TRIGGER_OC);
    assert_int_equal(deal.structure.triggers[0].tranche, 1);
    assert_int_equal(deal.structure.triggers[4].type, ABSIM_TRIGGER_IC);
    assert_int_equal(deal.scenarios[1].law_override, ABSIM_LAW_CDR);
    assert_close(deal.scenarios[4].cpr_multiplier, 0.0, 0.0);
    absim_deal_free(&deal);
}

static void test_config_defaults(void **state)
{
    absim_deal deal;
    (void)state;
    expect_ok(HEAD POOL TRANCHES, &deal);
    assert_int_equal(deal.period_months, 1);
    assert_int_equal(deal.sim.paths, 10000);
    assert_int_equal(deal.sim.seed, 1);
    assert_int_equal(deal.sim.threads, 0);
    assert_true(deal.sim.keep_paths);
    assert_false(deal.sim.antithetic);
    assert_int_equal(deal.sim.importance_sampling, ABSIM_IS_OFF);
    assert_int_equal(deal.sim.nquantiles, 4);
    assert_close(deal.sim.quantiles[3], 0.999, 0.0);
    assert_int_equal(deal.rates.model, ABSIM_RATES_FLAT);
    assert_int_equal(deal.lines[0].count, 1);
    assert_close(deal.lines[0].recovery_mean, 0.4, 0.0);
    assert_int_equal(deal.lines[0].prepay, ABSIM_PREPAY_NONE);
    assert_false(deal.isolation.enabled);
    assert_false(deal.structure.has_reserve);
    assert_int_equal(deal.nscenarios, 0);
    absim_deal_free(&deal);
}

static void test_config_number_forms(void **state)
{
    absim_deal deal;
    (void)state;
    expect_ok("deal: {name: t, periods: 12}\n"
              "simulation: {paths: 20000, seed: 18446744073709551615, importance_sampling: {shift: -2.5}}\n"
              "pool:\n  lines:\n"
              "    - {name: a, balance: 1.0e8, coupon: 0.05, term: 12, pd: 2e-2, recovery: {mean: .4}}\n"
              "    - {name: b, balance: 2e8, spread: -0.001, term: 12, cdr: 0, recovery: 1}\n"
              "structure:\n  tranches:\n    - {name: A, balance: 3E8, coupon: 0.04}\n",
              &deal);
    assert_close(deal.lines[0].balance, 1.0e8, 0.0);
    assert_close(deal.lines[1].balance, 2.0e8, 0.0);
    assert_close(deal.lines[0].law_value, 0.02, 0.0);
    assert_close(deal.lines[1].spread, -0.001, 0.0);
    assert_true(deal.sim.seed == UINT64_MAX);
    assert_int_equal(deal.sim.importance_sampling, ABSIM_IS_SHIFT);
    assert_close(deal.sim.is_shift, -2.5, 0.0);
    absim_deal_free(&deal);
}

static void test_config_strict_numbers(void **state)
{
    (void)state;
    expect_error("deal: {name: t, periods: 12abc}\n" POOL TRANCHES,
                 "t.yaml:1:26: error: deal.periods: expected an integer in [1, 1200], got '12abc'");
    expect_error("deal: {name: t, periods: 1.5}\n" POOL TRANCHES, "1:26: error: deal.periods: expected an integer");
    expect_error("deal: {name: t, periods: 1e2}\n" POOL TRANCHES, "1:26: error: deal.periods: expected an integer");
    expect_error(HEAD "simulation: {seed: -1}\n" POOL TRANCHES, "2:20: error: simulation.seed");
    expect_error(HEAD "simulation: {seed: 18446744073709551616}\n" POOL TRANCHES, "2:20: error: simulation.seed");
    expect_error(HEAD "simulation: {paths: 0x10}\n" POOL TRANCHES, "simulation.paths: expected an integer");
    expect_error(HEAD "simulation: {target_stderr: nan}\n" POOL TRANCHES, "simulation.target_stderr: expected");
    expect_error(HEAD "simulation: {target_stderr: .inf}\n" POOL TRANCHES, "simulation.target_stderr: expected");
    expect_error(HEAD "simulation: {target_stderr: 1e999}\n" POOL TRANCHES, "out of the representable range");
    expect_error(HEAD "simulation: {keep_paths: yes}\n" POOL TRANCHES, "expected true or false, got 'yes'");
    expect_error(HEAD "simulation: {quantiles: [0.5, 0.5]}\n" POOL TRANCHES, "strictly increasing");
}

static void test_config_error_positions(void **state)
{
    (void)state;
    /* unknown key with did-you-mean, at the key */
    expect_error(HEAD POOL
                 "structure:\n"
                 "  tranches:\n"
                 "    - {name: A, balance: 900, cupon: 0.04}\n"
                 "    - {name: R, balance: 100, residual: true}\n",
                 "t.yaml:7:31: error: structure.tranches[0]: unknown key 'cupon' (did you mean 'coupon'?)");
    /* missing key: at the start of its mapping */
    expect_error("deal:\n  name: t\n" POOL TRANCHES, "t.yaml:2:3: error: deal: missing required key 'periods'");
    /* a missing ':' is reported at the key */
    expect_error("deal:\n  name: t\n  periods 12\n" POOL TRANCHES, "t.yaml:3:3: error: YAML syntax error");
    /* an unclosed flow mapping is reported where it starts */
    expect_error("deal: {name: t, periods: 12\n" POOL TRANCHES, "t.yaml:1:7: error: YAML syntax error");
    /* duplicate keys */
    expect_error(HEAD POOL TRANCHES "deal: {name: u, periods: 3}\n",
                 "t.yaml:9:1: error: duplicate key 'deal' (first given at line 1, column 1)");
    /* trigger naming an unknown tranche */
    expect_error(HEAD POOL TRANCHES "  triggers:\n    - {type: oc, tranche: a, threshold: 1.1}\n",
                 "t.yaml:10:27: error: structure.triggers[0].tranche: unknown tranche 'a' (did you mean 'A'?)");
    /* sums */
    expect_error(HEAD POOL "structure:\n  tranches:\n    - {name: A, balance: 900, coupon: 0.04}\n",
                 "t.yaml:7:5: error: structure.tranches: tranche balances sum to 900 but the pool balance is 1000");
    expect_error(HEAD POOL "correlation: {systematic: 0.5, sectors: {steel: 0.5}}\n" TRANCHES,
                 "t.yaml:5:49: error: correlation.sectors.steel: correlation.systematic (0.5) + sector steel (0.5)");
    expect_error(HEAD POOL "correlation: {sectors: {steal: 0.1}}\n" TRANCHES,
                 "t.yaml:5:25: error: correlation.sectors: sector 'steal' is not used by any pool line (did you "
                 "mean 'steel'?)");
    expect_error(HEAD POOL "correlation: {model: student_t, dof: 2}\n" TRANCHES,
                 "t.yaml:5:38: error: correlation.dof: expected a number in (2, 1e+06], got 2");
    expect_error(HEAD POOL TRANCHES "  triggers:\n    - {type: oc, tranche: R, threshold: 1.1}\n",
                 "'R' is the residual tranche");
    expect_error(HEAD POOL TRANCHES "scenarios:\n  - {name: base}\n", "'base' is reserved");
    expect_error(HEAD POOL TRANCHES "rating: {scale: /nonexistent/scale.csv}\n", "t.yaml:9:17: error: rating.scale");
    expect_error(HEAD "pool: {tape: /nonexistent/tape.csv}\n" TRANCHES, "t.yaml:2:14: error: pool.tape: cannot read");
    expect_error(HEAD "pool: {lines: []}\n" TRANCHES, "pool: no loans");
    expect_error("", "t.yaml:1:1: error: the config is empty");
    expect_error("[1, 2]\n", "t.yaml:1:1: error: expected a mapping of sections");
    expect_error("a: &x 1\nb: *x\n", "t.yaml:2:4: error: YAML aliases");
}

static void test_config_all_errors_listed(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    (void)state;
    int rc = load_text(&deal,
                       "deal:\n  name: t\n  periods: 0\n"
                       "pool:\n  lines:\n"
                       "    - {name: a, balance: -1, coupon: 2, term: 1.5, pd: 0.1, recovery: 0.4}\n"
                       "structure:\n  tranches:\n    - {name: A, balance: 1, cupon: 0.1}\n",
                       &msgs);
    assert_int_equal(rc, ABSIM_ECONFIG);
    int lines = 0, last = 0, sorted = 1;
    for (const char *p = msgs; (p = strstr(p, "t.yaml:")) != NULL; p++) {
        int line = atoi(p + 7);
        sorted &= line >= last;
        last = line;
        lines++;
    }
    if (lines < 6)
        print_error("%s", msgs);
    assert_true(lines >= 6); /* periods, balance, coupon, term, cupon, missing coupon */
    assert_true(sorted);
    assert_non_null(strstr(msgs, "t.yaml:3:12: error: deal.periods"));
    assert_non_null(strstr(msgs, "t.yaml:6:26: error: pool.lines[0].balance: expected a number > 0, got -1"));
    assert_non_null(strstr(msgs, "t.yaml:6:38: error: pool.lines[0].coupon: expected a number in [0, 1], got 2"));
    free(msgs);
}

static void test_config_importance_sampling(void **state)
{
    absim_deal deal;
    (void)state;
    expect_ok(HEAD "simulation: {importance_sampling: {tranche: R}, qmc: sobol, antithetic: true}\n" POOL TRANCHES,
              &deal);
    assert_int_equal(deal.sim.importance_sampling, ABSIM_IS_TRANCHE);
    assert_int_equal(deal.sim.is_tranche, 1);
    assert_int_equal(deal.sim.qmc, 1);
    assert_true(deal.sim.antithetic);
    absim_deal_free(&deal);
    expect_ok(HEAD "simulation: {importance_sampling: auto}\n" POOL TRANCHES, &deal);
    assert_int_equal(deal.sim.importance_sampling, ABSIM_IS_AUTO);
    absim_deal_free(&deal);
    expect_error(HEAD "simulation: {importance_sampling: {tranche: Z}}\n" POOL TRANCHES,
                 "simulation.importance_sampling.tranche: unknown tranche 'Z'");
}

static void test_config_hull_white(void **state)
{
    absim_deal deal;
    (void)state;
    expect_ok(HEAD "rates: {model: hull_white, kappa: 0.1, sigma: 0.01, zero_curve: [[0.5, 0.02], [1, 0.025]]}\n" POOL
                  TRANCHES,
              &deal);
    assert_int_equal(deal.rates.model, ABSIM_RATES_HULL_WHITE);
    assert_int_equal(deal.rates.ncurve, 2);
    assert_close(deal.rates.curve_t[1], 1.0, 0.0);
    assert_close(deal.rates.curve_z[1], 0.025, 0.0);
    assert_close(deal.rates.r0, 0.02, 0.0);
    absim_deal_free(&deal);
    expect_error(HEAD "rates: {model: hull_white, kappa: 0.1}\n" POOL TRANCHES, "missing required key 'zero_curve'");
}

static void test_config_missing_file(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    size_t len = 0;
    (void)state;
    FILE *err = open_memstream(&msgs, &len);
    assert_int_equal(absim_config_load(&deal, "/nonexistent/deal.yaml", err), ABSIM_EIO);
    fclose(err);
    assert_non_null(strstr(msgs, "/nonexistent/deal.yaml: error: cannot open config"));
    free(msgs);
}

static void test_config_scenario_sectors(void **state)
{
    absim_deal deal;
    (void)state;
    expect_ok(HEAD POOL TRANCHES
              "scenarios:\n  - {name: s1, pd_multiplier: {steel: 3}, sectors: {steel: 0.2}, cdr: 0.05}\n",
              &deal);
    int steel = absim_deal_find_sector(&deal, "steel");
    assert_int_equal(steel, 1);
    assert_close(deal.scenarios[0].pd_multiplier[steel], 3.0, 0.0);
    assert_close(deal.scenarios[0].pd_multiplier[0], 1.0, 0.0);
    assert_close(deal.scenarios[0].sector_loading[steel], 0.2, 0.0);
    assert_int_equal(deal.scenarios[0].law_override, ABSIM_LAW_CDR);
    assert_close(deal.scenarios[0].law_override_value, 0.05, 0.0);
    absim_deal_free(&deal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_default),          cmocka_unit_test(test_config_soe),
        cmocka_unit_test(test_config_rmbs),             cmocka_unit_test(test_config_clo),
        cmocka_unit_test(test_config_defaults),         cmocka_unit_test(test_config_number_forms),
        cmocka_unit_test(test_config_strict_numbers),   cmocka_unit_test(test_config_error_positions),
        cmocka_unit_test(test_config_all_errors_listed), cmocka_unit_test(test_config_importance_sampling),
        cmocka_unit_test(test_config_hull_white),       cmocka_unit_test(test_config_missing_file),
        cmocka_unit_test(test_config_scenario_sectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
