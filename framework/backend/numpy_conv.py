"""NumPy reference for the convolution and pooling inner loops (images ``[N, H, W, C]``).

Part of the backend contract (``contract.py``): ``c_conv.py`` gives the
same functions, names and results on the C kernel. The geometry records
come from ``geometry.py``, which layers and backends share. Layout, as in
``docs/layout.md`` and ``docs/conv.md``:

* an image batch ``x`` is the flat column-major buffer of ``[N, H, W, C]``:
  element ``(n, h, w, c)`` at ``x[n + N*(h + H*(w + W*c))]``;
* the patch matrix ``p`` is ``[R, K]`` column-major with
  ``R = N·Ho·Wo`` rows, ``r = n + N*(ho + Ho*wo)``, and ``K = kh·kw·C``
  columns, ``k = i + kh*(j + kw*c)``:
  ``p[r, k] = x[n, ho*sh - ph + i*dil_h, wo*sw - pw + j*dil_w, c]``, or 0 where
  that position lies in the zero padding;
* a kernel ``w`` ``[kh, kw, C_in, C_out]`` is, for free, the ``[K, C_out]``
  matrix with the same ``k``; the output ``y`` ``[N, Ho, Wo, C_out]`` is
  the ``[R, C_out]`` matrix with the same ``r``. So ``Y = P·W + b``.

Every function writes its ``out``-type arguments in place and returns
nothing; each docstring says whether it overwrites or accumulates.
"""
from __future__ import annotations

import numpy as np

from .geometry import ConvGeom, PoolGeom

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward",
           "conv2d_delta_weights", "maxpool2d_forward", "maxpool2d_backward",
           "avgpool2d_forward", "avgpool2d_backward"]


# ---------------------------------------------------------------- im2col

def _image(buf: np.ndarray, n: int, h: int, w: int, c: int) -> np.ndarray:
    """Zero-copy logical ``[N, H, W, C]`` view of a flat column-major buffer."""
    return buf.reshape((n, h, w, c), order="F")


def _window(g: ConvGeom, i: int, j: int) -> tuple[slice, slice]:
    """Slices of the padded image that kernel tap ``(i, j)`` sees for every output position."""
    h0, w0 = i * g.dil_h, j * g.dil_w
    return (slice(h0, h0 + g.sh * (g.Ho - 1) + 1, g.sh),
            slice(w0, w0 + g.sw * (g.Wo - 1) + 1, g.sw))


def im2col(x: np.ndarray, g: ConvGeom, p: np.ndarray) -> None:
    """Patch matrix: ``p[r, k] = x[n, ho*sh - ph + i*dil_h, wo*sw - pw + j*dil_w, c]`` (overwrites ``p``).

    Args:
        x: flat ``[N, H, W, C]`` input, ``x[n + N*(h + H*(w + W*c))]``.
        g: the geometry.
        p: ``[R, K]`` column-major, ``r = n + N*(ho + Ho*wo)``,
            ``k = i + kh*(j + kw*c)``; positions in the padding give 0.
    """
    xp = np.zeros((g.N, g.H + 2 * g.ph, g.W + 2 * g.pw, g.C), dtype=x.dtype, order="F")
    xp[:, g.ph:g.ph + g.H, g.pw:g.pw + g.W, :] = _image(x, g.N, g.H, g.W, g.C)
    # [R, K] in column-major order is [N, Ho, Wo, kh, kw, C]: one slice per tap.
    p6 = p.reshape((g.N, g.Ho, g.Wo, g.kh, g.kw, g.C), order="F")
    for j in range(g.kw):
        for i in range(g.kh):
            hs, ws = _window(g, i, j)
            p6[:, :, :, i, j, :] = xp[:, hs, ws, :]


def col2im(p: np.ndarray, g: ConvGeom, x: np.ndarray) -> None:
    """The adjoint of :func:`im2col`: ``x[n, h, w, c] = Σ p[r, k]`` over every ``(r, k)`` that reads it.

    Overwrites ``x`` (the sum starts from zero); positions that only padding
    would read are dropped.

    Args:
        p: ``[R, K]`` column-major, indexed as in :func:`im2col`.
        g: the geometry.
        x: flat ``[N, H, W, C]`` buffer to overwrite.
    """
    xp = np.zeros((g.N, g.H + 2 * g.ph, g.W + 2 * g.pw, g.C), dtype=x.dtype, order="F")
    p6 = p.reshape((g.N, g.Ho, g.Wo, g.kh, g.kw, g.C), order="F")
    for j in range(g.kw):
        for i in range(g.kh):
            hs, ws = _window(g, i, j)
            xp[:, hs, ws, :] += p6[:, :, :, i, j, :]
    _image(x, g.N, g.H, g.W, g.C)[...] = xp[:, g.ph:g.ph + g.H, g.pw:g.pw + g.W, :]


# ---------------------------------------------------------------- convolution

def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, y: np.ndarray, g: ConvGeom) -> None:
    """``Y = im2col(X)·W + b`` (overwrites ``y``).

    Args:
        x: flat ``[N, H, W, C_in]`` input.
        w: ``[K, C_out]`` column-major kernel matrix (the ``[kh, kw, C_in, C_out]`` buffer).
        b: ``[C_out]`` bias.
        y: ``[R, C_out]`` column-major output matrix (the ``[N, Ho, Wo, C_out]`` buffer).
        g: the geometry.
    """
    p = np.empty((g.R, g.K), dtype=x.dtype, order="F")
    im2col(x, g, p)
    np.matmul(w.T, p.T, out=y.T)  # y = p @ w written straight into column-major y
    y += b


def conv2d_backward(dy: np.ndarray, w: np.ndarray, dx: np.ndarray, g: ConvGeom) -> None:
    """``δX = col2im(δY·Wᵀ)`` (overwrites ``dx``): the full convolution with the kernel rotated by 180°.

    Args:
        dy: ``[R, C_out]`` column-major output deltas.
        w: ``[K, C_out]`` column-major kernel matrix.
        dx: flat ``[N, H, W, C_in]`` input deltas to overwrite.
        g: the geometry.
    """
    dp = np.empty((g.R, g.K), dtype=dy.dtype, order="F")
    np.matmul(w, dy.T, out=dp.T)  # dp = dy @ w.T
    col2im(dp, g, dx)


def conv2d_delta_weights(x: np.ndarray, dy: np.ndarray, dw: np.ndarray, db: np.ndarray,
                         g: ConvGeom) -> None:
    """``δW += im2col(X)ᵀ·δY`` and ``δb += Σ_rows δY`` (accumulate).

    Args:
        x: flat ``[N, H, W, C_in]`` input of the forward pass.
        dy: ``[R, C_out]`` column-major output deltas.
        dw: ``[K, C_out]`` column-major kernel deltas (accumulated into).
        db: ``[C_out]`` bias deltas (accumulated into).
        g: the geometry.
    """
    p = np.empty((g.R, g.K), dtype=x.dtype, order="F")
    im2col(x, g, p)
    dw += p.T @ dy
    db += dy.sum(axis=0)


# ---------------------------------------------------------------- pooling

def _pool_taps(g: PoolGeom):
    """Yield ``(i, j, hs, ws)`` for every window offset, in scan order: row ``i`` outer, column ``j`` inner."""
    for i in range(g.ph):
        for j in range(g.pw):
            yield i, j, slice(i, i + g.sh * (g.Ho - 1) + 1, g.sh), slice(j, j + g.sw * (g.Wo - 1) + 1, g.sw)


def maxpool2d_forward(x: np.ndarray, y: np.ndarray, g: PoolGeom) -> None:
    """``y[n, ho, wo, c] = max`` of ``x[n, ho*sh + i, wo*sw + j, c]`` over the window (overwrites ``y``).

    Args:
        x: flat ``[N, H, W, C]`` input.
        y: flat ``[N, Ho, Wo, C]`` output.
        g: the geometry; windows that do not fit at the border are dropped.
    """
    x4 = _image(x, g.N, g.H, g.W, g.C)
    y4 = _image(y, g.N, g.Ho, g.Wo, g.C)
    for t, (_, _, hs, ws) in enumerate(_pool_taps(g)):
        if t == 0:
            y4[...] = x4[:, hs, ws, :]
        else:
            np.maximum(y4, x4[:, hs, ws, :], out=y4)


def _argmax_taps(x4: np.ndarray, g: PoolGeom) -> np.ndarray:
    """Index ``t = i*pw + j`` of the first maximum of every window, in scan order."""
    best = None
    arg = np.zeros((g.N, g.Ho, g.Wo, g.C), dtype=np.int64)
    for t, (_, _, hs, ws) in enumerate(_pool_taps(g)):
        v = x4[:, hs, ws, :]
        if best is None:
            best = v.copy()
            continue
        win = v > best  # strictly greater: a tie keeps the earlier tap
        best[win] = v[win]
        arg[win] = t
    return arg


def maxpool2d_backward(x: np.ndarray, dy: np.ndarray, dx: np.ndarray, g: PoolGeom) -> None:
    """Route each ``δy`` to the input that won its window (overwrites ``dx``).

    The winner is recomputed from ``x``: the first maximum in scan order
    (window row ``i`` outer, column ``j`` inner, i.e. reading order). Inputs
    that won no window get 0; an input that wins several overlapping windows
    gets the sum of their deltas.

    Args:
        x: flat ``[N, H, W, C]`` input of the forward pass.
        dy: flat ``[N, Ho, Wo, C]`` output deltas.
        dx: flat ``[N, H, W, C]`` input deltas to overwrite.
        g: the geometry.
    """
    x4 = _image(x, g.N, g.H, g.W, g.C)
    dy4 = _image(dy, g.N, g.Ho, g.Wo, g.C)
    dx4 = _image(dx, g.N, g.H, g.W, g.C)
    arg = _argmax_taps(x4, g)
    dx4[...] = 0
    for t, (_, _, hs, ws) in enumerate(_pool_taps(g)):
        dx4[:, hs, ws, :] += np.where(arg == t, dy4, 0)


def avgpool2d_forward(x: np.ndarray, y: np.ndarray, g: PoolGeom) -> None:
    """``y[n, ho, wo, c] = mean`` of ``x[n, ho*sh + i, wo*sw + j, c]`` over the window (overwrites ``y``).

    Args:
        x: flat ``[N, H, W, C]`` input.
        y: flat ``[N, Ho, Wo, C]`` output.
        g: the geometry; windows that do not fit at the border are dropped.
    """
    x4 = _image(x, g.N, g.H, g.W, g.C)
    y4 = _image(y, g.N, g.Ho, g.Wo, g.C)
    acc = np.zeros(y4.shape, dtype=x.dtype)
    for _, _, hs, ws in _pool_taps(g):
        acc += x4[:, hs, ws, :]
    y4[...] = acc / (g.ph * g.pw)


def avgpool2d_backward(dy: np.ndarray, dx: np.ndarray, g: PoolGeom) -> None:
    """``δx[n, h, w, c] = Σ δy / (ph·pw)`` over the windows containing ``(h, w)`` (overwrites ``dx``).

    Args:
        dy: flat ``[N, Ho, Wo, C]`` output deltas.
        dx: flat ``[N, H, W, C]`` input deltas to overwrite; inputs in no
            window (dropped border) get 0.
        g: the geometry.
    """
    dy4 = _image(dy, g.N, g.Ho, g.Wo, g.C) / (g.ph * g.pw)
    dx4 = _image(dx, g.N, g.H, g.W, g.C)
    dx4[...] = 0
    for _, _, hs, ws in _pool_taps(g):
        dx4[:, hs, ws, :] += dy4
