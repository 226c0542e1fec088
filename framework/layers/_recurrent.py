"""What the Elman ``RNN`` and the ``GRU`` share: the sequence bookkeeping around their cells.

:class:`Recurrent` builds on :class:`~framework.layers._sequence.SequenceLayer`
(what the LSTM shares too) with the forward and the backpropagation through
time of a cell written in NumPy (the LSTM runs its own on the backend's
LSTM kernels). Both layers map ``[N, T, F]`` to ``[N, T, H]`` (or ``[N, H]``,
the last step) with ``G`` gate blocks of ``H`` columns (RNN: 1, GRU: 3):

* forward: ``A = X·U + b`` for all ``N·T`` rows in one product, then per step
  the subclass's cell (:meth:`Recurrent._cell_forward`), which adds
  ``h_{t-1}·W`` and writes ``h_t``;
* backward through time: per step ``δh_t = δy_t + (what step t+1 sends
  back)``, the subclass's cell backward (:meth:`Recurrent._cell_backward`)
  fills the pre-activation deltas, and ``δh_{t-1} = δR_t·Wᵀ (+ direct)``;
* the rest is one product over all steps: ``δX = δA·Uᵀ``, ``∂U += Xᵀ·δA``,
  ``∂W += H_prevᵀ·δR``, ``∂b += Σ_rows δA`` (``∂c += Σ_rows δR``).

``δA`` are the deltas of the input-side pre-activations ``x_t·U + b`` and
``δR`` those of the recurrent side ``h_{t-1}·W (+ c)``. They are the same
for the RNN and for the LSTM; the GRU's candidate gate multiplies the
recurrent side by ``r_t``, so there they differ (``docs/recurrent.md``).

The caches are row-major ``[T·N, K]`` with rows ``r = n + N·t``, as the
LSTM's (``numpy_lstm.py``): step ``t`` is the block ``buf[N·t : N·t + N]``
and ``buf.T`` is a column-major matrix for ``matmul``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..init import Initializer
from ..tensor import Tensor
from ._sequence import SequenceLayer


class SequenceCaches:
    """Per-batch buffers of one forward/backward, row-major ``[rows, K]`` (reallocated when N, T or dtype change)."""

    def __init__(self, n: int, t: int, h: int, gates: int, dtype: np.dtype, own_dr: bool) -> None:
        self.key = (n, t, dtype)
        self.gates = np.empty((t * n, gates * h), dtype)   # X·U + b, then the cell's activations
        self.hs = np.zeros(((t + 1) * n, h), dtype)         # block 0 = h_{-1}, block t+1 = h_t
        self.dgates = np.empty((t * n, gates * h), dtype)   # δA: input-side pre-activation deltas
        self.dr = np.empty((t * n, gates * h), dtype) if own_dr else self.dgates  # δR
        self.dh0 = np.zeros((n, h), dtype)                  # ∂L/∂h_{-1}


class Recurrent(SequenceLayer):
    """Base of :class:`~framework.layers.RNN` and :class:`~framework.layers.GRU` (not public).

    Subclasses set :attr:`GATES` (names of the ``H``-column blocks, in
    order), :attr:`RECURRENT_BIAS` and implement :meth:`_cell_forward` and
    :meth:`_cell_backward`. Arguments as documented on the subclasses.
    """

    GATES: tuple[str, ...] = ()
    RECURRENT_BIAS = False   # a second bias c inside the recurrent side (the GRU's)

    def __init__(self, input_size: int, hidden_size: int, return_sequences: bool = True,
                 weights: Any = None, init: str | Initializer = "xavier",
                 recurrent_init: str | Initializer = "orthogonal",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        names = ("U", "W", "bias") + (("recurrent_bias",) if self.RECURRENT_BIAS else ())
        values = self._setup(input_size, hidden_size, return_sequences, weights, names)
        f, k = self.input_size, len(self.GATES) * self.hidden_size
        rng = np.random.default_rng(seed)
        self.add_param("U", (f, k), init=init, value=values[0], rng=rng, dtype=dtype)
        self.add_param("W", (self.hidden_size, k), init=recurrent_init, value=values[1], rng=rng,
                       dtype=dtype)
        self.add_param("bias", (k,), value=values[2], dtype=dtype)
        if self.RECURRENT_BIAS:
            self.add_param("recurrent_bias", (k,), value=values[3], dtype=dtype)

    # -- what a subclass writes: one time step, forward and backward ------------------
    def _cell_forward(self, c: SequenceCaches, now: slice, prev: slice, nxt: slice) -> None:
        """Step rows ``now``: ``c.gates[now]`` holds ``x_t·U + b``; write activations and ``c.hs[nxt]``."""
        raise NotImplementedError

    def _cell_backward(self, c: SequenceCaches, now: slice, prev: slice, nxt: slice,
                       dh: np.ndarray) -> np.ndarray | None:
        """Fill ``c.dgates[now]``, ``c.dr[now]`` from ``dh = δh_t``; return the part of ``δh_{t-1}`` not through W."""
        raise NotImplementedError

    def _new_caches(self, n: int, t: int, dtype: np.dtype) -> SequenceCaches:
        """The buffers for a batch of ``n`` sequences of ``t`` steps (a subclass may add its own)."""
        return SequenceCaches(n, t, self.hidden_size, len(self.GATES), dtype,
                              own_dr=self.RECURRENT_BIAS)

    # -- the initial state ----------------------------------------------------
    def set_initial_state(self, h0: Any = None) -> None:
        """Start the following forwards from ``h0`` instead of zeros.

        Args:
            h0: ``[N, H]`` array-like (logical indexing), or None for the
                default zero state. The batch size of the forward must be ``N``.

        Raises:
            ValueError: if ``h0`` is not ``[N, H]``.
        """
        if h0 is None:
            self._initial = None
            return
        a = np.asarray(h0, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != self.hidden_size:
            raise ValueError(f"{self}: h0 must be [N, {self.hidden_size}], got shape {a.shape}")
        self._initial = a.copy()

    def state_arrays(self) -> dict[str, np.ndarray]:
        """``{"h0"}`` (an ``[N, H]`` copy) when an initial state is set, else ``{}``."""
        return {} if self._initial is None else {"h0": self._initial.copy()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Set (``{"h0"}``) or clear (``{}``) the initial state.

        Raises:
            ValueError: other names or shapes (see :meth:`set_initial_state`).
        """
        if sorted(arrays) not in ([], ["h0"]):
            raise ValueError(f"{self}: the state array is h0 (or none), got {sorted(arrays)}")
        self.set_initial_state(arrays.get("h0"))

    @property
    def initial_state_deltas(self) -> np.ndarray | None:
        """``∂L/∂h0`` ``[N, H]`` from the last backward (also without an initial state); None before one."""
        if self._caches is None or not self._bptt_done:
            return None
        return self._caches.dh0.copy()

    def states(self) -> np.ndarray:
        """Hidden states ``h[n, t] = h_t`` ``[N, T, H]`` of the last forward (a new array).

        Raises:
            RuntimeError: before the first forward.
        """
        if self._forward_of is None or self._caches is None:
            raise RuntimeError(f"{self}.states: no forward yet")
        n, t, _ = self._forward_of[2].dims
        return self._caches.hs[n:].reshape(t, n, self.hidden_size).transpose(1, 0, 2).copy()

    # -- the passes ----------------------------------------------------------------------
    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Run the sequence; overwrite the output with ``h_t`` (every step or the last)."""
        x, y = self.check_io(in_tensors, out_tensors)
        n, t, _ = x.shape.dims
        c = self._caches
        if c is None or c.key != (n, t, x.dtype):
            c = self._caches = self._new_caches(n, t, x.dtype)
        self._forward_of, self._bptt_done = None, False
        # Input side of every step at once: gates[r, :] = x_r·U (rows r = n + N·t), i.e. the
        # column-major gates.T = Uᵀ·Xᵀ; then + b.
        self.ops(x.dtype).matmul(self.U.view(), x.matrix(), c.gates.T, trans_a=True, trans_b=True)
        c.gates += self.bias.elements
        if self._initial is not None and self._initial.shape[0] != n:
            raise ValueError(f"{self}: the initial state has batch size {self._initial.shape[0]}, "
                             f"the input {n}")
        c.hs[:n] = 0 if self._initial is None else self._initial
        for s in range(t):
            # gates block s is step s; hs block s holds h_{s-1}, block s+1 gets h_s
            now = slice(n * s, n * s + n)
            self._cell_forward(c, now, now, slice(n * s + n, n * s + 2 * n))
        y.matrix()[...] = c.hs[n:] if self.return_sequences else c.hs[t * n:]
        self._forward_of = (x.elements, y.elements, x.shape)

    def _bptt(self, x: Tensor, y: Tensor) -> SequenceCaches:
        """Backpropagation through time: fill ``dgates`` (δA), ``dr`` (δR) and ``dh0`` from the output deltas."""
        c = self._caches
        n, t, _ = x.shape.dims
        w = self.W.view()
        dy = y.delta_matrix()                     # [N·T, H] every step, or [N, H] the last
        carry = np.zeros((n, self.hidden_size), c.hs.dtype)   # δh_t's part from step t+1
        for s in reversed(range(t)):
            now = slice(n * s, n * s + n)
            if self.return_sequences:
                dh = carry + dy[now]
            else:
                dh = carry + dy if s == t - 1 else carry
            direct = self._cell_backward(c, now, now, slice(n * s + n, n * s + 2 * n), dh)
            carry = c.dr[now] @ w.T
            if direct is not None:
                carry += direct
        c.dh0[...] = carry
        self._bptt_done = True
        return c

    def _recurrent_deltas(self, c: SequenceCaches) -> np.ndarray:
        return c.dr

    def _add_bias_deltas(self, c: SequenceCaches) -> None:
        self.bias.deltas += c.dgates.sum(axis=0)          # ∂b += Σ_rows δA
        if self.RECURRENT_BIAS:
            self.recurrent_bias.deltas += c.dr.sum(axis=0)  # ∂c += Σ_rows δR
