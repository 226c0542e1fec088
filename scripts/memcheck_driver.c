/*
 * memcheck_driver.c -- a standalone C driver that runs every kernel of
 * framework/csrc over edge-case shapes, for scripts/check_memory.sh.
 *
 * Built with -fsanitize=address,undefined together with gemm.c,
 * elementwise.c and batchnorm.c, so any read or write outside a buffer
 * aborts the run. Every
 * buffer is allocated at its exact minimal size (ld*(cols-1) + rows floats
 * for a matrix), so even a one-element overrun lands in a redzone. Leading
 * dimensions larger than the row count are exercised too, which the Python
 * wrapper never produces. sgemm is compared against sgemm_ref on every
 * shape, on 1 and 2 threads; the batchnorm kernels against their plain loops.
 *
 * Exit status 0 when everything matches; 1 on a wrong result (ASan aborts
 * on its own on a memory error).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static unsigned long long rng_state = 88172645463325252ULL;

static float frand(void) {
    /* xorshift64: reproducible without depending on libc's rand */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* a rows x cols column-major matrix with leading dimension ld, allocated at
 * exactly ld*(cols-1) + rows floats (at least 1, so malloc is never 0) */
static float *matrix(int rows, int cols, int ld) {
    size_t n = (rows > 0 && cols > 0) ? (size_t)ld * (cols - 1) + rows : 1;
    float *m = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) m[i] = frand();
    return m;
}

static int failures = 0;
static int cases = 0;

static void check_gemm(int M, int N, int K, int ta, int tb, float beta, int pad, int threads) {
    int arows = ta ? K : M, acols = ta ? M : K;
    int brows = tb ? N : K, bcols = tb ? K : N;
    int lda = arows + pad, ldb = brows + pad, ldc = M + pad;
    if (lda < 1) lda = 1;
    if (ldb < 1) ldb = 1;
    if (ldc < 1) ldc = 1;
    float *a = matrix(arows, acols, lda);
    float *b = matrix(brows, bcols, ldb);
    float *c = matrix(M, N, ldc);
    float *r = matrix(M, N, ldc);
    size_t nc = (M > 0 && N > 0) ? (size_t)ldc * (N - 1) + M : 1;
    memcpy(r, c, nc * sizeof(float));

    gemm_set_num_threads(threads);
    sgemm(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, beta, c, ldc);
    sgemm_ref(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, beta, r, ldc);

    double worst = 0.0;
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < M; i++) {
            double d = fabs((double)c[i + (size_t)ldc * j] - r[i + (size_t)ldc * j]);
            if (d > worst) worst = d;
        }
    }
    /* |entries| <= 1, so |result| <= K + 1; float32 rounding stays far below */
    double tol = 1e-5 * (K + 1);
    cases++;
    if (!(worst <= tol)) {
        failures++;
        printf("FAIL sgemm M=%d N=%d K=%d ta=%d tb=%d beta=%g pad=%d threads=%d: max diff %g\n",
               M, N, K, ta, tb, beta, pad, threads, worst);
    }
    free(a);
    free(b);
    free(c);
    free(r);
}

static void check_elementwise(long n) {
    float *x = malloc((n > 0 ? n : 1) * sizeof(float));
    float *y = malloc((n > 0 ? n : 1) * sizeof(float));
    float *d = malloc((n > 0 ? n : 1) * sizeof(float));
    for (long i = 0; i < n; i++) x[i] = 50.0f * frand();
    sigmoid_forward(x, y, n);
    sigmoid_backward(y, x, d, n);
    tanh_forward(x, y, n);
    tanh_backward(y, x, d, n);
    relu_forward(x, y, n);
    relu_backward(x, y, d, n);
    for (long i = 0; i < n; i++) {
        if (!isfinite(d[i])) {
            failures++;
            printf("FAIL elementwise n=%ld: non-finite at %ld\n", n, i);
            break;
        }
    }
    cases++;
    free(x);
    free(y);
    free(d);
}

static void check_bias(int R, int O) {
    float *y = matrix(R, O, R > 0 ? R : 1);
    float *bias = matrix(O, 1, O > 0 ? O : 1);
    add_bias(y, bias, R, O);
    bias_grad(y, bias, R, O);
    cases++;
    free(y);
    free(bias);
}

/* largest |a[i] - b[i]| over n floats, relative to max(1, |b|) */
static double max_rel_diff(const float *a, const float *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (fabs(b[i]) > 1.0 ? fabs(b[i]) : 1.0);
        if (d > worst || d != d) worst = d;
    }
    return worst;
}

/* batchnorm.c: the three kernels against their plain loops (*_ref), training and
 * evaluation, every buffer at its exact size ([R, F] and [F] floats) */
static void check_batchnorm(int R, int F, int training, int threads) {
    size_t n = (size_t)R * F;
    float *x = matrix(R, F, R), *dy = matrix(R, F, R), *scale = matrix(F, 1, F);
    float *shift = matrix(F, 1, F), *out = matrix(R, F, R), *out_ref = matrix(R, F, R);
    float *st[4], *d[4];  /* mean, var, mean_ref, var_ref; dscale, dshift and their _ref twins */
    for (int i = 0; i < 4; i++) {
        st[i] = matrix(F, 1, F);
        d[i] = matrix(F, 1, F);
    }
    for (int f = 0; f < F; f++) {  /* evaluation reads them: a variance must be >= 0 */
        st[1][f] = st[3][f] = 1.0f + st[1][f] * st[1][f];
        st[2][f] = st[0][f];
        d[2][f] = d[0][f];
        d[3][f] = d[1][f];
    }
    gemm_set_num_threads(threads);
    double worst = 0.0, w;
    batchnorm_forward(x, scale, shift, st[0], st[1], out, R, F, 1e-5f, training);
    batchnorm_forward_ref(x, scale, shift, st[2], st[3], out_ref, R, F, 1e-5f, training);
    if ((w = max_rel_diff(out, out_ref, n)) > worst || w != w) worst = w;
    if ((w = max_rel_diff(st[0], st[2], F)) > worst || w != w) worst = w;
    if ((w = max_rel_diff(st[1], st[3], F)) > worst || w != w) worst = w;
    batchnorm_backward(x, dy, scale, st[0], st[1], out, R, F, 1e-5f, training);
    batchnorm_backward_ref(x, dy, scale, st[2], st[3], out_ref, R, F, 1e-5f, training);
    if ((w = max_rel_diff(out, out_ref, n)) > worst || w != w) worst = w;
    batchnorm_delta_weights(x, dy, st[0], st[1], d[0], d[1], R, F, 1e-5f, training);
    batchnorm_delta_weights_ref(x, dy, st[2], st[3], d[2], d[3], R, F, 1e-5f, training);
    if ((w = max_rel_diff(d[0], d[2], F)) > worst || w != w) worst = w;
    if ((w = max_rel_diff(d[1], d[3], F)) > worst || w != w) worst = w;
    cases++;
    /* sums of R terms of size <= R (R·δy): float32 rounding of the result stays far below */
    if (!(worst <= 1e-5 * (R + 1))) {
        failures++;
        printf("FAIL batchnorm R=%d F=%d training=%d threads=%d: max diff %g\n", R, F, training,
               threads, worst);
    }
    free(x); free(dy); free(scale); free(shift); free(out); free(out_ref);
    for (int i = 0; i < 4; i++) {
        free(st[i]);
        free(d[i]);
    }
}

int main(void) {
    int bs[5];
    gemm_block_sizes(bs);
    int MR = bs[0], NR = bs[1], MC = bs[2], KC = bs[3], NC = bs[4];
    printf("block sizes: MR=%d NR=%d MC=%d KC=%d NC=%d, openmp=%d\n", MR, NR, MC, KC, NC,
           gemm_has_openmp());

    /* sizes around every tile and block edge */
    int ms[] = {0, 1, 2, 7, MR - 1, MR, MR + 1, 2 * MR + 3, MC - 1, MC, MC + 1, 2 * MC + 5};
    int ns[] = {0, 1, 3, NR - 1, NR, NR + 1, 2 * NR + 5, 64};
    int ks[] = {0, 1, 5, 16, KC - 1, KC, KC + 1, 2 * KC + 3};
    int nm = sizeof ms / sizeof *ms, nn = sizeof ns / sizeof *ns, nk = sizeof ks / sizeof *ks;

    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        for (int im = 0; im < nm; im++)
            for (int in = 0; in < nn; in++)
                for (int ik = 0; ik < nk; ik++) {
                    int M = ms[im], N = ns[in], K = ks[ik];
                    int pad = (im + in + ik) % 3 == 0 ? 3 : 0; /* some ld > rows */
                    float beta = (im + ik) % 2 ? 1.0f : 0.0f;
                    int threads = 1 + (im + in + ik + t) % 2;
                    check_gemm(M, N, K, ta, tb, beta, pad, threads);
                }
        /* the NC edge and big-thread splits, on fewer shapes (they are large) */
        check_gemm(3, NC - 1, 5, ta, tb, 1.0f, 0, 2);
        check_gemm(3, NC, 5, ta, tb, 0.0f, 1, 2);
        check_gemm(33, NC + 1, 7, ta, tb, 1.0f, 2, 2);
        check_gemm(64, 784, 256, ta, tb, 0.0f, 0, 2);
        check_gemm(784, 256, 64, ta, tb, 1.0f, 0, 2);
        check_gemm(3, 2, 5000, ta, tb, 1.0f, 1, 1);
    }

    long lens[] = {0, 1, 7, 15, 16, 17, 31, 33, 1000, 4099};
    for (unsigned i = 0; i < sizeof lens / sizeof *lens; i++) check_elementwise(lens[i]);
    int bias_shapes[][2] = {{0, 3}, {1, 1}, {3, 0}, {7, 5}, {64, 256}, {33, 17}};
    for (unsigned i = 0; i < sizeof bias_shapes / sizeof *bias_shapes; i++)
        check_bias(bias_shapes[i][0], bias_shapes[i][1]);

    int bn_shapes[][2] = {{1, 1}, {1, 5}, {3, 4}, {7, 1}, {8, 8}, {9, 17}, {64, 256}, {4096, 64}};
    for (unsigned i = 0; i < sizeof bn_shapes / sizeof *bn_shapes; i++)
        for (int training = 0; training < 2; training++)
            check_batchnorm(bn_shapes[i][0], bn_shapes[i][1], training, 1 + (int)(i % 2));

    printf("%d cases, %d failures\n", cases, failures);
    return failures ? 1 : 0;
}
