/*
 * kernels.h -- the C kernel's public interface, float32 only.
 *
 * This file holds prototypes and comments and nothing else (no #include, no
 * macro, no #ifdef): build_ext.py hands it verbatim to cffi's cdef(), and the
 * .c files #include it, so Python and C can never disagree on a signature.
 *
 * Layout convention (the same as numpy_backend.py and BLAS):
 *   every matrix is column-major. A matrix X with R rows and C columns and
 *   leading dimension ldx (ldx >= R) stores X[r, c] at x[r + ldx*c].
 *   For a dense matrix ldx == R.
 *
 * No function checks its arguments: the one Python caller
 * (framework/backend/c_backend.py) validates dtype, layout and shapes before
 * any pointer arrives here.
 */

/* ---------------------------------------------------------------- gemm.c */

/*
 * sgemm: C = alpha * op(A) * op(B) + beta * C   (the BLAS sgemm contract).
 *
 *   transa == 0: op(A) = A,  A is [M, K], A[i, p] at a[i + lda*p], lda >= M
 *   transa != 0: op(A) = A', A is [K, M], A[p, i] at a[p + lda*i], lda >= K
 *   transb == 0: op(B) = B,  B is [K, N], B[p, j] at b[p + ldb*j], ldb >= K
 *   transb != 0: op(B) = B', B is [N, K], B[j, p] at b[j + ldb*p], ldb >= N
 *   C is [M, N], C[i, j] at c[i + ldc*j], ldc >= M.
 *
 * C is overwritten when beta == 0 (its old contents are never read, so NaN
 * or garbage in C does not leak into the result) and accumulated into
 * (scaled by beta) otherwise. A and B are only read.
 *
 * Packed, cache-blocked, register-tiled; runs on the OpenMP thread count
 * (see gemm_set_num_threads), and on one thread for small products.
 */
void sgemm(int transa, int transb, int M, int N, int K,
           float alpha, const float *a, int lda,
           const float *b, int ldb,
           float beta, float *c, int ldc);

/*
 * sgemm_ref: the same contract as sgemm, written as the plain triple loop.
 * Slow and obviously correct: the reference the optimized sgemm is tested
 * against. Single threaded. Overwrites C when beta == 0, accumulates
 * otherwise.
 */
void sgemm_ref(int transa, int transb, int M, int N, int K,
               float alpha, const float *a, int lda,
               const float *b, int ldb,
               float beta, float *c, int ldc);

/*
 * sgemm_small (gemm_small.c): the same contract as sgemm, for products with
 * few rows (M <= sgemm_small_max_rows(), a batch of 1..8): op(B) is read in
 * place instead of packed, which for a batch of one is most of sgemm's time.
 * Larger M is handed to sgemm. One thread. Overwrites C when beta == 0,
 * accumulates otherwise.
 */
void sgemm_small(int transa, int transb, int M, int N, int K,
                 float alpha, const float *a, int lda,
                 const float *b, int ldb,
                 float beta, float *c, int ldc);
int sgemm_small_max_rows(void);

/*
 * gemm_block_sizes: writes the blocking constants sgemm was compiled with,
 * so tests can aim at the edges of every tile and block.
 *   out[0] = MR  rows of the register micro-tile
 *   out[1] = NR  columns of the register micro-tile
 *   out[2] = MC  rows of a packed block of op(A)     (L2-sized)
 *   out[3] = KC  depth of a packed block             (L1/L2-sized)
 *   out[4] = NC  columns of a packed block of op(B)  (L3-sized)
 * out must have room for 5 ints (overwritten). Returns 5, the count written.
 */
int gemm_block_sizes(int *out);

/*
 * gemm_set_num_threads: the number of threads sgemm uses from now on
 * (n < 1 is taken as 1). Without OpenMP this is a no-op.
 * gemm_get_num_threads: that number (1 without OpenMP).
 * gemm_has_openmp: 1 when compiled with OpenMP, else 0.
 */
void gemm_set_num_threads(int n);
int gemm_get_num_threads(void);
int gemm_has_openmp(void);

/*
 * Every kernel chooses its threads per call (framework/csrc/runtime.h):
 * one for small work, one while the machine is busy (a recent parallel call
 * waited at its join longer than its threads saved: another process held a
 * core), and one for good in the child of a fork() made after threads ran
 * (GNU OpenMP's thread pool does not survive fork; a threaded call in the
 * child would wait forever). gemm_get_num_threads then returns 1.
 * kernel_forked_child: 1 in such a child, else 0.
 */
int kernel_forked_child(void);

/*
 * kernel_take_error: 1 when a kernel called from this thread since the last
 * call could not allocate a work buffer (it then stopped early: its outputs
 * are undefined, accumulated ones untouched where noted), else 0; clears
 * the flag. The Python wrappers raise MemoryError on 1.
 * kernel_fail_allocations: a test hook. The allocation number `after`
 * (0 = the next one) made by any kernel from now on fails, as if memory had
 * run out; -1 turns that off. Also drops every thread's cached work
 * buffers, so their next use allocates again.
 */
int kernel_take_error(void);
void kernel_fail_allocations(long after);

/*
 * Builds and CPUs (build_ext.py builds one module per x86-64 level):
 * kernel_isa_level: the level this module was compiled for: 4 (x86-64-v4,
 *   AVX-512), 3 (v3, AVX2 + FMA), 2 (v2), 1 (baseline x86-64), 0 (not x86).
 * kernel_cpu_level: the highest level this CPU (and OS) runs, on the same
 *   scale. A module with kernel_isa_level() > kernel_cpu_level() must not
 *   be used: it may execute an illegal instruction.
 * kernel_build_id: the same string in every module of one build.
 */
int kernel_isa_level(void);
int kernel_cpu_level(void);
const char *kernel_build_id(void);

/* --------------------------------------------------------- elementwise.c */

/*
 * add_bias: y[r, o] += bias[o] for every row r.
 *   y    [R, O] column-major, y[r + R*o]   (accumulated into)
 *   bias [O],   bias[o]                     (read)
 */
void add_bias(float *y, const float *bias, int R, int O);

/*
 * bias_grad: dbias[o] += sum_r dy[r, o].
 *   dy    [R, O] column-major, dy[r + R*o]  (read)
 *   dbias [O],   dbias[o]                    (accumulated into)
 */
void bias_grad(const float *dy, float *dbias, int R, int O);

/*
 * The activations work on flat buffers of n floats, element i at x[i].
 * Every output (y or dx) is overwritten; every input is only read.
 * Output and input may be the same buffer (in-place use is safe because
 * element i of the output depends only on element i of the inputs).
 */

/* sigmoid_forward: y[i] = 1 / (1 + exp(-x[i])), computed without overflow. */
void sigmoid_forward(const float *x, float *y, long n);

/* sigmoid_backward: dx[i] = dy[i] * y[i] * (1 - y[i]), y the forward output. */
void sigmoid_backward(const float *y, const float *dy, float *dx, long n);

/* relu_forward: y[i] = max(x[i], 0). */
void relu_forward(const float *x, float *y, long n);

/* relu_backward: dx[i] = dy[i] if x[i] > 0 else 0 (derivative at 0 is 0). */
void relu_backward(const float *x, const float *dy, float *dx, long n);

/* tanh_forward: y[i] = tanh(x[i]). */
void tanh_forward(const float *x, float *y, long n);

/* tanh_backward: dx[i] = dy[i] * (1 - y[i]^2), y the forward output. */
void tanh_backward(const float *y, const float *dy, float *dx, long n);

/* ---------------------------------------------------------------- conv.c */

/*
 * Convolution on image batches [N, H, W, C], element (n, h, w, c) at
 * x[n + N*(h + H*(w + W*c))]. One conv_geom describes a call: kernel
 * kh x kw, stride sh, sw (>= 1), zero padding ph, pw (>= 0), dilation
 * dil_h, dil_w (>= 1, the spacing of the kernel taps);
 *   Ho = (H + 2*ph - dil_h*(kh-1) - 1)/sh + 1,  Wo likewise (both >= 1),
 *   R = N*Ho*Wo, K = kh*kw*C.
 * Patch matrix P [R, K], p[r + R*k], r = n + N*(ho + Ho*wo),
 * k = i + kh*(j + kw*c):
 *   P[r, k] = x[n, ho*sh - ph + i*dil_h, wo*sw - pw + j*dil_w, c]
 * (0 in the padding). Kernel w [kh, kw, C, O] = the [K, O] matrix w[k + K*o];
 * output y [N, Ho, Wo, O] = the [R, O] matrix y[r + R*o]. See docs/conv.md.
 * The Python twin is framework.backend.geometry.ConvGeom (same fields, same
 * order); the wrapper validates it before a conv_geom reaches C.
 */
typedef struct {
    int N, H, W, C;     /* input batch, height, width, channels */
    int kh, kw;         /* kernel height, width */
    int sh, sw;         /* stride */
    int ph, pw;         /* zero padding on each side */
    int dil_h, dil_w;   /* dilation */
} conv_geom;

/* conv_im2col, conv_im2col_ref: p [R, K] = P (overwritten); x read.
 * _ref is the plain loop over every element, the reference. */
void conv_im2col(const float *x, float *p, const conv_geom *geom);
void conv_im2col_ref(const float *x, float *p, const conv_geom *geom);

/* conv_col2im, conv_col2im_ref: the adjoint of im2col. dx [N, H, W, C] is
 * OVERWRITTEN with, per pixel, the sum of the P entries read from it; p read. */
void conv_col2im(const float *p, float *dx, const conv_geom *geom);
void conv_col2im_ref(const float *p, float *dx, const conv_geom *geom);

/* conv2d_forward: y [R, O] = P*w + b (overwritten); x [N, H, W, C], w [K, O],
 * b [O] read. P is built in L2-sized chunks of rows, never whole. */
void conv2d_forward(const float *x, const float *w, const float *b, float *y, int O,
                    const conv_geom *geom);

/* conv2d_backward: dx [N, H, W, C] = col2im(dy * w') (OVERWRITTEN); dy [R, O],
 * w [K, O] read. Small stride-1 "same" calls run it as the full convolution
 * of dy with the 180-degree rotated kernel (the same sum; see conv.c). */
void conv2d_backward(const float *dy, const float *w, float *dx, int O, const conv_geom *geom);

/* conv2d_delta_weights: dweights [K, O] += P' * dy and dbias [O] += sum_r dy[r, o]
 * (both ACCUMULATED); x [N, H, W, C] and dy [R, O] read. */
void conv2d_delta_weights(const float *x, const float *dy, float *dweights, float *dbias, int O,
                          const conv_geom *geom);

/* ---------------------------------------------------------------- pool.c */

/*
 * Pooling on x [N, H, W, C], x[n + N*(h + H*(w + W*c))], windows ph x pw
 * moved by sh, sw (all >= 1, ph <= H, pw <= W), no padding; windows that do
 * not fit at the border are dropped: Ho = (H - ph)/sh + 1, Wo likewise.
 * y, dy [N, Ho, Wo, C], y[n + N*(ho + Ho*(wo + Wo*c))].
 * Forward overwrites y; backward OVERWRITES dx (inputs in no window get 0,
 * overlapping windows add up). Max pooling: the first maximum in reading
 * order (window row i outer, column j inner) wins ties; backward recomputes
 * the winners from x.
 */
void maxpool2d_forward(const float *x, float *y, int N, int H, int W, int C,
                       int ph, int pw, int sh, int sw);
void maxpool2d_backward(const float *x, const float *dy, float *dx, int N, int H, int W, int C,
                        int ph, int pw, int sh, int sw);
void avgpool2d_forward(const float *x, float *y, int N, int H, int W, int C,
                       int ph, int pw, int sh, int sw);
void avgpool2d_backward(const float *dy, float *dx, int N, int H, int W, int C,
                        int ph, int pw, int sh, int sw);

/* ---------------------------------------------------------------- lstm.c */

/*
 * LSTM kernels. Caches are ROW-major [rows, K] with rows r = n + N*t, so a
 * time step t is the contiguous block of rows N*t .. N*t+N-1:
 *   gates, dgates [T*N, 4H]: element (r, q*H + j) at [r*4H + q*H + j], gate
 *                            q in the order i, f, o, g
 *   hs, cs [(T+1)*N, H]: h_{t-1} / c_{t-1} of sample n at [(n + N*t)*H + j]
 *                        (block 0 = the initial state)
 *   tanh_cs, dhs [T*N, H]: step t at [(n + N*t)*H + j]
 *   w [H, 4H] column-major, w[j + H*k]; bias [4H].
 * The cell kernels work on one step: [N, 4H] and [N, H] blocks.
 */

/*
 * lstm_cell_forward: with a = gates + bias,
 *   i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g),
 *   c = f*c_prev + i*g, tanh_c = tanh(c), h = o*tanh_c.
 * gates [N, 4H]: pre-activations in, activations i|f|o|g out (OVERWRITTEN);
 * bias [4H], c_prev [N, H] read; c, tanh_c, h [N, H] OVERWRITTEN.
 * lstm_cell_forward_ref: the same as plain loops with libm (reference).
 */
void lstm_cell_forward(float *gates, const float *bias, const float *c_prev, float *c,
                       float *tanh_c, float *h, int N, int H);
void lstm_cell_forward_ref(float *gates, const float *bias, const float *c_prev, float *c,
                           float *tanh_c, float *h, int N, int H);

/*
 * lstm_cell_backward: dct = dc + dh*o*(1 - tanh_c^2);
 *   dgates = [dct*g*i(1-i) | dct*c_prev*f(1-f) | dh*tanh_c*o(1-o) | dct*i*(1-g^2)]
 *   (OVERWRITTEN), dc = dct*f (in: dL/dc_t through step t+1; OVERWRITTEN
 *   with dL/dc_{t-1}). gates [N, 4H] activations, c_prev, tanh_c, dh [N, H] read.
 * lstm_cell_backward_ref: the same as plain loops (reference).
 */
void lstm_cell_backward(const float *gates, const float *c_prev, const float *tanh_c,
                        const float *dh, float *dc, float *dgates, int N, int H);
void lstm_cell_backward_ref(const float *gates, const float *c_prev, const float *tanh_c,
                            const float *dh, float *dc, float *dgates, int N, int H);

/*
 * lstm_sequence_forward: for t = 0..T-1: gates_t += h_{t-1}*W, then
 * lstm_cell_forward. gates [T*N, 4H] in: x*U per step, out: activations
 * (OVERWRITTEN); hs, cs [(T+1)*N, H]: block 0 read, blocks 1..T OVERWRITTEN
 * with h_t, c_t; tanh_cs [T*N, H] OVERWRITTEN; w, bias read.
 * y: NULL, or a column-major output where h_t of sample n is also written,
 * y[(n + N*(t - t0)) + ldy*j] for t >= t0 (OVERWRITTEN): t0 = 0, ldy = N*T
 * for every step of a [N, T, H] tensor, t0 = T-1, ldy = N for [N, H].
 * The batch is split over the OpenMP threads for the whole loop.
 */
void lstm_sequence_forward(float *gates, const float *w, const float *bias, float *hs,
                           float *cs, float *tanh_cs, float *y, int ldy, int t0,
                           int N, int T, int H);

/*
 * lstm_sequence_backward: for t = T-1..0: dh_t += da_{t+1}*W' (not
 * for the last step), then lstm_cell_backward. dhs [T*N, H] in: dL/dh_t
 * from the output, out: total dh_t (OVERWRITTEN); dc [N, H] in: dL/dc_{T-1},
 * out: dL/dc_{-1} (OVERWRITTEN); dgates [T*N, 4H] OVERWRITTEN; dh0 [N, H]
 * OVERWRITTEN with dL/dh_{-1} = da_0*W', skipped when dh0 is NULL.
 * gates, w, cs, tanh_cs read. dy: NULL (dhs holds the output deltas), or
 * the column-major output deltas, dL/dh_t of sample n at
 * dy[(n + N*(t - t0)) + lddy*j] for t >= t0 and 0 before (read; dhs is
 * then only written), with t0, lddy as y of lstm_sequence_forward.
 */
void lstm_sequence_backward(const float *gates, const float *w, const float *cs,
                            const float *tanh_cs, float *dhs, float *dc, float *dgates,
                            float *dh0, const float *dy, int lddy, int t0,
                            int N, int T, int H);

/*
 * lstm_bias_grad: dbias[k] += sum_r dgates[r*K + k] (ACCUMULATED).
 *   dgates [R, K] row-major read, dbias [K].
 */
void lstm_bias_grad(const float *dgates, float *dbias, int R, int K);

/* ----------------------------------------------------------- batchnorm.c */

/*
 * Batch normalisation of each column (feature) f of a column-major matrix:
 *   x, y, dy, dx [R, F], element [r, f] at x[r + R*f] (one feature's R rows
 *   contiguous); scale, shift, mean, var, dscale, dshift [F], a[f].
 *   inv[f] = 1/sqrt(var[f] + eps), xhat[r, f] = (x[r, f] - mean[f])*inv[f].
 * training != 0: mean and var are OVERWRITTEN with x's batch statistics,
 *   mean[f] = (1/R) sum_r x[r, f], var[f] = (1/R) sum_r (x[r, f] - mean[f])^2
 *   (biased), recomputed by every call (no state between the calls).
 * training == 0: mean and var are read (the running averages).
 * Every other [F] or [R, F] input is only read.
 */

/* batchnorm_forward: y = scale*xhat + shift (y OVERWRITTEN). */
void batchnorm_forward(const float *x, const float *scale, const float *shift, float *mean,
                       float *var, float *y, int R, int F, float eps, int training);

/*
 * batchnorm_backward: dx OVERWRITTEN with
 *   training:   scale*inv/R * (R*dy - sum_r dy - xhat * sum_r dy*xhat)
 *   evaluation: scale*inv*dy.
 */
void batchnorm_backward(const float *x, const float *dy, const float *scale, float *mean,
                        float *var, float *dx, int R, int F, float eps, int training);

/* batchnorm_delta_weights: dscale[f] += sum_r dy*xhat, dshift[f] += sum_r dy (ACCUMULATED). */
void batchnorm_delta_weights(const float *x, const float *dy, float *mean, float *var,
                             float *dscale, float *dshift, int R, int F, float eps,
                             int training);

/* The same three contracts as plain loops on one thread: the reference for tests. */
void batchnorm_forward_ref(const float *x, const float *scale, const float *shift, float *mean,
                           float *var, float *y, int R, int F, float eps, int training);
void batchnorm_backward_ref(const float *x, const float *dy, const float *scale, float *mean,
                            float *var, float *dx, int R, int F, float eps, int training);
void batchnorm_delta_weights_ref(const float *x, const float *dy, float *mean, float *var,
                                 float *dscale, float *dshift, int R, int F, float eps,
                                 int training);
