"""Compare a hand-derived array with the framework's: shape, exact, close, and where it differs most."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .factors import FACTOR_MEANINGS, constant_factor, name_factor
from .tensor import Tensor, real_array


@dataclass
class Comparison:
    """The result of :func:`compare`; truthy when the arrays are close."""

    name: str
    expected_shape: tuple[int, ...]
    actual_shape: tuple[int, ...]
    exact: bool
    close: bool
    max_abs_diff: float
    max_rel_diff: float
    worst_index: tuple[int, ...] | None
    expected_value: float
    actual_value: float
    atol: float
    rtol: float
    factor: float | None = None
    factor_name: str | None = None

    def __bool__(self) -> bool:
        return self.close

    def __str__(self) -> str:
        if self.expected_shape != self.actual_shape:
            return (f"{self.name}: shape differs: expected {self.expected_shape}, "
                    f"got {self.actual_shape} (the framework's arrays have the batch as dim 0)")
        verdict = "exact" if self.exact else ("close" if self.close else "DIFFERENT")
        s = (f"{self.name}: {verdict} (max abs diff {self.max_abs_diff:.3g}, "
             f"max rel diff {self.max_rel_diff:.3g}; atol {self.atol:g}, rtol {self.rtol:g})")
        if not self.exact and self.worst_index is not None:
            s += (f"; largest difference at index {self.worst_index}: expected "
                  f"{self.expected_value:.8g}, got {self.actual_value:.8g}")
        if not self.close and self.factor is not None:
            name = f" = {self.factor_name}" if self.factor_name not in (None, f"{self.factor:.6g}") else ""
            s += f"; actual/expected is {self.factor:.6g}{name} everywhere"
            if self.factor_name in FACTOR_MEANINGS:
                s += f" ({FACTOR_MEANINGS[self.factor_name]})"
        if not self.close and self.max_abs_diff < 1e-2:
            s += "; for values rounded by hand pass a larger atol, e.g. atol=1e-3"
        return s


def _as_array(a: Any, what: str) -> np.ndarray:
    # real_array refuses None, complex and dates, which NumPy would turn into NaN,
    # the real part and day counts: a comparison of those would be meaningless.
    return a.to_numpy() if isinstance(a, Tensor) else real_array(a, what).astype(np.float64)


def compare(expected: Any, actual: Any, name: str = "value", atol: float = 1e-6,
            rtol: float = 1e-5) -> Comparison:
    """Compare ``actual`` with a hand-derived ``expected`` array.

    Args:
        expected: your values (array-like or Tensor, logical indexing).
        actual: the framework's values (array-like or Tensor).
        name: what is compared, for the message (``"δW1"``).
        atol: absolute tolerance.
        rtol: relative tolerance; close means
            ``|actual − expected| <= atol + rtol·|expected|`` everywhere.

    Returns:
        A :class:`Comparison` (truthy when close) whose ``str`` says
        exact / close / different, the largest difference and where.

    Raises:
        TypeError: for values that are not real numbers (None, complex,
            dates, strings; a ``NotRealError``, also a ValueError).
        ValueError: for a tolerance that is negative, NaN, inf or not a number.
    """
    for label, tol in (("atol", atol), ("rtol", rtol)):
        # A NaN or negative tolerance would call everything different, a string fail deep inside.
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 <= tol < math.inf:
            raise ValueError(f"compare {name}: {label} must be a finite number >= 0, got {tol!r}")
    e = _as_array(expected, f"compare {name}: expected")
    a = _as_array(actual, f"compare {name}: actual")
    if e.shape != a.shape and e.size == a.size and np.squeeze(e).shape == np.squeeze(a).shape:
        # [3] against a batch of one, [1, 3]: the same numbers, compare them.
        e = e.reshape(a.shape)
    if e.shape != a.shape:
        return Comparison(name, e.shape, a.shape, False, False, float("inf"), float("inf"),
                          None, float("nan"), float("nan"), atol, rtol)
    if e.size == 0:
        return Comparison(name, e.shape, a.shape, True, True, 0.0, 0.0, None,
                          float("nan"), float("nan"), atol, rtol)
    diff = np.abs(a.astype(np.float64) - e)
    scale = np.maximum(np.abs(e), atol)  # relative to atol near 0: no 1e300 for an expected 0
    with np.errstate(divide="ignore", invalid="ignore"):  # atol=0 and e=0: 0/0 is no difference
        rel = np.where(diff == 0, 0.0, diff / scale)
    worst = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), e.shape)
    close = bool(np.all(diff <= atol + rtol * np.abs(e)))
    # A wrong result that is the expected one times a constant names a typical slip
    # (a sign, a factor 2, a batch size); the batch is dim 0 when there is more than one dim.
    factor = None if close else constant_factor(a, e)
    batch = e.shape[0] if e.ndim > 1 else None
    return Comparison(name, e.shape, a.shape, bool(np.array_equal(e, a)), close,
                      float(diff.max()), float(rel.max()), tuple(int(i) for i in worst),
                      float(e[worst]), float(a[worst]), atol, rtol, factor,
                      None if factor is None else name_factor(factor, batch))


def assert_close(expected: Any, actual: Any, name: str = "value", atol: float = 1e-6,
                 rtol: float = 1e-5) -> Comparison:
    """:func:`compare`, raising AssertionError with the message when not close.

    Returns:
        The Comparison, when close.
    """
    c = compare(expected, actual, name, atol, rtol)
    if not c.close:
        raise AssertionError(str(c))
    return c
