"""The C backend's convolution and pooling functions (``framework/csrc/conv.c``, ``pool.c``).

Same names, arguments and results as ``numpy_conv.py`` (read its docstrings
for the contract), plus :func:`im2col_ref` / :func:`col2im_ref` (the plain C
loops, for tests). The C code checks nothing, so every function validates
first, with the checks of ``c_checks.py``: dtype exactly float32 (``TypeError``); geometry of positive ints
(padding non-negative) with an output of at least 1x1, buffers contiguous
in column-major order with exactly the sizes the geometry implies,
outputs writeable and not overlapping an input (``ValueError``). A wrong
call raises; it never reaches C.
"""
from __future__ import annotations

import numpy as np

from . import c_checks as chk
from .c_checks import lib
from .geometry import ConvGeom, PoolGeom

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "conv2d_delta_weights",
           "maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward",
           "im2col_ref", "col2im_ref"]


def _image(g: ConvGeom | PoolGeom) -> int:
    """Elements of the ``[N, H, W, C]`` input image of a geometry."""
    return g.N * g.H * g.W * g.C


def _pool_args(g: PoolGeom) -> tuple[int, ...]:
    return (g.N, g.H, g.W, g.C, g.ph, g.pw, g.sh, g.sw)


# ---------------------------------------------------------------- im2col / col2im

def _im2col(fn_name: str, x: np.ndarray, g: ConvGeom, p: np.ndarray) -> None:
    chk.require_built()
    cg = chk.conv_geom(g)
    chk.buffer_of("x", x, _image(g))
    chk.matrix_of("p", p, (g.R, g.K), writeable=True, why=" for the geometry")
    chk.no_overlap({"p": p}, {"x": x})
    getattr(lib, fn_name)(chk.ptr(x), chk.ptr(p), cg)


def im2col(x: np.ndarray, g: ConvGeom, p: np.ndarray) -> None:
    """Patch matrix ``p [R, K]`` from ``x [N, H, W, C]`` (overwrites ``p``); see ``numpy_conv.im2col``.

    Args:
        x: float32 contiguous ``N·H·W·C`` elements, column-major.
        g: the :class:`ConvGeom`.
        p: float32 F-contiguous writeable ``[R, K]``.
    """
    _im2col("conv_im2col", x, g, p)


def im2col_ref(x: np.ndarray, g: ConvGeom, p: np.ndarray) -> None:
    """:func:`im2col` on the plain C loop ``conv_im2col_ref`` (for tests)."""
    _im2col("conv_im2col_ref", x, g, p)


def _col2im(fn_name: str, p: np.ndarray, g: ConvGeom, x: np.ndarray) -> None:
    chk.require_built()
    cg = chk.conv_geom(g)
    chk.matrix_of("p", p, (g.R, g.K), why=" for the geometry")
    chk.buffer_of("x", x, _image(g), writeable=True)
    chk.no_overlap({"x": x}, {"p": p})
    getattr(lib, fn_name)(chk.ptr(p), chk.ptr(x), cg)


def col2im(p: np.ndarray, g: ConvGeom, x: np.ndarray) -> None:
    """Sum the patch entries back into the image (overwrites ``x``); see ``numpy_conv.col2im``.

    Args:
        p: float32 F-contiguous ``[R, K]``.
        g: the :class:`ConvGeom`.
        x: float32 contiguous writeable ``N·H·W·C`` elements.
    """
    _col2im("conv_col2im", p, g, x)


def col2im_ref(p: np.ndarray, g: ConvGeom, x: np.ndarray) -> None:
    """:func:`col2im` on the plain C loop ``conv_col2im_ref`` (for tests)."""
    _col2im("conv_col2im_ref", p, g, x)


# ---------------------------------------------------------------- convolution

def _out_channels(name: str, arr: object) -> int:
    if isinstance(arr, np.ndarray) and arr.ndim == 2:
        return chk.positive_int(f"{name}.shape[1] (C_out)", arr.shape[1], 1)
    chk.matrix(name, arr)  # raises the precise error
    raise ValueError(f"{name}: expected a 2-D matrix")  # pragma: no cover


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, y: np.ndarray, g: ConvGeom) -> None:
    """``Y = im2col(X)·W + b`` (overwrites ``y``), chunked in C; see ``numpy_conv.conv2d_forward``.

    Args:
        x: float32 contiguous ``N·H·W·C_in`` elements.
        w: float32 F-contiguous ``[K, C_out]``.
        b: float32 contiguous ``[C_out]``.
        y: float32 F-contiguous writeable ``[R, C_out]``.
        g: the :class:`ConvGeom`.
    """
    chk.require_built()
    cg = chk.conv_geom(g)
    o = _out_channels("w", w)
    chk.buffer_of("x", x, _image(g))
    chk.matrix_of("w", w, (g.K, o), why=" for the geometry")
    chk.buffer_of("b", b, o)
    chk.matrix_of("y", y, (g.R, o), writeable=True, why=" for the geometry")
    chk.no_overlap({"y": y}, {"x": x, "w": w, "b": b})
    lib.conv2d_forward(chk.ptr(x), chk.ptr(w), chk.ptr(b), chk.ptr(y), o, cg)
    chk.raise_if_out_of_memory("conv2d_forward")


def conv2d_backward(dy: np.ndarray, w: np.ndarray, dx: np.ndarray, g: ConvGeom) -> None:
    """``δX = col2im(δY·Wᵀ)`` (overwrites ``dx``); see ``numpy_conv.conv2d_backward``.

    Args:
        dy: float32 F-contiguous ``[R, C_out]``.
        w: float32 F-contiguous ``[K, C_out]``.
        dx: float32 contiguous writeable ``N·H·W·C_in`` elements.
        g: the :class:`ConvGeom`.
    """
    chk.require_built()
    cg = chk.conv_geom(g)
    o = _out_channels("w", w)
    chk.matrix_of("dy", dy, (g.R, o), why=" for the geometry")
    chk.matrix_of("w", w, (g.K, o), why=" for the geometry")
    chk.buffer_of("dx", dx, _image(g), writeable=True)
    chk.no_overlap({"dx": dx}, {"dy": dy, "w": w})
    lib.conv2d_backward(chk.ptr(dy), chk.ptr(w), chk.ptr(dx), o, cg)
    chk.raise_if_out_of_memory("conv2d_backward")


def conv2d_delta_weights(x: np.ndarray, dy: np.ndarray, dw: np.ndarray, db: np.ndarray,
                         g: ConvGeom) -> None:
    """``δW += im2col(X)ᵀ·δY``, ``δb += Σ_rows δY`` (accumulate); see ``numpy_conv.conv2d_delta_weights``.

    Args:
        x: float32 contiguous ``N·H·W·C_in`` elements.
        dy: float32 F-contiguous ``[R, C_out]``.
        dw: float32 F-contiguous writeable ``[K, C_out]``.
        db: float32 contiguous writeable ``[C_out]``.
        g: the :class:`ConvGeom`.
    """
    chk.require_built()
    cg = chk.conv_geom(g)
    o = _out_channels("dw", dw)
    chk.buffer_of("x", x, _image(g))
    chk.matrix_of("dy", dy, (g.R, o), why=" for the geometry")
    chk.matrix_of("dw", dw, (g.K, o), writeable=True, why=" for the geometry")
    chk.buffer_of("db", db, o, writeable=True)
    chk.no_overlap({"dw": dw, "db": db}, {"x": x, "dy": dy})
    lib.conv2d_delta_weights(chk.ptr(x), chk.ptr(dy), chk.ptr(dw), chk.ptr(db), o, cg)
    chk.raise_if_out_of_memory("conv2d_delta_weights")


# ---------------------------------------------------------------- pooling

def _pool_io(g: PoolGeom, x_name: str, x: np.ndarray, y_name: str, y: np.ndarray,
             x_is_input: bool) -> PoolGeom:
    g = chk.pool_geom(g)
    big, small = _image(g), g.N * g.Ho * g.Wo * g.C
    chk.buffer_of(x_name, x, big, writeable=not x_is_input)
    chk.buffer_of(y_name, y, small, writeable=x_is_input)
    return g


def maxpool2d_forward(x: np.ndarray, y: np.ndarray, g: PoolGeom) -> None:
    """Window maxima (overwrites ``y``); see ``numpy_conv.maxpool2d_forward``.

    Args:
        x: float32 contiguous ``N·H·W·C`` elements.
        y: float32 contiguous writeable ``N·Ho·Wo·C`` elements.
        g: the :class:`PoolGeom`.
    """
    chk.require_built()
    g = _pool_io(g, "x", x, "y", y, x_is_input=True)
    chk.no_overlap({"y": y}, {"x": x})
    lib.maxpool2d_forward(chk.ptr(x), chk.ptr(y), *_pool_args(g))


def maxpool2d_backward(x: np.ndarray, dy: np.ndarray, dx: np.ndarray, g: PoolGeom) -> None:
    """Route ``δy`` to the first maximum of each window (overwrites ``dx``); see ``numpy_conv``.

    Args:
        x: float32 contiguous ``N·H·W·C`` forward input.
        dy: float32 contiguous ``N·Ho·Wo·C`` output deltas.
        dx: float32 contiguous writeable ``N·H·W·C`` input deltas.
        g: the :class:`PoolGeom`.
    """
    chk.require_built()
    g = _pool_io(g, "dx", dx, "dy", dy, x_is_input=False)
    chk.buffer_of("x", x, _image(g))
    chk.no_overlap({"dx": dx}, {"x": x, "dy": dy})
    lib.maxpool2d_backward(chk.ptr(x), chk.ptr(dy), chk.ptr(dx), *_pool_args(g))


def avgpool2d_forward(x: np.ndarray, y: np.ndarray, g: PoolGeom) -> None:
    """Window means (overwrites ``y``); see ``numpy_conv.avgpool2d_forward``.

    Args:
        x: float32 contiguous ``N·H·W·C`` elements.
        y: float32 contiguous writeable ``N·Ho·Wo·C`` elements.
        g: the :class:`PoolGeom`.
    """
    chk.require_built()
    g = _pool_io(g, "x", x, "y", y, x_is_input=True)
    chk.no_overlap({"y": y}, {"x": x})
    lib.avgpool2d_forward(chk.ptr(x), chk.ptr(y), *_pool_args(g))


def avgpool2d_backward(dy: np.ndarray, dx: np.ndarray, g: PoolGeom) -> None:
    """Spread ``δy/(ph·pw)`` over each window (overwrites ``dx``); see ``numpy_conv``.

    Args:
        dy: float32 contiguous ``N·Ho·Wo·C`` output deltas.
        dx: float32 contiguous writeable ``N·H·W·C`` input deltas.
        g: the :class:`PoolGeom`.
    """
    chk.require_built()
    g = _pool_io(g, "dx", dx, "dy", dy, x_is_input=False)
    chk.no_overlap({"dx": dx}, {"dy": dy})
    lib.avgpool2d_backward(chk.ptr(dy), chk.ptr(dx), *_pool_args(g))
