"""Batch normalisation on the C backend (``framework/csrc/batchnorm.c``).

Same functions, arguments and semantics as
``framework/backend/numpy_batchnorm.py`` (read its docstrings), plus
:func:`batchnorm_forward_ref`, :func:`batchnorm_backward_ref` and
:func:`batchnorm_delta_weights_ref`, the plain C loops, for tests.

The C code checks nothing, so every argument is validated here first, with
the checks of ``c_checks.py``:

* dtype exactly float32, else ``TypeError``; ``training`` a bool, else
  ``TypeError``; ``eps`` a positive finite number, else ``ValueError``;
* ``x``, ``dy``, ``y``, ``dx`` column-major (F-contiguous) ``[R, F]``
  matrices of one shape, the ``[F]`` vectors 1-D contiguous; outputs
  (``y``/``dx``, the deltas, and ``mean``/``var`` in training) writeable
  and sharing no memory with any other argument; else ``ValueError``.

A wrong call raises before any pointer reaches C.
"""
from __future__ import annotations

import numpy as np

from . import c_checks as chk
from .c_checks import lib

__all__ = ["batchnorm_forward", "batchnorm_backward", "batchnorm_delta_weights",
           "batchnorm_forward_ref", "batchnorm_backward_ref", "batchnorm_delta_weights_ref"]

_F32 = chk.F32
_INT_MAX = chk.INT_MAX
_INF = float("inf")


def _slow_checks(names: tuple[str, ...], args: tuple, n_matrices: int, outputs: tuple[int, ...]) -> None:
    """The detailed checks that explain what is wrong with a call the fast test refused."""
    chk.require_built()
    first = chk.matrix(names[0], args[0])
    for i in range(1, len(args)):
        if i < n_matrices:
            chk.matrix_of(names[i], args[i], first.shape, i in outputs, f" (that of {names[0]})")
        else:
            chk.vector_of(names[i], args[i], first.shape[1], i in outputs)


def _check(names: tuple[str, ...], args: tuple, n_matrices: int, outputs: tuple[int, ...],
           eps: object, training: object) -> tuple[list, int, int, float, int]:
    """Validate a call; return the pointers (in argument order), R, F, eps, training as C takes them.

    Args:
        names: the arguments' names, ``[R, F]`` matrices first (``x`` sets R, F), then ``[F]`` vectors.
        args: the arrays, in that order.
        n_matrices: how many of them are matrices.
        outputs: indices of the arrays written in training (the last two of which are
            ``mean`` and ``var``, only read in evaluation).
        eps: ε.
        training: the flag.
    """
    if training is not True and training is not False:
        if not isinstance(training, np.bool_):
            raise TypeError(f"training: expected a bool, got {type(training).__name__}")
        training = bool(training)
    if not training:
        outputs = outputs[:-2]
    # one combined test for the common valid call (float32, column-major [R, F],
    # contiguous [F], outputs writeable); anything else goes through the checks that name it
    x = args[0]
    ok = lib is not None and type(x) is np.ndarray and x.ndim == 2 and x.size <= _INT_MAX
    if ok:
        shape, cols = x.shape, x.shape[1]
        for i, a in enumerate(args):
            if type(a) is not np.ndarray or a.dtype is not _F32 or (
                    (a.shape != shape or not a.flags.f_contiguous) if i < n_matrices
                    else (a.ndim != 1 or a.shape[0] != cols or not a.flags.c_contiguous)):
                ok = False
                break
        ok = ok and all(args[i].flags.writeable for i in outputs)
    if not ok:
        _slow_checks(names, args, n_matrices, outputs)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not 0.0 < eps < _INF:
        raise ValueError(f"eps: expected a positive finite number, got {eps!r}")
    # every buffer is contiguous, so [start, end) is all of its memory: an output must
    # share none of it with another argument (the kernel reads while it writes)
    ptrs = [chk.ptr(a) for a in args]
    ends = [p + a.size for p, a in zip(ptrs, args)]
    for i in outputs:
        p, e = ptrs[i], ends[i]
        for j in range(len(args)):
            if j != i and p < ends[j] and ptrs[j] < e:
                raise ValueError(f"{names[i]}: must not overlap {names[j]}")
    rows, cols = x.shape
    return ptrs, rows, cols, float(eps), 1 if training else 0


# argument order for _check: matrices first, mean and var the last outputs
_FORWARD = ("x", "y", "scale", "shift", "mean", "var")
_BACKWARD = ("x", "dy", "dx", "scale", "mean", "var")
_DELTA_WEIGHTS = ("x", "dy", "dscale", "dshift", "mean", "var")


def _forward(fn, x, scale, shift, mean, var, y, eps, training) -> None:
    (px, py, ps, pb, pm, pv), r, f, e, t = _check(
        _FORWARD, (x, y, scale, shift, mean, var), 2, (1, 4, 5), eps, training)
    fn(px, ps, pb, pm, pv, py, r, f, e, t)


def _backward(fn, x, dy, scale, mean, var, dx, eps, training) -> None:
    (px, pdy, pdx, ps, pm, pv), r, f, e, t = _check(
        _BACKWARD, (x, dy, dx, scale, mean, var), 3, (2, 4, 5), eps, training)
    fn(px, pdy, ps, pm, pv, pdx, r, f, e, t)


def _delta_weights(fn, x, dy, mean, var, dscale, dshift, eps, training) -> None:
    (px, pdy, pds, pdb, pm, pv), r, f, e, t = _check(
        _DELTA_WEIGHTS, (x, dy, dscale, dshift, mean, var), 2, (2, 3, 4, 5), eps, training)
    fn(px, pdy, pm, pv, pds, pdb, r, f, e, t)


def _kernel(name: str):
    return getattr(lib, name) if lib is not None else None


def batchnorm_forward(x: np.ndarray, scale: np.ndarray, shift: np.ndarray, mean: np.ndarray,
                      var: np.ndarray, y: np.ndarray, eps: float, training: bool) -> None:
    """``y = γ·(x − μ)/√(σ² + ε) + β`` (see ``numpy_batchnorm.batchnorm_forward``).

    Args:
        x: float32 column-major ``[R, F]``.
        scale: float32 ``[F]`` γ.
        shift: float32 ``[F]`` β.
        mean: float32 ``[F]``: overwritten with the batch's μ in training, read otherwise.
        var: float32 ``[F]``: overwritten with the batch's σ² in training, read otherwise.
        y: float32 column-major ``[R, F]``, overwritten.
        eps: ε > 0.
        training: batch statistics (True) or the given ones (False).

    Raises:
        TypeError: an array is not float32, or ``training`` not a bool.
        ValueError: a shape, layout, writeability or overlap problem, or a bad ``eps``.
    """
    _forward(_kernel("batchnorm_forward"), x, scale, shift, mean, var, y, eps, training)


def batchnorm_backward(x: np.ndarray, dy: np.ndarray, scale: np.ndarray, mean: np.ndarray,
                       var: np.ndarray, dx: np.ndarray, eps: float, training: bool) -> None:
    """The input deltas (see ``numpy_batchnorm.batchnorm_backward``; overwrites ``dx``).

    Args:
        x: float32 column-major ``[R, F]`` forward input.
        dy: float32 column-major ``[R, F]`` output deltas.
        scale: float32 ``[F]`` γ.
        mean: float32 ``[F]``: overwritten with the batch's μ in training, read otherwise.
        var: float32 ``[F]``: overwritten with the batch's σ² in training, read otherwise.
        dx: float32 column-major ``[R, F]``, overwritten.
        eps: ε > 0.
        training: whether the forward pass used the batch's statistics.

    Raises:
        TypeError: an array is not float32, or ``training`` not a bool.
        ValueError: a shape, layout, writeability or overlap problem, or a bad ``eps``.
    """
    _backward(_kernel("batchnorm_backward"), x, dy, scale, mean, var, dx, eps, training)


def batchnorm_delta_weights(x: np.ndarray, dy: np.ndarray, mean: np.ndarray, var: np.ndarray,
                            dscale: np.ndarray, dshift: np.ndarray, eps: float,
                            training: bool) -> None:
    """``δγ += Σ_r δy·x̂``, ``δβ += Σ_r δy`` (see ``numpy_batchnorm.batchnorm_delta_weights``).

    Args:
        x: float32 column-major ``[R, F]`` forward input.
        dy: float32 column-major ``[R, F]`` output deltas.
        mean: float32 ``[F]``: overwritten with the batch's μ in training, read otherwise.
        var: float32 ``[F]``: overwritten with the batch's σ² in training, read otherwise.
        dscale: float32 ``[F]`` δγ, accumulated into.
        dshift: float32 ``[F]`` δβ, accumulated into.
        eps: ε > 0.
        training: whether the forward pass used the batch's statistics.

    Raises:
        TypeError: an array is not float32, or ``training`` not a bool.
        ValueError: a shape, layout, writeability or overlap problem, or a bad ``eps``.
    """
    _delta_weights(_kernel("batchnorm_delta_weights"), x, dy, mean, var, dscale, dshift, eps,
                   training)


def batchnorm_forward_ref(x: np.ndarray, scale: np.ndarray, shift: np.ndarray, mean: np.ndarray,
                          var: np.ndarray, y: np.ndarray, eps: float, training: bool) -> None:
    """:func:`batchnorm_forward` on the plain C loops (for tests)."""
    _forward(_kernel("batchnorm_forward_ref"), x, scale, shift, mean, var, y, eps, training)


def batchnorm_backward_ref(x: np.ndarray, dy: np.ndarray, scale: np.ndarray, mean: np.ndarray,
                           var: np.ndarray, dx: np.ndarray, eps: float, training: bool) -> None:
    """:func:`batchnorm_backward` on the plain C loops (for tests)."""
    _backward(_kernel("batchnorm_backward_ref"), x, dy, scale, mean, var, dx, eps, training)


def batchnorm_delta_weights_ref(x: np.ndarray, dy: np.ndarray, mean: np.ndarray,
                                var: np.ndarray, dscale: np.ndarray, dshift: np.ndarray,
                                eps: float, training: bool) -> None:
    """:func:`batchnorm_delta_weights` on the plain C loops (for tests)."""
    _delta_weights(_kernel("batchnorm_delta_weights_ref"), x, dy, mean, var, dscale, dshift,
                   eps, training)
