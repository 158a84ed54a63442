/* test_rating.c -- rating scale parsing (bundled default, the illustrative
 * el scale, malformed files) and implied ratings at table boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "rating.h"
#include "status.h"

#ifndef ABSIM_SOURCE_DIR
#define ABSIM_SOURCE_DIR "."
#endif

/* Load `text`; return the status and copy what was written to err into msg. */
static int load_capture(absim_rating_scale *s, const char *text, char *msg, size_t size)
{
    FILE *err = tmpfile();
    assert_non_null(err);
    int rc = absim_rating_scale_load_string(s, text, "scale.csv", err);
    rewind(err);
    size_t got = fread(msg, 1, size - 1, err);
    msg[got] = '\0';
    fclose(err);
    return rc;
}

static void test_rating_bundled_default(void **state)
{
    (void)state;
    absim_rating_scale s;
    assert_int_equal(absim_rating_scale_load_string(&s, absim_default_rating_scale_text, "<bundled>", NULL),
                     ABSIM_OK);
    assert_int_equal(s.measure, ABSIM_MEASURE_PD);
    assert_int_equal(s.nratings, 21);
    assert_int_equal(s.nhorizons, 16);
    assert_string_equal(s.rating[0], "Aaa");
    assert_string_equal(s.rating[9], "Baa3");
    assert_string_equal(s.rating[20], "C");
    assert_string_equal(s.source, "<bundled>");
    assert_close(s.horizon[0], 0.25, 0);
    assert_close(s.horizon[15], 30, 0);
    assert_close(absim_rating_value(&s, 8, 5.0), 0.018165, 0);       /* Baa2 at 5y */
    assert_close(absim_rating_value(&s, 0, 10.0), 0.0001, 0);        /* Aaa at 10y */

    /* the shipped file is the embedded text */
    absim_rating_scale f;
    assert_int_equal(absim_rating_scale_load(&f, ABSIM_SOURCE_DIR "/configs/ratings/moodys_idealized_pd.csv", NULL),
                     ABSIM_OK);
    assert_int_equal(f.nratings, s.nratings);
    assert_memory_equal(f.value, s.value, (size_t)s.nratings * (size_t)s.nhorizons * sizeof(double));
    assert_string_equal(f.source, ABSIM_SOURCE_DIR "/configs/ratings/moodys_idealized_pd.csv");
    absim_rating_scale_free(&f);
    absim_rating_scale_free(&s);
    assert_null(s.value);
}

static void test_rating_interpolation(void **state)
{
    (void)state;
    absim_rating_scale s;
    assert_int_equal(absim_rating_scale_load_string(&s, absim_default_rating_scale_text, "<bundled>", NULL),
                     ABSIM_OK);
    const int baa2 = 8;
    /* linear between 2 and 3 years */
    assert_close(absim_rating_value(&s, baa2, 2.5), 0.5 * (0.00730598 + 0.0109389), 1e-15);
    assert_close(absim_rating_value(&s, baa2, 2.25), 0.75 * 0.00730598 + 0.25 * 0.0109389, 1e-15);
    /* flat beyond the ends, NaN at the shortest horizon */
    assert_close(absim_rating_value(&s, baa2, 0.1), 0.00091618, 0);
    assert_close(absim_rating_value(&s, baa2, 0.0), 0.00091618, 0);
    assert_close(absim_rating_value(&s, baa2, NAN), 0.00091618, 0);
    assert_close(absim_rating_value(&s, baa2, 45.0), 0.104159, 0);
    assert_close(absim_rating_value(&s, baa2, 30.0), 0.104159, 0);
    /* exact at every horizon */
    for (int j = 0; j < s.nhorizons; j++)
        assert_close(absim_rating_value(&s, baa2, s.horizon[j]), s.value[baa2 * s.nhorizons + j], 0);
    assert_true(isnan(absim_rating_value(&s, 21, 5.0)));
    absim_rating_scale_free(&s);
}

static void test_rating_implied_boundaries(void **state)
{
    (void)state;
    absim_rating_scale s;
    char out[16];
    assert_int_equal(absim_rating_scale_load_string(&s, absim_default_rating_scale_text, "<bundled>", NULL),
                     ABSIM_OK);
    const double baa2_5y = 0.018165;
    absim_rating_implied(&s, baa2_5y, 5.0, out); /* exactly equal: qualifies */
    assert_string_equal(out, "Baa2");
    absim_rating_implied(&s, nextafter(baa2_5y, 1.0), 5.0, out); /* just above: next worse */
    assert_string_equal(out, "Baa3");
    absim_rating_implied(&s, nextafter(baa2_5y, 0.0), 5.0, out); /* just below */
    assert_string_equal(out, "Baa2");
    absim_rating_implied(&s, 0.0130856, 5.0, out); /* exactly Baa1 */
    assert_string_equal(out, "Baa1");
    absim_rating_implied(&s, 0.0, 7.3, out); /* PD 0: best */
    assert_string_equal(out, "Aaa");
    absim_rating_implied(&s, 0.0, NAN, out);
    assert_string_equal(out, "Aaa");
    /* WAL between horizons: Baa2 at 2.5y is 0.00912244 */
    absim_rating_implied(&s, 0.0091, 2.5, out);
    assert_string_equal(out, "Baa2");
    absim_rating_implied(&s, 0.0092, 2.5, out);
    assert_string_equal(out, "Baa3");
    /* beyond the last horizon: flat at 30y */
    absim_rating_implied(&s, 0.104159, 40.0, out);
    assert_string_equal(out, "Baa2");
    /* PD 1 still qualifies for Ca (value 1) */
    absim_rating_implied(&s, 1.0, 3.0, out);
    assert_string_equal(out, "Ca");
    absim_rating_implied(NULL, 0.1, 3.0, out);
    assert_string_equal(out, "n/a");
    absim_rating_scale_free(&s);
}

static void test_rating_el_scale(void **state)
{
    (void)state;
    absim_rating_scale s;
    char out[16];
    assert_int_equal(absim_rating_scale_load(&s, ABSIM_SOURCE_DIR "/tests/data/ratings/illustrative_el.csv", stderr),
                     ABSIM_OK);
    assert_int_equal(s.measure, ABSIM_MEASURE_EL);
    assert_int_equal(s.nratings, 7);
    assert_int_equal(s.nhorizons, 4);
    assert_string_equal(s.rating[6], "CCC");
    absim_rating_implied(&s, 0.012, 5.0, out);
    assert_string_equal(out, "BBB");
    absim_rating_implied(&s, 0.0121, 5.0, out);
    assert_string_equal(out, "BB");
    /* between 5 and 10 years: BBB at 7.5y is 0.0185 */
    absim_rating_implied(&s, 0.0184, 7.5, out);
    assert_string_equal(out, "BBB");
    absim_rating_implied(&s, 0.0186, 7.5, out);
    assert_string_equal(out, "BB");
    /* none qualifies: the worst rating */
    absim_rating_implied(&s, 0.6, 10.0, out);
    assert_string_equal(out, "CCC");
    absim_rating_implied(&s, 0.11, 0.5, out); /* flat before 1y: B 0.03, CCC 0.12 */
    assert_string_equal(out, "CCC");
    absim_rating_scale_free(&s);
}

static void test_rating_tolerated_syntax(void **state)
{
    (void)state;
    absim_rating_scale s;
    char msg[1024];
    const char *text = "# comment\r\n\r\n  Measure , PD \r\n# another\r\n\"rating\",1,2\r\n"
                       "\"X1\", 0.1 , 0.2\r\nX2,0.2,0.3\r\n";
    assert_int_equal(load_capture(&s, text, msg, sizeof msg), ABSIM_OK);
    assert_string_equal(msg, "");
    assert_int_equal(s.measure, ABSIM_MEASURE_PD);
    assert_string_equal(s.rating[0], "X1");
    assert_close(s.value[3], 0.3, 0);
    absim_rating_scale_free(&s);

    /* equal values across ratings are allowed */
    assert_int_equal(load_capture(&s, "measure,el\nrating,1\nA,0.1\nB,0.1\n", msg, sizeof msg), ABSIM_OK);
    absim_rating_scale_free(&s);
}

static void test_rating_horizon_decrease_warns(void **state)
{
    (void)state;
    absim_rating_scale s;
    char msg[1024];
    assert_int_equal(load_capture(&s, "measure,pd\nrating,1,2\nA,0.1,0.05\nB,0.2,0.3\n", msg, sizeof msg),
                     ABSIM_OK);
    assert_non_null(strstr(msg, "scale.csv:3: warning:"));
    assert_int_equal(s.nratings, 2);
    absim_rating_scale_free(&s);
}

typedef struct {
    const char *text;
    const char *where; /* expected "scale.csv:LINE: error:" */
    const char *what;  /* a word of the message */
} bad_case;

static void test_rating_errors(void **state)
{
    (void)state;
    const bad_case cases[] = {
        {"measure,pd\nrating,1,2\nA,0.1,0.2x\n", "scale.csv:3: error:", "0.2x"},
        {"measure,pd\nrating,1,2\nA,0.1,\n", "scale.csv:3: error:", "number"},
        {"# no measure\nrating,1,2\nA,0.1,0.2\n", "scale.csv:2: error:", "measure"},
        {"measure,pd\n", "scale.csv:1: error:", "header"},
        {"", "scale.csv:1: error:", "measure"},
        {"measure,xl\nrating,1\nA,0.1\n", "scale.csv:1: error:", "xl"},
        {"measure,pd\nrating,1,2\nA,0.1,0.2\nB,0.2\n", "scale.csv:4: error:", "row has 1"},
        {"measure,pd\nrating,1,2\nA,0.1,0.2,0.3\n", "scale.csv:3: error:", "row has 3"},
        {"measure,pd\nrating,1,1\nA,0.1,0.2\n", "scale.csv:2: error:", "increase"},
        {"measure,pd\nrating,2,1\nA,0.1,0.2\n", "scale.csv:2: error:", "increase"},
        {"measure,pd\nrating,0,1\nA,0.1,0.2\n", "scale.csv:2: error:", "positive"},
        {"measure,pd\nrating,1,abc\nA,0.1,0.2\n", "scale.csv:2: error:", "abc"},
        {"measure,pd\nname,1,2\nA,0.1,0.2\n", "scale.csv:2: error:", "header"},
        {"measure,pd\nrating\nA\n", "scale.csv:2: error:", "horizon"},
        {"measure,pd\nrating,1,2\n", "scale.csv:2: error:", "no rating"},
        {"measure,pd\nrating,1,2\nA,0.1,1.2\n", "scale.csv:3: error:", "[0,1]"},
        {"measure,pd\nrating,1,2\nA,-0.1,0.2\n", "scale.csv:3: error:", "[0,1]"},
        {"measure,pd\nrating,1,2\nA,0.1,nan\n", "scale.csv:3: error:", "nan"},
        {"measure,pd\nrating,1,2\nA,0.1,0.2\nA,0.2,0.3\n", "scale.csv:4: error:", "twice"},
        {"measure,pd\nrating,1,2\n,0.1,0.2\n", "scale.csv:3: error:", "empty"},
        {"measure,pd\nrating,1,2\nAVeryLongRatingName,0.1,0.2\n", "scale.csv:3: error:", "longer"},
        {"measure,pd\nrating,1,2\nA,0.1,0.2\nB,0.2,0.3\nC,0.3,0.25\n", "scale.csv:5: error:", "better"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        absim_rating_scale s;
        char msg[1024];
        int rc = load_capture(&s, cases[i].text, msg, sizeof msg);
        if (rc != ABSIM_ECONFIG || !strstr(msg, cases[i].where) || !strstr(msg, cases[i].what) ||
            !strstr(absim_error_message(), cases[i].where)) {
            print_error("case %zu: rc %d, message '%s'\n", i, rc, msg);
            fail();
        }
        assert_int_equal(s.nratings, 0);
        assert_null(s.value);
        assert_null(s.rating);
    }
}

static void test_rating_missing_file(void **state)
{
    (void)state;
    absim_rating_scale s;
    assert_int_equal(absim_rating_scale_load(&s, ABSIM_SOURCE_DIR "/tests/data/ratings/no_such_scale.csv", NULL),
                     ABSIM_EIO);
    assert_non_null(strstr(absim_error_message(), "no_such_scale.csv"));
    assert_null(s.value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rating_bundled_default),
        cmocka_unit_test(test_rating_interpolation),
        cmocka_unit_test(test_rating_implied_boundaries),
        cmocka_unit_test(test_rating_el_scale),
        cmocka_unit_test(test_rating_tolerated_syntax),
        cmocka_unit_test(test_rating_horizon_decrease_warns),
        cmocka_unit_test(test_rating_errors),
        cmocka_unit_test(test_rating_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
