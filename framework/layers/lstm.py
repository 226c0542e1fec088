"""Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

The equations of the lecture, in our row-vector convention (``x_t`` and
``h_t`` are rows, as in the fully connected layer's ``Y = X·W``)::

    a_t = x_t·U + h_{t-1}·W + b                  (all four gates at once, [4H])
    i_t = σ(a_i)   f_t = σ(a_f)   o_t = σ(a_o)   g_t = tanh(a_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

See ``docs/lstm.md`` for the layout, the backpropagation through time and
what forward caches.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..init import Initializer, orthogonal  # noqa: F401  (orthogonal: re-exported)
from ..tensor import Tensor
from ._sequence import SequenceLayer

GATES = ("i", "f", "o", "g")  # order of the four H-column blocks of U, W and bias


class _Caches:
    """Per-batch buffers of one forward/backward, row-major ``[rows, K]`` (see numpy_lstm)."""

    def __init__(self, n: int, t: int, h: int, dtype: np.dtype) -> None:
        self.key = (n, t, dtype)
        self.gates = np.empty((t * n, 4 * h), dtype)       # activations [i|f|o|g] per step
        self.hs = np.zeros(((t + 1) * n, h), dtype)        # block 0 = h_{-1}, block t+1 = h_t
        self.cs = np.zeros(((t + 1) * n, h), dtype)        # block 0 = c_{-1}, block t+1 = c_t
        self.tanh_cs = np.empty((t * n, h), dtype)         # tanh(c_t)
        self.dgates = np.empty((t * n, 4 * h), dtype)      # pre-activation deltas δa_t
        self.dhs = np.zeros((t * n, h), dtype)             # δh_t (output + recurrence)
        self.dc = np.zeros((n, h), dtype)                  # δc, carried backwards through time
        self.dh0 = np.zeros((n, h), dtype)                 # ∂L/∂h_{-1}


class LSTM(SequenceLayer):
    """An LSTM layer on sequences ``[N, T, F]`` -> ``[N, T, H]`` (or ``[N, H]``, the last step).

    Parameters (column-major Tensors, row-vector convention as in
    :class:`FullyConnected`): input weights ``U`` ``[F, 4H]``, recurrent
    weights ``W`` ``[H, 4H]``, ``bias`` ``[4H]``. The ``4H`` columns are four
    blocks of ``H`` in the gate order **i, f, o, g** (input, forget, output
    gate, candidate): column ``q·H + j`` belongs to gate ``GATES[q]`` of unit ``j``.

    ===============  ==========================================================
    forward          one product ``X·U`` for all ``N·T`` rows, then per step
                     ``+ h_{t-1}·W`` and the fused gate arithmetic
    backward         backpropagation through time over the whole sequence;
                     overwrites ``δX = δA·Uᵀ`` (one product) and caches ``δA``
    delta weights    ``∂U += Xᵀ·δA``, ``∂W += H_prevᵀ·δA``, ``∂b += Σ_rows δA``
                     (one product each over all steps; accumulate)
    ===============  ==========================================================

    ``δA`` are the deltas of the gate pre-activations of every step, which
    both backward (for ``δX``) and the weight deltas need: backward computes
    them once and :meth:`calculate_delta_weights` reuses them. If it is
    called without a backward after the last forward (a network skips the
    first layer's backward), it runs the backpropagation through time itself.

    **Hidden state.** Unlike the other layers, the LSTM keeps what forward
    computed (gate activations, cell states, hidden states; see
    ``docs/lstm.md``) for backward. So ``backward`` and
    ``calculate_delta_weights`` must follow the ``forward`` of the same
    batch, with the same input and output tensors; otherwise they raise
    ``RuntimeError``. (Changing the input's values in place between forward
    and backward is not detected.)

    **Initial state.** Zero by default. :meth:`set_initial_state` sets
    ``(h0, c0)`` for the following forwards; after a backward,
    :attr:`initial_state_deltas` holds ``(∂L/∂h0, ∂L/∂c0)``.

    Args:
        input_size: F, the features per time step.
        hidden_size: H, the units.
        return_sequences: output ``h_t`` of every step ``[N, T, H]``
            (default) or only the last one, ``[N, H]``.
        weights: optional initial ``(U, W, bias)`` as array-likes of shapes
            ``[F, 4H]``, ``[H, 4H]``, ``[4H]`` (logical indexing, gate order
            i, f, o, g), or a dict with those keys. Overrides the initialisers
            and ``forget_bias``.
        init: initialiser of ``U`` ``[F, 4H]``: any name of ``framework.init``,
            ``("constant", v)``, or a callable (default ``"xavier"``, Glorot
            uniform with fans F and 4H).
        recurrent_init: initialiser of ``W`` ``[H, 4H]``, same choices (default
            ``"orthogonal"``, per gate block). The bias starts at zero except
            the forget gate's.
        forget_bias: initial value of the forget gate's bias (default 1, so
            the cell remembers by default; the other biases start at 0).
        seed: seed or Generator for the initialisers.
        dtype: float32 (default) or float64 (gradient checks).
    """

    def __init__(self, input_size: int, hidden_size: int, return_sequences: bool = True,
                 weights: Any = None, init: str | Initializer = "xavier",
                 recurrent_init: str | Initializer = "orthogonal", forget_bias: float = 1.0,
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        values = self._setup(input_size, hidden_size, return_sequences, weights, ("U", "W", "bias"))
        f, h = self.input_size, self.hidden_size
        rng = np.random.default_rng(seed)
        self.add_param("U", (f, 4 * h), init=init, value=values[0], rng=rng, dtype=dtype)
        self.add_param("W", (h, 4 * h), init=recurrent_init, value=values[1], rng=rng, dtype=dtype)
        self.add_param("bias", (4 * h,), value=values[2], dtype=dtype)
        if values[2] is None:
            self.bias.elements[h:2 * h] = forget_bias  # remember by default (Gers et al.)
        self._initial: tuple[np.ndarray, np.ndarray] | None = None

    # -- initial state ------------------------------------------------------------------
    def set_initial_state(self, h0: Any = None, c0: Any = None) -> None:
        """Start the following forwards from ``(h0, c0)`` instead of zeros.

        Args:
            h0: ``[N, H]`` array-like (logical indexing) or None for zeros.
            c0: ``[N, H]`` array-like or None for zeros. Both None resets to
                the default zero state. The batch size of the forward must be
                ``N``.

        Raises:
            ValueError: on shapes that disagree or are not ``[N, H]``.
        """
        if h0 is None and c0 is None:
            self._initial = None
            return
        ref = np.asarray(h0 if h0 is not None else c0, dtype=np.float64)
        arrays = []
        for name, a in (("h0", h0), ("c0", c0)):
            a = np.zeros_like(ref) if a is None else np.asarray(a, dtype=np.float64)
            if a.ndim != 2 or a.shape[1] != self.hidden_size or a.shape != ref.shape:
                raise ValueError(f"{self}: {name} must be [N, {self.hidden_size}] like the other "
                                 f"state, got shape {a.shape}")
            arrays.append(a.copy())
        self._initial = (arrays[0], arrays[1])

    def state_arrays(self) -> dict[str, np.ndarray]:
        """``{"h0", "c0"}`` (``[N, H]`` copies) when an initial state is set, else ``{}``."""
        if self._initial is None:
            return {}
        return {"h0": self._initial[0].copy(), "c0": self._initial[1].copy()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Set (``{"h0", "c0"}``) or clear (``{}``) the initial state.

        Raises:
            ValueError: other names or shapes (see :meth:`set_initial_state`).
        """
        if sorted(arrays) not in ([], ["c0", "h0"]):
            raise ValueError(f"{self}: state arrays are h0 and c0 (or none), got {sorted(arrays)}")
        self.set_initial_state(arrays.get("h0"), arrays.get("c0"))

    @property
    def initial_state_deltas(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(∂L/∂h0, ∂L/∂c0)``, each ``[N, H]``, from the last backward; None before one."""
        if self._caches is None or not self._bptt_done:
            return None
        return self._caches.dh0.copy(), self._caches.dc.copy()

    def states(self) -> tuple[np.ndarray, np.ndarray]:
        """Hidden and cell states of every step of the last forward, for inspection.

        Returns:
            ``(h, c)``, new arrays ``[N, T, H]`` (logical indexing):
            ``h[n, t] = h_t``, ``c[n, t] = c_t`` of sample ``n``.

        Raises:
            RuntimeError: before the first forward.
        """
        if self._forward_of is None or self._caches is None:
            raise RuntimeError(f"{self}.states: no forward yet")
        n, t, _ = self._forward_of[2].dims
        h = self.hidden_size
        # row-major [(T+1)·N, H] caches, block 0 the initial state: [t, n, j] -> [n, t, j]
        return tuple(buf[n:].reshape(t, n, h).transpose(1, 0, 2).copy()
                     for buf in (self._caches.hs, self._caches.cs))

    # -- the passes ----------------------------------------------------------------------
    def _buffers(self, n: int, t: int, dtype: np.dtype) -> _Caches:
        c = self._caches
        if c is None or c.key != (n, t, dtype):
            c = self._caches = _Caches(n, t, self.hidden_size, dtype)
        return c

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Run the sequence; overwrite the output with ``h_t`` (every step or the last)."""
        x, y = self.check_io(in_tensors, out_tensors)
        if x.dtype != self.U.dtype:
            raise TypeError(f"{self}: input is {x.dtype} but the parameters are {self.U.dtype}")
        n, t, _ = x.shape.dims
        ops = self.ops(x.dtype)
        c = self._buffers(n, t, x.dtype)
        self._forward_of, self._bptt_done = None, False
        # Input projection of every step at once: gates[r, :] = x_r·U (rows r = n + N·t).
        # gates is row-major, i.e. gates.T is the column-major [4H, N·T] = Uᵀ·Xᵀ.
        ops.matmul(self.U.view(), x.matrix(), c.gates.T, trans_a=True, trans_b=True)
        if self._initial is not None:
            h0, c0 = self._initial
            if h0.shape[0] != n:
                raise ValueError(f"{self}: the initial state has batch size {h0.shape[0]}, "
                                 f"the input {n}")
            c.hs[:n], c.cs[:n] = h0, c0
        else:
            c.hs[:n], c.cs[:n] = 0, 0
        # the time loop; it also writes h_t into y ([N·T, H] every step, or [N, H] the last)
        self.ops(x.dtype).lstm_sequence_forward(c.gates, self.W.view(), self.bias.elements,
                                                 c.hs, c.cs, c.tanh_cs, y.matrix())
        self._forward_of = (x.elements, y.elements, x.shape)

    def _bptt(self, x: Tensor, y: Tensor) -> _Caches:
        """Backpropagation through time: fill ``dgates`` (δA), ``dh0``, ``dc`` from the output deltas."""
        c = self._caches
        c.dc[...] = 0                             # nothing reaches c_{T-1} from outside
        # dy: [N·T, H] (every step has an output) or [N, H] (only the last)
        self.ops(x.dtype).lstm_sequence_backward(
            c.gates, self.W.view(), c.cs, c.tanh_cs, c.dhs, c.dc, c.dgates,
            c.dh0 if self._initial is not None else None, y.delta_matrix())
        if self._initial is None:
            c.dh0[...] = 0  # not computed without an initial state; zeros rather than stale values
        self._bptt_done = True
        return c

    def _add_bias_deltas(self, c: _Caches) -> None:
        self.ops(c.dgates.dtype).lstm_bias_grad(c.dgates, self.bias.deltas)
