"""A small model API on the engine: an optimizer over the framework's flavors, and ``Model.fit``."""
from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from ..optim import Flavor, get_flavor
from . import ops
from .nn import Module, one_hot
from .engine import no_grad
from .value import Value

LOSSES: dict[str, Callable[[Value, np.ndarray], Value]] = {
    "softmax_cross_entropy": ops.softmax_cross_entropy,
    "cross_entropy": ops.cross_entropy,
    "mse": ops.mse,
}


class Optimizer:
    """Applies a framework flavor (``sgd``, ``momentum``, ..., ``adam``) to Values.

    The update rules are the flavors' own (``framework/optim/flavors.py``,
    ``Flavor.update``); this class only keeps their per-parameter state.

    Args:
        params: the parameters (leaf Values).
        flavor: a name or a Flavor object.
        learning_rate: η.
    """

    def __init__(self, params: Sequence[Value], flavor: str | Flavor = "adam",
                 learning_rate: float = 0.001) -> None:
        self.params = list(params)
        self.flavor = get_flavor(flavor)
        self.learning_rate = learning_rate
        self.state: dict[int, dict[str, Any]] = {id(p): {} for p in self.params}

    def zero_grad(self) -> None:
        """Forget every gradient: call once per step, before ``backward`` (gradients accumulate)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter in place from its ``grad`` (parameters without one are skipped)."""
        for p in self.params:
            if p.grad is None:
                continue
            s = self.state[id(p)]
            s["t"] = s.get("t", 0) + 1
            self.flavor.update(p.data, p.grad, self.learning_rate, s)


class Model:
    """A network (any :class:`Module`), a loss and an optimizer: train, predict, evaluate.

    Args:
        network: the Module; its output are scores (or probabilities for
            ``cross_entropy``, values for ``mse``).
        loss: ``"softmax_cross_entropy"`` (default), ``"cross_entropy"``,
            ``"mse"``, or a callable ``loss(output, targets) -> scalar Value``.
        flavor: optimizer flavor name or object.
        learning_rate: η.
    """

    def __init__(self, network: Module, loss: str | Callable = "softmax_cross_entropy",
                 flavor: str | Flavor = "adam", learning_rate: float = 0.001) -> None:
        self.network = network
        self.loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "loss")
        self.loss = LOSSES[loss] if isinstance(loss, str) else loss
        self.optimizer = Optimizer(network.parameters(), flavor, learning_rate)
        self.dtype = next((p.dtype for p in self.optimizer.params), np.dtype(np.float32))

    def _targets(self, labels: Any, out: Value) -> np.ndarray:
        labels = np.asarray(labels)
        if labels.dtype.kind in "iu" and labels.shape == out.shape[:-1]:
            return one_hot(labels, out.shape[-1], out.dtype)
        return labels.astype(out.dtype)

    def train_step(self, x: Any, labels: Any) -> float:
        """Forward, loss, backward, update on one batch.

        Args:
            x: a batch of inputs.
            labels: integer labels (one-hot encoded here) or float targets.

        Returns:
            The batch's loss.
        """
        self.optimizer.zero_grad()
        out = self.network(Value(np.asarray(x, self.dtype)))
        loss = self.loss(out, self._targets(labels, out))
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def predict(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        """The network's output (softmax probabilities for ``softmax_cross_entropy``), without a graph."""
        outs = []
        with no_grad():
            for i in range(0, len(x), batch_size):
                out = self.network(Value(np.asarray(x[i:i + batch_size], self.dtype)))
                if self.loss is ops.softmax_cross_entropy:
                    out = ops.softmax(out)
                outs.append(out.data)
        return np.concatenate(outs)

    def evaluate(self, x: Any, labels: Any) -> tuple[float, float]:
        """``(loss, accuracy)`` on a data set (accuracy for integer labels; NaN otherwise)."""
        with no_grad():
            out = self.network(Value(np.asarray(x, self.dtype)))
            loss = self.loss(out, self._targets(labels, out)).item()
        labels = np.asarray(labels)
        acc = float(np.mean(out.data.argmax(axis=-1) == labels)) if labels.dtype.kind in "iu" \
            else float("nan")
        return loss, acc

    def fit(self, x: np.ndarray, labels: np.ndarray, epochs: int = 10, batch_size: int = 64,
            validation: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0,
            verbose: bool = True) -> dict[str, list[float]]:
        """Train for ``epochs`` passes over shuffled mini-batches.

        Returns:
            The history: ``train_loss`` (mean over the epoch's batches), and
            ``val_loss``, ``val_accuracy`` when ``validation`` is given.
        """
        rng = np.random.default_rng(seed)
        history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
        for epoch in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(len(x))
            losses = [self.train_step(x[idx], labels[idx])
                      for idx in (order[i:i + batch_size] for i in range(0, len(x), batch_size))]
            history["train_loss"].append(float(np.mean(losses)))
            line = f"epoch {epoch + 1}/{epochs}  train loss {history['train_loss'][-1]:.4f}"
            if validation is not None:
                vl, va = self.evaluate(*validation)
                history["val_loss"].append(vl)
                history["val_accuracy"].append(va)
                line += f"  val loss {vl:.4f}  val acc {va:.4f}"
            if verbose:
                print(f"{line}  ({time.perf_counter() - start:.2f} s)", flush=True)
        return history
