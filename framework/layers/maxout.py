"""Maxout (Goodfellow et al. 2013): ``y_j = max_p x_{j·k + p}``, ``[..., k·F] -> [..., F]``; the delta goes to the maximum."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


class Maxout(Layer):
    """Maximum over groups of ``k = pieces`` consecutive features, on any leading dims.

    ``Y[..., j] = max_{p < k} X[..., j·k + p]``: input ``[..., k·F]``, output
    ``[..., F]``. Put after a ``FullyConnected(F_in, k·F)`` this is the maxout
    unit ``max_p (x·W_p + b_p)``; ReLU is the case ``k = 2`` with one piece
    fixed at 0.

    Backward: ``∂y_j/∂x_i = 1`` for the ``i`` that attains the maximum of
    group ``j``, else 0, so ``δX[..., j·k + p] = δY[..., j]`` at the arg-max
    and 0 elsewhere. On a tie the first piece wins (as ``np.argmax``); a
    tie is a kink, which the gradient checker skips.

    Args:
        pieces: ``k ≥ 1``, the group size (``k = 1`` is the identity).
    """

    def __init__(self, pieces: Any) -> None:
        if isinstance(pieces, bool) or not isinstance(pieces, (int, np.integer)) or pieces < 1:
            raise ValueError(f"Maxout: pieces must be an int ≥ 1, got {pieces!r}")
        self.pieces = int(pieces)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[..., k·F] -> [..., F]``.

        Raises:
            ValueError: when the last dim is not a multiple of ``k`` or the
                input has no batch dim.
        """
        shape = Shape(input_shape)
        if shape.ndim < 2:
            raise ValueError(f"{self}: input must be [batch, ..., features], got {shape}")
        features = shape[-1]
        if features % self.pieces:
            raise ValueError(f"{self}: input has {features} features, expected a multiple "
                             f"of pieces = {self.pieces}")
        return Shape((*shape.dims[:-1], features // self.pieces))

    def _groups(self, x: Tensor) -> np.ndarray:
        # [rows, F·k] -> [rows, F, k]: logical X[r, j·k + p] at [r, j, p]
        m = x.matrix()
        return m.reshape(m.shape[0], m.shape[1] // self.pieces, self.pieces)

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y_j = max_p x_{j·k + p}`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        y.matrix()[...] = self._groups(x).max(axis=2)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy`` at each group's arg-max, 0 elsewhere (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        groups = self._groups(x)
        winner = groups.argmax(axis=2)                       # [rows, F]
        dx = np.zeros(groups.shape, dtype=groups.dtype)
        np.put_along_axis(dx, winner[..., None], y.delta_matrix()[..., None], axis=2)
        x.delta_matrix()[...] = dx.reshape(dx.shape[0], -1)

    def __repr__(self) -> str:
        return f"Maxout(pieces={self.pieces})"
