"""NaN and inf go through every C kernel exactly where they go through its NumPy twin.

A kernel that drops a NaN (ReLU mapping it to 0, max-pool skipping it, a
shortcut that skips a product with zeros) lets a broken network train on
silently on the C backend while the NumPy backend stops. So for every kernel
the inputs get NaN, +inf and -inf sprinkled in, both backends run on the same
float32 data, and the results must agree on which elements are NaN, +inf and
-inf, and to rounding on the finite rest.

Skipped when the kernel is not built, except under ``CI=true``.
"""
from __future__ import annotations


import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework.backend import c_backend, numpy_backend as ref
from framework.backend.numpy_conv import ConvGeom, PoolGeom

require_c_kernel()

# NumPy warns about the invalid operations this file makes on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SPECIALS = np.array([np.nan, np.inf, -np.inf], np.float32)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([7, *key])


def _data(rng: np.random.Generator, shape: tuple[int, ...], bad: int = 3, order: str = "F",
          scale: float = 1.0) -> np.ndarray:
    """Standard-normal float32 with ``bad`` entries replaced by NaN, +inf, -inf (cycling)."""
    a = (scale * rng.standard_normal(shape)).astype(np.float32)
    flat = a.reshape(-1)
    where = rng.choice(flat.size, size=min(bad, flat.size), replace=False)
    flat[where] = SPECIALS[np.arange(where.size) % 3]
    return np.asarray(a, order=order)


def _same(actual: np.ndarray, expected: np.ndarray, name: str, tol: float = 1e-4) -> None:
    """Same NaN, +inf, -inf positions; the finite rest equal to ``tol`` (relative to the scale)."""
    a = np.asarray(actual, np.float64).reshape(-1, order="A")
    e = np.asarray(expected, np.float64).reshape(-1, order="A")
    for what, test in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        diff = np.flatnonzero(test(a) != test(e))
        assert diff.size == 0, (
            f"{name}: {what} at different elements, first at flat index {diff[0]}: "
            f"C gives {a[diff[0]]}, NumPy {e[diff[0]]} ({diff.size} elements differ)")
    fin = np.isfinite(e)
    scale = max(1.0, float(np.abs(e[fin]).max(initial=0.0)))
    err = np.abs(a[fin] - e[fin]).max(initial=0.0)
    assert err <= tol * scale, f"{name}: finite values differ by {err:.3g} (scale {scale:.3g})"


def _copies(*arrays: np.ndarray) -> tuple[tuple, tuple]:
    return tuple(a.copy(order="A") for a in arrays), tuple(a.copy(order="A") for a in arrays)


# ------------------------------------------------------------- elementwise

@pytest.mark.parametrize("fname", ["relu_forward", "sigmoid_forward", "tanh_forward"])
@pytest.mark.parametrize("n", [3, 40, 1001])
def test_activation_forward_keeps_nan_and_inf(fname, n):
    x = _data(_rng(n), (n,), bad=3 if n == 3 else 9)
    x[:3] = SPECIALS  # every special value at least once, also in the vector loop's head
    y_c, y_ref = np.zeros_like(x), np.zeros_like(x)
    getattr(c_backend, fname)(x, y_c)
    getattr(ref, fname)(x, y_ref)
    _same(y_c, y_ref, fname, tol=2e-6)
    assert np.isnan(y_c[0])


def test_relu_of_nan_is_nan():
    """The defect: C ReLU mapped NaN to 0, hiding it (NumPy's maximum keeps it)."""
    x = np.array([np.nan, -1.0, 2.0, -np.inf, np.inf, -0.0], np.float32)
    y = np.zeros_like(x)
    c_backend.relu_forward(x, y)
    assert np.isnan(y[0])
    np.testing.assert_array_equal(y[1:], [0.0, 2.0, 0.0, np.inf, 0.0])


@pytest.mark.parametrize("fname,first", [("relu_backward", "x"), ("sigmoid_backward", "y"),
                                         ("tanh_backward", "y")])
@pytest.mark.parametrize("bad_in", ["first", "dy", "both"])
def test_activation_backward_keeps_nan_and_inf(fname, first, bad_in):
    rng = _rng(len(fname), len(bad_in))
    shape = (37, 5)
    u = _data(rng, shape, bad=0 if bad_in == "dy" else 9)
    if first == "y":  # a forward output, specials included
        y = np.empty_like(u)
        ref.sigmoid_forward(u, y) if fname.startswith("sigmoid") else ref.tanh_forward(u, y)
        if bad_in != "dy":
            y.reshape(-1, order="F")[:3] = SPECIALS
        u = y
    dy = _data(rng, shape, bad=0 if bad_in == "first" else 9)
    dx_c, dx_ref = np.full_like(u, 7.0), np.full_like(u, 7.0)
    getattr(c_backend, fname)(u, dy, dx_c)
    getattr(ref, fname)(u, dy, dx_ref)
    _same(dx_c, dx_ref, fname, tol=1e-5)


@pytest.mark.parametrize("r,o", [(1, 1), (33, 7), (300, 20)])
def test_bias_kernels_keep_nan_and_inf(r, o):
    rng = _rng(r, o)
    y = _data(rng, (r, o), bad=5)
    bias = _data(rng, (o,), bad=min(o, 3), order="C")
    (yc, bc), (yr, br) = _copies(y, bias)
    c_backend.add_bias(yc, bc)
    ref.add_bias(yr, br)
    _same(yc, yr, "add_bias")
    dbias = _data(rng, (o,), bad=1 if o > 3 else 0, order="C")
    (dyc, dbc), (dyr, dbr) = _copies(y, dbias)
    c_backend.bias_grad(dyc, dbc)
    ref.bias_grad(dyr, dbr)
    _same(dbc, dbr, "bias_grad")


# ------------------------------------------------------------- matmul

@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (5, 3, 7), (70, 13, 33), (300, 200, 100),
                                   (64, 784, 256)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_matmul_keeps_nan_and_inf(m, n, k, trans_a, trans_b, beta):
    rng = _rng(m, n, k, trans_a, trans_b)
    a = _data(rng, (k, m) if trans_a else (m, k), bad=3)
    b = _data(rng, (n, k) if trans_b else (k, n), bad=2)
    out = _data(rng, (m, n), bad=3)  # with beta = 0 its NaN must not leak; with 1 it must
    out_c, out_ref = out.copy(order="F"), out.copy(order="F")
    c_backend.matmul(a, b, out_c, trans_a, trans_b, beta)
    ref.matmul(a, b, out_ref, trans_a, trans_b, beta)
    _same(out_c, out_ref, "matmul", tol=1e-4 * np.sqrt(k))


# ------------------------------------------------------------- convolution

CONV = [  # N, H, W, C, kh, kw, sh, sw, ph, pw, dh, dw
    ConvGeom(3, 7, 6, 2, 3, 2, 1, 1, 1, 2, 1, 2),          # padding, dilation
    ConvGeom(2, 9, 8, 3, 3, 3, 2, 2, 1, 1, 1, 1),          # stride 2 + padding (col2im path)
    ConvGeom(5, 17, 15, 6, 3, 3, 1, 1, 1, 1, 1, 1),        # same padding: full-convolution backward
    ConvGeom(32, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1),        # batch of 32: implicit im2col paths
]


@pytest.mark.parametrize("g", CONV)
@pytest.mark.parametrize("o", [5, 24])  # few outputs: direct weight deltas; more: the packed path
@pytest.mark.parametrize("bad", ["x", "w", "dy"])
def test_conv_kernels_keep_nan_and_inf(g, o, bad):
    from framework.backend import c_conv, numpy_conv
    rng = _rng(g.N, g.H, g.C, o, len(bad))
    size = g.N * g.H * g.W * g.C
    x = _data(rng, (size,), bad=6 if bad == "x" else 0)
    w = _data(rng, (g.K, o), bad=3 if bad == "w" else 0, scale=1 / np.sqrt(g.K))
    b = _data(rng, (o,), bad=0)
    y_c, y_ref = np.zeros((g.R, o), np.float32, order="F"), np.zeros((g.R, o), np.float32, order="F")
    c_conv.conv2d_forward(x, w, b, y_c, g)
    numpy_conv.conv2d_forward(x, w, b, y_ref, g)
    _same(y_c, y_ref, "conv2d_forward")

    dy = _data(rng, (g.R, o), bad=6 if bad == "dy" else 0)
    if bad == "dy":  # a non-finite delta at the border, whose patches read the zero padding
        dy[0, 0], dy[g.R - 1, o - 1] = np.inf, np.nan
    dx_c, dx_ref = np.full(size, 7.0, np.float32), np.full(size, 7.0, np.float32)
    c_conv.conv2d_backward(dy, w, dx_c, g)
    numpy_conv.conv2d_backward(dy, w, dx_ref, g)
    _same(dx_c, dx_ref, "conv2d_backward")

    dw0 = _data(rng, (g.K, o), bad=0)
    db0 = _data(rng, (o,), bad=0)
    (dwc, dbc), (dwr, dbr) = _copies(dw0, db0)
    c_conv.conv2d_delta_weights(x, dy, dwc, dbc, g)
    numpy_conv.conv2d_delta_weights(x, dy, dwr, dbr, g)
    _same(dwc, dwr, "conv2d_delta_weights dW")
    _same(dbc, dbr, "conv2d_delta_weights db")


# ------------------------------------------------------------- pooling

POOL = [  # N, H, W, C, ph, pw, sh, sw
    PoolGeom(1, 4, 4, 1, 2, 2, 2, 2),
    PoolGeom(3, 7, 6, 2, 2, 2, 2, 2),                       # border dropped
    PoolGeom(2, 7, 9, 3, 3, 2, 2, 1),                       # overlapping windows
    PoolGeom(70, 8, 6, 3, 2, 3, 1, 3),                      # batch > the kernel's block of 64
    PoolGeom(8, 64, 64, 16, 2, 2, 2, 2),                    # threaded
]


def _pool_input(rng: np.random.Generator, g: PoolGeom) -> np.ndarray:
    size = g.N * g.H * g.W * g.C
    x = _data(rng, (size,), bad=max(3, size // 50))
    x4 = x.reshape(g.N, g.H, g.W, g.C, order="F")
    x4[0, 0, 0, 0] = 5.0        # a finite maximum first in its window ...
    x4[0, 1, 1, 0] = np.nan     # ... and a NaN after it in the same window
    return x


def test_maxpool_nan_after_the_maximum_gives_nan():
    """The defect: C max-pool ignored a NaN that was not first in its window."""
    from framework.backend import c_conv
    g = PoolGeom(1, 2, 2, 1, 2, 2, 2, 2)
    for x in ([1.0, np.nan, 0.0, 0.0], [1.0, 0.0, 0.0, np.nan], [np.nan, 3.0, 0.0, 0.0]):
        y = np.zeros(1, np.float32)
        c_conv.maxpool2d_forward(np.array(x, np.float32), y, g)
        assert np.isnan(y[0]), x


@pytest.mark.parametrize("g", POOL)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_kernels_keep_nan_and_inf(g, kind):
    from framework.backend import c_conv, numpy_conv
    rng = _rng(g.N, g.H, g.C, len(kind))
    x = _pool_input(rng, g)
    small, size = g.N * g.Ho * g.Wo * g.C, x.size
    fwd = f"{kind}pool2d_forward"
    y_c, y_ref = np.zeros(small, np.float32), np.zeros(small, np.float32)
    getattr(c_conv, fwd)(x, y_c, g)
    getattr(numpy_conv, fwd)(x, y_ref, g)
    _same(y_c, y_ref, fwd, tol=1e-6)
    assert np.isnan(y_c.reshape(g.N, g.Ho, g.Wo, g.C, order="F")[0, 0, 0, 0])

    dy = _data(rng, (small,), bad=max(3, small // 50))
    dx_c, dx_ref = np.full(size, 7.0, np.float32), np.full(size, 7.0, np.float32)
    if kind == "max":  # the routing of dy follows the same winners
        c_conv.maxpool2d_backward(x, dy, dx_c, g)
        numpy_conv.maxpool2d_backward(x, dy, dx_ref, g)
    else:
        c_conv.avgpool2d_backward(dy, dx_c, g)
        numpy_conv.avgpool2d_backward(dy, dx_ref, g)
    _same(dx_c, dx_ref, f"{kind}pool2d_backward", tol=1e-6)


# ------------------------------------------------------------- LSTM

@pytest.mark.parametrize("n,h", [(1, 1), (3, 5), (7, 13), (32, 64)])
def test_lstm_cells_keep_nan_and_inf(n, h):
    from framework.backend import c_lstm, numpy_lstm
    rng = _rng(n, h)
    gates = _data(rng, (n, 4 * h), bad=6, order="C", scale=2.0)
    bias = _data(rng, (4 * h,), bad=1, order="C")
    c_prev = _data(rng, (n, h), bad=2, order="C")
    outs_c = [np.full((n, h), 7.0, np.float32) for _ in range(3)]
    outs_r = [np.full((n, h), 7.0, np.float32) for _ in range(3)]
    (gc, bc, cc), (gr, br, cr) = _copies(gates, bias, c_prev)
    c_lstm.lstm_cell_forward(gc, bc, cc, *outs_c)
    numpy_lstm.lstm_cell_forward(gr, br, cr, *outs_r)
    _same(gc, gr, "lstm_cell_forward activations", tol=2e-6)
    for name, a, e in zip(("c", "tanh_c", "h"), outs_c, outs_r):
        _same(a, e, f"lstm_cell_forward {name}", tol=2e-6)

    dh = _data(rng, (n, h), bad=2, order="C")
    dc = _data(rng, (n, h), bad=1, order="C")
    (dcc,), (dcr,) = _copies(dc)
    dg_c, dg_r = np.full((n, 4 * h), 7.0, np.float32), np.full((n, 4 * h), 7.0, np.float32)
    c_lstm.lstm_cell_backward(gc, c_prev, outs_c[1], dh, dcc, dg_c)
    numpy_lstm.lstm_cell_backward(gr, c_prev, outs_r[1], dh, dcr, dg_r)
    _same(dg_c, dg_r, "lstm_cell_backward dgates", tol=2e-6)
    _same(dcc, dcr, "lstm_cell_backward dc", tol=2e-6)


@pytest.mark.parametrize("n,t,h", [(2, 3, 4), (9, 5, 33), (32, 4, 64)])
@pytest.mark.parametrize("bad", ["w", "gates", "dy"])
def test_lstm_sequences_keep_nan_and_inf(n, t, h, bad):
    """Also with the zero initial state: 0 * NaN in W is NaN at step 0 on NumPy, so C must not skip it."""
    from framework.backend import c_lstm, numpy_lstm
    rng = _rng(n, t, h, len(bad))
    gates = _data(rng, (t * n, 4 * h), bad=3 if bad == "gates" else 0, order="C")
    w = _data(rng, (h, 4 * h), bad=2 if bad == "w" else 0, scale=1 / np.sqrt(h))
    bias = _data(rng, (4 * h,), bad=0, order="C")
    hs = np.zeros(((t + 1) * n, h), np.float32)  # zero initial state, the default
    cs = np.zeros(((t + 1) * n, h), np.float32)
    (gc, hc, cc), (gr, hr, cr) = _copies(gates, hs, cs)
    tc_c, tc_r = np.full((t * n, h), 7.0, np.float32), np.full((t * n, h), 7.0, np.float32)
    c_lstm.lstm_sequence_forward(gc, w, bias, hc, cc, tc_c)
    numpy_lstm.lstm_sequence_forward(gr, w, bias, hr, cr, tc_r)
    for name, a, e in (("gates", gc, gr), ("hs", hc, hr), ("cs", cc, cr), ("tanh_cs", tc_c, tc_r)):
        _same(a, e, f"lstm_sequence_forward {name}", tol=5e-5)

    dhs = _data(rng, (t * n, h), bad=3 if bad == "dy" else 0, order="C")
    (dhc,), (dhr,) = _copies(dhs)
    dc_c, dc_r = np.zeros((n, h), np.float32), np.zeros((n, h), np.float32)
    dg_c, dg_r = np.full((t * n, 4 * h), 7.0, np.float32), np.full((t * n, 4 * h), 7.0, np.float32)
    dh0_c, dh0_r = np.full((n, h), 7.0, np.float32), np.full((n, h), 7.0, np.float32)
    c_lstm.lstm_sequence_backward(gc, w, cc, tc_c, dhc, dc_c, dg_c, dh0_c)
    numpy_lstm.lstm_sequence_backward(gr, w, cr, tc_r, dhr, dc_r, dg_r, dh0_r)
    for name, a, e in (("dhs", dhc, dhr), ("dc", dc_c, dc_r), ("dgates", dg_c, dg_r),
                       ("dh0", dh0_c, dh0_r)):
        _same(a, e, f"lstm_sequence_backward {name}", tol=5e-5)


def test_lstm_bias_grad_keeps_nan_and_inf():
    from framework.backend import c_lstm, numpy_lstm
    rng = _rng(11)
    dgates = _data(rng, (50, 12), bad=4, order="C")
    db_c, db_r = np.zeros(12, np.float32), np.zeros(12, np.float32)
    c_lstm.lstm_bias_grad(dgates, db_c)
    numpy_lstm.lstm_bias_grad(dgates, db_r)
    _same(db_c, db_r, "lstm_bias_grad")


# ------------------------------------------------------------- batch normalisation

@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("bad", ["x", "dy"])
@pytest.mark.parametrize("r,f", [(1, 3), (9, 4), (64, 33)])
def test_batchnorm_keeps_nan_and_inf(r, f, bad, training):
    """A NaN or inf in a column makes that column's statistics, outputs and deltas what NumPy's are."""
    from framework.backend import c_batchnorm, numpy_batchnorm
    rng = _rng(r, f, len(bad), training)
    x = _data(rng, (r, f), bad=3 if bad == "x" else 0, scale=2.0)
    # inf in δy meets x̂ of either sign inside a sum, where the order of the operations decides
    # between inf and NaN; a NaN is NaN in any order
    dy = _data(rng, (r, f), bad=0)
    if bad == "dy":
        dy.reshape(-1, order="F")[rng.choice(r * f, size=min(3, r * f), replace=False)] = np.nan
    scale, shift = _data(rng, (f,), bad=0), _data(rng, (f,), bad=0)
    stats = (_data(rng, (f,), bad=0), np.abs(_data(rng, (f,), bad=0)) + 0.5)
    for op, outputs in (("batchnorm_forward", ("y",)), ("batchnorm_backward", ("dx",)),
                        ("batchnorm_delta_weights", ("dscale", "dshift"))):
        got = {}
        for name, module in (("c", c_batchnorm), ("numpy", numpy_batchnorm)):
            mean, var = stats[0].copy(), stats[1].copy()
            out = np.full((r, f), 7.0, np.float32, order="F")
            ds, db = np.ones(f, np.float32), np.ones(f, np.float32)
            if op == "batchnorm_forward":
                module.batchnorm_forward(x, scale, shift, mean, var, out, 1e-5, training)
            elif op == "batchnorm_backward":
                module.batchnorm_backward(x, dy, scale, mean, var, out, 1e-5, training)
            else:
                module.batchnorm_delta_weights(x, dy, mean, var, ds, db, 1e-5, training)
            got[name] = {"y": out, "dx": out, "dscale": ds, "dshift": db, "mean": mean, "var": var}
        for what in outputs + ("mean", "var"):
            _same(got["c"][what], got["numpy"][what], f"{op} {what}", tol=5e-5)
    assert not np.all(np.isfinite(got["c"]["dscale"])), "the specials never reached the deltas"
