/*
 * gemm.c -- single-precision matrix multiply for the framework's C backend.
 *
 *   sgemm      the fast one: BLIS/GotoBLAS structure (packing, cache
 *              blocking, a register-tiled micro-kernel, OpenMP threads)
 *   sgemm_ref  the plain triple loop, kept beside it as its reference
 *
 * Both compute C = alpha * op(A) * op(B) + beta * C on column-major
 * matrices; see kernels.h for the exact contract.
 *
 * How sgemm is organised (the five loops of BLIS, outermost first):
 *
 *   for jc in N step NC:            columns of C and op(B)
 *     for pc in K step KC:          the shared depth
 *       pack op(B)[pc:pc+KC, jc:jc+NC] into NR-column micro-panels  (L3)
 *       for ic in M step MC:        rows of C and op(A)
 *         pack op(A)[ic:ic+MC, pc:pc+KC] into MR-row micro-panels   (L2)
 *         for jr in NC step NR:     one micro-panel of B stays in L1...
 *           for ir in MC step MR:   ...while micro-panels of A stream by
 *             micro-kernel: C[ir:ir+MR, jr:jr+NR] += Apanel * Bpanel
 *
 * With several threads, each one runs these loops on its own slab of C
 * (see sgemm at the bottom).
 *
 * A packed micro-panel of A holds, for each p in 0..KC, MR consecutive
 * floats op(A)[ir+0..ir+MR, p]; a micro-panel of B holds, for each p, NR
 * consecutive floats op(B)[p, jr+0..jr+NR]. So the micro-kernel reads both
 * with unit stride, whatever the transposes and leading dimensions were.
 * Panels at the right/bottom edge are padded with zeros to a full MR or NR,
 * so the micro-kernel never branches on size; the only edge cost is that an
 * edge tile is written through a small temporary.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "kernels.h"
#include "gemm_packed.h"
#include "runtime.h"

/* ------------------------------------------------------------------------
 * Block sizes. MR x NR is the register tile; it is picked per instruction
 * set so that the accumulators fill most of the vector register file:
 *   AVX-512: 32 x 12 -> 24 zmm accumulators + 2 for A + 1 broadcast (of 32)
 *   AVX2:    16 x 6  -> 12 ymm accumulators + 2 for A + 1 broadcast (of 16)
 *   scalar:   8 x 4  -> left to the compiler
 * KC: a KC x NR micro-panel of B sits in L1 (384*12*4 = 18 KB of 32 KB).
 * MC: an MC x KC block of A sits in L2 (192*384*4 = 288 KB of 1 MB), leaving
 *     room for B's micro-panel stream and C.
 * NC: a KC x NC block of B sits in L3 (384*4080*4 = 6.3 MB of 32 MB).
 * Tuned on a 2-core AMD EPYC (Zen 4, 32 KB L1d, 1 MB L2 per core); KC, MC
 * and NC can be overridden with -DKC=... to tune elsewhere.
 * ---------------------------------------------------------------------- */
#if defined(__AVX512F__)
#define MR 32
#define NR 12
#elif defined(__AVX2__) && defined(__FMA__)
#define MR 16
#define NR 6
#else
#define MR 8
#define NR 4
#endif

#ifndef KC
#define KC 384
#endif
#ifndef MC
#define MC 192
#endif
#ifndef NC
#define NC 4080
#endif

#define ALIGN 64

static int gemm_threads = 0; /* 0: not set yet, use the OpenMP default */

/* ------------------------------------------------------------------------
 * Threads, fork and busy machines (runtime.h has the whole story).
 * ---------------------------------------------------------------------- */

/* set once a parallel region of more than one thread has been entered:
 * from then on GNU OpenMP keeps a pool of threads that a fork() loses */
static int threads_started = 0;
/* set in the child of a fork() made after that: single-threaded for good */
static int forked_child = 0;

static void after_fork_child(void) {
    if (__atomic_load_n(&threads_started, __ATOMIC_RELAXED)) {
        forked_child = 1;
#ifdef _OPENMP
        omp_set_num_threads(1); /* also for OpenMP code outside these kernels */
#endif
    }
}

/* registered when the library is loaded, before any thread exists */
__attribute__((constructor)) static void register_fork_handler(void) {
    pthread_atfork(NULL, NULL, after_fork_child);
}

void gemm_set_num_threads(int n) {
    if (n < 1) n = 1;
    gemm_threads = n;
#ifdef _OPENMP
    if (!forked_child) omp_set_num_threads(n);
#endif
}

int gemm_get_num_threads(void) {
#ifdef _OPENMP
    if (forked_child) return 1;
    return gemm_threads > 0 ? gemm_threads : omp_get_max_threads();
#else
    return 1;
#endif
}

int kernel_forked_child(void) { return forked_child; }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* busy machine: single-threaded until busy_until (monotonic seconds);
 * busy_backoff is the next such period. Plain shared doubles updated
 * without a lock: a lost update only shifts one period. */
static double busy_until = 0.0;
static double busy_backoff = 0.1;
#define BUSY_BACKOFF_MIN 0.1
#define BUSY_BACKOFF_MAX 2.0

int kernel_threads(double flops, long units) {
    int nt = gemm_get_num_threads();
    if (nt <= 1) return 1;
    double by_size = flops / KERNEL_FLOPS_PER_THREAD; /* small calls: fewer threads */
    if (by_size < 2.0) return 1;
    if (by_size < nt) nt = (int)by_size;
    if (units < nt) nt = units < 1 ? 1 : (int)units;
    if (nt > 1 && busy_until > 0.0 && now_seconds() < busy_until) return 1;
    /* every caller enters a parallel region with these threads: from now
     * on a fork() child must not (see after_fork_child) */
    if (nt > 1 && !__atomic_load_n(&threads_started, __ATOMIC_RELAXED))
        __atomic_store_n(&threads_started, 1, __ATOMIC_RELAXED);
    return nt;
}

void region_begin(region_clock *rc, int nt) {
    rc->nt = nt;
    rc->master = -1.0;
    rc->start = nt > 1 ? now_seconds() : 0.0;
}

void region_mark(region_clock *rc) {
    if (rc->nt > 1) rc->master = now_seconds() - rc->start;
}

/* The master's share took `own` seconds; with nt threads the call on one
 * thread would have taken about nt*own. If the master then waited at the
 * join longer than the threads saved, (nt-1)*own (plus 50 us for the noise
 * of waking threads), another process had a thread off the CPU: run alone
 * for a while. A good parallel call resets the backoff. */
void region_end(region_clock *rc) {
    if (rc->nt <= 1 || rc->master < 0.0) return;
    double end = now_seconds();
    double wait = end - rc->start - rc->master;
    if (wait > (rc->nt - 1) * rc->master + 50e-6) {
        busy_until = end + busy_backoff;
        busy_backoff = busy_backoff * 2.0 < BUSY_BACKOFF_MAX ? busy_backoff * 2.0 : BUSY_BACKOFF_MAX;
    } else {
        busy_backoff = BUSY_BACKOFF_MIN;
    }
}

/* ------------------------------------------------------------------------
 * Out of memory (runtime.h): the calling thread's flag, and the test hook.
 * ---------------------------------------------------------------------- */
static _Thread_local int tl_error = 0;

void kernel_out_of_memory(void) { tl_error = 1; }

int kernel_take_error(void) {
    int e = tl_error;
    tl_error = 0;
    return e;
}

/* allocations still to succeed before the one that fails; -1: none fails */
static long fail_countdown = -1;
static unsigned buffer_generation = 0;

void kernel_fail_allocations(long after) {
    __atomic_store_n(&fail_countdown, after, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&buffer_generation, 1, __ATOMIC_SEQ_CST);
}

unsigned kernel_buffer_generation(void) {
    return __atomic_load_n(&buffer_generation, __ATOMIC_RELAXED);
}

/* 1 when this allocation is the one the test hook makes fail */
static int injected_failure(void) {
    if (__atomic_load_n(&fail_countdown, __ATOMIC_RELAXED) < 0) return 0;
    return __atomic_sub_fetch(&fail_countdown, 1, __ATOMIC_SEQ_CST) == -1;
}

void *kernel_malloc(size_t bytes) {
    return injected_failure() ? NULL : malloc(bytes > 0 ? bytes : 1);
}

void *kernel_calloc(size_t count, size_t size) {
    return injected_failure() ? NULL : calloc(count > 0 ? count : 1, size > 0 ? size : 1);
}

void *kernel_aligned_alloc(size_t alignment, size_t bytes) {
    return injected_failure() ? NULL : aligned_alloc(alignment, bytes > 0 ? bytes : alignment);
}

int gemm_has_openmp(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* ------------------------------------------------------------------------
 * Which build this is, and what the CPU runs (build_ext.py builds one module
 * per x86-64 level; c_backend.py loads the best the CPU supports).
 * ---------------------------------------------------------------------- */
#ifndef FRAMEWORK_BUILD_ID
#define FRAMEWORK_BUILD_ID "unknown"
#endif

const char *kernel_build_id(void) { return FRAMEWORK_BUILD_ID; }

int kernel_isa_level(void) {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
    return 4;
#elif defined(__AVX2__) && defined(__FMA__)
    return 3;
#elif defined(__SSE4_2__) && defined(__POPCNT__)
    return 2;
#elif defined(__x86_64__)
    return 1;
#else
    return 0;
#endif
}

int kernel_cpu_level(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    /* the features -march=x86-64-v2/v3/v4 let GCC use (v3 also implies
     * F16C, LZCNT, MOVBE, which every CPU with AVX2 + BMI2 has) */
    int v2 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
    int v3 = v2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
             && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
             && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
             && __builtin_cpu_supports("avx512cd");
    return v4 ? 4 : v3 ? 3 : v2 ? 2 : 1;
#else
    return 0;
#endif
}

int gemm_block_sizes(int *out) {
    out[0] = MR;
    out[1] = NR;
    out[2] = MC;
    out[3] = KC;
    out[4] = NC;
    return 5;
}

/* ------------------------------------------------------------------------
 * sgemm_ref: the plain triple loop. The reference, not the fast path.
 *   op(A) [M, K]: A[i + lda*p] (transa == 0) or A[p + lda*i] (transa != 0)
 *   op(B) [K, N]: B[p + ldb*j] (transb == 0) or B[j + ldb*p] (transb != 0)
 *   C     [M, N]: C[i + ldc*j], overwritten if beta == 0, else scaled by
 *                 beta and accumulated into.
 * ---------------------------------------------------------------------- */
void sgemm_ref(int transa, int transb, int M, int N, int K,
               float alpha, const float *a, int lda,
               const float *b, int ldb,
               float beta, float *c, int ldc) {
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < M; i++) {
            float sum = 0.0f;
            for (int p = 0; p < K; p++) {
                float av = transa ? a[p + (size_t)lda * i] : a[i + (size_t)lda * p];
                float bv = transb ? b[j + (size_t)ldb * p] : b[p + (size_t)ldb * j];
                sum += av * bv;
            }
            float *cij = c + i + (size_t)ldc * j; /* seek to C[i, j] */
            *cij = beta == 0.0f ? alpha * sum : alpha * sum + beta * *cij;
        }
    }
}

/* ------------------------------------------------------------------------
 * Packing.
 * ---------------------------------------------------------------------- */

/*
 * Packing a transposed operand is a transpose; done one element at a time
 * it costs as much as the whole product for the MLP's batch-64 shapes. These
 * transpose 8 lines of 8 floats in registers:
 *   src: 8 (or 4) lines, line r at src + r*lds, element c at src[c + lds*r]
 *   dst: 8 lines, dst[r + ldd*c] = src[c + lds*r]  (overwritten)
 */
#if defined(__AVX__)
static inline void transpose_8x8(const float *src, size_t lds, float *dst, size_t ldd) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    transpose8_store(r0, r1, r2, r3, r4, r5, r6, r7, dst, ldd);
}

/* the same for 4 source lines: dst gets 8 lines of 4 floats */
static inline void transpose_4x8(const float *src, size_t lds, float *dst, size_t ldd) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    transpose4_store(r0, r1, r2, r3, dst, ldd);
}
#endif

/*
 * Packing an operand means writing `kc` rows of W floats (W = MR for A,
 * NR for B), of which the first `lines` come from the source and the rest
 * are zero padding:  dst[p*W + i] = line i, element p   (overwritten).
 * Depending on the transpose flag a source line is either
 *   pack_rows:       strided across rows: element p of line i at
 *                    src[i + ld*p] (W contiguous floats per row: a copy), or
 *   pack_transposed: contiguous: element p of line i at src[p + ld*i]
 *                    (a transpose, done in 8x8 / 8x4 register blocks).
 */
static void pack_rows(const float *src, size_t ld, int lines, int W, int kc, float *dst) {
    for (int p = 0; p < kc; p++) {
        const float *s = src + ld * p; /* seek to row p of the slab */
        float *d = dst + (size_t)p * W;
        memcpy(d, s, (size_t)lines * sizeof(float));
        if (lines < W) memset(d + lines, 0, (size_t)(W - lines) * sizeof(float));
    }
}

static void pack_transposed(const float *src, size_t ld, int lines, int W, int kc, float *dst) {
    int p = 0;
#if defined(__AVX__)
    /* 8 p at a time: register transposes of 8, then 4 lines; the rest of an
     * edge panel one by one, then zero padding */
    for (; p + 8 <= kc; p += 8) {
        int i = 0;
        for (; i + 8 <= lines; i += 8) {
            /* seek to line i, element p, and packed [p][i] */
            transpose_8x8(src + p + ld * i, ld, dst + (size_t)p * W + i, (size_t)W);
        }
        for (; i + 4 <= lines; i += 4) {
            transpose_4x8(src + p + ld * i, ld, dst + (size_t)p * W + i, (size_t)W);
        }
        for (; i < lines; i++) {
            for (int q = p; q < p + 8; q++) dst[(size_t)q * W + i] = src[q + ld * i];
        }
        for (; i < W; i++) {
            for (int q = p; q < p + 8; q++) dst[(size_t)q * W + i] = 0.0f;
        }
    }
#endif
    for (; p < kc; p++) {
        int i = 0;
        for (; i < lines; i++) dst[(size_t)p * W + i] = src[p + ld * i];
        for (; i < W; i++) dst[(size_t)p * W + i] = 0.0f;
    }
}

/*
 * pack_a: copy op(A)[i0:i0+mc, p0:p0+kc] into MR-row micro-panels.
 *   out: ceil(mc/MR) panels, each [kc][MR]: panel r holds
 *        op(A)[i0 + r*MR + i, p0 + p] at out[r*MR*kc + p*MR + i]
 *        (overwritten; rows past mc are zero).
 */
static void pack_a(int transa, const float *a, int lda, int i0, int p0,
                   int mc, int kc, float *out) {
    for (int ir = 0; ir < mc; ir += MR) {
        int mr = mc - ir < MR ? mc - ir : MR;
        float *dst = out + (size_t)ir * kc; /* seek to micro-panel ir/MR */
        if (!transa) /* A is [M, K]: a column of the panel is contiguous at A[i0+ir, p0+p] */
            pack_rows(a + (i0 + ir) + (size_t)lda * p0, (size_t)lda, mr, MR, kc, dst);
        else         /* A is [K, M]: op(A)[i, p] = A[p, i], row i contiguous from A[p0, i0+ir] */
            pack_transposed(a + p0 + (size_t)lda * (i0 + ir), (size_t)lda, mr, MR, kc, dst);
    }
}

/*
 * pack_b: copy op(B)[p0:p0+kc, j0:j0+nc] into NR-column micro-panels.
 *   out: ceil(nc/NR) panels, each [kc][NR]: panel r holds
 *        op(B)[p0 + p, j0 + r*NR + j] at out[r*NR*kc + p*NR + j]
 *        (overwritten; columns past nc are zero).
 */
static void pack_b(int transb, const float *b, int ldb, int p0, int j0,
                   int nc, int kc, float *out) {
    for (int jp = 0; jp * NR < nc; jp++) {
        int jr = jp * NR;
        int nr = nc - jr < NR ? nc - jr : NR;
        float *dst = out + (size_t)jr * kc; /* seek to micro-panel jp */
        if (!transb) /* B is [K, N]: column j contiguous from B[p0, j0+jr] */
            pack_transposed(b + p0 + (size_t)ldb * (j0 + jr), (size_t)ldb, nr, NR, kc, dst);
        else         /* B is [N, K]: op(B)[p, j] = B[j, p], a panel row contiguous at B[j0+jr, p0+p] */
            pack_rows(b + (j0 + jr) + (size_t)ldb * p0, (size_t)ldb, nr, NR, kc, dst);
    }
}

/* ------------------------------------------------------------------------
 * Micro-kernels: C[0:MR, 0:NR] = alpha * Apanel * Bpanel + beta * C.
 *   pa  micro-panel of A, element (i, p) at pa[i + a_step*p]  (read):
 *       packed (a_step == MR), or A itself read in place (a_step == lda)
 *   pb  [kc][NR] packed micro-panel of B, pb[p*NR + j]  (read)
 *   c   [MR, NR] tile of C, c[i + ldc*j]; overwritten when beta == 0
 *       (never read then), else scaled by beta and accumulated into.
 * ---------------------------------------------------------------------- */
/* a micro-kernel, as called through a pointer (the narrow edge kernels) */
typedef void (*micro_fn)(int kc, const float *restrict pa, size_t a_step,
                         const float *restrict pb,
                         float *restrict c, size_t ldc, float alpha, float beta);

#if defined(__AVX512F__)

/*
 * micro_kernel_cols: the same for the first NCOLS columns only (NCOLS a
 * compile-time constant after inlining: 12, 8 or 4), reading pb with its
 * packed stride NR. The narrow ones serve the last micro-panel of B when it
 * is mostly padding (N = 64 = 5*12 + 4 would otherwise spend 1/9 of its
 * multiply-adds on zero columns); with 8 or 16 independent accumulators
 * they still cover the FMA latency. c is [MR, NCOLS], c[i + ldc*j].
 */
static inline __attribute__((always_inline))
void micro_kernel_cols(int kc, const float *restrict pa, size_t a_step,
                       const float *restrict pb,
                       float *restrict c, size_t ldc, float alpha, float beta,
                       const int ncols) {
    __m512 acc0[NR], acc1[NR]; /* rows 0..15 and 16..31 of column j */
#pragma GCC unroll 12
    for (int j = 0; j < ncols; j++) {
        acc0[j] = _mm512_setzero_ps();
        acc1[j] = _mm512_setzero_ps();
    }
    /* warm the C tile while the product is being computed */
#pragma GCC unroll 12
    for (int j = 0; j < ncols; j++) {
        _mm_prefetch((const char *)(c + ldc * j), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + ldc * j + 31), _MM_HINT_T0);
    }
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        __m512 a0 = _mm512_loadu_ps(pa);
        __m512 a1 = _mm512_loadu_ps(pa + 16);
        _mm_prefetch((const char *)(pa + 8 * a_step), _MM_HINT_T0);
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            __m512 bj = _mm512_set1_ps(pb[j]);
            acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
            acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
        }
        pa += a_step; /* seek to the next p of both panels */
        pb += NR;
    }
    __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            float *cj = c + ldc * j; /* seek to C[0, j] */
            _mm512_storeu_ps(cj, _mm512_mul_ps(va, acc0[j]));
            _mm512_storeu_ps(cj + 16, _mm512_mul_ps(va, acc1[j]));
        }
    } else {
        __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            float *cj = c + ldc * j; /* seek to C[0, j] */
            _mm512_storeu_ps(cj, _mm512_fmadd_ps(va, acc0[j], _mm512_mul_ps(vb, _mm512_loadu_ps(cj))));
            _mm512_storeu_ps(cj + 16, _mm512_fmadd_ps(va, acc1[j], _mm512_mul_ps(vb, _mm512_loadu_ps(cj + 16))));
        }
    }
}

static void micro_kernel(int kc, const float *restrict pa, size_t a_step,
                         const float *restrict pb,
                         float *restrict c, size_t ldc, float alpha, float beta) {
    micro_kernel_cols(kc, pa, a_step, pb, c, ldc, alpha, beta, NR);
}

static void micro_kernel_8(int kc, const float *restrict pa, size_t a_step,
                           const float *restrict pb,
                           float *restrict c, size_t ldc, float alpha, float beta) {
    micro_kernel_cols(kc, pa, a_step, pb, c, ldc, alpha, beta, 8);
}

static void micro_kernel_4(int kc, const float *restrict pa, size_t a_step,
                           const float *restrict pb,
                           float *restrict c, size_t ldc, float alpha, float beta) {
    micro_kernel_cols(kc, pa, a_step, pb, c, ldc, alpha, beta, 4);
}

/* narrow_kernel: columns computed for a last micro-panel with nr < NR
 * columns (4, 8 or NR), and the kernel that computes them */
static inline int narrow_kernel(int nr, micro_fn *fn) {
    if (nr <= 4) { *fn = micro_kernel_4; return 4; }
    if (nr <= 8) { *fn = micro_kernel_8; return 8; }
    *fn = micro_kernel;
    return NR;
}
#define HAVE_NARROW_KERNELS 1

#elif defined(__AVX2__) && defined(__FMA__)

static void micro_kernel(int kc, const float *restrict pa, size_t a_step,
                         const float *restrict pb,
                         float *restrict c, size_t ldc, float alpha, float beta) {
    __m256 acc0[NR], acc1[NR]; /* rows 0..7 and 8..15 of column j */
#pragma GCC unroll 6
    for (int j = 0; j < NR; j++) {
        acc0[j] = _mm256_setzero_ps();
        acc1[j] = _mm256_setzero_ps();
    }
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        __m256 a0 = _mm256_loadu_ps(pa);
        __m256 a1 = _mm256_loadu_ps(pa + 8);
#pragma GCC unroll 6
        for (int j = 0; j < NR; j++) {
            __m256 bj = _mm256_broadcast_ss(pb + j);
            acc0[j] = _mm256_fmadd_ps(a0, bj, acc0[j]);
            acc1[j] = _mm256_fmadd_ps(a1, bj, acc1[j]);
        }
        pa += a_step; /* seek to the next p of both panels */
        pb += NR;
    }
    __m256 va = _mm256_set1_ps(alpha);
    __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int j = 0; j < NR; j++) {
        float *cj = c + ldc * j; /* seek to C[0, j] */
        if (beta == 0.0f) {
            _mm256_storeu_ps(cj, _mm256_mul_ps(va, acc0[j]));
            _mm256_storeu_ps(cj + 8, _mm256_mul_ps(va, acc1[j]));
        } else {
            _mm256_storeu_ps(cj, _mm256_fmadd_ps(va, acc0[j], _mm256_mul_ps(vb, _mm256_loadu_ps(cj))));
            _mm256_storeu_ps(cj + 8, _mm256_fmadd_ps(va, acc1[j], _mm256_mul_ps(vb, _mm256_loadu_ps(cj + 8))));
        }
    }
}

#else

/* Portable fallback: plain C the compiler may vectorise. */
static void micro_kernel(int kc, const float *restrict pa, size_t a_step,
                         const float *restrict pb,
                         float *restrict c, size_t ldc, float alpha, float beta) {
    float acc[NR][MR];
    memset(acc, 0, sizeof acc);
    for (int p = 0; p < kc; p++) {
        for (int j = 0; j < NR; j++) {
            for (int i = 0; i < MR; i++) acc[j][i] += pa[i] * pb[j];
        }
        pa += a_step; /* seek to the next p of both panels */
        pb += NR;
    }
    for (int j = 0; j < NR; j++) {
        float *cj = c + ldc * j; /* seek to C[0, j] */
        for (int i = 0; i < MR; i++) {
            cj[i] = beta == 0.0f ? alpha * acc[j][i] : alpha * acc[j][i] + beta * cj[i];
        }
    }
}

#endif

/*
 * macro_kernel: C[0:mc, 0:nc] = alpha * Ablock * Bblock + beta * C for one
 * block of A and one packed block of B.
 *   pa  packed A block, ceil(mc/MR) micro-panels of [kc][MR], one
 *       every pa_panel floats (MR*kc when packed here, MR*K when the
 *       caller packed all of K: sgemm_prepacked)                (read)
 *   ad  NULL, or the A block itself, op(A)[i, p] at ad[i + lda*p] (read):
 *       then full MR-row panels are read in place and only a last partial
 *       panel comes from pa (at its usual offset)
 *   pb  packed B block, ceil(nc/NR) micro-panels of [kc][NR], one
 *       every pb_panel floats (NR*kc, or NR*K when prepacked)  (read)
 *   c   [mc, nc] sub-matrix of C, c[i + ldc*j]: overwritten if beta == 0,
 *       else accumulated into.
 */
static void macro_kernel(int mc, int nc, int kc, const float *pa, size_t pa_panel,
                         const float *ad, size_t lda, const float *pb, size_t pb_panel,
                         float *c, size_t ldc, float alpha, float beta) {
    float edge[MR * NR] __attribute__((aligned(ALIGN)));
    for (int jr = 0; jr < nc; jr += NR) {
        int nr = nc - jr < NR ? nc - jr : NR;
        const float *pbj = pb + pb_panel * (size_t)(jr / NR); /* seek to B micro-panel jr/NR */
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            /* seek to A micro-panel ir/MR: in place, or packed */
            const float *pai = ad && mr == MR ? ad + ir : pa + pa_panel * (size_t)(ir / MR);
            size_t a_step = ad && mr == MR ? lda : MR;
            float *cij = c + ir + ldc * jr; /* seek to C[ir, jr] */
            if (mr == MR && nr == NR) {
                micro_kernel(kc, pai, a_step, pbj, cij, ldc, alpha, beta);
            } else {
                /* edge tile: the narrowest kernel that covers nr columns;
                 * straight into C when it covers exactly the tile, else
                 * into a temporary, then copy the mr x nr part that exists */
                micro_fn fn = micro_kernel;
#ifdef HAVE_NARROW_KERNELS
                int ncols = narrow_kernel(nr, &fn);
                if (mr == MR && ncols == nr) {
                    fn(kc, pai, a_step, pbj, cij, ldc, alpha, beta);
                    continue;
                }
#endif
                fn(kc, pai, a_step, pbj, edge, MR, 1.0f, 0.0f);
                for (int j = 0; j < nr; j++) {
                    float *cj = cij + ldc * j; /* seek to C[ir, jr + j] */
                    const float *ej = edge + MR * j;
                    if (beta == 0.0f) {
                        for (int i = 0; i < mr; i++) cj[i] = alpha * ej[i];
                    } else {
                        for (int i = 0; i < mr; i++) cj[i] = alpha * ej[i] + beta * cj[i];
                    }
                }
            }
        }
    }
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

static void *aligned_buffer(size_t nfloats) {
    size_t bytes = round_up(nfloats * sizeof(float), ALIGN);
    return kernel_aligned_alloc(ALIGN, bytes > 0 ? bytes : ALIGN);
}

/*
 * scale_c: C = beta * C, for when the product term vanishes (K == 0 or
 * alpha == 0).
 *   c [M, N], c[i + ldc*j]: overwritten with zeros when beta == 0 (never
 *   read then), else scaled in place.
 */
static void scale_c(int M, int N, float beta, float *c, int ldc) {
    for (int j = 0; j < N; j++) {
        float *cj = c + (size_t)ldc * j; /* seek to C[0, j] */
        if (beta == 0.0f) {
            memset(cj, 0, (size_t)M * sizeof(float));
        } else {
            for (int i = 0; i < M; i++) cj[i] *= beta;
        }
    }
}

/*
 * Packing buffers, one set per calling thread, kept between calls: a fresh
 * malloc per call costs page faults that small products cannot amortise.
 * Thread-local: each OpenMP thread packs into its own, and Python threads
 * calling sgemm at once (cffi releases the GIL) never share one. Grown on
 * demand, never shrunk (at most KC*NC + MC*KC floats, ~6.6 MB, per thread).
 */
static _Thread_local float *tl_buffer = NULL;
static _Thread_local size_t tl_capacity = 0; /* in floats */
static _Thread_local unsigned tl_generation = 0; /* kernel_buffer_generation() when allocated */

static float *packing_buffer(size_t nfloats) {
    if (nfloats > tl_capacity || tl_generation != kernel_buffer_generation()) {
        tl_generation = kernel_buffer_generation();
        free(tl_buffer);
        tl_buffer = aligned_buffer(nfloats);
        tl_capacity = tl_buffer ? nfloats : 0;
    }
    return tl_buffer;
}

/*
 * gemm_serial: sgemm on the calling thread, with its own packing buffer.
 *   op(A) [M, K], op(B) [K, N] (read); C [M, N], c[i + ldc*j],
 *   overwritten when beta == 0, else scaled by beta and accumulated into.
 *   apre: NULL, or op(A) already packed by the caller (then a, lda and
 *   transa are unused): ceil(M/MR) panels of [K][MR], op(A)[i, p] at
 *   apre[(i/MR)*MR*K + p*MR + i%MR], rows past M zero (sgemm_prepacked).
 *   bpre: NULL, or op(B) already packed (then b, ldb and transb are
 *   unused): ceil(N/NR) panels of [K][NR], op(B)[p, j] at
 *   bpre[(j/NR)*NR*K + p*NR + j%NR], columns past N zero (sgemm_pack_b).
 * Requires M, N, K >= 1.
 */
static void gemm_serial(int transa, int transb, int M, int N, int K,
                        float alpha, const float *a, int lda, const float *apre,
                        const float *b, int ldb, const float *bpre,
                        float beta, float *c, size_t ldc) {
    /* equal-depth K blocks (a multiple of 8), so K = KC + 1 does not end
     * in a one-deep block whose C traffic costs as much as a full one */
    int k_blocks = (K + KC - 1) / KC;
    int kcb = (int)round_up((K + k_blocks - 1) / k_blocks, 8);
    if (kcb > KC) kcb = KC;
    int kc_max = K < kcb ? K : kcb;
    int nc_max = N < NC ? N : NC;
    int mc_max = M < MC ? M : MC;

    /* one buffer: B's block first, then A's; the size of B's block is a
     * multiple of 16 floats, so A's block stays 64-byte aligned */
    size_t pb_size = bpre ? 0 : round_up((size_t)kc_max * round_up(nc_max, NR), 16);
    size_t pa_size = apre ? 0 : (size_t)kc_max * round_up(mc_max, MR);
    /* (nothing to pack when both operands come prepacked: no buffer then,
     * and a thread that never had one must not take the fallback below) */
    float *pb = pb_size + pa_size > 0 ? packing_buffer(pb_size + pa_size) : NULL;
    if (pb_size + pa_size > 0 && !pb) {
        /* out of memory for the packed blocks: still give the right answer */
        if (!apre && !bpre) {
            sgemm_ref(transa, transb, M, N, K, alpha, a, lda, b, ldb, beta, c, (int)ldc);
            return;
        }
        for (int j = 0; j < N; j++) {                   /* the plain loop, packed or not */
            for (int i = 0; i < M; i++) {
                float sum = 0.0f;
                for (int p = 0; p < K; p++) {
                    float av = apre ? apre[(size_t)(i / MR) * MR * K + (size_t)MR * p + i % MR]
                             : transa ? a[p + (size_t)lda * i] : a[i + (size_t)lda * p];
                    float bv = bpre ? bpre[(size_t)(j / NR) * NR * K + (size_t)NR * p + j % NR]
                             : transb ? b[j + (size_t)ldb * p] : b[p + (size_t)ldb * j];
                    sum += av * bv;
                }
                float *cij = c + i + ldc * j;           /* seek to C[i, j] */
                *cij = beta == 0.0f ? alpha * sum : alpha * sum + beta * *cij;
            }
        }
        return;
    }
    float *pa = pb ? pb + pb_size : NULL; /* seek past B's block */

    /* With a single micro-panel of B (N <= NR), every micro-panel of A is
     * used exactly once: packing it would only add a copy. So an
     * untransposed A (columns already contiguous) is then read in place. */
    int in_place_a = !apre && !transa && N <= NR;

    /* equal-sized MC blocks, rounded up to MR, so no block is a thin
     * leftover */
    int m_blocks = (M + MC - 1) / MC;
    int mcb = (int)round_up((M + m_blocks - 1) / m_blocks, MR);

    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += kcb) {
            int kc = K - pc < kcb ? K - pc : kcb;
            float beta_k = pc == 0 ? beta : 1.0f; /* later blocks accumulate */
            const float *pbk = pb;
            size_t pb_panel = (size_t)NR * kc;
            if (bpre) {
                /* seek to the caller's panel jc/NR at depth pc */
                pbk = bpre + (size_t)jc * K + (size_t)pc * NR;
                pb_panel = (size_t)NR * K;
            } else {
                pack_b(transb, b, ldb, pc, jc, nc, kc, pb);
            }
            for (int ic = 0; ic < M; ic += mcb) {
                int mc = M - ic < mcb ? M - ic : mcb;
                const float *ad = NULL;
                const float *pai = pa;
                size_t pa_panel = (size_t)MR * kc;
                if (apre) {
                    /* seek to the caller's panel ic/MR at depth pc */
                    pai = apre + (size_t)ic * K + (size_t)pc * MR;
                    pa_panel = (size_t)MR * K;
                } else if (in_place_a) {
                    /* pack only a last partial panel; full ones are read
                     * in place from A[ic, pc] on */
                    int full = mc / MR * MR;
                    if (full < mc) {
                        pack_a(transa, a, lda, ic + full, pc, mc - full, kc, pa + (size_t)full * kc);
                    }
                    ad = a + ic + (size_t)lda * pc; /* seek to A[ic, pc] */
                } else {
                    pack_a(transa, a, lda, ic, pc, mc, kc, pa);
                }
                macro_kernel(mc, nc, kc, pai, pa_panel, ad, (size_t)lda, pbk, pb_panel,
                             c + ic + ldc * jc, /* seek to C[ic, jc] */
                             ldc, alpha, beta_k);
            }
        }
    }
}

/*
 * sgemm: see kernels.h for the contract.
 *   op(A) [M, K], op(B) [K, N] (read); C [M, N], c[i + ldc*j],
 *   overwritten when beta == 0, else scaled by beta and accumulated into.
 *
 * Threads: C is cut into one slab per thread, whole NR-panels of columns
 * when M <= N, else whole MR-panels of rows, and each thread runs
 * gemm_serial on its slab, packing into its own buffer (and its own L2).
 * The slabs share no writes and need no barrier but the final join, which
 * keeps a busy machine (a core taken by another process) from stalling
 * every thread at every barrier. The price is that both threads pack the
 * operand they share (A when splitting columns, B when splitting rows),
 * which is the smaller one by the choice of the split.
 */
void sgemm(int transa, int transb, int M, int N, int K,
           float alpha, const float *a, int lda,
           const float *b, int ldb,
           float beta, float *c, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, c, ldc);
        return;
    }

#ifdef _OPENMP
    int split_cols = M <= N; /* duplicate the packing of the smaller operand */
    int panels = split_cols ? (N + NR - 1) / NR : (M + MR - 1) / MR;
    /* by size (small products on one thread), at least one panel each,
     * and one while the machine is busy (runtime.h) */
    int nt = kernel_threads(2.0 * M * N * K, panels);
    if (nt <= 1) {
        gemm_serial(transa, transb, M, N, K, alpha, a, lda, NULL, b, ldb, NULL, beta, c, (size_t)ldc);
        return;
    }
    region_clock rc;
    region_begin(&rc, nt);
#pragma omp parallel num_threads(nt)
    {
        /* the team may be smaller than asked (nested or limited OpenMP):
         * split over the team actually running */
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        int p0 = (int)((long)panels * tid / nth);
        int p1 = (int)((long)panels * (tid + 1) / nth);
        if (split_cols) {
            int n0 = p0 * NR, n1 = p1 * NR < N ? p1 * NR : N;
            if (n1 > n0) {
                /* seek to op(B)[0, n0] and C[0, n0] */
                const float *bs = transb ? b + n0 : b + (size_t)ldb * n0;
                gemm_serial(transa, transb, M, n1 - n0, K, alpha, a, lda, NULL, bs, ldb, NULL,
                            beta, c + (size_t)ldc * n0, (size_t)ldc);
            }
        } else {
            int m0 = p0 * MR, m1 = p1 * MR < M ? p1 * MR : M;
            if (m1 > m0) {
                /* seek to op(A)[m0, 0] and C[m0, 0] */
                const float *as = transa ? a + (size_t)lda * m0 : a + m0;
                gemm_serial(transa, transb, m1 - m0, N, K, alpha, as, lda, NULL, b, ldb, NULL,
                            beta, c + m0, (size_t)ldc);
            }
        }
        if (tid == 0) region_mark(&rc);
    }
    region_end(&rc);
#else
    gemm_serial(transa, transb, M, N, K, alpha, a, lda, NULL, b, ldb, NULL, beta, c, (size_t)ldc);
#endif
}


/*
 * sgemm_pack_b: see gemm_packed.h. op(B)[0:K, 0:N] into ceil(N/NR) panels
 * of [K][NR] (all of K, not KC blocks):
 *   op(B) [K, N]  b[p + ldb*j] (transb == 0) or b[j + ldb*p]   (read)
 *   out   out[(j/NR)*NR*K + p*NR + j%NR], columns past N zero (overwritten;
 *         sgemm_packed_b_floats(K, N) floats)
 */
size_t sgemm_packed_b_floats(int K, int N) {
    return (size_t)K * round_up((size_t)N, NR);
}

void sgemm_pack_b(int transb, int K, int N, const float *b, int ldb, float *out) {
    if (K > 0 && N > 0) pack_b(transb, b, ldb, 0, 0, N, K, out);
}

/*
 * sgemm_prepacked: see gemm_packed.h. C = alpha * op(A) * op(B) + beta * C
 * on the calling thread, op(B) packed by sgemm_pack_b, op(A) either packed
 * by the caller (apre) or read from a (transa, lda) and packed here.
 *   C [M, N]: c[i + ldc*j], overwritten when beta == 0, else scaled by
 *   beta and accumulated into.
 */
void sgemm_prepacked(int M, int N, int K, float alpha,
                     int transa, const float *a, int lda, const float *apre,
                     const float *bpre, float beta, float *c, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, c, ldc);
        return;
    }
    gemm_serial(transa, 0, M, N, K, alpha, a, lda, apre, NULL, 1, bpre, beta, c, (size_t)ldc);
}

/* ------------------------------------------------------------------------
 * sgemm_ptr_a: see gemm_packed.h. C = op(A) * op(B) + beta * C on the
 * calling thread, op(A) read in place through a table of pointers (an
 * implicit im2col: conv.c points at the runs of the image), op(B) packed by
 * sgemm_pack_b.
 *   aptr  [M/MR][K] pointers, op(A)[i, p] = aptr[(i/MR)*K + p][i % MR]:
 *         each entry points at MR contiguous floats                (read)
 *   pb    op(B)[p, j] = pb[(j/NR)*NR*K + p*NR + j%NR]              (read)
 *   bias  NULL, or [N]: then C = op(A)*op(B) + bias[j] (beta unused)
 *   c     [M, N], c[i + ldc*j]: overwritten when beta == 0 or bias is
 *         given, else accumulated into (alpha is 1)
 * Requires M % MR == 0. Plain form: for each i, j:
 *   c[i + ldc*j] = (bias ? bias[j] : beta*c[i + ldc*j])
 *                + sum_p aptr[(i/MR)*K + p][i%MR] * op(B)[p, j]
 * Loop order: K blocks, then one B micro-panel (in L1) against every A
 * panel of the call, like macro_kernel.
 * ---------------------------------------------------------------------- */
int sgemm_ptr_a_rows(void) {
#if defined(__AVX512F__)
    return MR;
#else
    return 0; /* no fast kernel: callers build packed A instead */
#endif
}

#if defined(__AVX512F__)
/* micro_kernel_ptrs: micro_kernel_cols with A's row p of the panel read
 * from ap[p] (MR floats) instead of pa + a_step*p; alpha == 1. */
static inline __attribute__((always_inline))
void micro_kernel_ptrs(int kc, const float *const *restrict ap, const float *restrict pb,
                       const float *bias, float *restrict c, size_t ldc, float beta,
                       const int ncols) {
    __m512 acc0[NR], acc1[NR]; /* rows 0..15 and 16..31 of column j */
#pragma GCC unroll 12
    for (int j = 0; j < ncols; j++) {
        acc0[j] = _mm512_setzero_ps();
        acc1[j] = _mm512_setzero_ps();
    }
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        const float *a = ap[p];                         /* seek to op(A)[panel, p] */
        __m512 a0 = _mm512_loadu_ps(a);
        __m512 a1 = _mm512_loadu_ps(a + 16);
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            __m512 bj = _mm512_set1_ps(pb[j]);
            acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
            acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
        }
        pb += NR;
    }
    if (bias) {                                         /* C = A*B + bias[j]: fused bias */
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            float *cj = c + ldc * j; /* seek to C[0, j] */
            __m512 bj = _mm512_set1_ps(bias[j]);
            _mm512_storeu_ps(cj, _mm512_add_ps(acc0[j], bj));
            _mm512_storeu_ps(cj + 16, _mm512_add_ps(acc1[j], bj));
        }
    } else if (beta == 0.0f) {
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            float *cj = c + ldc * j; /* seek to C[0, j] */
            _mm512_storeu_ps(cj, acc0[j]);
            _mm512_storeu_ps(cj + 16, acc1[j]);
        }
    } else {
#pragma GCC unroll 12
        for (int j = 0; j < ncols; j++) {
            float *cj = c + ldc * j; /* seek to C[0, j] */
            _mm512_storeu_ps(cj, _mm512_add_ps(acc0[j], _mm512_loadu_ps(cj)));
            _mm512_storeu_ps(cj + 16, _mm512_add_ps(acc1[j], _mm512_loadu_ps(cj + 16)));
        }
    }
}
#endif

void sgemm_ptr_a(int M, int N, int K, const float *const *aptr, const float *pb,
                 const float *bias, float beta, float *c, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(M, N, bias ? 0.0f : beta, c, ldc);
        for (int j = 0; bias && j < N; j++)
            for (int i = 0; i < M; i++) c[i + (size_t)ldc * j] = bias[j];
        return;
    }
    int k_blocks = (K + KC - 1) / KC;                   /* equal-depth K blocks, as gemm_serial */
    int kcb = (K + k_blocks - 1) / k_blocks;
    for (int pc = 0; pc < K; pc += kcb) {
        int kc = K - pc < kcb ? K - pc : kcb;
        float beta_k = pc == 0 ? beta : 1.0f;           /* later blocks accumulate */
        for (int jr = 0; jr < N; jr += NR) {
            int nr = N - jr < NR ? N - jr : NR;
            const float *pbj = pb + (size_t)jr * K + (size_t)pc * NR; /* seek to B panel jr/NR, depth pc */
            const float *bj = bias && pc == 0 ? bias + jr : NULL; /* the first K block adds the bias */
            for (int ir = 0; ir < M; ir += MR) {
                const float *const *ap = aptr + (size_t)(ir / MR) * K + pc; /* seek to A panel, depth pc */
                float *cij = c + ir + (size_t)ldc * jr; /* seek to C[ir, jr] */
#if defined(__AVX512F__)
                if (nr == NR) { micro_kernel_ptrs(kc, ap, pbj, bj, cij, (size_t)ldc, beta_k, NR); continue; }
                if (nr == 8) { micro_kernel_ptrs(kc, ap, pbj, bj, cij, (size_t)ldc, beta_k, 8); continue; }
                if (nr == 4) { micro_kernel_ptrs(kc, ap, pbj, bj, cij, (size_t)ldc, beta_k, 4); continue; }
                /* other widths: the next wider kernel into a temporary (B's
                 * padding columns are zero), then the nr columns that exist */
                float edge[MR * NR] __attribute__((aligned(ALIGN)));
                if (nr < 4) micro_kernel_ptrs(kc, ap, pbj, NULL, edge, MR, 0.0f, 4);
                else if (nr < 8) micro_kernel_ptrs(kc, ap, pbj, NULL, edge, MR, 0.0f, 8);
                else micro_kernel_ptrs(kc, ap, pbj, NULL, edge, MR, 0.0f, NR);
                for (int j = 0; j < nr; j++) {
                    float *cj = cij + (size_t)ldc * j;  /* seek to C[ir, jr + j] */
                    const float *ej = edge + MR * j;
                    for (int i = 0; i < MR; i++)
                        cj[i] = bj ? ej[i] + bj[j] : beta_k == 0.0f ? ej[i] : ej[i] + cj[i];
                }
                continue;
#endif
                /* plain form (and the odd edge widths) */
                for (int j = 0; j < nr; j++) {
                    float *cj = cij + (size_t)ldc * j;  /* seek to C[ir, jr + j] */
                    for (int i = 0; i < MR; i++) {
                        float sum = 0.0f;
                        for (int p = 0; p < kc; p++) sum += ap[p][i] * pbj[(size_t)p * NR + j];
                        cj[i] = bj ? sum + bj[j] : beta_k == 0.0f ? sum : sum + cj[i];
                    }
                }
            }
        }
    }
}
