"""Check a student's layer class against a reference layer, method by method, on several cases."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .checks import Alternative, CheckFailed, _alternatives, call, compare_values, fail
from ..factors import FACTOR_MEANINGS


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


def _declared_params(student: Any, ref: Any, desc: str) -> dict[str, Any]:
    """The student's parameters by name, after checking every Tensor attribute is declared
    under the reference's names.

    Raises:
        CheckFailed: as method ``params``, naming the undeclared or missing parameter.
    """
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
    return dict(zip(names, student.params))


def _check_layer_case(student_cls: Any, reference_cls: Any, case: LayerCase,
                      alternatives: dict[str, dict[str, Alternative]],
                      rng: np.random.Generator) -> None:
    desc = case.describe(student_cls)
    student, ref = _build(student_cls, case, "student's"), reference_cls(*case.args, **case.kwargs)
    ref.astype_(np.float64)
    batch = case.input_shape[0]

    ps = _declared_params(student, ref, desc)
    names, ref_names = list(ps), ref.param_names()
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


