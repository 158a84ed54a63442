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
static double pay(double due, double *cash, double *reserve, int use_reserve)
{
    if (!(due > 0.0))
        return 0.0;
    double avail = *cash > 0.0 ? *cash : 0.0; /* net collections can be < 0 (reimbursed advances) */
    double from_cash = due < avail ? due : avail;
    *cash -= from_cash;
    double rest = due - from_cash, from_reserve = 0.0;
    if (use_reserve && rest > 0.0) {
        from_reserve = rest < *reserve ? rest : *reserve;
        *reserve -= from_reserve;
    }
    return from_cash + from_reserve;
}

/* Annualised IRR of an investment of `orig` at time 0 returning cash[k-1]
 * at period k (all cash >= 0): the per-period rate y with
 * sum cash_k (1+y)^-k = orig, found on x = ln(1+y) by Newton steps kept
 * inside a bisection bracket (NPV is decreasing in x). -1 if nothing comes
 * back; NAN if orig <= 0. */
static double irr(const double *cash, int n, double orig, double dt)
{
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
    double f = 0.0, df = 0.0;
    for (int iter = 0; iter < 200; iter++) {
        double x = total >= orig ? hi : lo, d = exp(-x), e = 1.0;
        f = -orig;
        for (int k = 1; k <= last; k++) {
            e *= d;
            f += cash[k - 1] * e;
        }
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
    double x = 0.5 * (lo + hi);
    for (int iter = 0; iter < 200 && hi - lo > 1e-15 * (1.0 + fabs(x)); iter++) {
        double d = exp(-x), e = 1.0;
        f = -orig;
        df = 0.0;
        for (int k = 1; k <= last; k++) {
            e *= d;
            f += cash[k - 1] * e;
            df -= k * cash[k - 1] * e;
        }
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
    double bal[ABSIM_MAX_TRANCHES], carried[ABSIM_MAX_TRANCHES], missed[ABSIM_MAX_TRANCHES];
    double due[ABSIM_MAX_TRANCHES], disc[ABSIM_MAX_TRANCHES], pv[ABSIM_MAX_TRANCHES];
    double principal_paid[ABSIM_MAX_TRANCHES], wal_sum[ABSIM_MAX_TRANCHES];
    int impaired[ABSIM_MAX_TRANCHES];
    double fee_carried[ABSIM_MAX_FEES];
    double residual_cash[ABSIM_MAX_PERIODS];
    double reserve = w->has_reserve ? w->reserve_initial : 0.0;
    int reserve_open = w->has_reserve;
    int cumloss_breached = 0, ended = 0, end_period = T;
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

    for (int k = 1; k <= T; k++) {
        const int i = k - 1;
        if (ended) {
            residual_cash[i] = 0.0;
            if (trace) {
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
            continue;
        }
        const double rk = r ? r[i] : 0.0;
        const double perf_end = c->balance_end[i];
        const int call = k < T && w->clean_up > 0.0 && perf_end < w->clean_up;
        const int last = call || k == T;

        /* 0. Collections and what an originator default takes from them. */
        double sale_perf = last ? perf_end : 0.0, sale_rec = last ? c->pending[i] : 0.0;
        double gross = c->interest[i] + c->sched_principal[i] + c->prepayments[i] + c->recoveries[i] + sale_perf +
                       sale_rec;
        double received = gross, lost_k = 0.0;
        int backup = 0;
        if (w->isolation && originator_default > 0 && k >= originator_default) {
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
        double interest_received = gross > 0.0 ? c->interest[i] * (received / gross) : 0.0;
        if (received == gross)
            interest_received = c->interest[i];
        double cash = received;
        if (last && reserve_open) {
            cash += reserve;
            reserve = 0.0;
            reserve_open = 0;
        }

        /* 1. Senior fees. */
        double fees_paid = 0.0;
        for (int f = 0; f < w->nfees; f++) {
            double value = (backup && f == w->servicing_fee) ? w->backup_servicer_fee : w->fee_value[f];
            double current = w->fee_fixed[f] ? value * dt : value * c->balance_start[i] * dt;
            double owed = fee_carried[f] + current;
            double paid = pay(owed, &cash, &reserve, reserve_open);
            fee_carried[f] = owed - paid;
            fees_paid += paid;
        }

        /* 2. Note interest, most senior first. */
        double interest_paid[ABSIM_MAX_TRANCHES];
        int any_unpaid[ABSIM_MAX_TRANCHES];
        for (int n = 0; n < N; n++) {
            double rate = w->floating[n] ? fmax(0.0, rk + w->spread[n]) : w->coupon[n];
            double current = rate * dt * bal[n];
            due[n] = current + carried[n];
            interest_paid[n] = pay(due[n], &cash, &reserve, reserve_open);
            double unpaid = due[n] - interest_paid[n];
            any_unpaid[n] = unpaid > tol;
            if (w->deferrable[n]) {
                carried[n] = unpaid;
            } else {
                carried[n] = 0.0;
                missed[n] += unpaid;
            }
            disc[n] /= 1.0 + rate * dt;
        }

        /* 3. Triggers (start-of-period note balances, end-of-period pool). */
        int divert = 0, breached = 0;
        cum_defaults += c->defaults[i];
        for (int g = 0; g < w->ntriggers; g++) {
            int j = w->trigger_tranche[g], hit = 0;
            double above = 0.0;
            switch (w->trigger_type[g]) {
            case ABSIM_TRIGGER_OC:
                for (int n = 0; n <= j; n++)
                    above += bal[n];
                hit = above > 0.0 && perf_end < w->trigger_threshold[g] * above;
                divert |= hit;
                break;
            case ABSIM_TRIGGER_IC:
                for (int n = 0; n <= j; n++)
                    above += due[n];
                hit = above > 0.0 && interest_received < w->trigger_threshold[g] * above;
                divert |= hit;
                break;
            case ABSIM_TRIGGER_CUMLOSS:
                if (w->pool_balance > 0.0 && cum_defaults > w->trigger_threshold[g] * w->pool_balance)
                    cumloss_breached = 1;
                hit = cumloss_breached;
                break;
            }
            breached |= hit;
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

        /* 4. Principal. */
        double notes = 0.0;
        for (int n = 0; n < N; n++)
            notes += bal[n];
        double wanted = (last || divert) ? notes : notes - (1.0 - w->oc_target) * perf_end;
        double amount = wanted < cash ? wanted : cash;
        if (amount < 0.0)
            amount = 0.0;
        double principal[ABSIM_MAX_TRANCHES];
        int sequential = last || breached || w->principal == ABSIM_PRINCIPAL_SEQUENTIAL;
        double left = amount;
        for (int n = 0; n < N; n++) {
            double p;
            if (amount >= notes)
                p = bal[n];
            else if (sequential)
                p = left < bal[n] ? left : bal[n];
            else
                p = notes > 0.0 ? amount * (bal[n] / notes) : 0.0;
            if (p > bal[n])
                p = bal[n];
            if (p > left)
                p = left;
            principal[n] = p;
            left -= p;
        }
        cash -= amount - left;
        notes = 0.0;
        for (int n = 0; n < N; n++) {
            bal[n] -= principal[n];
            notes += bal[n];
        }
        if (reserve_open && notes <= 0.0) {
            cash += reserve; /* the notes are repaid: release the reserve */
            reserve = 0.0;
            reserve_open = 0;
        }

        /* 5. The rest to the residual. */
        double to_res = cash + to_residual;
        residual_cash[i] = to_res;
        residual_total += to_res;

        /* Book-keeping of results. */
        double paid_notes = 0.0;
        for (int n = 0; n < N; n++) {
            double received_n = interest_paid[n] + principal[n];
            paid_notes += received_n;
            pv[n] += received_n * disc[n];
            principal_paid[n] += principal[n];
            wal_sum[n] += principal[n] * k * dt;
        }
        cash_out += fees_paid + paid_notes + to_res;
        if (res >= 0) {
            double rate = w->floating[res] ? fmax(0.0, rk + w->spread[res]) : w->coupon[res];
            disc[res] /= 1.0 + rate * dt;
            pv[res] += to_res * disc[res];
            double room = w->balance[res] - principal_paid[res];
            double p = to_res < room ? to_res : room;
            if (p > 0.0) {
                principal_paid[res] += p;
                wal_sum[res] += p * k * dt;
            }
        }
        /* Impairment: notes at or above the tranche no longer covered by the
         * collateral (performing + pending recoveries + reserve), or unpaid
         * interest this period. */
        double cover = last ? reserve : perf_end + c->pending[i] + reserve, above = 0.0;
        for (int n = 0; n < N; n++) {
            above += bal[n];
            if (!impaired[n] && (above > cover + tol || any_unpaid[n]))
                impaired[n] = k;
        }
        if (res >= 0 && !impaired[res]) {
            double outstanding = w->balance[res] - residual_total;
            if (outstanding > 0.0 && above + outstanding > cover + tol)
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
            ended = 1;
            end_period = k;
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
    out->residual_irr = res >= 0 ? irr(residual_cash, T, w->balance[res], dt) : NAN;
    out->collections_lost = lost;
    out->end_period = end_period;
    return cash_in - cash_out - reserve;
}
