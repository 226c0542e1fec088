"""Optimizer flavors: how the SGDTrainer turns a gradient into a parameter update.

Each flavor keeps its own state per parameter (velocities, running
averages) and applies, for every parameter ``θ`` with gradient ``g`` (its
``deltas``) and learning rate ``η``, the rule in its docstring. The rules
are those of the lecture's reference list (ruder.io) as NumpyDL documents
them (``../shared/seeds/003_*``, section 2.4 and npdl.optimizers).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Flavor:
    """Base class: ``step(params, learning_rate)`` updates every parameter in place."""

    def __init__(self) -> None:
        self.state: dict[int, tuple[Tensor, dict[str, Any]]] = {}

    def step(self, params: list[Tensor], learning_rate: float) -> None:
        """Apply one update to every parameter from its ``deltas``.

        Args:
            params: parameter tensors whose deltas hold this step's gradient.
            learning_rate: η.
        """
        for p in params:
            s = self._slots(p)
            s["t"] = s.get("t", 0) + 1  # per parameter: a parameter added later starts at step 1
            self.update(p.elements, p.deltas, learning_rate, s)

    def _slots(self, p: Tensor) -> dict[str, Any]:
        # Keyed by identity, and the entry holds the tensor itself: while the
        # flavor lives, no other tensor can be given this id and inherit the state.
        entry = self.state.get(id(p))
        if entry is None or entry[0] is not p:
            entry = self.state[id(p)] = (p, {})
        return entry[1]

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, Any]) -> None:
        """Update ``theta`` in place from gradient ``g``.

        Args:
            theta: the parameter's elements, updated in place.
            g: its gradient (the parameter's deltas).
            lr: learning rate η.
            s: this parameter's state; ``s["t"]`` is its step count, from 1.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "state")
        return f"{type(self).__name__}({args})"


class SGD(Flavor):
    """Vanilla SGD: ``θ ← θ − η·g``."""

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """``θ ← θ − η·g``."""
        theta -= lr * g


class Momentum(Flavor):
    """Momentum: ``v ← μ·v − η·g``, ``θ ← θ + v``.

    Args:
        momentum: μ, usually 0.9.
    """

    def __init__(self, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """``v ← μ·v − η·g``, ``θ ← θ + v``."""
        v = s.setdefault("v", np.zeros_like(theta))
        v *= self.momentum
        v -= lr * g
        theta += v


class Nesterov(Momentum):
    """Nesterov momentum (NumpyDL's form): ``v ← μ·v − η·g``, ``θ ← θ + μ·v − η·g``."""

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """``v ← μ·v − η·g``, ``θ ← θ + μ·v − η·g``."""
        v = s.setdefault("v", np.zeros_like(theta))
        v *= self.momentum
        v -= lr * g
        theta += self.momentum * v - lr * g


class Adagrad(Flavor):
    """Adagrad: ``G ← G + g²``, ``θ ← θ − η·g / sqrt(G + ε)``.

    Args:
        eps: ε, keeps the division finite for parameters never updated yet.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """``G ← G + g²``, ``θ ← θ − η·g / sqrt(G + ε)``."""
        G = s.setdefault("G", np.zeros_like(theta))
        G += g * g
        theta -= lr * g / np.sqrt(G + self.eps)


class RMSprop(Flavor):
    """RMSprop: ``r ← ρ·r + (1 − ρ)·g²``, ``θ ← θ − η·g / sqrt(r + ε)``.

    Args:
        rho: ρ, decay of the running average, 0.9.
        eps: ε.
    """

    def __init__(self, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__()
        self.rho, self.eps = rho, eps

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """``r ← ρ·r + (1 − ρ)·g²``, ``θ ← θ − η·g / sqrt(r + ε)``."""
        r = s.setdefault("r", np.zeros_like(theta))
        r *= self.rho
        r += (1 - self.rho) * g * g
        theta -= lr * g / np.sqrt(r + self.eps)


class Adam(Flavor):
    """Adam (Kingma & Ba): moments ``m ← β1·m + (1 − β1)·g``, ``v ← β2·v + (1 − β2)·g²``,
    bias-corrected ``m̂ = m / (1 − β1^t)``, ``v̂ = v / (1 − β2^t)``, ``θ ← θ − η·m̂ / (sqrt(v̂) + ε)``.

    Args:
        beta1: β1, 0.9.
        beta2: β2, 0.999.
        eps: ε, 1e-8.
    """

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__()
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """One Adam step with bias correction at this parameter's step count ``t``."""
        m = s.setdefault("m", np.zeros_like(theta))
        v = s.setdefault("v", np.zeros_like(theta))
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** s["t"])
        v_hat = v / (1 - self.beta2 ** s["t"])
        theta -= lr * m_hat / (np.sqrt(v_hat) + self.eps)


FLAVORS: dict[str, type[Flavor]] = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov,
    "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam,
}


def get_flavor(flavor: Any) -> Flavor:
    """A flavor from its name (``"sgd"``, ``"momentum"``, ...) or a Flavor object passed through.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(flavor, Flavor):
        return flavor
    try:
        return FLAVORS[str(flavor).lower()]()
    except KeyError:
        raise ValueError(f"unknown flavor {flavor!r}: expected one of {', '.join(FLAVORS)} "
                         f"or a Flavor object") from None
