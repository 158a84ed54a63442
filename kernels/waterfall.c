/* waterfall.c -- the deal's priority of payments for one path.
 *
 * Period k (1..T), while the deal is alive:
 *   0. collections = interest + scheduled principal + prepayments +
 *      recoveries (+ the sale of the collateral in the clean-up call period
 *      and at T), less what an originator default takes (commingling loss,
 *      or the estate's stay and haircut without true sale);
 *      in the last period (call or T) the reserve is released into them;
 *   1. senior fees in order: carried unpaid fees first, then this period's
 *      (rate x start-of-period performing balance x dt, or fixed x dt);
 *   2. note interest, most senior first: rate x start balance x dt plus
 *      carried unpaid interest (deferrable notes); a non-deferrable note's
 *      unpaid interest is a shortfall that is not carried;
 *      fees and interest may draw on the reserve when collections fall short;
 *   3. triggers are evaluated (on start-of-period note balances and the
 *      end-of-period performing balance); the reserve is topped up to its
 *      target from collections, and any excess over target goes to the
 *      residual;
 *   4. principal: notes are paid down to (1 - oc_target) x end-of-period
 *      performing balance, sequentially or pro rata; a breached trigger forces
 *      sequential payment and an oc/ic breach pays all remaining cash to the
 *      notes, most senior first; in the last period all cash pays the notes
 *      in order; once the notes are repaid the reserve is released;
 *   5. whatever is left goes to the residual.
 *
 * Invariants: no note is paid more principal than its balance; every amount
 * is >= 0; cash is conserved to rounding (the return value); nothing is
 * allocated (the residual's cash flows live in a stack buffer of
 * ABSIM_MAX_PERIODS). See docs/waterfall.md for every convention. */
#include "waterfall.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int absim_waterfall_plan_init(absim_waterfall_plan *w, const absim_deal *deal, int true_sale_override)
{
    const absim_structure *st = &deal->structure;
    memset(w, 0, sizeof *w);
    if (deal->periods < 1 || deal->periods > ABSIM_MAX_PERIODS)
        return absim_error_set(ABSIM_EINVAL, "waterfall: %d periods (expected 1..%d)", deal->periods,
                               ABSIM_MAX_PERIODS);
    if (st->ntranches > ABSIM_MAX_TRANCHES || st->ntriggers > ABSIM_MAX_TRIGGERS || st->nfees + 1 > ABSIM_MAX_FEES)
        return absim_error_set(ABSIM_EINVAL, "waterfall: at most %d tranches, %d triggers and %d fees",
                               ABSIM_MAX_TRANCHES, ABSIM_MAX_TRIGGERS, ABSIM_MAX_FEES - 1);
    w->T = deal->periods;
    w->dt = deal->period_months / 12.0;
    w->pool_balance = absim_deal_pool_balance(deal);
    w->ntranches = st->ntranches;
    w->has_residual = st->ntranches > 0 && st->tranches[st->ntranches - 1].residual;
    w->nnotes = st->ntranches - w->has_residual;
    for (int i = 0; i < st->ntranches; i++) {
        const absim_tranche *t = &st->tranches[i];
        w->balance[i] = t->balance;
        w->floating[i] = t->floating;
        w->coupon[i] = t->floating ? 0.0 : t->coupon;
        w->spread[i] = t->floating ? t->spread : 0.0;
        w->deferrable[i] = t->deferrable;
    }
    w->servicing_fee = -1;
    w->nfees = st->nfees;
    for (int f = 0; f < st->nfees; f++) {
        w->fee_fixed[f] = st->fees[f].fixed;
        w->fee_value[f] = st->fees[f].value;
        if (st->fees[f].is_servicing && w->servicing_fee < 0)
            w->servicing_fee = f;
    }
    w->has_reserve = st->has_reserve;
    w->reserve_initial = st->has_reserve ? st->reserve_initial * w->pool_balance : 0.0;
    w->reserve_target = st->has_reserve ? st->reserve_target * w->pool_balance : 0.0;
    w->principal = st->principal;
    w->oc_target = st->oc_target;
    w->ntriggers = st->ntriggers;
    for (int g = 0; g < st->ntriggers; g++) {
        w->trigger_type[g] = st->triggers[g].type;
        w->trigger_tranche[g] = st->triggers[g].tranche;
        w->trigger_threshold[g] = st->triggers[g].threshold;
        if (st->triggers[g].type != ABSIM_TRIGGER_CUMLOSS &&
            (st->triggers[g].tranche < 0 || st->triggers[g].tranche >= w->nnotes))
            return absim_error_set(ABSIM_EINVAL, "waterfall: trigger %d names tranche %d, not a note", g + 1,
                                   st->triggers[g].tranche);
    }
    w->clean_up = st->clean_up_call * w->pool_balance;

    const absim_isolation *iso = &deal->isolation;
    w->isolation = iso->enabled;
    w->true_sale = true_sale_override >= 0 ? (true_sale_override != 0) : iso->true_sale;
    double share = iso->commingling_days / (30.4375 * deal->period_months);
    w->commingling_fraction = share < 0.0 ? 0.0 : share > 1.0 ? 1.0 : share;
    w->backup_servicer_fee = iso->backup_servicer_fee;
    w->stay_periods = iso->stay_periods;
    w->estate_recovery = iso->estate_recovery;
    if (w->isolation && w->true_sale && w->servicing_fee < 0) {
        /* No servicing fee configured: the backup servicer's fee is a new
         * senior fee (rate 0 until the originator defaults). */
        w->servicing_fee = w->nfees;
        w->fee_fixed[w->nfees] = 0;
        w->fee_value[w->nfees] = 0.0;
        w->nfees++;
    }

    /* Derived fields: the products the period loop would otherwise redo
     * every period, computed here with the same operands in the same order. */
    for (int n = 0; n < w->ntranches; n++)
        w->rate_dt[n] = w->coupon[n] * w->dt;
    for (int b = 0; b < 2; b++)
        for (int f = 0; f < w->nfees; f++) {
            double value = (b && f == w->servicing_fee) ? w->backup_servicer_fee : w->fee_value[f];
            w->fee_rate[b][f] = value;
            w->fee_fixed_dt[b][f] = value * w->dt;
        }
    for (int g = 0; g < w->ntriggers; g++) {
        absim_trigger_type type = w->trigger_type[g];
        w->cumloss_level[g] = w->pool_balance > 0.0 ? w->trigger_threshold[g] * w->pool_balance : INFINITY;
        if (type == ABSIM_TRIGGER_OC || type == ABSIM_TRIGGER_IC || type == ABSIM_TRIGGER_CUMLOSS)
            w->triggers_of[type][w->ntriggers_of[type]++] = g;
    }
    w->paydown = 1.0 - w->oc_target;
    w->call_level = w->clean_up > 0.0 ? w->clean_up : -INFINITY;
    w->notes_nonneg = 1;
    for (int n = 0; n < w->nnotes; n++)
        w->notes_nonneg &= w->balance[n] >= 0.0;
    w->residual_flat = w->has_residual && !w->floating[w->nnotes] && 1.0 + w->rate_dt[w->nnotes] == 1.0;
    return ABSIM_OK;
}

int absim_waterfall_trace_alloc(absim_waterfall_trace *t, int T, int nnotes)
{
    size_t n = T > 0 ? (size_t)T : 1, nn = (size_t)(nnotes > 0 ? nnotes : 1) * n;
    memset(t, 0, sizeof *t);
    t->fees = calloc(n, sizeof(double));
    t->reserve_balance = calloc(n, sizeof(double));
    t->residual = calloc(n, sizeof(double));
    t->collections_lost = calloc(n, sizeof(double));
    t->note_interest = calloc(nn, sizeof(double));
    t->note_principal = calloc(nn, sizeof(double));
    t->note_balance = calloc(nn, sizeof(double));
    t->note_shortfall = calloc(nn, sizeof(double));
    t->trigger_breached = calloc(n, sizeof(int));
    t->collections = calloc(n, sizeof(double));
    t->sale_performing = calloc(n, sizeof(double));
    t->sale_recoveries = calloc(n, sizeof(double));
    if (!t->fees || !t->reserve_balance || !t->residual || !t->collections_lost || !t->note_interest ||
        !t->note_principal || !t->note_balance || !t->note_shortfall || !t->trigger_breached || !t->collections ||
        !t->sale_performing || !t->sale_recoveries) {
        absim_waterfall_trace_free(t);
        return absim_error_set(ABSIM_ENOMEM, "out of memory allocating a waterfall trace");
    }
    return ABSIM_OK;
}

void absim_waterfall_trace_free(absim_waterfall_trace *t)
{
    free(t->fees);
    free(t->reserve_balance);
    free(t->residual);
    free(t->collections_lost);
    free(t->note_interest);
    free(t->note_principal);
    free(t->note_balance);
    free(t->note_shortfall);
    free(t->trigger_breached);
    free(t->collections);
    free(t->sale_performing);
    free(t->sale_recoveries);
    memset(t, 0, sizeof *t);
}

/* Pay up to `due` from *cash, then (if use_reserve) from *reserve. Returns
 * the amount paid. */
static inline double pay(double due, double *cash, double *reserve, int use_reserve)
{
    if (!(due > 0.0))
        return 0.0;
    if (due <= *cash) {
        *cash -= due; /* paid from cash in full: nothing is left to draw from the reserve */
        return due;
    }
    double avail = *cash > 0.0 ? *cash : 0.0; /* net collections can be < 0 (reimbursed advances) */
    *cash -= avail;
    double rest = due - avail, from_reserve = 0.0;
    if (use_reserve && rest > 0.0) {
        from_reserve = rest < *reserve ? rest : *reserve;
        *reserve -= from_reserve;
    }
    return avail + from_reserve;
}

/* Coupon x dt of tranche n in a period with short rate rk: a floating
 * coupon is fmax(0, rk + spread) (positive rates skip the libm call, the
 * others keep fmax's exact result), a fixed one is precomputed. */
static inline double rate_dt_of(const absim_waterfall_plan *w, int n, double rk, double dt)
{
    if (!w->floating[n])
        return w->rate_dt[n];
    double rate = rk + w->spread[n];
    return (rate > 0.0 ? rate : fmax(0.0, rate)) * dt;
}

/* sum_k cash[k-1] d^k and (with kcash) sum_k kcash[k-1] d^k, k = 1..last:
 * four interleaved partial sums with the powers stepped by d^4, so that
 * four multiply-add chains run side by side instead of one. */
static void npv_sums(const double *cash, const double *kcash, int last, double d, double *f, double *g)
{
    const double d2 = d * d, d4 = d2 * d2;
    double e0 = d, e1 = d2, e2 = d2 * d, e3 = d4;
    double f0 = 0.0, f1 = 0.0, f2 = 0.0, f3 = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0, g3 = 0.0;
    int k = 1;
    for (; k + 3 <= last; k += 4) {
        f0 += cash[k - 1] * e0;
        f1 += cash[k] * e1;
        f2 += cash[k + 1] * e2;
        f3 += cash[k + 2] * e3;
        if (kcash) {
            g0 += kcash[k - 1] * e0;
            g1 += kcash[k] * e1;
            g2 += kcash[k + 1] * e2;
            g3 += kcash[k + 2] * e3;
        }
        e0 *= d4;
        e1 *= d4;
        e2 *= d4;
        e3 *= d4;
    }
    double sf = (f0 + f1) + (f2 + f3), sg = (g0 + g1) + (g2 + g3);
    for (; k <= last; k++) { /* e0 is d^k */
        sf += cash[k - 1] * e0;
        if (kcash)
            sg += kcash[k - 1] * e0;
        e0 *= d;
    }
    *f = sf;
    *g = sg;
}

/* Annualised IRR of an investment of `orig` at time 0 returning cash[k-1]
 * at period k (all cash >= 0): the per-period rate y with
 * sum cash_k (1+y)^-k = orig, found on x = ln(1+y) by Newton steps kept
 * inside a bisection bracket (NPV is decreasing in x). -1 if nothing comes
 * back; NAN if orig <= 0. */
static double irr(const double *cash, int n, double orig, double dt)
{
    double kcash[ABSIM_MAX_PERIODS]; /* k x cash[k-1], the weights of df/dx; length last */
    if (!(orig > 0.0))
        return NAN;
    double total = 0.0;
    int last = 0;
    for (int k = 1; k <= n; k++)
        if (cash[k - 1] > 0.0) {
            total += cash[k - 1];
            last = k;
        }
    if (!(total > 0.0))
        return -1.0;
    /* f(x) = sum c_k e^{-kx} - orig, decreasing; f(0) = total - orig. */
    double lo, hi;
    if (total >= orig) {
        lo = 0.0;
        hi = 0.05;
    } else {
        hi = 0.0;
        lo = -0.05;
    }
    double f = 0.0, df = 0.0, g;
    for (int iter = 0; iter < 200; iter++) {
        double x = total >= orig ? hi : lo;
        npv_sums(cash, NULL, last, exp(-x), &f, &g);
        f -= orig;
        if (total >= orig ? f <= 0.0 : f >= 0.0)
            break;
        if (total >= orig) {
            lo = hi;
            hi *= 2.0;
        } else {
            hi = lo;
            lo *= 2.0;
        }
        if (hi > 700.0 / (last > 0 ? last : 1) || lo < -700.0 / (last > 0 ? last : 1))
            break;
    }
    for (int k = 1; k <= last; k++)
        kcash[k - 1] = k * cash[k - 1];
    double x = 0.5 * (lo + hi);
    for (int iter = 0; iter < 200 && hi - lo > 1e-15 * (1.0 + fabs(x)); iter++) {
        npv_sums(cash, kcash, last, exp(-x), &f, &g);
        f -= orig;
        df = -g;
        if (f == 0.0)
            break;
        if (f > 0.0)
            lo = x;
        else
            hi = x;
        double next = df < 0.0 ? x - f / df : 0.5 * (lo + hi);
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        if (fabs(next - x) < 1e-15 * (1.0 + fabs(x))) {
            x = next;
            break;
        }
        x = next;
    }
    /* annual rate: (1+y)^(1/dt) - 1 = exp(x/dt) - 1 */
    return expm1(x / dt);
}

double absim_waterfall_run(const absim_waterfall_plan *w, const absim_collateral *c, const double *r,
                           int originator_default, absim_waterfall_result *out, absim_waterfall_trace *trace)
{
    const int T = w->T, N = w->nnotes, NT = w->ntranches;
    const double dt = w->dt, tol = 1e-9 * (w->pool_balance > 1.0 ? w->pool_balance : 1.0);
    const int res = w->has_residual ? N : -1;
    /* first period the originator's default acts on; T + 1 = never */
    const int iso_from = (w->isolation && originator_default > 0) ? originator_default : T + 1;
    const int nonneg = w->notes_nonneg;
    const double *balance_start = c->balance_start, *balance_end = c->balance_end, *pending = c->pending;
    const double *interest = c->interest, *collected = c->principal;
    const double *recoveries = c->recoveries, *defaults = c->defaults;
    double bal[ABSIM_MAX_TRANCHES], carried[ABSIM_MAX_TRANCHES], missed[ABSIM_MAX_TRANCHES];
    double due[ABSIM_MAX_TRANCHES], disc[ABSIM_MAX_TRANCHES], pv[ABSIM_MAX_TRANCHES];
    double principal_paid[ABSIM_MAX_TRANCHES], wal_sum[ABSIM_MAX_TRANCHES];
    int impaired[ABSIM_MAX_TRANCHES];
    double fee_carried[ABSIM_MAX_FEES];
    double residual_cash[ABSIM_MAX_PERIODS]; /* length end_period */
    double reserve = w->has_reserve ? w->reserve_initial : 0.0;
    int reserve_open = w->has_reserve;
    int cumloss_breached = 0, end_period = T;
    double cash_in = reserve, cash_out = 0.0, lost = 0.0, held = 0.0, cum_defaults = 0.0;
    double residual_total = 0.0;

    for (int n = 0; n < NT; n++) {
        bal[n] = n < N ? w->balance[n] : 0.0;
        carried[n] = missed[n] = pv[n] = principal_paid[n] = wal_sum[n] = 0.0;
        disc[n] = 1.0;
        impaired[n] = 0;
    }
    for (int f = 0; f < w->nfees; f++)
        fee_carried[f] = 0.0;

    /* After a clean-up call the deal has ended: the loop stops there and
     * the remaining periods pay nothing (see the trace fill below). */
    for (int k = 1; k <= T; k++) {
        const int i = k - 1;
        const double kd = k, perf_end = balance_end[i];
        const int call = k < T && perf_end < w->call_level;
        const int last = call || k == T;

        /* 0. Collections and what an originator default takes from them. */
        double sale_perf = last ? perf_end : 0.0, sale_rec = last ? pending[i] : 0.0;
        double gross = interest[i] + collected[i] + recoveries[i] + sale_perf + sale_rec;
        double received = gross, lost_k = 0.0;
        int backup = 0;
        if (k >= iso_from) {
            if (w->true_sale) {
                backup = 1;
                if (k == originator_default) {
                    lost_k = w->commingling_fraction * gross;
                    received = gross - lost_k;
                }
            } else if (k < originator_default + w->stay_periods && !last) {
                held += gross;
                received = 0.0;
            } else {
                double claim = held + gross;
                received = w->estate_recovery * claim;
                lost_k = claim - received;
                held = 0.0;
            }
        }
        lost += lost_k;
        cash_in += received;
        double cash = received;
        if (last && reserve_open) {
            cash += reserve;
            reserve = 0.0;
            reserve_open = 0;
        }

        /* 1. Senior fees. */
        const double *fee_rate = w->fee_rate[backup], *fee_fixed_dt = w->fee_fixed_dt[backup];
        const double perf_start = balance_start[i];
        double fees_paid = 0.0;
        for (int f = 0; f < w->nfees; f++) {
            double current = w->fee_fixed[f] ? fee_fixed_dt[f] : fee_rate[f] * perf_start * dt;
            double owed = fee_carried[f] + current;
            double paid = pay(owed, &cash, &reserve, reserve_open);
            fee_carried[f] = owed - paid;
            fees_paid += paid;
        }

        /* 2. Note interest, most senior first; unpaid interest impairs the
         * note this period. `notes` sums the start-of-period balances note
         * by note (above_start[n]: notes 0..n) for the triggers and step 4. */
        const double rk = r ? r[i] : 0.0;
        double interest_paid[ABSIM_MAX_TRANCHES], above_start[ABSIM_MAX_TRANCHES], notes = 0.0;
        for (int n = 0; n < N; n++) {
            const double rate_dt = rate_dt_of(w, n, rk, dt);
            notes += bal[n];
            above_start[n] = notes;
            due[n] = rate_dt * bal[n] + carried[n];
            interest_paid[n] = pay(due[n], &cash, &reserve, reserve_open);
            double unpaid = due[n] - interest_paid[n];
            if (unpaid > tol && !impaired[n])
                impaired[n] = k;
            if (w->deferrable[n]) {
                carried[n] = unpaid;
            } else {
                carried[n] = 0.0;
                missed[n] += unpaid;
            }
            disc[n] /= 1.0 + rate_dt;
        }

        /* 3. Triggers (start-of-period note balances, end-of-period pool),
         * type by type: the outcome is an OR, so the order does not matter. */
        int divert = 0, breached = 0;
        cum_defaults += defaults[i];
        for (int t = 0; t < w->ntriggers_of[ABSIM_TRIGGER_OC]; t++) {
            int g = w->triggers_of[ABSIM_TRIGGER_OC][t];
            double above = above_start[w->trigger_tranche[g]];
            if (above > 0.0 && perf_end < w->trigger_threshold[g] * above)
                divert = breached = 1;
        }
        if (w->ntriggers_of[ABSIM_TRIGGER_IC] > 0) {
            double interest_received = gross > 0.0 ? interest[i] * (received / gross) : 0.0;
            if (received == gross)
                interest_received = interest[i];
            for (int t = 0; t < w->ntriggers_of[ABSIM_TRIGGER_IC]; t++) {
                int g = w->triggers_of[ABSIM_TRIGGER_IC][t];
                double above = 0.0;
                for (int n = 0; n <= w->trigger_tranche[g]; n++)
                    above += due[n];
                if (above > 0.0 && interest_received < w->trigger_threshold[g] * above)
                    divert = breached = 1;
            }
        }
        for (int t = 0; t < w->ntriggers_of[ABSIM_TRIGGER_CUMLOSS]; t++) {
            if (cum_defaults > w->cumloss_level[w->triggers_of[ABSIM_TRIGGER_CUMLOSS][t]])
                cumloss_breached = 1;
            breached |= cumloss_breached;
        }

        /* Reserve: top up to target, excess over target to the residual. */
        double to_residual = 0.0;
        if (reserve_open) {
            if (reserve < w->reserve_target && cash > 0.0) {
                double top = w->reserve_target - reserve;
                if (top > cash)
                    top = cash;
                cash -= top;
                reserve += top;
            } else if (reserve > w->reserve_target) {
                to_residual = reserve - w->reserve_target;
                reserve = w->reserve_target;
            }
        }

        /* 4. Principal, and each note's book-keeping (cash received, PV,
         * WAL). */
        double wanted = (last || divert) ? notes : notes - w->paydown * perf_end;
        double amount = wanted < cash ? wanted : cash;
        if (amount < 0.0)
            amount = 0.0;
        double principal[ABSIM_MAX_TRANCHES], left = amount;
        if (amount >= notes) { /* every note in full, as far as the cash goes */
            for (int n = 0; n < N; n++) {
                double p = bal[n] > left ? left : bal[n];
                principal[n] = p;
                left -= p;
            }
        } else if (last || breached || w->principal == ABSIM_PRINCIPAL_SEQUENTIAL) {
            for (int n = 0; n < N; n++) {
                double p = left < bal[n] ? left : bal[n];
                principal[n] = p;
                left -= p;
            }
        } else { /* pro rata */
            for (int n = 0; n < N; n++) {
                double p = notes > 0.0 ? amount * (bal[n] / notes) : 0.0;
                if (p > bal[n])
                    p = bal[n];
                if (p > left)
                    p = left;
                principal[n] = p;
                left -= p;
            }
        }
        double notes_end = 0.0, paid_notes = 0.0;
        for (int n = 0; n < N; n++) {
            const double p = principal[n], received_n = interest_paid[n] + p;
            paid_notes += received_n;
            pv[n] += received_n * disc[n];
            bal[n] -= p;
            principal_paid[n] += p;
            wal_sum[n] += p * kd * dt;
            notes_end += bal[n];
        }
        cash -= amount - left;
        if (reserve_open && notes_end <= 0.0) {
            cash += reserve; /* the notes are repaid: release the reserve */
            reserve = 0.0;
            reserve_open = 0;
        }

        /* 5. The rest to the residual. */
        double to_res = cash + to_residual;
        residual_cash[i] = to_res;
        residual_total += to_res;
        cash_out += fees_paid + paid_notes + to_res;
        if (res >= 0) {
            if (!w->residual_flat)
                disc[res] /= 1.0 + rate_dt_of(w, res, rk, dt);
            pv[res] += to_res * disc[res];
            double room = w->balance[res] - principal_paid[res];
            double p = to_res < room ? to_res : room;
            if (p > 0.0) {
                principal_paid[res] += p;
                wal_sum[res] += p * kd * dt;
            }
        }
        /* Impairment: notes at or above the tranche no longer covered by the
         * collateral (performing + pending recoveries + reserve); unpaid
         * interest was checked in step 2. With balances >= 0 the sums only
         * rise to notes_end, so notes_end <= limit clears every note. */
        const double cover = last ? reserve : perf_end + pending[i] + reserve, limit = cover + tol;
        if (!(nonneg && notes_end <= limit)) {
            double above = 0.0;
            for (int n = 0; n < N; n++) {
                above += bal[n];
                if (!impaired[n] && above > limit)
                    impaired[n] = k;
            }
        }
        if (res >= 0 && !impaired[res]) {
            double outstanding = w->balance[res] - residual_total;
            if (outstanding > 0.0 && notes_end + outstanding > limit)
                impaired[res] = k;
        }

        if (trace) {
            trace->fees[i] = fees_paid;
            trace->reserve_balance[i] = reserve;
            trace->residual[i] = to_res;
            trace->collections_lost[i] = lost_k;
            trace->collections[i] = received;
            trace->sale_performing[i] = sale_perf;
            trace->sale_recoveries[i] = sale_rec;
            trace->trigger_breached[i] = breached;
            for (int n = 0; n < N; n++) {
                trace->note_interest[(size_t)n * T + i] = interest_paid[n];
                trace->note_principal[(size_t)n * T + i] = principal[n];
                trace->note_balance[(size_t)n * T + i] = bal[n];
                trace->note_shortfall[(size_t)n * T + i] = w->deferrable[n] ? carried[n] : missed[n];
            }
        }
        if (call) {
            end_period = k;
            break;
        }
    }
    if (trace) {
        for (int i = end_period; i < T; i++) {
            trace->fees[i] = trace->reserve_balance[i] = trace->residual[i] = 0.0;
            trace->collections_lost[i] = trace->collections[i] = 0.0;
            trace->sale_performing[i] = trace->sale_recoveries[i] = 0.0;
            trace->trigger_breached[i] = 0;
            for (int n = 0; n < N; n++) {
                trace->note_interest[(size_t)n * T + i] = trace->note_principal[(size_t)n * T + i] = 0.0;
                trace->note_balance[(size_t)n * T + i] = bal[n];
                trace->note_shortfall[(size_t)n * T + i] = w->deferrable[n] ? carried[n] : missed[n];
            }
        }
    }

    /* Per-tranche results. */
    for (int n = 0; n < NT; n++) {
        double orig = w->balance[n];
        if (n < N) {
            out->loss[n] = orig > 0.0 ? bal[n] / orig : 0.0;
            out->shortfall[n] = orig > 0.0 ? (w->deferrable[n] ? carried[n] : missed[n]) / orig : 0.0;
        } else {
            out->loss[n] = orig > 0.0 ? fmax(0.0, 1.0 - residual_total / orig) : 0.0;
            out->shortfall[n] = 0.0;
        }
        out->pv_loss[n] = orig > 0.0 ? fmin(1.0, fmax(0.0, 1.0 - pv[n] / orig)) : 0.0;
        out->wal[n] = principal_paid[n] > 0.0 ? wal_sum[n] / principal_paid[n] : T * dt;
        out->first_loss[n] = (out->loss[n] > 1e-9 || out->shortfall[n] > 1e-9) ? (impaired[n] ? impaired[n] : end_period)
                                                                                 : 0;
    }
    /* the periods after a clean-up call pay the residual nothing */
    out->residual_irr = res >= 0 ? irr(residual_cash, end_period, w->balance[res], dt) : NAN;
    out->collections_lost = lost;
    out->end_period = end_period;
    return cash_in - cash_out - reserve;
}
