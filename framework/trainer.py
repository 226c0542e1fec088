"""SGDTrainer: mini-batch training with a choice of update flavor.

``optimize`` checks data and labels once (:class:`~framework.batches.LabeledData`)
and then repeats the lecture's step for every mini-batch: zero the parameter
deltas, ``backprop`` (forward, loss, backward), update the parameters.
Everything else (validation split, epoch metrics, progress, the divergence
guard of :mod:`framework.divergence`, early stopping of
:mod:`framework.early_stopping`, checkpoints of :mod:`framework.checkpoint`)
lives in small methods and modules around that loop.
"""
from __future__ import annotations

import math
import numbers
import os
import sys
import time
import warnings
from typing import Any, Callable, TextIO

import numpy as np

from .arguments import count, positive
from .batches import EpochMetrics, LabeledData
from .checkpoint import (Checkpoint, RunState, data_fingerprint, save_checkpoint,
                         trainer_settings)
from .divergence import DivergenceGuard
from .early_stopping import EarlyStopping
from .evaluation import Evaluation, _evaluate, evaluate, evaluate_detailed
from .history import History
from .network import Network
from .optim import Flavor, Schedule, get_flavor
from .optim.gradients import add_weight_decay, clip_by_global_norm, clip_by_value
from .tensor import Tensor

__all__ = ["SGDTrainer", "History", "evaluate", "evaluate_detailed", "Evaluation"]


class SGDTrainer:
    """Mini-batch stochastic gradient descent with a pluggable update flavor.

    Args:
        learning_rate: η.
        batch_size: samples per step.
        epochs: passes over the training data.
        flavor: ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
            ``"rmsprop"``, ``"adadelta"``, ``"adam"``, ``"adamax"``, ``"adamw"`` or a
            :class:`~framework.optim.Flavor` object carrying its own
            hyperparameters (``Adam(beta1=0.8)``); its state: ``flavor.state_of``.
        seed: seed of the shuffling (and of the validation split).
        weight_decay: λ of L2 weight decay, ``g ← g + λ·θ`` before the
            update (0: none). AdamW's own ``weight_decay`` is the decoupled kind.
        clip_norm: scale the gradient of all parameters together down to
            this global norm when it is longer (None: no clipping).
        clip_value: clip every gradient element into ``[−clip_value,
            clip_value]`` (None: no clipping). Weight decay is added first,
            then the norm clip, then the value clip (docs/optimizers.md).
        schedule: a :class:`~framework.optim.Schedule` (``Cosine(epochs=20,
            warmup=2)``, ``ReduceOnPlateau()``, ...) giving each epoch's rate
            from ``learning_rate``; None keeps it constant.
        shuffle: shuffle the training data every epoch.
        validation_split: fraction of the data held out for validation when
            no ``validation_data`` is given (0 disables it).
        verbose: print a progress bar and one line per epoch.
        stream: where to print (default stderr).
        early_stopping: an :class:`~framework.early_stopping.EarlyStopping`
            (``EarlyStopping("val_loss", patience=3)``) or None.
        checkpoint: a file to write after every epoch (atomically) with all
            that ``optimize(..., resume=file)`` needs to continue the run
            exactly (:mod:`framework.checkpoint`); None writes none.

    Raises:
        TypeError, ValueError: an argument of the wrong type or out of range,
            named with what was given.
    """

    def __init__(self, learning_rate: float = 0.01, batch_size: int = 32, epochs: int = 10,
                 flavor: str | Flavor = "sgd", seed: int | None = 0, shuffle: bool = True,
                 validation_split: float = 0.0, verbose: bool = False,
                 stream: TextIO | None = None, weight_decay: float = 0.0,
                 clip_norm: float | None = None, clip_value: float | None = None,
                 schedule: Schedule | None = None, early_stopping: EarlyStopping | None = None,
                 checkpoint: str | os.PathLike | None = None) -> None:
        self.learning_rate = positive("SGDTrainer", "learning_rate", learning_rate)
        self.batch_size = count("SGDTrainer", "batch_size", batch_size, minimum=1)
        self.epochs = count("SGDTrainer", "epochs", epochs, minimum=0)
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
            raise TypeError(f"SGDTrainer: validation_split must be a fraction in [0, 1), got "
                            f"{validation_split!r} ({type(validation_split).__name__})")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"SGDTrainer: validation_split must be in [0, 1), got {validation_split}")
        self.flavor = get_flavor(flavor)
        self.weight_decay = 0.0 if weight_decay == 0 else positive("SGDTrainer", "weight_decay",
                                                                     weight_decay)
        self.clip_norm = None if clip_norm is None else positive("SGDTrainer", "clip_norm", clip_norm)
        self.clip_value = None if clip_value is None else positive("SGDTrainer", "clip_value",
                                                                    clip_value)
        if schedule is not None and not isinstance(schedule, Schedule):
            raise TypeError(f"SGDTrainer: schedule must be a framework.optim.Schedule such as "
                            f"Cosine(epochs=10) or None, got {schedule!r}")
        self.schedule = schedule
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"SGDTrainer: early_stopping must be an EarlyStopping such as "
                            f"EarlyStopping('val_loss', patience=3) or None, got {early_stopping!r}")
        self.early_stopping, self.checkpoint = early_stopping, checkpoint
        self.seed, self.shuffle = seed, shuffle
        self.validation_split = float(validation_split)
        self.verbose = verbose
        self.stream = stream

    def optimize(self, network: Network, data: Any, labels: Any,
                 validation_data: tuple[Any, Any] | None = None,
                 callback: Callable[[int, History], None] | None = None,
                 resume: str | os.PathLike | None = None) -> History:
        """Train ``network`` on ``(data, labels)``.

        Data and labels are checked once, here; each step then zeroes the
        parameter deltas, ``backprop`` s a mini-batch and lets the flavor
        update the parameters.

        Args:
            network: the network to train (changed in place).
            data: ``[N, ...]`` inputs.
            labels: integer (or boolean: 0/1) labels ``[N]`` or float targets.
            validation_data: optional ``(data, labels)`` evaluated after each
                epoch; otherwise ``validation_split`` of the data is held out.
            callback: called as ``callback(epoch, history)`` after each epoch
                (before early stopping reads the history).
            resume: a checkpoint file this trainer's ``checkpoint`` option
                wrote: the network, flavor, schedule, history, ... are set
                from it and training continues after its epoch, up to
                ``epochs``, exactly as the saved run would have.

        Returns:
            The :class:`History` of per-epoch losses and accuracies. The steps
            run in training mode, validation in evaluation mode, and the
            network is left in evaluation mode (``network.train()`` undoes it),
            with the best epoch's state when early stopping restores it.

        Raises:
            FloatingPointError: when the loss turns NaN or inf or grows far
                above its starting value (see :mod:`framework.divergence`),
                naming the epoch and step, with a hint about the learning
                rate; the parameters are then those of the last good step.
            TypeError, ValueError: data, labels or arguments that do not fit,
                or a checkpoint of another network, trainer or data set,
                before any step is taken.
        """
        train = LabeledData(network, data, labels, "SGDTrainer.optimize")
        if callback is not None and not callable(callback):
            raise TypeError(f"SGDTrainer.optimize: callback must be callable as "
                            f"callback(epoch, history), got {callback!r}")
        train, validation, run = self._start(network, train, validation_data, resume)
        params, history = network.params, run.history
        if resume is not None and (history.stopped_epoch is not None or run.epoch >= self.epochs):
            why = (f"early stopping ended that run at epoch {history.stopped_epoch}"
                   if history.stopped_epoch is not None else
                   f"it ran {run.epoch} epochs, this trainer's epochs={self.epochs}; pass "
                   f"epochs > {run.epoch} to train on")
            warnings.warn(f"SGDTrainer.optimize: nothing to train after resuming from {resume}: "
                          f"{why}", RuntimeWarning, stacklevel=2)
        for epoch in range(run.epoch + 1, self.epochs + 1):
            if history.stopped_epoch is not None:
                break  # resumed from a run that early stopping ended
            start = time.perf_counter()
            metrics = self._train_epoch(network, params, train, run.rng, epoch, run.guard)
            if metrics.saturated and not run.warned:
                run.warned = True
                self._warn_saturation(network, epoch, metrics.saturated)
            self._record(history, metrics, validation, epoch, start)
            if self.schedule is not None:
                last = history.val_loss if validation is not None else history.train_loss
                self.schedule.observe(epoch, last[-1])
            if callback is not None:
                callback(epoch, history)
            if self._end_epoch(network, run, epoch):
                break
        if self.early_stopping is not None:
            self.early_stopping.finish(network)
        network.eval()  # trained: predictions from here on use evaluation mode
        return history

    def _start(self, network: Network, train: LabeledData, validation_data: Any,
               resume: str | os.PathLike | None) -> tuple[LabeledData, LabeledData | None, RunState]:
        """The training and validation sets and the loop's state: fresh, or from ``resume``."""
        saved = None if resume is None else Checkpoint(resume, self, network)
        rng = np.random.default_rng(self.seed)
        split = None if saved is None else saved.split
        if split is not None and split.size != len(train):
            split = None  # other data: restore() below names the difference instead of failing here
        train_set, validation, split = self._split(network, train, validation_data, rng, split)
        if self.early_stopping is not None:
            self.early_stopping.check_monitor(validation is not None)
            self.early_stopping.reset()
        guard = DivergenceGuard(network.params, self.learning_rate,
                                scale=train_set.zero_output_loss())
        fingerprint = [] if self.checkpoint is None and saved is None else data_fingerprint(
            train, validation if validation_data is not None else None)
        run = RunState(rng, guard, split=split, settings=trainer_settings(self),
                       fingerprint=fingerprint)
        if saved is not None:
            saved.restore(self, network, run)
        return train_set, validation, run

    def _end_epoch(self, network: Network, run: RunState, epoch: int) -> bool:
        """Early stopping's verdict on ``epoch`` and the checkpoint; True to stop."""
        run.epoch = epoch
        stop = self.early_stopping is not None and self.early_stopping.update(epoch, run.history,
                                                                              network)
        if stop:
            run.history.stopped_epoch = epoch
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, self, network, run)
        return stop

    def _train_epoch(self, network: Network, params: list[Tensor], train: LabeledData,
                     rng: np.random.Generator, epoch: int, guard: DivergenceGuard) -> EpochMetrics:
        """One pass over the training data, a mini-batch per step."""
        n = len(train)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        metrics = EpochMetrics(train.classes)
        bar = self._progress(n, epoch)
        rate = self._epoch_rate(epoch)
        guard.learning_rate = rate
        network.train()  # Dropout and BatchNorm behave as in training for the steps
        try:
            for step, (x, target, index) in enumerate(train.batches(order, self.batch_size), start=1):
                network.zero_deltas()                                       # zero the gradient
                result = network.backprop(x, target, input_deltas=False)    # forward, loss, backward
                guard.check(result.loss, epoch, step)                       # stop a diverging run
                self._transform_gradients(params)                           # weight decay, clipping
                self.flavor.step(params, rate)                              # update the parameters
                metrics.add(result, index, getattr(network.loss, "saturated", 0))
                if bar is not None:
                    bar.set_postfix(loss=f"{metrics.loss:.4f}", refresh=False)
                    bar.update(index.size)
        finally:
            if bar is not None:  # also when the guard stops the run: no bar left half-drawn
                bar.close()
        return metrics

    def _epoch_rate(self, epoch: int) -> float:
        """This epoch's η: the schedule's, from ``learning_rate`` (a callback may have changed it)."""
        if self.schedule is None:
            return self.learning_rate
        return float(self.schedule.rate(epoch, self.learning_rate))

    def _transform_gradients(self, params: list[Tensor]) -> None:
        """Weight decay, then clipping by global norm, then by value (each when set)."""
        add_weight_decay(params, self.weight_decay)
        if self.clip_norm is not None:
            clip_by_global_norm(params, self.clip_norm)
        if self.clip_value is not None:
            clip_by_value(params, self.clip_value)

    def _split(self, network: Network, train: LabeledData, validation_data: Any,
               rng: np.random.Generator, order: np.ndarray | None = None
               ) -> tuple[LabeledData, LabeledData | None, np.ndarray | None]:
        """``(training set, validation set or None, permutation or None)``.

        From ``validation_data``, or ``validation_split`` of a permutation
        (``order``, a resumed run's, or one drawn from ``rng``).
        """
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise TypeError(f"SGDTrainer.optimize: validation_data must be a pair "
                                f"(data, labels), got {type(validation_data).__name__}")
            return train, LabeledData(network, *validation_data,
                                      "SGDTrainer.optimize validation_data"), None
        if self.validation_split == 0:
            return train, None, None
        n = len(train)
        order = rng.permutation(n) if order is None else order
        n_val = max(1, int(round(self.validation_split * n)))
        if n_val >= n:
            raise ValueError(f"SGDTrainer.optimize: validation_split={self.validation_split} of {n} "
                             f"samples holds out {n_val} and leaves no training data; pass more "
                             f"samples, a smaller validation_split, or validation_data")
        return train.subset(order[n_val:]), train.subset(order[:n_val]), order

    def _record(self, history: History, metrics: EpochMetrics, validation: LabeledData | None,
                epoch: int, start: float) -> None:
        """Append the epoch's metrics (and validation results) to ``history``; report them."""
        history.train_loss.append(metrics.loss)
        history.learning_rate.append(self._epoch_rate(epoch))
        history.train_accuracy.append(metrics.accuracy)
        if validation is not None:
            result = _evaluate(validation, 512)
            history.val_loss.append(result.loss)
            history.val_accuracy.append(result.accuracy)
            if result.confusion is not None:
                history.val_confusion.append(result.confusion)
                history.val_per_class_accuracy.append(result.per_class_accuracy)
        history.epoch_seconds.append(time.perf_counter() - start)
        if self.verbose:
            self._report(epoch, history)

    def _warn_saturation(self, network: Network, epoch: int, saturated: int) -> None:
        # The clamped loss stays finite, so the divergence guard cannot see this.
        warnings.warn(
            f"epoch {epoch}: the predicted probability of the true class fell below "
            f"{getattr(network.loss, 'eps', 0):g} {saturated} times, where the loss is "
            f"clamped: training has likely diverged. Try a smaller learning rate "
            f"(now {self.learning_rate}).", RuntimeWarning, stacklevel=4)

    def _progress(self, total: int, epoch: int) -> Any:
        if not self.verbose:
            return None
        from .progress import progress_bar  # tqdm: a widget in Jupyter, a bar on a terminal, none in a log
        return progress_bar(total, desc=f"epoch {epoch}/{self.epochs}", stream=self.stream)

    def _report(self, epoch: int, h: History) -> None:
        def pct(a: float) -> str:
            return "  n/a " if math.isnan(a) else f"{100 * a:5.1f}%"
        line = (f"epoch {epoch}/{self.epochs}  train loss {h.train_loss[-1]:.4f} "
                f"acc {pct(h.train_accuracy[-1])}")
        if h.val_loss:
            line += f"  val loss {h.val_loss[-1]:.4f} acc {pct(h.val_accuracy[-1])}"
        line += f"  ({h.epoch_seconds[-1]:.1f} s)"
        print(line, file=self.stream or sys.stderr, flush=True)

    def __repr__(self) -> str:
        return (f"SGDTrainer(learning_rate={self.learning_rate}, batch_size={self.batch_size}, "
                f"epochs={self.epochs}, flavor={self.flavor!r})")
