"""Learning-rate schedules: the rate of each epoch from the trainer's base rate.

A schedule is asked once per epoch, before its first step, for
``rate(epoch, base)`` (``epoch`` counts from 1, ``base`` is the trainer's
``learning_rate``), and told the epoch's loss afterwards through
``observe(epoch, loss)`` (the validation loss when there is validation
data, else the training loss); only :class:`ReduceOnPlateau` listens.

Every schedule here only ever lowers the rate after warm-up. NumpyDL's
decay, ``lr *= 1. / 1 + decay * iterations``, parses as ``lr *= 1 + decay·t``
and makes the rate grow; :class:`InverseTimeDecay` is the formula meant,
``η_t = η / (1 + decay·(t − 1))``.
"""
from __future__ import annotations

import math
import numbers


def _check(who: str, name: str, value: float, low: float, high: float = math.inf,
           low_open: bool = True, high_open: bool = False) -> float:
    """``value`` as a float inside the interval, or an error naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number, got {value!r} ({type(value).__name__})")
    ok_low = value > low if low_open else value >= low
    ok_high = value < high if high_open else value <= high
    if not (math.isfinite(value) and ok_low and ok_high):
        lo, hi = ("(" if low_open else "["), (")" if high_open or high == math.inf else "]")
        raise ValueError(f"{who}: {name} must be in {lo}{low}, {high}{hi}, got {value!r}")
    return float(value)


class Schedule:
    """Base class: a constant rate. Subclasses override :meth:`rate` (and :meth:`observe`)."""

    def rate(self, epoch: int, base: float) -> float:
        """The learning rate of ``epoch``; a pure function (it may be asked more than once).

        Args:
            epoch: the epoch, from 1.
            base: the trainer's base learning rate η.

        Returns:
            η for every step of this epoch.
        """
        return base

    def observe(self, epoch: int, loss: float) -> None:
        """Hear the loss at the end of ``epoch`` (ignored unless the schedule adapts).

        Args:
            epoch: the epoch that just ended, from 1.
            loss: its validation loss (training loss without validation data).
        """

    def state_dict(self) -> dict[str, float | int]:
        """What the schedule has learnt while running (empty: a pure function of the epoch).

        A checkpoint saves it; the hyperparameters are the rest of ``vars``.

        Returns:
            name -> number.
        """
        return {}

    def load_state_dict(self, state: dict[str, float | int]) -> None:
        """Set what :meth:`state_dict` returned.

        Args:
            state: name -> number.

        Raises:
            ValueError: names that are not this schedule's state.
        """
        if sorted(state) != sorted(self.state_dict()):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected "
                             f"{sorted(self.state_dict())}, got {sorted(state)}")
        for name, value in state.items():
            setattr(self, name, type(getattr(self, name))(value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in vars(self).items())})"


class StepDecay(Schedule):
    """``η_e = η·γ^⌊(e − 1) / step_size⌋``: multiply by γ every ``step_size`` epochs.

    Args:
        step_size: epochs between two drops, >= 1.
        gamma: γ in (0, 1], 0.1.
    """

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = int(_check("StepDecay", "step_size", step_size, 1, low_open=False))
        self.gamma = _check("StepDecay", "gamma", gamma, 0, 1)

    def rate(self, epoch: int, base: float) -> float:
        """``η·γ^⌊(e − 1) / step_size⌋``."""
        return base * self.gamma ** ((epoch - 1) // self.step_size)


class ExponentialDecay(Schedule):
    """``η_e = η·γ^(e − 1)``.

    Args:
        gamma: γ in (0, 1].
    """

    def __init__(self, gamma: float) -> None:
        self.gamma = _check("ExponentialDecay", "gamma", gamma, 0, 1)

    def rate(self, epoch: int, base: float) -> float:
        """``η·γ^(e − 1)``."""
        return base * self.gamma ** (epoch - 1)


class InverseTimeDecay(Schedule):
    """``η_e = η / (1 + decay·(e − 1))`` (what NumpyDL's ``decay`` meant to compute).

    Args:
        decay: >= 0.
    """

    def __init__(self, decay: float) -> None:
        self.decay = _check("InverseTimeDecay", "decay", decay, 0, low_open=False)

    def rate(self, epoch: int, base: float) -> float:
        """``η / (1 + decay·(e − 1))``."""
        return base / (1 + self.decay * (epoch - 1))


class Cosine(Schedule):
    """Linear warm-up, then cosine annealing from η down to ``min_rate``.

    ``η_e = η·e / warmup`` for ``e <= warmup``; after it, with
    ``k = e − warmup − 1`` and ``K = epochs − warmup``,
    ``η_e = min + (η − min)·(1 + cos(π·k / K)) / 2`` (``min`` from epoch ``epochs + 1`` on).

    Args:
        epochs: the length of the whole run, warm-up included.
        warmup: warm-up epochs, 0 <= warmup < epochs.
        min_rate: the floor the cosine tends to, >= 0.
    """

    def __init__(self, epochs: int, warmup: int = 0, min_rate: float = 0.0) -> None:
        self.epochs = int(_check("Cosine", "epochs", epochs, 1, low_open=False))
        self.warmup = int(_check("Cosine", "warmup", warmup, 0, self.epochs, low_open=False,
                                 high_open=True))
        self.min_rate = _check("Cosine", "min_rate", min_rate, 0, low_open=False)

    def rate(self, epoch: int, base: float) -> float:
        """Warm-up ramp, then the half cosine."""
        if epoch <= self.warmup:
            return base * epoch / self.warmup
        k, span = min(epoch - self.warmup - 1, self.epochs - self.warmup), self.epochs - self.warmup
        return self.min_rate + (base - self.min_rate) * (1 + math.cos(math.pi * k / span)) / 2


class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the observed loss stops improving.

    An improvement is a loss below ``best − min_delta``. After more than
    ``patience`` epochs in a row without one, the rate drops and the count
    restarts (PyTorch's rule).
    The current multiplier is ``scale``; :meth:`state_dict` gives ``scale``,
    ``best`` and ``bad_epochs``, which a checkpoint keeps.

    Args:
        factor: in (0, 1), 0.1.
        patience: epochs without improvement tolerated, >= 0.
        min_delta: the least decrease that counts as an improvement, >= 0.
        min_rate: the rate never drops below this, >= 0.
    """

    def __init__(self, factor: float = 0.1, patience: int = 2, min_delta: float = 0.0,
                 min_rate: float = 0.0) -> None:
        self.factor = _check("ReduceOnPlateau", "factor", factor, 0, 1, high_open=True)
        self.patience = int(_check("ReduceOnPlateau", "patience", patience, 0, low_open=False))
        self.min_delta = _check("ReduceOnPlateau", "min_delta", min_delta, 0, low_open=False)
        self.min_rate = _check("ReduceOnPlateau", "min_rate", min_rate, 0, low_open=False)
        self.scale, self.best, self.bad_epochs = 1.0, math.inf, 0

    def rate(self, epoch: int, base: float) -> float:
        """``max(η·scale, min_rate)``."""
        return max(base * self.scale, self.min_rate)

    def state_dict(self) -> dict[str, float | int]:
        """``{"scale", "best", "bad_epochs"}``."""
        return {"scale": self.scale, "best": self.best, "bad_epochs": self.bad_epochs}

    def observe(self, epoch: int, loss: float) -> None:
        """Count epochs without improvement; drop the rate after more than ``patience``."""
        if loss < self.best - self.min_delta:
            self.best, self.bad_epochs = loss, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            self.scale *= self.factor
            self.bad_epochs = 0
