"""The NumPy backend: the readable reference for every numeric inner loop.

The list of operations is ``contract.py``; the docstrings here (and in
``numpy_conv.py``, ``numpy_lstm.py``, ``numpy_batchnorm.py``) say what each one computes, and the C
backend computes the same. All arrays are NumPy arrays that layers obtain
as zero-copy views of tensor buffers:

* 2-D matrices are column-major (``order="F"``), ``a[i, j]`` stored at
  ``i + rows*j``, exactly as a Fortran/BLAS matrix with leading dimension
  ``rows``. The C kernel requires that layout; NumPy does not care.
* elementwise functions take arrays of one shape (1-D flat buffers are fine).
* ``out`` arguments are written in place; nothing is returned.

These functions check no argument, so that they read as the arithmetic
alone; the registry runs ``numpy_checks`` before each call it hands to a
layer (``backend.get(dtype).<op>``).

Overwrite or accumulate is explicit in every docstring, because the layer
protocol depends on it: forward and backward overwrite, weight gradients
accumulate.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .numpy_batchnorm import batchnorm_backward, batchnorm_delta_weights, batchnorm_forward
from .numpy_conv import (avgpool2d_backward, avgpool2d_forward, col2im, conv2d_backward,
                         conv2d_delta_weights, conv2d_forward, im2col, maxpool2d_backward,
                         maxpool2d_forward)
from .numpy_lstm import (lstm_bias_grad, lstm_cell_backward, lstm_cell_forward,
                         lstm_sequence_backward, lstm_sequence_forward)

name = "numpy"


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, trans_a: bool = False,
           trans_b: bool = False, beta: float = 0.0) -> None:
    """``out = op(a) @ op(b) + beta * out`` with ``op(m)`` = ``m.T`` if asked.

    Args:
        a: ``[M, K]`` (or ``[K, M]`` with ``trans_a``).
        b: ``[K, N]`` (or ``[N, K]`` with ``trans_b``).
        out: ``[M, N]``; overwritten when ``beta == 0``, accumulated into
            when ``beta == 1``.
        trans_a: use ``a.T``.
        trans_b: use ``b.T``.
        beta: 0.0 (overwrite) or 1.0 (accumulate).
    """
    opa = a.T if trans_a else a
    opb = b.T if trans_b else b
    if beta == 0.0:
        # Computing out.T = op(b).T @ op(a).T lets BLAS write straight into a
        # column-major `out` (its transpose is C-contiguous), with no temporary.
        np.matmul(opb.T, opa.T, out=out.T)
    else:
        out += opa @ opb


def add_bias(y: np.ndarray, bias: np.ndarray) -> None:
    """``y[r, o] += bias[o]`` for every row ``r`` (accumulates into ``y``).

    Args:
        y: ``[R, O]`` matrix, rows are batch × positions.
        bias: ``[O]``.
    """
    y += bias


def bias_grad(dy: np.ndarray, dbias: np.ndarray) -> None:
    """``dbias[o] += sum_r dy[r, o]`` (accumulates into ``dbias``).

    Args:
        dy: ``[R, O]`` output deltas.
        dbias: ``[O]`` bias deltas.
    """
    dbias += dy.sum(axis=0)


def sigmoid_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y = 1 / (1 + exp(-x))`` elementwise (overwrites ``y``), without overflow."""
    # exp of a large positive argument overflows; split by sign so the
    # argument of exp is never positive.
    pos = x >= 0
    e = np.exp(-np.abs(x))
    np.divide(np.where(pos, 1.0, e), 1.0 + e, out=y, casting="unsafe")


def sigmoid_backward(y: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``dx = dy * y * (1 - y)`` with ``y`` the forward output (overwrites ``dx``)."""
    np.multiply(dy, y * (1 - y), out=dx)


def relu_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y = max(x, 0)`` elementwise (overwrites ``y``)."""
    np.maximum(x, 0, out=y)


def relu_backward(x: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``dx = dy`` where ``x > 0``, else 0 (overwrites ``dx``); the derivative at 0 is taken as 0."""
    np.multiply(dy, x > 0, out=dx)


def tanh_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y = tanh(x)`` elementwise (overwrites ``y``)."""
    np.tanh(x, out=y)


def tanh_backward(y: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``dx = dy * (1 - y²)`` with ``y`` the forward output (overwrites ``dx``)."""
    np.multiply(dy, 1 - y * y, out=dx)


def softmax_forward(x: np.ndarray, y: np.ndarray) -> None:
    """``y[r, i] = exp(x[r, i]) / Σ_j exp(x[r, j])`` for every row (overwrites ``y``).

    Args:
        x: ``[R, C]`` scores.
        y: ``[R, C]`` probabilities.
    """
    # Subtracting the row maximum changes nothing mathematically but keeps
    # exp from overflowing for large scores.
    np.subtract(x, x.max(axis=1, keepdims=True), out=y)
    np.exp(y, out=y)
    y /= y.sum(axis=1, keepdims=True)


def softmax_backward(y: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> None:
    """``δX = δY·J`` row by row, ``J = diag(y) − y·yᵀ`` (overwrites ``dx``).

    ``(δY·J)_j = Σ_i δy_i·y_i·(δ_ij − y_j) = y_j·(δy_j − Σ_i δy_i·y_i)``.

    Args:
        y: ``[R, C]`` forward output (probabilities).
        dy: ``[R, C]`` output deltas.
        dx: ``[R, C]`` input deltas.
    """
    dot = np.sum(dy * y, axis=1, keepdims=True)
    np.multiply(y, dy - dot, out=dx)


def implementations() -> dict[str, Callable[..., None]]:
    """Every contract operation: its NumPy function.

    The registry calls NumPy functions through their name in this module
    (``framework.backend._numpy_late``), so a function a student edited and
    reloaded (or a test patched) here is the one that runs.

    Returns:
        ``{operation name: function}``.
    """
    return {
        "matmul": matmul, "add_bias": add_bias, "bias_grad": bias_grad,
        "sigmoid_forward": sigmoid_forward, "sigmoid_backward": sigmoid_backward,
        "relu_forward": relu_forward, "relu_backward": relu_backward,
        "tanh_forward": tanh_forward, "tanh_backward": tanh_backward,
        "softmax_forward": softmax_forward, "softmax_backward": softmax_backward,
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
