/* test_results.c -- the tranche table: attachment and detachment points as
 * fractions of the original pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "results.h"
#include "status.h"

/* A deal with two lines (60 + 40) and the given tranches; nothing allocated. */
static void make_deal(absim_deal *d, absim_line *lines, absim_tranche *tr, int ntr)
{
    memset(d, 0, sizeof *d);
    memset(lines, 0, 2 * sizeof *lines);
    lines[0].balance = 60.0;
    lines[1].balance = 40.0;
    d->lines = lines;
    d->nlines = 2;
    d->structure.tranches = tr;
    d->structure.ntranches = ntr;
}

static void test_results_tranche_table(void **state)
{
    (void)state;
    absim_deal d;
    absim_line lines[2];
    absim_tranche tr[3];
    absim_tranche_table t;
    memset(tr, 0, sizeof tr);
    strcpy(tr[0].name, "A");
    tr[0].balance = 70.0;
    strcpy(tr[1].name, "B");
    tr[1].balance = 20.0;
    strcpy(tr[2].name, "residual");
    tr[2].balance = 10.0;
    tr[2].residual = 1;
    make_deal(&d, lines, tr, 3);
    assert_int_equal(absim_tranche_table_init(&t, &d), ABSIM_OK);
    assert_int_equal(t.ntranches, 3);
    assert_string_equal(t.name[0], "A");
    assert_string_equal(t.name[2], "residual");
    assert_close(t.original_balance[1], 20.0, 0);
    assert_close(t.attachment[0], 0.3, 1e-15);
    assert_close(t.detachment[0], 1.0, 1e-15);
    assert_close(t.attachment[1], 0.1, 1e-15);
    assert_close(t.detachment[1], 0.3, 1e-15);
    assert_close(t.attachment[2], 0.0, 0);
    assert_close(t.detachment[2], 0.1, 1e-15);
    /* contiguous: each detachment is the next senior's attachment */
    assert_close(t.detachment[1], t.attachment[0], 0);
    assert_close(t.detachment[2], t.attachment[1], 0);
    absim_tranche_table_free(&t);
    assert_null(t.name);
    assert_int_equal(t.ntranches, 0);
}

static void test_results_overcollateralized(void **state)
{
    (void)state;
    absim_deal d;
    absim_line lines[2];
    absim_tranche tr[2];
    absim_tranche_table t;
    memset(tr, 0, sizeof tr);
    strcpy(tr[0].name, "Senior");
    tr[0].balance = 60.0;
    strcpy(tr[1].name, "Mezz");
    tr[1].balance = 25.0;
    make_deal(&d, lines, tr, 2);
    assert_int_equal(absim_tranche_table_init(&t, &d), ABSIM_OK);
    assert_close(t.attachment[1], 0.0, 0);
    assert_close(t.detachment[1], 0.25, 1e-15);
    assert_close(t.attachment[0], 0.25, 1e-15);
    assert_close(t.detachment[0], 0.85, 1e-15);
    absim_tranche_table_free(&t);
}

static void test_results_free_zeroed(void **state)
{
    (void)state;
    absim_tranche_table t;
    memset(&t, 0, sizeof t);
    absim_tranche_table_free(&t);
    assert_null(t.attachment);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_tranche_table),
        cmocka_unit_test(test_results_overcollateralized),
        cmocka_unit_test(test_results_free_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
