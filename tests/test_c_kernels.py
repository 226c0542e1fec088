"""Tests of the compiled C kernel (framework/csrc) through framework.backend.c_backend.

Skipped when the kernel is not built, except under ``CI=true``, where a
missing kernel is a failure: a broken build must not pass by quietly testing
the NumPy fallback.
"""
from __future__ import annotations


import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework.backend import c_backend, numpy_backend

require_c_kernel()

BLOCKS = c_backend.block_sizes()  # MR, NR, MC, KC, NC, as compiled into gemm.c
MR, NR, MC, KC, NC = (BLOCKS[k] for k in ("MR", "NR", "MC", "KC", "NC"))

# Per-element tolerance, relative to (|op(A)| @ |op(B)| + |beta * C0|), the
# natural scale of each result element (so cancellation in the sum cannot make
# a correct result look wrong). Float32 rounding (u = 6e-8) of a length-K dot
# product is bounded by about K*u times that scale in the worst case, and
# behaves like sqrt(K)*u for random-sign data; the blocked kernel sums K in
# chunks of KC, which keeps it there. Observed errors are ~1e-7 even for
# K = 5000; 1e-5 has a wide margin over rounding, yet any indexing, packing or
# edge bug produces errors of order 1.
RTOL = 1e-5

rng = np.random.default_rng(1234)


def _f32(*shape: int) -> np.ndarray:
    return np.asfortranarray(rng.standard_normal(shape).astype(np.float32))


def _operands(m: int, n: int, k: int, trans_a: bool, trans_b: bool):
    a = _f32(k, m) if trans_a else _f32(m, k)
    b = _f32(n, k) if trans_b else _f32(k, n)
    return a, b


def _check_gemm(fn, m: int, n: int, k: int, trans_a: bool, trans_b: bool, beta: float) -> None:
    a, b = _operands(m, n, k, trans_a, trans_b)
    out = _f32(m, n)  # non-trivial contents: beta=1 must add them, beta=0 ignore them
    c0 = out.astype(np.float64)
    opa = (a.T if trans_a else a).astype(np.float64)
    opb = (b.T if trans_b else b).astype(np.float64)
    expected = opa @ opb + beta * c0
    scale = np.abs(opa) @ np.abs(opb) + np.abs(beta * c0)
    fn(a, b, out, trans_a, trans_b, beta)
    err = np.abs(out - expected)
    worst = np.unravel_index(np.argmax(err - RTOL * scale), err.shape) if err.size else None
    assert np.all(err <= RTOL * scale + 1e-30), (
        f"M,N,K={m},{n},{k} trans=({trans_a},{trans_b}) beta={beta}: "
        f"error {err[worst]:.3g} at {worst} vs allowed {RTOL * scale[worst]:.3g}"
    )


# Shapes (M, N, K): trivial, odd, one below/at/above every tile and block
# size, batch 1, long K.
SHAPES = sorted({
    (1, 1, 1), (7, 5, 3), (13, 17, 11), (1, 1, 300), (1, 64, 64), (64, 1, 64), (64, 64, 1),
    (MR - 1, NR - 1, 9), (MR, NR, 9), (MR + 1, NR + 1, 9),
    (2 * MR + 1, 2 * NR + 1, 17),
    (MC - 1, 20, 30), (MC, 20, 30), (MC + 1, 20, 30), (2 * MC + 3, 25, 16),
    (20, 15, KC - 1), (20, 15, KC), (20, 15, KC + 1), (9, 7, 2 * KC + 1),
    (3, NC - 1, 5), (3, NC, 5), (3, NC + 1, 5),
    (3, 2, 5000),                      # long K
    (64, 256, 784), (64, 784, 256), (784, 256, 64), (64, 10, 128), (128, 10, 64),  # the MLP
    (MC + MR + 1, 3 * NR + 5, KC + 7),  # all edges at once
})
TRANS = [(False, False), (False, True), (True, False), (True, True)]


@pytest.mark.parametrize("trans_a,trans_b", TRANS)
@pytest.mark.parametrize("m,n,k", SHAPES)
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_sgemm_matches_float64(m, n, k, trans_a, trans_b, beta):
    _check_gemm(c_backend.matmul, m, n, k, trans_a, trans_b, beta)


REF_SHAPES = [s for s in SHAPES if s[0] * s[1] * s[2] <= 2_000_000]


SMALL = c_backend.lib.sgemm_small_max_rows()   # up to this many rows: gemm_small.c, unpacked


# The few-rows kernel: at and past its row limit, column counts that are not
# a multiple of its 4-column step or of its 512-column block, depths past its
# 2048-deep block and not a multiple of its 16 partial sums.
@pytest.mark.parametrize("trans_a,trans_b", TRANS)
@pytest.mark.parametrize("m,n,k", [(1, 257, 2049), (SMALL, 513, 785), (SMALL + 1, 5, 7),
                                   (2, 3, 17), (5, 1030, 3), (1, 4, 16), (3, 1, 4097)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_matmul_few_rows(m, n, k, trans_a, trans_b, beta):
    _check_gemm(c_backend.matmul, m, n, k, trans_a, trans_b, beta)


def test_matmul_few_rows_ignores_nan_in_out_when_overwriting():
    a, b = _f32(1, 40), _f32(40, 9)
    out = np.full((1, 9), np.nan, np.float32, order="F")
    c_backend.matmul(a, b, out)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("trans_a,trans_b", TRANS)
@pytest.mark.parametrize("m,n,k", REF_SHAPES)
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_sgemm_ref_matches_float64(m, n, k, trans_a, trans_b, beta):
    _check_gemm(c_backend.matmul_ref, m, n, k, trans_a, trans_b, beta)


def test_beta0_ignores_nan_in_out():
    a, b = _f32(40, 30), _f32(30, 20)
    out = np.full((40, 20), np.nan, dtype=np.float32, order="F")
    c_backend.matmul(a, b, out)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)


def test_zero_sized_dimensions():
    # K == 0: the product is empty, so out = beta * out
    a, b = np.zeros((4, 0), np.float32, order="F"), np.zeros((0, 3), np.float32, order="F")
    out = _f32(4, 3)
    keep = out.copy()
    c_backend.matmul(a, b, out, beta=1.0)
    np.testing.assert_array_equal(out, keep)
    c_backend.matmul(a, b, out, beta=0.0)
    np.testing.assert_array_equal(out, 0.0)
    # M == 0: nothing to write
    c_backend.matmul(np.zeros((0, 5), np.float32, order="F"), _f32(5, 3),
                     np.zeros((0, 3), np.float32, order="F"))


def test_matches_numpy_backend_for_mlp_products():
    x, w, dy = _f32(64, 784), _f32(784, 256), _f32(64, 256)
    for args in [(x, w, False, False), (dy, w, False, True), (x, dy, True, False)]:
        a, b, ta, tb = args
        shape = ((a.shape[1] if ta else a.shape[0]), (b.shape[0] if tb else b.shape[1]))
        out_c = np.zeros(shape, np.float32, order="F")
        out_np = np.zeros(shape, np.float32, order="F")
        c_backend.matmul(a, b, out_c, ta, tb)
        numpy_backend.matmul(a, b, out_np, ta, tb)
        np.testing.assert_allclose(out_c, out_np, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not c_backend.has_openmp(), reason="kernel built without OpenMP: one thread only")
@pytest.mark.parametrize("m,n,k,trans_a", [(1024, 300, 500, False), (64, 784, 256, False),
                                           (784, 256, 64, True), (40, 5000, 30, False)])
def test_threads_agree(m, n, k, trans_a):
    """1 and 2 threads split the same micro-tiles, so the results agree to rounding."""
    a, b = _operands(m, n, k, trans_a, False)
    before = c_backend.get_num_threads()
    try:
        outs = []
        for t in (1, 2):
            c_backend.set_num_threads(t)
            assert c_backend.get_num_threads() == t
            out = np.zeros((m, n), np.float32, order="F")
            c_backend.matmul(a, b, out, trans_a)
            outs.append(out)
    finally:
        c_backend.set_num_threads(before)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-6)


def test_set_num_threads_rejects_nonsense():
    with pytest.raises(ValueError):
        c_backend.set_num_threads(0)
    with pytest.raises(ValueError):
        c_backend.set_num_threads(1.5)


# ------------------------------------------------------------- elementwise

X_VALUES = np.array([-1e4, -100.0, -88.0, -20.0, -1.0, -1e-30, -0.0, 0.0, 1e-30, 0.5,
                     1.0, 20.0, 88.0, 100.0, 1e4], dtype=np.float32)


def _elementwise_inputs(shape):
    x = np.asfortranarray(rng.standard_normal(shape).astype(np.float32) * 5)
    x.reshape(-1, order="F")[: X_VALUES.size] = X_VALUES[: x.size]
    return x


@pytest.mark.parametrize("shape", [(1,), (37,), (1000,), (64, 256), (3, 5)])
@pytest.mark.parametrize("fname", ["sigmoid_forward", "relu_forward", "tanh_forward"])
def test_activation_forward(fname, shape):
    x = _elementwise_inputs(shape)
    y_c = np.empty_like(x)
    y_np = np.empty_like(x)
    getattr(c_backend, fname)(x, y_c)
    getattr(numpy_backend, fname)(x, y_np)
    assert np.all(np.isfinite(y_c))
    np.testing.assert_allclose(y_c, y_np, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(1,), (37,), (64, 256), (4000,)])
@pytest.mark.parametrize("fname,first", [("sigmoid_backward", "y"), ("relu_backward", "x"),
                                         ("tanh_backward", "y")])
def test_activation_backward(fname, first, shape):
    x = _elementwise_inputs(shape)
    if first == "y":  # backward takes the forward output
        fwd = "sigmoid_forward" if fname.startswith("sigmoid") else "tanh_forward"
        u = np.empty_like(x)
        getattr(numpy_backend, fwd)(x, u)
        if u.size >= 4000:  # outputs near |y| = 1, where 1 - y*y cancels
            near = u.reshape(-1, order="F")[:2000]
            near[:] = np.sign(near) * (1 - np.geomspace(1e-2, 6e-8, near.size)).astype(np.float32)
    else:
        u = x
    dy = np.asfortranarray(rng.standard_normal(shape).astype(np.float32))
    if dy.size >= 4000:  # deltas of every scale, so no absolute tolerance could hide an error
        dy.reshape(-1, order="F")[:2000] *= np.float32(1000)
    dx_c = np.full_like(x, np.nan)
    dx_np = np.empty_like(x)
    getattr(c_backend, fname)(u, dy, dx_c)
    getattr(numpy_backend, fname)(u, dy, dx_np)
    if fname == "relu_backward":
        np.testing.assert_array_equal(dx_c, dx_np)
        return
    # What float32 allows: dy * (1 - y*y) (or dy * y*(1 - y)) takes at most 3
    # roundings, each of at most u times |dy|*(1 + y^2), the size of the terms
    # before the cancellation in 1 - y^2. Near |y| = 1 that cancellation leaves
    # NumPy's rounding of y*y as a large relative error, which the C kernel
    # avoids with a fused multiply-add (AVX2/AVX-512 builds): a relative
    # tolerance on dx would fail there with C the more accurate side.
    eps = np.finfo(np.float32).eps
    bound = 4 * eps * np.abs(dy.astype(np.float64)) * (1 + np.square(u.astype(np.float64)))
    err = np.abs(dx_c.astype(np.float64) - dx_np)
    worst = np.argmax(err - bound, axis=None)
    assert np.all(err <= bound), (
        f"{fname}: |C - NumPy| = {err.flat[worst]:.3g} > {bound.flat[worst]:.3g} "
        f"(y = {u.flat[worst]!r}, dy = {dy.flat[worst]!r})")


def test_nan_propagates_through_activations():
    x = np.array([np.nan, 1.0], np.float32)
    for fname in ("sigmoid_forward", "tanh_forward"):
        y = np.zeros_like(x)
        getattr(c_backend, fname)(x, y)
        assert np.isnan(y[0]) and np.isfinite(y[1]), fname


def test_sigmoid_extremes_and_relu_at_zero():
    x = np.array([-1e30, -200.0, 0.0, 200.0, 1e30], np.float32)
    y = np.empty_like(x)
    c_backend.sigmoid_forward(x, y)
    np.testing.assert_array_equal(y, [0.0, 0.0, 0.5, 1.0, 1.0])
    dx = np.empty_like(x)
    c_backend.relu_backward(np.array([-1.0, 0.0, -0.0, 1e-30, 2.0], np.float32),
                            np.ones(5, np.float32), dx)
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.0, 1.0, 1.0])


def test_activations_in_place():
    x = _elementwise_inputs((50,))
    expected = np.empty_like(x)
    numpy_backend.tanh_forward(x, expected)
    c_backend.tanh_forward(x, x)
    np.testing.assert_allclose(x, expected, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("r,o", [(1, 1), (64, 256), (7, 10), (1000, 3)])
def test_bias(r, o):
    y = _f32(r, o)
    bias = rng.standard_normal(o).astype(np.float32)
    y_np = y.copy(order="F")
    c_backend.add_bias(y, bias)
    numpy_backend.add_bias(y_np, bias)
    np.testing.assert_allclose(y, y_np, rtol=1e-6, atol=1e-7)

    db = rng.standard_normal(o).astype(np.float32)  # accumulates into existing values
    db_np = db.copy()
    c_backend.bias_grad(y, db)
    expected = db_np.astype(np.float64) + y.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(db, expected, rtol=1e-5, atol=1e-5 * np.sqrt(r))


# ------------------------------------------------------------- wrong calls raise

def test_float64_raises_type_error():
    a64 = np.asfortranarray(np.ones((3, 4)))
    b, out = _f32(4, 2), _f32(3, 2)
    with pytest.raises(TypeError, match="a: expected dtype float32, got float64"):
        c_backend.matmul(a64, b, out)
    with pytest.raises(TypeError, match="float32"):
        c_backend.relu_forward(np.ones(3), np.ones(3, np.float32))
    with pytest.raises(TypeError):
        c_backend.add_bias(_f32(3, 2), np.ones(2))
    with pytest.raises(TypeError):
        c_backend.matmul([[1.0]], _f32(1, 1), _f32(1, 1))


def test_c_ordered_matrix_raises_value_error():
    a_c = np.ascontiguousarray(_f32(3, 4))
    with pytest.raises(ValueError, match="F-contiguous"):
        c_backend.matmul(a_c, _f32(4, 2), _f32(3, 2))
    with pytest.raises(ValueError, match="F-contiguous"):
        c_backend.matmul(_f32(3, 4), _f32(4, 2), np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError):
        c_backend.add_bias(np.ascontiguousarray(_f32(3, 4)), np.zeros(4, np.float32))


def test_wrong_shapes_raise_value_error():
    with pytest.raises(ValueError, match=r"out: expected shape \(3, 2\), got \(3, 3\)"):
        c_backend.matmul(_f32(3, 4), _f32(4, 2), _f32(3, 3))
    with pytest.raises(ValueError, match="K = 4"):
        c_backend.matmul(_f32(3, 4), _f32(5, 2), _f32(3, 2))
    with pytest.raises(ValueError):  # trans_b makes b [N, K]: K mismatch
        c_backend.matmul(_f32(3, 4), _f32(4, 2), _f32(3, 2), trans_b=True)
    with pytest.raises(ValueError, match="bias"):
        c_backend.add_bias(_f32(3, 4), np.zeros(5, np.float32))
    with pytest.raises(ValueError):
        c_backend.bias_grad(_f32(3, 4), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="shape"):
        c_backend.relu_forward(np.zeros(5, np.float32), np.zeros(6, np.float32))
    with pytest.raises(ValueError, match="2-D"):
        c_backend.matmul(np.zeros(4, np.float32), _f32(4, 2), _f32(1, 2))


def test_strided_views_raise_value_error():
    base = np.zeros(20, np.float32)
    with pytest.raises(ValueError, match="contiguous"):
        c_backend.relu_forward(base[::2], np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        c_backend.add_bias(_f32(3, 10), base[::2])
    with pytest.raises(ValueError):
        c_backend.matmul(_f32(6, 4)[::2], _f32(4, 2), _f32(3, 2))
    with pytest.raises(ValueError):  # mixed memory orders would pair wrong elements
        c_backend.relu_forward(_f32(3, 4), np.zeros((3, 4), np.float32))


def test_bad_beta_readonly_and_overlap_raise():
    a, b, out = _f32(3, 4), _f32(4, 2), _f32(3, 2)
    with pytest.raises(ValueError, match="beta"):
        c_backend.matmul(a, b, out, beta=0.5)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        c_backend.matmul(a, b, out)
    sq = _f32(4, 4)
    with pytest.raises(ValueError, match="overlap"):
        c_backend.matmul(sq, _f32(4, 4), sq)
    ro = np.zeros(3, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        c_backend.relu_forward(np.zeros(3, np.float32), ro)


def test_backend_seam_selects_c():
    import framework.backend as backend

    with backend.use("c"):
        assert backend.get(np.float32).matmul is c_backend.matmul
        assert backend.get(np.float32).name == "c"
        assert backend.get(np.float64).name == "numpy"
        assert set(backend.get(np.float64).sources.values()) == {"numpy"}


# -- overlapping buffers (issue 10) -----------------------------------------------------------

@pytest.mark.parametrize("fname", ["sigmoid_forward", "relu_forward", "tanh_forward"])
def test_unary_refuses_partial_overlap_allows_in_place(fname):
    buf = np.linspace(-2, 2, 12).astype(np.float32)
    with pytest.raises(ValueError, match="y: must not partially overlap x"):
        getattr(c_backend, fname)(buf[:10], buf[2:])
    x = buf.copy()
    expected = np.empty_like(x)
    getattr(numpy_backend, fname)(x, expected)
    getattr(c_backend, fname)(x, x)           # the very same buffer: in place, allowed
    np.testing.assert_allclose(x, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fname", ["sigmoid_backward", "relu_backward", "tanh_backward"])
def test_binary_refuses_partial_overlap_allows_in_place(fname):
    buf = np.linspace(-0.9, 0.9, 12).astype(np.float32)
    u = np.linspace(0.1, 0.8, 10).astype(np.float32)
    with pytest.raises(ValueError, match="dx: must not partially overlap dy"):
        getattr(c_backend, fname)(u, buf[:10], buf[1:11])
    with pytest.raises(ValueError, match="dx: must not partially overlap"):
        getattr(c_backend, fname)(buf[2:], u, buf[:10])
    dy = buf[:10].copy()
    expected = np.empty_like(dy)
    getattr(numpy_backend, fname)(u, dy, expected)
    getattr(c_backend, fname)(u, dy, dy)      # dx is dy: in place, allowed
    np.testing.assert_allclose(dy, expected, rtol=1e-6, atol=1e-7)


def test_add_bias_and_bias_grad_refuse_overlap():
    buf = np.zeros(12, np.float32)
    y = buf[:8].reshape(2, 4, order="F")           # [2, 4], memory 0..7
    with pytest.raises(ValueError, match="y: must not overlap bias"):
        c_backend.add_bias(y, buf[6:10])           # bias shares elements 6, 7 with y
    with pytest.raises(ValueError, match="dbias: must not overlap dy"):
        c_backend.bias_grad(y, buf[4:8])
    whole = np.zeros(4, np.float32)
    row = whole.reshape(1, 4, order="F")           # [1, 4] over the same memory as whole
    with pytest.raises(ValueError, match="must not overlap"):
        c_backend.add_bias(row, whole)
    # disjoint parts of one buffer are fine: y += bias for every row
    buf[8:12] = [1, 2, 3, 4]
    c_backend.add_bias(y, buf[8:12])
    np.testing.assert_array_equal(y, [[1, 2, 3, 4], [1, 2, 3, 4]])
    c_backend.bias_grad(y, buf[8:12])
    np.testing.assert_array_equal(buf[8:12], [3, 6, 9, 12])
