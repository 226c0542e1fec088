"""Argument checks for the NumPy backend, kept out of the readable reference functions.

``numpy_backend``, ``numpy_conv`` and ``numpy_lstm`` compute; they check
nothing, so a student reads the arithmetic alone. The registry
(``framework.backend``) runs the checker of :data:`CHECKS` before each
NumPy operation it hands to a layer: ``backend.get(dtype).relu_forward``
checks, then calls ``numpy_backend.relu_forward``. Without the checks NumPy
broadcasts a wrong shape silently, casts complex or integer data, ignores
``out=None`` and writes into a copy of a non-contiguous image buffer.

The rules are those of the C wrappers (``c_checks``), with two differences:
float32 *and* float64 are accepted (the gradient checker runs float64), and
the dense operations (matrix product, bias, elementwise, softmax) accept
any memory order and partial overlap, because NumPy computes them correctly
from any strides and copies overlapping operands itself. Each message names
the argument, what was expected and what was given.

Speed: layers call these operations every step, so every checker starts
with one combined test that a valid call passes (a few attribute reads);
only a failing call goes through the detailed tests that explain it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import c_checks
from .geometry import ConvGeom, PoolGeom

__all__ = ["CHECKS", "array", "same_shape", "matrix_2d"]

_ND = np.ndarray
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


# ---------------------------------------------------------------- one array

def array(arg: str, arr: object, writeable: bool = False) -> np.ndarray:
    """``arr`` if it is a float32 or float64 ndarray (writeable when ``writeable``).

    Args:
        arg: the argument's name, for messages.
        arr: the value given.
        writeable: whether the operation writes it.

    Returns:
        ``arr``.

    Raises:
        TypeError: not an ndarray (None, a list, a scalar), or not float32/float64.
        ValueError: read-only when ``writeable``.
    """
    if not isinstance(arr, _ND):
        what = "None" if arr is None else type(arr).__name__
        raise TypeError(f"{arg}: expected a numpy.ndarray of float32 or float64, got {what}"
                        + ("; convert it with np.asarray(..., dtype=np.float32)"
                           if isinstance(arr, (list, tuple)) else ""))
    if arr.dtype != _F32 and arr.dtype != _F64:
        raise TypeError(f"{arg}: expected dtype float32 or float64, got {arr.dtype}")
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{arg}: expected a writeable array, got a read-only one")
    return arr


def _ok(a: object) -> bool:
    return type(a) is _ND and (a.dtype is _F32 or a.dtype is _F64)  # type: ignore[union-attr]


def matrix_2d(arg: str, arr: object, writeable: bool = False) -> np.ndarray:
    """A float32/float64 2-D array, any memory order (see :func:`array`)."""
    arr = array(arg, arr, writeable)
    if arr.ndim != 2:
        raise ValueError(f"{arg}: expected a 2-D matrix, got {arr.ndim}-D shape {arr.shape}")
    return arr


def same_shape(**arrays: np.ndarray) -> None:
    """Every array has the shape of the first (NumPy would broadcast a different one).

    Raises:
        ValueError: naming the first array whose shape differs.
    """
    items = list(arrays.items())
    first_name, first = items[0]
    for arg, arr in items[1:]:
        if arr.shape != first.shape:
            raise ValueError(f"{arg}: expected shape {first.shape} (that of {first_name}), "
                             f"got {arr.shape}")


def _buffer(arg: str, arr: object, size: int, writeable: bool = False) -> np.ndarray:
    # images: NumPy reshapes them with order="F"; a non-contiguous output
    # would be reshaped into a copy and the result lost.
    arr = array(arg, arr, writeable)
    if not arr.flags.f_contiguous:
        raise ValueError(f"{arg}: expected a contiguous column-major buffer, got strides "
                         f"{arr.strides} for shape {arr.shape}; use np.asfortranarray")
    if arr.size != size:
        raise ValueError(f"{arg}: expected {size} elements for the geometry, got {arr.size} "
                         f"(shape {arr.shape})")
    return arr


def _shape(arg: str, arr: object, shape: tuple[int, ...], writeable: bool = False,
           why: str = "") -> np.ndarray:
    arr = array(arg, arr, writeable)
    if arr.shape != shape:
        raise ValueError(f"{arg}: expected shape {shape}{why}, got {arr.shape}")
    return arr


# ---------------------------------------------------------------- dense

def _matmul(a: Any, b: Any, out: Any, trans_a: Any = False, trans_b: Any = False,
            beta: Any = 0.0) -> None:
    if not (_ok(a) and _ok(b) and _ok(out) and a.ndim == 2 and b.ndim == 2 and out.ndim == 2
            and out.flags.writeable):
        matrix_2d("a", a)
        matrix_2d("b", b)
        matrix_2d("out", out, writeable=True)
    if beta != 0.0 and beta != 1.0:
        raise ValueError(f"beta: expected 0.0 (overwrite) or 1.0 (accumulate), got {beta!r}")
    ra, ca = a.shape
    rb, cb = b.shape
    m, k = (ca, ra) if trans_a else (ra, ca)
    kb, n = (cb, rb) if trans_b else (rb, cb)
    if kb != k:
        raise ValueError(
            f"b: expected {'[N, K]' if trans_b else '[K, N]'} with K = {k} "
            f"(from a{'.T' if trans_a else ''} of shape ({m}, {k})), got shape {b.shape}")
    if out.shape != (m, n):
        raise ValueError(f"out: expected shape ({m}, {n}), got {out.shape}")


def _bias(arg_m: str, m: Any, arg_v: str, v: Any, write_m: bool) -> None:
    if (_ok(m) and _ok(v) and m.ndim == 2 and v.ndim == 1 and v.shape[0] == m.shape[1]
            and (m if write_m else v).flags.writeable):
        return
    matrix_2d(arg_m, m, writeable=write_m)
    array(arg_v, v, writeable=not write_m)
    if v.ndim != 1 or v.shape[0] != m.shape[1]:
        raise ValueError(f"{arg_v}: expected shape ({m.shape[1]},) (columns of {arg_m}), got {v.shape}")


def _add_bias(y: Any, bias: Any) -> None:
    _bias("y", y, "bias", bias, write_m=True)


def _bias_grad(dy: Any, dbias: Any) -> None:
    _bias("dy", dy, "dbias", dbias, write_m=False)


def _unary(x: Any, y: Any) -> None:
    if _ok(x) and _ok(y) and x.shape == y.shape and y.flags.writeable:
        return
    array("x", x)
    array("y", y, writeable=True)
    same_shape(x=x, y=y)


def _binary(names: tuple[str, str, str], u: Any, v: Any, out: Any) -> None:
    if _ok(u) and _ok(v) and _ok(out) and u.shape == v.shape == out.shape and out.flags.writeable:
        return
    array(names[0], u)
    array(names[1], v)
    array(names[2], out, writeable=True)
    same_shape(**{names[0]: u, names[1]: v, names[2]: out})


# The checkers take the contract's argument names, so keyword calls work too.
def _from_output(y: Any, dy: Any, dx: Any) -> None:
    _binary(("y", "dy", "dx"), y, dy, dx)


def _relu_backward(x: Any, dy: Any, dx: Any) -> None:
    _binary(("x", "dy", "dx"), x, dy, dx)


def _softmax_forward(x: Any, y: Any) -> None:
    if _ok(x) and _ok(y) and x.ndim == 2 and x.shape == y.shape and y.flags.writeable:
        return
    matrix_2d("x", x)
    matrix_2d("y", y, writeable=True)
    same_shape(x=x, y=y)


def _softmax_backward(y: Any, dy: Any, dx: Any) -> None:
    if _ok(y) and _ok(dy) and _ok(dx) and y.ndim == 2 and y.shape == dy.shape == dx.shape \
            and dx.flags.writeable:
        return
    matrix_2d("y", y)
    matrix_2d("dy", dy)
    matrix_2d("dx", dx, writeable=True)
    same_shape(y=y, dy=dy, dx=dx)


# ---------------------------------------------------------------- images

def _conv_geom(g: object) -> ConvGeom:
    if not isinstance(g, ConvGeom):
        raise TypeError(f"g: expected a ConvGeom, got {type(g).__name__}")
    for name in ConvGeom._fields:
        c_checks.positive_int(f"g.{name}", getattr(g, name), 0 if name in ("ph", "pw") else 1)
    if g.Ho < 1 or g.Wo < 1:
        raise ValueError(f"g: the {g.kh}x{g.kw} kernel (dilation {g.dil_h}x{g.dil_w}) does not "
                         f"fit the {g.H}x{g.W} input with padding {g.ph}x{g.pw}")
    return g


def _image(g: ConvGeom | PoolGeom) -> int:
    return g.N * g.H * g.W * g.C


def _out_channels(name: str, arr: object) -> int:
    arr = matrix_2d(name, arr)
    return c_checks.positive_int(f"{name}.shape[1] (C_out)", arr.shape[1], 1)


def _fmatrix(arg: str, arr: object, shape: tuple[int, int], writeable: bool = False) -> None:
    _shape(arg, arr, shape, writeable, " for the geometry")
    if not arr.flags.f_contiguous:  # type: ignore[union-attr]
        raise ValueError(f"{arg}: expected a column-major (F-contiguous) matrix, got strides "
                         f"{arr.strides}; use np.asfortranarray")  # type: ignore[union-attr]


def _no_overlap(outputs: dict[str, Any], inputs: dict[str, Any]) -> None:
    # The image and sequence references read some buffers while writing others.
    c_checks.no_overlap(outputs, inputs)


def _im2col(x: Any, g: Any, p: Any) -> None:
    g = _conv_geom(g)
    _buffer("x", x, _image(g))
    _fmatrix("p", p, (g.R, g.K), writeable=True)
    _no_overlap({"p": p}, {"x": x})


def _col2im(p: Any, g: Any, x: Any) -> None:
    g = _conv_geom(g)
    _fmatrix("p", p, (g.R, g.K))
    _buffer("x", x, _image(g), writeable=True)
    _no_overlap({"x": x}, {"p": p})


def _conv2d_forward(x: Any, w: Any, b: Any, y: Any, g: Any) -> None:
    g = _conv_geom(g)
    o = _out_channels("w", w)
    _buffer("x", x, _image(g))
    _fmatrix("w", w, (g.K, o))
    _buffer("b", b, o)
    _fmatrix("y", y, (g.R, o), writeable=True)
    _no_overlap({"y": y}, {"x": x, "w": w, "b": b})


def _conv2d_backward(dy: Any, w: Any, dx: Any, g: Any) -> None:
    g = _conv_geom(g)
    o = _out_channels("w", w)
    _fmatrix("dy", dy, (g.R, o))
    _fmatrix("w", w, (g.K, o))
    _buffer("dx", dx, _image(g), writeable=True)
    _no_overlap({"dx": dx}, {"dy": dy, "w": w})


def _conv2d_delta_weights(x: Any, dy: Any, dw: Any, db: Any, g: Any) -> None:
    g = _conv_geom(g)
    o = _out_channels("dw", dw)
    _buffer("x", x, _image(g))
    _fmatrix("dy", dy, (g.R, o))
    _fmatrix("dw", dw, (g.K, o), writeable=True)
    _buffer("db", db, o, writeable=True)
    _no_overlap({"dw": dw, "db": db}, {"x": x, "dy": dy})


def _pool(g: Any, big: tuple[str, Any, bool], small: tuple[str, Any, bool]) -> PoolGeom:
    g = c_checks.pool_geom(g)
    _buffer(big[0], big[1], _image(g), writeable=big[2])
    _buffer(small[0], small[1], g.N * g.Ho * g.Wo * g.C, writeable=small[2])
    return g


def _pool_forward(x: Any, y: Any, g: Any) -> None:
    _pool(g, ("x", x, False), ("y", y, True))
    _no_overlap({"y": y}, {"x": x})


def _maxpool2d_backward(x: Any, dy: Any, dx: Any, g: Any) -> None:
    g = _pool(g, ("dx", dx, True), ("dy", dy, False))
    _buffer("x", x, _image(g))
    _no_overlap({"dx": dx}, {"x": x, "dy": dy})


def _avgpool2d_backward(dy: Any, dx: Any, g: Any) -> None:
    _pool(g, ("dx", dx, True), ("dy", dy, False))
    _no_overlap({"dx": dx}, {"dy": dy})


# ---------------------------------------------------------------- sequences
# The NumPy LSTM works on any memory order; only shapes are checked.

def _hidden_of_gates(gates: Any) -> tuple[int, int]:
    gates = matrix_2d("gates", gates)
    n, h4 = gates.shape
    if h4 % 4 or h4 == 0:
        raise ValueError(f"gates: expected [N, 4H] with H >= 1, got shape {gates.shape}")
    return n, h4 // 4


def _lstm_cell_forward(gates: Any, bias: Any, c_prev: Any, c: Any, tanh_c: Any, h: Any) -> None:
    n, hid = _hidden_of_gates(gates)
    array("gates", gates, writeable=True)
    _shape("bias", bias, (4 * hid,))
    _shape("c_prev", c_prev, (n, hid))
    for name, arr in (("c", c), ("tanh_c", tanh_c), ("h", h)):
        _shape(name, arr, (n, hid), writeable=True)
    _no_overlap({"gates": gates, "c": c, "tanh_c": tanh_c, "h": h}, {"bias": bias, "c_prev": c_prev})


def _lstm_cell_backward(gates: Any, c_prev: Any, tanh_c: Any, dh: Any, dc: Any, dgates: Any) -> None:
    n, hid = _hidden_of_gates(gates)
    for name, arr in (("c_prev", c_prev), ("tanh_c", tanh_c), ("dh", dh)):
        _shape(name, arr, (n, hid))
    _shape("dc", dc, (n, hid), writeable=True)
    _shape("dgates", dgates, (n, 4 * hid), writeable=True)
    _no_overlap({"dc": dc, "dgates": dgates},
                {"gates": gates, "c_prev": c_prev, "tanh_c": tanh_c, "dh": dh})


def _sequence(gates: Any, w: Any, state: Any, state_name: str) -> tuple[int, int, int]:
    w = matrix_2d("w", w)
    hid = w.shape[0]
    if hid < 1 or w.shape[1] != 4 * hid:
        raise ValueError(f"w: expected shape (H, 4H), got {w.shape}")
    rows, h4 = matrix_2d("gates", gates).shape
    if h4 != 4 * hid:
        raise ValueError(f"gates: expected {4 * hid} columns (4H for w of shape {w.shape}), "
                         f"got shape {gates.shape}")
    state_rows = matrix_2d(state_name, state).shape[0]
    n = state_rows - rows if state_name == "hs" else state_rows
    if rows < 1 or n < 1 or rows % n:
        raise ValueError(f"gates: {rows} rows are not T*N for T >= 1 with N = {n} "
                         f"(from {state_name} of shape {state.shape})")
    return n, rows // n, hid


def _output(arg: str, arr: Any, n: int, t: int, hid: int, writeable: bool) -> None:
    arr = matrix_2d(arg, arr, writeable)
    if arr.shape not in ((t * n, hid), (n, hid)):
        raise ValueError(f"{arg}: expected shape {(t * n, hid)} (every step) or {(n, hid)} "
                         f"(the last step), got {arr.shape}")


def _lstm_sequence_forward(gates: Any, w: Any, bias: Any, hs: Any, cs: Any, tanh_cs: Any,
                           y: Any = None) -> None:
    n, t, hid = _sequence(gates, w, hs, "hs")
    array("gates", gates, writeable=True)
    _shape("bias", bias, (4 * hid,))
    _shape("hs", hs, ((t + 1) * n, hid), writeable=True)
    _shape("cs", cs, ((t + 1) * n, hid), writeable=True)
    _shape("tanh_cs", tanh_cs, (t * n, hid), writeable=True)
    if y is not None:
        _output("y", y, n, t, hid, writeable=True)
    _no_overlap({"gates": gates, "hs": hs, "cs": cs, "tanh_cs": tanh_cs, "y": y},
                {"w": w, "bias": bias})


def _lstm_sequence_backward(gates: Any, w: Any, cs: Any, tanh_cs: Any, dhs: Any, dc: Any,
                            dgates: Any, dh0: Any = None, dy: Any = None) -> None:
    n, t, hid = _sequence(gates, w, dc, "dc")
    _shape("cs", cs, ((t + 1) * n, hid))
    _shape("tanh_cs", tanh_cs, (t * n, hid))
    _shape("dhs", dhs, (t * n, hid), writeable=True)
    _shape("dc", dc, (n, hid), writeable=True)
    _shape("dgates", dgates, (t * n, 4 * hid), writeable=True)
    if dh0 is not None:
        _shape("dh0", dh0, (n, hid), writeable=True)
    if dy is not None:
        _output("dy", dy, n, t, hid, writeable=False)
    _no_overlap({"dhs": dhs, "dc": dc, "dgates": dgates, "dh0": dh0},
                {"gates": gates, "w": w, "cs": cs, "tanh_cs": tanh_cs, "dy": dy})


def _lstm_bias_grad(dgates: Any, dbias: Any) -> None:
    k = matrix_2d("dgates", dgates).shape[1]
    _shape("dbias", dbias, (k,), writeable=True)
    _no_overlap({"dbias": dbias}, {"dgates": dgates})


# ---------------------------------------------------------------- normalisation

def _eps_training(eps: Any, training: Any) -> None:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not 0.0 < eps < float("inf"):
        raise ValueError(f"eps: expected a positive finite number, got {eps!r}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training: expected a bool, got {type(training).__name__}")


def _batchnorm(matrices: tuple[tuple[str, Any, bool], ...],
               vectors: tuple[tuple[str, Any, bool], ...], eps: Any, training: Any) -> None:
    """``[R, F]`` matrices (the first sets R, F), ``[F]`` vectors; outputs apart from inputs."""
    _eps_training(eps, training)
    first = matrices[0][1]
    if not (_ok(first) and first.ndim == 2
            and all(_ok(a) and a.shape == first.shape and (a.flags.writeable or not w)
                    for _, a, w in matrices)
            and all(_ok(a) and a.shape == first.shape[1:] and (a.flags.writeable or not w)
                    for _, a, w in vectors)):
        first = matrix_2d(*matrices[0])
        for arg, arr, writeable in matrices[1:]:
            _shape(arg, arr, first.shape, writeable, f" (that of {matrices[0][0]})")
        for arg, arr, writeable in vectors:
            _shape(arg, arr, (first.shape[1],), writeable, f" (the columns of {matrices[0][0]})")
    everything = matrices + vectors
    _no_overlap({a: v for a, v, w in everything if w}, {a: v for a, v, w in everything if not w})


def _batchnorm_forward(x: Any, scale: Any, shift: Any, mean: Any, var: Any, y: Any, eps: Any,
                       training: Any) -> None:
    _batchnorm((("x", x, False), ("y", y, True)),
               (("scale", scale, False), ("shift", shift, False), ("mean", mean, bool(training)),
                ("var", var, bool(training))), eps, training)


def _batchnorm_backward(x: Any, dy: Any, scale: Any, mean: Any, var: Any, dx: Any, eps: Any,
                        training: Any) -> None:
    _batchnorm((("x", x, False), ("dy", dy, False), ("dx", dx, True)),
               (("scale", scale, False), ("mean", mean, bool(training)),
                ("var", var, bool(training))), eps, training)


def _batchnorm_delta_weights(x: Any, dy: Any, mean: Any, var: Any, dscale: Any, dshift: Any,
                             eps: Any, training: Any) -> None:
    _batchnorm((("x", x, False), ("dy", dy, False)),
               (("mean", mean, bool(training)), ("var", var, bool(training)),
                ("dscale", dscale, True), ("dshift", dshift, True)), eps, training)


#: ``{operation: checker}``: the checker takes the operation's arguments and
#: raises ``TypeError``/``ValueError`` for a call the operation must refuse.
CHECKS: dict[str, Callable[..., None]] = {
    "matmul": _matmul, "add_bias": _add_bias, "bias_grad": _bias_grad,
    "sigmoid_forward": _unary, "relu_forward": _unary, "tanh_forward": _unary,
    "sigmoid_backward": _from_output, "relu_backward": _relu_backward,
    "tanh_backward": _from_output,
    "softmax_forward": _softmax_forward, "softmax_backward": _softmax_backward,
    "im2col": _im2col, "col2im": _col2im, "conv2d_forward": _conv2d_forward,
    "conv2d_backward": _conv2d_backward, "conv2d_delta_weights": _conv2d_delta_weights,
    "maxpool2d_forward": _pool_forward, "maxpool2d_backward": _maxpool2d_backward,
    "avgpool2d_forward": _pool_forward, "avgpool2d_backward": _avgpool2d_backward,
    "lstm_cell_forward": _lstm_cell_forward, "lstm_cell_backward": _lstm_cell_backward,
    "lstm_sequence_forward": _lstm_sequence_forward,
    "lstm_sequence_backward": _lstm_sequence_backward, "lstm_bias_grad": _lstm_bias_grad,
    "batchnorm_forward": _batchnorm_forward, "batchnorm_backward": _batchnorm_backward,
    "batchnorm_delta_weights": _batchnorm_delta_weights,
}
