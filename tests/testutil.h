/* testutil.h -- helpers shared by the cmocka tests (cmocka 1.1.5 has no
 * assert_double_equal). Include after <cmocka.h>. */
#ifndef ABSIM_TESTUTIL_H
#define ABSIM_TESTUTIL_H

#include <math.h>
#include <stdio.h>

/* Fail unless |a - b| <= tol, printing both values. */
#define assert_close(a, b, tol)                                                                          \
    do {                                                                                                 \
        double a_ = (a), b_ = (b), t_ = (tol);                                                           \
        if (!(fabs(a_ - b_) <= t_)) {                                                                    \
            print_error("%s = %.17g, %s = %.17g, |diff| = %.3g > tol %.3g\n", #a, a_, #b, b_, fabs(a_ - b_), \
                        t_);                                                                             \
            fail();                                                                                      \
        }                                                                                                \
    } while (0)

#endif
