"""Shape: the dimensions of a Tensor and the column-major offset of an index."""
from __future__ import annotations

import numbers
from typing import Iterable, Iterator

import numpy as np


class Shape:
    """The dimensions of a tensor, e.g. ``Shape([N, H, W, C])``.

    Storage is column-major: the first index varies fastest, so the element
    ``(i0, i1, i2, ...)`` lives at offset ``i0 + d0*(i1 + d1*(i2 + ...))``.

    Args:
        dims: positive integers, one per dimension (at least one).

    Raises:
        TypeError: if ``dims`` is not a sequence (None, a float, a string).
        ValueError: if there are no dims, or a dim is not a positive integer;
            the message names the bad dim.
    """

    __slots__ = ("dims",)

    def __init__(self, dims: Iterable[int] | "Shape") -> None:
        if isinstance(dims, Shape):
            self.dims: tuple[int, ...] = dims.dims
            return
        if isinstance(dims, numbers.Integral):
            dims = (dims,)
        try:
            if isinstance(dims, (str, bytes)):
                raise TypeError
            dims = tuple(dims)
        except TypeError:
            # tuple() alone would say only "'NoneType' object is not iterable".
            raise TypeError(f"Shape: expected a sequence of positive integers such as (2, 3), or a "
                            f"Shape, got {dims!r} of type {type(dims).__name__}"
                            + ("; convert a float dim with int() first"
                               if isinstance(dims, numbers.Real) else "")) from None
        if not dims:
            raise ValueError("Shape needs at least one dim, got none")
        checked = []
        for axis, d in enumerate(dims):
            # bool is an Integral in Python, timedelta64 in NumPy; Shape([True]) is surely a bug.
            if isinstance(d, (bool, np.timedelta64)) or not isinstance(d, numbers.Integral):
                raise ValueError(f"Shape dim {axis} must be a positive integer, got {d!r}")
            if d <= 0:
                raise ValueError(f"Shape dim {axis} must be a positive integer, got {d}")
            checked.append(int(d))
        self.dims = tuple(checked)

    @property
    def size(self) -> int:
        """Number of elements: the product of the dims."""
        n = 1
        for d in self.dims:
            n *= d
        return n

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.dims)

    def offset(self, index: Iterable[int]) -> int:
        """Column-major offset of a logical index.

        Args:
            index: one integer per dim; negative values count from the end.

        Returns:
            ``i0 + d0*(i1 + d1*(i2 + ...))``.

        Raises:
            IndexError: wrong number of indices or an index out of range.
        """
        index = tuple(index)
        if len(index) != len(self.dims):
            raise IndexError(f"{self} takes {len(self.dims)} indices, got {len(index)}")
        flat = 0
        # Horner's scheme from the slowest (last) dim to the fastest (first).
        for axis in reversed(range(len(self.dims))):
            i, d = index[axis], self.dims[axis]
            if not -d <= i < d:
                raise IndexError(f"index {i} out of range for dim {axis} of {self} (size {d})")
            flat = flat * d + (i % d)
        return flat

    def __iter__(self) -> Iterator[int]:
        return iter(self.dims)

    def __len__(self) -> int:
        return len(self.dims)

    def __getitem__(self, axis: int) -> int:
        return self.dims[axis]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Shape):
            return self.dims == other.dims
        if isinstance(other, (tuple, list)):
            return self.dims == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dims)

    def __repr__(self) -> str:
        return f"Shape[{', '.join(str(d) for d in self.dims)}]"
