"""C convolution and pooling kernels (framework/csrc/conv.c, pool.c) against the NumPy reference.

Skipped when the kernel is not built, except under ``CI=true``, where a
missing kernel is a failure.
"""
from __future__ import annotations


import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework.backend import c_backend, numpy_conv as ref
from framework.backend.geometry import ConvGeom, PoolGeom

require_c_kernel()

from framework.backend import c_conv  # noqa: E402  (needs the kernel)

rng = np.random.default_rng(42)

CONV = [  # N, H, W, C, kh, kw, sh, sw, ph, pw, dh, dw
    ConvGeom(1, 5, 5, 1, 1, 1),                          # 1x1 kernel, batch 1
    ConvGeom(3, 4, 6, 5, 1, 1, 2, 1),                    # 1x1, stride 2
    ConvGeom(3, 7, 6, 2, 3, 2, 1, 1, 1, 2, 1, 2),         # rectangular, padding, dilation
    ConvGeom(2, 9, 8, 3, 3, 3, 2, 2, 1, 1, 1, 1),         # stride 2 + padding (col2im path)
    ConvGeom(4, 10, 11, 3, 3, 3, 1, 1, 0, 0, 2, 1),       # odd sizes, dilation
    ConvGeom(3, 8, 9, 2, 2, 3, 2, 3, 1, 0, 2, 1),         # everything rectangular
    ConvGeom(2, 6, 6, 2, 2, 2, 1, 1, 3, 3, 1, 1),         # padding wider than the kernel
    ConvGeom(1, 13, 11, 4, 5, 5, 1, 1, 2, 2, 1, 1),       # LeNet-like, batch 1
    ConvGeom(5, 17, 15, 6, 3, 3, 1, 1, 1, 1, 1, 1),       # several chunks and threads
]
POOL = [  # N, H, W, C, ph, pw, sh, sw
    PoolGeom(1, 4, 4, 1, 2, 2, 2, 2),
    PoolGeom(3, 7, 6, 2, 2, 2, 2, 2),                     # odd: border dropped
    PoolGeom(2, 7, 9, 3, 3, 2, 2, 1),                     # overlapping windows
    PoolGeom(1, 5, 5, 2, 1, 1, 1, 1),                     # 1x1 window
    PoolGeom(70, 8, 6, 3, 2, 3, 1, 3),                    # batch > the kernel's block of 64
    PoolGeom(8, 64, 64, 16, 2, 2, 2, 2),                  # large enough for threads
]


def f32(*shape: int) -> np.ndarray:
    return np.asfortranarray(rng.standard_normal(shape).astype(np.float32))


def image(g) -> np.ndarray:
    return f32(g.N * g.H * g.W * g.C)


@pytest.mark.parametrize("g", CONV)
def test_im2col_and_col2im_match_numpy_exactly(g):
    x = image(g)
    expected = np.zeros((g.R, g.K), np.float32, order="F")
    ref.im2col(x, g, expected)
    for fn in (c_conv.im2col, c_conv.im2col_ref):
        p = f32(g.R, g.K)  # garbage first: im2col overwrites
        fn(x, g, p)
        np.testing.assert_array_equal(p, expected)
    p = f32(g.R, g.K)
    dx_ref = np.zeros_like(x)
    ref.col2im(p, g, dx_ref)
    for fn in (c_conv.col2im, c_conv.col2im_ref):
        dx = image(g)  # garbage: col2im overwrites
        fn(p, g, dx)
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("g", CONV)
def test_conv2d_kernels_match_numpy(g):
    o = 5
    x, w, b = image(g), f32(g.K, o), f32(o)
    y, y_ref = f32(g.R, o), f32(g.R, o)
    ref.conv2d_forward(x, w, b, y_ref, g)
    c_conv.conv2d_forward(x, w, b, y, g)
    scale = np.sqrt(g.K)  # dot products of length K of unit-normal numbers
    np.testing.assert_allclose(y, y_ref, atol=1e-5 * scale, rtol=1e-5)

    dy = f32(g.R, o)
    dx, dx_ref = image(g), image(g)
    ref.conv2d_backward(dy, w, dx_ref, g)
    c_conv.conv2d_backward(dy, w, dx, g)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-5 * scale, rtol=1e-5)

    dw0, db0 = f32(g.K, o), f32(o)  # accumulate onto these
    dw, db, dw_ref, db_ref = dw0.copy(order="F"), db0.copy(), dw0.copy(order="F"), db0.copy()
    ref.conv2d_delta_weights(x, dy, dw_ref, db_ref, g)
    c_conv.conv2d_delta_weights(x, dy, dw, db, g)
    rows = np.sqrt(g.R)
    np.testing.assert_allclose(dw, dw_ref, atol=1e-5 * rows, rtol=1e-5)
    np.testing.assert_allclose(db, db_ref, atol=1e-5 * rows, rtol=1e-5)
    assert not np.allclose(dw, dw0)  # it did add something


@pytest.mark.parametrize("g, o", [
    (ConvGeom(4, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1), 64),  # the benchmark's layer, batch 4
    (ConvGeom(16, 28, 28, 1, 5, 5, 1, 1, 2, 2, 1, 1), 6),   # LeNet conv 1 (direct weight deltas)
    (ConvGeom(16, 14, 14, 6, 5, 5), 16),                     # LeNet conv 2 (serial col2im)
    (ConvGeom(8, 31, 29, 8, 3, 3, 2, 2, 1, 1, 1, 1), 24),   # stride 2, threaded
    # Batches that are multiples of 32 take the implicit-im2col paths (A read
    # through a table of pointers into x; input deltas as the full convolution):
    (ConvGeom(32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1), 64),   # the benchmark's layer, smaller image
    (ConvGeom(32, 7, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1), 17),   # odd channel count: wider tile + temp
    (ConvGeom(64, 6, 6, 20, 3, 3, 1, 1, 1, 1, 1, 1), 6),    # 6 channels (LeNet-like), batch 64
    (ConvGeom(32, 9, 8, 16, 3, 3, 2, 2, 1, 1, 1, 1), 8),    # stride 2: forward only on the new path
    (ConvGeom(32, 9, 9, 16, 3, 3, 1, 1, 2, 2, 2, 2), 12),   # dilation 2 with "same" padding
    (ConvGeom(96, 6, 7, 3, 3, 2, 1, 1, 0, 0, 1, 1), 40),    # valid padding, 3 input channels
])
def test_conv2d_large_layers_match_numpy(g, o):
    """Shapes large enough for many chunks and both threads, on every backward path."""
    x, w, b, dy = image(g), f32(g.K, o), f32(o), f32(g.R, o)
    y, y_ref = f32(g.R, o), f32(g.R, o)
    ref.conv2d_forward(x, w, b, y_ref, g)
    c_conv.conv2d_forward(x, w, b, y, g)
    np.testing.assert_allclose(y, y_ref, atol=1e-3, rtol=1e-4)
    dx, dx_ref = image(g), image(g)
    ref.conv2d_backward(dy, w, dx_ref, g)
    c_conv.conv2d_backward(dy, w, dx, g)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-3, rtol=1e-4)
    dw, dw_ref = np.zeros((g.K, o), np.float32, order="F"), np.zeros((g.K, o), np.float32, order="F")
    db, db_ref = np.zeros(o, np.float32), np.zeros(o, np.float32)
    ref.conv2d_delta_weights(x, dy, dw_ref, db_ref, g)
    c_conv.conv2d_delta_weights(x, dy, dw, db, g)
    np.testing.assert_allclose(dw, dw_ref, atol=1e-2, rtol=1e-4)
    np.testing.assert_allclose(db, db_ref, atol=1e-2, rtol=1e-4)


@pytest.mark.parametrize("g", POOL)
def test_pool_kernels_match_numpy(g):
    x = image(g)
    x[: x.size // 2: 3] = 0.5  # many exact ties, in every tap position
    out = g.N * g.Ho * g.Wo * g.C
    for fwd, bwd, needs_x in ((ref.maxpool2d_forward, ref.maxpool2d_backward, True),
                              (ref.avgpool2d_forward, ref.avgpool2d_backward, False)):
        name = fwd.__name__
        y, y_ref = f32(out), f32(out)
        fwd(x, y_ref, g)
        getattr(c_conv, name)(x, y, g)
        np.testing.assert_allclose(y, y_ref, rtol=1e-6, atol=1e-6, err_msg=name)
        dy = f32(out)
        dx, dx_ref = image(g), image(g)
        bname = bwd.__name__
        if needs_x:
            bwd(x, dy, dx_ref, g)
            getattr(c_conv, bname)(x, dy, dx, g)
        else:
            bwd(dy, dx_ref, g)
            getattr(c_conv, bname)(dy, dx, g)
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-6, atol=1e-6, err_msg=bname)


def test_maxpool_tie_goes_to_first_in_reading_order():
    g = PoolGeom(1, 2, 2, 1, 2, 2, 2, 2)
    # x[h + 2w]: (0,0)=1, (1,0)=3, (0,1)=3, (1,1)=3 -> reading order (row 0 first): (0,1)
    x = np.array([1, 3, 3, 3], np.float32)
    dx = np.full(4, 9.0, np.float32)
    c_conv.maxpool2d_backward(x, np.array([1.0], np.float32), dx, g)
    assert dx.tolist() == [0.0, 0.0, 1.0, 0.0]


# ---------------------------------------------------------------- validation

G = ConvGeom(2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1)
O = 4


def _conv_args():
    return image(G), f32(G.K, O), f32(O), f32(G.R, O)


def test_wrong_dtype_raises_type_error():
    x, w, b, y = _conv_args()
    with pytest.raises(TypeError, match="x: expected dtype float32, got float64"):
        c_conv.conv2d_forward(x.astype(np.float64), w, b, y, G)
    with pytest.raises(TypeError, match="w: expected dtype float32"):
        c_conv.conv2d_forward(x, np.asfortranarray(w, dtype=np.float64), b, y, G)
    with pytest.raises(TypeError, match="x: expected a numpy.ndarray"):
        c_conv.im2col(list(x), G, f32(G.R, G.K))
    with pytest.raises(TypeError, match="expected a ConvGeom"):
        c_conv.im2col(x, tuple(G), f32(G.R, G.K))
    with pytest.raises(TypeError, match="dy: expected dtype float32"):
        c_conv.maxpool2d_backward(f32(16), np.zeros(4), f32(16), PoolGeom(1, 4, 4, 1, 2, 2, 2, 2))


def test_wrong_sizes_raise_value_error():
    x, w, b, y = _conv_args()
    with pytest.raises(ValueError, match=r"x: expected 150 elements for the geometry, got 149"):
        c_conv.conv2d_forward(x[:-1], w, b, y, G)
    with pytest.raises(ValueError, match=r"y: expected shape \(50, 4\) for the geometry"):
        c_conv.conv2d_forward(x, w, b, f32(G.R + 1, O), G)
    with pytest.raises(ValueError, match=r"w: expected shape \(27, 4\)"):
        c_conv.conv2d_forward(x, f32(G.K - 1, O), b, y, G)
    with pytest.raises(ValueError, match=r"b: expected 4 elements"):
        c_conv.conv2d_forward(x, w, f32(O + 1), y, G)
    with pytest.raises(ValueError, match=r"dw: expected shape \(27, 4\)"):
        c_conv.conv2d_delta_weights(x, y, f32(G.K + 1, O), b, G)
    with pytest.raises(ValueError, match=r"y: expected 8 elements"):
        c_conv.avgpool2d_forward(f32(32), f32(9), PoolGeom(2, 4, 4, 1, 2, 2, 2, 2))


def test_bad_geometry_raises_value_error():
    x, w, b, y = _conv_args()
    with pytest.raises(ValueError, match=r"g.sh: expected a positive int, got 0"):
        c_conv.conv2d_forward(x, w, b, y, G._replace(sh=0))
    with pytest.raises(ValueError, match=r"g.ph: expected a non-negative int, got -1"):
        c_conv.conv2d_forward(x, w, b, y, G._replace(ph=-1))
    with pytest.raises(ValueError, match=r"g.kh: expected a positive int, got 2.0"):
        c_conv.conv2d_forward(x, w, b, y, G._replace(kh=2.0))
    with pytest.raises(ValueError, match="does not fit"):
        c_conv.im2col(x, G._replace(kh=9, ph=0), f32(1, 1))
    with pytest.raises(ValueError, match=r"window does not fit"):
        c_conv.maxpool2d_forward(f32(16), f32(1), PoolGeom(1, 4, 4, 1, 5, 2, 1, 1))
    with pytest.raises(ValueError, match=r"g.sw: expected a positive int, got 0"):
        c_conv.maxpool2d_forward(f32(16), f32(4), PoolGeom(1, 4, 4, 1, 2, 2, 2, 0))


def test_layout_and_aliasing_raise_value_error():
    x, w, b, y = _conv_args()
    with pytest.raises(ValueError, match="w: expected a column-major"):
        c_conv.conv2d_forward(x, np.ascontiguousarray(w), b, y, G)
    with pytest.raises(ValueError, match="x: expected a contiguous column-major buffer"):
        c_conv.conv2d_forward(f32(2 * x.size)[::2], w, b, y, G)
    ro = y.copy(order="F")
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="y: expected a writeable array"):
        c_conv.conv2d_forward(x, w, b, ro, G)
    p = f32(G.R, G.K)
    with pytest.raises(ValueError, match="p: must not overlap x"):
        c_conv.im2col(p.reshape(-1, order="F")[:x.size], G, p)
    buf = f32(16)
    with pytest.raises(ValueError, match="y: must not overlap x"):
        c_conv.maxpool2d_forward(buf, buf[:4], PoolGeom(1, 4, 4, 1, 2, 2, 2, 2))


@pytest.mark.parametrize("threads", [1, 2])
def test_implicit_im2col_paths_agree_on_one_and_two_threads(threads):
    """The batch-of-32 paths split work across threads differently: same results either way."""
    g, o = ConvGeom(32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1), 64
    x, w, b, dy = image(g), f32(g.K, o), f32(o), f32(g.R, o)
    before = c_backend.get_num_threads()
    try:
        c_backend.set_num_threads(threads)
        y, dx = f32(g.R, o), image(g)
        c_conv.conv2d_forward(x, w, b, y, g)
        c_conv.conv2d_backward(dy, w, dx, g)
    finally:
        c_backend.set_num_threads(before)
    y_ref, dx_ref = f32(g.R, o), image(g)
    ref.conv2d_forward(x, w, b, y_ref, g)
    ref.conv2d_backward(dy, w, dx_ref, g)
    np.testing.assert_allclose(y, y_ref, atol=1e-3, rtol=1e-4)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-3, rtol=1e-4)
