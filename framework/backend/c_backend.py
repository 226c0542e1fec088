"""The C backend: the compiled float32 kernel behind the ``numpy_backend`` contract.

This is the one Python module that hands pointers to C (``framework._kernels``,
built from ``framework/csrc`` by ``build_ext.py``). The C code checks nothing,
so every function here validates its arguments first: dtype exactly float32,
2-D matrices column-major (F-contiguous), shapes that agree, outputs writeable.
A wrong call raises ``TypeError`` or ``ValueError``; it never reaches C.

Functions, names and semantics are those of ``numpy_backend`` (read its
docstrings for the contract), plus :func:`is_built`, :func:`set_num_threads`,
:func:`get_num_threads`, :func:`kernel_variant`, :func:`has_openmp`, and
:func:`matmul_ref` / :func:`block_sizes` for tests.

Which compiled module runs is chosen here at import: the fastest of
``framework._kernels_avx512``, ``_kernels_avx2`` and the portable
``_kernels`` that this CPU supports (see build_ext.py). A kernel that runs
out of memory raises ``MemoryError``.
"""
from __future__ import annotations

import importlib
import os
import warnings

import numpy as np

# GNU OpenMP's idle threads spin up to GOMP_SPINCOUNT rounds (300000 by
# default, milliseconds) before they sleep. On a quiet machine that saves a
# few microseconds per wake-up; beside other busy processes the spinning
# threads take the CPU those need, and each other's (issue 10: 14.5x slower).
# This much spinning covers the gap between the MLP's back-to-back products
# and no more. libgomp reads it once, when the kernel loads it; a user's
# OMP_WAIT_POLICY or GOMP_SPINCOUNT wins, and it is not left in the
# environment for child processes.
SPIN_COUNT = "20000"


# the modules build_ext.py makes, best first: (FRAMEWORK_KERNEL name, module)
_VARIANTS = (("avx512", "framework._kernels_avx512"), ("avx2", "framework._kernels_avx2"),
             ("generic", "framework._kernels"))


def _pick_variant():
    """The best kernel module this CPU runs, from one build; ``None`` if there is none.

    ``framework._kernels`` (portable on x86-64) says what the CPU supports
    and which build it belongs to; a faster variant is used only when the
    CPU runs its instructions and it comes from the same build.
    ``FRAMEWORK_KERNEL=generic|avx2|avx512`` caps the choice (for tests of
    the portable path, or to compare).
    """
    try:
        base = importlib.import_module("framework._kernels")
    except ImportError:  # not compiled: the backend seam falls back to NumPy
        return None
    cpu = base.lib.kernel_cpu_level()
    if base.lib.kernel_isa_level() > cpu:
        warnings.warn(
            "framework: the C kernel was built for a newer CPU than this one (e.g. with "
            "FRAMEWORK_CFLAGS=-march=native elsewhere) and would crash here; running on the "
            "NumPy backend. Rebuild it on this machine: python build_ext.py",
            RuntimeWarning, stacklevel=3)
        return None
    cap = os.environ.get("FRAMEWORK_KERNEL", "").strip().lower()
    names = [n for n, _ in _VARIANTS]
    if cap and cap not in names:
        warnings.warn(f"FRAMEWORK_KERNEL={cap!r} is not a kernel variant (expected one of "
                      f"{', '.join(names)}); using the best one for this CPU",
                      RuntimeWarning, stacklevel=3)
        cap = ""
    build = ffi_string(base, base.lib.kernel_build_id())
    for name, module in _VARIANTS[names.index(cap) if cap else 0:]:
        if module == "framework._kernels":
            return base
        try:
            mod = importlib.import_module(module)
        except ImportError:  # not built (not x86-64, FRAMEWORK_CFLAGS, an old compiler)
            continue
        if mod.lib.kernel_isa_level() <= cpu and ffi_string(mod, mod.lib.kernel_build_id()) == build:
            return mod
    return base


def ffi_string(module, cdata) -> str:
    """A C string from ``module`` as Python text."""
    return module.ffi.string(cdata).decode()


def _load_kernel():
    """Import the kernel with the short OpenMP spin default; ``(None, None)`` if not built."""
    own = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    if own:
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        mod = _pick_variant()
    finally:
        if own:
            del os.environ["GOMP_SPINCOUNT"]
    if mod is None:
        return None, None
    if not mod.lib.gemm_has_openmp():
        warnings.warn(
            "framework: the C kernel was built without OpenMP and runs on one core. For "
            "threads, install a compiler with OpenMP (gcc, or clang with libomp) and rebuild "
            "(python build_ext.py); see README.md, Troubleshooting.",
            RuntimeWarning, stacklevel=3)
    return mod.ffi, mod.lib


def kernel_variant() -> str:
    """Return which kernel module runs: ``"avx512"``, ``"avx2"``, ``"generic"``, or ``""`` if none.

    Returns:
        The instruction-set level of the loaded module (``"generic"`` also for
        a single module built with ``FRAMEWORK_CFLAGS``).
    """
    if lib is None:
        return ""
    return {4: "avx512", 3: "avx2"}.get(int(lib.kernel_isa_level()), "generic")


def has_openmp() -> bool:
    """Return True when the loaded kernel was built with OpenMP (can use several cores)."""
    return lib is not None and bool(lib.gemm_has_openmp())


ffi, lib = _load_kernel()

_from_buffer = ffi.from_buffer if ffi is not None else None

name = "c"

_INT_MAX = 2**31 - 1  # the C kernel takes int dimensions, as BLAS does
_F32 = np.dtype(np.float32)


def is_built() -> bool:
    """Return True when the compiled kernel imported and can be called."""
    return lib is not None


def _require_built() -> None:
    if lib is None:
        raise RuntimeError(
            "the C kernel is not built: run `pip install -e .` with a C compiler "
            "available, or `python build_ext.py` in the project root"
        )


def set_num_threads(n: int) -> None:
    """Set the number of threads ``matmul`` uses from now on.

    Args:
        n: thread count, at least 1. Also sets OpenMP's default for the
            process (``omp_set_num_threads``). Ignored without OpenMP.

    Raises:
        ValueError: if ``n`` is not a positive integer.
    """
    _require_built()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    lib.gemm_set_num_threads(int(n))


def get_num_threads() -> int:
    """Return the number of threads ``matmul`` uses (``OMP_NUM_THREADS`` by default).

    Returns:
        The thread count; 1 when the kernel was built without OpenMP.
    """
    _require_built()
    return int(lib.gemm_get_num_threads())


def _raise_if_out_of_memory(kernel: str) -> None:
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


def block_sizes() -> dict[str, int]:
    """Return the blocking constants ``sgemm`` was compiled with.

    Returns:
        ``{"MR", "NR", "MC", "KC", "NC"}``: register tile rows/columns and the
        cache-block sizes of ``framework/csrc/gemm.c``. Tests aim at their edges.
    """
    _require_built()
    out = ffi.new("int[5]")
    lib.gemm_block_sizes(out)
    return dict(zip(("MR", "NR", "MC", "KC", "NC"), list(out)))


# ---------------------------------------------------------------- validation

def _float32(arg: str, arr: object) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{arg}: expected a numpy.ndarray of float32, got {type(arr).__name__}")
    if arr.dtype != np.float32:
        raise TypeError(f"{arg}: expected dtype float32, got {arr.dtype}")
    return arr


def _matrix(arg: str, arr: object, writeable: bool = False) -> np.ndarray:
    # The common, valid call takes the one cheap test; the detailed checks
    # only run to explain a failure (the MLP's small products cost a few
    # microseconds, so validation must cost less).
    if (isinstance(arr, np.ndarray) and arr.dtype == _F32 and arr.ndim == 2
            and arr.flags.f_contiguous and arr.size <= _INT_MAX
            and (not writeable or arr.flags.writeable)):
        return arr
    arr = _float32(arg, arr)
    if arr.ndim != 2:
        raise ValueError(f"{arg}: expected a 2-D matrix, got {arr.ndim}-D shape {arr.shape}")
    if not arr.flags.f_contiguous:
        raise ValueError(
            f"{arg}: expected a column-major (F-contiguous) matrix, got strides "
            f"{arr.strides} for shape {arr.shape}; use np.asfortranarray"
        )
    if arr.size > _INT_MAX:
        raise ValueError(f"{arg}: more than 2**31-1 elements are not supported, got {arr.shape}")
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")
    return arr


def _flat(arg: str, arr: object, writeable: bool = False) -> np.ndarray:
    if (isinstance(arr, np.ndarray) and arr.dtype == _F32
            and (arr.flags.c_contiguous or arr.flags.f_contiguous)
            and (not writeable or arr.flags.writeable)):
        return arr
    arr = _float32(arg, arr)
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        raise ValueError(
            f"{arg}: expected a contiguous array, got strides {arr.strides} for shape {arr.shape}"
        )
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")
    return arr


def _same_layout(**arrays: np.ndarray) -> None:
    """Elementwise kernels walk flat memory: all arrays need one shape and one order."""
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


def _ptr(arr: np.ndarray):
    """A ``float *`` to element 0 of a validated (contiguous) array."""
    # from_buffer wants a C-contiguous buffer; the transpose of a
    # column-major array is one, over the same memory. It is several times
    # cheaper than arr.ctypes.data, which matters for the MLP's small calls.
    return ffi.from_buffer("float[]", arr if arr.flags.c_contiguous else arr.T)


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
        _require_built()
        _matrix("a", a)
        _matrix("b", b)
        _matrix("out", out, writeable=True)
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
    _gemm(lib.sgemm if lib is not None else None, a, b, out, trans_a, trans_b, beta)


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
               write_m: bool) -> tuple[int, int]:
    _require_built()
    _matrix(arg_m, m, writeable=write_m)
    _flat(arg_v, v, writeable=not write_m)
    if v.ndim != 1 or v.shape[0] != m.shape[1]:
        raise ValueError(f"{arg_v}: expected shape ({m.shape[1]},) (columns of {arg_m}), got {v.shape}")
    return m.shape[0], m.shape[1]


def add_bias(y: np.ndarray, bias: np.ndarray) -> None:
    """``y[r, o] += bias[o]`` for every row ``r`` (accumulates into ``y``).

    Args:
        y: float32 F-contiguous ``[R, O]``.
        bias: float32 contiguous ``[O]``.
    """
    r, o = _bias_args("y", y, "bias", bias, write_m=True)
    lib.add_bias(_ptr(y), _ptr(bias), r, o)


def bias_grad(dy: np.ndarray, dbias: np.ndarray) -> None:
    """``dbias[o] += sum_r dy[r, o]`` (accumulates into ``dbias``).

    Args:
        dy: float32 F-contiguous ``[R, O]`` output deltas.
        dbias: float32 contiguous writeable ``[O]`` bias deltas.
    """
    r, o = _bias_args("dy", dy, "dbias", dbias, write_m=False)
    lib.bias_grad(_ptr(dy), _ptr(dbias), r, o)


# ---------------------------------------------------------------- activations

def _unary(fn, x: np.ndarray, y: np.ndarray) -> None:
    _require_built()
    _flat("x", x)
    _flat("y", y, writeable=True)
    _same_layout(x=x, y=y)
    fn(_ptr(x), _ptr(y), x.size)


def _binary(fn, names: tuple[str, str, str], u: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    _require_built()
    _flat(names[0], u)
    _flat(names[1], v)
    _flat(names[2], out, writeable=True)
    _same_layout(**{names[0]: u, names[1]: v, names[2]: out})
    fn(_ptr(u), _ptr(v), _ptr(out), u.size)


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


from .c_conv import *  # noqa: F401,F403,E402
from .c_lstm import *  # noqa: F401,F403,E402
