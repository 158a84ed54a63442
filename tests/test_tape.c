/* test_tape.c -- unit tests of io/tape.c: valid tapes (comments, quotes,
 * CRLF, optional columns), row-numbered errors, and the guarantee that a
 * failed tape leaves the deal as it was. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"
#include "tape.h"
#include "testutil.h"

static int append(absim_deal *deal, const char *csv, char **msgs)
{
    size_t len = 0;
    FILE *err = open_memstream(msgs, &len);
    assert_non_null(err);
    int rc = absim_tape_append_string(deal, csv, strlen(csv), "t.csv", err);
    fclose(err);
    return rc;
}

static void test_tape_valid(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    (void)state;
    memset(&deal, 0, sizeof deal);
    const char *csv = "# a loan tape\n"
                      "\n"
                      "id,sector,balance,coupon,spread,term,amortization,pd,cdr,recovery,recovery_stdev,"
                      "recovery_lag,cpr,count\r\n"
                      "L1,steel,1.5e6,0.05,,36,level,0.02,,0.4,0.2,6,0.1,\r\n"
                      "\"L 2\", coal ,2000000,,0.03,24,bullet,,0.05,0.5,,,,10\r\n"
                      "L3,,100,0.07,,12,linear,0.01,,0.3,,,,\n";
    int rc = append(&deal, csv, &msgs);
    if (rc != ABSIM_OK)
        print_error("%s", msgs);
    assert_int_equal(rc, ABSIM_OK);
    assert_int_equal(deal.nlines, 3);
    assert_int_equal(deal.nsectors, 3);
    assert_string_equal(deal.sectors[0], "general");
    assert_string_equal(deal.sectors[1], "steel");
    assert_string_equal(deal.sectors[2], "coal");
    absim_line *a = &deal.lines[0], *b = &deal.lines[1], *c = &deal.lines[2];
    assert_string_equal(a->name, "L1");
    assert_int_equal(a->source_line, 4);
    assert_close(a->balance, 1.5e6, 0.0);
    assert_false(a->floating);
    assert_int_equal(a->law, ABSIM_LAW_PD);
    assert_int_equal(a->recovery_lag, 6);
    assert_int_equal(a->prepay, ABSIM_PREPAY_CPR);
    assert_close(a->prepay_value, 0.1, 0.0);
    assert_int_equal(a->count, 1);
    assert_string_equal(b->name, "L 2");
    assert_int_equal(b->sector_index, 2);
    assert_true(b->floating);
    assert_close(b->spread, 0.03, 0.0);
    assert_int_equal(b->law, ABSIM_LAW_CDR);
    assert_int_equal(b->amortization, ABSIM_AMORT_BULLET);
    assert_int_equal(b->count, 10);
    assert_int_equal(b->prepay, ABSIM_PREPAY_NONE);
    assert_int_equal(c->sector_index, 0);
    assert_int_equal(c->amortization, ABSIM_AMORT_LINEAR);
    assert_int_equal(c->source_line, 6);
    absim_deal_free(&deal);
    free(msgs);
}

static void test_tape_errors_listed(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    (void)state;
    memset(&deal, 0, sizeof deal);
    const char *csv = "id,balance,coupon,term,amortization,pd,recovery\n"
                      "L1,12abc,0.05,12,level,0.02,0.4\n"
                      "L2,100,0.05,1.5,level,1.5,0.4\n"
                      "L3,100,0.05,12,levle,0.02,0.4\n"
                      "L4,100,0.05,12,level,0.02\n";
    assert_int_equal(append(&deal, csv, &msgs), ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, "t.csv:2: error: column 'balance': expected a number > 0, got '12abc'"));
    assert_non_null(strstr(msgs, "t.csv:3: error: column 'term': expected an integer in [1, 1200], got '1.5'"));
    assert_non_null(strstr(msgs, "t.csv:3: error: column 'pd': expected a number in [0, 1], got '1.5'"));
    assert_non_null(strstr(msgs, "t.csv:4: error: column 'amortization'"));
    assert_non_null(strstr(msgs, "t.csv:5: error: expected 7 fields (as in the header), got 6"));
    assert_int_equal(deal.nlines, 0);
    absim_deal_free(&deal);
    free(msgs);
}

static void test_tape_header(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    (void)state;
    memset(&deal, 0, sizeof deal);
    assert_int_equal(append(&deal, "ID,balance,coupon,trem,amortization,pd,recovery\n", &msgs), ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, "t.csv:1: error: unknown column 'ID' (did you mean 'id'?)"));
    assert_non_null(strstr(msgs, "t.csv:1: error: unknown column 'trem' (did you mean 'term'?)"));
    assert_non_null(strstr(msgs, "t.csv:1: error: missing required column 'term'"));
    free(msgs);
    assert_int_equal(append(&deal, "", &msgs), ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, "t.csv:1: error: empty tape"));
    free(msgs);
    assert_int_equal(append(&deal, "id,balance,coupon,term,amortization,pd,recovery\n", &msgs), ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, "t.csv:1: error: the tape has no loans"));
    free(msgs);
    absim_deal_free(&deal);
}

static void test_tape_rollback(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    (void)state;
    memset(&deal, 0, sizeof deal);
    const char *good = "id,sector,balance,coupon,term,amortization,pd,recovery\nA,steel,100,0.05,12,level,0.02,0.4\n";
    assert_int_equal(append(&deal, good, &msgs), ABSIM_OK);
    free(msgs);
    assert_int_equal(deal.nlines, 1);
    assert_int_equal(deal.nsectors, 2);
    /* duplicate of an existing line, a new sector: nothing may change */
    const char *bad = "id,sector,balance,coupon,term,amortization,pd,recovery\n"
                      "B,coal,100,0.05,12,level,0.02,0.4\n"
                      "A,coal,100,0.05,12,level,0.02,0.4\n"
                      "B,coal,100,0.05,12,level,0.02,0.4\n";
    assert_int_equal(append(&deal, bad, &msgs), ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, "t.csv:3: error: column 'id': 'A' is also the name of a pool line"));
    assert_non_null(strstr(msgs, "t.csv:4: error: column 'id': duplicate id 'B' (first at row 2)"));
    assert_int_equal(deal.nlines, 1);
    assert_int_equal(deal.nsectors, 2);
    free(msgs);
    absim_deal_free(&deal);
}

static void test_tape_malformed(void **state)
{
    absim_deal deal;
    char *msgs = NULL;
    (void)state;
    memset(&deal, 0, sizeof deal);
    const char *csv = "id,balance,coupon,term,amortization,pd,recovery\n"
                      "L1,100,0.05,12,level,0.02,0.4\n"
                      "L\"2,100,0.05,12,level,0.02,0.4\n";
    assert_int_equal(append(&deal, csv, &msgs), ABSIM_ECONFIG);
    assert_non_null(strstr(msgs, "t.csv:3: error: malformed CSV"));
    free(msgs);
    assert_int_equal(absim_tape_append(&deal, "/nonexistent/tape.csv", NULL), ABSIM_EIO);
    absim_deal_free(&deal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tape_valid),    cmocka_unit_test(test_tape_errors_listed),
        cmocka_unit_test(test_tape_header),   cmocka_unit_test(test_tape_rollback),
        cmocka_unit_test(test_tape_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
