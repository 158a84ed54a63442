/* beta.h -- exact Beta(a, b) variates: a table-based rejection sampler
 * prepared once per law, with R.C.H. Cheng's methods as the fallback.
 *
 * Table method (ABSIM_BETA_TABLE, every law with max(a, b) <= 1000): [0, 1]
 * is cut into ABSIM_BETA_STRIPS strips, each with a certified envelope
 * (a constant, or c x^(a-1) / c (1-x)^(b-1) on a strip where the density
 * is unbounded) and a squeeze; a strip is chosen by Walker's alias method
 * from one 64-bit word, the point and the acceptance test come from a
 * second word. Most draws end there (93% at recovery-like shapes, 97-99%
 * for bell shapes): two words, about 45 instructions besides the words,
 * no libm call, no division. The rest evaluate the density (log, log1p,
 * exp) or, on a strip where it is unbounded, draw by inversion (log, exp).
 * See beta.c for why the result is exact.
 *
 * Fallback (larger shapes, where the table's log-space test would lose
 * accuracy in proportion to the shapes, while BB's cancels to their square
 * root): Cheng (1978), "Generating beta variates with
 * nonintegral shape parameters", CACM 21(4) 317-322, algorithm BB when
 * min(a, b) > 1 and BC otherwise; a == 1 or b == 1 by inversion.
 *
 * A draw takes a variable number of words (rejection), so a law's draws
 * should have a stream of their own. */
#ifndef ABSIM_BETA_H
#define ABSIM_BETA_H

#include <stdint.h>

#include "rng.h"
#include "status.h"

/* How a law is drawn (absim_beta_law.method). */
enum {
    ABSIM_BETA_INVALID = 0, /* a or b not finite and > 0: draws are NaN */
    ABSIM_BETA_BB = 1,      /* Cheng BB: min(a, b) > 1 */
    ABSIM_BETA_BC = 2,      /* Cheng BC: min(a, b) <= 1, neither exactly 1 */
    ABSIM_BETA_A_ONE = 3,   /* a == 1: X = 1 - U^(1/b) */
    ABSIM_BETA_B_ONE = 4,   /* b == 1 (a != 1): X = U^(1/a) */
    ABSIM_BETA_TABLE = 5    /* strips + alias table (absim_beta_table) */
};

/* Shapes up to this size use the table; larger ones fall back to Cheng. */
#define ABSIM_BETA_TABLE_MAX_SHAPE 1000.0

/* Strips of a table law, also the slots of its alias table: 2^8, so the
 * slot is the top 8 bits of a word. */
#define ABSIM_BETA_STRIP_BITS 8
#define ABSIM_BETA_STRIPS (1 << ABSIM_BETA_STRIP_BITS)

/* Cells of the acceptance uniform V: the low 11 bits of the second word
 * say V lies in [k, k+1) / 2048. */
#define ABSIM_BETA_CELLS 2048

/* Kinds of strip (absim_beta_strip.kind). */
enum {
    ABSIM_BETA_STRIP_FLAT = 0,  /* x uniform on [left, left + width], envelope height H */
    ABSIM_BETA_STRIP_LEFT = 1,  /* [0, width], a < 1: x = width U^(1/a), envelope H x^(a-1) */
    ABSIM_BETA_STRIP_RIGHT = 2  /* [left, 1], b < 1: 1 - x = width U^(1/b), envelope H (1-x)^(b-1) */
};

/* Strip j of a table law and slot j of its alias table (32 bytes). */
typedef struct {
    double left;      /* strip j is [left, left + width], width = scale 2^53 (exact); left + width
                       * is the next strip's left, exactly */
    double scale;     /* width 2^-53 (0: a strip never chosen). FLAT: x = left + scale i, i the
                       * top 53 bits of word 2 */
    uint64_t thr;     /* slot j: strip j when the low 56 bits of the word are < thr, else strip alias */
    uint16_t alias;   /* slot j: the other strip */
    uint16_t sq;      /* FLAT: accept at once when the cell k < sq; 0 for LEFT/RIGHT */
    uint16_t sq_tail; /* LEFT/RIGHT: the same squeeze, once x is drawn */
    uint8_t kind;     /* ABSIM_BETA_STRIP_* */
    uint8_t unused;
} absim_beta_strip;

/* The tables of one law (about 10 KB, one allocation). */
typedef struct {
    absim_beta_strip strip[ABSIM_BETA_STRIPS]; /* Length = ABSIM_BETA_STRIPS */
    double log_h[ABSIM_BETA_STRIPS];           /* log H of strip j (see kind); -inf if never chosen */
    double accept_rate;                        /* P(a trial is accepted) = mass / envelope mass */
    double squeeze_rate;                       /* P(a trial is accepted by a squeeze) */
    double fast_rate;                          /* P(a trial ends on the fast path: FLAT strip, squeeze) */
} absim_beta_table;

/* Constants of one Beta law. The law owns `table` (NULL unless method is
 * ABSIM_BETA_TABLE): a copy of the struct shares it, is read-only in draws
 * (threads may share it) and must not be freed twice. Lines with equal
 * shapes should share one law. */
typedef struct {
    int method;       /* ABSIM_BETA_* */
    int flip;         /* Cheng: 1 when the variate is 1 - X, X ~ Beta(a_c, b_c) (a_c != a) */
    double a;         /* TABLE: a. Cheng: a_c (min(a, b) for BB, max for BC); 1/b or 1/a for inversion */
    double b;         /* TABLE: b. Cheng: b_c, the other shape */
    double alpha;     /* Cheng: a_c + b_c */
    double log_alpha; /* Cheng: log(alpha) */
    double beta;      /* Cheng: sqrt((alpha-2)/(2 a_c b_c - alpha)) (BB), 1/b_c (BC) */
    double gamma;     /* Cheng BB: a_c + 1/beta */
    double k1;        /* Cheng BC: rejection bound for U1 < 1/2 */
    double k2;        /* Cheng BC: rejection bound for U1 >= 1/2 */
    double am1, bm1;  /* TABLE: a - 1, b - 1 */
    double inv_a;     /* TABLE: 1/a (LEFT strip) */
    double inv_b;     /* TABLE: 1/b (RIGHT strip) */
    absim_beta_table *table; /* TABLE: owned, see above */
} absim_beta_law;

/* Prepare Beta(a, b), a > 0, b > 0 finite. Shapes up to
 * ABSIM_BETA_TABLE_MAX_SHAPE get tables: 10 KB allocated and 15-30
 * microseconds (some 1500 log/exp evaluations); larger ones take Cheng's
 * constants (no allocation). Returns ABSIM_OK; ABSIM_EINVAL (message
 * set) for invalid shapes, whose law then draws NaN; ABSIM_ENOMEM, the law
 * then drawing NaN. Release with absim_beta_free() in every case. */
absim_status absim_beta_init(absim_beta_law *law, double a, double b);

/* The same law without tables: always Cheng's method (or inversion for a
 * shape of 1), no allocation. For callers that would otherwise hold too
 * many tables. */
absim_status absim_beta_init_cheng(absim_beta_law *law, double a, double b);

/* Release the tables of a law (no-op for the others, and for a zeroed
 * law); the law is left invalid. */
void absim_beta_free(absim_beta_law *law);

/* One exact Beta(a, b) variate from stream r, in [0, 1] (0 or 1 exactly
 * only where the variate is nearer to them than the doubles can show,
 * e.g. a or b far below 1). Table: two 64-bit words per trial (a third for
 * the few trials whose cell straddles the density), a trial accepted with
 * probability accept_rate (0.966-0.996 at recovery-like shapes: 2.03
 * words per draw on average). Cheng: one word per trial (rarely one more),
 * inversion one uniform. Terminates with probability one. */
double absim_beta_draw(const absim_beta_law *law, absim_rng *r);

#endif
