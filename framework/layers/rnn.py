"""Elman recurrent layer (Elman 1990), the vanilla RNN of CS231n and ``torch.nn.RNN``.

In our row-vector convention (``x_t`` and ``h_t`` are rows, as in the fully
connected layer's ``Y = X·W``)::

    a_t = x_t·U + h_{t-1}·W + b
    h_t = tanh(a_t)                  (or max(a_t, 0) with activation="relu")

Backpropagation through time, ``t = T−1 … 0``::

    δh_t = δy_t + δa_{t+1}·Wᵀ        δa_t = δh_t ⊙ (1 − h_t²)     (relu: δh_t ⊙ [h_t > 0])

See ``docs/recurrent.md``; the sequence bookkeeping (caches, the products
over all steps) is ``_recurrent.py``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..init import Initializer
from ._recurrent import Recurrent, SequenceCaches

GATES = ("a",)   # one block of H columns: U [F, H], W [H, H], bias [H]
ACTIVATIONS = ("tanh", "relu")


class RNN(Recurrent):
    """An Elman RNN layer on sequences ``[N, T, F]`` -> ``[N, T, H]`` (or ``[N, H]``, the last step).

    ``h_t = tanh(x_t·U + h_{t-1}·W + b)``. Parameters (column-major
    Tensors, row-vector convention as in :class:`FullyConnected`): input
    weights ``U`` ``[F, H]``, recurrent weights ``W`` ``[H, H]``, ``bias``
    ``[H]``. ``torch.nn.RNN`` stores ``weight_ih = Uᵀ``, ``weight_hh = Wᵀ``
    and two biases whose sum is ``bias``.

    ===============  ==========================================================
    forward          one product ``X·U`` for all ``N·T`` rows, then per step
                     ``+ h_{t-1}·W`` and the activation
    backward         backpropagation through time; overwrites ``δX = δA·Uᵀ``
                     (one product) and caches ``δA``
    delta weights    ``∂U += Xᵀ·δA``, ``∂W += H_prevᵀ·δA``, ``∂b += Σ_rows δA``
                     (one product each over all steps; accumulate)
    ===============  ==========================================================

    As the :class:`LSTM`, the layer keeps what forward computed (the hidden
    states) for backward, so ``backward`` and ``calculate_delta_weights``
    must follow the ``forward`` of the same batch with the same tensors and
    raise ``RuntimeError`` otherwise. ``calculate_delta_weights`` without a
    backward runs the backpropagation through time itself.

    **Initial state.** Zero by default; :meth:`set_initial_state` sets
    ``h0`` for the following forwards; after a backward,
    :attr:`initial_state_deltas` holds ``∂L/∂h0`` ``[N, H]``.

    Args:
        input_size: F, the features per time step.
        hidden_size: H, the units.
        return_sequences: output ``h_t`` of every step ``[N, T, H]``
            (default) or only the last one, ``[N, H]``.
        activation: ``"tanh"`` (default) or ``"relu"``, as ``torch.nn.RNN``'s
            ``nonlinearity``.
        weights: optional initial ``(U, W, bias)`` as array-likes of shapes
            ``[F, H]``, ``[H, H]``, ``[H]`` (logical indexing), or a dict with
            those keys. Overrides the initialisers.
        init: initialiser of ``U``: any name of ``framework.init``,
            ``("constant", v)``, or a callable (default ``"xavier"``, Glorot
            uniform with fans F and H).
        recurrent_init: initialiser of ``W``, same choices (default
            ``"orthogonal"``). The bias starts at zero.
        seed: seed or Generator for the initialisers.
        dtype: float32 (default) or float64 (gradient checks).
    """

    GATES = GATES

    def __init__(self, input_size: int, hidden_size: int, return_sequences: bool = True,
                 activation: str = "tanh", weights: Any = None,
                 init: str | Initializer = "xavier", recurrent_init: str | Initializer = "orthogonal",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"RNN: activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        super().__init__(input_size, hidden_size, return_sequences, weights, init, recurrent_init,
                         seed, dtype)

    def _cell_forward(self, c: SequenceCaches, now: slice, prev: slice, nxt: slice) -> None:
        # c.gates[now] holds x_t·U + b; h_t is the only activation, kept in hs
        a = c.gates[now]
        a += c.hs[prev] @ self.W.view()                      # + h_{t-1}·W
        if self.activation == "tanh":
            np.tanh(a, out=c.hs[nxt])
        else:
            np.maximum(a, 0, out=c.hs[nxt])

    def _cell_backward(self, c: SequenceCaches, now: slice, prev: slice, nxt: slice,
                       dh: np.ndarray) -> None:
        h = c.hs[nxt]
        if self.activation == "tanh":
            np.multiply(dh, 1 - h * h, out=c.dgates[now])          # tanh' = 1 − tanh²
        else:
            np.multiply(dh, h > 0, out=c.dgates[now])              # relu' = [a > 0] = [h > 0]
        # δR is δA (c.dr is c.dgates): nothing reaches h_{t-1} but through W
        return None

    def __repr__(self) -> str:
        return super().__repr__() if self.activation == "tanh" else f"{super().__repr__()[:-1]}, relu)"
