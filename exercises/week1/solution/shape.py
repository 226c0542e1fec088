"""Exercise 1.1 (solution): the column-major offset of an index."""
from __future__ import annotations


class Shape:
    """The dimensions of a tensor, e.g. ``Shape([2, 3])`` for a 2×3 matrix.

    Args:
        dims: positive integers, one per dimension.
    """

    def __init__(self, dims):
        self.dims = tuple(int(d) for d in dims)

    @property
    def size(self) -> int:
        """Number of elements: the product of the dims."""
        n = 1
        for d in self.dims:
            n *= d
        return n

    def offset(self, index) -> int:
        """Position of element ``index`` in the flat column-major array.

        Column-major: the first index varies fastest, so
        ``offset((i0, i1, i2)) = i0 + d0·(i1 + d1·i2)``.
        """
        flat = 0
        # Horner's scheme from the slowest (last) dim to the fastest (first).
        for axis in reversed(range(len(self.dims))):
            flat = flat * self.dims[axis] + index[axis]
        return flat
