/*
 * fastmath.h -- exp, sigmoid and tanh as inline, branch-free float code.
 *
 * Internal to the C kernels (not part of the cffi API in kernels.h): the
 * activation kernels (elementwise.c) and the LSTM gates (lstm.c) include it
 * so both compute exactly the same values. libm's expf/tanhf are scalar
 * calls that block vectorisation; these are the Cephes single-precision
 * polynomials (relative error about 1e-7, one or two float32 ulp), written
 * without branches so loops over them vectorise. NaN passes through.
 */
#ifndef FRAMEWORK_FASTMATH_H
#define FRAMEWORK_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/*
 * exp_nonpos: exp(x) for x <= 0 (or NaN), branch-free so loops vectorise.
 * exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln(2)/2, exp(r) by a
 * degree-6 polynomial (Cephes expf). Below -87 the result, under FLT_MIN,
 * is flushed to 0; NaN gives NaN.
 */
static inline float exp_nonpos(float x) {
    float xc = x >= -87.0f ? x : -87.0f;        /* NaN becomes -87: finite below */
    /* n = round(xc / ln2) in [-126, 0], by truncating a positive value
     * (an int conversion vectorises, floorf does not with GCC 12) */
    int ni = -(int)(0.5f - xc * 1.44269504088896341f);
    float n = (float)ni;
    /* r = xc - n*ln2, with ln2 split in two so n*ln2 is exact enough */
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    union { int i; float f; } scale; /* the float 2^n, built from its bits */
    scale.i = (ni + 127) << 23;
    float e = p * scale.f;
    return x >= -87.0f ? e : (x < -87.0f ? 0.0f : x); /* flushed; NaN passes */
}

/*
 * sigmoid_inline: 1 / (1 + exp(-x)) with exp only of -|x| <= 0, which lies
 * in (0, 1] and cannot overflow: 1/(1+e) for x >= 0, e/(1+e) for x < 0.
 */
static inline float sigmoid_inline(float x) {
    float e = exp_nonpos(-fabsf(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

/*
 * tanh_inline: Cephes tanhf. An odd polynomial for |x| <= 0.625, where
 * 1 - exp(-2|x|) would cancel; (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29
 * above, which cannot overflow. The sign is copied back: tanh(-0) = -0.
 */
static inline float tanh_inline(float x) {
    float ax = fabsf(x);
    float e = exp_nonpos(-2.0f * ax);
    float large = (1.0f - e) / (1.0f + e);
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * ax + ax;
    return copysignf(ax > 0.625f ? large : small, x);
}

/*
 * all_finite: 1 when none of x[0..n) is NaN or +-inf, else 0.
 *   x [n] (read)
 * A float is non-finite exactly when its 8 exponent bits are all ones; the
 * test on the bits is an integer OR-reduction, which vectorises (a float
 * test like x - x != 0 would need -ffast-math to be reordered). Kernels that
 * skip a product with zeros (0 * NaN and 0 * inf are NaN) first ask this of
 * the other factor, so they skip only when NumPy's full product would not
 * have produced a NaN either.
 */
static inline int all_finite(const float *x, size_t n) {
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, x + i, sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return bad == 0;
}

#endif
