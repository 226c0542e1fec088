"""LSTM kernels, NumPy reference: the fused gate arithmetic and the time loops.

The LSTM layer (``framework/layers/lstm.py``, equations in ``docs/lstm.md``)
does its big matrix products with ``matmul`` and hands the per-time-step
work to these functions. ``c_lstm.py`` provides the same functions on the C
kernel (``framework/csrc/lstm.c``); this module is their contract.

Layout of the caches (different from the tensors!)
--------------------------------------------------
The layer's tensors are column-major ``[N, T, F]`` (row ``r = n + N·t`` of
the ``[N·T, F]`` matrix view). The per-step buffers here are **row-major**
(C-order) ``[T·N, K]`` arrays with the same row numbering ``r = n + N·t``, so
that the ``N`` rows of time step ``t`` are one contiguous block
``buf[N·t : N·t + N]`` (element ``(n, k)`` of step ``t`` at flat offset
``k + K·(n + N·t)``). In column-major terms the buffer is the transposed
``[K, N·T]`` matrix, so every product the layer needs is still a plain
column-major ``matmul`` (of ``buf.T``). Gate columns ``k`` are ordered
``i, f, o, g``: gate ``q`` of unit ``j`` is column ``q·H + j``.

Overwrite or accumulate is stated for every argument; nothing is returned.
"""
from __future__ import annotations

import numpy as np

__all__ = ["lstm_cell_forward", "lstm_cell_backward", "lstm_sequence_forward",
           "lstm_sequence_backward", "lstm_bias_grad"]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # σ(a) = (1 + tanh(a/2)) / 2: the same function as 1/(1+exp(-a)), but
    # tanh never overflows, so no case split by sign is needed.
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def lstm_cell_forward(gates: np.ndarray, bias: np.ndarray, c_prev: np.ndarray, c: np.ndarray,
                      tanh_c: np.ndarray, h: np.ndarray) -> None:
    """One time step's gate arithmetic, fused: pre-activations in, ``c_t`` and ``h_t`` out.

    With ``a = gates + bias`` (pre-activations, columns ``[i | f | o | g]``)::

        i, f, o = σ(a_i), σ(a_f), σ(a_o);   g = tanh(a_g)
        c = f ⊙ c_prev + i ⊙ g;   tanh_c = tanh(c);   h = o ⊙ tanh_c

    Args:
        gates: ``[N, 4H]`` row-major, ``U·x_t + W·h_{t-1}`` without the bias,
            element ``(n, q·H + j)``. **Overwritten** with the activations
            ``[i | f | o | g]``, which backward needs.
        bias: ``[4H]`` (read).
        c_prev: ``[N, H]`` row-major ``c_{t-1}`` (read).
        c: ``[N, H]`` row-major, **overwritten** with ``c_t``.
        tanh_c: ``[N, H]`` row-major, **overwritten** with ``tanh(c_t)``.
        h: ``[N, H]`` row-major, **overwritten** with ``h_t``.
    """
    hidden = c.shape[1]
    a = gates + bias
    gates[:, :3 * hidden] = _sigmoid(a[:, :3 * hidden])   # i, f, o
    gates[:, 3 * hidden:] = np.tanh(a[:, 3 * hidden:])     # g
    i, f, o, g = (gates[:, q * hidden:(q + 1) * hidden] for q in range(4))
    c[...] = f * c_prev + i * g
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)


def lstm_cell_backward(gates: np.ndarray, c_prev: np.ndarray, tanh_c: np.ndarray, dh: np.ndarray,
                       dc: np.ndarray, dgates: np.ndarray) -> None:
    """One time step's gate derivatives, fused: ``δh_t`` and ``δc`` in, ``δa`` and ``δc_{t-1}`` out.

    With the cached activations ``i, f, o, g`` and ``tanh_c = tanh(c_t)``::

        δc_t = δc + δh ⊙ o ⊙ (1 − tanh_c²)          (δc: what step t+1 sent back)
        δa_i = δc_t ⊙ g ⊙ i(1 − i)        δa_f = δc_t ⊙ c_prev ⊙ f(1 − f)
        δa_o = δh ⊙ tanh_c ⊙ o(1 − o)     δa_g = δc_t ⊙ i ⊙ (1 − g²)
        δc_{t-1} = δc_t ⊙ f

    Args:
        gates: ``[N, 4H]`` row-major activations ``[i | f | o | g]`` from
            :func:`lstm_cell_forward` (read).
        c_prev: ``[N, H]`` row-major ``c_{t-1}`` (read).
        tanh_c: ``[N, H]`` row-major ``tanh(c_t)`` (read).
        dh: ``[N, H]`` row-major ``∂L/∂h_t``, everything that reaches
            ``h_t`` (from the output and from step t+1) (read).
        dc: ``[N, H]`` row-major. In: ``∂L/∂c_t`` through ``c_{t+1}``
            (zero after the last step). **Overwritten** with
            ``∂L/∂c_{t-1} = δc_t ⊙ f``.
        dgates: ``[N, 4H]`` row-major, **overwritten** with the deltas of
            the pre-activations ``[δa_i | δa_f | δa_o | δa_g]``.
    """
    hidden = c_prev.shape[1]
    i, f, o, g = (gates[:, q * hidden:(q + 1) * hidden] for q in range(4))
    dc_t = dc + dh * o * (1 - tanh_c * tanh_c)
    dgates[:, 0 * hidden:1 * hidden] = dc_t * g * i * (1 - i)
    dgates[:, 1 * hidden:2 * hidden] = dc_t * c_prev * f * (1 - f)
    dgates[:, 2 * hidden:3 * hidden] = dh * tanh_c * o * (1 - o)
    dgates[:, 3 * hidden:4 * hidden] = dc_t * i * (1 - g * g)
    np.multiply(dc_t, f, out=dc)


def lstm_sequence_forward(gates: np.ndarray, w: np.ndarray, bias: np.ndarray, hs: np.ndarray,
                          cs: np.ndarray, tanh_cs: np.ndarray, y: np.ndarray | None = None) -> None:
    """The forward time loop: for ``t = 0..T−1`` add ``h_{t-1}·W`` and run the cell.

    Args:
        gates: ``[T·N, 4H]`` row-major; in: the input projection ``X·U`` of
            every step (rows ``n + N·t``); **overwritten** with the
            activations ``[i | f | o | g]`` of every step.
        w: ``[H, 4H]`` recurrent weights, any layout (read).
        bias: ``[4H]`` (read).
        hs: ``[(T+1)·N, H]`` row-major; block 0 (rows ``0..N−1``) is ``h_{-1}``,
            the initial state (read); block ``t+1`` is **overwritten** with ``h_t``.
        cs: ``[(T+1)·N, H]`` row-major, the same for ``c``: block 0 ``c_{-1}``
            (read), block ``t+1`` **overwritten** with ``c_t``.
        tanh_cs: ``[T·N, H]`` row-major, block ``t`` **overwritten** with ``tanh(c_t)``.
        y: optional output matrix (the layer's column-major tensor view):
            ``[N·T, H]`` gets ``h_t`` of every step at rows ``n + N·t``,
            ``[N, H]`` only the last one (**overwritten**). Same values as
            ``hs[N:]``; the C kernel writes them while they are in cache.
    """
    n = hs.shape[0] - tanh_cs.shape[0]
    steps = tanh_cs.shape[0] // n if n else 0
    for t in range(steps):
        # block t of gates/tanh_cs is step t; block t of hs/cs holds h_{t-1}, c_{t-1}
        now, nxt = slice(n * t, n * t + n), slice(n * (t + 1), n * (t + 2))
        gates[now] += hs[now] @ w                           # + W·h_{t-1}
        lstm_cell_forward(gates[now], bias, cs[now], cs[nxt], tanh_cs[now], hs[nxt])
    if y is not None:
        y[...] = hs[n:] if y.shape[0] == tanh_cs.shape[0] else hs[steps * n:]


def lstm_sequence_backward(gates: np.ndarray, w: np.ndarray, cs: np.ndarray, tanh_cs: np.ndarray,
                           dhs: np.ndarray, dc: np.ndarray, dgates: np.ndarray,
                           dh0: np.ndarray | None = None, dy: np.ndarray | None = None) -> None:
    """Backpropagation through time: for ``t = T−1..0`` collect ``δh_t`` and run the cell backward.

    ``δh_t = δy_t + δa_{t+1}·Wᵀ`` (the output's delta plus what step t+1's
    gates send back through ``W``), then :func:`lstm_cell_backward`.

    Args:
        gates: ``[T·N, 4H]`` row-major activations from
            :func:`lstm_sequence_forward` (read).
        w: ``[H, 4H]`` recurrent weights (read).
        cs: ``[(T+1)·N, H]`` row-major cell states, block 0 = ``c_{-1}`` (read).
        tanh_cs: ``[T·N, H]`` row-major ``tanh(c_t)`` (read).
        dhs: ``[T·N, H]`` row-major; in: ``∂L/∂h_t`` from the layer's output
            (zero for steps without an output); **overwritten** with the
            total ``δh_t`` (output plus recurrence).
        dc: ``[N, H]`` row-major; in: ``∂L/∂c_{T-1}`` from outside (zeros
            normally); **overwritten** with ``∂L/∂c_{-1}``, the gradient of
            the initial cell state.
        dgates: ``[T·N, 4H]`` row-major, **overwritten** with the
            pre-activation deltas ``δa_t`` of every step.
        dh0: optional ``[N, H]`` row-major, **overwritten** with
            ``∂L/∂h_{-1} = δa_0·Wᵀ``, the gradient of the initial hidden state.
        dy: optional output deltas (the layer's column-major tensor view),
            ``[N·T, H]`` for every step or ``[N, H]`` for the last step only;
            when given, ``dhs`` is filled from it (zeros for steps without an
            output) instead of being read.
    """
    n = dc.shape[0]
    steps = tanh_cs.shape[0] // n if n else 0
    if dy is not None:
        if dy.shape[0] == dhs.shape[0]:
            dhs[...] = dy
        else:
            dhs[:(steps - 1) * n] = 0
            dhs[(steps - 1) * n:] = dy
    for t in reversed(range(steps)):
        now = slice(n * t, n * t + n)
        if t + 1 < steps:
            dhs[now] += dgates[n * (t + 1):n * (t + 2)] @ w.T   # what step t+1 sends back
        lstm_cell_backward(gates[now], cs[now], tanh_cs[now], dhs[now], dc, dgates[now])
    if dh0 is not None:
        np.matmul(dgates[:n], w.T, out=dh0)


def lstm_bias_grad(dgates: np.ndarray, dbias: np.ndarray) -> None:
    """``dbias[k] += Σ_r dgates[r, k]`` (**accumulates** into ``dbias``).

    Args:
        dgates: ``[T·N, 4H]`` row-major pre-activation deltas (read).
        dbias: ``[4H]`` bias deltas.
    """
    dbias += dgates.sum(axis=0)
