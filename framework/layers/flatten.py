"""Flatten: ``[N, d1, d2, ...]`` -> ``[N, d1·d2·...]``, the same numbers in the same memory order."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


class Flatten(Layer):
    """Merge every dim after the batch into one: ``[N, H, W, C]`` -> ``[N, H·W·C]``.

    In column-major storage this changes no byte: element ``(n, h, w, c)``
    at ``n + N·(h + H·(w + W·c))`` is element ``(n, f)`` of the flat output
    with ``f = h + H·(w + W·c)``. So:

    * :meth:`output_tensor` hands the :class:`~framework.network.Network`
      a view of the input (``Tensor.reshaped``) as this layer's output, and
      both passes then copy nothing (the deltas are shared too);
    * called with separate tensors (the plain layer protocol), ``forward``
      copies the elements and ``backward`` the deltas, which is the same
      result.

    Feature ``f`` of the output is pixel ``(h, w, c)`` with ``h`` fastest,
    so a following ``FullyConnected`` sees the pixels column by column
    within each channel.
    """

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[N, d1, ..., dk]`` -> ``[N, d1·...·dk]``.

        Raises:
            ValueError: for an input without a batch dim and at least one more.
        """
        dims = Shape(input_shape).dims
        if len(dims) < 2:
            raise ValueError(f"{self}: input must be [N, ...] with at least 2 dims, got Shape{list(dims)}")
        return Shape((dims[0], int(np.prod(dims[1:]))))

    def output_tensor(self, x: Tensor) -> Tensor:
        """A zero-copy output for input ``x``: ``x.reshaped(output_shape)``, sharing elements and deltas."""
        return x.reshaped(self.output_shape(x.shape))

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Copy the elements (nothing to do when Y is a view of X)."""
        x, y = self.check_io(in_tensors, out_tensors)
        if y.elements is not x.elements:
            y.elements[...] = x.elements

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Copy the deltas back (overwrites δX; nothing to do when they are shared)."""
        x, y = self.check_io(in_tensors, out_tensors)
        if not _shares_deltas(x, y):
            x.deltas[...] = y.deltas


def _shares_deltas(x: Tensor, y: Tensor) -> bool:
    """Whether ``x`` and ``y`` are views of one tensor (``Tensor.reshaped``), so their deltas are one buffer."""
    root_x = x._base if x._base is not None else x
    root_y = y._base if y._base is not None else y
    return root_x is root_y
