/*
 * pool.c -- 2-D max and average pooling for the framework's C backend.
 *
 *   maxpool2d_forward / maxpool2d_backward
 *   avgpool2d_forward / avgpool2d_backward
 *
 * Layout (docs/conv.md; framework/backend/numpy_conv.py is the reference):
 *   input  x  [N, H, W, C]     x[n + N*(h + H*(w + W*c))]
 *   output y  [N, Ho, Wo, C]   y[n + N*(ho + Ho*(wo + Wo*c))]
 *   window of (ho, wo): rows ho*sh + i, columns wo*sw + j, 0 <= i < ph,
 *   0 <= j < pw; Ho = (H - ph)/sh + 1, Wo = (W - pw)/sw + 1 (windows that
 *   do not fit at the border are dropped; no padding).
 *
 * The batch index is the fastest, so every window tap (i, j) of an output
 * (ho, wo, c) is a contiguous run of N floats of x, and the innermost loop
 * over n is a plain vectorisable loop; these loops are the kernels (no
 * separate reference: they are already the plain loops, with n innermost).
 * Channels are independent, so threads split the channels.
 *
 * Max-pool tie rule: the FIRST maximum in scan order wins, the scan order
 * being the window's reading order, row i outer, column j inner (as in
 * PyTorch). Backward recomputes the winners from x.
 *
 * NaN: the forward maximum of a window holding a NaN is NaN, wherever the
 * NaN is (NumPy's maximum). The backward winner is chosen by "strictly
 * greater", as the NumPy reference's _argmax_taps does: a NaN never beats
 * the running best, and a NaN first in its window is never beaten, so dy
 * goes to the first tap then. (The forward output is NaN either way, so
 * everything downstream of it is.)
 */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "runtime.h"

/* a batch block: the winners of NB samples are kept on the stack */
#define POOL_NB 64

/* threads only for more than this many input elements */
#define POOL_PARALLEL_MIN 200000L

static int pool_threads(long elements, int C) {
#ifdef _OPENMP
    if (elements < POOL_PARALLEL_MIN || C < 2) return 1;
    /* a few operations per element; one thread in a forked child or on a
     * busy machine (runtime.h) */
    return kernel_threads(10.0 * elements, C);
#else
    (void)elements; (void)C;
    return 1;
#endif
}

/* ------------------------------------------------------------------------
 * maxpool2d_forward: y[n, ho, wo, c] = max_{i,j} x[n, ho*sh + i, wo*sw + j, c]
 *   x [N, H, W, C]    x[n + N*(h + H*(w + W*c))]        (read)
 *   y [N, Ho, Wo, C]  y[n + N*(ho + Ho*(wo + Wo*c))]     (overwritten)
 * ---------------------------------------------------------------------- */
void maxpool2d_forward(const float *x, float *y, int N, int H, int W, int C,
                       int ph, int pw, int sh, int sw) {
    int Ho = (H - ph) / sh + 1, Wo = (W - pw) / sw + 1;
    int nt = pool_threads((long)N * H * W * C, C);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < C; c++)
    for (int wo = 0; wo < Wo; wo++)
    for (int ho = 0; ho < Ho; ho++) {
        float *yr = y + (long)N * (ho + (long)Ho * (wo + (long)Wo * c)); /* seek to y[0, ho, wo, c] */
        for (int i = 0; i < ph; i++)
        for (int j = 0; j < pw; j++) {
            /* seek to x[0, ho*sh + i, wo*sw + j, c] */
            const float *xr = x + (long)N * ((ho * sh + i) + (long)H * ((wo * sw + j) + (long)W * c));
            if (i == 0 && j == 0) {
                memcpy(yr, xr, sizeof(float) * (size_t)N);
            } else {
                /* a NaN wins and then stays (NumPy's maximum propagates NaN);
                 * plain x > y ? x : y would skip a NaN that is not first */
                for (int n = 0; n < N; n++)
                    yr[n] = (xr[n] > yr[n] || xr[n] != xr[n]) ? xr[n] : yr[n];
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * maxpool2d_backward: route dy to the first maximum of each window.
 *   x  [N, H, W, C]    x[n + N*(h + H*(w + W*c))]        (read)
 *   dy [N, Ho, Wo, C]  dy[n + N*(ho + Ho*(wo + Wo*c))]    (read)
 *   dx [N, H, W, C]    dx[n + N*(h + H*(w + W*c))]        (OVERWRITTEN: zeroed,
 *      then dx[winner] += dy per window; overlapping windows add up)
 * ---------------------------------------------------------------------- */
void maxpool2d_backward(const float *x, const float *dy, float *dx, int N, int H, int W, int C,
                        int ph, int pw, int sh, int sw) {
    int Ho = (H - ph) / sh + 1, Wo = (W - pw) / sw + 1;
    int nt = pool_threads((long)N * H * W * C, C);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < C; c++) {
        long plane = (long)N * H * W;
        memset(dx + plane * c, 0, sizeof(float) * (size_t)plane); /* channel c of dx */
        for (int wo = 0; wo < Wo; wo++)
        for (int ho = 0; ho < Ho; ho++)
        for (int n0 = 0; n0 < N; n0 += POOL_NB) {
            int nb = N - n0 < POOL_NB ? N - n0 : POOL_NB;
            float best[POOL_NB];
            int arg[POOL_NB];
            /* pass 1: the winning tap t = i*pw + j of each sample */
            for (int i = 0; i < ph; i++)
            for (int j = 0; j < pw; j++) {
                int t = i * pw + j;
                /* seek to x[n0, ho*sh + i, wo*sw + j, c] */
                const float *xr = x + n0 + (long)N * ((ho * sh + i) + (long)H * ((wo * sw + j) + (long)W * c));
                if (t == 0) {
                    for (int n = 0; n < nb; n++) { best[n] = xr[n]; arg[n] = 0; }
                } else {
                    for (int n = 0; n < nb; n++) {
                        int win = xr[n] > best[n];  /* strictly: a tie keeps the earlier tap */
                        best[n] = win ? xr[n] : best[n];
                        arg[n] = win ? t : arg[n];
                    }
                }
            }
            /* pass 2: add dy to the winner */
            const float *dyr = dy + n0 + (long)N * (ho + (long)Ho * (wo + (long)Wo * c)); /* dy[n0, ho, wo, c] */
            for (int i = 0; i < ph; i++)
            for (int j = 0; j < pw; j++) {
                int t = i * pw + j;
                /* seek to dx[n0, ho*sh + i, wo*sw + j, c] */
                float *dr = dx + n0 + (long)N * ((ho * sh + i) + (long)H * ((wo * sw + j) + (long)W * c));
                for (int n = 0; n < nb; n++) dr[n] += arg[n] == t ? dyr[n] : 0.0f;
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * avgpool2d_forward: y[n, ho, wo, c] = (1/(ph*pw)) sum_{i,j} x[n, ho*sh + i, wo*sw + j, c]
 *   x [N, H, W, C]    x[n + N*(h + H*(w + W*c))]        (read)
 *   y [N, Ho, Wo, C]  y[n + N*(ho + Ho*(wo + Wo*c))]     (overwritten)
 * ---------------------------------------------------------------------- */
void avgpool2d_forward(const float *x, float *y, int N, int H, int W, int C,
                       int ph, int pw, int sh, int sw) {
    int Ho = (H - ph) / sh + 1, Wo = (W - pw) / sw + 1;
    float scale = 1.0f / (float)(ph * pw);
    int nt = pool_threads((long)N * H * W * C, C);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < C; c++)
    for (int wo = 0; wo < Wo; wo++)
    for (int ho = 0; ho < Ho; ho++) {
        float *yr = y + (long)N * (ho + (long)Ho * (wo + (long)Wo * c)); /* seek to y[0, ho, wo, c] */
        memset(yr, 0, sizeof(float) * (size_t)N);
        for (int i = 0; i < ph; i++)
        for (int j = 0; j < pw; j++) {
            /* seek to x[0, ho*sh + i, wo*sw + j, c] */
            const float *xr = x + (long)N * ((ho * sh + i) + (long)H * ((wo * sw + j) + (long)W * c));
            for (int n = 0; n < N; n++) yr[n] += xr[n];
        }
        for (int n = 0; n < N; n++) yr[n] *= scale;
    }
}

/* ------------------------------------------------------------------------
 * avgpool2d_backward: dx[n, h, w, c] = sum of dy/(ph*pw) over the windows
 * that contain (h, w).
 *   dy [N, Ho, Wo, C]  dy[n + N*(ho + Ho*(wo + Wo*c))]    (read)
 *   dx [N, H, W, C]    dx[n + N*(h + H*(w + W*c))]        (OVERWRITTEN: zeroed
 *      first, so inputs in no window get 0)
 * ---------------------------------------------------------------------- */
void avgpool2d_backward(const float *dy, float *dx, int N, int H, int W, int C,
                        int ph, int pw, int sh, int sw) {
    int Ho = (H - ph) / sh + 1, Wo = (W - pw) / sw + 1;
    float scale = 1.0f / (float)(ph * pw);
    int nt = pool_threads((long)N * H * W * C, C);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < C; c++) {
        long plane = (long)N * H * W;
        memset(dx + plane * c, 0, sizeof(float) * (size_t)plane); /* channel c of dx */
        for (int wo = 0; wo < Wo; wo++)
        for (int ho = 0; ho < Ho; ho++) {
            const float *dyr = dy + (long)N * (ho + (long)Ho * (wo + (long)Wo * c)); /* dy[0, ho, wo, c] */
            for (int i = 0; i < ph; i++)
            for (int j = 0; j < pw; j++) {
                /* seek to dx[0, ho*sh + i, wo*sw + j, c] */
                float *dr = dx + (long)N * ((ho * sh + i) + (long)H * ((wo * sw + j) + (long)W * c));
                for (int n = 0; n < N; n++) dr[n] += dyr[n] * scale;
            }
        }
    }
}
