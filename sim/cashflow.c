/* cashflow.c -- `absim cashflow`: one deterministic path, period by period.
 *
 * Loads the config, takes the expected short-rate path, runs the Standard
 * Formulas collateral engine (kernels/stdformula.c) under the command-line
 * assumptions (or each line's own laws at expected values) and the deal's
 * waterfall with a trace, and prints one row per period: an aligned table
 * (with totals, trigger state and a per-tranche summary) or, with --csv,
 * exactly the SPEC columns. Invariant of every printed row: interest +
 * scheduled principal + prepayments + recoveries + the reserve's fall =
 * fees + note interest + note principal + residual (a clean-up call's or
 * period T's sale of performing loans is shown as prepayments, of loans
 * awaiting liquidation as recoveries). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "deal.h"
#include "rates.h"
#include "status.h"
#include "stdformula.h"
#include "waterfall.h"

static const char cashflow_usage[] =
    "usage: absim cashflow CONFIG [options]\n"
    "\n"
    "One deterministic path of the deal, period by period: the collateral under\n"
    "the Standard Formulas (defaults on the prior performing balance, prepayments\n"
    "after scheduled amortization, advanced P&I until liquidation `lag` periods\n"
    "after default, no new defaults in the last `lag` periods) on the expected\n"
    "short-rate path, through the deal's waterfall. Without assumptions every\n"
    "line uses its own laws at expected values. See docs/cashflow.md.\n"
    "\n"
    "options:\n"
    "  --cdr X          constant annual default rate, decimal (0.02 = 2%)\n"
    "  --sda P          percent of the SDA default curve (100 = 100% SDA)\n"
    "  --cpr Y          constant annual prepayment rate, decimal\n"
    "  --psa P          percent of the PSA prepayment curve\n"
    "  --severity Z     loss severity of a defaulted loan, in [0, 1]\n"
    "  --lag N          periods from default to liquidation\n"
    "  --csv            CSV with the documented columns instead of a table\n"
    "  -h, --help       this help\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid config.\n";

typedef struct {
    const char *config;
    absim_stdformula_assumptions a;
    int csv;
} cashflow_args;

/* Returns 1 for --help, -1 on bad usage, 0 otherwise. */
static int parse_args(int argc, char **argv, cashflow_args *o)
{
    static const char cmd[] = "cashflow";
    memset(o, 0, sizeof *o);
    absim_stdformula_assumptions_init(&o->a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int64_t lag;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return 1;
        if (strcmp(arg, "--csv") == 0) {
            o->csv = 1;
        } else if (strcmp(arg, "--cdr") == 0 || strcmp(arg, "--sda") == 0) {
            int sda = arg[2] == 's';
            if (o->a.default_law >= 0) {
                fprintf(stderr, "absim cashflow: give one of --cdr and --sda, once\n");
                return -1;
            }
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) ||
                absim_cli_double(cmd, arg, v, 0.0, sda ? 1e5 : 1.0, &o->a.default_value))
                return -1;
            o->a.default_law = sda ? ABSIM_LAW_SDA : ABSIM_LAW_CDR;
        } else if (strcmp(arg, "--cpr") == 0 || strcmp(arg, "--psa") == 0) {
            int psa = arg[2] == 'p';
            if (o->a.prepay_law >= 0) {
                fprintf(stderr, "absim cashflow: give one of --cpr and --psa, once\n");
                return -1;
            }
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) ||
                absim_cli_double(cmd, arg, v, 0.0, psa ? 1e5 : 1.0, &o->a.prepay_value))
                return -1;
            o->a.prepay_law = psa ? ABSIM_PREPAY_PSA : ABSIM_PREPAY_CPR;
        } else if (strcmp(arg, "--severity") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) || absim_cli_double(cmd, arg, v, 0.0, 1.0, &o->a.severity))
                return -1;
        } else if (strcmp(arg, "--lag") == 0) {
            if (!(v = absim_cli_value(cmd, argc, argv, &i)) || absim_cli_int64(cmd, arg, v, 0, 100000, &lag))
                return -1;
            o->a.lag = (int)lag;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "absim cashflow: unknown option '%s' (see 'absim cashflow --help')\n", arg);
            return -1;
        } else if (!o->config) {
            o->config = arg;
        } else {
            fprintf(stderr, "absim cashflow: unexpected argument '%s'\n", arg);
            return -1;
        }
    }
    if (!o->config) {
        fprintf(stderr, "absim cashflow: missing CONFIG (see 'absim cashflow --help')\n");
        return -1;
    }
    return 0;
}

/* The printed columns of one run. */
enum { FIXED_COLUMNS = 10 };

typedef struct {
    int T, nnotes, ncols;
    char (*name)[ABSIM_NAME_MAX + 16]; /* ncols */
    double *value;                     /* T x ncols, row-major */
} period_table;

static void table_free(period_table *t)
{
    free(t->name);
    free(t->value);
    memset(t, 0, sizeof *t);
}

/* Fill the SPEC columns from the collateral and the waterfall trace. */
static int table_fill(period_table *t, const absim_deal *deal, const absim_waterfall_plan *w,
                      const absim_collateral *c, const absim_waterfall_trace *tr, int end_period)
{
    static const char *const fixed[FIXED_COLUMNS] = {
        "period",      "collateral_balance", "interest", "scheduled_principal", "prepayments",
        "defaults",    "recoveries",         "losses",   "fees",                "reserve_balance"};
    static const char *const per_note[4] = {"interest", "principal", "balance", "shortfall"};
    const int T = w->T, N = w->nnotes;
    memset(t, 0, sizeof *t);
    t->T = T;
    t->nnotes = N;
    t->ncols = FIXED_COLUMNS + 4 * N + 1;
    t->name = calloc((size_t)t->ncols, sizeof *t->name);
    t->value = calloc((size_t)t->ncols * (size_t)T, sizeof *t->value);
    if (!t->name || !t->value) {
        table_free(t);
        return absim_error_set(ABSIM_ENOMEM, "out of memory");
    }
    for (int j = 0; j < FIXED_COLUMNS; j++)
        snprintf(t->name[j], sizeof t->name[j], "%s", fixed[j]);
    for (int n = 0; n < N; n++)
        for (int j = 0; j < 4; j++)
            snprintf(t->name[FIXED_COLUMNS + 4 * n + j], sizeof t->name[0], "%s_%s", deal->structure.tranches[n].name,
                     per_note[j]);
    snprintf(t->name[t->ncols - 1], sizeof t->name[0], "residual");
    for (int k = 1; k <= T; k++) {
        double *row = t->value + (size_t)(k - 1) * t->ncols;
        int i = k - 1, alive = k <= end_period;
        row[0] = k;
        if (alive) {
            int sold = tr->sale_performing[i] > 0.0 || tr->sale_recoveries[i] != 0.0 || k == end_period;
            row[1] = sold ? 0.0 : c->balance_end[i];
            row[2] = c->interest[i];
            row[3] = c->sched_principal[i];
            row[4] = c->prepayments[i] + tr->sale_performing[i];
            row[5] = c->defaults[i];
            row[6] = c->recoveries[i] + tr->sale_recoveries[i];
            row[7] = c->losses[i];
        }
        row[8] = tr->fees[i];
        row[9] = tr->reserve_balance[i];
        for (int n = 0; n < N; n++) {
            row[FIXED_COLUMNS + 4 * n + 0] = tr->note_interest[(size_t)n * T + i];
            row[FIXED_COLUMNS + 4 * n + 1] = tr->note_principal[(size_t)n * T + i];
            row[FIXED_COLUMNS + 4 * n + 2] = tr->note_balance[(size_t)n * T + i];
            row[FIXED_COLUMNS + 4 * n + 3] = tr->note_shortfall[(size_t)n * T + i];
        }
        row[t->ncols - 1] = tr->residual[i];
    }
    return ABSIM_OK;
}

static void print_csv(FILE *out, const period_table *t)
{
    for (int j = 0; j < t->ncols; j++)
        fprintf(out, "%s%s", j ? "," : "", t->name[j]);
    fputc('\n', out);
    for (int k = 0; k < t->T; k++) {
        const double *row = t->value + (size_t)k * t->ncols;
        fprintf(out, "%d", (int)row[0]);
        for (int j = 1; j < t->ncols; j++)
            fprintf(out, ",%.6f", row[j]);
        fputc('\n', out);
    }
}

/* Is column j a flow (summed in the totals row) rather than a balance? */
static int is_flow(const period_table *t, int j)
{
    if (j == t->ncols - 1)
        return 1; /* residual */
    if (j < FIXED_COLUMNS)
        return j >= 2 && j <= 8; /* interest .. fees */
    int part = (j - FIXED_COLUMNS) % 4;
    return part == 0 || part == 1; /* note interest and principal */
}

static void print_table(FILE *out, const absim_deal *deal, const cashflow_args *o, const period_table *t,
                        const absim_waterfall_trace *tr, const absim_waterfall_result *res, const double *r,
                        int end_period)
{
    const int T = t->T;
    int width[FIXED_COLUMNS + 4 * ABSIM_MAX_TRANCHES + 1];
    char buf[64];
    double *total = calloc((size_t)t->ncols, sizeof *total);

    fprintf(out, "absim cashflow: %s (%d periods of %d month%s)\n", deal->name[0] ? deal->name : "(unnamed deal)",
            deal->periods, deal->period_months, deal->period_months == 1 ? "" : "s");
    fprintf(out, "assumptions: defaults ");
    if (o->a.default_law == ABSIM_LAW_CDR)
        fprintf(out, "CDR %g%%", 100.0 * o->a.default_value);
    else if (o->a.default_law == ABSIM_LAW_SDA)
        fprintf(out, "%g%% SDA", o->a.default_value);
    else
        fprintf(out, "each line's law");
    fprintf(out, ", prepayments ");
    if (o->a.prepay_law == ABSIM_PREPAY_CPR)
        fprintf(out, "CPR %g%%", 100.0 * o->a.prepay_value);
    else if (o->a.prepay_law == ABSIM_PREPAY_PSA)
        fprintf(out, "%g%% PSA", o->a.prepay_value);
    else
        fprintf(out, "each line's law");
    if (o->a.severity >= 0.0)
        fprintf(out, ", severity %g%%", 100.0 * o->a.severity);
    else
        fprintf(out, ", severity 1 - recovery mean");
    if (o->a.lag >= 0)
        fprintf(out, ", lag %d\n", o->a.lag);
    else
        fprintf(out, ", lag = recovery lag\n");
    fprintf(out, "rates: expected short-rate path, r_1 = %.4f%%, r_T = %.4f%%; amounts in currency units\n\n",
            100.0 * r[0], 100.0 * r[T - 1]);

    for (int j = 0; j < t->ncols; j++) {
        width[j] = (int)strlen(t->name[j]);
        for (int k = 0; k < T; k++) {
            double v = t->value[(size_t)k * t->ncols + j];
            int len = j == 0 ? snprintf(buf, sizeof buf, "%d", (int)v) : snprintf(buf, sizeof buf, "%.2f", v);
            if (len > width[j])
                width[j] = len;
            if (total && is_flow(t, j))
                total[j] += v;
        }
        if (total && is_flow(t, j)) {
            int len = snprintf(buf, sizeof buf, "%.2f", total[j]);
            if (len > width[j])
                width[j] = len;
        }
    }
    for (int j = 0; j < t->ncols; j++)
        fprintf(out, "%s%*s", j ? "  " : "", width[j], t->name[j]);
    fprintf(out, "  trigger\n");
    for (int k = 0; k < T; k++) {
        const double *row = t->value + (size_t)k * t->ncols;
        fprintf(out, "%*d", width[0], (int)row[0]);
        for (int j = 1; j < t->ncols; j++)
            fprintf(out, "  %*.2f", width[j], row[j]);
        const char *state = k + 1 > end_period ? "ended" : tr->trigger_breached[k] ? "breached" : "-";
        if (k + 1 == end_period && end_period < T)
            state = "called";
        fprintf(out, "  %s\n", state);
    }
    if (total) {
        fprintf(out, "%*s", width[0], "total");
        for (int j = 1; j < t->ncols; j++) {
            if (is_flow(t, j))
                fprintf(out, "  %*.2f", width[j], total[j]);
            else
                fprintf(out, "  %*s", width[j], "");
        }
        fputc('\n', out);
    }

    fprintf(out, "\n%-16s %10s %10s %8s %10s %10s\n", "tranche", "loss", "pv_loss", "WAL (y)", "shortfall",
            "first loss");
    for (int n = 0; n < deal->structure.ntranches; n++) {
        char first[16];
        if (res->first_loss[n])
            snprintf(first, sizeof first, "%d", res->first_loss[n]);
        else
            snprintf(first, sizeof first, "-");
        fprintf(out, "%-16s %9.4f%% %9.4f%% %8.3f %9.4f%% %10s\n", deal->structure.tranches[n].name,
                100.0 * res->loss[n], 100.0 * res->pv_loss[n], res->wal[n], 100.0 * res->shortfall[n], first);
    }
    if (deal->structure.ntranches > 0 && deal->structure.tranches[deal->structure.ntranches - 1].residual)
        fprintf(out, "residual IRR: %.4f%% a year\n", 100.0 * res->residual_irr);
    if (end_period < T)
        fprintf(out, "clean-up call exercised in period %d\n", end_period);
    free(total);
}

int absim_cmd_cashflow(int argc, char **argv)
{
    cashflow_args o;
    absim_deal deal;
    absim_rate_plan rates;
    absim_stdformula_result sf;
    absim_waterfall_plan w;
    absim_waterfall_trace tr;
    absim_waterfall_result res;
    period_table table;
    double *r = NULL;
    int code = ABSIM_EXIT_OK, have_deal = 0, have_rates = 0, have_sf = 0, have_tr = 0, have_table = 0;

    int p = parse_args(argc, argv, &o);
    if (p == 1) {
        fputs(cashflow_usage, stdout);
        return ABSIM_EXIT_OK;
    }
    if (p < 0)
        return ABSIM_EXIT_USAGE;
    if (absim_cli_load_deal(&deal, o.config))
        return ABSIM_EXIT_USAGE;
    have_deal = 1;

    const int T = deal.periods;
    if (absim_rate_plan_init(&rates, &deal.rates, 0.0, T, deal.period_months / 12.0) != ABSIM_OK) {
        fprintf(stderr, "absim cashflow: %s\n", absim_error_message());
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_rates = 1;
    r = malloc((size_t)T * sizeof *r);
    if (!r) {
        fprintf(stderr, "absim cashflow: out of memory\n");
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    absim_rate_expected(&rates, r);

    if (absim_stdformula_alloc(&sf, T) != ABSIM_OK) {
        fprintf(stderr, "absim cashflow: %s\n", absim_error_message());
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_sf = 1;
    int rc = absim_stdformula_run(&deal, &o.a, r, &sf);
    if (rc != ABSIM_OK) {
        fprintf(stderr, "absim cashflow: %s\n", absim_error_message());
        code = rc == ABSIM_EINVAL ? ABSIM_EXIT_USAGE : ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    if (absim_waterfall_plan_init(&w, &deal, -1) != ABSIM_OK) {
        fprintf(stderr, "absim cashflow: %s\n", absim_error_message());
        code = ABSIM_EXIT_USAGE;
        goto cleanup;
    }
    if (absim_waterfall_trace_alloc(&tr, T, w.nnotes) != ABSIM_OK) {
        fprintf(stderr, "absim cashflow: %s\n", absim_error_message());
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_tr = 1;
    double err = absim_waterfall_run(&w, &sf.c, r, 0, &res, &tr);
    if (!(fabs(err) <= 1e-6 * (1.0 + w.pool_balance))) {
        fprintf(stderr, "absim cashflow: internal error: cash not conserved (%.3g)\n", err);
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    if (table_fill(&table, &deal, &w, &sf.c, &tr, res.end_period) != ABSIM_OK) {
        fprintf(stderr, "absim cashflow: out of memory\n");
        code = ABSIM_EXIT_FAILURE;
        goto cleanup;
    }
    have_table = 1;
    if (o.csv)
        print_csv(stdout, &table);
    else
        print_table(stdout, &deal, &o, &table, &tr, &res, r, res.end_period);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "absim cashflow: cannot write the output\n");
        code = ABSIM_EXIT_OUTPUT;
    }

cleanup:
    if (have_table)
        table_free(&table);
    if (have_tr)
        absim_waterfall_trace_free(&tr);
    if (have_sf)
        absim_stdformula_free(&sf);
    free(r);
    if (have_rates)
        absim_rate_plan_free(&rates);
    if (have_deal)
        absim_deal_free(&deal);
    return code;
}
