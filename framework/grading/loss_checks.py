"""Check a student's loss class against a reference loss: value, derivative, overwrite contract."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tensor import Tensor
from .checks import Alternative, _alternatives, call, compare_values


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
