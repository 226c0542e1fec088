"""Classification metrics: accuracy, the confusion matrix and per-class accuracy.

Every function here works on plain arrays of class indices, so it serves a
network's predictions, a history's stored matrices and a student's own
numbers alike. For a network on labelled data, :func:`framework.evaluate_detailed`
gives all of them together with the loss, from one pass. The convention throughout (as in scikit-learn)::

    matrix[i, j] = number of samples whose true class is i and predicted class is j

so row ``i`` sums to the count of class ``i``, the diagonal holds the hits,
and the per-class accuracy (recall) of class ``i`` is ``matrix[i, i] / Σ_j matrix[i, j]``.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _class_indices(name: str, values: Any) -> np.ndarray:
    """``values`` as a flat int64 array of class indices, or a ValueError naming ``name``."""
    array = np.asarray(values)
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{name} must be whole class indices, got non-integer values "
                             f"such as {array[array != np.round(array)][:1]}")
    elif array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class indices, got dtype {array.dtype}")
    array = array.astype(np.int64).reshape(-1)
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {array.min()}")
    return array


def accuracy(predicted: Any, labels: Any) -> float:
    """Fraction of samples whose predicted class is the true class.

    Args:
        predicted: predicted class per sample, ``[N]`` (or any shape, flattened).
        labels: true class per sample, same number of elements.

    Returns:
        Accuracy in [0, 1].

    Raises:
        ValueError: different counts, no samples or negative classes.
    """
    p, t = _class_indices("predicted", predicted), _class_indices("labels", labels)
    if p.size != t.size or p.size == 0:
        raise ValueError(f"accuracy: {p.size} predictions for {t.size} labels; "
                         f"expected the same number, at least one")
    return float(np.count_nonzero(p == t)) / p.size


def confusion_matrix(predicted: Any, labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Args:
        predicted: predicted class per sample, ``[N]`` (any shape, flattened
            in the same order as ``labels``).
        labels: true class per sample.
        num_classes: C; default: one more than the largest class seen.

    Returns:
        ``[C, C]`` int64 matrix, ``matrix[true, predicted]``.

    Raises:
        ValueError: different counts, or a class index >= ``num_classes``.
    """
    p, t = _class_indices("predicted", predicted), _class_indices("labels", labels)
    if p.size != t.size:
        raise ValueError(f"confusion_matrix: {p.size} predictions for {t.size} labels; "
                         f"expected the same number")
    seen = int(max(p.max(initial=-1), t.max(initial=-1))) + 1
    c = seen if num_classes is None else int(num_classes)
    if seen > c:
        raise ValueError(f"confusion_matrix: class {seen - 1} found, but num_classes={c} "
                         f"allows only 0..{c - 1}")
    # One bincount over the flattened (true, predicted) pair index: C² bins.
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c)


def per_class_accuracy(matrix: Any) -> np.ndarray:
    """Accuracy (recall) of each true class from a confusion matrix.

    Args:
        matrix: ``[C, C]`` confusion matrix, ``matrix[true, predicted]``.

    Returns:
        ``[C]`` float64: ``matrix[i, i] / Σ_j matrix[i, j]``; ``nan`` for a
        class with no samples (there is nothing to be right about).

    Raises:
        ValueError: not a square matrix.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"per_class_accuracy: expected a square [C, C] matrix, got shape {m.shape}")
    counts = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.diag(m) / counts, np.nan)


def predict_classes(network: Any, data: Any, batch_size: int = 1024) -> np.ndarray:
    """The network's predicted class (argmax of the last dim) per output row, in evaluation mode.

    Args:
        network: a :class:`~framework.network.Network`.
        data: ``[N, ...]`` inputs.
        batch_size: chunk size (bounds memory only).

    Returns:
        ``[N]`` (or ``[N, T]`` for sequence outputs) int64 class indices.
    """
    was_training = network.training
    network.eval()
    try:
        output = network.predict(data, batch_size=batch_size)
    finally:
        network.train(was_training)
    return np.asarray(output).argmax(axis=-1)

