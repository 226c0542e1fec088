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
