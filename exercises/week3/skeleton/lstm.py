"""Exercises 3.1-3.4: an LSTM layer in plain NumPy, with loops over time (see README.md).

Sequences are ``[N, T, F]`` (batch, time steps, features). The gates of all
four kinds are computed by one product, in the gate order **i, f, o, g**::

    a_t = x_t·U + h_{t−1}·W + b        U [F, 4H], W [H, 4H], b [4H]
    i, f, o = σ(a_t[i]), σ(a_t[f]), σ(a_t[o]);   g = tanh(a_t[g])
    c_t = f ⊙ c_{t−1} + i ⊙ g;   h_t = o ⊙ tanh(c_t)

After ``forward`` the layer keeps every step (the checks compare them):
``self.gates`` [N, T, 4H] (activations i|f|o|g), ``self.c`` and ``self.h``
[N, T, H]. After ``backward`` (``bptt``): ``self.delta_h``, ``self.delta_c``
[N, T, H] and ``self.delta_a`` [N, T, 4H] (deltas of the pre-activations).
"""
from __future__ import annotations

import numpy as np

from framework import Layer, Shape


def sigmoid(a):
    """σ(a) = 1 / (1 + e^(−a)), elementwise."""
    return 1.0 / (1.0 + np.exp(-a))


class LSTM(Layer):
    """LSTM on sequences ``[N, T, F]`` -> ``[N, T, H]`` (or ``[N, H]``, the last step)."""

    def __init__(self, input_size, hidden_size, return_sequences=True, weights=None, seed=None,
                 dtype=np.float32):
        self.input_size, self.hidden_size = input_size, hidden_size
        self.return_sequences = return_sequences
        F, H = input_size, hidden_size
        U, W, bias = weights if weights is not None else (None, None, None)
        rng = np.random.default_rng(seed)
        self.add_param("U", (F, 4 * H), init="xavier", value=U, rng=rng, dtype=dtype)
        self.add_param("W", (H, 4 * H), init="orthogonal", value=W, rng=rng, dtype=dtype)
        self.add_param("bias", (4 * H,), value=bias, dtype=dtype)
        if bias is None:
            self.bias.elements[H:2 * H] = 1.0  # forget gate open at the start: remember
        self.gates = self.c = self.h = None
        self.delta_h = self.delta_c = self.delta_a = None

    def output_shape(self, input_shape):
        N, T, _ = tuple(input_shape)
        return Shape((N, T, self.hidden_size) if self.return_sequences else (N, self.hidden_size))

    # -- 3.1 one step --------------------------------------------------------------------------
    def cell_forward(self, x_t, h_prev, c_prev):
        """One time step for a batch: ``x_t`` [N, F], ``h_prev``, ``c_prev`` [N, H].

        Returns ``(h_t, c_t, gates)``: [N, H], [N, H], [N, 4H] (activations i|f|o|g).
        """
        raise NotImplementedError("Exercise 3.1: LSTM.cell_forward — a = x_t·U + h_prev·W + b; "
                                  "i, f, o = σ(a[i]), σ(a[f]), σ(a[o]); g = tanh(a[g]); "
                                  "c_t = f⊙c_prev + i⊙g; h_t = o⊙tanh(c_t)")

    # -- 3.2 the sequence ----------------------------------------------------------------------
    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        self.delta_h = self.delta_c = self.delta_a = None  # an earlier batch's deltas are stale now
        raise NotImplementedError("Exercise 3.2: LSTM.forward — for t = 0..T−1: h_t, c_t, gates = "
                                  "cell_forward(x_t, h_{t−1}, c_{t−1}) from h_{−1} = c_{−1} = 0; "
                                  "store self.gates, self.c, self.h; write h (or h_{T−1}) into y")

    # -- 3.3 backpropagation through time -------------------------------------------------------
    def bptt(self, dy):
        """Backpropagation through time from the output deltas ``dy`` [N, T, H].

        Fills ``self.delta_h``, ``self.delta_c`` [N, T, H] and ``self.delta_a`` [N, T, 4H].
        """
        raise NotImplementedError("Exercise 3.3: LSTM.bptt — for t = T−1..0: δh_t = δy_t + "
                                  "δa_{t+1}·Wᵀ; δc_t = δc_{t+1}⊙f_{t+1} + "
                                  "δh_t⊙o_t⊙(1 − tanh²c_t); "
                                  "δa_t[i, f, o, g]; store self.delta_h, self.delta_c, self.delta_a")

    def sequence_deltas(self, y):
        """The output deltas as ``[N, T, H]``: zeros at the steps without an output (given)."""
        if self.return_sequences:
            return y.delta_view()
        N, T, H = self.h.shape
        dy = np.zeros((N, T, H))
        dy[:, T - 1] = y.delta_view()
        return dy

    def backward(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 3.3: LSTM.backward — "
                                  "self.bptt(self.sequence_deltas(y)), "
                                  "then δx_t = δa_t·Uᵀ for every step (overwrite)")

    # -- 3.4 delta weights -----------------------------------------------------------------------
    def calculate_delta_weights(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        if self.delta_a is None:  # no backward since forward (a Network skips the first layer's)
            self.bptt(self.sequence_deltas(y))
        raise NotImplementedError("Exercise 3.4: LSTM.calculate_delta_weights — "
                                  "∂U += Σ_t x_tᵀ·δa_t, "
                                  "∂W += Σ_t h_{t−1}ᵀ·δa_t (h_{−1} = 0), ∂b += Σ_t Σ_n δa_t")
