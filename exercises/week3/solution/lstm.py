"""Exercises 3.1-3.4 (solution): an LSTM layer in plain NumPy, with loops over time.

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
        H = self.hidden_size
        a = x_t @ self.U.view() + h_prev @ self.W.view() + self.bias.elements
        i = sigmoid(a[:, 0 * H:1 * H])
        f = sigmoid(a[:, 1 * H:2 * H])
        o = sigmoid(a[:, 2 * H:3 * H])
        g = np.tanh(a[:, 3 * H:4 * H])
        c_t = f * c_prev + i * g
        h_t = o * np.tanh(c_t)
        return h_t, c_t, np.concatenate([i, f, o, g], axis=1)

    # -- 3.2 the sequence ----------------------------------------------------------------------
    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        self.delta_h = self.delta_c = self.delta_a = None  # an earlier batch's deltas are stale now
        X = x.view()                                       # [N, T, F]
        N, T, _ = X.shape
        H = self.hidden_size
        self.gates = np.zeros((N, T, 4 * H))
        self.c = np.zeros((N, T, H))
        self.h = np.zeros((N, T, H))
        h_prev = np.zeros((N, H))                          # h_{−1} = 0
        c_prev = np.zeros((N, H))                          # c_{−1} = 0
        for t in range(T):
            h_t, c_t, gates_t = self.cell_forward(X[:, t], h_prev, c_prev)
            self.h[:, t], self.c[:, t], self.gates[:, t] = h_t, c_t, gates_t
            h_prev, c_prev = h_t, c_t
        if self.return_sequences:
            y.view()[...] = self.h
        else:
            y.view()[...] = self.h[:, T - 1]

    # -- 3.3 backpropagation through time -------------------------------------------------------
    def bptt(self, dy):
        """Backpropagation through time from the output deltas ``dy`` [N, T, H].

        Fills ``self.delta_h``, ``self.delta_c`` [N, T, H] and ``self.delta_a`` [N, T, 4H].
        """
        N, T, H = self.h.shape
        self.delta_h = np.zeros((N, T, H))
        self.delta_c = np.zeros((N, T, H))
        self.delta_a = np.zeros((N, T, 4 * H))
        W = self.W.view()
        dc_next = np.zeros((N, H))                         # δc_{t+1}⊙f_{t+1}; 0 after T−1
        for t in reversed(range(T)):
            i, f, o, g = (self.gates[:, t, q * H:(q + 1) * H] for q in range(4))
            c_prev = self.c[:, t - 1] if t > 0 else np.zeros((N, H))
            tanh_c = np.tanh(self.c[:, t])
            dh = dy[:, t].copy()
            if t + 1 < T:
                dh += self.delta_a[:, t + 1] @ W.T         # the recurrent delta from step t+1
            dc = dc_next + dh * o * (1 - tanh_c ** 2)
            self.delta_h[:, t], self.delta_c[:, t] = dh, dc
            self.delta_a[:, t, 0 * H:1 * H] = dc * g * i * (1 - i)
            self.delta_a[:, t, 1 * H:2 * H] = dc * c_prev * f * (1 - f)
            self.delta_a[:, t, 2 * H:3 * H] = dh * tanh_c * o * (1 - o)
            self.delta_a[:, t, 3 * H:4 * H] = dc * i * (1 - g ** 2)
            dc_next = dc * f                               # δc carried to step t−1 through f_t

    def sequence_deltas(self, y):
        """The output deltas as ``[N, T, H]``: zeros at the steps without an output (given)."""
        if self.return_sequences:
            return y.delta_view()
        N, T, H = self.h.shape
        dy = np.zeros((N, T, H))
        dy[:, T - 1] = y.delta_view()
        return dy

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        self.bptt(self.sequence_deltas(y))
        dX = x.delta_view()                                # [N, T, F]
        for t in range(dX.shape[1]):
            dX[:, t] = self.delta_a[:, t] @ self.U.view().T

    # -- 3.4 delta weights -----------------------------------------------------------------------
    def calculate_delta_weights(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        if self.delta_a is None:  # no backward since forward (a Network skips the first layer's)
            self.bptt(self.sequence_deltas(y))
        X = x.view()
        N, T, H = self.h.shape
        dU = np.zeros((self.input_size, 4 * H))
        dW = np.zeros((H, 4 * H))
        for t in range(T):
            h_prev = self.h[:, t - 1] if t > 0 else np.zeros((N, H))
            dU += X[:, t].T @ self.delta_a[:, t]
            dW += h_prev.T @ self.delta_a[:, t]
        self.U.delta_view()[...] += dU
        self.W.delta_view()[...] += dW
        self.bias.deltas[...] += self.delta_a.sum(axis=(0, 1))
