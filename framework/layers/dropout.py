"""Dropout: randomly silence inputs while training (inverted dropout), identity in evaluation."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


class Dropout(Layer):
    """Inverted dropout: ``y = x · m`` with ``m_i = k_i / (1 − p)``, ``k_i ~ Bernoulli(1 − p)``.

    ===============  =================================================
    forward (train)  ``y = x · m`` (a new mask ``m`` every forward)
    backward (train) ``δx = δy · m`` (the mask of the last forward)
    evaluation       ``y = x``, ``δx = δy``
    ===============  =================================================

    Each input element is dropped (set to 0) with probability ``p`` and the
    kept ones are scaled by ``1/(1 − p)``, so ``E[y] = x`` and evaluation
    needs no rescaling. The mode is ``self.training`` (set by
    ``Network.train()`` / ``Network.eval()``). The mask is not a parameter:
    it is kept between forward and backward as a NumPy array ``self.mask``
    (storage order, like ``Tensor.elements``), the one hidden state this
    layer must keep.

    Args:
        p: probability of dropping an element, ``0 <= p < 1``.
        seed: seed or Generator of the masks (same seed, same masks).

    Raises:
        ValueError: for ``p`` outside ``[0, 1)``.
    """

    def __init__(self, p: float = 0.5, seed: int | np.random.Generator | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.mask: np.ndarray | None = None
        self._fixed: np.ndarray | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        """Dropout keeps the shape."""
        return Shape(input_shape)

    def fix_mask(self, mask: Any) -> None:
        """Use ``mask`` (logical shape, values ``k/(1 − p)`` or 0/1 keep flags) for every forward.

        For gradient checks and teaching: with a fixed mask the layer is a
        deterministic function. ``fix_mask(None)`` returns to random masks.

        Args:
            mask: an array of the input's shape; 0/1 keep flags are scaled
                by ``1/(1 − p)`` here. None to draw masks again.
        """
        if mask is None:
            self._fixed = None
            return
        m = np.asarray(mask, dtype=np.float64)
        if np.all((m == 0) | (m == 1)):
            m = m / (1.0 - self.p)
        self._fixed = m

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = x·m`` in training (new mask), ``y = x`` in evaluation (overwrites y).

        Raises:
            ValueError: a fixed mask whose shape is not the input's.
        """
        x, y = self.check_io(in_tensors, out_tensors)
        if not self.training or self.p == 0.0 and self._fixed is None:
            self.mask = None
            y.elements[...] = x.elements
            return
        if self._fixed is not None:
            if self._fixed.shape != x.shape.dims:
                raise ValueError(f"{self}: fixed mask has shape {self._fixed.shape}, input is {x.shape}")
            self.mask = self._fixed.reshape(-1, order="F").astype(x.dtype)
        else:
            keep = self.rng.random(x.size) >= self.p
            self.mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        np.multiply(x.elements, self.mask, out=y.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy·m`` with the last forward's mask; ``δx = δy`` without one (overwrites δx).

        Raises:
            ValueError: when the last forward's mask does not fit these tensors.
        """
        x, y = self.check_io(in_tensors, out_tensors)
        if self.mask is None:
            x.deltas[...] = y.deltas
            return
        if self.mask.size != x.size:
            raise ValueError(f"{self}: the last forward's mask has {self.mask.size} elements, "
                             f"this input {x.size}; call forward before backward")
        np.multiply(y.deltas, self.mask, out=x.deltas)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
