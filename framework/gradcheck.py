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

What a report says beyond right/wrong (the lessons of the course's grader):
the ratio analytic/numeric when it is one constant (−1, 2, ½, 1/batch) with
what that factor usually means; "does forward use it?" when the numeric
gradient of a parameter is all zero (the bug is in forward, not in
calculate_delta_weights); a warning for Tensor attributes missing from
``params`` (they never train) and for a batch of 1 (it hides
averaged-instead-of-summed bugs). Inputs with NaN/inf are refused, and a
forward that produces NaN from finite inputs is reported as that. Given a
:class:`~framework.network.Network`, :func:`check_layer` checks the whole
network (:func:`framework.gradcheck_network.check_network`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .factors import FACTOR_MEANINGS, constant_factor, name_factor
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
    factor: float | None = None
    factor_name: str | None = None
    hint: str = ""

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
        if self.factor is not None and self.bad:
            name = f" = {self.factor_name}" if self.factor_name not in (None, f"{self.factor:.6g}") else ""
            s += f"\n    ratio analytic/numeric: {self.factor:.6g}{name} everywhere"
        if self.note:
            s += f"\n    WRONG: {self.note}"
        if self.hint:
            s += f"\n    hint: {self.hint}"
        return s


@dataclass
class GradCheckReport:
    """All quantities of one check; ``ok`` when every one passed."""

    subject: str
    quantities: list[QuantityReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every quantity passed."""
        return all(q.ok for q in self.quantities)

    def __str__(self) -> str:
        head = f"gradient check of {self.subject}: {'OK' if self.ok else 'FAILED'}"
        return "\n".join([head] + ["  " + str(q) for q in self.quantities]
                         + ["  WARNING: " + w for w in self.warnings])


def _numeric_check(name: str, values: np.ndarray, analytic: np.ndarray, shape: tuple[int, ...],
                   loss_fn: Callable[[], float], eps: float, atol: float, rtol: float,
                   kink_tol: float, batch: int | None = None,
                   indices: np.ndarray | None = None) -> QuantityReport:
    """Compare ``analytic`` with central differences of ``loss_fn`` in every element of ``values``.

    ``indices`` restricts the check to some flat indices (a network check
    samples); ``batch`` names a ``1/batch`` factor.
    """
    report = QuantityReport(name)
    base = loss_fn()
    got, want = [], []
    for i in (range(values.size) if indices is None else indices):
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
        got.append(a)
        want.append(numeric)
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
    if report.bad:
        _diagnose(report, np.array(got), np.array(want), batch, atol)
    return report


def _diagnose(report: QuantityReport, analytic: np.ndarray, numeric: np.ndarray,
              batch: int | None, atol: float) -> None:
    """Add the constant factor and a hint to a failed quantity."""
    if np.all(np.abs(numeric) <= atol) and report.name != "input deltas":
        report.hint = (f"the loss does not depend on '{report.name}' (its numeric gradient is "
                       f"all zero): does forward use it? Fix forward, not calculate_delta_weights")
        return
    c = constant_factor(analytic, numeric, rtol=1e-4)
    if c is None:
        return
    report.factor, report.factor_name = c, name_factor(c, batch)
    report.hint = FACTOR_MEANINGS.get(report.factor_name or "", "")


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

    Given a :class:`~framework.network.Network` instead of a layer, it
    checks the whole network (``framework.gradcheck_network.check_network``) with ``input_shape`` as
    the batch's shape.

    Returns:
        The :class:`GradCheckReport`; ``warnings`` lists Tensor attributes
        missing from ``params`` and a batch of 1.

    Raises:
        AssertionError: a quantity is wrong (with ``raise_on_failure``).
        RuntimeError: nothing could be checked (every point a kink).
        ValueError: the inputs or parameters contain NaN or inf.
        TypeError: ``layer`` is neither a Layer nor a Network.
    """
    from .network import Network
    if isinstance(layer, Network):
        from .gradcheck_network import check_network
        return check_network(layer, input_shape, inputs=inputs, seed=seed, eps=eps, atol=atol,
                             rtol=rtol, kink_tol=kink_tol, raise_on_failure=raise_on_failure)
    if not isinstance(layer, Layer):
        raise TypeError(f"check_layer: expected a Layer (or a Network), got {type(layer).__name__}; "
                        f"for a loss use check_loss")
    rng = np.random.default_rng(seed)
    shape = Shape(input_shape)
    x_values = rng.standard_normal(shape.dims) if inputs is None else np.asarray(inputs, dtype=np.float64)
    _refuse_nonfinite(f"check_layer({layer!r})", "input", x_values)
    for pname, p in zip(layer.param_names(), layer.params):
        _refuse_nonfinite(f"check_layer({layer!r})", f"parameter '{pname}'", p.view())
    report = GradCheckReport(repr(layer), warnings=_warnings_for(layer, shape))
    saved = [(p, p.elements, p._deltas) for p in layer.params]
    try:
        layer.astype_(np.float64)
        x = Tensor(shape, dtype=np.float64)
        x.view()[...] = x_values
        y = Tensor(layer.output_shape(shape), dtype=np.float64)
        r = rng.standard_normal(y.size)

        def loss() -> float:
            layer.forward([x], [y])
            return float(np.dot(y.elements, r))

        loss()
        if not np.all(np.isfinite(y.elements)):
            bad = tuple(int(i) for i in np.unravel_index(
                int(np.argmax(~np.isfinite(y.elements))), y.shape.dims, order="F"))
            q = QuantityReport("output", bad=1, first_bad_index=bad)
            q.note = (f"forward produced {y.view()[bad]} at index {bad} from finite inputs; "
                      f"nothing else was checked")
            report.quantities.append(q)
            _finish(report, raise_on_failure, require_checked=False)
            return report
        y.deltas[...] = r
        # Run backward on zeroed and on junk-filled input deltas: the results
        # must agree (overwrite). Judge the math on the zeroed run, so a
        # protocol slip is reported as that, not as a wrong derivative.
        x.deltas[...] = 0.0
        layer.backward([y], [x])
        analytic_x = x.deltas.copy()
        x.deltas[...] = 1e3
        layer.backward([y], [x])
        overwrites = np.allclose(x.deltas, analytic_x, atol=atol, rtol=rtol, equal_nan=True)
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
        accumulates = [np.allclose(p.deltas - pre, a, atol=atol, rtol=rtol, equal_nan=True)
                       for p, pre, a in zip(layer.params, prefills, analytic_p)]

        batch = shape.dims[0]
        q = _numeric_check("input deltas", x.elements, analytic_x, shape.dims,
                           loss, eps, atol, rtol, kink_tol, batch)
        if not overwrites:
            q.note = ("backward must overwrite (=) the input deltas, but its result changed with "
                      "their previous contents (does it add to them?)")
        report.quantities.append(q)
        for p, a, pname, acc in zip(layer.params, analytic_p, layer.param_names(), accumulates):
            q = _numeric_check(pname, p.elements, a, p.shape.dims, loss, eps, atol, rtol, kink_tol,
                               batch)
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
    _refuse_nonfinite(f"check_loss({loss!r})", "prediction", np.asarray(prediction, dtype=np.float64))
    _refuse_nonfinite(f"check_loss({loss!r})", "target", np.asarray(target, dtype=np.float64))
    x = Tensor.from_numpy(np.asarray(prediction, dtype=np.float64), dtype=np.float64)
    t = Tensor.from_numpy(np.asarray(target, dtype=np.float64), dtype=np.float64)
    x.deltas[...] = 1e3
    loss.backward([x], t)
    report = GradCheckReport(repr(loss))
    report.quantities.append(_numeric_check("prediction δ", x.elements, x.deltas.copy(),
                                            x.shape.dims, lambda: loss.forward([x], t),
                                            eps, atol, rtol, KINK_TOL, x.shape.dims[0]))
    _finish(report, raise_on_failure)
    return report



def _refuse_nonfinite(who: str, what: str, values: np.ndarray) -> None:
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(f"{who}: the {what} contains {values[bad]} at index {bad}; a gradient "
                         f"check needs finite numbers (this says nothing about your gradients); pass a finite "
                         f"{what}")


def _warnings_for(layer: Layer, shape: Shape) -> list[str]:
    """Tensor attributes missing from params, and a batch of 1; also issued as UserWarnings."""
    found = []
    for name in layer.undeclared_tensors():
        found.append(f"attribute '{name}' is a Tensor but not in params: the trainer never "
                     f"updates it and this check does not check its gradient; declare it with "
                     f"self.add_param('{name}', ...)")
    if shape.dims[0] == 1:
        found.append("a batch of 1 hides bugs such as a gradient averaged instead of summed "
                     "over the batch; check with a batch of 3 or more")
    for w in found:
        warnings.warn(f"check_layer({layer!r}): {w}", UserWarning, stacklevel=3)
    return found


def _finish(report: GradCheckReport, raise_on_failure: bool, require_checked: bool = True) -> None:
    if require_checked and sum(q.checked for q in report.quantities) == 0:
        raise RuntimeError(f"gradient check of {report.subject} compared nothing: every point "
                           f"was a kink or there were no elements; use other inputs")
    if raise_on_failure and not report.ok:
        raise AssertionError(str(report))
