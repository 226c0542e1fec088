"""The check API: compare a student's method with the reference and say precisely what is wrong.

A week's ``checks.py`` builds its exercises from these functions. Each
raises :class:`~framework.grading.report.CheckFailed` with a
:class:`~framework.grading.report.Failure` naming the method, the quantity,
the first bad index, both values, a constant factor and any known wrong
formula ("alternative") the student's values equal. The runner adds the
mistake catalog's hint.

* :func:`call` runs one student method and turns an exception into a failure.
* :func:`compare_values` compares one quantity with its expected values.
* :func:`check_layer_against` runs the whole layer protocol on several cases
  (params declared, forward, backward overwrite, delta weights accumulate,
  then a float64 finite-difference check on every batch size).
* :func:`check_loss_against` does the same for a loss.
"""
from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .report import FACTOR_MEANINGS, CheckFailed, Failure, constant_factor, name_factor

ATOL, RTOL = 1e-7, 1e-6
Alternative = Callable[..., np.ndarray]


def fail(method: str, quantity: str, message: str, **kw: Any) -> None:
    """Raise :class:`CheckFailed` with a :class:`Failure` built from the arguments."""
    raise CheckFailed(Failure(method, quantity, message, **kw))


def call(method: str, quantity: str, fn: Callable[..., Any], *args: Any, case: str = "",
         **kwargs: Any) -> Any:
    """Run a student's function; an exception becomes a failure of ``method``.

    Args:
        method: the method's name for the report (``backward``).
        quantity: what it should have produced (``input delta δX``).
        fn: the student's callable.
        case: the input, for the report.

    Returns:
        What ``fn`` returned.

    Raises:
        CheckFailed: when ``fn`` raised; ``NotImplementedError`` says the
            exercise is not done yet.
    """
    try:
        return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as e:
        fail(method, quantity, f"not implemented yet: {e}", case=case,
             exception=f"NotImplementedError: {e}")
    except Exception as e:  # noqa: BLE001 - any student error is reported, not propagated
        where = _student_frame(e)
        fail(method, quantity, f"raised {type(e).__name__}{where}", case=case,
             exception=f"{type(e).__name__}: {e}")


def _student_frame(e: BaseException) -> str:
    """`` at file:line`` of the deepest frame outside the framework (the student's code)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if "/framework/" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    f = frames[-1]
    return f" at {f.filename.rsplit('/', 1)[-1]}:{f.lineno} ({(f.line or '').strip()})"


def compare_values(method: str, quantity: str, got: Any, expected: Any, *, case: str = "",
                   alternatives: dict[str, np.ndarray] | None = None, batch: int | None = None,
                   window: int | None = None, atol: float = ATOL, rtol: float = RTOL,
                   contract: str | None = None, message: str | None = None) -> None:
    """Compare a student's values with the expected ones; raise a precise failure if they differ.

    Args:
        method: the method that produced ``got``.
        quantity: what ``got`` is.
        got: the student's values (array-like, logical indexing).
        expected: the reference values, same shape.
        case: the input, for the report.
        alternatives: known wrong results by name; when ``got`` equals one,
            the failure says so (the catalog matches on the name).
        batch: the batch size of the case (names a factor ``1/batch``).
        window: a window size (names a factor ``1/window``).
        atol: absolute tolerance.
        rtol: relative tolerance: bad where ``|got − expected| > atol + rtol·|expected|``.
        contract: set on the failure (``overwrite``/``accumulate``) when the
            comparison tests the protocol.
        message: overrides the default sentence.

    Raises:
        CheckFailed: when a value differs, the shape differs, or ``got`` has NaN.
    """
    e = np.asarray(expected, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as err:
        fail(method, quantity, f"is not numbers: {err}", case=case, contract=contract)
    if g.shape != e.shape:
        if g.size == e.size and np.squeeze(g).shape == np.squeeze(e).shape:
            g = g.reshape(e.shape)
        else:
            fail(method, quantity, f"has shape {g.shape}, expected {e.shape}", case=case,
                 contract=contract)
    bad = ~(np.abs(g - e) <= atol + rtol * np.abs(e))  # NaN counts as bad
    if not bad.any():
        return
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if e.ndim else None
    gv = float(g[first] if first is not None else g)
    ev = float(e[first] if first is not None else e)
    f = Failure(method, quantity, message or f"{int(bad.sum())} of {bad.size} values differ",
                case=case, index=first, got=gv, expected=ev, contract=contract)
    if np.isnan(g).any():
        f.message = message or f"contains NaN ({int(np.isnan(g).sum())} values)"
    c = constant_factor(g, e)
    if c is not None:
        f.factor = c
        f.factor_name = name_factor(c, batch, window)
        f.factor_meaning = FACTOR_MEANINGS.get(f.factor_name or "")
    for name, alt in (alternatives or {}).items():
        a = np.asarray(alt, dtype=np.float64)
        if a.shape == g.shape and np.allclose(g, a, atol=atol, rtol=rtol) \
                and not np.allclose(a, e, atol=atol, rtol=rtol):
            f.alternative = name
            break
    raise CheckFailed(f)


# -- layers ------------------------------------------------------------------------------------
@dataclass
class LayerCase:
    """One input for a layer check: how to build the layer and the input's shape.

    Attributes:
        input_shape: batch dim first, e.g. ``(4, 3)``; use batches > 2 so
            averaged-instead-of-summed shows as a factor.
        args: positional constructor arguments (student and reference alike).
        kwargs: keyword constructor arguments (give parameter values and
            ``dtype=np.float64`` here).
        window: window size of a pooling case (names ``1/window`` factors).
    """

    input_shape: tuple[int, ...]
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    window: int | None = None

    def describe(self, cls: Any) -> str:
        """``FullyConnected(3, 3), input [4, 3] (batch 4), float64``."""
        args = ", ".join([repr(a) for a in self.args] +
                         [f"{k}=…" for k in self.kwargs if k != "dtype"])
        return (f"{getattr(cls, '__name__', cls)}({args}), input "
                f"[{', '.join(map(str, self.input_shape))}] (batch {self.input_shape[0]}), float64")


def _tensor(shape: tuple[int, ...], values: np.ndarray | None = None) -> Tensor:
    t = Tensor(Shape(shape), dtype=np.float64)
    if values is not None:
        t.view()[...] = values
    return t


def _alternatives(fns: dict[str, Alternative], *args: Any) -> dict[str, np.ndarray]:
    """Evaluate the known wrong formulas; one that does not apply to this case (shapes) is skipped."""
    out = {}
    for name, fn in fns.items():
        try:
            out[name] = np.asarray(fn(*args), dtype=np.float64)
        except (ValueError, IndexError, TypeError):
            continue
    return out


def _params(layer: Any) -> dict[str, np.ndarray]:
    return {n: p.view().copy() for n, p in zip(layer.param_names(), layer.params)}


def check_layer_against(student_cls: Any, reference_cls: Any, cases: list[LayerCase], *,
                        alternatives: dict[str, dict[str, Alternative]] | None = None,
                        gradcheck: bool = True, seed: int = 0) -> None:
    """Check a student's layer class against a reference layer class on every case.

    In order, per case: construction, ``params`` (every Tensor attribute
    declared, same names as the reference), ``output_shape``, ``forward``
    (on a junk-filled output, so a forward that adds is caught), ``backward``
    (math on zeroed input deltas, then the overwrite contract on junk-filled
    ones), ``calculate_delta_weights`` (math on zeroed parameter deltas,
    then the accumulate contract on prefilled ones). Then, when every case
    agrees with the reference, a float64 finite-difference check of the
    student's backward against the student's own forward on every case.

    Args:
        student_cls: the student's class.
        reference_cls: the reference class (the framework's layer), built
            with the same arguments.
        cases: the inputs; several batch sizes, never only a batch of 1.
        alternatives: known wrong formulas: ``{"forward": {name: fn}, "backward":
            {name: fn}, "<param name>": {name: fn}}``; each ``fn(x, y, dy, params)``
            gets logical arrays and a dict of parameter arrays and returns
            what the wrong formula gives.
        gradcheck: also run the finite-difference check.
        seed: seed of inputs and output deltas.

    Raises:
        CheckFailed: at the first wrong quantity.
    """
    rng = np.random.default_rng(seed)
    alternatives = alternatives or {}
    for case in cases:
        _check_layer_case(student_cls, reference_cls, case, alternatives, rng)
    if gradcheck:
        for case in cases:
            _gradcheck_case(student_cls, case, seed)


def _build(cls: Any, case: LayerCase, who: str) -> Any:
    layer = call("__init__", f"the {who} layer", cls, *case.args, **case.kwargs,
                 case=case.describe(cls))
    if hasattr(layer, "astype_"):
        layer.astype_(np.float64)
    return layer


def _check_layer_case(student_cls: Any, reference_cls: Any, case: LayerCase,
                      alternatives: dict[str, dict[str, Alternative]],
                      rng: np.random.Generator) -> None:
    desc = case.describe(student_cls)
    student, ref = _build(student_cls, case, "student's"), reference_cls(*case.args, **case.kwargs)
    ref.astype_(np.float64)
    batch = case.input_shape[0]

    # params: every Tensor attribute declared, under the reference's names.
    undeclared = call("params", "params", student.undeclared_tensors, case=desc)
    if undeclared:
        fail("params", f"parameter '{undeclared[0]}'",
             f"'{undeclared[0]}' is a Tensor attribute but not in params: the trainer never "
             f"updates it and it is not saved; declare it with self.add_param", case=desc)
    names, ref_names = call("params", "param_names", student.param_names, case=desc), ref.param_names()
    if sorted(names) != sorted(ref_names):
        missing = sorted(set(ref_names) - set(names))
        fail("params", f"parameter '{missing[0]}'" if missing else "params",
             f"params are {names}, expected {ref_names}", case=desc)
    ps = dict(zip(names, student.params))
    for n, p in zip(ref_names, ref.params):
        compare_values("params", f"initial values of '{n}'", ps[n].view(), p.view(), case=desc,
                       message="the constructor does not store the given values")

    shape = Shape(case.input_shape)
    out_shape = call("output_shape", "output shape", student.output_shape, shape, case=desc)
    if Shape(out_shape) != ref.output_shape(shape):
        fail("output_shape", "output shape",
             f"returns {Shape(out_shape)}, expected {ref.output_shape(shape)}", case=desc)
    out_dims = ref.output_shape(shape).dims
    params = _params(ref)

    # forward, on a junk-filled output: it must overwrite.
    x_values = rng.standard_normal(case.input_shape)
    xs, xr = _tensor(case.input_shape, x_values), _tensor(case.input_shape, x_values)
    ys, yr = _tensor(out_dims), _tensor(out_dims)
    ys.elements[...] = 1e3
    call("forward", "output Y", student.forward, [xs], [ys], case=desc)
    ref.forward([xr], [yr])
    y_ref = yr.view().copy()
    alts = _alternatives(alternatives.get("forward", {}), x_values, y_ref, None, params)
    try:
        compare_values("forward", "output Y", ys.view(), y_ref, case=desc, alternatives=alts,
                       batch=batch, window=case.window)
    except CheckFailed as e:
        e.failure.unused_param = _unused_param(student, xs, ys)
        if e.failure.unused_param:
            e.failure.message += (f"; the output does not change when '{e.failure.unused_param}' "
                                  f"changes")
        if e.failure.factor is None and np.allclose(ys.view() - 1e3, y_ref, atol=1e-6):
            e.failure.contract = "overwrite"
            e.failure.message = "forward adds to the output (+=) instead of overwriting it (=)"
        raise

    # backward: math on zeroed input deltas, then the overwrite contract on junk.
    dy = rng.standard_normal(out_dims)
    ys.delta_view()[...] = dy
    yr.delta_view()[...] = dy
    xs.deltas[...] = 0.0
    call("backward", "input delta δX", student.backward, [ys], [xs], case=desc)
    ref.backward([yr], [xr])
    dx_ref = xr.delta_view().copy()
    alts = _alternatives(alternatives.get("backward", {}), x_values, y_ref, dy, params)
    compare_values("backward", "input delta δX", xs.delta_view(), dx_ref, case=desc,
                   alternatives=alts, batch=batch, window=case.window)
    junk = rng.standard_normal(case.input_shape)
    xs.delta_view()[...] = junk
    call("backward", "input delta δX", student.backward, [ys], [xs], case=desc)
    compare_values("backward", "input delta δX", xs.delta_view(), dx_ref, case=desc,
                   contract="overwrite", alternatives={"previous δX + δX": junk + dx_ref},
                   message="backward must overwrite (=) the input deltas, but the result depends "
                           "on what was in them before (does it add with +=?)")

    # calculate_delta_weights: math on zeroed deltas, then accumulate on prefilled ones.
    if not ref.params:
        call("calculate_delta_weights", "parameter deltas", student.calculate_delta_weights,
             [ys], [xs], case=desc)
        return
    for p in student.params:
        p.deltas[...] = 0.0
    for p in ref.params:
        p.deltas[...] = 0.0
    call("calculate_delta_weights", "parameter deltas", student.calculate_delta_weights,
         [ys], [xs], case=desc)
    ref.calculate_delta_weights([yr], [xr])
    for n, p in zip(ref_names, ref.params):
        alts = _alternatives(alternatives.get(n, {}), x_values, y_ref, dy, params)
        compare_values("calculate_delta_weights", f"delta of '{n}' (∂L/∂{n})", ps[n].delta_view(),
                       p.delta_view(), case=desc, alternatives=alts, batch=batch,
                       window=case.window)
    prefill = {n: rng.standard_normal(ps[n].shape.dims) for n in names}
    for n in names:
        ps[n].delta_view()[...] = prefill[n]
    call("calculate_delta_weights", "parameter deltas", student.calculate_delta_weights,
         [ys], [xs], case=desc)
    for n, p in zip(ref_names, ref.params):
        compare_values("calculate_delta_weights", f"delta of '{n}' (∂L/∂{n})",
                       ps[n].delta_view(), prefill[n] + p.delta_view(), case=desc,
                       contract="accumulate",
                       alternatives={"this batch's gradient alone (previous deltas replaced)":
                                     p.delta_view()},
                       message="calculate_delta_weights must add (+=) to the parameter deltas, "
                               "but the previous deltas were not kept")


def _unused_param(layer: Any, x: Tensor, y: Tensor) -> str | None:
    """The first parameter (declared or not) whose change leaves the output unchanged."""
    candidates = list(zip(layer.param_names(), layer.params))
    candidates += [(n, getattr(layer, n)) for n in layer.undeclared_tensors()]
    try:
        layer.forward([x], [y])
        base = y.elements.copy()
        for name, p in candidates:
            saved = p.elements.copy()
            p.elements[...] = saved + 0.5 + np.arange(p.size) % 3
            layer.forward([x], [y])
            changed = not np.allclose(y.elements, base, rtol=0, atol=1e-12)
            p.elements[...] = saved
            if not changed:
                return name
    except Exception:  # noqa: BLE001 - a diagnosis must not mask the real failure
        return None
    return None


def _gradcheck_case(student_cls: Any, case: LayerCase, seed: int) -> None:
    from ..gradcheck import check_layer
    desc = case.describe(student_cls) + ", finite differences"
    layer = _build(student_cls, case, "student's")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # batch 1 and undeclared tensors are judged above
        report = call("backward", "gradient check", check_layer, layer, case.input_shape,
                      seed=seed, raise_on_failure=False, case=desc)
    for q in report.quantities:
        if q.ok:
            continue
        is_input = q.name == "input deltas"
        method = "backward" if is_input else "calculate_delta_weights"
        quantity = "input delta δX" if is_input else f"delta of '{q.name}' (∂L/∂{q.name})"
        fail(method, quantity, f"disagrees with finite differences of your forward"
             + (f": {q.note}" if q.note else ""), case=desc, index=q.first_bad_index,
             got=q.analytic, expected=q.numeric, factor=q.factor, factor_name=q.factor_name,
             factor_meaning=FACTOR_MEANINGS.get(q.factor_name or ""))


# -- losses ---------------------------------------------------------------------------------
@dataclass
class LossCase:
    """One input for a loss check: prediction and target (logical arrays), constructor arguments."""

    prediction: np.ndarray
    target: np.ndarray
    kwargs: dict[str, Any] = field(default_factory=dict)

    def describe(self, cls: Any) -> str:
        """``CrossEntropy(), prediction [3, 4] (batch 3), float64``."""
        dims = ", ".join(map(str, np.shape(self.prediction)))
        return (f"{getattr(cls, '__name__', cls)}(), prediction [{dims}] "
                f"(batch {np.shape(self.prediction)[0]}), float64")


def check_loss_against(student_cls: Any, reference_cls: Any, cases: list[LossCase], *,
                       alternatives: dict[str, dict[str, Alternative]] | None = None) -> None:
    """Check a student's loss class against a reference on every case.

    ``forward`` must return the reference's value; ``backward`` must
    overwrite the prediction's deltas with the reference's ``∂L/∂x`` (math
    on zeroed deltas, contract on junk-filled ones).

    Args:
        student_cls: the student's loss class.
        reference_cls: the reference class, built with the same kwargs.
        cases: inputs (several batch sizes).
        alternatives: ``{"forward"|"backward": {name: fn(x, t)}}`` known wrong formulas.

    Raises:
        CheckFailed: at the first wrong quantity.
    """
    alternatives = alternatives or {}
    for case in cases:
        desc = case.describe(student_cls)
        student = call("__init__", "the loss", student_cls, **case.kwargs, case=desc)
        ref = reference_cls(**case.kwargs)
        x = np.asarray(case.prediction, dtype=np.float64)
        t = np.asarray(case.target, dtype=np.float64)
        batch = x.shape[0]
        xs, ts = Tensor.from_numpy(x, dtype=np.float64), Tensor.from_numpy(t, dtype=np.float64)
        xr, tr = Tensor.from_numpy(x, dtype=np.float64), Tensor.from_numpy(t, dtype=np.float64)
        got = call("forward", "loss value L", student.forward, [xs], ts, case=desc)
        alts = _alternatives(alternatives.get("forward", {}), x, t)
        compare_values("forward", "loss value L", got, ref.forward([xr], tr), case=desc,
                       alternatives=alts, batch=batch)
        xs.deltas[...] = 0.0
        call("backward", "prediction delta δx", student.backward, [xs], ts, case=desc)
        ref.backward([xr], tr)
        alts = _alternatives(alternatives.get("backward", {}), x, t)
        compare_values("backward", "prediction delta δx", xs.delta_view(), xr.delta_view(),
                       case=desc, alternatives=alts, batch=batch)
        junk = np.random.default_rng(1).standard_normal(x.shape)
        xs.delta_view()[...] = junk
        call("backward", "prediction delta δx", student.backward, [xs], ts, case=desc)
        compare_values("backward", "prediction delta δx", xs.delta_view(), xr.delta_view(),
                       case=desc, contract="overwrite",
                       message="backward must overwrite (=) the prediction's deltas, but the "
                               "result depends on what was in them before")
