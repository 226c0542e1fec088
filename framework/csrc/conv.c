/*
 * conv.c -- 2-D convolution kernels for the framework's C backend.
 *
 *   conv_im2col / conv_im2col_ref     patch matrix P from an image batch
 *   conv_col2im / conv_col2im_ref     its adjoint: sum patch entries back into images
 *   conv2d_forward                    Y = P*W + b            (fused, chunked)
 *   conv2d_backward                   dX = col2im(dY*W')     (overwrite;
 *                                     = full conv of dY with rot180(W))
 *   conv2d_delta_weights              dW += P'*dY, db += sum dY (accumulate)
 *
 * Layout (docs/conv.md, framework/backend/numpy_conv.py is the reference):
 *   image  x  [N, H, W, C]    x[n + N*(h + H*(w + W*c))]
 *   patch  P  [R, K]          P[r + R*k], r = n + N*(ho + Ho*wo),
 *                             k = i + kh*(j + kw*c), R = N*Ho*Wo, K = kh*kw*C
 *             P[r, k] = x[n, ho*sh - ph + i*dil_h, wo*sw - pw + j*dil_w, c]
 *             (0 where that (h, w) lies in the zero padding)
 *   kernel w  [kh, kw, C, O]  = the column-major [K, O] matrix, w[k + K*o]
 *   output y  [N, Ho, Wo, O]  = the column-major [R, O] matrix, y[r + R*o]
 *
 * The batch index is the fastest, so for a fixed tap (i, j, c) and output
 * column wo, the patch column over (n, ho) is x read with a fixed stride:
 * with stride sh == 1 it is ONE contiguous run of x of length N*Ho (minus
 * the rows that fall into the padding), copied with memcpy; with sh > 1 it
 * is Ho runs of N floats. That is what makes im2col cheap here.
 *
 * The fused kernels never build the whole P (R*K floats: 38 MB for a
 * 32x32x32 -> 64 layer at batch 32). They cut the output positions
 * q = ho + Ho*wo into chunks; the rows of a chunk, r = n + N*q for q in
 * [q0, q1), are CONTIGUOUS rows of P, Y and dY, so a chunk of P is a small
 * dense matrix (about CONV_CHUNK_FLOATS floats, L2-sized) and the matching
 * rows of Y are a plain submatrix with leading dimension R, which sgemm
 * takes directly. OpenMP threads take whole chunks, each with its own
 * patch buffer; sgemm called inside the parallel region runs on the one
 * thread that called it (OpenMP does not nest by default; sgemm also
 * handles being given a smaller team).
 */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "fastmath.h"
#include "kernels.h"
#include "gemm_packed.h"
#include "runtime.h"

/* floats per patch-matrix chunk: 128K floats = 512 KB, half of a Zen 4 L2,
 * leaving room for sgemm's packed panels and the output rows (measured on
 * Conv2D(32, 64, 3, padding=1), batch 32: 32K floats 10 % slower, 64K-256K
 * within the noise of each other) */
#ifndef CONV_CHUNK_FLOATS
#define CONV_CHUNK_FLOATS (128 * 1024)
#endif

/* conv2d_backward takes the full-convolution path when H*W is at most this
 * times Ho*Wo (else col2im, which does fewer multiply-adds) */
#ifndef BACKWARD_FULL_MAX_GROWTH
#define BACKWARD_FULL_MAX_GROWTH 1.1
#endif

/* the implicit full-convolution backward needs at least this many input
 * channels (its product's output columns) to be the first choice */
#ifndef BACKWARD_FULL_MIN_C
#define BACKWARD_FULL_MIN_C 16
#endif

/* below this many multiply-adds a call stays on one thread */
#define CONV_PARALLEL_MIN_FLOPS 2000000.0

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* the geometry of one call (the caller's conv_geom), with what follows from it */
typedef struct {
    int N, H, W, C, kh, kw, sh, sw, ph, pw, dil_h, dil_w;
    int Ho, Wo, Q;       /* output height, width, positions Q = Ho*Wo */
    long R, K;           /* rows N*Q and columns kh*kw*C of P */
} geom_t;

static geom_t make_geom(const conv_geom *cg) {
    geom_t g = {cg->N, cg->H, cg->W, cg->C, cg->kh, cg->kw, cg->sh, cg->sw, cg->ph, cg->pw,
                cg->dil_h, cg->dil_w, 0, 0, 0, 0, 0};
    g.Ho = (g.H + 2 * g.ph - g.dil_h * (g.kh - 1) - 1) / g.sh + 1;
    g.Wo = (g.W + 2 * g.pw - g.dil_w * (g.kw - 1) - 1) / g.sw + 1;
    g.Q = g.Ho * g.Wo;
    g.R = (long)g.N * g.Q;
    g.K = (long)g.kh * g.kw * g.C;
    return g;
}


/* positions per chunk: about CONV_CHUNK_FLOATS floats of P, at least one,
 * and small enough that every thread gets a chunk */
static int chunk_positions(const geom_t *g, int nt) {
    long per = (long)g->N * g->K;                  /* floats of P per position */
    long qc = per > 0 ? CONV_CHUNK_FLOATS / per : g->Q;
    if (qc < 1) qc = 1;
    long even = (g->Q + nt - 1) / nt;              /* positions per thread */
    if (qc > even) qc = even;
    return (int)(qc > 0 ? qc : 1);
}

/* threads for a product of P with `cols` columns (runtime.h: by size, and
 * one in a forked child or while the machine is busy) */
static int use_threads(const geom_t *g, int cols) {
    double flops = 2.0 * (double)g->R * (double)g->K * (double)cols;
    return flops >= CONV_PARALLEL_MIN_FLOPS ? kernel_threads(flops, g->Q) : 1;
}

/*
 * patch_buffer: the calling thread's patch-chunk buffer, at least nfloats
 * floats, kept between calls (like sgemm's packing buffers). A chunk is
 * ~512 KB, above malloc's mmap threshold: a malloc/free per call mapped
 * fresh pages every time, and the kernel zeroing them on first touch cost
 * ~5 % of a forward pass. Thread-local, so every OpenMP thread (the pool
 * persists between calls) and every Python thread has its own; grown on
 * demand, never shrunk. NULL when out of memory.
 */
static _Thread_local float *tl_patch = NULL;
static _Thread_local size_t tl_patch_capacity = 0; /* in floats */
static _Thread_local unsigned tl_patch_generation = 0; /* kernel_buffer_generation() */

static float *patch_buffer(size_t nfloats) {
    if (nfloats > tl_patch_capacity || tl_patch_generation != kernel_buffer_generation()) {
        tl_patch_generation = kernel_buffer_generation();
        free(tl_patch);
        tl_patch = kernel_malloc(sizeof(float) * (nfloats > 0 ? nfloats : 1));
        tl_patch_capacity = tl_patch ? nfloats : 0;
    }
    return tl_patch;
}

/* ------------------------------------------------------------------------
 * im2col_rows: the rows of P for positions q in [q0, q1) (overwrite).
 *   x  [N, H, W, C]         x[n + N*(h + H*(w + W*c))]       (read)
 *   p  [N*(q1-q0), K]       p[(n + N*(q - q0)) + ldp*k]      (overwritten)
 *      ldp >= N*(q1-q0); p holds P[N*q0 .. N*q1, 0 .. K]
 * For a tap (i, j, c) and a column wo the rows (n, ho) of one wo are one
 * stretch of p; with sh == 1 the valid ho form one range and the copy is
 * one memcpy of N*(ho range) floats.
 * ---------------------------------------------------------------------- */
static void im2col_rows(const float *x, float *p, long ldp, const geom_t *g, int q0, int q1) {
    const int N = g->N, H = g->H, W = g->W, Ho = g->Ho;
    const size_t nb = sizeof(float) * (size_t)N;
    for (int c = 0; c < g->C; c++)
    for (int j = 0; j < g->kw; j++)
    for (int i = 0; i < g->kh; i++) {
        long k = i + (long)g->kh * (j + (long)g->kw * c);
        float *pk = p + ldp * k;                        /* seek to column k of the chunk */
        for (int wo = q0 / Ho; wo * Ho < q1; wo++) {
            int hoa = imax(q0 - wo * Ho, 0), hob = imin(q1 - wo * Ho, Ho);
            float *dst = pk + (long)N * (wo * Ho + hoa - q0); /* seek to P[(0, hoa, wo), k] */
            int w = wo * g->sw - g->pw + j * g->dil_w;
            if (w < 0 || w >= W) {                      /* the whole stretch is padding */
                memset(dst, 0, nb * (size_t)(hob - hoa));
                continue;
            }
            const float *xc = x + (long)N * H * (w + (long)W * c); /* seek to x[0, 0, w, c] */
            int h0 = i * g->dil_h - g->ph;                 /* h = ho*sh + h0 */
            if (g->sh == 1) {
                /* valid ho: 0 <= ho + h0 < H, clipped to [hoa, hob) */
                int lo = imin(imax(-h0, hoa), hob), hi = imax(imin(H - h0, hob), lo);
                memset(dst, 0, nb * (size_t)(lo - hoa));
                memcpy(dst + (long)N * (lo - hoa), xc + (long)N * (lo + h0), nb * (size_t)(hi - lo));
                memset(dst + (long)N * (hi - hoa), 0, nb * (size_t)(hob - hi));
            } else {
                for (int ho = hoa; ho < hob; ho++, dst += N) {
                    int h = ho * g->sh + h0;
                    if (h < 0 || h >= H) memset(dst, 0, nb);
                    else memcpy(dst, xc + (long)N * h, nb); /* x[0..N, h, w, c] */
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * im2col_packed: the same rows of P as im2col_rows, written straight into
 * sgemm's packed-A layout (gemm_packed.h), so sgemm_prepacked need not copy
 * them again (overwrite).
 *   x   [N, H, W, C]   x[n + N*(h + H*(w + W*c))]                   (read)
 *   pp  ceil(rows/mr) panels of [K][mr], rows = N*(q1-q0): local row
 *       rl = n + N*(q - q0) of column k at
 *         pp[(rl/mr)*mr*K + k*mr + rl%mr]                  (overwritten;
 *       rows past `rows` in the last panel are zero)
 * Reference: im2col_rows(x, p, rows, g, q0, q1), then
 *   pp[(rl/mr)*mr*K + k*mr + rl%mr] = p[rl + rows*k]  (0 for rl >= rows).
 * The runs are those of im2col_rows, cut at panel boundaries by put_run.
 * ---------------------------------------------------------------------- */
/* put_run: rows [rl, rl+len) of column k from src (zeros if src is NULL).
 * One division per run, not per panel piece (a 64-bit idiv per 32-float
 * piece cost as much as the copy). Reference form:
 *   for (t = 0; t < len; t++)
 *       pp[((rl+t)/mr)*mr*K + k*mr + (rl+t)%mr] = src ? src[t] : 0; */
static inline __attribute__((always_inline))
void put_run(float *pp, long K, int mr, long k, long rl, const float *src, long len) {
    if (len <= 0) return;
    long i = rl % mr;
    float *d = pp + (rl / mr) * mr * K + k * mr + i;   /* seek to packed (rl, k) */
    const long panel = (long)mr * K;                    /* floats per packed panel */
    while (len > 0) {
        long n = mr - i < len ? mr - i : len;
        if (src) {
            if (n == 32) memcpy(d, src, 32 * sizeof(float)); /* a whole AVX-512 panel: inlined */
            else memcpy(d, src, (size_t)n * sizeof(float));
            src += n;
        } else {
            memset(d, 0, (size_t)n * sizeof(float));
        }
        len -= n;
        d += panel - i;                                 /* seek to the next panel, row 0 */
        i = 0;
    }
}

static void im2col_packed(const float *x, float *pp, int mr, const geom_t *g, int q0, int q1) {
    const int N = g->N, H = g->H, W = g->W, Ho = g->Ho;
    const long K = g->K, rows = (long)N * (q1 - q0);
    for (int c = 0; c < g->C; c++)
    for (int j = 0; j < g->kw; j++)
    for (int i = 0; i < g->kh; i++) {
        long k = i + (long)g->kh * (j + (long)g->kw * c);
        for (int wo = q0 / Ho; wo * Ho < q1; wo++) {
            int hoa = imax(q0 - wo * Ho, 0), hob = imin(q1 - wo * Ho, Ho);
            long rl = (long)N * (wo * Ho + hoa - q0);   /* local row of (0, hoa, wo) */
            int w = wo * g->sw - g->pw + j * g->dil_w;
            if (w < 0 || w >= W) {                      /* the whole stretch is padding */
                put_run(pp, K, mr, k, rl, NULL, (long)N * (hob - hoa));
                continue;
            }
            const float *xc = x + (long)N * H * (w + (long)W * c); /* seek to x[0, 0, w, c] */
            int h0 = i * g->dil_h - g->ph;                 /* h = ho*sh + h0 */
            if (g->sh == 1) {
                int lo = imin(imax(-h0, hoa), hob), hi = imax(imin(H - h0, hob), lo);
                put_run(pp, K, mr, k, rl, NULL, (long)N * (lo - hoa));
                put_run(pp, K, mr, k, rl + (long)N * (lo - hoa), xc + (long)N * (lo + h0),
                        (long)N * (hi - lo));
                put_run(pp, K, mr, k, rl + (long)N * (hi - hoa), NULL, (long)N * (hob - hi));
            } else {
                for (int ho = hoa; ho < hob; ho++, rl += N) {
                    int h = ho * g->sh + h0;
                    put_run(pp, K, mr, k, rl, h < 0 || h >= H ? NULL : xc + (long)N * h, N);
                }
            }
        }
    }
    long full = (rows + mr - 1) / mr * mr;              /* zero the last panel's extra rows */
    for (long k = 0; k < K; k++) put_run(pp, K, mr, k, rows, NULL, full - rows);
}

/* ------------------------------------------------------------------------
 * im2col_packed_b: the rows of P for positions [q0, q1), written straight
 * into sgemm's packed-B layout with the chunk's rows as the depth
 * (gemm_packed.h), for dW' = dY' * P: op(B) = P_chunk [rows, K] (overwrite).
 *   x   [N, H, W, C]   x[n + N*(h + H*(w + W*c))]                   (read)
 *   pb  ceil(K/nr) panels of [rows][nr], rows = N*(q1-q0): local row
 *       rl = n + N*(q - q0) of column k at
 *         pb[(k/nr)*nr*rows + rl*nr + k%nr]                 (overwritten;
 *       columns k >= K of the last panel are zero)
 * Reference: im2col_rows(x, p, rows, g, q0, q1), then
 *   pb[(k/nr)*nr*rows + rl*nr + k%nr] = p[rl + rows*k]  (0 for k >= K).
 * That two-step form (then sgemm packing P again) wrote every chunk twice
 * and read it twice; here each packed row block of 8 rows x 8 (or 4)
 * columns is one register transpose of 8 (or 4) runs of x: for one output
 * position and tap the 8 batch entries x[n0..n0+8, h, w, c] are contiguous.
 * ---------------------------------------------------------------------- */
#if defined(__AVX__)
/* transpose_ptrs_8: 8 rows of d (stride ldd) get 8 floats each:
 *   d[r*ldd + t] = s[t][r]  for r, t < 8   (overwritten) */
static inline __attribute__((always_inline))
void transpose_ptrs_8(const float *const *s, float *d, size_t ldd) {
    __m256 r0 = _mm256_loadu_ps(s[0]), r1 = _mm256_loadu_ps(s[1]);
    __m256 r2 = _mm256_loadu_ps(s[2]), r3 = _mm256_loadu_ps(s[3]);
    __m256 r4 = _mm256_loadu_ps(s[4]), r5 = _mm256_loadu_ps(s[5]);
    __m256 r6 = _mm256_loadu_ps(s[6]), r7 = _mm256_loadu_ps(s[7]);
    transpose8_store(r0, r1, r2, r3, r4, r5, r6, r7, d, ldd);
}

/* transpose_ptrs_4: d[r*ldd + t] = s[t][r] for r < 8, t < 4 (overwritten) */
static inline __attribute__((always_inline))
void transpose_ptrs_4(const float *const *s, float *d, size_t ldd) {
    __m256 r0 = _mm256_loadu_ps(s[0]), r1 = _mm256_loadu_ps(s[1]);
    __m256 r2 = _mm256_loadu_ps(s[2]), r3 = _mm256_loadu_ps(s[3]);
    transpose4_store(r0, r1, r2, r3, d, ldd);
}
#endif

/* the most columns of a packed-B panel im2col_packed_b handles (sgemm's NR
 * is 12, 6 or 4) */
#define PACKED_B_MAX_NR 16

/* tap_t: where tap k = (i, j, c) reads x, relative to an output position:
 *   h = ho*sh + dh0, w = wo*sw + dw0, x[0, h, w, c] at x + off + N*(h + H*w)
 * (make_taps fills one per column k of P, once per call) */
typedef struct { int dh0, dw0; long off; } tap_t;

static void make_taps(tap_t *taps, const geom_t *g) {
    for (long k = 0; k < g->K; k++) {
        int i = (int)(k % g->kh), j = (int)((k / g->kh) % g->kw), c = (int)(k / ((long)g->kh * g->kw));
        taps[k].dh0 = i * g->dil_h - g->ph;
        taps[k].dw0 = j * g->dil_w - g->pw;
        taps[k].off = (long)g->N * g->H * g->W * c;     /* seek to x[0, 0, 0, c] */
    }
}

/* im2col_packed_b(x, zeros, taps, pb, nr, g, q0, q1): zeros holds N zero
 * floats, read for the taps that fall into the padding */
static void im2col_packed_b(const float *x, const float *zeros, const tap_t *taps, float *pb,
                            int nr, const geom_t *g, int q0, int q1) {
    const int N = g->N, H = g->H, W = g->W, Ho = g->Ho;
    const long K = g->K, rows = (long)N * (q1 - q0);
    const float *src[PACKED_B_MAX_NR];                  /* x[0, h, w, c] of each column, or zeros */
    /* panel by panel, positions in order: the packed panel is written
     * sequentially and each of its nr columns reads x forward along h (nr
     * streams the prefetcher follows; position-major order jumped between
     * all K of them and was 5 % slower overall) */
    for (long k0 = 0; k0 < K; k0 += nr)
    for (int q = q0; q < q1; q++) {
        int hq = (q % Ho) * g->sh, wq = (q / Ho) * g->sw;
        long rl0 = (long)N * (q - q0);                  /* local row of (0, ho, wo) */
        {
            float *d = pb + k0 * rows + rl0 * nr;       /* seek to packed (rl0, k0) */
            for (int t = 0; t < nr; t++) {
                src[t] = zeros;                         /* padding, or the last panel's extra columns */
                if (k0 + t >= K) continue;
                const tap_t *tp = taps + k0 + t;
                int h = hq + tp->dh0, w = wq + tp->dw0;
                if ((unsigned)h < (unsigned)H && (unsigned)w < (unsigned)W)
                    src[t] = x + tp->off + (long)N * (h + (long)H * w); /* seek to x[0, h, w, c] */
            }
            int n0 = 0;
#if defined(__AVX__)
            if (nr == 12) {                             /* AVX-512 sgemm: 8 + 4 columns */
                for (; n0 + 8 <= N; n0 += 8) {
                    float *dn = d + (long)n0 * 12;      /* seek to packed (rl0 + n0, k0) */
                    const float *s8[12] = {src[0] + n0, src[1] + n0, src[2] + n0, src[3] + n0,
                                           src[4] + n0, src[5] + n0, src[6] + n0, src[7] + n0,
                                           src[8] + n0, src[9] + n0, src[10] + n0, src[11] + n0};
                    transpose_ptrs_8(s8, dn, 12);
                    transpose_ptrs_4(s8 + 8, dn + 8, 12);
                }
            } else if (nr % 4 == 0) {
                for (; n0 + 8 <= N; n0 += 8) {
                    const float *s8[PACKED_B_MAX_NR];
                    for (int t = 0; t < nr; t++) s8[t] = src[t] + n0;
                    float *dn = d + (long)n0 * nr;      /* seek to packed (rl0 + n0, k0) */
                    int t = 0;
                    for (; t + 8 <= nr; t += 8) transpose_ptrs_8(s8 + t, dn + t, (size_t)nr);
                    for (; t < nr; t += 4) transpose_ptrs_4(s8 + t, dn + t, (size_t)nr);
                }
            }
#endif
            for (; n0 < N; n0++)                        /* plain form (and the tail) */
                for (int t = 0; t < nr; t++) d[(long)n0 * nr + t] = src[t][n0];
        }
    }
}

/* ------------------------------------------------------------------------
 * im2col_ptrs: the rows of P for positions [q0, q1) as sgemm_ptr_a's table
 * of pointers -- an implicit im2col, nothing copied -- when N % mr == 0:
 * a panel of mr rows is then mr batch entries of one position, and its
 * column k is mr contiguous floats of x (or of the padding zeros).
 *   x      [N, H, W, C]   x[n + N*(h + H*(w + W*c))]        (pointed into)
 *   zeros  mr zero floats, what a padding tap reads
 *   ap     [rows/mr][K] pointers, rows = N*(q1-q0); panel
 *          t = n0/mr + (N/mr)*(q - q0) (local rows n0 + N*(q - q0) on):
 *            ap[t*K + k] = x + n0 + N*(h + H*(w + W*c)), (h, w, c) the pixel
 *            tap k of position q reads, or zeros in the padding (overwritten)
 * Reference: P[n + N*q, k] = ap[((n/mr) + (N/mr)*(q - q0))*K + k][n % mr]
 * equals im2col_rows' entry.
 * ---------------------------------------------------------------------- */
static void im2col_ptrs(const float *x, const float *zeros, const tap_t *taps, const float **ap,
                        int mr, const geom_t *g, int q0, int q1) {
    const int N = g->N, H = g->H, W = g->W, Ho = g->Ho;
    const long K = g->K;
    for (int q = q0; q < q1; q++) {
        int hq = (q % Ho) * g->sh, wq = (q / Ho) * g->sw;
        for (int n0 = 0; n0 < N; n0 += mr) {
            const float **a = ap + ((long)(q - q0) * (N / mr) + n0 / mr) * K; /* seek to panel t */
            for (long k = 0; k < K; k++) {
                int h = hq + taps[k].dh0, w = wq + taps[k].dw0;
                a[k] = (unsigned)h < (unsigned)H && (unsigned)w < (unsigned)W
                     ? x + taps[k].off + n0 + (long)N * (h + (long)H * w) /* seek to x[n0, h, w, c] */
                     : zeros;
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * col2im_rows: add the rows of P for positions [q0, q1) back into the image
 * (ACCUMULATE into dx; channels c in [c0, c1) only, so threads can split by
 * channel without writing the same element).
 *   p   [N*(q1-q0), K]   p[(n + N*(q - q0)) + ldp*k]   (read)
 *   dx  [N, H, W, C]     dx[n + N*(h + H*(w + W*c))]    (accumulated into)
 * ---------------------------------------------------------------------- */
static void col2im_rows(const float *p, long ldp, float *dx, const geom_t *g, int q0, int q1,
                        int c0, int c1) {
    const int N = g->N, H = g->H, W = g->W, Ho = g->Ho;
    for (int c = c0; c < c1; c++)
    for (int j = 0; j < g->kw; j++)
    for (int i = 0; i < g->kh; i++) {
        long k = i + (long)g->kh * (j + (long)g->kw * c);
        const float *pk = p + ldp * k;                  /* seek to column k of the chunk */
        for (int wo = q0 / Ho; wo * Ho < q1; wo++) {
            int w = wo * g->sw - g->pw + j * g->dil_w;
            if (w < 0 || w >= W) continue;              /* read only padding */
            int hoa = imax(q0 - wo * Ho, 0), hob = imin(q1 - wo * Ho, Ho);
            const float *src = pk + (long)N * (wo * Ho - q0); /* seek to P[(0, 0, wo), k] */
            float *xc = dx + (long)N * H * (w + (long)W * c); /* seek to dx[0, 0, w, c] */
            int h0 = i * g->dil_h - g->ph;
            for (int ho = hoa; ho < hob; ho++) {
                int h = ho * g->sh + h0;
                if (h < 0 || h >= H) continue;
                float *d = xc + (long)N * h;            /* seek to dx[0, h, w, c] */
                const float *s = src + (long)N * ho;    /* seek to P[(0, ho, wo), k] */
                for (int n = 0; n < N; n++) d[n] += s[n];
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * conv_im2col_ref: the plain loop over every element of P (reference).
 *   x  [N, H, W, C]  x[n + N*(h + H*(w + W*c))]            (read)
 *   p  [R, K]        p[r + R*k], r = n + N*(ho + Ho*wo),
 *                    k = i + kh*(j + kw*c)                  (overwritten)
 * ---------------------------------------------------------------------- */
void conv_im2col_ref(const float *x, float *p, const conv_geom *geom) {
    geom_t g = make_geom(geom);
    const int N = g.N, H = g.H, W = g.W, C = g.C, kh = g.kh, kw = g.kw;
    const int sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, dil_h = g.dil_h, dil_w = g.dil_w;
    for (int c = 0; c < C; c++)
    for (int j = 0; j < kw; j++)
    for (int i = 0; i < kh; i++)
    for (int wo = 0; wo < g.Wo; wo++)
    for (int ho = 0; ho < g.Ho; ho++)
    for (int n = 0; n < N; n++) {
        long r = n + (long)N * (ho + (long)g.Ho * wo);
        long k = i + (long)kh * (j + (long)kw * c);
        int h = ho * sh - ph + i * dil_h, w = wo * sw - pw + j * dil_w;
        p[r + g.R * k] = (h < 0 || h >= H || w < 0 || w >= W)
                       ? 0.0f : x[n + (long)N * (h + (long)H * (w + (long)W * c))];
    }
}

/* conv_im2col: the same result as conv_im2col_ref, by contiguous runs,
 * columns split over threads. p [R, K] overwritten. */
void conv_im2col(const float *x, float *p, const conv_geom *geom) {
    geom_t g = make_geom(geom);
    const int N = g.N, H = g.H, W = g.W, C = g.C, kh = g.kh, kw = g.kw;
    int nt = kernel_threads((double)g.R * g.K, C); /* a copy: about one "flop" per element */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < C; c++) {
        geom_t gc = g;                    /* one channel: x and p seeked to it */
        gc.C = 1;
        im2col_rows(x + (long)N * H * W * c,            /* seek to x[0, 0, 0, c] */
                    p + g.R * (long)kh * kw * c,         /* seek to P[0, k(0, 0, c)] */
                    g.R, &gc, 0, g.Q);
    }
}

/* ------------------------------------------------------------------------
 * conv_col2im_ref: the plain loop (reference).
 *   p   [R, K]          p[r + R*k]                        (read)
 *   dx  [N, H, W, C]    dx[n + N*(h + H*(w + W*c))]        (OVERWRITTEN:
 *       zeroed, then every P[r, k] is added to the pixel it was read from)
 * ---------------------------------------------------------------------- */
void conv_col2im_ref(const float *p, float *dx, const conv_geom *geom) {
    geom_t g = make_geom(geom);
    const int N = g.N, H = g.H, W = g.W, C = g.C, kh = g.kh, kw = g.kw;
    const int sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, dil_h = g.dil_h, dil_w = g.dil_w;
    memset(dx, 0, sizeof(float) * (size_t)N * H * W * C);
    for (int c = 0; c < C; c++)
    for (int j = 0; j < kw; j++)
    for (int i = 0; i < kh; i++)
    for (int wo = 0; wo < g.Wo; wo++)
    for (int ho = 0; ho < g.Ho; ho++)
    for (int n = 0; n < N; n++) {
        long r = n + (long)N * (ho + (long)g.Ho * wo);
        long k = i + (long)kh * (j + (long)kw * c);
        int h = ho * sh - ph + i * dil_h, w = wo * sw - pw + j * dil_w;
        if (h < 0 || h >= H || w < 0 || w >= W) continue;
        dx[n + (long)N * (h + (long)H * (w + (long)W * c))] += p[r + g.R * k];
    }
}

/* conv_col2im: the same result as conv_col2im_ref (dx overwritten), by
 * runs, channels split over threads. */
void conv_col2im(const float *p, float *dx, const conv_geom *geom) {
    geom_t g = make_geom(geom);
    const int N = g.N, H = g.H, W = g.W, C = g.C;
    int nt = kernel_threads((double)g.R * g.K, C); /* a copy: about one "flop" per element */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < C; c++) {
        memset(dx + (long)N * H * W * c, 0, sizeof(float) * (size_t)N * H * W); /* channel c */
        col2im_rows(p, g.R, dx, &g, 0, g.Q, c, c + 1);
    }
}

/* ------------------------------------------------------------------------
 * conv2d_forward: y = P*w + b (y overwritten).
 *   x  [N, H, W, C]   x[n + N*(h + H*(w + W*c))]    (read)
 *   w  [K, O]         w[k + K*o]                     (read)
 *   b  [O]            b[o]                           (read)
 *   y  [R, O]         y[r + R*o], r = n + N*(ho + Ho*wo)   (overwritten)
 * Per chunk of positions: im2col into the thread's buffer (L2), one sgemm
 * into the chunk's rows of y (leading dimension R), then the bias on those
 * rows while they are still in cache.
 * When N is a multiple of sgemm's MR (sgemm_ptr_a_rows; 32 with AVX-512),
 * the im2col is implicit: a table of pointers into x (im2col_ptrs) that
 * sgemm_ptr_a reads A through, with the bias added as the tiles are stored
 * -- no patch buffer is written at all. On Conv2D(32, 64, 3, padding=1),
 * batch 32, 2 threads: 6.6 -> 5.7 ms (the copy into packed panels was
 * ~14 % of the pass; the fused bias another ~3 %).
 * ---------------------------------------------------------------------- */
/* conv_forward_geom: conv2d_forward on a built geometry; b may be NULL (no
 * bias). backward_full runs it too, on dy with the rotated kernel. */
static void conv_forward_geom(const float *x, const float *w, const float *b, float *y, int O,
                              const geom_t *g) {
    const int N = g->N;
    int nt = use_threads(g, O);
    int qc = chunk_positions(g, nt);
    int nchunks = (g->Q + qc - 1) / qc;
    if (nt > nchunks) nt = nchunks;
    int bs[5];
    gemm_block_sizes(bs);
    const int mr = bs[0];                               /* rows per packed panel */
    size_t chunk_rows = ((size_t)N * qc + mr - 1) / mr * mr;
    /* implicit im2col (pointers into x) when a panel is whole batch runs */
    const int pr = sgemm_ptr_a_rows();
    const int implicit = pr > 0 && N % pr == 0;
    tap_t *taps = NULL;
    float *zeros = NULL;
    /* the kernel, packed once for every chunk and thread (read-only) */
    float *wp = kernel_malloc(sizeof(float) * sgemm_packed_b_floats((int)g->K, O));
    int failed = wp == NULL;                            /* out of memory: stop, report */
    if (implicit && !failed) {
        taps = kernel_malloc(sizeof(tap_t) * (size_t)g->K);
        zeros = kernel_calloc((size_t)pr, sizeof(float));
        failed = taps == NULL || zeros == NULL;
        if (!failed) make_taps(taps, g);
    }
    if (failed) {
        free(wp);
        free(taps);
        free(zeros);
        kernel_out_of_memory();
        return;
    }
    sgemm_pack_b(0, (int)g->K, O, w, (int)g->K, wp);
    region_clock rc;
    region_begin(&rc, nt);
#pragma omp parallel num_threads(nt)
    {
        float *pbuf = implicit ? NULL : patch_buffer(chunk_rows * g->K);
        const float **ap = implicit ? kernel_malloc(sizeof(float *) * ((size_t)N / pr) * qc * g->K) : NULL;
        int mine_ok = implicit ? ap != NULL : pbuf != NULL;
        if (!mine_ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int t = 0; t < nchunks; t++) {
            if (!mine_ok) continue;                     /* this thread's chunks stay undone */
            int q0 = t * qc, q1 = imin(q0 + qc, g->Q);
            int rows = N * (q1 - q0);
            float *yc = y + (long)N * q0;               /* seek to Y[N*q0, 0] */
            /* plain form: im2col_rows(x, pbuf, rows, g, q0, q1), then
             * sgemm(0, 0, rows, O, K, 1, pbuf, rows, w, K, 0, yc, R) */
            if (ap) {
                im2col_ptrs(x, zeros, taps, ap, pr, g, q0, q1);
                /* the bias added as the tiles are stored */
                sgemm_ptr_a(rows, O, (int)g->K, (const float *const *)ap, wp, b, 0.0f, yc, (int)g->R);
                continue;
            }
            im2col_packed(x, pbuf, mr, g, q0, q1);
            sgemm_prepacked(rows, O, (int)g->K, 1.0f, 0, NULL, 0, pbuf, wp, 0.0f, yc, (int)g->R);
            for (int o = 0; b && o < O; o++) {
                float *yo = yc + g->R * o, bo = b[o];   /* seek to Y[N*q0, o] */
                for (int r = 0; r < rows; r++) yo[r] += bo;
            }
        }
        free(ap);
#ifdef _OPENMP
        if (omp_get_thread_num() == 0) region_mark(&rc);
#endif
    }
    region_end(&rc);
    free(wp);
    free(taps);
    free(zeros);
    if (failed) kernel_out_of_memory();
}


void conv2d_forward(const float *x, const float *w, const float *b, float *y, int O,
                    const conv_geom *geom) {
    geom_t g = make_geom(geom);
    conv_forward_geom(x, w, b, y, O, &g);
}

/* ------------------------------------------------------------------------
 * conv2d_backward: dx = col2im(dy * w') (dx overwritten).
 *   dy [R, O]         dy[r + R*o]                    (read)
 *   w  [K, O]         w[k + K*o]                     (read)
 *   dx [N, H, W, C]   dx[n + N*(h + H*(w + W*c))]    (overwritten)
 *
 * Three ways to the same sum (docs/conv.md derives it):
 *  0. (first choice) backward_full, way 2 below, for every stride-1 "same"
 *     call with C >= BACKWARD_FULL_MIN_C whose batch is a multiple of
 *     sgemm's MR (sgemm_ptr_a_rows):
 *     its im2col of dy is then implicit (a pointer table, im2col_ptrs),
 *     so it copies nothing and scatters nothing. On Conv2D(32, 64, 3,
 *     padding=1), batch 32, 2 threads: 7.1 -> 5.9 ms against way 1, whose
 *     dP write + col2im scatter-add it saves (with the copying im2col the
 *     full form was no faster than way 1).
 *  1. backward_col2im, for calls with enough chunks: dP = dy * w' per chunk
 *     of rows (sgemm with the wide K x O kernel as op(B): its tiles are
 *     full), then col2im of the chunk into dx; threads take whole chunks,
 *     ordered so that no two threads add into the same dx element.
 *  2. backward_full, for smaller stride-1 "same" calls: the forward
 *     convolution of dy with the kernel rotated by 180 degrees and its
 *     channel axes swapped,
 *       w180[i', j', o, c] = w[kh-1-i', kw-1-j', c, o]   ([K' = kh*kw*O, C])
 *     over dy padded by (kh-1)*dil_h - ph rows and (kw-1)*dil_w - pw columns --
 *     the lecture's conv2(dY, rot180(W), 'full'), cropped by the padding.
 *     Its output rows are dx's own rows, so the chunks are disjoint (no
 *     scatter), exactly like conv2d_forward.
 *  3. backward_col2im_serial otherwise (stride > 1, or an output smaller
 *     than the input, where the full form would multiply many padding
 *     zeros): as 1, chunk after chunk, sgemm threading itself and col2im
 *     split by channel.
 * ---------------------------------------------------------------------- */
/* backward_full: way 2 of conv2d_backward (see above). */
static void backward_full(const float *dy, const float *w, float *dx, int O, const geom_t *g) {
    const int N = g->N, C = g->C, kh = g->kh, kw = g->kw;
    /* rot180 kernel, [kh, kw, O, C] = [K', C] */
    long kk = (long)kh * kw * O;
    float *w180 = kernel_malloc(sizeof(float) * (size_t)kk * C);
    if (w180 == NULL) {
        kernel_out_of_memory();
        return;
    }
    for (int c = 0; c < C; c++)
    for (int o = 0; o < O; o++)
    for (int j = 0; j < kw; j++)
    for (int i = 0; i < kh; i++)
        w180[i + kh * (j + (long)kw * o) + kk * c] =
            w[(kh - 1 - i) + kh * ((kw - 1 - j) + (long)kw * c) + g->K * o];
    /* dy is an [N, Ho, Wo, O] image; its "full" geometry gives back H x W */
    conv_geom full = {N, g->Ho, g->Wo, O, kh, kw, 1, 1,
                      (kh - 1) * g->dil_h - g->ph, (kw - 1) * g->dil_w - g->pw, g->dil_h, g->dil_w};
    geom_t gf = make_geom(&full);
    /* the rows of dx are the forward's output rows: the same chunks, no scatter */
    conv_forward_geom(dy, w180, NULL, dx, C, &gf);
    free(w180);
}

/* backward_col2im_serial: dP = dy * w' per chunk of rows (sgemm threads
 * itself), then col2im of the chunk into dx, threads split by channel. */
static void backward_col2im_serial(const float *dy, const float *w, float *dx, int O,
                                   const geom_t *g) {
    const int N = g->N, C = g->C;
    int nt = use_threads(g, O);
    int qc = chunk_positions(g, 1);
    float *pbuf = patch_buffer((size_t)N * qc * g->K);
    if (pbuf == NULL) {
        kernel_out_of_memory();
        return;
    }
    memset(dx, 0, sizeof(float) * (size_t)N * g->H * g->W * C);
    for (int q0 = 0; q0 < g->Q; q0 += qc) {
        int q1 = imin(q0 + qc, g->Q);
        int rows = N * (q1 - q0);
        sgemm(0, 1, rows, (int)g->K, O, 1.0f, dy + (long)N * q0, (int)g->R, w, (int)g->K,
              0.0f, pbuf, rows);                        /* dY rows from N*q0 on */
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int c = 0; c < C; c++) col2im_rows(pbuf, rows, dx, g, q0, q1, c, c + 1);
    }
}

/* backward_col2im: the same, with threads taking whole chunks.
 * Two chunks write the same dx element only if they hold output columns
 * wo, wo' with |wo - wo'|*sw <= (kw-1)*dil_w; positions at least Ho*m apart,
 * m = (kw-1)*dil_w/sw + 1, never do, and chunks with `sep` whole chunks
 * between them are that far apart. Thread t owns the chunk range
 * [c0_t, c1_t); it first runs [c0_t + sep, c1_t) -- sep chunks away from
 * the previous thread's range -- then, after a barrier, its first sep
 * chunks, which are >= sep chunks away from any other thread's first sep
 * chunks when every range holds at least 2*sep chunks. Returns 1 when
 * done, 0 (nothing written) when there are too few chunks for that. */
static int backward_col2im(const float *dy, const float *w, float *dx, int O, const geom_t *g) {
    const int N = g->N;
    int nt = use_threads(g, O);
    int qc = chunk_positions(g, nt);
    int nchunks = (g->Q + qc - 1) / qc;
    long m = (long)(g->kw - 1) * g->dil_w / g->sw + 1;
    int sep = (int)((g->Ho * m - 1 + qc - 1) / qc);
    if (nt < 2 || nchunks / nt < 2 * sep) return 0;     /* too few chunks: not done */
    long plane = (long)N * g->H;                        /* floats of one dx column (w, c) */
    /* op(B) = w' [O, K], packed once for every chunk and thread (read-only) */
    float *wp = kernel_malloc(sizeof(float) * sgemm_packed_b_floats(O, (int)g->K));
    if (wp == NULL) {
        kernel_out_of_memory();
        return 1;                                       /* done: with an error */
    }
    sgemm_pack_b(1, O, (int)g->K, w, (int)g->K, wp);
    int failed = 0;
    region_clock rc;
    region_begin(&rc, nt);
#pragma omp parallel num_threads(nt)
    {
        int tid = 0, nth = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        nth = omp_get_num_threads();
#endif
        int c0 = (int)((long)nchunks * tid / nth), c1 = (int)((long)nchunks * (tid + 1) / nth);
        float *pbuf = patch_buffer((size_t)N * qc * g->K);
        if (pbuf == NULL) {
#pragma omp atomic write
            failed = 1;
            c1 = c0;                                    /* this thread's chunks stay undone */
        }
#pragma omp for schedule(static)
        for (long col = 0; col < (long)g->W * g->C; col++)
            memset(dx + plane * col, 0, sizeof(float) * (size_t)plane); /* dx[0, 0, w, c] */
        /* (the implicit barrier of the omp for: dx is zero everywhere) */
        for (int phase = 0; phase < 2; phase++) {
            int a = phase == 0 ? imin(c0 + sep, c1) : c0;
            int b = phase == 0 ? c1 : imin(c0 + sep, c1);
            for (int t = a; t < b; t++) {
                int q0 = t * qc, q1 = imin(q0 + qc, g->Q);
                int rows = N * (q1 - q0);
                /* plain form: sgemm(0, 1, rows, K, O, 1, dY rows, R, w, K, 0, pbuf, rows) */
                sgemm_prepacked(rows, (int)g->K, O, 1.0f, 0, dy + (long)N * q0, (int)g->R, NULL,
                                wp, 0.0f, pbuf, rows);  /* dY rows from N*q0 on */
                col2im_rows(pbuf, rows, dx, g, q0, q1, 0, g->C);
            }
#pragma omp barrier
        }
        if (tid == 0) region_mark(&rc);
    }
    region_end(&rc);
    free(wp);
    if (failed) kernel_out_of_memory();
    return 1;
}

void conv2d_backward(const float *dy, const float *w, float *dx, int O, const conv_geom *geom) {
    geom_t g = make_geom(geom);
    const int N = g.N, H = g.H, W = g.W, C = g.C, sh = g.sh, sw = g.sw;
    /* the full form also multiplies the zeros around dy by w, so it would
     * turn an inf in w into NaN where col2im (and NumPy) never read it */
    int same = sh == 1 && sw == 1 && (double)H * W <= BACKWARD_FULL_MAX_GROWTH * g.Ho * g.Wo
               && all_finite(w, (size_t)g.K * O);
    int pr = sgemm_ptr_a_rows();
    /* full form, im2col implicit: no copy, no scatter -- when its C output
     * columns mostly fill the 12/8/4-column register tiles (C = 1, LeNet's
     * first layer, ran at 1 useful column in 4: 0.24 -> 0.45 ms) */
    if (same && pr > 0 && N % pr == 0 && C >= BACKWARD_FULL_MIN_C) {
        backward_full(dy, w, dx, O, &g);
        return;
    }
    if (backward_col2im(dy, w, dx, O, &g)) return;      /* threads over chunks, if it can */
    /* one thread over chunks (small calls): the full convolution computes
     * H*W output positions, col2im reads Ho*Wo; same work per position, so
     * the full form only when the padding keeps the size ("same") */
    if (same)
        backward_full(dy, w, dx, O, &g);
    else
        backward_col2im_serial(dy, w, dx, O, &g);
}

/* ------------------------------------------------------------------------
 * conv2d_delta_weights: dweights += P' * dy, dbias += sum_r dy (both ACCUMULATE).
 *   x        [N, H, W, C]   x[n + N*(h + H*(w + W*c))]    (read)
 *   dy       [R, O]         dy[r + R*o]                    (read)
 *   dweights [K, O]         dweights[k + K*o]              (accumulated into)
 *   dbias    [O]            dbias[o]                       (accumulated into)
 * Each thread rebuilds its chunks of P (straight into sgemm's packed-B
 * layout, im2col_packed_b) and accumulates dY_chunk' * P_chunk
 * into its own [O, K] partial sum, and the chunk's column sums of dY into
 * its own bias partial sum (while the rows are in cache); the partial sums
 * are added in thread order (deterministic for a given thread count).
 * ---------------------------------------------------------------------- */
/* delta_weights_direct: dweights += P' * dy without building P, for few
 * output channels (where sgemm's tiles would be mostly padding).
 *   dW[k, o] += sum over wo, the valid ho and n of
 *               x[n, ho*sh + i*dil_h - ph, wo*sw + j*dil_w - pw, c] * dy[n, ho, wo, o]
 * For a fixed tap k = (i, j, c) and column wo the (n, ho) terms are, with
 * sh == 1, one contiguous run of x and one of every dy column: dot products
 * of runs, DW_OB output channels at a time (x is loaded once for all of
 * them), each in DW_VL independent partial sums so the compiler vectorises
 * them (a single running sum could not be reordered). Threads split the
 * taps k, so each writes its own rows of dweights. */
#define DW_OB 8
#define DW_VL 16
#ifndef DW_DIRECT_MAX_O
#define DW_DIRECT_MAX_O 16
#endif

/* 16 floats as one value (GCC/Clang vector extension): one AVX-512
 * register, or two AVX2 ones; the plain loop was not vectorised */
typedef float v16f __attribute__((vector_size(DW_VL * sizeof(float))));

static inline v16f load16(const float *p) {
    v16f v;
    memcpy(&v, p, sizeof v);                            /* an unaligned vector load */
    return v;
}

/* dot_runs: acc[oo] += x[t] * dy_oo[off + t] lane-wise, tail[oo] for the
 * last len % 16 terms. Reference form of the loop:
 *   for (t = 0; t < len; t++) for (oo) sum[oo] += xr[t] * dyo[oo][off + t]; */
static inline __attribute__((always_inline))
void dot_runs(const float *xr, const float *const *dyo, long off, int len,
              v16f acc[DW_OB], float tail[DW_OB]) {
    const float *d[DW_OB];
    for (int oo = 0; oo < DW_OB; oo++) d[oo] = dyo[oo] + off; /* seek to dY[run start, o] */
    v16f a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    v16f a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    int t = 0;
    for (; t + DW_VL <= len; t += DW_VL) {
        v16f xv = load16(xr + t);
        a0 += xv * load16(d[0] + t); a1 += xv * load16(d[1] + t);
        a2 += xv * load16(d[2] + t); a3 += xv * load16(d[3] + t);
        a4 += xv * load16(d[4] + t); a5 += xv * load16(d[5] + t);
        a6 += xv * load16(d[6] + t); a7 += xv * load16(d[7] + t);
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
    acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
    for (; t < len; t++)
        for (int oo = 0; oo < DW_OB; oo++) tail[oo] += xr[t] * d[oo][t];
}

static void delta_weights_direct(const float *x, const float *dy, float *dweights, int O,
                                 const geom_t *g) {
    const int N = g->N, H = g->H, W = g->W, Ho = g->Ho, kh = g->kh, kw = g->kw;
    int nt = use_threads(g, O);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (long k = 0; k < g->K; k++) {
        int i = (int)(k % kh), j = (int)((k / kh) % kw), c = (int)(k / ((long)kh * kw));
        int h0 = i * g->dil_h - g->ph;
        for (int o0 = 0; o0 < O; o0 += DW_OB) {
            v16f acc[DW_OB];
            for (int oo = 0; oo < DW_OB; oo++) acc[oo] = (v16f){0};
            float tail[DW_OB] = {0.0f};
            const float *dyo[DW_OB];
            for (int oo = 0; oo < DW_OB; oo++)  /* past the last channel: reuse it, discard below */
                dyo[oo] = dy + g->R * imin(o0 + oo, O - 1);   /* seek to dY[0, o] */
            for (int wo = 0; wo < g->Wo; wo++) {
                int w = wo * g->sw - g->pw + j * g->dil_w;
                if (w < 0 || w >= W) continue;
                const float *xc = x + (long)N * H * (w + (long)W * c); /* seek to x[0, 0, w, c] */
                if (g->sh == 1) {
                    int lo = imin(imax(-h0, 0), Ho), hi = imax(imin(H - h0, Ho), lo);
                    dot_runs(xc + (long)N * (lo + h0), dyo, (long)N * (lo + (long)Ho * wo),
                             N * (hi - lo), acc, tail);
                } else {
                    for (int ho = 0; ho < Ho; ho++) {
                        int h = ho * g->sh + h0;
                        if (h < 0 || h >= H) continue;
                        dot_runs(xc + (long)N * h, dyo, (long)N * (ho + (long)Ho * wo), N, acc, tail);
                    }
                }
            }
            for (int oo = 0; oo < DW_OB && o0 + oo < O; oo++) {
                float sum = tail[oo];
                for (int l = 0; l < DW_VL; l++) sum += acc[oo][l];
                dweights[k + g->K * (o0 + oo)] += sum;
            }
        }
    }
}

void conv2d_delta_weights(const float *x, const float *dy, float *dweights, float *dbias, int O,
                          const conv_geom *geom) {
    geom_t g = make_geom(geom);
    const int N = g.N;
    /* the direct form skips the padding taps, whose products with dy NumPy
     * does form: 0 * NaN and 0 * inf are NaN there, so non-finite dy goes
     * the packed way, which multiplies the padding zeros as NumPy does */
    if (O <= DW_DIRECT_MAX_O && all_finite(dy, (size_t)g.R * O)) {
        bias_grad(dy, dbias, (int)g.R, O);
        delta_weights_direct(x, dy, dweights, O, &g);
        return;
    }
    int nt = use_threads(&g, O);
    int qc = chunk_positions(&g, nt);
    int nchunks = (g.Q + qc - 1) / qc;
    if (nt > nchunks) nt = nchunks;
    size_t wsize = (size_t)g.K * O;
    int bs[5];
    gemm_block_sizes(bs);
    const int nr = bs[1];                               /* columns per packed B panel */
    size_t kpad = ((size_t)g.K + nr - 1) / nr * nr;     /* K rounded up to whole panels */
    /* per-thread partial sums, TRANSPOSED: [O, K], partT[o + O*k]. The
     * product dW' = dY' * P has op(B) = P untransposed (packed by reading
     * its columns, which are contiguous) and O x K tiles that fill sgemm's
     * register tile (O = 64 is 2 x MR, K = 288 is 24 x NR), where P' * dY
     * would pack P by strided reads. */
    float *part = kernel_calloc(wsize * (size_t)nt, sizeof(float));
    float *zeros = kernel_calloc((size_t)N, sizeof(float)); /* what a padding tap reads */
    tap_t *taps = kernel_malloc(sizeof(tap_t) * (size_t)g.K);
    double *bpart = kernel_calloc((size_t)O * nt, sizeof(double)); /* per-thread bias sums [O] */
    if (!part || !zeros || !taps || !bpart) {            /* out of memory: dW, db untouched */
        free(taps);
        free(zeros);
        free(bpart);
        free(part);
        kernel_out_of_memory();
        return;
    }
    make_taps(taps, &g);
    int failed = 0;
    region_clock rc;
    region_begin(&rc, nt);
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        float *mine = part + wsize * tid;               /* seek to this thread's sum */
        double *bmine = bpart + (size_t)O * tid;
        float *pbuf = patch_buffer((size_t)N * qc * kpad); /* P chunk, packed as B */
        if (pbuf == NULL) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int t = 0; t < nchunks; t++) {
            if (pbuf == NULL) continue;
            int q0 = t * qc, q1 = imin(q0 + qc, g.Q);
            int rows = N * (q1 - q0);
            const float *dyc = dy + (long)N * q0;       /* seek to dY[N*q0, 0] */
            /* plain form: im2col_rows(x, pbuf, rows, &g, q0, q1), then
             * sgemm(1, 0, O, K, rows, 1, dyc, R, pbuf, rows, 1, mine, O) */
            if (nr <= PACKED_B_MAX_NR) {
                im2col_packed_b(x, zeros, taps, pbuf, nr, &g, q0, q1);
                sgemm_prepacked(O, (int)g.K, rows, 1.0f, 1, dyc, (int)g.R, NULL, pbuf, 1.0f,
                                mine, O);
            } else {
                im2col_rows(x, pbuf, rows, &g, q0, q1);
                sgemm(1, 0, O, (int)g.K, rows, 1.0f, dyc, (int)g.R, pbuf, rows, 1.0f, mine, O);
            }
            /* the bias gradient of these rows while they are in cache: per
             * column, 16 float partial sums over the chunk, added in double */
            for (int o = 0; o < O; o++) {
                const float *d = dyc + g.R * o;         /* seek to dY[N*q0, o] */
                float ps[16] = {0.0f};
                int r = 0;
                for (; r + 16 <= rows; r += 16)
                    for (int l = 0; l < 16; l++) ps[l] += d[r + l];
                double sum = 0.0;
                for (; r < rows; r++) sum += d[r];
                for (int l = 0; l < 16; l++) sum += ps[l];
                bmine[o] += sum;
            }
        }
#ifdef _OPENMP
        if (tid == 0) region_mark(&rc);
#endif
    }
    region_end(&rc);
    if (failed) {                                       /* a thread had no buffer: dW, db untouched */
        free(taps);
        free(zeros);
        free(bpart);
        free(part);
        kernel_out_of_memory();
        return;
    }
    for (int t = 0; t < nt; t++) {                      /* dW[k, o] += partT[o, k] */
        for (long k = 0; k < g.K; k++)
            for (int o = 0; o < O; o++) dweights[k + g.K * o] += part[wsize * t + o + (size_t)O * k];
    }
    for (int o = 0; o < O; o++) {
        double sum = 0.0;
        for (int t = 0; t < nt; t++) sum += bpart[(size_t)O * t + o];
        dbias[o] += (float)sum;
    }
    free(taps);
    free(zeros);
    free(bpart);
    free(part);
}
