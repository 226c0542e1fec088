"""InputLayer: turns user data of any type into Tensors (the lecture's "incoming objects of type T")."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..shape import Shape
from ..tensor import Tensor, real_array


class InputLayer:
    """Converts data (NumPy arrays, nested lists) and labels into Tensors.

    It is not a :class:`Layer`: it has no input tensor, only user data.

    Args:
        sample_shape: the shape of one sample without the batch dim, e.g.
            ``(784,)`` for vectors, ``(28, 28, 1)`` for images ``[H, W, C]``,
            or ``()`` for one number per sample (an ``Embedding``'s ids ``[N]``).
        num_classes: number of classes, for turning integer labels into
            one-hot targets (optional).
        dtype: float32 (default) or float64.
    """

    def __init__(self, sample_shape: int | Iterable[int], num_classes: int | None = None,
                 dtype: Any = np.float32) -> None:
        try:
            # () is a scalar sample (one id per sample): the batch is [N]
            empty = isinstance(sample_shape, (tuple, list)) and len(sample_shape) == 0
            self.sample_shape = () if empty else Shape(sample_shape).dims
        except ValueError as e:
            raise ValueError(f"InputLayer: {e}") from None
        if num_classes is not None and (isinstance(num_classes, bool) or int(num_classes) != num_classes
                                        or num_classes < 1):
            raise ValueError(f"{self}: num_classes must be a positive integer, got {num_classes!r}")
        self.num_classes = None if num_classes is None else int(num_classes)
        self.dtype = np.dtype(dtype)

    def batch_shape(self, batch_size: int) -> Shape:
        """The tensor shape of a batch: ``[batch_size, *sample_shape]``."""
        return Shape((batch_size,) + self.sample_shape)

    def as_array(self, data: Any) -> np.ndarray:
        """Check user data and return it as ``[N, *sample_shape]`` array of this layer's dtype.

        A single sample (exactly ``sample_shape``) becomes a batch of one.

        Raises:
            ValueError: on a shape that does not fit, or NaN/inf values
                (naming the first bad sample).
            TypeError: for data that is not real numbers (None, complex,
                dates, strings, objects).
        """
        try:
            # Checked before converting: NumPy would cast complex data to its real
            # part, dates to day counts and None to NaN.
            a = real_array(data, "", self.dtype)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{self}: data must be numbers of shape (N, "
                          f"{', '.join(map(str, self.sample_shape))}): {e}") from None
        if a.shape == self.sample_shape:
            a = a[np.newaxis]
        if a.ndim != len(self.sample_shape) + 1 or a.shape[1:] != self.sample_shape or a.shape[0] == 0:
            raise ValueError(f"{self}: data has shape {a.shape}, expected (N, "
                             f"{', '.join(map(str, self.sample_shape))}) with N >= 1")
        if not np.all(np.isfinite(a)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise ValueError(f"{self}: data contains {a[bad]} at index {bad} "
                             f"(sample {bad[0]}); NaN and inf are not allowed")
        return a

    def forward(self, data: Any, out: Tensor | None = None) -> Tensor:
        """Turn data into a Tensor ``[N, *sample_shape]``.

        Args:
            data: array-like of shape ``[N, *sample_shape]`` (or one sample).
            out: optional preallocated tensor of the right shape to fill,
                so a network can reuse its buffers between batches.

        Returns:
            ``out`` (filled) or a new Tensor.
        """
        a = self.as_array(data)
        if out is None or out.shape != a.shape or out.dtype != self.dtype:
            return Tensor.from_numpy(a, dtype=self.dtype)
        out.view()[...] = a
        return out

    def targets(self, labels: Any, prediction_shape: Shape | None = None) -> Tensor:
        """Turn labels into a target Tensor.

        Integer labels ``[N]`` (or ``[N, T]``) become one-hot vectors of
        ``num_classes``; boolean labels are the classes 0 (False) and 1
        (True); float arrays are taken as targets as they are.

        Args:
            labels: integer class labels or float targets.
            prediction_shape: if given, the target must end up with this shape.

        Returns:
            A target Tensor.

        Raises:
            TypeError: labels that are None or not numbers (strings, objects).
            ValueError: labels out of range, a single label for several
                samples, NaN, or a shape that does not match the prediction.
        """
        if labels is None:
            raise TypeError(f"{self}: labels are None; pass integer class labels [N] or float "
                            f"targets of the network's output shape")
        a = np.asarray(labels)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{self}: labels must be integer class labels or float targets, got "
                            f"{_describe(a)}; map them to class indices 0..C-1 first")
        if a.dtype.kind == "b":
            a = a.astype(np.int64)  # False is class 0, True class 1
        if a.ndim == 0:
            if prediction_shape is None or tuple(prediction_shape)[0] != 1:
                raise ValueError(f"{self}: labels is the single value {a.item()!r}; pass one label "
                                 f"per sample, e.g. [{a.item()!r}]")
            a = a.reshape(1)  # one sample, one label
        if prediction_shape is not None and a.dtype.kind in "iu" and a.ndim == len(prediction_shape) \
                and a.shape[-1] == 1 and a.shape[:-1] == tuple(prediction_shape)[:-1]:
            a = a[..., 0]  # a column of labels, [N, 1], is as good as [N]
        if a.dtype.kind in "iu":
            if self.num_classes is None:
                raise ValueError(f"{self}: got integer labels but num_classes is not set; "
                                 f"pass num_classes=... or one-hot float targets")
            if a.size and (a.min() < 0 or a.max() >= self.num_classes):
                bad = a[(a < 0) | (a >= self.num_classes)].flat[0]
                raise ValueError(f"{self}: label {bad} is out of range, expected 0..{self.num_classes - 1}")
            t = Tensor(a.shape + (self.num_classes,), dtype=self.dtype)
            # One-hot in column-major: the label of row r sits at column labels[r].
            rows = a.reshape(-1, order="F")
            t.matrix()[np.arange(rows.size), rows] = 1.0
        else:
            f = np.asarray(a, dtype=self.dtype)
            if not np.all(np.isfinite(f)):
                raise ValueError(f"{self}: targets contain NaN or inf")
            t = Tensor.from_numpy(f, dtype=self.dtype)
        if prediction_shape is not None and t.shape != Shape(prediction_shape):
            hint = ""
            out = tuple(prediction_shape)
            if a.dtype.kind == "f" and a.shape == out[:-1]:
                hint = ("; float labels are taken as targets as they are: pass integer class "
                        "labels (labels.astype(int)) to get one-hot targets")
            elif a.dtype.kind in "iu" and len(out) == 3 and a.shape == out[:1]:
                hint = (f"; the network outputs a sequence [N, T, C] = {list(out)}, one class per "
                        f"step, but there is one label per sample: end the recurrent layer with "
                        f"return_sequences=False to classify whole sequences, or pass labels [N, T]")
            what = (f"labels {list(a.shape)} make one-hot targets {t.shape}" if a.dtype.kind in "iu"
                    else f"targets have {t.shape}")
            raise ValueError(f"{self}: {what}, expected {Shape(prediction_shape)} "
                             f"(the network's output){hint}")
        return t

    def __repr__(self) -> str:
        return f"InputLayer({', '.join(map(str, self.sample_shape))})"


def _describe(a: np.ndarray) -> str:
    """``strings such as 'cat'`` / ``dtype complex128``: what labels of an unusable kind hold."""
    if a.dtype.kind in "US":
        first = a.flat[0] if a.size else ""
        return f"strings such as {str(first)!r}"
    if a.dtype.kind == "O" and a.size and a.flat[0] is None:
        return "None values"
    return f"dtype {a.dtype}"
