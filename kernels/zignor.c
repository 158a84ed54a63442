/* zignor.c -- the 256-layer ziggurat (see zignor.h).
 *
 * f(x) = exp(-x^2/2) (unnormalised). Layer i, 1 <= i <= 255, is the
 * rectangle [0, x[i]] x [f(x[i]), f(x[i+1])], of area V; layer 0 is the
 * rectangle [0, R] x [0, f(R)] plus the tail beyond R, also of area V,
 * drawn as a rectangle of width x[0] = V / f(R). Given the layer and
 * u in [0, 1), x = u x[i] lies under the curve when x < x[i+1]; otherwise
 * layer 0 samples the tail, and other layers accept x with probability
 * (f(x) - f(x[i])) / (f(x[i+1]) - f(x[i])) (the wedge), else start over.
 *
 * Invariants: x[] decreasing from x[0] > R to x[256] = 0; the tables are
 * only read after absim_zig_init. */
#include "zignor.h"

#include <math.h>

#define ZN ABSIM_ZIG_LAYERS

static double fdens(double x)
{
    return exp(-0.5 * x * x);
}

/* Area of the tail beyond r plus the rectangle under f(r). */
static double layer_area(double r)
{
    return r * fdens(r) + 1.2533141373155003 * erfc(r / sqrt(2.0)); /* sqrt(pi/2) */
}

/* Fill x[] for a given R; returns the top layer's area x[255] (1 -
 * f(x[255])) minus V, which grows with R (-1 if the recursion leaves the
 * curve: R far too small). */
static double build(absim_zig *z, double r)
{
    const double v = layer_area(r);
    z->r = r;
    z->x[0] = v / fdens(r);
    z->x[1] = r;
    z->x[ZN] = 0.0;
    for (int i = 1; i < ZN - 1; i++) {
        double y = fdens(z->x[i]) + v / z->x[i];
        if (!(y < 1.0))
            return -1.0;
        z->x[i + 1] = sqrt(-2.0 * log(y));
    }
    return z->x[ZN - 1] * (1.0 - fdens(z->x[ZN - 1])) - v;
}

void absim_zig_init(absim_zig *z)
{
    /* the top layer's area minus V grows with R: bisect for 0 */
    double lo = 3.0, hi = 4.5;
    for (int it = 0; it < 200 && hi - lo > 0.0; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi)
            break;
        double g = build(z, mid);
        if (g < 0.0)
            lo = mid;
        else
            hi = mid;
    }
    build(z, hi);
    for (int i = 0; i <= ZN; i++)
        z->f[i] = fdens(z->x[i]);
    for (int i = 0; i < ZN; i++)
        z->k[i] = z->x[i + 1] / z->x[i];
}

static double uniform53(absim_rng *r)
{
    return (double)(int64_t)(absim_rng_u64(r) >> 11) * 0x1.0p-53; /* [0, 1) */
}

double absim_zig_finish(const absim_zig *z, uint64_t w, absim_rng *r)
{
    for (;;) {
        const int i = (int)(w & 0xff);
        const int neg = (w & 0x100) != 0;
        const double u = (double)(int64_t)(w >> 11) * 0x1.0p-53;
        const double x = u * z->x[i];
        if (x < z->x[i + 1])
            return neg ? -x : x;
        if (i == 0) {
            /* tail beyond R (Marsaglia 1964): a = -log(u1)/R, b = -log(u2),
             * accept when 2b > a^2; u in (0, 1] so the logs are finite */
            double a, b;
            do {
                a = -log(1.0 - uniform53(r)) / z->r;
                b = -log(1.0 - uniform53(r));
            } while (!(b + b > a * a));
            return neg ? -(z->r + a) : z->r + a;
        }
        /* wedge: accept with probability (f(x) - f(x_i)) / (f(x_i+1) - f(x_i)) */
        if (z->f[i] + uniform53(r) * (z->f[i + 1] - z->f[i]) < fdens(x))
            return neg ? -x : x;
        w = absim_rng_u64(r); /* start over */
        double e;
        if (absim_zig_fast(z, w, &e))
            return e;
    }
}

double absim_zig_draw(const absim_zig *z, absim_rng *r)
{
    const uint64_t w = absim_rng_u64(r);
    double e;
    return absim_zig_fast(z, w, &e) ? e : absim_zig_finish(z, w, r);
}
