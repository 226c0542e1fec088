"""LSTM kernels on the C backend (``framework/csrc/lstm.c``), behind the ``numpy_lstm`` contract.

Same functions, arguments and semantics as ``framework/backend/numpy_lstm.py``
(read its docstrings), plus :func:`lstm_cell_forward_ref` /
:func:`lstm_cell_backward_ref`, the plain C loops, for tests.

The C code checks nothing, so every argument is validated here first:

* dtype exactly float32, else ``TypeError``;
* the caches are 2-D **row-major** (C-contiguous) arrays, ``w`` is the
  column-major (F-contiguous) ``[H, 4H]`` parameter view, ``bias`` and
  ``dbias`` are 1-D contiguous; shapes must agree; outputs must be
  writeable and must not overlap another argument (``gates`` is updated in
  place by design); else ``ValueError``.

A wrong call raises before any pointer reaches C.
"""
from __future__ import annotations

import numpy as np

# the module c_backend chose for this CPU (None when not compiled: the layer
# falls back to numpy_lstm); `import framework` has loaded c_backend already
from .c_backend import ffi, lib

__all__ = ["lstm_cell_forward", "lstm_cell_backward", "lstm_sequence_forward",
           "lstm_sequence_backward", "lstm_bias_grad", "lstm_cell_forward_ref",
           "lstm_cell_backward_ref", "lstm_kernels_built"]

_F32 = np.dtype(np.float32)
_INT_MAX = 2**31 - 1


def lstm_kernels_built() -> bool:
    """Whether the compiled kernel has the LSTM functions (an older build may not)."""
    return lib is not None and hasattr(lib, "lstm_sequence_forward")


def _require_built() -> None:
    if not lstm_kernels_built():
        raise RuntimeError("the C LSTM kernel is not built: run `python build_ext.py` or "
                           "`pip install -e .` with a C compiler available")


def _f32(arg: str, arr: object) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{arg}: expected a numpy.ndarray of float32, got {type(arr).__name__}")
    if arr.dtype != _F32:
        raise TypeError(f"{arg}: expected dtype float32, got {arr.dtype}")
    if arr.size > _INT_MAX:
        raise ValueError(f"{arg}: more than 2**31-1 elements are not supported, got {arr.shape}")
    return arr


def _rows(arg: str, arr: object, shape: tuple[int, int], writeable: bool = False) -> np.ndarray:
    """A row-major (C-contiguous) 2-D cache of exactly ``shape``."""
    arr = _f32(arg, arr)
    if arr.ndim != 2:
        raise ValueError(f"{arg}: expected a 2-D row-major array, got {arr.ndim}-D shape {arr.shape}")
    if arr.shape != shape:
        raise ValueError(f"{arg}: expected shape {shape}, got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{arg}: expected a row-major (C-contiguous) array, got strides "
                         f"{arr.strides} for shape {arr.shape}; use np.ascontiguousarray")
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")
    return arr


def _vector(arg: str, arr: object, length: int, writeable: bool = False) -> np.ndarray:
    arr = _f32(arg, arr)
    if arr.ndim != 1 or arr.shape[0] != length:
        raise ValueError(f"{arg}: expected shape ({length},), got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{arg}: expected a contiguous vector, got strides {arr.strides}")
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")
    return arr


def _weights(w: object) -> tuple[np.ndarray, int]:
    """``w`` ``[H, 4H]`` column-major; returns ``(w, H)``."""
    w = _f32("w", w)
    if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] != 4 * w.shape[0]:
        raise ValueError(f"w: expected shape (H, 4H), got {w.shape}")
    if not w.flags.f_contiguous:
        raise ValueError(f"w: expected the column-major (F-contiguous) [H, 4H] weights, got "
                         f"strides {w.strides}")
    return w, w.shape[0]


def _no_overlap(outputs: dict[str, np.ndarray], others: dict[str, np.ndarray]) -> None:
    # The kernels read some buffers while writing others: overlapping
    # memory would give silently wrong results.
    items = [(k, v) for k, v in outputs.items() if v is not None]
    for k, (name, out) in enumerate(items):
        for other_name, other in items[k + 1:] + list(others.items()):
            if other is not None and np.may_share_memory(out, other):
                raise ValueError(f"{name}: must not overlap {other_name}")


def _ptr(arr: np.ndarray):
    """A ``float *`` to element 0 of a validated, contiguous array."""
    return ffi.from_buffer("float[]", arr if arr.flags.c_contiguous else arr.T)


def _batch(arg: str, arr: object) -> tuple[int, int]:
    a = _f32(arg, arr)
    if a.ndim != 2:
        raise ValueError(f"{arg}: expected a 2-D row-major array, got {a.ndim}-D shape {a.shape}")
    return a.shape


# ---------------------------------------------------------------- one step

def _cell_forward(fn, gates, bias, c_prev, c, tanh_c, h) -> None:
    _require_built()
    n, h4 = _batch("gates", gates)
    if h4 % 4 or h4 == 0:
        raise ValueError(f"gates: expected [N, 4H] with H >= 1, got shape {gates.shape}")
    hid = h4 // 4
    _rows("gates", gates, (n, h4), writeable=True)
    _vector("bias", bias, h4)
    _rows("c_prev", c_prev, (n, hid))
    for name, arr in (("c", c), ("tanh_c", tanh_c), ("h", h)):
        _rows(name, arr, (n, hid), writeable=True)
    _no_overlap({"gates": gates, "c": c, "tanh_c": tanh_c, "h": h}, {"bias": bias, "c_prev": c_prev})
    fn(_ptr(gates), _ptr(bias), _ptr(c_prev), _ptr(c), _ptr(tanh_c), _ptr(h), n, hid)


def lstm_cell_forward(gates: np.ndarray, bias: np.ndarray, c_prev: np.ndarray, c: np.ndarray,
                      tanh_c: np.ndarray, h: np.ndarray) -> None:
    """One step's fused gate forward (see ``numpy_lstm.lstm_cell_forward``).

    Args:
        gates: float32 row-major ``[N, 4H]``; pre-activations without the
            bias in, activations ``[i | f | o | g]`` out (overwritten).
        bias: float32 ``[4H]``.
        c_prev: float32 row-major ``[N, H]``.
        c: float32 row-major ``[N, H]``, overwritten with ``c_t``.
        tanh_c: float32 row-major ``[N, H]``, overwritten with ``tanh(c_t)``.
        h: float32 row-major ``[N, H]``, overwritten with ``h_t``.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout, writeability or overlap problem.
    """
    _cell_forward(lib.lstm_cell_forward if lib is not None else None,
                  gates, bias, c_prev, c, tanh_c, h)


def lstm_cell_forward_ref(gates: np.ndarray, bias: np.ndarray, c_prev: np.ndarray, c: np.ndarray,
                          tanh_c: np.ndarray, h: np.ndarray) -> None:
    """:func:`lstm_cell_forward` on the plain C loop with libm (for tests)."""
    _cell_forward(lib.lstm_cell_forward_ref if lib is not None else None,
                  gates, bias, c_prev, c, tanh_c, h)


def _cell_backward(fn, gates, c_prev, tanh_c, dh, dc, dgates) -> None:
    _require_built()
    n, h4 = _batch("gates", gates)
    if h4 % 4 or h4 == 0:
        raise ValueError(f"gates: expected [N, 4H] with H >= 1, got shape {gates.shape}")
    hid = h4 // 4
    _rows("gates", gates, (n, h4))
    for name, arr in (("c_prev", c_prev), ("tanh_c", tanh_c), ("dh", dh)):
        _rows(name, arr, (n, hid))
    _rows("dc", dc, (n, hid), writeable=True)
    _rows("dgates", dgates, (n, h4), writeable=True)
    _no_overlap({"dc": dc, "dgates": dgates},
                {"gates": gates, "c_prev": c_prev, "tanh_c": tanh_c, "dh": dh})
    fn(_ptr(gates), _ptr(c_prev), _ptr(tanh_c), _ptr(dh), _ptr(dc), _ptr(dgates), n, hid)


def lstm_cell_backward(gates: np.ndarray, c_prev: np.ndarray, tanh_c: np.ndarray, dh: np.ndarray,
                       dc: np.ndarray, dgates: np.ndarray) -> None:
    """One step's fused gate backward (see ``numpy_lstm.lstm_cell_backward``).

    Args:
        gates: float32 row-major ``[N, 4H]`` activations.
        c_prev: float32 row-major ``[N, H]``.
        tanh_c: float32 row-major ``[N, H]``.
        dh: float32 row-major ``[N, H]``.
        dc: float32 row-major ``[N, H]``; in ``∂L/∂c_t`` via step t+1, out
            ``∂L/∂c_{t-1}`` (overwritten).
        dgates: float32 row-major ``[N, 4H]``, overwritten.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout, writeability or overlap problem.
    """
    _cell_backward(lib.lstm_cell_backward if lib is not None else None,
                   gates, c_prev, tanh_c, dh, dc, dgates)


def lstm_cell_backward_ref(gates: np.ndarray, c_prev: np.ndarray, tanh_c: np.ndarray,
                           dh: np.ndarray, dc: np.ndarray, dgates: np.ndarray) -> None:
    """:func:`lstm_cell_backward` on the plain C loop (for tests)."""
    _cell_backward(lib.lstm_cell_backward_ref if lib is not None else None,
                   gates, c_prev, tanh_c, dh, dc, dgates)


# ---------------------------------------------------------------- the time loops

def _sizes(gates: object, w: object, state: object, state_name: str) -> tuple[int, int, int]:
    """``(N, T, H)`` from the cache shapes, checking they fit together."""
    w, hid = _weights(w)
    rows, h4 = _batch("gates", gates)
    if h4 != 4 * hid:
        raise ValueError(f"gates: expected {4 * hid} columns (4H for w of shape {w.shape}), "
                         f"got shape {gates.shape}")
    state_rows, _ = _batch(state_name, state)
    n = state_rows - rows if state_name in ("hs", "cs") else state_rows
    if rows < 1 or n < 1 or rows % n:
        raise ValueError(f"gates: {rows} rows are not T*N for T >= 1 with N = {n} "
                         f"(from {state_name} of shape {np.shape(state)})")
    return n, rows // n, hid


def _output(arg: str, arr: object, n: int, t: int, hid: int, writeable: bool) -> tuple[int, int]:
    """``(ld, t0)`` of an optional column-major output (deltas): ``[N·T, H]`` or ``[N, H]``."""
    a = _f32(arg, arr)
    if a.ndim != 2 or a.shape not in ((t * n, hid), (n, hid)):
        raise ValueError(f"{arg}: expected shape {(t * n, hid)} (every step) or {(n, hid)} "
                         f"(the last step), got {a.shape}")
    if not a.flags.f_contiguous:
        raise ValueError(f"{arg}: expected a column-major (F-contiguous) matrix, got strides "
                         f"{a.strides}")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")
    return (t * n, 0) if a.shape[0] == t * n else (n, t - 1)


def lstm_sequence_forward(gates: np.ndarray, w: np.ndarray, bias: np.ndarray, hs: np.ndarray,
                          cs: np.ndarray, tanh_cs: np.ndarray, y: np.ndarray | None = None) -> None:
    """The forward time loop in C (see ``numpy_lstm.lstm_sequence_forward``).

    Args:
        gates: float32 row-major ``[T·N, 4H]``; ``X·U`` in, activations out.
        w: float32 column-major ``[H, 4H]``.
        bias: float32 ``[4H]``.
        hs: float32 row-major ``[(T+1)·N, H]``; block 0 read, the rest overwritten.
        cs: float32 row-major ``[(T+1)·N, H]``; block 0 read, the rest overwritten.
        tanh_cs: float32 row-major ``[T·N, H]``, overwritten.
        y: optional float32 column-major ``[N·T, H]`` (every step) or
            ``[N, H]`` (the last step), overwritten with ``h_t``.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout, writeability or overlap problem.
    """
    _require_built()
    n, t, hid = _sizes(gates, w, hs, "hs")
    _rows("gates", gates, (t * n, 4 * hid), writeable=True)
    _vector("bias", bias, 4 * hid)
    _rows("hs", hs, ((t + 1) * n, hid), writeable=True)
    _rows("cs", cs, ((t + 1) * n, hid), writeable=True)
    _rows("tanh_cs", tanh_cs, (t * n, hid), writeable=True)
    ldy, t0 = _output("y", y, n, t, hid, writeable=True) if y is not None else (1, 0)
    _no_overlap({"gates": gates, "hs": hs, "cs": cs, "tanh_cs": tanh_cs, "y": y},
                {"w": w, "bias": bias})
    lib.lstm_sequence_forward(_ptr(gates), _ptr(w), _ptr(bias), _ptr(hs), _ptr(cs),
                              _ptr(tanh_cs), ffi.NULL if y is None else _ptr(y), ldy, t0,
                              n, t, hid)


def lstm_sequence_backward(gates: np.ndarray, w: np.ndarray, cs: np.ndarray, tanh_cs: np.ndarray,
                           dhs: np.ndarray, dc: np.ndarray, dgates: np.ndarray,
                           dh0: np.ndarray | None = None, dy: np.ndarray | None = None) -> None:
    """Backpropagation through time in C (see ``numpy_lstm.lstm_sequence_backward``).

    Args:
        gates: float32 row-major ``[T·N, 4H]`` activations.
        w: float32 column-major ``[H, 4H]``.
        cs: float32 row-major ``[(T+1)·N, H]``.
        tanh_cs: float32 row-major ``[T·N, H]``.
        dhs: float32 row-major ``[T·N, H]``; output deltas in (unless ``dy``
            is given), total ``δh_t`` out.
        dc: float32 row-major ``[N, H]``; ``∂L/∂c_{T-1}`` in, ``∂L/∂c_{-1}`` out.
        dgates: float32 row-major ``[T·N, 4H]``, overwritten.
        dh0: optional float32 row-major ``[N, H]``, overwritten with ``∂L/∂h_{-1}``.
        dy: optional float32 column-major output deltas ``[N·T, H]`` (every
            step) or ``[N, H]`` (the last step); read instead of ``dhs``.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout, writeability or overlap problem.
    """
    _require_built()
    n, t, hid = _sizes(gates, w, dc, "dc")
    _rows("gates", gates, (t * n, 4 * hid))
    _rows("cs", cs, ((t + 1) * n, hid))
    _rows("tanh_cs", tanh_cs, (t * n, hid))
    _rows("dhs", dhs, (t * n, hid), writeable=True)
    _rows("dc", dc, (n, hid), writeable=True)
    _rows("dgates", dgates, (t * n, 4 * hid), writeable=True)
    if dh0 is not None:
        _rows("dh0", dh0, (n, hid), writeable=True)
    lddy, t0 = _output("dy", dy, n, t, hid, writeable=False) if dy is not None else (1, 0)
    _no_overlap({"dhs": dhs, "dc": dc, "dgates": dgates, "dh0": dh0},
                {"gates": gates, "w": w, "cs": cs, "tanh_cs": tanh_cs, "dy": dy})
    lib.lstm_sequence_backward(_ptr(gates), _ptr(w), _ptr(cs), _ptr(tanh_cs), _ptr(dhs),
                               _ptr(dc), _ptr(dgates),
                               ffi.NULL if dh0 is None else _ptr(dh0),
                               ffi.NULL if dy is None else _ptr(dy), lddy, t0, n, t, hid)


def lstm_bias_grad(dgates: np.ndarray, dbias: np.ndarray) -> None:
    """``dbias[k] += Σ_r dgates[r, k]`` in C (accumulates; see ``numpy_lstm.lstm_bias_grad``).

    Args:
        dgates: float32 row-major ``[R, K]``.
        dbias: float32 contiguous writeable ``[K]``.

    Raises:
        TypeError: an array is not float32.
        ValueError: a shape, layout or writeability problem.
    """
    _require_built()
    rows, k = _batch("dgates", dgates)
    _rows("dgates", dgates, (rows, k))
    _vector("dbias", dbias, k, writeable=True)
    _no_overlap({"dbias": dbias}, {"dgates": dgates})
    lib.lstm_bias_grad(_ptr(dgates), _ptr(dbias), rows, k)
