"""SGDTrainer: mini-batch training with a choice of update flavor."""
from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

import numpy as np

from .network import Network
from .optim import Flavor, get_flavor


@dataclass
class History:
    """Per-epoch metrics returned by :meth:`SGDTrainer.optimize`.

    Accuracies are fractions in [0, 1], ``nan`` when the targets are not
    class labels; validation lists stay empty without validation data.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)


def _class_rows(labels: np.ndarray) -> np.ndarray | None:
    """Class index per row for integer or one-hot labels, else None (regression targets)."""
    if labels.dtype.kind in "iu":
        return labels.reshape(-1, order="F")
    if labels.ndim >= 2 and np.all((labels == 0) | (labels == 1)) and \
            np.all(labels.sum(axis=-1) == 1):
        m = labels.reshape(-1, labels.shape[-1], order="F")
        return m.argmax(axis=1)
    return None


def _correct(network: Network, classes: np.ndarray | None) -> int:
    if classes is None:
        return 0
    return int(np.count_nonzero(network.output.matrix().argmax(axis=1) == classes))


def evaluate(network: Network, data: Any, labels: Any, batch_size: int = 512) -> tuple[float, float]:
    """Loss and accuracy of ``network`` on a data set, without changing any parameter.

    Args:
        network: the network.
        data: ``[N, ...]`` inputs.
        labels: integer labels or targets.
        batch_size: evaluation chunk size (bounds memory only).

    Returns:
        ``(mean loss, accuracy)``; accuracy is ``nan`` for non-class targets.
    """
    data, labels = np.asarray(data), np.asarray(labels)
    total_loss, correct, n = 0.0, 0, data.shape[0]
    for i in range(0, n, batch_size):
        xb, yb = data[i:i + batch_size], labels[i:i + batch_size]
        tensors = network._forward(xb)
        target = network.input_layer.targets(yb, tensors[-1].shape)
        total_loss += network.loss.forward([tensors[-1]], target) * xb.shape[0]
        network.output = tensors[-1]
        correct += _correct(network, _class_rows(yb))
    rows_per_sample = network.output.size // network.output.shape[-1] // network.output.shape[0]
    acc = correct / (n * rows_per_sample) if _class_rows(labels[:1]) is not None else math.nan
    return total_loss / n, acc


class SGDTrainer:
    """Mini-batch stochastic gradient descent with a pluggable update flavor.

    Args:
        learning_rate: η.
        batch_size: samples per step.
        epochs: passes over the training data.
        flavor: ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
            ``"rmsprop"``, ``"adam"`` or a :class:`~framework.optim.Flavor`
            object carrying its own hyperparameters (``Adam(beta1=0.8)``).
        seed: seed of the shuffling (and of the validation split).
        shuffle: shuffle the training data every epoch.
        validation_split: fraction of the data held out for validation when
            no ``validation_data`` is given (0 disables it).
        verbose: print a progress bar and one line per epoch.
        stream: where to print (default stderr).
    """

    def __init__(self, learning_rate: float = 0.01, batch_size: int = 32, epochs: int = 10,
                 flavor: str | Flavor = "sgd", seed: int | None = 0, shuffle: bool = True,
                 validation_split: float = 0.0, verbose: bool = False,
                 stream: TextIO | None = None) -> None:
        if not learning_rate > 0:
            raise ValueError(f"SGDTrainer: learning_rate must be > 0, got {learning_rate}")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"SGDTrainer: batch_size must be a positive integer, got {batch_size}")
        if int(epochs) != epochs or epochs < 0:
            raise ValueError(f"SGDTrainer: epochs must be a non-negative integer, got {epochs}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"SGDTrainer: validation_split must be in [0, 1), got {validation_split}")
        self.learning_rate = float(learning_rate)
        self.batch_size, self.epochs = int(batch_size), int(epochs)
        self.flavor = get_flavor(flavor)
        self.seed, self.shuffle = seed, shuffle
        self.validation_split = validation_split
        self.verbose = verbose
        self.stream = stream

    def optimize(self, network: Network, data: Any, labels: Any,
                 validation_data: tuple[Any, Any] | None = None,
                 callback: Callable[[int, History], None] | None = None) -> History:
        """Train ``network`` on ``(data, labels)``.

        Each step: zero the parameter deltas, ``backprop`` a mini-batch,
        let the flavor update the parameters.

        Args:
            network: the network to train (changed in place).
            data: ``[N, ...]`` inputs.
            labels: integer labels ``[N]`` or float targets.
            validation_data: optional ``(data, labels)`` evaluated after each
                epoch; otherwise ``validation_split`` of the data is held out.
            callback: called as ``callback(epoch, history)`` after each epoch.

        Returns:
            The :class:`History` of per-epoch losses and accuracies.

        Raises:
            FloatingPointError: when the loss turns NaN or inf, naming the
                epoch and step, with a hint about the learning rate.
        """
        data = network.input_layer.as_array(data)
        labels = np.asarray(labels)
        if labels.shape[0] != data.shape[0]:
            raise ValueError(f"SGDTrainer: {data.shape[0]} samples but {labels.shape[0]} labels")
        network.input_layer.targets(labels[:1])  # label range/type errors before training starts
        rng = np.random.default_rng(self.seed)
        if validation_data is None and self.validation_split > 0:
            order = rng.permutation(data.shape[0])
            n_val = max(1, int(round(self.validation_split * data.shape[0])))
            val_idx, train_idx = order[:n_val], order[n_val:]
            validation_data = (data[val_idx], labels[val_idx])
            data, labels = data[train_idx], labels[train_idx]
        network.input_layer.targets(labels)  # validate every label once, not per step
        history = History()
        params = network.params
        warned_saturation = False
        n = data.shape[0]
        for epoch in range(1, self.epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            total_loss, correct, rows, saturated = 0.0, 0, 0, 0
            bar = self._progress(n, epoch)
            for step, i in enumerate(range(0, n, self.batch_size), start=1):
                idx = order[i:i + self.batch_size]
                xb, yb = data[idx], labels[idx]
                network.zero_deltas()
                loss = network.backprop(xb, yb, input_deltas=False)
                if not math.isfinite(loss):
                    raise FloatingPointError(
                        f"loss became {loss} at epoch {epoch}, step {step}: training diverged. "
                        f"Try a smaller learning rate (now {self.learning_rate}) or check the data.")
                self.flavor.step(params, self.learning_rate)
                saturated += getattr(network.loss, "saturated", 0)
                total_loss += loss * len(idx)
                classes = _class_rows(yb)
                correct += _correct(network, classes)
                rows += network.output.size // network.output.shape[-1]
                if bar is not None:
                    bar.update(len(idx), loss=f"{total_loss / (i + len(idx)):.4f}")
            if bar is not None:
                bar.close()
            if saturated and not warned_saturation:
                warned_saturation = True
                warnings.warn(
                    f"epoch {epoch}: the predicted probability of the true class fell below "
                    f"{getattr(network.loss, 'eps', 0):g} {saturated} times, where the loss is "
                    f"clamped: training has likely diverged. Try a smaller learning rate "
                    f"(now {self.learning_rate}).", RuntimeWarning, stacklevel=2)
            history.train_loss.append(total_loss / n)
            history.train_accuracy.append(correct / rows if _class_rows(labels[:1]) is not None
                                          else math.nan)
            if validation_data is not None:
                vl, va = evaluate(network, *validation_data)
                history.val_loss.append(vl)
                history.val_accuracy.append(va)
            history.epoch_seconds.append(time.perf_counter() - start)
            if self.verbose:
                self._report(epoch, history)
            if callback is not None:
                callback(epoch, history)
        return history

    def _progress(self, total: int, epoch: int) -> Any:
        if not self.verbose:
            return None
        from .progress import ProgressBar
        stream = self.stream or sys.stderr
        if not (hasattr(stream, "isatty") and stream.isatty()):
            return None  # in a log file the per-epoch summary line says it all
        return ProgressBar(total, desc=f"epoch {epoch}/{self.epochs}", stream=stream)

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
