"""The C backend's convolution and pooling functions (``framework/csrc/conv.c``, ``pool.c``).

Same names, arguments and results as ``numpy_conv.py`` (read its docstrings
for the contract), plus :func:`im2col_ref` / :func:`col2im_ref` (the plain C
loops, for tests). The C code checks nothing, so every function validates
first: dtype exactly float32 (``TypeError``); geometry of positive ints
(padding non-negative) with an output of at least 1x1, buffers contiguous
in column-major order with exactly the sizes the geometry implies,
outputs writeable and not overlapping an input (``ValueError``). A wrong
call raises; it never reaches C.
"""
from __future__ import annotations

import numpy as np

from .c_backend import _INT_MAX, _matrix, _raise_if_out_of_memory, _require_built, ffi, lib
from .numpy_conv import ConvGeom, PoolGeom

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "conv2d_delta_weights",
           "maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward"]

_F32 = np.dtype(np.float32)


# ---------------------------------------------------------------- validation

def _int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum \
            or value > _INT_MAX:
        kind = "positive" if minimum >= 1 else "non-negative"
        raise ValueError(f"{name}: expected a {kind} int, got {value!r}")
    return int(value)


def _conv_geom(g: object) -> ConvGeom:
    if not isinstance(g, ConvGeom):
        raise TypeError(f"g: expected a ConvGeom, got {type(g).__name__}")
    for name in ConvGeom._fields:
        _int(f"g.{name}", getattr(g, name), 0 if name in ("ph", "pw") else 1)
    if g.Ho < 1 or g.Wo < 1:
        raise ValueError(f"g: the {g.kh}x{g.kw} kernel (dilation {g.dh}x{g.dw}) does not fit the "
                         f"{g.H}x{g.W} input with padding {g.ph}x{g.pw}")
    if g.N * g.H * g.W * g.C > _INT_MAX or g.R > _INT_MAX or g.K > _INT_MAX:
        raise ValueError(f"g: sizes too large for the kernel's int indexing: {g}")
    return g


def _pool_geom(g: object) -> PoolGeom:
    if not isinstance(g, PoolGeom):
        raise TypeError(f"g: expected a PoolGeom, got {type(g).__name__}")
    for name in PoolGeom._fields:
        _int(f"g.{name}", getattr(g, name), 1)
    if g.ph > g.H or g.pw > g.W:
        raise ValueError(f"g: the {g.ph}x{g.pw} window does not fit the {g.H}x{g.W} input")
    if g.N * g.H * g.W * g.C > _INT_MAX:
        raise ValueError(f"g: sizes too large for the kernel's int indexing: {g}")
    return g


def _buffer(name: str, arr: object, size: int, writeable: bool = False) -> np.ndarray:
    """A float32 column-major contiguous array of ``size`` elements (any number of dims)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray of float32, got {type(arr).__name__}")
    if arr.dtype != _F32:
        raise TypeError(f"{name}: expected dtype float32, got {arr.dtype}")
    if not arr.flags.f_contiguous:
        raise ValueError(f"{name}: expected a contiguous column-major buffer, got strides "
                         f"{arr.strides} for shape {arr.shape}")
    if arr.size != size:
        raise ValueError(f"{name}: expected {size} elements for the geometry, got {arr.size} "
                         f"(shape {arr.shape})")
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{name}: expected a writeable array, got a read-only one")
    return arr


def _mat(name: str, arr: object, shape: tuple[int, int], writeable: bool = False) -> np.ndarray:
    """A float32 F-contiguous 2-D matrix of exactly ``shape``."""
    if isinstance(arr, np.ndarray) and arr.dtype != _F32:
        raise TypeError(f"{name}: expected dtype float32, got {arr.dtype}")
    _matrix(name, arr, writeable=writeable)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} for the geometry, got {arr.shape}")
    return arr


def _no_overlap(outputs: dict[str, np.ndarray], inputs: dict[str, np.ndarray]) -> None:
    items = list(outputs.items())
    for i, (oname, o) in enumerate(items):
        for iname, a in list(inputs.items()) + items[i + 1:]:
            if np.may_share_memory(o, a):
                raise ValueError(f"{oname}: must not overlap {iname}")


def _p(arr: np.ndarray):
    """``float *`` to element 0 of a validated F-contiguous array (its transpose is C-contiguous)."""
    return ffi.from_buffer("float[]", arr.T)


def _conv_args(g: ConvGeom) -> tuple[int, ...]:
    return (g.N, g.H, g.W, g.C, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw)


def _pool_args(g: PoolGeom) -> tuple[int, ...]:
    return (g.N, g.H, g.W, g.C, g.ph, g.pw, g.sh, g.sw)


# ---------------------------------------------------------------- im2col / col2im

def _im2col(fn_name: str, x: np.ndarray, g: ConvGeom, p: np.ndarray) -> None:
    _require_built()
    g = _conv_geom(g)
    _buffer("x", x, g.N * g.H * g.W * g.C)
    _mat("p", p, (g.R, g.K), writeable=True)
    _no_overlap({"p": p}, {"x": x})
    getattr(lib, fn_name)(_p(x), _p(p), *_conv_args(g))


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
    _require_built()
    g = _conv_geom(g)
    _mat("p", p, (g.R, g.K))
    _buffer("x", x, g.N * g.H * g.W * g.C, writeable=True)
    _no_overlap({"x": x}, {"p": p})
    getattr(lib, fn_name)(_p(p), _p(x), *_conv_args(g))


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
        return _int(f"{name}.shape[1] (C_out)", arr.shape[1], 1)
    _matrix(name, arr)  # raises the precise error
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
    _require_built()
    g = _conv_geom(g)
    o = _out_channels("w", w)
    _buffer("x", x, g.N * g.H * g.W * g.C)
    _mat("w", w, (g.K, o))
    _buffer("b", b, o)
    _mat("y", y, (g.R, o), writeable=True)
    _no_overlap({"y": y}, {"x": x, "w": w, "b": b})
    lib.conv2d_forward(_p(x), _p(w), _p(b), _p(y), o, *_conv_args(g))
    _raise_if_out_of_memory("conv2d_forward")


def conv2d_backward(dy: np.ndarray, w: np.ndarray, dx: np.ndarray, g: ConvGeom) -> None:
    """``δX = col2im(δY·Wᵀ)`` (overwrites ``dx``); see ``numpy_conv.conv2d_backward``.

    Args:
        dy: float32 F-contiguous ``[R, C_out]``.
        w: float32 F-contiguous ``[K, C_out]``.
        dx: float32 contiguous writeable ``N·H·W·C_in`` elements.
        g: the :class:`ConvGeom`.
    """
    _require_built()
    g = _conv_geom(g)
    o = _out_channels("w", w)
    _mat("dy", dy, (g.R, o))
    _mat("w", w, (g.K, o))
    _buffer("dx", dx, g.N * g.H * g.W * g.C, writeable=True)
    _no_overlap({"dx": dx}, {"dy": dy, "w": w})
    lib.conv2d_backward(_p(dy), _p(w), _p(dx), o, *_conv_args(g))
    _raise_if_out_of_memory("conv2d_backward")


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
    _require_built()
    g = _conv_geom(g)
    o = _out_channels("dw", dw)
    _buffer("x", x, g.N * g.H * g.W * g.C)
    _mat("dy", dy, (g.R, o))
    _mat("dw", dw, (g.K, o), writeable=True)
    _buffer("db", db, o, writeable=True)
    _no_overlap({"dw": dw, "db": db}, {"x": x, "dy": dy})
    lib.conv2d_delta_weights(_p(x), _p(dy), _p(dw), _p(db), o, *_conv_args(g))
    _raise_if_out_of_memory("conv2d_delta_weights")


# ---------------------------------------------------------------- pooling

def _pool_io(g: PoolGeom, x_name: str, x: np.ndarray, y_name: str, y: np.ndarray,
             x_is_input: bool) -> PoolGeom:
    g = _pool_geom(g)
    big, small = g.N * g.H * g.W * g.C, g.N * g.Ho * g.Wo * g.C
    _buffer(x_name, x, big, writeable=not x_is_input)
    _buffer(y_name, y, small, writeable=x_is_input)
    return g


def maxpool2d_forward(x: np.ndarray, y: np.ndarray, g: PoolGeom) -> None:
    """Window maxima (overwrites ``y``); see ``numpy_conv.maxpool2d_forward``.

    Args:
        x: float32 contiguous ``N·H·W·C`` elements.
        y: float32 contiguous writeable ``N·Ho·Wo·C`` elements.
        g: the :class:`PoolGeom`.
    """
    _require_built()
    g = _pool_io(g, "x", x, "y", y, x_is_input=True)
    _no_overlap({"y": y}, {"x": x})
    lib.maxpool2d_forward(_p(x), _p(y), *_pool_args(g))


def maxpool2d_backward(x: np.ndarray, dy: np.ndarray, dx: np.ndarray, g: PoolGeom) -> None:
    """Route ``δy`` to the first maximum of each window (overwrites ``dx``); see ``numpy_conv``.

    Args:
        x: float32 contiguous ``N·H·W·C`` forward input.
        dy: float32 contiguous ``N·Ho·Wo·C`` output deltas.
        dx: float32 contiguous writeable ``N·H·W·C`` input deltas.
        g: the :class:`PoolGeom`.
    """
    _require_built()
    g = _pool_io(g, "dx", dx, "dy", dy, x_is_input=False)
    _buffer("x", x, g.N * g.H * g.W * g.C)
    _no_overlap({"dx": dx}, {"x": x, "dy": dy})
    lib.maxpool2d_backward(_p(x), _p(dy), _p(dx), *_pool_args(g))


def avgpool2d_forward(x: np.ndarray, y: np.ndarray, g: PoolGeom) -> None:
    """Window means (overwrites ``y``); see ``numpy_conv.avgpool2d_forward``.

    Args:
        x: float32 contiguous ``N·H·W·C`` elements.
        y: float32 contiguous writeable ``N·Ho·Wo·C`` elements.
        g: the :class:`PoolGeom`.
    """
    _require_built()
    g = _pool_io(g, "x", x, "y", y, x_is_input=True)
    _no_overlap({"y": y}, {"x": x})
    lib.avgpool2d_forward(_p(x), _p(y), *_pool_args(g))


def avgpool2d_backward(dy: np.ndarray, dx: np.ndarray, g: PoolGeom) -> None:
    """Spread ``δy/(ph·pw)`` over each window (overwrites ``dx``); see ``numpy_conv``.

    Args:
        dy: float32 contiguous ``N·Ho·Wo·C`` output deltas.
        dx: float32 contiguous writeable ``N·H·W·C`` input deltas.
        g: the :class:`PoolGeom`.
    """
    _require_built()
    g = _pool_io(g, "dx", dx, "dy", dy, x_is_input=False)
    _no_overlap({"dx": dx}, {"dy": dy})
    lib.avgpool2d_backward(_p(dy), _p(dx), *_pool_args(g))
