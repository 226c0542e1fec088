"""The loss contract: the last link of the chain, turning predictions into one number.

A loss reads the elements of the network's last tensor and a target tensor
of the same shape; ``forward`` returns the loss value, ``backward``
overwrites the deltas of the prediction tensor with ``∂L/∂x``.

Every loss is *averaged over the rows*: rows are all leading indices merged
(the batch ``N`` for ``[N, C]``, batch × time steps for ``[N, T, C]``). For
one sample this is exactly the lecture's formula; for a batch it makes the
gradient's size independent of the batch size, so a learning rate carries
over between batch sizes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..shape import Shape
from ..tensor import Tensor


class Loss:
    """Base class of the losses: ``forward`` -> value, ``backward`` -> prediction deltas."""

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """Compute the loss, averaged over the rows.

        Args:
            in_tensors: ``[prediction]``, shape ``[..., C]``.
            target: same shape as the prediction.

        Returns:
            The loss value as a Python float.
        """
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """Overwrite the prediction's deltas with ``∂L/∂prediction``.

        Args:
            in_tensors: ``[prediction]``.
            target: same shape as the prediction.
        """
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Turn the last layer's output into predictions (identity unless the loss fuses an activation).

        Args:
            x: ``[R, C]`` matrix of the last layer's output.

        Returns:
            ``[R, C]`` predictions (a new array).
        """
        return np.array(x, copy=True)

    def check_input(self, in_tensors: Sequence[Tensor], target: Tensor) -> tuple[Tensor, int]:
        """Return ``(prediction, rows)`` after checking the shapes agree.

        Raises:
            ValueError: if there is not exactly one input or target's shape differs.
        """
        if len(in_tensors) != 1:
            raise ValueError(f"{self}: expected 1 input tensor, got {len(in_tensors)}")
        x = in_tensors[0]
        if Shape(target.shape) != x.shape:
            raise ValueError(f"{self}: target has {target.shape}, expected {x.shape} "
                             f"(the prediction's shape)")
        return x, x.size // x.shape[-1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
