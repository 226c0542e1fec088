"""Tensor: a flat column-major buffer of elements and a lazily allocated deltas buffer."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .shape import Shape

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _DTYPES:
        raise TypeError(f"Tensor dtype must be float32 or float64, got {dt}")
    return dt


class Tensor:
    """Numbers of any dimensionality, stored in one flat column-major array.

    ``elements`` holds the values; ``deltas`` (the gradient of the loss with
    respect to them) has the same size but is only allocated, zeroed, on
    first access, so a tensor that backward never touches costs no extra RAM.

    Args:
        shape: a :class:`Shape` or a sequence of dims.
        elements: optional values in column-major order, exactly as the
            lecture lists them (``Tensor([2, 2], [0, 1, 2, 3])`` is the matrix
            ``[[0, 2], [1, 3]]``). Defaults to zeros.
        dtype: float32 (default) or float64.

    Raises:
        ValueError: if the number of elements does not match the shape.
        TypeError: for any other dtype.
    """

    __slots__ = ("shape", "elements", "_deltas", "_base")

    def __init__(self, shape: Shape | Iterable[int], elements: Any = None,
                 dtype: Any = np.float32) -> None:
        self.shape = Shape(shape)
        dt = _check_dtype(dtype)
        if elements is None:
            self.elements = np.zeros(self.shape.size, dtype=dt)
        else:
            arr = np.asarray(elements, dtype=dt)
            if arr.ndim > 1:
                # A 2-D array here is ambiguous (row- or column-major?); from_numpy is not.
                raise ValueError(f"Tensor elements must be a flat column-major sequence, got an "
                                 f"array of shape {arr.shape}; use Tensor.from_numpy for that")
            arr = arr.reshape(-1)
            if arr.size != self.shape.size:
                raise ValueError(
                    f"Tensor of {self.shape} needs {self.shape.size} elements, got {arr.size}")
            self.elements = np.ascontiguousarray(arr)
        self._deltas: np.ndarray | None = None
        self._base: Tensor | None = None

    # -- deltas ---------------------------------------------------------------
    @property
    def deltas(self) -> np.ndarray:
        """Flat gradient buffer, allocated (zeroed) on first access."""
        if self._base is not None:
            return self._base.deltas
        if self._deltas is None:
            self._deltas = np.zeros_like(self.elements)
        return self._deltas

    @deltas.setter
    def deltas(self, values: Any) -> None:
        self.deltas[...] = np.asarray(values, dtype=self.dtype).reshape(-1, order="F")

    @property
    def has_deltas(self) -> bool:
        """Whether the deltas buffer has been allocated yet."""
        if self._base is not None:
            return self._base.has_deltas
        return self._deltas is not None

    def zero_deltas(self) -> None:
        """Set the deltas to zero (allocating them if needed)."""
        self.deltas.fill(0)

    # -- views ------------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        """The dtype of elements and deltas."""
        return self.elements.dtype

    @property
    def size(self) -> int:
        """Number of elements."""
        return self.shape.size

    def view(self) -> np.ndarray:
        """Zero-copy view of the elements with the logical shape (``order="F"``).

        Returns:
            An array ``a`` with ``a[i, j, ...] == self[i, j, ...]``; writing to
            it writes the tensor.
        """
        return self.elements.reshape(self.shape.dims, order="F")

    def delta_view(self) -> np.ndarray:
        """Zero-copy view of the deltas with the logical shape (allocates them)."""
        return self.deltas.reshape(self.shape.dims, order="F")

    def matrix(self) -> np.ndarray:
        """Zero-copy ``[rows, last dim]`` view of the elements.

        Column-major storage makes merging every leading dim into rows free:
        ``[N, T, F]`` becomes ``[N*T, F]`` without a copy.
        """
        return self.elements.reshape((self.size // self.shape[-1], self.shape[-1]), order="F")

    def delta_matrix(self) -> np.ndarray:
        """Zero-copy ``[rows, last dim]`` view of the deltas (allocates them)."""
        return self.deltas.reshape((self.size // self.shape[-1], self.shape[-1]), order="F")

    def reshaped(self, shape: Shape | Iterable[int]) -> "Tensor":
        """A tensor with another shape that shares elements and deltas (no copy).

        Args:
            shape: the new shape, of the same size.

        Returns:
            A Tensor whose ``elements`` is this tensor's buffer and whose
            ``deltas`` are this tensor's deltas (allocated lazily, once).

        Raises:
            ValueError: if the sizes differ.
        """
        new = Shape(shape)
        if new.size != self.size:
            raise ValueError(f"cannot reshape {self.shape} ({self.size} elements) "
                             f"to {new} ({new.size} elements)")
        t = Tensor.__new__(Tensor)
        t.shape, t.elements, t._deltas = new, self.elements, None
        t._base = self._base if self._base is not None else self
        return t

    # -- element access -----------------------------------------------------------
    def __getitem__(self, index: Any) -> float:
        if not isinstance(index, tuple):
            index = (index,)
        return self.elements[self.shape.offset(index)].item()

    def __setitem__(self, index: Any, value: float) -> None:
        if not isinstance(index, tuple):
            index = (index,)
        self.elements[self.shape.offset(index)] = value

    # -- NumPy interop ----------------------------------------------------------------
    @classmethod
    def from_numpy(cls, array: Any, dtype: Any = None) -> "Tensor":
        """Copy a NumPy array (any layout) into a new Tensor, keeping logical indexing.

        Args:
            array: array-like; ``array[i, j] == tensor[i, j]`` afterwards.
            dtype: float32 (default, like every layer) or float64.

        Returns:
            A new Tensor of ``array.shape``.
        """
        a = np.asarray(array)
        dt = _check_dtype(np.float32 if dtype is None else dtype)
        if a.ndim == 0:
            a = a.reshape(1)
        t = cls(a.shape, dtype=dt)
        t.view()[...] = a
        return t

    def to_numpy(self) -> np.ndarray:
        """Return a copy of the elements as an array of the logical shape."""
        return self.view().copy(order="F")

    def astype_(self, dtype: Any) -> None:
        """Convert elements (and allocated deltas) to ``dtype`` in place."""
        dt = _check_dtype(dtype)
        if self.elements.dtype != dt:
            self.elements = self.elements.astype(dt)
            if self._deltas is not None:
                self._deltas = self._deltas.astype(dt)

    def __repr__(self) -> str:
        deltas = "allocated" if self.has_deltas else "not allocated"
        return f"Tensor({self.shape}, dtype={self.dtype}, deltas {deltas})"
