/* tape.h -- loan tapes (CSV, one loan a row) read with libcsv.
 *
 * Columns (header row, any order): id, balance, coupon | spread, term,
 * amortization, pd | cdr, recovery; optional sector, recovery_stdev,
 * recovery_lag, cpr, count. Each row becomes one absim_line (count 1 unless
 * the count column says otherwise); unknown sectors are added to the deal's
 * sector list. Errors are printed as "FILE:ROW: error: MESSAGE" (ROW is the
 * 1-based line number of the file, header = 1), all of them. */
#ifndef ABSIM_TAPE_H
#define ABSIM_TAPE_H

#include <stdio.h>

#include "deal.h"

/* Append the tape's loans to deal->lines (and new sectors to deal->sectors,
 * growing deal->sector_loading with zeros). Returns ABSIM_OK, ABSIM_ECONFIG
 * (errors printed to `err`), ABSIM_EIO or ABSIM_ENOMEM. */
int absim_tape_append(absim_deal *deal, const char *path, FILE *err);

/* Same from memory (`name` used in messages). */
int absim_tape_append_string(absim_deal *deal, const char *text, size_t len, const char *name, FILE *err);

#endif
