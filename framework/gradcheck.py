"""Gradient checker: a layer's hand-written gradients against finite differences.

:func:`check_layer` works for any :class:`~framework.layers.Layer`, a
student's included. It builds the scalar ``L = Σ_k y_k·r_k`` from the
layer's output ``y`` and fixed random weights ``r`` (so ``δy = r``: every
output element matters, with a different weight), then compares

* ``backward``'s input deltas with ``(L(x + ε·e_i) − L(x − ε·e_i)) / 2ε``, and
* ``calculate_delta_weights``' parameter deltas with the same difference
  taken in each parameter element,

for every element, in float64. It also checks the protocol, separately from the math: ``backward`` must
*overwrite* the input deltas (it runs on zeroed and on junk-filled deltas,
which must give the same result) and ``calculate_delta_weights`` must
*accumulate* (on prefilled deltas it must add exactly what it computes on
zeroed ones). The math is judged on the zeroed runs, so a protocol slip is
reported as a slip, not as a wrong derivative.

Tolerances (documented defaults): an element is wrong when
``|analytic − numeric| > atol + rtol·max(|analytic|, |numeric|)`` with
``atol = 1e-6``, ``rtol = 1e-5``. In float64 with ``ε = 1e-6`` the central
difference is accurate to about ``1e-9`` for smooth layers, so a real bug
stands far above these bounds, and a float32-only layer falls below them.

Kinks (ReLU at 0, max-pool ties) have no derivative; as Caffe's checker
does, points where the left and right one-sided differences disagree by
more than ``kink_tol`` are skipped and counted. A check that compared
nothing at all raises instead of passing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .layers.base import Layer
from .losses.base import Loss
from .shape import Shape
from .tensor import Tensor
from .compare import Comparison, assert_close, compare  # noqa: F401  (re-exported for students)

ATOL, RTOL, EPS, KINK_TOL = 1e-6, 1e-5, 1e-6, 1e-3


@dataclass
class QuantityReport:
    """The check of one quantity (input deltas, or one parameter's deltas)."""

    name: str
    checked: int = 0
    skipped: int = 0
    bad: int = 0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    first_bad_index: tuple[int, ...] | None = None
    analytic: float = float("nan")
    numeric: float = float("nan")
    note: str = ""

    @property
    def ok(self) -> bool:
        """True when no checked element was wrong and the protocol was respected."""
        return self.bad == 0 and not self.note

    def __str__(self) -> str:
        s = (f"{self.name:<16} checked {self.checked:6d}  skipped {self.skipped:4d}  "
             f"max abs err {self.max_abs_error:.2e}  max rel err {self.max_rel_error:.2e}")
        if self.first_bad_index is not None:
            s += (f"\n    WRONG: {self.bad} element(s); first at index {self.first_bad_index}: "
                  f"analytic {self.analytic:.8g}, numeric {self.numeric:.8g}")
        if self.note:
            s += f"\n    WRONG: {self.note}"
        return s


@dataclass
class GradCheckReport:
    """All quantities of one check; ``ok`` when every one passed."""

    subject: str
    quantities: list[QuantityReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every quantity passed."""
        return all(q.ok for q in self.quantities)

    def __str__(self) -> str:
        head = f"gradient check of {self.subject}: {'OK' if self.ok else 'FAILED'}"
        return "\n".join([head] + ["  " + str(q) for q in self.quantities])


def _numeric_check(name: str, values: np.ndarray, analytic: np.ndarray, shape: tuple[int, ...],
                   loss_fn: Callable[[], float], eps: float, atol: float, rtol: float,
                   kink_tol: float) -> QuantityReport:
    """Compare ``analytic`` with central differences of ``loss_fn`` in every element of ``values``."""
    report = QuantityReport(name)
    base = loss_fn()
    for i in range(values.size):
        old = values[i]
        values[i] = old + eps
        plus = loss_fn()
        values[i] = old - eps
        minus = loss_fn()
        values[i] = old
        right, left = (plus - base) / eps, (base - minus) / eps
        numeric = (plus - minus) / (2 * eps)
        if abs(right - left) > kink_tol * max(1.0, abs(numeric)):
            report.skipped += 1  # a kink: no derivative to compare with
            continue
        a = float(analytic[i])
        err = abs(a - numeric)
        scale = max(abs(a), abs(numeric))
        report.checked += 1
        report.max_abs_error = max(report.max_abs_error, err)
        report.max_rel_error = max(report.max_rel_error, err / max(scale, atol))
        if not err <= atol + rtol * scale:  # `not <=` also catches NaN
            report.bad += 1
            if report.first_bad_index is None:
                report.first_bad_index = tuple(int(j) for j in np.unravel_index(i, shape, order="F"))
                report.analytic, report.numeric = a, numeric
    return report


def check_layer(layer: Layer, input_shape: Any, *, inputs: Any = None, seed: int = 0,
                eps: float = EPS, atol: float = ATOL, rtol: float = RTOL,
                kink_tol: float = KINK_TOL, raise_on_failure: bool = True) -> GradCheckReport:
    """Check a layer's ``backward`` and ``calculate_delta_weights`` against finite differences.

    The layer's parameters are converted to float64 for the check and
    restored (values and dtype) afterwards.

    Args:
        layer: any Layer.
        input_shape: shape of the input, batch dim included, e.g. ``(3, 5)``.
        inputs: optional input values of that shape (logical indexing);
            default standard normal from ``seed``.
        seed: seed of the random inputs and of the output weights ``r``.
        eps: finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        kink_tol: one-sided differences further apart than this mark a kink.
        raise_on_failure: raise AssertionError (with the report) on failure.

    Returns:
        The :class:`GradCheckReport`.

    Raises:
        AssertionError: a quantity is wrong (with ``raise_on_failure``).
        RuntimeError: nothing could be checked (every point a kink).
    """
    rng = np.random.default_rng(seed)
    shape = Shape(input_shape)
    saved = [(p, p.elements, p._deltas) for p in layer.params]
    try:
        layer.astype_(np.float64)
        x = Tensor(shape, dtype=np.float64)
        x.view()[...] = rng.standard_normal(shape.dims) if inputs is None else np.asarray(inputs)
        y = Tensor(layer.output_shape(shape), dtype=np.float64)
        r = rng.standard_normal(y.size)

        def loss() -> float:
            layer.forward([x], [y])
            return float(np.dot(y.elements, r))

        report = GradCheckReport(repr(layer))
        loss()
        y.deltas[...] = r
        # Run backward on zeroed and on junk-filled input deltas: the results
        # must agree (overwrite). Judge the math on the zeroed run, so a
        # protocol slip is reported as that, not as a wrong derivative.
        x.deltas[...] = 0.0
        layer.backward([y], [x])
        analytic_x = x.deltas.copy()
        x.deltas[...] = 1e3
        layer.backward([y], [x])
        overwrites = np.allclose(x.deltas, analytic_x, atol=atol, rtol=rtol)
        # Likewise calculate_delta_weights on zeroed and on prefilled
        # parameter deltas: the second must be the prefill plus the first (+=).
        for p in layer.params:
            p.deltas[...] = 0.0
        layer.calculate_delta_weights([y], [x])
        analytic_p = [p.deltas.copy() for p in layer.params]
        prefills = [rng.standard_normal(p.size) for p in layer.params]
        for p, pre in zip(layer.params, prefills):
            p.deltas[...] = pre
        layer.calculate_delta_weights([y], [x])
        accumulates = [np.allclose(p.deltas - pre, a, atol=atol, rtol=rtol)
                       for p, pre, a in zip(layer.params, prefills, analytic_p)]

        q = _numeric_check("input deltas", x.elements, analytic_x, shape.dims,
                           loss, eps, atol, rtol, kink_tol)
        if not overwrites:
            q.note = ("backward must overwrite (=) the input deltas, but its result changed with "
                      "their previous contents (does it add to them?)")
        report.quantities.append(q)
        for p, a, pname, acc in zip(layer.params, analytic_p, layer.param_names(), accumulates):
            q = _numeric_check(pname, p.elements, a, p.shape.dims, loss, eps, atol, rtol, kink_tol)
            if not acc:
                q.note = ("calculate_delta_weights must accumulate (+=) into the parameter deltas, "
                          "but it replaced what was there (the values above are from a call on "
                          "zeroed deltas)")
            report.quantities.append(q)
    finally:
        for p, elements, deltas in saved:
            p.elements, p._deltas = elements, deltas
    _finish(report, raise_on_failure)
    return report


def check_loss(loss: Loss, prediction: Any, target: Any, *, eps: float = EPS, atol: float = ATOL,
               rtol: float = RTOL, raise_on_failure: bool = True) -> GradCheckReport:
    """Check a loss's ``backward`` (``∂L/∂prediction``) against finite differences of ``forward``.

    Args:
        loss: any Loss.
        prediction: prediction values (logical indexing), e.g. probabilities
            for CrossEntropy.
        target: targets of the same shape.
        eps: finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_on_failure: raise AssertionError (with the report) on failure.

    Returns:
        The :class:`GradCheckReport`.
    """
    x = Tensor.from_numpy(np.asarray(prediction, dtype=np.float64), dtype=np.float64)
    t = Tensor.from_numpy(np.asarray(target, dtype=np.float64), dtype=np.float64)
    x.deltas[...] = 1e3
    loss.backward([x], t)
    report = GradCheckReport(repr(loss))
    report.quantities.append(_numeric_check("prediction δ", x.elements, x.deltas.copy(),
                                            x.shape.dims, lambda: loss.forward([x], t),
                                            eps, atol, rtol, KINK_TOL))
    _finish(report, raise_on_failure)
    return report



def _finish(report: GradCheckReport, raise_on_failure: bool) -> None:
    if sum(q.checked for q in report.quantities) == 0:
        raise RuntimeError(f"gradient check of {report.subject} compared nothing: every point "
                           f"was a kink or there were no elements; use other inputs")
    if raise_on_failure and not report.ok:
        raise AssertionError(str(report))
