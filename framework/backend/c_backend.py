"""The C backend: the compiled float32 kernel behind the backend contract (``contract.py``).

This module and its siblings (``c_conv.py``, ``c_lstm.py``, ``c_batchnorm.py``) are the
only Python modules that hand pointers to C (``framework._kernels``, built
from ``framework/csrc`` by ``build_ext.py``). The C code checks nothing, so
every function validates its arguments first with the checks of
``c_checks.py``: dtype exactly float32, 2-D matrices column-major
(F-contiguous), shapes that agree, outputs writeable and not overlapping an
input. A wrong call raises ``TypeError`` or ``ValueError``; it never reaches C.

Functions, names and semantics are those of the contract (the NumPy
reference, ``numpy_backend``, documents each one), plus :func:`is_built`,
:func:`set_num_threads`, :func:`get_num_threads`, :func:`kernel_variant`,
:func:`has_openmp`, and :func:`matmul_ref` / :func:`block_sizes` for tests.
Which compiled module runs (portable, AVX2, AVX-512) is chosen once at
import by ``c_loader``; a kernel that runs out of memory raises ``MemoryError``. :func:`implementations` is what this backend
registers; :data:`NUMPY_FALLBACK` lists the operations it declares NumPy for.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import c_checks as chk
from . import numpy_backend
from .c_checks import F32 as _F32
from .c_checks import INT_MAX as _INT_MAX
from .c_checks import ffi, is_built, lib
from .c_batchnorm import batchnorm_backward, batchnorm_delta_weights, batchnorm_forward
from .c_loader import has_openmp, kernel_variant
from .c_conv import (avgpool2d_backward, avgpool2d_forward, col2im, conv2d_backward,
                     conv2d_delta_weights, conv2d_forward, im2col, maxpool2d_backward,
                     maxpool2d_forward)
from .c_lstm import (lstm_bias_grad, lstm_cell_backward, lstm_cell_forward,
                     lstm_sequence_backward, lstm_sequence_forward)

_from_buffer = ffi.from_buffer if ffi is not None else None
_SGEMM = lib.sgemm if lib is not None else None
_SGEMM_SMALL = lib.sgemm_small if lib is not None else None
# batches up to this many rows skip sgemm's packing (gemm_small.c)
_SMALL_ROWS = lib.sgemm_small_max_rows() if lib is not None else 0

name = "c"

__all__ = ["name", "is_built", "set_num_threads", "get_num_threads", "block_sizes", "matmul",
           "matmul_ref", "add_bias", "bias_grad", "sigmoid_forward", "sigmoid_backward",
           "relu_forward", "relu_backward", "tanh_forward", "tanh_backward", "im2col", "col2im",
           "conv2d_forward", "conv2d_backward", "conv2d_delta_weights", "maxpool2d_forward",
           "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward", "lstm_cell_forward",
           "lstm_cell_backward", "lstm_sequence_forward", "lstm_sequence_backward",
           "lstm_bias_grad", "batchnorm_forward", "batchnorm_backward",
           "batchnorm_delta_weights", "implementations", "NUMPY_FALLBACK", "kernel_variant", "has_openmp"]


def set_num_threads(n: int) -> None:
    """Set the number of threads ``matmul`` uses from now on.

    Args:
        n: thread count, at least 1. Also sets OpenMP's default for the
            process (``omp_set_num_threads``). Ignored without OpenMP.

    Raises:
        ValueError: if ``n`` is not a positive integer.
    """
    chk.require_built()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    lib.gemm_set_num_threads(int(n))


def get_num_threads() -> int:
    """Return the number of threads ``matmul`` uses (``OMP_NUM_THREADS`` by default).

    Returns:
        The thread count; 1 when the kernel was built without OpenMP.
    """
    chk.require_built()
    return int(lib.gemm_get_num_threads())


def block_sizes() -> dict[str, int]:
    """Return the blocking constants ``sgemm`` was compiled with.

    Returns:
        ``{"MR", "NR", "MC", "KC", "NC"}``: register tile rows/columns and the
        cache-block sizes of ``framework/csrc/gemm.c``. Tests aim at their edges.
    """
    chk.require_built()
    out = ffi.new("int[5]")
    lib.gemm_block_sizes(out)
    return dict(zip(("MR", "NR", "MC", "KC", "NC"), list(out)))


# ---------------------------------------------------------------- matmul

def _gemm(fn, a: np.ndarray, b: np.ndarray, out: np.ndarray, trans_a: bool,
          trans_b: bool, beta: float) -> None:
    # One combined test for the common valid call (plain float32 F-ordered
    # ndarrays): for the MLP's smallest products the whole C call takes 2 us,
    # so validation has to be cheaper than that. Anything unusual goes
    # through the explicit checks, which name the problem.
    if not (type(a) is np.ndarray and type(b) is np.ndarray and type(out) is np.ndarray
            and a.dtype is _F32 and b.dtype is _F32 and out.dtype is _F32
            and a.ndim == 2 and b.ndim == 2 and out.ndim == 2
            and a.flags.f_contiguous and b.flags.f_contiguous
            and out.flags.f_contiguous and out.flags.writeable
            and (a.size | b.size | out.size) <= _INT_MAX and lib is not None):
        chk.require_built()
        chk.matrix("a", a)
        chk.matrix("b", b)
        chk.matrix("out", out, writeable=True)
    if beta != 0.0 and beta != 1.0:
        raise ValueError(f"beta: expected 0.0 (overwrite) or 1.0 (accumulate), got {beta!r}")
    ra, ca = a.shape
    rb, cb = b.shape
    m, k = (ca, ra) if trans_a else (ra, ca)
    kb, n = (cb, rb) if trans_b else (rb, cb)
    if kb != k:
        raise ValueError(
            f"b: expected {'[N, K]' if trans_b else '[K, N]'} with K = {k} "
            f"(from a{'.T' if trans_a else ''} of shape ({m}, {k})), got shape {b.shape}"
        )
    if out.shape != (m, n):
        raise ValueError(f"out: expected shape ({m}, {n}), got {out.shape}")
    # The kernel reads a and b while writing out; overlapping memory would
    # give silently wrong results.
    if np.may_share_memory(out, a) or np.may_share_memory(out, b):
        raise ValueError("out: must not overlap a or b")
    if m <= _SMALL_ROWS and fn is _SGEMM:
        fn = _SGEMM_SMALL   # a few rows: packing op(B) would cost more than the product
    # Pointers: the transpose of an F-contiguous matrix is a C-contiguous
    # view of the same memory, which is what from_buffer needs; several times
    # cheaper than arr.ctypes.data. Leading dimensions are the row counts
    # (dense column-major), at least 1 as BLAS requires.
    fn(1 if trans_a else 0, 1 if trans_b else 0, m, n, k, 1.0,
       _from_buffer("float[]", a.T), ra or 1, _from_buffer("float[]", b.T), rb or 1,
       float(beta), _from_buffer("float[]", out.T), m or 1)


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, trans_a: bool = False,
           trans_b: bool = False, beta: float = 0.0) -> None:
    """``out = op(a) @ op(b) + beta * out`` with ``op(m)`` = ``m.T`` if asked (C sgemm).

    Products with at most ``sgemm_small_max_rows()`` (8) rows of ``out`` run
    on ``sgemm_small``, which reads ``b`` in place instead of packing it.

    Args:
        a: float32 F-contiguous ``[M, K]`` (or ``[K, M]`` with ``trans_a``).
        b: float32 F-contiguous ``[K, N]`` (or ``[N, K]`` with ``trans_b``).
        out: float32 F-contiguous writeable ``[M, N]``; overwritten when
            ``beta == 0``, accumulated into when ``beta == 1``.
        trans_a: use ``a.T``.
        trans_b: use ``b.T``.
        beta: 0.0 (overwrite) or 1.0 (accumulate).

    Raises:
        TypeError: an array is not float32.
        ValueError: a matrix is not 2-D column-major, shapes disagree, ``out``
            is read-only or overlaps an input, or ``beta`` is not 0 or 1.
    """
    _gemm(_SGEMM, a, b, out, trans_a, trans_b, beta)


def matmul_ref(a: np.ndarray, b: np.ndarray, out: np.ndarray, trans_a: bool = False,
               trans_b: bool = False, beta: float = 0.0) -> None:
    """Same as :func:`matmul` but on the C triple loop ``sgemm_ref`` (slow; for tests).

    Args:
        a: as in :func:`matmul`.
        b: as in :func:`matmul`.
        out: as in :func:`matmul`.
        trans_a: use ``a.T``.
        trans_b: use ``b.T``.
        beta: 0.0 (overwrite) or 1.0 (accumulate).
    """
    _gemm(lib.sgemm_ref if lib is not None else None, a, b, out, trans_a, trans_b, beta)


# ---------------------------------------------------------------- bias

def _bias_args(arg_m: str, m: np.ndarray, arg_v: str, v: np.ndarray,
               write_m: bool) -> tuple[int, int, object, object]:
    """Check a ``[R, O]`` matrix and an ``[O]`` vector that must not share memory; return R, O, pointers."""
    if not (type(m) is np.ndarray and type(v) is np.ndarray and m.dtype is _F32
            and v.dtype is _F32 and m.ndim == 2 and v.ndim == 1 and m.flags.f_contiguous
            and v.flags.c_contiguous and v.shape[0] == m.shape[1] and m.size <= _INT_MAX
            and (m if write_m else v).flags.writeable and lib is not None):
        chk.require_built()
        chk.matrix(arg_m, m, writeable=write_m)
        chk.flat(arg_v, v, writeable=not write_m)
        if v.ndim != 1 or v.shape[0] != m.shape[1]:
            raise ValueError(f"{arg_v}: expected shape ({m.shape[1]},) (columns of {arg_m}), "
                             f"got {v.shape}")
    r, o = m.shape
    pm, pv = _from_buffer("float[]", m.T), _from_buffer("float[]", v)
    # the kernel reads one while accumulating into the other: no shared memory at all
    if pm < pv + o and pv < pm + r * o:
        raise ValueError(f"{arg_m if write_m else arg_v}: must not overlap "
                         f"{arg_v if write_m else arg_m}")
    return r, o, pm, pv


def add_bias(y: np.ndarray, bias: np.ndarray) -> None:
    """``y[r, o] += bias[o]`` for every row ``r`` (accumulates into ``y``).

    Args:
        y: float32 F-contiguous writeable ``[R, O]``.
        bias: float32 contiguous ``[O]``, not overlapping ``y``.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout, writeability or overlap problem.
    """
    r, o, py, pb = _bias_args("y", y, "bias", bias, write_m=True)
    lib.add_bias(py, pb, r, o)


def bias_grad(dy: np.ndarray, dbias: np.ndarray) -> None:
    """``dbias[o] += sum_r dy[r, o]`` (accumulates into ``dbias``).

    Args:
        dy: float32 F-contiguous ``[R, O]`` output deltas.
        dbias: float32 contiguous writeable ``[O]`` bias deltas, not overlapping ``dy``.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout, writeability or overlap problem.
    """
    r, o, pdy, pdb = _bias_args("dy", dy, "dbias", dbias, write_m=False)
    lib.bias_grad(pdy, pdb, r, o)


# ---------------------------------------------------------------- activations
# Element i of every output depends only on element i of the inputs, so an
# output may be an input itself (in place), but not a shifted view of it.

def _same_order(u: np.ndarray, v: np.ndarray) -> bool:
    fu, fv = u.flags, v.flags
    return (fu.c_contiguous and fv.c_contiguous) or (fu.f_contiguous and fv.f_contiguous)


def _unary(fn, x: np.ndarray, y: np.ndarray) -> None:
    if not (type(x) is np.ndarray and type(y) is np.ndarray and x.dtype is _F32
            and y.dtype is _F32 and x.shape == y.shape and y.flags.writeable
            and _same_order(x, y) and lib is not None):
        chk.require_built()
        chk.flat("x", x)
        chk.flat("y", y, writeable=True)
        chk.same_layout(x=x, y=y)
    n = x.size
    px, py = chk.ptr(x), chk.ptr(y)
    chk.disjoint_or_same("y", py, n, "x", px, n)
    fn(px, py, n)


def _binary(fn, names: tuple[str, str, str], u: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    if not (type(u) is np.ndarray and type(v) is np.ndarray and type(out) is np.ndarray
            and u.dtype is _F32 and v.dtype is _F32 and out.dtype is _F32
            and u.shape == v.shape == out.shape and out.flags.writeable
            and _same_order(u, out) and _same_order(v, out) and lib is not None):
        chk.require_built()
        chk.flat(names[0], u)
        chk.flat(names[1], v)
        chk.flat(names[2], out, writeable=True)
        chk.same_layout(**{names[0]: u, names[1]: v, names[2]: out})
    n = u.size
    pu, pv, po = chk.ptr(u), chk.ptr(v), chk.ptr(out)
    chk.disjoint_or_same(names[2], po, n, names[0], pu, n)
    chk.disjoint_or_same(names[2], po, n, names[1], pv, n)
    fn(pu, pv, po, n)


def sigmoid_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y = 1 / (1 + exp(-x))`` elementwise (overwrites ``y``), without overflow.

    Args:
        x: float32 contiguous input.
        y: float32 contiguous writeable output, same shape and order as ``x``.
    """
    _unary(lib.sigmoid_forward if lib is not None else None, x, y)


def sigmoid_backward(y: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``dx = dy * y * (1 - y)`` with ``y`` the forward output (overwrites ``dx``).

    Args:
        y: float32 forward output.
        dy: float32 output deltas, same shape and order.
        dx: float32 writeable input deltas, same shape and order.
    """
    _binary(lib.sigmoid_backward if lib is not None else None, ("y", "dy", "dx"), y, dy, dx)


def relu_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y = max(x, 0)`` elementwise (overwrites ``y``).

    Args:
        x: float32 contiguous input.
        y: float32 contiguous writeable output, same shape and order as ``x``.
    """
    _unary(lib.relu_forward if lib is not None else None, x, y)


def relu_backward(x: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``dx = dy`` where ``x > 0``, else 0 (overwrites ``dx``); the derivative at 0 is 0.

    Args:
        x: float32 forward input.
        dy: float32 output deltas, same shape and order.
        dx: float32 writeable input deltas, same shape and order.
    """
    _binary(lib.relu_backward if lib is not None else None, ("x", "dy", "dx"), x, dy, dx)


def tanh_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y = tanh(x)`` elementwise (overwrites ``y``).

    Args:
        x: float32 contiguous input.
        y: float32 contiguous writeable output, same shape and order as ``x``.
    """
    _unary(lib.tanh_forward if lib is not None else None, x, y)


def tanh_backward(y: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``dx = dy * (1 - y²)`` with ``y`` the forward output (overwrites ``dx``).

    Args:
        y: float32 forward output.
        dy: float32 output deltas, same shape and order.
        dx: float32 writeable input deltas, same shape and order.
    """
    _binary(lib.tanh_backward if lib is not None else None, ("y", "dy", "dx"), y, dy, dx)


# ---------------------------------------------------------------- registration

#: Contract operations without a C kernel: the registry takes NumPy's, declared here.
NUMPY_FALLBACK: tuple[str, ...] = ("softmax_forward", "softmax_backward")


def implementations() -> dict[str, Callable[..., None]]:
    """Every contract operation this backend provides: its C wrapper, or NumPy's where declared.

    Returns:
        ``{operation name: function}``; the registry binds the C wrappers
        directly and calls the NumPy fallbacks through their name in
        ``numpy_backend`` (so an edited NumPy function is the one used).
    """
    table: dict[str, Callable[..., None]] = {
        "matmul": matmul, "add_bias": add_bias, "bias_grad": bias_grad,
        "sigmoid_forward": sigmoid_forward, "sigmoid_backward": sigmoid_backward,
        "relu_forward": relu_forward, "relu_backward": relu_backward,
        "tanh_forward": tanh_forward, "tanh_backward": tanh_backward,
        "im2col": im2col, "col2im": col2im, "conv2d_forward": conv2d_forward,
        "conv2d_backward": conv2d_backward, "conv2d_delta_weights": conv2d_delta_weights,
        "maxpool2d_forward": maxpool2d_forward, "maxpool2d_backward": maxpool2d_backward,
        "avgpool2d_forward": avgpool2d_forward, "avgpool2d_backward": avgpool2d_backward,
        "lstm_cell_forward": lstm_cell_forward, "lstm_cell_backward": lstm_cell_backward,
        "lstm_sequence_forward": lstm_sequence_forward,
        "lstm_sequence_backward": lstm_sequence_backward, "lstm_bias_grad": lstm_bias_grad,
        "batchnorm_forward": batchnorm_forward, "batchnorm_backward": batchnorm_backward,
        "batchnorm_delta_weights": batchnorm_delta_weights,
    }
    for op in NUMPY_FALLBACK:
        table[op] = getattr(numpy_backend, op)
    return table
