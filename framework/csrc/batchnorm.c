/*
 * batchnorm.c -- batch normalisation of the last dim for the framework's C backend.
 *
 *   batchnorm_forward        y = γ·(x − μ)/√(σ² + ε) + β
 *   batchnorm_backward       δx (through μ and σ² too, in training)
 *   batchnorm_delta_weights  δγ += Σ_r δy·x̂, δβ += Σ_r δy
 * and the same three as plain loops (the *_ref functions), for tests.
 *
 * Layout (framework/backend/numpy_batchnorm.py is the reference):
 *   x, y, dy, dx  [R, F] column-major, x[r + R*f]: rows r are every leading
 *                 index merged (the batch of [N, F]; batch x height x width
 *                 of [N, H, W, C]), so one feature's R values are contiguous
 *                 and every reduction is a walk over one column;
 *   scale γ, shift β, mean μ, var σ², dscale δγ, dshift δβ   [F], a[f].
 *
 * training != 0: μ and σ² are the batch's, recomputed from x by every call
 *   (the mean and the biased variance, (1/R)·Σ_r (x − μ)²) and written
 *   into mean and var (OVERWRITTEN), so backward needs no state from
 *   forward. Evaluation (training == 0): mean and var are read (the running
 *   averages) and the batch terms of δx vanish.
 *
 * Sums run in double, as vectorised reductions (omp simd): R reaches batch x pixels
 * (64·8·8 = 4096 rows), and a float running sum would lose digits. Every
 * sum a column needs is taken in one pass (column_sums). NaN and inf in a
 * column make that column's μ, σ², y, δx NaN/inf exactly where the NumPy
 * reference's are.
 *
 * Features are independent, so threads split them; only for large calls
 * (runtime.h): an MLP's [64, 256] takes a few microseconds on one core.
 */
#include <math.h>
#include <stddef.h>

#include "kernels.h"
#include "runtime.h"

/* threads only for more than this many elements of x */
#define BN_PARALLEL_MIN 200000L

/* kernel_threads answers 1 without OpenMP, in a forked child and on a busy
 * machine (runtime.h); about 10 operations per element over the passes */
static int bn_threads(long elements, int F) {
    return elements >= BN_PARALLEL_MIN ? kernel_threads(10.0 * elements, F) : 1;
}

/* ---------------------------------------------------------------- column sums */

/* The sums a column needs, in one pass over it, around a shift x0 (d = x - x0):
 *   s[0] = Σ_r d,  s[1] = Σ_r d²,  and with dy: s[2] = Σ_r δy,  s[3] = Σ_r δy·d.
 * One pass instead of the reference's two or three: for an MLP's 32-64 rows
 * a pass costs mostly its reduction's latency, not its loads. The shift
 * (a value of the column, so d is small) keeps Σd² − (Σd)²/R, the variance,
 * free of cancellation; in double it loses nothing a float32 result keeps. */
typedef struct { double s[4]; } colsums;

static colsums column_sums(const float *xf, const float *dyf, int R, float x0) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    /* simd reduction: the compiler may keep several partial sums (it may not
     * reorder one running sum otherwise), so float->double, add and FMA run
     * on whole vectors; without OpenMP the pragma is ignored and the loop
     * stays correct, only scalar */
    if (dyf) {
#pragma omp simd reduction(+:s0, s1, s2, s3)
        for (int r = 0; r < R; r++) {
            double d = (double)xf[r] - x0, g = dyf[r];
            s0 += d;
            s1 += d * d;
            s2 += g;
            s3 += g * d;
        }
    } else {
#pragma omp simd reduction(+:s0, s1)
        for (int r = 0; r < R; r++) {
            double d = (double)xf[r] - x0;
            s0 += d;
            s1 += d * d;
        }
    }
    colsums c = {{s0, s1, s2, s3}};
    return c;
}

/* Column f's sums (dy may be NULL) and statistics: in training the batch's
 * μ, σ² are written to mean[f], var[f] (shift x0 = the column's first value,
 * 0 when that is not finite, so an inf elsewhere still gives μ = ±inf as
 * NumPy's); else they are read and the sums taken around μ. Returns the
 * sums with s[3] turned into Σ_r δy·(x − μ), and *inv = 1/√(σ² + ε).
 * No rows (R = 0): μ = σ² = 0/0 = NaN, as NumPy's mean of nothing. */
static colsums column_stats(const float *xf, const float *dyf, int R, float *mean, float *var,
                            float eps, int training, float *inv) {
    colsums c;
    if (training) {
        float x0 = R > 0 && isfinite(xf[0]) ? xf[0] : 0.0f; /* R = 0: μ, σ² NaN */
        c = column_sums(xf, dyf, R, x0);
        double m1 = c.s[0] / R;             /* μ − x0 */
        double v = c.s[1] / R - m1 * m1;
        *mean = (float)(x0 + m1);
        *var = (float)(v < 0.0 ? 0.0 : v);  /* rounding can go below 0; NaN stays NaN */
        c.s[3] -= m1 * c.s[2];              /* Σ δy·(x − x0) − (μ − x0)·Σ δy */
    } else {
        c = column_sums(xf, dyf, R, *mean);
    }
    *inv = 1.0f / sqrtf(*var + eps);
    return c;
}

/* ------------------------------------------------------------------------
 * batchnorm_forward: y[r, f] = γ[f]·(x[r, f] − μ[f])·inv[f] + β[f],
 *   inv[f] = 1/√(σ²[f] + ε).
 *   x     [R, F]  x[r + R*f]   (read)
 *   scale, shift [F]           (read)
 *   mean, var    [F]           (OVERWRITTEN with the batch's in training, else read)
 *   y     [R, F]  y[r + R*f]   (OVERWRITTEN)
 * ---------------------------------------------------------------------- */
void batchnorm_forward(const float *x, const float *scale, const float *shift, float *mean,
                       float *var, float *y, int R, int F, float eps, int training) {
    int nt = bn_threads((long)R * F, F);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int f = 0; f < F; f++) {
        const float *xf = x + (size_t)R * f; /* seek to column f, x[0, f] */
        float *yf = y + (size_t)R * f;
        float inv;
        if (training) column_stats(xf, NULL, R, mean + f, var + f, eps, training, &inv);
        else inv = 1.0f / sqrtf(var[f] + eps);
        float mu = mean[f], g = scale[f], b = shift[f];
        for (int r = 0; r < R; r++) yf[r] = (xf[r] - mu) * inv * g + b;
    }
}

/* ------------------------------------------------------------------------
 * batchnorm_backward: the input deltas.
 *   training:   δx = γ·inv/R · (R·δy − Σ_r δy − x̂·Σ_r δy·x̂),  x̂ = (x − μ)·inv
 *   evaluation: δx = γ·inv·δy
 *   x     [R, F]  x[r + R*f]    (read)
 *   dy    [R, F]  dy[r + R*f]   (read)
 *   scale [F]                   (read)
 *   mean, var [F]               (OVERWRITTEN with the batch's in training, else read)
 *   dx    [R, F]  dx[r + R*f]   (OVERWRITTEN)
 * ---------------------------------------------------------------------- */
void batchnorm_backward(const float *x, const float *dy, const float *scale, float *mean,
                        float *var, float *dx, int R, int F, float eps, int training) {
    int nt = bn_threads((long)R * F, F);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int f = 0; f < F; f++) {
        const float *xf = x + (size_t)R * f, *dyf = dy + (size_t)R * f; /* column f */
        float *dxf = dx + (size_t)R * f;
        if (!training) {
            float g = scale[f] / sqrtf(var[f] + eps);
            for (int r = 0; r < R; r++) dxf[r] = dyf[r] * g;
            continue;
        }
        float inv;
        colsums c = column_stats(xf, dyf, R, mean + f, var + f, eps, training, &inv);
        float mu = mean[f];
        float sdy = (float)c.s[2];          /* Σ_r δy */
        float sdyx = (float)(c.s[3] * inv); /* Σ_r δy·x̂ */
        float k = scale[f] * inv / R;
        for (int r = 0; r < R; r++)
            dxf[r] = (R * dyf[r] - sdy - (xf[r] - mu) * inv * sdyx) * k;
    }
}

/* ------------------------------------------------------------------------
 * batchnorm_delta_weights: δγ[f] += Σ_r δy[r, f]·x̂[r, f], δβ[f] += Σ_r δy[r, f].
 *   x      [R, F]  x[r + R*f]   (read)
 *   dy     [R, F]  dy[r + R*f]  (read)
 *   mean, var [F]               (OVERWRITTEN with the batch's in training, else read)
 *   dscale, dshift [F]          (ACCUMULATED into)
 * ---------------------------------------------------------------------- */
void batchnorm_delta_weights(const float *x, const float *dy, float *mean, float *var,
                             float *dscale, float *dshift, int R, int F, float eps,
                             int training) {
    int nt = bn_threads((long)R * F, F);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int f = 0; f < F; f++) {
        const float *xf = x + (size_t)R * f, *dyf = dy + (size_t)R * f; /* column f */
        float inv;
        colsums c = column_stats(xf, dyf, R, mean + f, var + f, eps, training, &inv);
        dscale[f] += (float)(c.s[3] * inv);
        dshift[f] += (float)c.s[2];
    }
}

/* ---------------------------------------------------------------- plain loops
 * The same three kernels as the textbook loops: one running double sum per
 * reduction, one thread, x̂ written out. Slow and obviously right: the
 * optimized kernels above are tested against them (and against NumPy). */

static float column_stats_ref(const float *xf, int R, float *mean, float *var, float eps,
                              int training) {
    if (training) {
        double s = 0.0;
        for (int r = 0; r < R; r++) s += xf[r];
        float mu = (float)(s / R);
        double q = 0.0;
        for (int r = 0; r < R; r++) q += (double)(xf[r] - mu) * (double)(xf[r] - mu);
        *mean = mu;
        *var = (float)(q / R);
    }
    return 1.0f / sqrtf(*var + eps);
}

void batchnorm_forward_ref(const float *x, const float *scale, const float *shift, float *mean,
                           float *var, float *y, int R, int F, float eps, int training) {
    for (int f = 0; f < F; f++) {
        float inv = column_stats_ref(x + (size_t)R * f, R, mean + f, var + f, eps, training);
        for (int r = 0; r < R; r++) {
            float xhat = (x[r + (size_t)R * f] - mean[f]) * inv;
            y[r + (size_t)R * f] = scale[f] * xhat + shift[f];
        }
    }
}

/* Σ_r δy and Σ_r δy·x̂ of column f, x̂ written out */
static void column_dy_sums_ref(const float *x, const float *dy, const float *mean, int R,
                               int f, float inv, double *sdy, double *sdyx) {
    *sdy = 0.0;
    *sdyx = 0.0;
    for (int r = 0; r < R; r++) {
        float xhat = (x[r + (size_t)R * f] - mean[f]) * inv;
        *sdy += dy[r + (size_t)R * f];
        *sdyx += (double)dy[r + (size_t)R * f] * xhat;
    }
}

void batchnorm_backward_ref(const float *x, const float *dy, const float *scale, float *mean,
                            float *var, float *dx, int R, int F, float eps, int training) {
    for (int f = 0; f < F; f++) {
        float inv = column_stats_ref(x + (size_t)R * f, R, mean + f, var + f, eps, training);
        double sdy, sdyx;
        column_dy_sums_ref(x, dy, mean, R, f, inv, &sdy, &sdyx);
        for (int r = 0; r < R; r++) {
            float xhat = (x[r + (size_t)R * f] - mean[f]) * inv;
            float d = dy[r + (size_t)R * f];
            dx[r + (size_t)R * f] = training
                ? scale[f] * inv / R * (R * d - (float)sdy - xhat * (float)sdyx)
                : scale[f] * inv * d;
        }
    }
}

void batchnorm_delta_weights_ref(const float *x, const float *dy, float *mean, float *var,
                                 float *dscale, float *dshift, int R, int F, float eps,
                                 int training) {
    for (int f = 0; f < F; f++) {
        float inv = column_stats_ref(x + (size_t)R * f, R, mean + f, var + f, eps, training);
        double sdy, sdyx;
        column_dy_sums_ref(x, dy, mean, R, f, inv, &sdy, &sdyx);
        dscale[f] += (float)sdyx;
        dshift[f] += (float)sdy;
    }
}
