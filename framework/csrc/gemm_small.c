/*
 * gemm_small.c -- the matrix product for a few rows (batch 1..8), unpacked.
 *
 * sgemm (gemm.c) copies op(A) and op(B) into packed panels before it
 * multiplies. For a batch of one that copy IS the work: Y[1, 256] =
 * X[1, 784] * W[784, 256] packs all of W (800 KB) for 0.2 MFLOP, ~25x
 * slower than a matrix-vector product. With M <= SMALL_M_MAX rows the
 * product is memory bound anyway, so this kernel streams op(B) once, in
 * place, and keeps the M rows of op(A) (packed, a few KB) in L1:
 *
 *   transb == 0: C[i, j] = sum_p opA[i, p] * B[p, j], column j of B
 *                contiguous: M dot products per column (B's column stays in L1
 *                for the M rows), VL partial sums each
 *                (independent lanes, so the compiler vectorises them without
 *                reassociating a float sum);
 *   transb != 0: C[i, :] += opA[i, p] * B[:, p] over p, column p of B
 *                contiguous: axpy into an [M, NB] accumulator, 4 columns of B
 *                per pass.
 *
 * Same contract as sgemm (kernels.h): C = alpha*op(A)*op(B) + beta*C, C
 * overwritten when beta == 0 (its old contents never read), accumulated
 * otherwise; one thread (the work is a few microseconds).
 */
#include "kernels.h"

#define SMALL_M_MAX 8     /* most rows handled here; more go to sgemm */
#define KB 2048           /* depth block of packed op(A): 8 x 2048 floats = 64 KB */
#define NB 512            /* column block of the transb accumulator: 16 KB */
#define VL 16             /* partial sums per dot product */

int sgemm_small_max_rows(void) { return SMALL_M_MAX; }

/* opA[i, p]: transa == 0: A [M, K], a[i + lda*p]; else A [K, M], a[p + lda*i] */
static inline float op_a(int transa, const float *a, int lda, int i, int p) {
    return transa ? a[p + (long)lda * i] : a[i + (long)lda * p];
}

/* c[i, j] = alpha*s + beta*c[i, j], without reading c when beta == 0 */
static inline void store(float *cij, float alpha, float s, float beta) {
    *cij = beta == 0.0f ? alpha * s : alpha * s + beta * *cij;
}

/* transb == 0: dot products over contiguous columns of B, K in blocks of KB */
static void small_nn(int transa, int M, int N, int K, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    float ap[SMALL_M_MAX * KB];                 /* ap[i*kb + l] = opA[i, p0 + l] */
    for (int p0 = 0; p0 < K; p0 += KB) {
        int kb = K - p0 < KB ? K - p0 : KB;
        for (int i = 0; i < M; i++)
            for (int l = 0; l < kb; l++) ap[i * kb + l] = op_a(transa, a, lda, i, p0 + l);
        float bet = p0 == 0 ? beta : 1.0f;      /* later blocks add to the first */
        int j = 0;
        for (; j + 4 <= N; j += 4) {                   /* 4 columns: ap read once for 4 */
            const float *b0 = b + p0 + (long)ldb * j;   /* seek to B[p0, j] */
            const float *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            for (int i = 0; i < M; i++) {
                const float *ai = ap + i * kb;          /* row i of the packed block */
                float a0[VL] = {0}, a1[VL] = {0}, a2[VL] = {0}, a3[VL] = {0};
                int l = 0;
                for (; l + VL <= kb; l += VL)
                    for (int v = 0; v < VL; v++) {
                        float x = ai[l + v];
                        a0[v] += x * b0[l + v];
                        a1[v] += x * b1[l + v];
                        a2[v] += x * b2[l + v];
                        a3[v] += x * b3[l + v];
                    }
                float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
                for (int v = 0; v < VL; v++) { s0 += a0[v]; s1 += a1[v]; s2 += a2[v]; s3 += a3[v]; }
                for (; l < kb; l++) {
                    s0 += ai[l] * b0[l]; s1 += ai[l] * b1[l];
                    s2 += ai[l] * b2[l]; s3 += ai[l] * b3[l];
                }
                float *cij = c + i + (long)ldc * j;
                store(cij, alpha, s0, bet);
                store(cij + ldc, alpha, s1, bet);
                store(cij + 2L * ldc, alpha, s2, bet);
                store(cij + 3L * ldc, alpha, s3, bet);
            }
        }
        for (; j < N; j++) {                            /* the last 0..3 columns */
            const float *bj = b + p0 + (long)ldb * j;
            for (int i = 0; i < M; i++) {
                const float *ai = ap + i * kb;
                float acc[VL] = {0};
                int l = 0;
                for (; l + VL <= kb; l += VL)
                    for (int v = 0; v < VL; v++) acc[v] += ai[l + v] * bj[l + v];
                float s = 0.0f;
                for (int v = 0; v < VL; v++) s += acc[v];
                for (; l < kb; l++) s += ai[l] * bj[l];
                store(c + i + (long)ldc * j, alpha, s, bet);
            }
        }
    }
}

/* transb != 0: B [N, K], opB[p, j] = b[j + ldb*p]; axpy of columns of B into acc */
static void small_nt(int transa, int M, int N, int K, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    float acc[SMALL_M_MAX][NB];                 /* acc[i][v] = C[i, j0 + v] so far */
    for (int j0 = 0; j0 < N; j0 += NB) {
        int nb = N - j0 < NB ? N - j0 : NB;
        for (int i = 0; i < M; i++)
            for (int v = 0; v < nb; v++) acc[i][v] = 0.0f;
        int p = 0;
        for (; p + 4 <= K; p += 4) {
            const float *b0 = b + j0 + (long)ldb * p;  /* seek to B[j0, p] */
            const float *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            for (int i = 0; i < M; i++) {
                float s0 = op_a(transa, a, lda, i, p), s1 = op_a(transa, a, lda, i, p + 1);
                float s2 = op_a(transa, a, lda, i, p + 2), s3 = op_a(transa, a, lda, i, p + 3);
                float *ai = acc[i];
                for (int v = 0; v < nb; v++)
                    ai[v] += s0 * b0[v] + s1 * b1[v] + s2 * b2[v] + s3 * b3[v];
            }
        }
        for (; p < K; p++) {
            const float *bp = b + j0 + (long)ldb * p;
            for (int i = 0; i < M; i++) {
                float s = op_a(transa, a, lda, i, p);
                float *ai = acc[i];
                for (int v = 0; v < nb; v++) ai[v] += s * bp[v];
            }
        }
        for (int v = 0; v < nb; v++)
            for (int i = 0; i < M; i++) store(c + i + (long)ldc * (j0 + v), alpha, acc[i][v], beta);
    }
}

void sgemm_small(int transa, int transb, int M, int N, int K,
                 float alpha, const float *a, int lda,
                 const float *b, int ldb,
                 float beta, float *c, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (M > SMALL_M_MAX) {                      /* not small: the packed kernel */
        sgemm(transa, transb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (K <= 0) {                               /* empty sum: C = beta*C */
        for (int j = 0; j < N; j++)
            for (int i = 0; i < M; i++) store(c + i + (long)ldc * j, alpha, 0.0f, beta);
        return;
    }
    if (transb)
        small_nt(transa, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        small_nn(transa, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
}
