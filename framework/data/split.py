"""Deterministic, stratified train/test split (no scikit-learn needed)."""
from __future__ import annotations

import numpy as np


def train_test_split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2,
                     seed: int = 0, stratify: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split samples into a training and a test set.

    The same ``seed`` always gives the same split. With ``stratify`` every
    class contributes ``round(test_fraction * class_count)`` samples to the
    test set, so both sets keep the class proportions of ``y``. Samples keep
    their original relative order within each set, which makes the split easy
    to inspect; shuffle per epoch when training.

    Args:
        x: samples, first axis indexes samples (``[N, ...]``).
        y: labels ``[N]``; with ``stratify`` they must be hashable scalars
            (integers in practice).
        test_fraction: fraction of samples for the test set, in ``(0, 1)``.
        seed: seed of the random generator choosing the test samples.
        stratify: split every class separately (``True``) or all samples at
            once (``False``).

    Returns:
        ``(x_train, y_train, x_test, y_test)``, copies of the selected rows.

    Raises:
        ValueError: if the lengths differ, ``y`` is not 1-D, or
            ``test_fraction`` is outside ``(0, 1)``.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"train_test_split: expected 1-D labels y, got shape {y.shape}")
    if x.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"train_test_split: expected x with {y.shape[0]} samples "
                         f"(as many as y) along axis 0, got shape {x.shape}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: expected test_fraction in (0, 1), "
                         f"got {test_fraction}")

    rng = np.random.default_rng(seed)
    n = y.shape[0]
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    is_test = np.zeros(n, dtype=bool)
    for members in groups:
        n_test = int(round(test_fraction * members.size))
        is_test[rng.permutation(members)[:n_test]] = True
    return x[~is_test], y[~is_test], x[is_test], y[is_test]
