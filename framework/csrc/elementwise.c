/*
 * elementwise.c -- bias and activation kernels for the framework's C backend.
 *
 * Loops over column-major matrices or flat buffers, written so that the
 * compiler vectorises them (no calls, no branches in the loop bodies).
 * Contracts in kernels.h, the reference semantics in
 * framework/backend/numpy_backend.py.
 *
 * libm's expf and tanhf are scalar calls here (GCC only uses glibc's vector
 * versions under -ffast-math, which would also break NaN handling), which
 * made sigmoid 2x and tanh 25x slower than NumPy's SIMD loops. So exp and
 * tanh are computed inline (fastmath.h, shared with lstm.c).
 */
#include <math.h>
#include <stddef.h>

#include "fastmath.h"
#include "kernels.h"

/*
 * add_bias: y[r, o] += bias[o].
 *   y    [R, O] column-major, y[r + R*o]  (accumulated into)
 *   bias [O]                               (read)
 */
void add_bias(float *y, const float *bias, int R, int O) {
    for (int o = 0; o < O; o++) {
        float *yo = y + (size_t)R * o; /* seek to column o, y[0, o] */
        float bo = bias[o];
        for (int r = 0; r < R; r++) yo[r] += bo;
    }
}

/*
 * bias_grad: dbias[o] += sum_r dy[r, o].
 *   dy    [R, O] column-major, dy[r + R*o]  (read)
 *   dbias [O]                                (accumulated into)
 * Each column is summed in double: R can be a large batch x positions, and
 * a float running sum would lose digits the NumPy reference keeps.
 */
void bias_grad(const float *dy, float *dbias, int R, int O) {
    for (int o = 0; o < O; o++) {
        const float *dyo = dy + (size_t)R * o; /* seek to column o, dy[0, o] */
        /* 8 independent partial sums: the compiler may not reorder one
         * running sum, but it vectorises 8 of them */
        double part[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
        int r = 0;
        for (; r + 8 <= R; r += 8) {
            for (int l = 0; l < 8; l++) part[l] += dyo[r + l];
        }
        double sum = 0.0;
        for (; r < R; r++) sum += dyo[r];
        for (int l = 0; l < 8; l++) sum += part[l];
        dbias[o] += (float)sum;
    }
}

/*
 * sigmoid_forward: y[i] = 1 / (1 + exp(-x[i])).
 *   x [n] (read), y [n] (overwritten)
 * exp is only ever called on -|x| <= 0, so it lies in (0, 1] and cannot
 * overflow: for x >= 0, 1/(1+e); for x < 0, e/(1+e) with e = exp(x).
 */
void sigmoid_forward(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) {
        y[i] = sigmoid_inline(x[i]);
    }
}

/*
 * sigmoid_backward: dx[i] = dy[i] * y[i] * (1 - y[i]).
 *   y [n] forward output (read), dy [n] (read), dx [n] (overwritten)
 */
void sigmoid_backward(const float *y, const float *dy, float *dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
}

/*
 * relu_forward: y[i] = max(x[i], 0), NaN kept as NaN (as NumPy's maximum).
 *   x [n] (read), y [n] (overwritten)
 * Written as x <= 0 ? 0 : x, not x > 0 ? x : 0: every comparison with NaN is
 * false, so the second form turned NaN into 0 and hid a diverged network on
 * the C backend. It is the same single compare-and-blend, so it vectorises
 * alike. (-0.0 gives +0.0, equal to NumPy's result as a number.)
 */
void relu_forward(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] <= 0.0f ? 0.0f : x[i];
}

/*
 * relu_backward: dx[i] = x[i] > 0 ? dy[i] : 0 (the derivative at 0 is 0).
 *   x [n] forward input (read), dy [n] (read), dx [n] (overwritten)
 * Multiplying by the 0/1 mask, as the NumPy reference does, keeps NaN and
 * -0.0 in dy behaving identically on both backends.
 */
void relu_backward(const float *x, const float *dy, float *dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = dy[i] * (x[i] > 0.0f ? 1.0f : 0.0f);
}

/*
 * tanh_forward: y[i] = tanh(x[i]).
 *   x [n] (read), y [n] (overwritten)
 * Cephes tanhf: an odd polynomial for |x| <= 0.625, where 1 - exp(-2|x|)
 * would cancel; (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29 above, which
 * cannot overflow. The sign is copied back, so tanh(-0) = -0.
 */
void tanh_forward(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = tanh_inline(x[i]);
}

/*
 * tanh_backward: dx[i] = dy[i] * (1 - y[i]^2).
 *   y [n] forward output (read), dy [n] (read), dx [n] (overwritten)
 */
void tanh_backward(const float *y, const float *dy, float *dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
