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
    """Base class: ``step(params, learning_rate)`` updates every parameter in place.

    State: each parameter has a dict of slots (``"t"``, its step count from
    1, and the flavor's arrays such as ``"v"``, ``"m"``). :meth:`state_of`
    gives the live dict of one parameter (read it, or assign into it);
    :meth:`state_dict` / :meth:`load_state_dict` copy all of them out and
    back in, keyed by the parameter's index in ``params``, which is what a
    checkpoint saves. ``state`` is the raw mapping behind both.
    """

    def __init__(self) -> None:
        self.state: dict[int, tuple[Tensor, dict[str, Any]]] = {}

    def state_of(self, param: Tensor) -> dict[str, Any]:
        """The live state dict of ``param`` (empty before its first step).

        Args:
            param: a parameter tensor this flavor updates.

        Returns:
            The dict itself: changes to it change the next update.
        """
        return self._slots(param)

    def state_dict(self, params: list[Tensor]) -> list[dict[str, Any]]:
        """A copy of every parameter's state, in the order of ``params``.

        Args:
            params: the parameters, in a fixed order (``network.params``).

        Returns:
            One dict per parameter: ``"t"`` (int) and NumPy array copies.
        """
        return [{k: (v.copy() if isinstance(v, np.ndarray) else v)
                 for k, v in self._slots(p).items()} for p in params]

    def load_state_dict(self, params: list[Tensor], states: list[dict[str, Any]]) -> None:
        """Set every parameter's state from :meth:`state_dict`'s output (copied in).

        Args:
            params: the parameters, in the order the states were saved.
            states: one dict per parameter.

        Raises:
            ValueError: when the counts or an array's shape do not match.
        """
        if len(states) != len(params):
            raise ValueError(f"{type(self).__name__}.load_state_dict: {len(states)} states for "
                             f"{len(params)} parameters")
        for i, (p, st) in enumerate(zip(params, states)):
            slots = self._slots(p)
            slots.clear()
            for k, v in st.items():
                if isinstance(v, np.ndarray):
                    if v.shape != p.elements.shape:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: parameter {i} "
                                         f"slot {k!r} has shape {v.shape}, expected "
                                         f"{p.elements.shape}")
                    v = v.astype(p.elements.dtype, copy=True)
                slots[k] = v

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


class Adadelta(Flavor):
    """Adadelta (NumpyDL's form, with η as a multiplier, 1.0 in the paper):
    ``r ← ρ·r + (1 − ρ)·g²``, ``Δ = η·sqrt(s + ε) / sqrt(r + ε)·g``,
    ``s ← ρ·s + (1 − ρ)·Δ²``, ``θ ← θ − Δ``.

    Args:
        rho: ρ, decay of both running averages, 0.9.
        eps: ε, 1e-6; it makes the very first update non-zero.
    """

    def __init__(self, rho: float = 0.9, eps: float = 1e-6) -> None:
        super().__init__()
        self.rho, self.eps = rho, eps

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """One Adadelta step; ``s`` keeps ``r`` (squared gradients) and ``s`` (squared updates)."""
        r = s.setdefault("r", np.zeros_like(theta))
        acc = s.setdefault("s", np.zeros_like(theta))
        r *= self.rho
        r += (1 - self.rho) * g * g
        delta = lr * np.sqrt(acc + self.eps) / np.sqrt(r + self.eps) * g
        acc *= self.rho
        acc += (1 - self.rho) * delta * delta
        theta -= delta


class Adamax(Flavor):
    """Adamax (Adam with the infinity norm): ``m ← β1·m + (1 − β1)·g``,
    ``u ← max(β2·u, |g|)``, ``θ ← θ − η / (1 − β1^t) · m / (u + ε)``.

    Args:
        beta1: β1, 0.9.
        beta2: β2, 0.999.
        eps: ε, 1e-8.
    """

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__()
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """One Adamax step with bias correction of ``m`` at step ``t``."""
        m = s.setdefault("m", np.zeros_like(theta))
        u = s.setdefault("u", np.zeros_like(theta))
        m *= self.beta1
        m += (1 - self.beta1) * g
        np.maximum(self.beta2 * u, np.abs(g), out=u)
        theta -= lr / (1 - self.beta1 ** s["t"]) * m / (u + self.eps)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): decoupled weight decay ``θ ← θ − η·λ·θ``,
    then the Adam step from the gradient alone (λ never enters ``m``, ``v``).

    Args:
        weight_decay: λ, 0.01.
        beta1, beta2, eps: as :class:`Adam`.
    """

    def __init__(self, weight_decay: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__(beta1, beta2, eps)
        self.weight_decay = weight_decay

    def update(self, theta: np.ndarray, g: np.ndarray, lr: float, s: dict[str, np.ndarray]) -> None:
        """Decay ``theta`` by ``η·λ``, then one Adam step."""
        theta -= lr * self.weight_decay * theta
        super().update(theta, g, lr, s)


FLAVORS: dict[str, type[Flavor]] = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": Adagrad,
    "rmsprop": RMSprop, "adadelta": Adadelta, "adam": Adam, "adamax": Adamax, "adamw": AdamW,
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
