"""Constant factors between a computed and an expected gradient, and what they usually mean.

Shared by the gradient checker and the course's grader: a derivative that is
off by one number everywhere (−1, 2, ½, 1/batch) points at one typical slip.
"""
from __future__ import annotations

import numpy as np

# Ratios are got/expected (analytic/numeric); "batch" and "window" are filled in per case.
FACTOR_MEANINGS = {
    "0": "nothing was written: the method leaves this quantity at zero",
    "-1": "the sign is flipped: a missing minus (cross-entropy's −) or a subtraction the wrong way round",
    "2": "twice the expected value: the ½ of L = Σ ½(x − t)² not cancelled, or a contribution added twice",
    "1/2": "half the expected value: a ½ too many, or only one of two contributions",
    "1/batch": "divided by the batch size: averaged over the batch where the sum is wanted "
               "(the loss already averages; parameter deltas sum over the rows)",
    "batch": "multiplied by the batch size: summed where the mean is wanted (divide by the rows R)",
    "1/window": "divided by the window size: an average where the value is routed (or the reverse)",
    "window": "multiplied by the window size: the division by the window size is missing",
}


def constant_factor(got: np.ndarray, expected: np.ndarray, rtol: float = 1e-6) -> float | None:
    """``got/expected`` when it is the same number at every element with a nonzero expected value.

    Args:
        got: computed values.
        expected: reference values, same size.
        rtol: how far the ratios may spread around their median.

    Returns:
        The factor, 0 when ``got`` is all zero, None when the ratio varies
        or ``got`` is nonzero where ``expected`` is zero.
    """
    got = np.asarray(got, dtype=np.float64).ravel()
    expected = np.asarray(expected, dtype=np.float64).ravel()
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    nz = np.abs(expected) > 1e-9 * scale
    if not np.any(nz) or np.any(np.abs(got[~nz]) > 1e-9 * scale):
        return None
    with np.errstate(over="ignore"):  # a ratio beyond float range is no factor: None below
        ratios = got[nz] / expected[nz]
    if not np.all(np.isfinite(ratios)):
        return None
    c = float(np.median(ratios))
    if np.all(np.abs(ratios - c) <= rtol * max(abs(c), 1e-12)):
        return c
    return None


def name_factor(c: float, batch: int | None = None, window: int | None = None) -> str | None:
    """The typical name of a constant factor (``-1``, ``2``, ``1/batch``), or None.

    Args:
        c: the factor.
        batch: the batch size of the case (above 2, so it is not confused with 2).
        window: a pooling window size.
    """
    candidates: list[tuple[str, float]] = [("0", 0.0), ("-1", -1.0), ("2", 2.0), ("1/2", 0.5)]
    if batch is not None and batch > 2:
        candidates += [("1/batch", 1.0 / batch), ("batch", float(batch))]
    if window is not None and window > 1:
        candidates += [("1/window", 1.0 / window), ("window", float(window))]
    for name, value in candidates:
        if abs(c - value) <= 1e-6 * max(1.0, abs(value)):
            return name
    return None
