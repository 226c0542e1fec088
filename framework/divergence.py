"""Stop a diverging training run early, with the last good parameters back in place.

A run diverges when the learning rate is too large: every step overshoots
more than the last, the loss grows by orders of magnitude and ends at inf or
NaN, or (with losses that stay finite, like softmax cross-entropy on huge
logits) at values like 1e21 that look like numbers. The guard stops both.
"""
from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor

#: A loss this many times above its reference means the run diverged.
DIVERGENCE_FACTOR = 1e4
#: The reference is never below this, so a loss near 0 at the start is no hair trigger.
MIN_REFERENCE = 1e-2


class DivergenceGuard:
    """Checks each step's loss and keeps a copy of the parameters that gave the last good one.

    A step's loss is bad when it is NaN or inf, or more than
    :data:`DIVERGENCE_FACTOR` times the reference: the largest of the first
    step's loss (before any update), ``scale`` and :data:`MIN_REFERENCE`.
    Normal training stays far below that (its first steps may rise a
    little, never by four orders of magnitude). The copy of the parameters
    costs one memcpy of them per step (about 20 us for the 235k parameters of
    an MLP 784-256-128-10); the flavor's own state (momenta) is not restored.

    Args:
        params: the parameter tensors the trainer updates.
        learning_rate: η, for the hint in the error message.
        scale: a loss scale independent of the parameters (the loss of an
            all-zero output), or ``nan`` when there is none.
    """

    def __init__(self, params: list[Tensor], learning_rate: float, scale: float = math.nan) -> None:
        self.params = params
        self.learning_rate = learning_rate
        self.reference = max(scale, MIN_REFERENCE) if math.isfinite(scale) else MIN_REFERENCE
        self._first = True
        self._saved: list[np.ndarray] | None = None
        self._saved_at: tuple[int, int] | None = None

    def check(self, loss: float, epoch: int, step: int) -> None:
        """Accept this step's loss, or restore the last good parameters and raise.

        Call it after ``backprop`` and before the update: the loss belongs to
        the current parameters, which are saved if it is good.

        Args:
            loss: this step's loss.
            epoch: the epoch, from 1, for the message.
            step: the step in the epoch, from 1, for the message.

        Raises:
            FloatingPointError: naming the epoch, the step and the learning rate.
        """
        if self._first and math.isfinite(loss):
            self._first = False
            self.reference = max(self.reference, abs(loss))
        if math.isfinite(loss) and loss <= DIVERGENCE_FACTOR * self.reference:
            self._save(epoch, step)
            return
        why = "" if not math.isfinite(loss) else \
            f", more than {DIVERGENCE_FACTOR:g} times its starting level {self.reference:.4g}"
        raise FloatingPointError(
            f"loss became {loss:.6g} at epoch {epoch}, step {step}{why}: training diverged. "
            f"Try a smaller learning rate (now {self.learning_rate}) or check the data. "
            f"{self._restore()}")

    def state_dict(self) -> dict[str, float | bool]:
        """What a resumed run needs to judge its steps as this run would: the reference level.

        The copy of the last good parameters is not included: a resumed run
        that diverges in its very first step keeps the parameters it started with.
        """
        return {"reference": self.reference, "first": self._first}

    def load_state_dict(self, state: dict[str, float | bool]) -> None:
        """Set what :meth:`state_dict` returned."""
        self.reference, self._first = float(state["reference"]), bool(state["first"])

    def _save(self, epoch: int, step: int) -> None:
        if self._saved is None:
            self._saved = [p.elements.copy() for p in self.params]
        else:
            for saved, p in zip(self._saved, self.params):
                np.copyto(saved, p.elements)
        self._saved_at = (epoch, step)

    def _restore(self) -> str:
        if self._saved is None:
            return "No update was made: the parameters are the initial ones."
        for saved, p in zip(self._saved, self.params):
            np.copyto(p.elements, saved)
        epoch, step = self._saved_at
        return (f"The parameters are restored to the ones that gave the loss of epoch {epoch}, "
                f"step {step}, the last good one.")
