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

#if defined(__AVX__)
#include <immintrin.h>

/*
 * transpose8_store: the 8x8 register transpose behind every packing routine.
 * r0..r7 are 8 loaded lines of 8 floats (line r, element c = rr[c]); line c
 * of dst (at dst + c*ldd) gets element c of every line:
 *   dst[r + ldd*c] = line_r[c]   for r, c < 8   (overwritten)
 * Callers differ only in where the 8 lines come from (a strided matrix in
 * gemm.c, a table of pointers into x in conv.c).
 */
static inline __attribute__((always_inline))
void transpose8_store(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5,
                      __m256 r6, __m256 r7, float *dst, size_t ldd) {
    /* interleave pairs of lines, then pairs of pairs, then the halves */
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}
/*
 * transpose4_store: the same for 4 loaded lines: line c of dst gets
 * element c of each of them, dst[r + ldd*c] = line_r[c], r < 4, c < 8
 * (overwritten).
 */
static inline __attribute__((always_inline))
void transpose4_store(__m256 r0, __m256 r1, __m256 r2, __m256 r3, float *dst, size_t ldd) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)); /* lines 0 | 4 */
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)); /* lines 1 | 5 */
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)); /* lines 2 | 6 */
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)); /* lines 3 | 7 */
    _mm_storeu_ps(dst + 0 * ldd, _mm256_castps256_ps128(u0));
    _mm_storeu_ps(dst + 1 * ldd, _mm256_castps256_ps128(u1));
    _mm_storeu_ps(dst + 2 * ldd, _mm256_castps256_ps128(u2));
    _mm_storeu_ps(dst + 3 * ldd, _mm256_castps256_ps128(u3));
    _mm_storeu_ps(dst + 4 * ldd, _mm256_extractf128_ps(u0, 1));
    _mm_storeu_ps(dst + 5 * ldd, _mm256_extractf128_ps(u1, 1));
    _mm_storeu_ps(dst + 6 * ldd, _mm256_extractf128_ps(u2, 1));
    _mm_storeu_ps(dst + 7 * ldd, _mm256_extractf128_ps(u3, 1));
}
#endif

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
