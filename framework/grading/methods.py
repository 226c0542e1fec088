"""Check some of a layer's methods only: one exercise per method (Conv2D forward, then backward, ...).

:func:`~framework.grading.checks.check_layer_against` runs the whole
protocol, so an exercise built on it needs every method written. When a
week splits one layer into several exercises (2.1 forward, 2.2 backward,
2.3 delta weights), :func:`check_methods` checks the listed methods and
never calls the others: where a checked method needs what another computes
(backward needs Y; delta weights need δY), the reference provides it. The
comparisons, contracts, alternatives and failure names are those of
``check_layer_against``; the finite-difference check is left to an
exercise that runs the whole layer.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..shape import Shape
from .checks import Alternative, _alternatives, call, compare_values, fail
from .layer_checks import LayerCase, _build, _declared_params, _params, _tensor
from .report import CheckFailed

METHODS = ("forward", "backward", "calculate_delta_weights")


def check_methods(student_cls: Any, reference_cls: Any, cases: Sequence[LayerCase],
                  methods: Sequence[str], *,
                  alternatives: dict[str, dict[str, Alternative]] | None = None,
                  seed: int = 0) -> None:
    """Check ``methods`` of a student's layer class against a reference class on every case.

    Per case: construction, ``params`` (declared, the reference's names),
    ``output_shape``; then, for each listed method, the math (forward on a
    junk-filled output, backward on zeroed input deltas, delta weights on
    zeroed parameter deltas) and its contract (backward overwrites,
    delta weights accumulate).

    Args:
        student_cls: the student's class.
        reference_cls: the reference layer class, built with the same arguments.
        cases: the inputs (several batch sizes).
        methods: a subset of ``forward``, ``backward``, ``calculate_delta_weights``.
        alternatives: known wrong formulas, as for ``check_layer_against``.
        seed: seed of inputs and output deltas.

    Raises:
        CheckFailed: at the first wrong quantity.
        ValueError: for an unknown method name.
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"check_methods: unknown methods {sorted(unknown)}; use {METHODS}")
    rng = np.random.default_rng(seed)
    for case in cases:
        _check_case(student_cls, reference_cls, case, tuple(methods), alternatives or {}, rng)


def _check_case(student_cls: Any, reference_cls: Any, case: LayerCase, methods: tuple[str, ...],
                alternatives: dict[str, dict[str, Alternative]], rng: np.random.Generator) -> None:
    desc = case.describe(student_cls)
    student, ref = _build(student_cls, case, "student's"), reference_cls(*case.args, **case.kwargs)
    ref.astype_(np.float64)
    batch = case.input_shape[0]
    ps = _declared_params(student, ref, desc)
    names, ref_names = list(ps), ref.param_names()
    shape = Shape(case.input_shape)
    out_shape = call("output_shape", "output shape", student.output_shape, shape, case=desc)
    if Shape(out_shape) != ref.output_shape(shape):
        fail("output_shape", "output shape",
             f"returns {Shape(out_shape)}, expected {ref.output_shape(shape)}", case=desc)
    out_dims = ref.output_shape(shape).dims
    params = _params(ref)

    x_values = rng.standard_normal(case.input_shape)
    xs, xr = _tensor(case.input_shape, x_values), _tensor(case.input_shape, x_values)
    ys, yr = _tensor(out_dims), _tensor(out_dims)
    ref.forward([xr], [yr])
    y_ref = yr.view().copy()
    if "forward" in methods:
        ys.elements[...] = 1e3
        call("forward", "output Y", student.forward, [xs], [ys], case=desc)
        alts = _alternatives(alternatives.get("forward", {}), x_values, y_ref, None, params)
        try:
            compare_values("forward", "output Y", ys.view(), y_ref, case=desc, alternatives=alts,
                           batch=batch, window=case.window)
        except CheckFailed as e:
            if e.failure.factor is None and np.allclose(ys.view() - 1e3, y_ref, atol=1e-6):
                e.failure.contract = "overwrite"
                e.failure.message = "forward adds to the output (+=) instead of overwriting it (=)"
            raise
    else:
        ys.view()[...] = y_ref  # what backward / delta weights may read: the right Y

    dy = rng.standard_normal(out_dims)
    ys.delta_view()[...] = dy
    yr.delta_view()[...] = dy
    if "backward" in methods:
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
                       message="backward must overwrite (=) the input deltas, but the result "
                               "depends on what was in them before (does it add with +=?)")

    if "calculate_delta_weights" in methods and ref.params:
        for p in student.params + ref.params:
            p.deltas[...] = 0.0
        call("calculate_delta_weights", "parameter deltas", student.calculate_delta_weights,
             [ys], [xs], case=desc)
        ref.calculate_delta_weights([yr], [xr])
        for n, p in zip(ref_names, ref.params):
            alts = _alternatives(alternatives.get(n, {}), x_values, y_ref, dy, params)
            compare_values("calculate_delta_weights", f"delta of '{n}' (∂L/∂{n})",
                           ps[n].delta_view(), p.delta_view(), case=desc, alternatives=alts,
                           batch=batch, window=case.window)
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
                           message="calculate_delta_weights must add (+=) to the parameter "
                                   "deltas, but the previous deltas were not kept")
