/*
 * lstm.c -- LSTM kernels for the framework's C backend.
 *
 *   lstm_cell_forward       one time step's gate arithmetic, fused
 *   lstm_cell_backward      its derivative, fused
 *   lstm_sequence_forward   the forward time loop: recurrent product + cell
 *   lstm_sequence_backward  backpropagation through time: product + cell
 *   (the recurrent products use W packed once per call, see rec_product;
 *    the time loops split the batch over the OpenMP threads)
 *   lstm_bias_grad          column sums of the gate deltas
 *   *_ref                   plain loops with libm, kept beside the fast ones
 *
 * Contracts in kernels.h; the readable reference is
 * framework/backend/numpy_lstm.py and the equations are in docs/lstm.md.
 *
 * Layout. The caches are ROW-major [rows, K] buffers with rows r = n + N*t
 * (the same row numbering as the layer's column-major [N*T, F] tensors), so
 * the N rows of time step t are one contiguous block of N*K floats:
 *
 *   gates  [T*N, 4H]  gates[(n + N*t)*4H + q*H + j]   gate q in (i, f, o, g)
 *   hs, cs [(T+1)*N, H]  hs[(n + N*t)*H + j]          block 0 = initial state
 *
 * Read as column-major matrices these are [4H, N*T] and [H, N*(T+1)] with
 * leading dimensions 4H and H, which is how the layer hands them to sgemm
 * for the products over all steps: every time step is a dense block, no
 * strided gather (a
 * column-major [N*T, 4H] cache would put step t's 4H columns 4*N*T bytes
 * apart: 4 KB for N = T = 32, the worst stride for cache associativity).
 *
 * The gate loops run over the H units of one sample (contiguous in every
 * buffer), with branch-free inline exp and tanh so GCC vectorises them: the
 * same Cephes polynomials as elementwise.c (static there, so copied here).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fastmath.h"
#include "kernels.h"
#include "runtime.h"

/*
 * Gate loops are split over the batch on the OpenMP threads once a step has
 * this many units (N*H): below it, waking the team costs more than it saves.
 */
#define LSTM_PARALLEL_MIN_UNITS 2048

/* ------------------------------------------------------------------------
 * One sample's H units of one step: the body both cell kernels loop over n.
 *   g   [4H]  this sample's gate row, g[q*H + j]   (pre-activations in,
 *             activations out: overwritten)
 *   b   [4H]  bias (read)
 *   cp  [H]   c_{t-1} (read);  c, tc, h [H]: c_t, tanh(c_t), h_t (overwritten)
 * ---------------------------------------------------------------------- */
static inline void cell_forward_row(float *restrict g, const float *restrict b,
                                    const float *restrict cp, float *restrict c,
                                    float *restrict tc, float *restrict h, int H) {
    float *restrict gi = g;           /* seek to gate i of this row, g[0*H + j] */
    float *restrict gf = g + H;       /* seek to gate f, g[1*H + j] */
    float *restrict go = g + 2 * H;   /* seek to gate o, g[2*H + j] */
    float *restrict gg = g + 3 * H;   /* seek to gate g, g[3*H + j] */
    const float *bi = b, *bf = b + H, *bo = b + 2 * H, *bg = b + 3 * H;
    for (int j = 0; j < H; j++) {
        float i = sigmoid_inline(gi[j] + bi[j]);
        float f = sigmoid_inline(gf[j] + bf[j]);
        float o = sigmoid_inline(go[j] + bo[j]);
        float gv = tanh_inline(gg[j] + bg[j]);
        float cv = f * cp[j] + i * gv;
        float t = tanh_inline(cv);
        gi[j] = i;
        gf[j] = f;
        go[j] = o;
        gg[j] = gv;
        c[j] = cv;
        tc[j] = t;
        h[j] = o * t;
    }
}

/*
 * lstm_cell_forward: see kernels.h.
 *   gates  [N, 4H] row-major, gates[n*4H + q*H + j]  (in: x*U + h*W without
 *          bias; out: activations i, f, o, g -- overwritten)
 *   bias   [4H]                                       (read)
 *   c_prev [N, H] row-major, c_prev[n*H + j]          (read)
 *   c, tanh_c, h [N, H] row-major, [n*H + j]          (overwritten)
 */
void lstm_cell_forward(float *gates, const float *bias, const float *c_prev, float *c,
                       float *tanh_c, float *h, int N, int H) {
    int nt = (long)N * H >= LSTM_PARALLEL_MIN_UNITS ? kernel_threads(40.0 * N * H, N) : 1;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
    for (int n = 0; n < N; n++) {
        size_t r4 = (size_t)n * 4 * H, r1 = (size_t)n * H; /* seek to row n */
        cell_forward_row(gates + r4, bias, c_prev + r1, c + r1, tanh_c + r1, h + r1, H);
    }
}

/* the plain loop, with libm: the reference for lstm_cell_forward */
void lstm_cell_forward_ref(float *gates, const float *bias, const float *c_prev, float *c,
                           float *tanh_c, float *h, int N, int H) {
    for (int n = 0; n < N; n++) {
        for (int j = 0; j < H; j++) {
            float *g = gates + (size_t)n * 4 * H; /* seek to row n */
            float i = 1.0f / (1.0f + expf(-(g[j] + bias[j])));
            float f = 1.0f / (1.0f + expf(-(g[H + j] + bias[H + j])));
            float o = 1.0f / (1.0f + expf(-(g[2 * H + j] + bias[2 * H + j])));
            float gv = tanhf(g[3 * H + j] + bias[3 * H + j]);
            size_t k = (size_t)n * H + j;
            c[k] = f * c_prev[k] + i * gv;
            tanh_c[k] = tanhf(c[k]);
            h[k] = o * tanh_c[k];
            g[j] = i;
            g[H + j] = f;
            g[2 * H + j] = o;
            g[3 * H + j] = gv;
        }
    }
}

/* ------------------------------------------------------------------------
 * One sample's H units of the step's derivative.
 *   g  [4H] activations i, f, o, g (read);  cp, tc, dh [H] (read)
 *   dc [H]  in: dL/dc_t via step t+1; out: dL/dc_{t-1} (overwritten)
 *   dg [4H] pre-activation deltas (overwritten)
 * ---------------------------------------------------------------------- */
static inline void cell_backward_row(const float *restrict g, const float *restrict cp,
                                     const float *restrict tc, const float *restrict dh,
                                     float *restrict dc, float *restrict dg, int H) {
    const float *gi = g, *gf = g + H, *go = g + 2 * H, *gg = g + 3 * H; /* seek to each gate */
    float *restrict di = dg, *restrict df = dg + H, *restrict dof = dg + 2 * H,
          *restrict dgg = dg + 3 * H;
    for (int j = 0; j < H; j++) {
        float i = gi[j], f = gf[j], o = go[j], gv = gg[j], t = tc[j];
        float dct = dc[j] + dh[j] * o * (1.0f - t * t);
        di[j] = dct * gv * (i * (1.0f - i));
        df[j] = dct * cp[j] * (f * (1.0f - f));
        dof[j] = dh[j] * t * (o * (1.0f - o));
        dgg[j] = dct * i * (1.0f - gv * gv);
        dc[j] = dct * f;
    }
}

/*
 * lstm_cell_backward: see kernels.h.
 *   gates  [N, 4H] row-major activations, gates[n*4H + q*H + j]  (read)
 *   c_prev, tanh_c, dh [N, H] row-major, [n*H + j]              (read)
 *   dc     [N, H] row-major  (in: dL/dc_t through step t+1;
 *                             out: dL/dc_{t-1} -- overwritten)
 *   dgates [N, 4H] row-major (overwritten)
 */
void lstm_cell_backward(const float *gates, const float *c_prev, const float *tanh_c,
                        const float *dh, float *dc, float *dgates, int N, int H) {
    int nt = (long)N * H >= 4 * LSTM_PARALLEL_MIN_UNITS ? kernel_threads(20.0 * N * H, N) : 1;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
    for (int n = 0; n < N; n++) {
        size_t r4 = (size_t)n * 4 * H, r1 = (size_t)n * H; /* seek to row n */
        cell_backward_row(gates + r4, c_prev + r1, tanh_c + r1, dh + r1, dc + r1,
                          dgates + r4, H);
    }
}

/* the plain loop: the reference for lstm_cell_backward */
void lstm_cell_backward_ref(const float *gates, const float *c_prev, const float *tanh_c,
                            const float *dh, float *dc, float *dgates, int N, int H) {
    for (int n = 0; n < N; n++) {
        for (int j = 0; j < H; j++) {
            const float *g = gates + (size_t)n * 4 * H; /* seek to row n */
            float *d = dgates + (size_t)n * 4 * H;
            size_t k = (size_t)n * H + j;
            float i = g[j], f = g[H + j], o = g[2 * H + j], gv = g[3 * H + j];
            float dct = dc[k] + dh[k] * o * (1.0f - tanh_c[k] * tanh_c[k]);
            d[j] = dct * gv * i * (1.0f - i);
            d[H + j] = dct * c_prev[k] * f * (1.0f - f);
            d[2 * H + j] = dh[k] * tanh_c[k] * o * (1.0f - o);
            d[3 * H + j] = dct * i * (1.0f - gv * gv);
            dc[k] = dct * f;
        }
    }
}

/* ------------------------------------------------------------------------
 * The recurrent product, with W packed once per sequence.
 *
 * Every step multiplies a few rows (one thread's samples) by the same W:
 *   forward   gates_t[n, k] += sum_j h_{t-1}[n, j] * W[j, k]    P = H,  C = 4H
 *   backward  dh_t[n, j]    += sum_k da_{t+1}[n, k] * W[j, k]   P = 4H, C = H
 * i.e. Crows += Arows * B with one B [P, C] for all T steps. sgemm would
 * pack B again at every step, which for 16 rows costs about as much as the
 * product itself; here B is packed once, into column panels of RP = 64:
 *   bp[(cp*P + p)*RP + cc] = B[p, cp*RP + cc]   (zero past column C)
 * a contiguous P x 64 block per panel (32 KB for P = 128: it stays in L1
 * while the row tiles go by), and a register tile of RN = 4 rows x 64
 * columns (16 zmm accumulators) runs over p.
 * ---------------------------------------------------------------------- */
#define RP 64
#define RN 4

static size_t packed_size(int P, int C) { return (size_t)P * (size_t)((C + RP - 1) / RP) * RP; }

/*
 * pack_panels: bp (overwritten) as above, from B[p, c] = b[p*ldp + c*ldc] (read).
 * The loop nest walks b with unit stride, whichever of ldp, ldc is 1.
 */
static void pack_panels(const float *b, size_t ldp, size_t ldc, int P, int C, float *bp) {
    int panels = (C + RP - 1) / RP;
    for (int cp = 0; cp < panels; cp++) {
        float *panel = bp + (size_t)cp * P * RP; /* seek to panel cp */
        if (ldp == 1) {
            for (int cc = 0; cc < RP; cc++) {
                int c = cp * RP + cc;
                const float *col = b + (size_t)c * ldc; /* seek to B[0, c] */
                for (int p = 0; p < P; p++) panel[(size_t)p * RP + cc] = c < C ? col[p] : 0.0f;
            }
        } else {
            for (int p = 0; p < P; p++) {
                const float *row = b + (size_t)p * ldp; /* seek to B[p, 0] */
                for (int cc = 0; cc < RP; cc++) {
                    int c = cp * RP + cc;
                    panel[(size_t)p * RP + cc] = c < C ? row[(size_t)c * ldc] : 0.0f;
                }
            }
        }
    }
}

/*
 * panel_tile: c[n*ldc + cc] += sum_p a[n*lda + p] * bp[p*RP + cc]
 *   for rows n < nr (1..RN) and columns cc < cols (1..RP).
 *   a  [nr, P] row-major, a[n*lda + p]       (read)
 *   bp [P, RP] one packed panel, bp[p*RP + cc] (read)
 *   c  [nr, cols] row-major, c[n*ldc + cc]    (accumulated into)
 */
#if defined(__AVX512F__)
#include <immintrin.h>
static void panel_tile(int nr, int P, const float *a, size_t lda, const float *bp,
                       float *c, size_t ldc, int cols) {
    const float *ar[RN];
    for (int r = 0; r < RN; r++) ar[r] = a + (size_t)(r < nr ? r : 0) * lda; /* seek to row r
                                                      (row 0 stands in for rows past nr) */
    __m512 acc[RN][4];
#pragma GCC unroll 4
    for (int r = 0; r < RN; r++) {
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) acc[r][q] = _mm512_setzero_ps();
    }
    for (int p = 0; p < P; p++) {
        const float *bpp = bp + (size_t)p * RP; /* seek to row p of the panel */
        __m512 b0 = _mm512_loadu_ps(bpp), b1 = _mm512_loadu_ps(bpp + 16);
        __m512 b2 = _mm512_loadu_ps(bpp + 32), b3 = _mm512_loadu_ps(bpp + 48);
        /* keep the panel row in registers: GCC would otherwise fold these
         * loads into all 16 FMAs (16 vector loads per p instead of 4), and
         * the loads, not the FMAs, would set the pace */
        __asm__("" : "+v"(b0), "+v"(b1), "+v"(b2), "+v"(b3));
#pragma GCC unroll 4
        for (int r = 0; r < RN; r++) {
            __m512 av = _mm512_set1_ps(ar[r][p]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(av, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(av, b3, acc[r][3]);
        }
    }
    __mmask16 mask[4];
    for (int q = 0; q < 4; q++) {
        int m = cols - 16 * q;
        mask[q] = m >= 16 ? (__mmask16)0xFFFF : m <= 0 ? (__mmask16)0 : (__mmask16)((1u << m) - 1);
    }
    for (int r = 0; r < nr; r++) {
        float *cr = c + (size_t)r * ldc; /* seek to row r of c */
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            __m512 old = _mm512_maskz_loadu_ps(mask[q], cr + 16 * q);
            _mm512_mask_storeu_ps(cr + 16 * q, mask[q], _mm512_add_ps(old, acc[r][q]));
        }
    }
}
#else
/* portable: the same tile as plain loops, for the compiler to vectorise */
static void panel_tile(int nr, int P, const float *a, size_t lda, const float *bp,
                       float *c, size_t ldc, int cols) {
    float acc[RN][RP];
    for (int r = 0; r < nr; r++) {
        for (int cc = 0; cc < RP; cc++) acc[r][cc] = 0.0f;
        const float *ar = a + (size_t)r * lda; /* seek to row r */
        for (int p = 0; p < P; p++) {
            float av = ar[p];
            const float *bpp = bp + (size_t)p * RP; /* seek to row p of the panel */
            for (int cc = 0; cc < RP; cc++) acc[r][cc] += av * bpp[cc];
        }
        float *cr = c + (size_t)r * ldc;
        for (int cc = 0; cc < cols; cc++) cr[cc] += acc[r][cc];
    }
}
#endif

/*
 * rec_product: c[n*ldc + k] += sum_p a[n*lda + p] * B[p, k] for n < rows, k < C,
 * B given packed by pack_panels (P rows). a read, c accumulated into.
 */
static void rec_product(int rows, int P, int C, const float *a, size_t lda, const float *bp,
                        float *c, size_t ldc) {
    int panels = (C + RP - 1) / RP;
    for (int cp = 0; cp < panels; cp++) {
        int cols = C - cp * RP < RP ? C - cp * RP : RP;
        const float *panel = bp + (size_t)cp * P * RP; /* seek to panel cp */
        for (int n = 0; n < rows; n += RN) {
            int nr = rows - n < RN ? rows - n : RN;
            /* seek to row n of a, and to c[n, cp*RP] */
            panel_tile(nr, P, a + (size_t)n * lda, lda, panel, c + (size_t)n * ldc + (size_t)cp * RP,
                       ldc, cols);
        }
    }
}

/*
 * The packed W of the last sequence call, per calling thread (kept between
 * calls: a fresh malloc of 256 KB costs page faults every batch). Grown on
 * demand; NULL when out of memory (then the loops use sgemm instead).
 */
static _Thread_local float *tl_pack = NULL;
static _Thread_local size_t tl_pack_cap = 0; /* in floats */
static _Thread_local unsigned tl_pack_generation = 0; /* kernel_buffer_generation() */

static float *pack_buffer(size_t nfloats) {
    if (nfloats > tl_pack_cap || tl_pack_generation != kernel_buffer_generation()) {
        tl_pack_generation = kernel_buffer_generation();
        free(tl_pack);
        size_t bytes = (nfloats * sizeof(float) + 63) / 64 * 64;
        tl_pack = kernel_aligned_alloc(64, bytes);
        tl_pack_cap = tl_pack ? nfloats : 0;
    }
    return tl_pack;
}

/*
 * The time loops split the BATCH over the threads: sample n's states
 * depend only on its own earlier states, so each thread runs all T steps
 * on its own slab of samples n0..n1-1 with no barrier between steps (the
 * recurrent product of a slab is the sgemm of that slab's columns). One
 * OpenMP team for the whole sequence instead of two joins per step, and
 * the gate arithmetic runs on every thread for free.
 * A step is worth splitting when its product, 2*N*H*4H flops, is large.
 */
#define LSTM_PARALLEL_MIN_FLOPS 2000000.0

static int slab_threads(int N, int H) {
    double flops = 2.0 * N * H * 4.0 * H;
    /* at least one sample each; one in a forked child or on a busy machine */
    return flops >= LSTM_PARALLEL_MIN_FLOPS ? kernel_threads(flops, N) : 1;
}

/*
 * forward_slab: lstm_sequence_forward for samples n0 <= n < n1 only.
 * Arguments as lstm_sequence_forward.
 */
static void forward_slab(float *gates, const float *w, const float *wp, const float *bias,
                         float *hs, float *cs, float *tanh_cs, float *y, int ldy, int t0,
                         int N, int T, int H, int n0, int n1) {
    size_t g_step = (size_t)N * 4 * H, h_step = (size_t)N * H;
    int nb = n1 - n0;
    /* a zero initial state (the default) contributes nothing at t = 0,
     * unless W holds a NaN or inf: then 0 * W is NaN, as in NumPy's product */
    int h0_zero = all_finite(w, (size_t)H * 4 * H);
    for (size_t k = (size_t)n0 * H; k < (size_t)n1 * H; k++) h0_zero &= hs[k] == 0.0f;
    for (int t = 0; t < T; t++) {
        float *gt = gates + g_step * t + (size_t)n0 * 4 * H; /* seek to gates[N*t + n0, 0] */
        const float *hp = hs + h_step * t + (size_t)n0 * H;  /* seek to h_{t-1}[n0, 0] */
        if (t == 0 && h0_zero) {
            /* skip the product */
        } else if (wp != NULL) {
            /* gates_t[n, k] += sum_j h_{t-1}[n, j] * W[j, k] on the packed W */
            rec_product(nb, H, 4 * H, hp, H, wp, gt, 4 * H);
        } else {
            /* the same as gates_t' [4H, nb] += W' [4H, H] * h_{t-1}' [H, nb] */
            sgemm(1, 0, 4 * H, nb, H, 1.0f, w, H, hp, H, 1.0f, gt, 4 * H);
        }
        for (int n = n0; n < n1; n++) {
            size_t r1 = h_step * t + (size_t)n * H;         /* seek to row N*t + n, [H] blocks */
            cell_forward_row(gates + g_step * t + (size_t)n * 4 * H, bias,
                             cs + r1,                        /* c_{t-1}: block t */
                             cs + r1 + h_step,               /* c_t: block t+1 */
                             tanh_cs + r1,                   /* tanh(c_t): block t */
                             hs + r1 + h_step,               /* h_t: block t+1 */
                             H);
        }
        if (y != NULL && t >= t0) {
            /* h_t also into the column-major output: y[(n + N*(t-t0)) + ldy*j] */
            const float *ht = hs + h_step * (t + 1);         /* seek to h_t, block t+1 */
            float *yt = y + (size_t)N * (t - t0);            /* seek to y[N*(t-t0), 0] */
            for (int j = 0; j < H; j++) {
                for (int n = n0; n < n1; n++) yt[n + (size_t)ldy * j] = ht[(size_t)n * H + j];
            }
        }
    }
}

/*
 * lstm_sequence_forward: see kernels.h.
 *   gates   [T*N, 4H] row-major (in: x*U of every step; out: activations)
 *   w       [H, 4H] column-major, w[j + H*k]  (read)
 *   bias    [4H]                              (read)
 *   hs, cs  [(T+1)*N, H] row-major; block 0 (h_{-1}, c_{-1}) read,
 *           blocks 1..T overwritten with h_t, c_t
 *   tanh_cs [T*N, H] row-major (overwritten)
 *   y       NULL, or column-major output, h_t of sample n at
 *           y[(n + N*(t - t0)) + ldy*j] for t >= t0 (overwritten)
 * Per step t: gates_t += h_{t-1} * W, as the column-major product
 * gates_t' [4H, N] += W' [4H, H] * h_{t-1}' [H, N]; then the cell.
 */
void lstm_sequence_forward(float *gates, const float *w, const float *bias, float *hs,
                           float *cs, float *tanh_cs, float *y, int ldy, int t0,
                           int N, int T, int H) {
    /* W as B[j, k] = w[j + H*k]: P = H rows, C = 4H columns */
    float *wp = pack_buffer(packed_size(H, 4 * H));
    if (wp != NULL) pack_panels(w, 1, (size_t)H, H, 4 * H, wp);
    int nt = slab_threads(N, H);
    if (nt <= 1) {
        forward_slab(gates, w, wp, bias, hs, cs, tanh_cs, y, ldy, t0, N, T, H, 0, N);
        return;
    }
#ifdef _OPENMP
    region_clock rc;
    region_begin(&rc, nt);
#pragma omp parallel num_threads(nt)
    {
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        int n0 = (int)((long)N * tid / nth), n1 = (int)((long)N * (tid + 1) / nth);
        if (n1 > n0) forward_slab(gates, w, wp, bias, hs, cs, tanh_cs, y, ldy, t0, N, T, H, n0, n1);
        if (tid == 0) region_mark(&rc);
    }
    region_end(&rc);
#endif
}

/*
 * backward_slab: lstm_sequence_backward for samples n0 <= n < n1 only.
 * Arguments as lstm_sequence_backward.
 */
static void backward_slab(const float *gates, const float *w, const float *wp, const float *cs,
                          const float *tanh_cs, float *dhs, float *dc, float *dgates,
                          float *dh0, const float *dy, int lddy, int t0, int N, int T, int H,
                          int n0, int n1) {
    size_t g_step = (size_t)N * 4 * H, h_step = (size_t)N * H;
    int nb = n1 - n0;
    for (int t = T - 1; t >= 0; t--) {
        float *dht = dhs + h_step * t + (size_t)n0 * H;     /* seek to dh_t[n0, 0] */
        if (dy != NULL) {
            /* dh_t = the output's delta: dy[(n + N*(t-t0)) + lddy*j], or 0 before t0 */
            for (int n = n0; n < n1; n++) {
                float *d = dhs + h_step * t + (size_t)n * H;  /* seek to dh_t[n, 0] */
                if (t >= t0) {
                    const float *dyt = dy + (size_t)N * (t - t0) + n; /* seek to dy[n + N*(t-t0), 0] */
                    for (int j = 0; j < H; j++) d[j] = dyt[(size_t)lddy * j];
                } else {
                    for (int j = 0; j < H; j++) d[j] = 0.0f;
                }
            }
        }
        if (t + 1 < T) {
            const float *dan = dgates + g_step * (t + 1) + (size_t)n0 * 4 * H; /* seek to
                                                        da_{t+1}[n0, 0], block t+1 of dgates */
            if (wp != NULL) {
                /* dh_t[n, j] += sum_k da_{t+1}[n, k] * W[j, k] on the packed W' */
                rec_product(nb, 4 * H, H, dan, 4 * H, wp, dht, H);
            } else {
                /* the same as dh_t' [H, nb] += W [H, 4H] * da_{t+1}' [4H, nb] */
                sgemm(0, 0, H, nb, 4 * H, 1.0f, w, H, dan, 4 * H, 1.0f, dht, H);
            }
        }
        for (int n = n0; n < n1; n++) {
            size_t r4 = g_step * t + (size_t)n * 4 * H;     /* seek to row N*t + n, [4H] blocks */
            size_t r1 = h_step * t + (size_t)n * H;         /* seek to row N*t + n, [H] blocks */
            cell_backward_row(gates + r4, cs + r1 /* c_{t-1} */, tanh_cs + r1, dhs + r1,
                              dc + (size_t)n * H, dgates + r4, H);
        }
    }
    if (dh0 != NULL) {
        /* dh0' [H, nb] = W [H, 4H] * da_0' [4H, nb] */
        sgemm(0, 0, H, nb, 4 * H, 1.0f, w, H, dgates + (size_t)n0 * 4 * H, 4 * H, 0.0f,
              dh0 + (size_t)n0 * H, H);
    }
}

/*
 * lstm_sequence_backward: see kernels.h.
 *   gates   [T*N, 4H] row-major activations (read)
 *   w       [H, 4H] column-major (read)
 *   cs      [(T+1)*N, H] row-major, block t = c_{t-1} (read)
 *   tanh_cs [T*N, H] row-major (read)
 *   dhs     [T*N, H] row-major (in: dL/dh_t from the output, unless dy is
 *           given; out: the total dh_t, output plus recurrence)
 *   dc      [N, H] row-major (in: dL/dc_{T-1}; out: dL/dc_{-1})
 *   dgates  [T*N, 4H] row-major (overwritten)
 *   dh0     [N, H] row-major dL/dh_{-1} (overwritten), or NULL to skip it
 *   dy      NULL, or the column-major output deltas, dL/dh_t of sample n at
 *           dy[(n + N*(t - t0)) + lddy*j] for t >= t0 (read; 0 before t0)
 * Per step t, from T-1 down: dh_t += da_{t+1} * W', as the column-major
 * product dh_t' [H, N] += W [H, 4H] * da_{t+1}' [4H, N]; then the cell.
 */
void lstm_sequence_backward(const float *gates, const float *w, const float *cs,
                            const float *tanh_cs, float *dhs, float *dc, float *dgates,
                            float *dh0, const float *dy, int lddy, int t0, int N, int T, int H) {
    /* W' as B[k, j] = w[j + H*k]: P = 4H rows, C = H columns */
    float *wp = pack_buffer(packed_size(4 * H, H));
    if (wp != NULL) pack_panels(w, (size_t)H, 1, 4 * H, H, wp);
    int nt = slab_threads(N, H);
    if (nt <= 1) {
        backward_slab(gates, w, wp, cs, tanh_cs, dhs, dc, dgates, dh0, dy, lddy, t0, N, T, H,
                      0, N);
        return;
    }
#ifdef _OPENMP
    region_clock rc;
    region_begin(&rc, nt);
#pragma omp parallel num_threads(nt)
    {
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        int n0 = (int)((long)N * tid / nth), n1 = (int)((long)N * (tid + 1) / nth);
        if (n1 > n0) {
            backward_slab(gates, w, wp, cs, tanh_cs, dhs, dc, dgates, dh0, dy, lddy, t0, N, T, H,
                          n0, n1);
        }
        if (tid == 0) region_mark(&rc);
    }
    region_end(&rc);
#endif
}

/*
 * lstm_bias_grad: dbias[k] += sum_r dgates[r*K + k].
 *   dgates [R, K] row-major (read);  dbias [K] (accumulated into)
 * Rows are added into a double accumulator per k, 8 rows at a time (the
 * row-major rows are contiguous, so the inner loop over k vectorises).
 */
void lstm_bias_grad(const float *dgates, float *dbias, int R, int K) {
    enum { KB = 256 }; /* k per block: 256 doubles stay in registers/L1 */
    for (int k0 = 0; k0 < K; k0 += KB) {
        int kb = K - k0 < KB ? K - k0 : KB;
        double acc[KB];
        for (int k = 0; k < kb; k++) acc[k] = 0.0;
        for (int r = 0; r < R; r++) {
            const float *row = dgates + (size_t)r * K + k0; /* seek to dgates[r, k0] */
            for (int k = 0; k < kb; k++) acc[k] += row[k];
        }
        for (int k = 0; k < kb; k++) dbias[k0 + k] += (float)acc[k];
    }
}
