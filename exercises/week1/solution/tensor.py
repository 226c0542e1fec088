"""Exercise 1.2 (solution): a Tensor whose deltas are allocated lazily."""
from __future__ import annotations

import numpy as np

from shape import Shape


class Tensor:
    """Numbers in one flat column-major array, with a deltas array of the same size made on first use.

    Args:
        dims: the shape, e.g. ``[2, 3]``.
        elements: optional flat values in column-major order (default zeros).
    """

    def __init__(self, dims, elements=None):
        self.shape = Shape(dims)
        if elements is None:
            self.elements = np.zeros(self.shape.size)
        else:
            self.elements = np.asarray(elements, dtype=np.float64).reshape(-1)
        self._deltas = None  # not allocated until someone asks for the deltas

    @property
    def has_deltas(self) -> bool:
        """Whether the deltas have been allocated yet."""
        return self._deltas is not None

    @property
    def deltas(self) -> np.ndarray:
        """The deltas: a zero array of the elements' size, allocated on first access, then kept."""
        if self._deltas is None:
            self._deltas = np.zeros_like(self.elements)
        return self._deltas

    def zero_deltas(self) -> None:
        """Set every delta to 0 (allocating them if needed)."""
        self.deltas[...] = 0.0

    def __getitem__(self, index):
        return self.elements[self.shape.offset(index)]
