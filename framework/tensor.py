"""Tensor: a flat column-major buffer of elements and a lazily allocated deltas buffer."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .shape import Shape

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# What to do instead, by NumPy dtype kind, for data that is not real numbers.
_NOT_REAL_HINTS = {
    "c": "complex values would lose their imaginary part; pass z.real, z.imag or np.abs(z) "
         "explicitly, or both as separate features",
    "M": "dates are not numbers; convert them first, e.g. (t - t0) / np.timedelta64(1, 'D')",
    "m": "durations are not numbers; convert them first, e.g. d / np.timedelta64(1, 's')",
    "U": "strings are not numbers; convert them first, e.g. np.asarray(x, dtype=float)",
    "S": "bytes are not numbers; convert them first, e.g. np.asarray(x, dtype=float)",
    "O": "Python objects (None, mixed types or lists of different lengths?) are not numbers; "
         "pass an array of numbers of one shape",
    "V": "structured records are not numbers; pass one numeric field, e.g. x['value']",
}


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Tensor dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in _DTYPES:
        raise TypeError(f"Tensor dtype must be float32 or float64, got {dt}")
    return dt


class NotRealError(TypeError, ValueError):
    """Data that is not real numbers: None, complex, dates, strings, objects.

    Both a TypeError (the wrong kind of value) and a ValueError (what NumPy
    raised for unconvertible strings before), so either ``except`` catches it.
    """


def real_array(values: Any, what: str = "Tensor data", dtype: Any = None) -> np.ndarray:
    """Return ``values`` as a NumPy array of real numbers, converted to ``dtype`` if given.

    NumPy alone would turn complex numbers into their real part (with only a
    warning), dates into day counts, ``None`` into NaN, ``"1.5"`` into 1.5
    and a finite 1e39 into float32's inf; all of them are refused here
    instead, with what to do.

    Args:
        values: array-like.
        what: what the values are, the message's prefix (``"Tensor.from_numpy"``);
            empty for none.
        dtype: convert to this dtype (no copy if it already is); None keeps
            the bool, integer or float dtype of ``values``.

    Returns:
        ``np.asarray(values)``, of a bool, integer or float dtype, or ``dtype``.

    Raises:
        NotRealError: (a TypeError and a ValueError) for None, complex, dates,
            durations, strings, objects or records, naming what was given and
            what to do.
        ValueError: for nested lists that are not rectangular, or a finite
            value too large for ``dtype``.
    """
    prefix = f"{what}: " if what else ""
    if values is None:
        raise NotRealError(f"{prefix}expected real numbers, got None; pass an array of numbers, "
                           f"e.g. np.zeros(shape)")
    try:
        a = np.asarray(values)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{prefix}expected real numbers in a rectangular array, got "
                         f"{type(values).__name__} that NumPy cannot convert: {e}") from None
    if a.dtype.kind not in "biuf":
        hint = _NOT_REAL_HINTS.get(a.dtype.kind, "pass real numbers")
        raise NotRealError(f"{prefix}expected real numbers (bool, int or float), got dtype "
                           f"{a.dtype}; {hint}")
    if dtype is None:
        return a
    try:
        with np.errstate(over="raise"):
            return a.astype(dtype, copy=False)
    except FloatingPointError:
        dt = np.dtype(dtype)
        big = a[np.isfinite(a) & (np.abs(a) > np.finfo(dt).max)].flat[0]
        raise ValueError(f"{prefix}{float(big):.6g} does not fit {dt} (largest {np.finfo(dt).max:.4g}); "
                         f"scale the values, or use dtype=np.float64") from None


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
        TypeError: for any other dtype, or elements that are not real
            numbers (None, complex, dates, strings; see :func:`real_array`).
    """

    __slots__ = ("shape", "elements", "_deltas", "_base")

    def __init__(self, shape: Shape | Iterable[int], elements: Any = None,
                 dtype: Any = np.float32) -> None:
        try:
            self.shape = Shape(shape)
        except TypeError as e:
            raise TypeError(f"Tensor: the first argument is the shape; {e}") from None
        dt = _check_dtype(dtype)
        if elements is None:
            self.elements = np.zeros(self.shape.size, dtype=dt)
        else:
            arr = real_array(elements, f"Tensor of {self.shape}: elements", dt)
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
        """Set the deltas from an array of the logical shape, a flat column-major one, or a scalar.

        Raises:
            ValueError: for any other shape, even of the same size: an array
                ``[3, 2]`` given for a ``[2, 3]`` tensor has the right number of
                values in the wrong places.
            TypeError: for values that are not real numbers.
        """
        a = real_array(values, f"Tensor of {self.shape}: deltas", self.dtype)
        if a.shape == self.shape.dims or a.ndim == 0:
            a = a.reshape(-1, order="F") if a.ndim else a
        elif a.shape != (self.size,):
            raise ValueError(
                f"Tensor of {self.shape}: deltas given with shape {a.shape}, expected the logical shape "
                f"{self.shape.dims} or a flat ({self.size},) array in column-major order; "
                f"if the values really are in another layout, reshape them yourself first")
        self.deltas[...] = a

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
        what = f"Tensor of {self.shape}: element {index}"
        v = real_array(value, what, self.dtype)
        if v.size != 1:
            raise ValueError(f"{what}: expected one number, got an array of shape {v.shape}")
        self.elements[self.shape.offset(index)] = v.reshape(())

    # -- NumPy interop ----------------------------------------------------------------
    @classmethod
    def from_numpy(cls, array: Any, dtype: Any = None) -> "Tensor":
        """Copy a NumPy array (any layout) into a new Tensor, keeping logical indexing.

        Args:
            array: array-like; ``array[i, j] == tensor[i, j]`` afterwards.
            dtype: float32 (default, like every layer) or float64.

        Returns:
            A new Tensor of ``array.shape``.

        Raises:
            TypeError: for None or values that are not real numbers (complex,
                dates, strings, objects; see :func:`real_array`).
            ValueError: for an empty array (a Tensor has at least one element).
        """
        dt = _check_dtype(np.float32 if dtype is None else dtype)
        a = real_array(array, "Tensor.from_numpy", dt)
        if a.size == 0:
            raise ValueError(f"Tensor.from_numpy: got an empty array of shape {a.shape}; "
                             f"a Tensor holds at least one element (every dim >= 1)")
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
