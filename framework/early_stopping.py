"""Early stopping: end training when a monitored metric stops improving, keep the best state.

Given to the trainer as ``SGDTrainer(..., early_stopping=EarlyStopping(...))``.
After every epoch (after the user's callback, so a callback may still
change the history) it reads the monitored value of that epoch from the
history. An improvement is a value better than the best so far by more
than ``min_delta`` (lower for losses, higher for accuracies). After
``patience`` epochs in a row without one, training stops. With
``restore_best`` the network's parameters and layer state (BatchNorm's
running averages, everything ``network_state`` copies) are those of the
best epoch at the end of training, whether it stopped early or ran all epochs.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .history import History
from .network import Network
from .serialize import load_network_state, network_state

#: monitor name -> (history list, True when larger is better)
MONITORS = {"val_loss": ("val_loss", False), "val_accuracy": ("val_accuracy", True),
            "train_loss": ("train_loss", False), "train_accuracy": ("train_accuracy", True)}


class EarlyStopping:
    """Stop after ``patience`` epochs without improvement; optionally restore the best epoch's state.

    Args:
        monitor: ``"val_loss"`` (default), ``"val_accuracy"``, ``"train_loss"``
            or ``"train_accuracy"``; the ``val_`` ones need validation data.
        patience: epochs without improvement tolerated before stopping, >= 1.
        min_delta: the least change that counts as an improvement, >= 0.
        restore_best: put the best epoch's parameters and layer state back
            at the end of training.

    Attributes:
        best: the best monitored value so far (inf / -inf before the first epoch).
        best_epoch: its epoch, from 1 (0 before the first epoch).
        bad_epochs: epochs in a row without improvement.
        best_state: copies of the network's arrays at ``best_epoch`` (with
            ``restore_best``), as :func:`~framework.serialize.network_state` names them.

    Raises:
        ValueError, TypeError: an unknown monitor or a value out of range.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 restore_best: bool = True) -> None:
        if monitor not in MONITORS:
            raise ValueError(f"EarlyStopping: monitor must be one of {', '.join(MONITORS)}, "
                             f"got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1, got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) \
                or not (math.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"EarlyStopping: min_delta must be a finite number >= 0, "
                             f"got {min_delta!r}")
        self.monitor, self.patience = monitor, int(patience)
        self.min_delta, self.restore_best = float(min_delta), bool(restore_best)
        self.maximize = MONITORS[monitor][1]
        self.reset()

    def reset(self) -> None:
        """Forget every epoch seen (the trainer calls it when a run starts)."""
        self.best = -math.inf if self.maximize else math.inf
        self.best_epoch, self.bad_epochs = 0, 0
        self.best_state: dict[str, np.ndarray] | None = None

    def check_monitor(self, has_validation: bool) -> None:
        """Refuse a ``val_`` monitor when the run has no validation data.

        Raises:
            ValueError: naming the monitor and how to give validation data.
        """
        if self.monitor.startswith("val_") and not has_validation:
            raise ValueError(f"EarlyStopping(monitor={self.monitor!r}) needs validation data: pass "
                             f"validation_data=(x, y) to optimize or validation_split > 0 to the "
                             f"SGDTrainer, or monitor 'train_loss'")

    def update(self, epoch: int, history: History, network: Network) -> bool:
        """Judge ``epoch`` from the last value of the monitored history list.

        Args:
            epoch: the epoch that just ended, from 1.
            history: the run's history, this epoch included.
            network: the network (its state is copied when this epoch is the best).

        Returns:
            True when training should stop now; ``history.best_epoch`` is set.

        Raises:
            ValueError: the monitored value is nan (accuracy without class targets).
        """
        value = getattr(history, MONITORS[self.monitor][0])[-1]
        if math.isnan(value):
            raise ValueError(f"EarlyStopping: {self.monitor} of epoch {epoch} is nan (an "
                             f"accuracy of targets that are not class labels?); monitor a loss")
        better = (value > self.best + self.min_delta if self.maximize
                  else value < self.best - self.min_delta)
        if better:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
            if self.restore_best:
                self.best_state = network_state(network)
        else:
            self.bad_epochs += 1
        history.best_epoch = self.best_epoch
        return self.bad_epochs >= self.patience

    def finish(self, network: Network) -> None:
        """Put the best epoch's state back into ``network`` (with ``restore_best``)."""
        if self.restore_best and self.best_state is not None:
            load_network_state("EarlyStopping best state", network, self.best_state)

    def state_dict(self) -> dict[str, Any]:
        """The counters (``best``, ``best_epoch``, ``bad_epochs``); ``best_state`` is separate."""
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set the counters from :meth:`state_dict`'s output."""
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.bad_epochs = int(state["bad_epochs"])

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, restore_best={self.restore_best})")
