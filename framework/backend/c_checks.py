"""Argument checks for every C wrapper (``c_backend``, ``c_conv``, ``c_lstm``), written once.

The C code checks nothing, so a wrapper validates every argument before a
pointer reaches C: dtype exactly float32 (``TypeError``); layout, shape,
writeability and overlap (``ValueError``). Each check names the argument,
what was expected and what was given.

Speed matters: for an MLP at batch 1 a whole C call costs about 2 µs, so the
common valid call takes one combined test per array (``type``, dtype,
flags) and only a failing array goes through the detailed tests that
explain it.

This module also owns the compiled module (``ffi``, ``lib``) and the
pointer helper, so the wrapper modules import from here and never from
each other.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .geometry import ConvGeom, PoolGeom

from .c_loader import ffi, lib  # None when not compiled: the registry then offers only NumPy

__all__ = ["ffi", "lib", "INT_MAX", "F32", "is_built", "require_built", "float32", "matrix",
           "matrix_of", "rows_of", "vector_of", "flat", "buffer_of", "same_layout",
           "no_overlap", "disjoint_or_same", "ptr", "raise_if_out_of_memory", "positive_int", "conv_geom", "pool_geom"]

INT_MAX = 2**31 - 1  # the kernel takes int dimensions, as BLAS does
F32 = np.dtype(np.float32)
_from_buffer = ffi.from_buffer if ffi is not None else None


def is_built() -> bool:
    """Return True when the compiled kernel imported and can be called."""
    return lib is not None


def require_built() -> None:
    """Raise ``RuntimeError`` (saying how to build it) when the kernel is not compiled."""
    if lib is None:
        raise RuntimeError(
            "the C kernel is not built: run `pip install -e .` with a C compiler "
            "available, or `python build_ext.py` in the project root"
        )


def raise_if_out_of_memory(kernel: str) -> None:
    """Raise ``MemoryError`` when the C call just made could not allocate its work buffers.

    Args:
        kernel: the name of the kernel, for the message.

    Raises:
        MemoryError: the kernel stopped early; its outputs are undefined.
    """
    if lib.kernel_take_error():
        raise MemoryError(
            f"{kernel}: the C kernel could not allocate its work buffers (out of memory); "
            "free memory, use a smaller batch, or switch to the NumPy backend"
        )


def ptr(arr: np.ndarray) -> Any:
    """A ``float *`` to element 0 of a validated contiguous array.

    Args:
        arr: a float32 array that passed one of the checks here.

    Returns:
        A cffi pointer over the array's memory (no copy).
    """
    # from_buffer wants a C-contiguous buffer; the transpose of a
    # column-major array is one, over the same memory. Several times cheaper
    # than arr.ctypes.data.
    return _from_buffer("float[]", arr if arr.flags.c_contiguous else arr.T)


# ---------------------------------------------------------------- one array

def float32(arg: str, arr: object) -> np.ndarray:
    """``arr`` if it is a float32 ndarray of at most 2**31-1 elements.

    Raises:
        TypeError: not an ndarray, or not float32.
        ValueError: too large for the kernel's int indexing.
    """
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{arg}: expected a numpy.ndarray of float32, got {type(arr).__name__}")
    if arr.dtype != F32:
        raise TypeError(f"{arg}: expected dtype float32, got {arr.dtype}")
    if arr.size > INT_MAX:
        raise ValueError(f"{arg}: more than 2**31-1 elements are not supported, got {arr.shape}")
    return arr


def _writeable(arg: str, arr: np.ndarray, writeable: bool) -> None:
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")


def matrix(arg: str, arr: object, writeable: bool = False) -> np.ndarray:
    """``arr`` if it is a float32 2-D column-major (F-contiguous) matrix.

    Raises:
        TypeError: wrong type or dtype.
        ValueError: not 2-D, not column-major, too large, or read-only when
            ``writeable``.
    """
    if (type(arr) is np.ndarray and arr.dtype is F32 and arr.ndim == 2
            and arr.flags.f_contiguous and arr.size <= INT_MAX
            and (not writeable or arr.flags.writeable)):
        return arr
    arr = float32(arg, arr)
    if arr.ndim != 2:
        raise ValueError(f"{arg}: expected a 2-D matrix, got {arr.ndim}-D shape {arr.shape}")
    if not arr.flags.f_contiguous:
        raise ValueError(
            f"{arg}: expected a column-major (F-contiguous) matrix, got strides "
            f"{arr.strides} for shape {arr.shape}; use np.asfortranarray"
        )
    _writeable(arg, arr, writeable)
    return arr


def matrix_of(arg: str, arr: object, shape: tuple[int, int], writeable: bool = False,
              why: str = "") -> np.ndarray:
    """A float32 column-major matrix of exactly ``shape`` (see :func:`matrix`).

    Args:
        arg: the argument's name, for messages.
        arr: the array to check.
        shape: the expected shape.
        writeable: whether the kernel writes it.
        why: where the shape comes from, for messages (``" for the geometry"``).
    """
    matrix(arg, arr, writeable)
    if arr.shape != shape:  # type: ignore[union-attr]
        raise ValueError(f"{arg}: expected shape {shape}{why}, got {arr.shape}")  # type: ignore[union-attr]
    return arr  # type: ignore[return-value]


def rows_of(arg: str, arr: object, shape: tuple[int, int], writeable: bool = False) -> np.ndarray:
    """A float32 2-D row-major (C-contiguous) array of exactly ``shape`` (the LSTM caches)."""
    arr = float32(arg, arr)
    if arr.ndim != 2:
        raise ValueError(f"{arg}: expected a 2-D row-major array, got {arr.ndim}-D shape {arr.shape}")
    if arr.shape != shape:
        raise ValueError(f"{arg}: expected shape {shape}, got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{arg}: expected a row-major (C-contiguous) array, got strides "
                         f"{arr.strides} for shape {arr.shape}; use np.ascontiguousarray")
    _writeable(arg, arr, writeable)
    return arr


def vector_of(arg: str, arr: object, length: int, writeable: bool = False) -> np.ndarray:
    """A float32 contiguous 1-D array of ``length`` elements."""
    if (type(arr) is np.ndarray and arr.dtype is F32 and arr.ndim == 1
            and arr.shape[0] == length and arr.flags.c_contiguous
            and (not writeable or arr.flags.writeable)):
        return arr
    arr = float32(arg, arr)
    if arr.ndim != 1 or arr.shape[0] != length:
        raise ValueError(f"{arg}: expected shape ({length},), got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{arg}: expected a contiguous vector, got strides {arr.strides}")
    _writeable(arg, arr, writeable)
    return arr


def flat(arg: str, arr: object, writeable: bool = False) -> np.ndarray:
    """A float32 array contiguous in either order, of any shape (elementwise kernels)."""
    if (type(arr) is np.ndarray and arr.dtype is F32
            and (arr.flags.c_contiguous or arr.flags.f_contiguous)
            and (not writeable or arr.flags.writeable)):
        return arr
    arr = float32(arg, arr)
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        raise ValueError(
            f"{arg}: expected a contiguous array, got strides {arr.strides} for shape {arr.shape}"
        )
    _writeable(arg, arr, writeable)
    return arr


def buffer_of(arg: str, arr: object, size: int, writeable: bool = False) -> np.ndarray:
    """A float32 column-major contiguous array of ``size`` elements, any number of dims (images)."""
    if (type(arr) is np.ndarray and arr.dtype is F32 and arr.flags.f_contiguous
            and arr.size == size and (not writeable or arr.flags.writeable)):
        return arr
    arr = float32(arg, arr)
    if not arr.flags.f_contiguous:
        raise ValueError(f"{arg}: expected a contiguous column-major buffer, got strides "
                         f"{arr.strides} for shape {arr.shape}")
    if arr.size != size:
        raise ValueError(f"{arg}: expected {size} elements for the geometry, got {arr.size} "
                         f"(shape {arr.shape})")
    _writeable(arg, arr, writeable)
    return arr


# ---------------------------------------------------------------- several arrays

def same_layout(**arrays: np.ndarray) -> None:
    """Elementwise kernels walk flat memory: every array needs one shape and one memory order.

    Raises:
        ValueError: naming the array whose shape or order differs.
    """
    items = list(arrays.items())
    first_name, first = items[0]
    for arg, arr in items[1:]:
        if arr.shape != first.shape:
            raise ValueError(f"{arg}: expected shape {first.shape} (that of {first_name}), got {arr.shape}")
    if first.ndim > 1 and not (all(a.flags.f_contiguous for _, a in items)
                               or all(a.flags.c_contiguous for _, a in items)):
        raise ValueError(
            f"{', '.join(n for n, _ in items)}: expected all column-major or all "
            "row-major, got a mix of memory orders"
        )


def no_overlap(outputs: dict[str, np.ndarray | None], inputs: dict[str, np.ndarray | None]) -> None:
    """Refuse an output that shares memory with an input or another output.

    A kernel reads some buffers while writing others; overlapping memory
    would give silently wrong results. ``None`` entries (optional arguments)
    are skipped.

    Raises:
        ValueError: ``"<out>: must not overlap <other>"``.
    """
    items = [(k, v) for k, v in outputs.items() if v is not None]
    for i, (oname, o) in enumerate(items):
        for iname, a in items[i + 1:] + list(inputs.items()):
            if a is not None and np.may_share_memory(o, a):
                raise ValueError(f"{oname}: must not overlap {iname}")


def disjoint_or_same(out_name: str, p_out: Any, n_out: int, in_name: str, p_in: Any,
                     n_in: int) -> None:
    """Refuse partially overlapping contiguous buffers; the very same buffer is allowed.

    For kernels where element ``i`` of the output depends only on element
    ``i`` of the input (elementwise), ``out`` may be ``in`` itself (in
    place), but a shifted overlap would read values already overwritten.

    Args:
        out_name: the output's argument name.
        p_out: :func:`ptr` of the output.
        n_out: its element count.
        in_name: the input's argument name.
        p_in: :func:`ptr` of the input.
        n_in: its element count.

    Raises:
        ValueError: when the two ranges overlap without coinciding.
    """
    if p_out != p_in and p_out < p_in + n_in and p_in < p_out + n_out:
        raise ValueError(f"{out_name}: must not partially overlap {in_name} "
                         f"(the same buffer, in place, is allowed)")


# ---------------------------------------------------------------- geometry

def positive_int(name: str, value: object, minimum: int) -> int:
    """``value`` as an int in ``[minimum, 2**31-1]``.

    Raises:
        ValueError: naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum \
            or value > INT_MAX:
        kind = "positive" if minimum >= 1 else "non-negative"
        raise ValueError(f"{name}: expected a {kind} int, got {value!r}")
    return int(value)


def conv_geom(g: object) -> Any:
    """Check a :class:`ConvGeom` and return it as the C ``conv_geom *`` the kernels take.

    Raises:
        TypeError: not a ConvGeom.
        ValueError: a field out of range, an output smaller than 1x1, or
            sizes beyond int indexing.
    """
    if not isinstance(g, ConvGeom):
        raise TypeError(f"g: expected a ConvGeom, got {type(g).__name__}")
    for name in ConvGeom._fields:
        positive_int(f"g.{name}", getattr(g, name), 0 if name in ("ph", "pw") else 1)
    if g.Ho < 1 or g.Wo < 1:
        raise ValueError(f"g: the {g.kh}x{g.kw} kernel (dilation {g.dil_h}x{g.dil_w}) does not "
                         f"fit the {g.H}x{g.W} input with padding {g.ph}x{g.pw}")
    if g.N * g.H * g.W * g.C > INT_MAX or g.R > INT_MAX or g.K > INT_MAX:
        raise ValueError(f"g: sizes too large for the kernel's int indexing: {g}")
    return ffi.new("conv_geom *", tuple(g))


def pool_geom(g: object) -> PoolGeom:
    """Check a :class:`PoolGeom` (every field at least 1, the window inside the input).

    Raises:
        TypeError: not a PoolGeom.
        ValueError: a field out of range or sizes beyond int indexing.
    """
    if not isinstance(g, PoolGeom):
        raise TypeError(f"g: expected a PoolGeom, got {type(g).__name__}")
    for name in PoolGeom._fields:
        positive_int(f"g.{name}", getattr(g, name), 1)
    if g.ph > g.H or g.pw > g.W:
        raise ValueError(f"g: the {g.ph}x{g.pw} window does not fit the {g.H}x{g.W} input")
    if g.N * g.H * g.W * g.C > INT_MAX:
        raise ValueError(f"g: sizes too large for the kernel's int indexing: {g}")
    return g
