"""Gated recurrent unit (Cho et al. 2014), exactly as PyTorch's ``torch.nn.GRU`` computes it.

In our row-vector convention (``x_t`` and ``h_t`` are rows), gate blocks in
the order **r, z, n** (:data:`GATES`, PyTorch's order)::

    r_t = σ(x_t·U_r + b_r + h_{t-1}·W_r + c_r)              reset gate
    z_t = σ(x_t·U_z + b_z + h_{t-1}·W_z + c_z)              update gate
    n_t = tanh(x_t·U_n + b_n + r_t ⊙ (h_{t-1}·W_n + c_n))   candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

``U_r`` is the first block of H columns of ``U`` (and so on); ``b`` is the
input bias and ``c`` the recurrent one, which cannot be merged into ``b``
because ``c_n`` sits inside ``r_t ⊙ (…)``. With ``R_t = h_{t-1}·W + c``
(``[3H]``, the recurrent side), backpropagation through time,
``t = T−1 … 0``::

    δh_t   = δy_t + δR_{t+1}·Wᵀ + δh_{t+1} ⊙ z_{t+1}       (step t+1's two paths back)
    δa_n   = δh_t ⊙ (1 − z_t) ⊙ (1 − n_t²)
    δa_z   = δh_t ⊙ (h_{t-1} − n_t) ⊙ z_t(1 − z_t)
    δa_r   = δa_n ⊙ R_t[n] ⊙ r_t(1 − r_t)
    δA_t   = [δa_r | δa_z | δa_n]              (input side: δX, ∂U, ∂b)
    δR_t   = [δa_r | δa_z | δa_n ⊙ r_t]        (recurrent side: ∂W, ∂c, δh_{t-1})

See ``docs/recurrent.md``; the sequence bookkeeping is ``_recurrent.py``.
"""
from __future__ import annotations

import numpy as np

from ._recurrent import Recurrent, SequenceCaches

GATES = ("r", "z", "n")   # order of the three H-column blocks of U, W, bias and recurrent_bias


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # σ(a) = (1 + tanh(a/2)) / 2: no overflow for large |a|, no case split by sign
    return 0.5 + 0.5 * np.tanh(0.5 * a)


class GRU(Recurrent):
    """A GRU layer on sequences ``[N, T, F]`` -> ``[N, T, H]`` (or ``[N, H]``, the last step).

    Equations in the module docstring (PyTorch's formulation). Parameters
    (column-major Tensors, row-vector convention): input weights ``U``
    ``[F, 3H]``, recurrent weights ``W`` ``[H, 3H]``, input bias ``bias``
    ``[3H]`` (``b``) and ``recurrent_bias`` ``[3H]`` (``c``). The ``3H``
    columns are three blocks of ``H`` in the gate order **r, z, n**:
    column ``q·H + j`` belongs to gate ``GATES[q]`` of unit ``j``.
    ``torch.nn.GRU`` stores ``weight_ih = Uᵀ``, ``weight_hh = Wᵀ``,
    ``bias_ih = bias``, ``bias_hh = recurrent_bias``, in the same order.

    ===============  ==========================================================
    forward          one product ``X·U + b`` for all ``N·T`` rows, then per
                     step ``R_t = h_{t-1}·W + c`` and the gate arithmetic
    backward         backpropagation through time; overwrites ``δX = δA·Uᵀ``
                     (one product) and caches ``δA`` and ``δR``
    delta weights    ``∂U += Xᵀ·δA``, ``∂W += H_prevᵀ·δR``, ``∂b += Σ_rows δA``,
                     ``∂c += Σ_rows δR`` (one product each; accumulate)
    ===============  ==========================================================

    Hidden state, initial state and the ``RuntimeError`` rules as for
    :class:`RNN` and :class:`LSTM`: ``set_initial_state(h0)``,
    ``initial_state_deltas`` (``∂L/∂h0``), ``states()``.

    Args:
        input_size: F, the features per time step.
        hidden_size: H, the units.
        return_sequences: output ``h_t`` of every step ``[N, T, H]``
            (default) or only the last one, ``[N, H]``.
        weights: optional initial ``(U, W, bias, recurrent_bias)`` as
            array-likes of shapes ``[F, 3H]``, ``[H, 3H]``, ``[3H]``, ``[3H]``
            (logical indexing, gate order r, z, n), or a dict with those keys.
            Overrides the initialisers.
        init: initialiser of ``U``: any name of ``framework.init``,
            ``("constant", v)``, or a callable (default ``"xavier"``, Glorot
            uniform with fans F and 3H).
        recurrent_init: initialiser of ``W``, same choices (default
            ``"orthogonal"``, per gate block). Both biases start at zero.
        seed: seed or Generator for the initialisers.
        dtype: float32 (default) or float64 (gradient checks).
    """

    GATES = GATES
    RECURRENT_BIAS = True

    def _new_caches(self, n: int, t: int, dtype: np.dtype) -> SequenceCaches:
        c = super()._new_caches(n, t, dtype)
        c.rn = np.empty((t * n, self.hidden_size), dtype)   # R_t[n] = h_{t-1}·W_n + c_n per step
        return c

    def _cell_forward(self, c: SequenceCaches, now: slice, prev: slice, nxt: slice) -> None:
        h = self.hidden_size
        a, h_prev = c.gates[now], c.hs[prev]                          # a holds x_t·U + b
        rec = h_prev @ self.W.view() + self.recurrent_bias.elements    # R_t = h_{t-1}·W + c
        a[:, :2 * h] = _sigmoid(a[:, :2 * h] + rec[:, :2 * h])          # r, z
        r, z = a[:, :h], a[:, h:2 * h]
        c.rn[now] = rec[:, 2 * h:]                                     # for δa_r in backward
        n = a[:, 2 * h:]
        np.tanh(n + r * rec[:, 2 * h:], out=n)                         # n
        c.hs[nxt] = n + z * (h_prev - n)                               # (1 − z)·n + z·h_{t-1}

    def _cell_backward(self, c: SequenceCaches, now: slice, prev: slice, nxt: slice,
                       dh: np.ndarray) -> np.ndarray:
        h = self.hidden_size
        r, z, n = (c.gates[now][:, q * h:(q + 1) * h] for q in range(3))
        da, dr = c.dgates[now], c.dr[now]
        da[:, 2 * h:] = dh * (1 - z) * (1 - n * n)                     # δa_n
        da[:, h:2 * h] = dh * (c.hs[prev] - n) * z * (1 - z)           # δa_z
        da[:, :h] = da[:, 2 * h:] * c.rn[now] * r * (1 - r)            # δa_r
        dr[:, :2 * h] = da[:, :2 * h]                                  # δR_r, δR_z = δa_r, δa_z
        np.multiply(da[:, 2 * h:], r, out=dr[:, 2 * h:])               # δR_n = δa_n ⊙ r
        return dh * z                                                  # h_{t-1}'s direct path
