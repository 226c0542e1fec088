"""Operations of neural networks: softmax, losses, convolution, pooling, the LSTM step.

Softmax, log-softmax, the fused softmax cross-entropy, conv2d and the two
poolings are primitives with their own forward and backward rules (side by
side below). Cross-entropy on probabilities, MSE and the LSTM step are
*composites*: plain Python over the other operations, differentiated by the
engine without a rule of their own.

Images are ``[N, H, W, C]`` and kernels ``[kh, kw, C_in, C_out]``, as in the
layers; conv2d and pooling go through the framework's im2col (the patch
matrix ``P[r, k]``, ``r = n + N·(ho + Ho·wo)``, ``k = i + kh·(j + kw·c)``,
column-major; see ``docs/conv.md``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import elementwise as ew
from ._geometry import ConvGeom, col2im, im2col
from .rules import lift, lift_pair, register
from .engine import apply
from .value import Value


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


# ---------------------------------------------------------------- softmax, log-softmax
def softmax(x: Value, axis: int = -1) -> Value:
    """``exp(x_i) / Σ_j exp(x_j)`` along ``axis``."""
    return apply("softmax", (x,), axis=int(axis))


def softmax_forward(ctx, x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))  # shifted: no overflow
    ctx.out, ctx.axis = e / e.sum(axis=axis, keepdims=True), axis
    return ctx.out


def softmax_backward(ctx, g):
    # δx_j = y_j·(δy_j − Σ_i δy_i·y_i): the Jacobian diag(y) − y·yᵀ applied to δy
    y = ctx.out
    return (y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)),)


def log_softmax(x: Value, axis: int = -1) -> Value:
    """``x_i − log Σ_j exp(x_j)`` along ``axis``, computed with log-sum-exp."""
    return apply("log_softmax", (x,), axis=int(axis))


def log_softmax_forward(ctx, x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    ctx.out, ctx.axis = out, axis
    return out


def log_softmax_backward(ctx, g):
    # ∂ log p_i / ∂x_j = δ_ij − p_j, so δx = δy − p·Σ_i δy_i
    p = np.exp(ctx.out)
    return (g - p * g.sum(axis=ctx.axis, keepdims=True),)


# ---------------------------------------------------------------- losses (averaged over rows)
def softmax_cross_entropy(z: Value, target: Any) -> Value:
    """``−(1/R) Σ_r Σ_i t_ri · log softmax(z_r)_i`` over the last axis, fused and stable.

    Args:
        z: raw scores ``[..., C]``; rows ``R`` are all leading indices.
        target: constant of the same shape (one-hot, soft labels, zero rows).

    Returns:
        A scalar Value. Its rule ``δz = (p·Σ_i t_i − t)/R`` never divides by
        a probability, and log-sum-exp never overflows.
    """
    t = np.asarray(target.data if isinstance(target, Value) else target, dtype=z.dtype)
    if t.shape != z.shape:
        raise ValueError(f"softmax_cross_entropy: target has shape {t.shape}, expected {z.shape}")
    return apply("softmax_cross_entropy", (z,), target=t)


def softmax_cross_entropy_forward(ctx, z, target):
    shifted = z - z.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    ctx.log_p, ctx.t, ctx.rows = log_p, target, z.size // z.shape[-1]
    return np.asarray(-(target * log_p).sum() / ctx.rows, dtype=z.dtype)


def softmax_cross_entropy_backward(ctx, g):
    t = ctx.t
    return (g * (np.exp(ctx.log_p) * t.sum(axis=-1, keepdims=True) - t) / ctx.rows,)


def cross_entropy(p: Value, target: Any, eps: float = 1e-12) -> Value:
    """``−(1/R) Σ t·log p`` on probabilities (composite; ``p`` below ``eps`` is clamped).

    Prefer :func:`softmax_cross_entropy` on raw scores for training.
    """
    t = lift(target, p)
    rows = p.data.size // p.shape[-1]
    clamped = ew.where(p.data > eps, p, eps)
    return ew.neg((t * ew.log(clamped)).sum()) / rows


def mse(x: Value, target: Any) -> Value:
    """``(1/R) Σ ½(x − t)²`` (composite), as the MSE loss."""
    d = x - lift(target, x)
    return (d * d).sum() * (0.5 / (x.data.size // x.shape[-1]))


# ---------------------------------------------------------------- conv2d through im2col
def conv2d(x: Value, w: Value, b: Value | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1) -> Value:
    """``Y[n, ho, wo, o] = b[o] + Σ_{i,j,c} X[n, ho·sh − ph + i·dh, wo·sw − pw + j·dw, c]·W[i, j, c, o]``.

    Args:
        x: images ``[N, H, W, C_in]``.
        w: kernel ``[kh, kw, C_in, C_out]``.
        b: bias ``[C_out]`` or None.
        stride, padding, dilation: an int or an ``(h, w)`` pair each.

    Raises:
        ValueError: when the shapes do not fit.
    """
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError(f"conv2d: needs x [N, H, W, C] and w [kh, kw, C, C_out] with the same C, "
                         f"got {x.shape} and {w.shape}")
    geom = ConvGeom(*x.shape, *w.shape[:2], *_pair(stride), *_pair(padding), *_pair(dilation))
    if geom.Ho < 1 or geom.Wo < 1:
        raise ValueError(f"conv2d: input {x.shape[1]}x{x.shape[2]} is smaller than the kernel")
    if b is None:
        b = Value(np.zeros(w.shape[3], x.dtype))
    x, w = lift_pair(x, w, "conv2d")
    return apply("conv2d", (x, w, lift(b, x)), geom=geom)


def _patches(x: np.ndarray, g: ConvGeom) -> np.ndarray:
    """The ``[R, K]`` column-major patch matrix of images ``x`` (logical ``[N, H, W, C]``)."""
    p = np.empty((g.N * g.Ho * g.Wo, g.K), dtype=x.dtype, order="F")
    im2col(x.reshape(-1, order="F"), g, p)
    return p


def _col2im(dp: np.ndarray, g: ConvGeom, dtype: np.dtype) -> np.ndarray:
    dx = np.empty(g.N * g.H * g.W * g.C, dtype=dtype)
    col2im(dp, g, dx)
    return dx.reshape((g.N, g.H, g.W, g.C), order="F")


def conv2d_forward(ctx, x, w, b, geom):
    ctx.p, ctx.geom = _patches(x, geom), geom
    ctx.wm = w.reshape((geom.K, w.shape[3]), order="F")  # [K, C_out], same k as P
    y = ctx.p @ ctx.wm + b                                 # Y = P·W + b, [R, C_out]
    return y.reshape((geom.N, geom.Ho, geom.Wo, w.shape[3]), order="F")


def conv2d_backward(ctx, g):
    geom, c_out = ctx.geom, ctx.wm.shape[1]
    gm = g.reshape((geom.R, c_out), order="F")              # δY as the [R, C_out] matrix
    gx = _col2im(np.asfortranarray(gm @ ctx.wm.T), geom, g.dtype) if ctx.needs[0] else None
    gw = (ctx.p.T @ gm).reshape((geom.kh, geom.kw, geom.C, c_out), order="F") \
        if ctx.needs[1] else None                           # δW = Pᵀ·δY
    gb = gm.sum(axis=0) if ctx.needs[2] else None           # δb = Σ_rows δY
    return gx, gw, gb


# ---------------------------------------------------------------- pooling through im2col
def _pool_geom(x: Value, pool_size: Any, stride: Any) -> ConvGeom:
    ph, pw = _pair(pool_size)
    sh, sw = _pair(pool_size if stride is None else stride)
    if x.ndim != 4 or x.shape[1] < ph or x.shape[2] < pw:
        raise ValueError(f"pooling {ph}x{pw}: needs images [N, H, W, C] at least that large, "
                         f"got {x.shape}")
    # a pooling window is a convolution tap pattern without padding or dilation
    return ConvGeom(*x.shape, ph, pw, sh, sw)


def _taps(x: np.ndarray, g: ConvGeom) -> np.ndarray:
    """``[R, ph·pw, C]``: the window of every output position, taps in reading order (row i outer)."""
    p4 = _patches(x, g).reshape((g.R, g.kh, g.kw, g.C), order="F")
    return p4.reshape((g.R, g.kh * g.kw, g.C))


def _untaps(d: np.ndarray, g: ConvGeom) -> np.ndarray:
    """Inverse of :func:`_taps` followed by col2im: window gradients back to image gradients."""
    dp = d.reshape((g.R, g.kh, g.kw, g.C)).reshape((g.R, g.K), order="F")
    return _col2im(dp, g, d.dtype)


def max_pool2d(x: Value, pool_size: Any, stride: Any = None) -> Value:
    """Window maxima; the gradient goes to the first maximum in reading order, as in MaxPool2D."""
    return apply("max_pool2d", (x,), geom=_pool_geom(x, pool_size, stride))


def max_pool2d_forward(ctx, x, geom):
    taps = _taps(x, geom)
    ctx.arg, ctx.geom = taps.argmax(axis=1)[:, None, :], geom     # first maximum wins a tie
    out = np.take_along_axis(taps, ctx.arg, axis=1)[:, 0, :]     # [R, C]
    return out.reshape((geom.N, geom.Ho, geom.Wo, geom.C), order="F")


def max_pool2d_backward(ctx, g):
    geom = ctx.geom
    d = np.zeros((geom.R, geom.kh * geom.kw, geom.C), g.dtype)
    np.put_along_axis(d, ctx.arg, g.reshape((geom.R, 1, geom.C), order="F"), axis=1)
    return (_untaps(d, geom),)


def avg_pool2d(x: Value, pool_size: Any, stride: Any = None) -> Value:
    """Window means."""
    return apply("avg_pool2d", (x,), geom=_pool_geom(x, pool_size, stride))


def avg_pool2d_forward(ctx, x, geom):
    ctx.geom = geom
    out = _taps(x, geom).mean(axis=1)
    return out.reshape((geom.N, geom.Ho, geom.Wo, geom.C), order="F")


def avg_pool2d_backward(ctx, g):
    geom = ctx.geom
    share = g.reshape((geom.R, 1, geom.C), order="F") / (geom.kh * geom.kw)
    return (_untaps(np.broadcast_to(share, (geom.R, geom.kh * geom.kw, geom.C)), geom),)


# ---------------------------------------------------------------- the LSTM step (composite)
def lstm_cell(a: Value, c_prev: Value) -> tuple[Value, Value]:
    """One step's gate arithmetic from the pre-activations ``a = x_t·U + h_{t-1}·W + b``.

    Args:
        a: ``[N, 4H]``, column blocks in the gate order i, f, o, g.
        c_prev: ``[N, H]``, the previous cell state.

    Returns:
        ``(h_t, c_t)``: ``c_t = f ⊙ c_{t-1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)``.
    """
    hidden = c_prev.shape[-1]
    i = ew.sigmoid(a[:, :hidden])
    f = ew.sigmoid(a[:, hidden:2 * hidden])
    o = ew.sigmoid(a[:, 2 * hidden:3 * hidden])
    g = ew.tanh(a[:, 3 * hidden:])
    c = f * c_prev + i * g
    return o * ew.tanh(c), c


def lstm_step(x_t: Value, h_prev: Value, c_prev: Value, U: Value, W: Value,
              b: Value) -> tuple[Value, Value]:
    """``a = x_t·U + h_{t-1}·W + b``, then :func:`lstm_cell`. Returns ``(h_t, c_t)``."""
    return lstm_cell(x_t @ U + h_prev @ W + b, c_prev)


for _name in ("softmax", "log_softmax", "softmax_cross_entropy", "conv2d", "max_pool2d",
              "avg_pool2d"):
    register(_name, globals()[f"{_name}_forward"], globals()[f"{_name}_backward"])
