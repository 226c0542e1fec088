"""Exercise 1.1: the column-major offset of an index (see README.md)."""
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
        """Position of element ``index`` (one int per dim) in the flat column-major array.

        Column-major: the FIRST index varies fastest. Shape([3, 3]) stores
        the matrix [[0, 3, 6], [1, 4, 7], [2, 5, 8]] as 0, 1, 2, ..., 8.
        """
        raise NotImplementedError("Exercise 1.1: Shape.offset — the column-major position of "
                                  "index (i0, i1, ...): the first index varies fastest")
