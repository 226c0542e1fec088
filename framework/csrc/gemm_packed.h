/*
 * gemm_packed.h -- sgemm with operands packed by the caller.
 *
 * Internal to the C kernels (not part of the cffi API in kernels.h, so no
 * pointer reaches it from Python): conv.c writes its im2col chunks straight
 * into sgemm's packed-A layout, and packs the kernel (the B operand, the
 * same for every chunk) once per call instead of once per chunk.
 */
#ifndef FRAMEWORK_GEMM_PACKED_H
#define FRAMEWORK_GEMM_PACKED_H

#include <stddef.h>

/*
 * Packed layouts (MR, NR from gemm_block_sizes(out): out[0], out[1]):
 *   A  op(A) [M, K] as ceil(M/MR) panels of [K][MR]:
 *        op(A)[i, p] = pa[(i/MR)*MR*K + p*MR + i%MR], rows i >= M zero
 *   B  op(B) [K, N] as ceil(N/NR) panels of [K][NR]:
 *        op(B)[p, j] = pb[(j/NR)*NR*K + p*NR + j%NR], columns j >= N zero
 */

/* sgemm_packed_b_floats: floats in the packed B layout for op(B) [K, N]. */
size_t sgemm_packed_b_floats(int K, int N);

/* sgemm_pack_b: out = op(B) [K, N] in the packed B layout (overwritten);
 * op(B)[p, j] = b[p + ldb*j] (transb == 0) or b[j + ldb*p]. */
void sgemm_pack_b(int transb, int K, int N, const float *b, int ldb, float *out);

/*
 * sgemm_prepacked: C = alpha * op(A) * op(B) + beta * C, on the calling
 * thread only (meant to be called from inside a parallel region).
 *   pb    op(B) [K, N] packed by sgemm_pack_b                    (read)
 *   op(A) [M, K]: pa in the packed A layout when pa != NULL (then a, lda
 *         and transa are unused), else a[i + lda*p] (transa == 0) or
 *         a[p + lda*i], packed here                              (read)
 *   C     [M, N]  c[i + ldc*j], overwritten when beta == 0 (never read
 *         then), else scaled by beta and accumulated into.
 */
void sgemm_prepacked(int M, int N, int K, float alpha,
                     int transa, const float *a, int lda, const float *pa,
                     const float *pb, float beta, float *c, int ldc);

/*
 * sgemm_ptr_a: C = op(A) * op(B) + beta * C on the calling thread, op(A)
 * given as a table of pointers (an implicit im2col), op(B) packed by
 * sgemm_pack_b. Only when sgemm_ptr_a_rows() (= MR) is nonzero, and M is a
 * multiple of it.
 *   aptr  [M/MR][K] pointers: op(A)[i, p] = aptr[(i/MR)*K + p][i % MR]
 *   bias  NULL, or [N]: C = op(A)*op(B) + bias[j], overwritten
 *   C     [M, N]  c[i + ldc*j], overwritten when beta == 0 or bias is
 *         given, else accumulated into (alpha is 1).
 */
int sgemm_ptr_a_rows(void);
void sgemm_ptr_a(int M, int N, int K, const float *const *aptr, const float *pb,
                 const float *bias, float beta, float *c, int ldc);

#endif /* FRAMEWORK_GEMM_PACKED_H */
