"""What every recurrent layer (``LSTM``, ``RNN``, ``GRU``) shares besides its cell.

:class:`SequenceLayer`: sizes and ``return_sequences``, the ``weights=``
argument, the output shape ``[N, T, H]`` or ``[N, H]``, the rule that
backward follows the forward of the same batch, and the two passes after
the backpropagation through time, which are one product over all steps
each::

    δX  = δA·Uᵀ                   (backward; overwrites)
    ∂U += Xᵀ·δA                   (calculate_delta_weights; accumulates)
    ∂W += H_prevᵀ·δR              H_prev: row n + N·t holds h_{t-1}

``δA`` are the deltas of the input-side pre-activations ``x_t·U + b`` of
every step, ``δR`` those of the recurrent side ``h_{t-1}·W`` (the same as
``δA`` unless a gate multiplies the recurrent side, as the GRU's ``r`` does).
The caches are row-major ``[T·N, K]`` with rows ``r = n + N·t``
(``numpy_lstm.py``), so ``buf.T`` is a column-major matrix for ``matmul``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


class SequenceLayer(Layer):
    """What every recurrent layer (:class:`LSTM`, :class:`RNN`, :class:`GRU`) shares besides its cell.

    Sizes and ``return_sequences``, the ``weights=`` argument, the output
    shape, the rule that backward must follow the forward of the same batch,
    and the name. A subclass keeps ``self._forward_of`` (the input elements,
    output elements and input shape of the last forward) and ``self._caches``.
    """

    def _setup(self, input_size: int, hidden_size: int, return_sequences: bool, weights: Any,
               names: tuple[str, ...]) -> tuple:
        """Check and keep the sizes; return the given initial values of ``names`` (all None without ``weights``).

        Raises:
            ValueError: a size that is not a positive integer, a weights dict
                without one of ``names``, or a tuple of the wrong length.
        """
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, "
                                 f"got {value!r}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.return_sequences = bool(return_sequences)
        self._caches: Any = None
        self._initial: Any = None                # the initial state set, None for zeros
        self._bptt_done = False                  # the caches' deltas belong to the last forward
        self._forward_of: tuple | None = None   # (x elements, y elements, x shape) of the last forward
        if weights is None:
            return (None,) * len(names)
        if isinstance(weights, dict):
            missing = set(names) - set(weights)
            if missing:
                raise ValueError(f"{self}: weights dict lacks {sorted(missing)}")
            weights = tuple(weights[name] for name in names)
        if len(weights) != len(names):
            raise ValueError(f"{self}: weights must be ({', '.join(names)}), got {len(weights)} items")
        return tuple(weights)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[N, T, F]`` -> ``[N, T, H]`` (``return_sequences``) or ``[N, H]``.

        Raises:
            ValueError: if the input is not 3-D with ``F = input_size`` features.
        """
        dims = Shape(input_shape).dims
        if len(dims) != 3:
            raise ValueError(f"{self}: input must be a sequence [N, T, {self.input_size}], "
                             f"got Shape{list(dims)}")
        if dims[2] != self.input_size:
            raise ValueError(f"{self}: input has {dims[2]} features, expected {self.input_size} "
                             f"(input shape {Shape(dims)})")
        n, t, _ = dims
        return Shape((n, t, self.hidden_size) if self.return_sequences else (n, self.hidden_size))

    def _check_follows_forward(self, x: Tensor, y: Tensor, method: str) -> Any:
        """The caches of the last forward, if ``x`` and ``y`` are its tensors.

        Raises:
            RuntimeError: no forward yet, or one of other tensors.
        """
        f = self._forward_of
        if f is None or self._caches is None:
            raise RuntimeError(f"{self}.{method}: no forward to go back through; call forward on "
                               f"this batch first (the {type(self).__name__} keeps the forward's "
                               f"gates and states)")
        if x.elements is not f[0] or y.elements is not f[1] or x.shape != f[2]:
            raise RuntimeError(f"{self}.{method}: these tensors are not the ones of the last forward "
                               f"(input {x.shape}); {method} must follow the forward of the same "
                               f"batch, since it uses the gates and states that forward cached")
        return self._caches

    # -- the passes every recurrent layer shares around its backpropagation through time ----
    def _bptt(self, x: Tensor, y: Tensor) -> Any:
        """Fill the caches' ``dgates`` (δA, ``[T·N, K]`` row-major) from the output deltas; return the caches."""
        raise NotImplementedError

    def _recurrent_deltas(self, c: Any) -> np.ndarray:
        """δR, the deltas of ``h_{t-1}·W`` (+ c) of every step: δA itself unless a gate multiplies it."""
        return c.dgates

    def _add_bias_deltas(self, c: Any) -> None:
        """``∂b += Σ_rows δA`` (and any other bias)."""
        raise NotImplementedError

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """BPTT over the whole sequence; overwrite ``δX = δA·Uᵀ`` and cache ``δA``.

        Raises:
            RuntimeError: if this is not the batch of the last forward.
        """
        x, y = self.check_io(in_tensors, out_tensors)
        self._check_follows_forward(x, y, "backward")
        c = self._bptt(x, y)
        # δX[r, :] = δa_r·Uᵀ for all rows at once: δX = (dgates.T)ᵀ·Uᵀ.
        self.ops(x.dtype).matmul(c.dgates.T, self.U.view(), x.delta_matrix(), trans_a=True,
                                 trans_b=True)

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """``∂U += Xᵀ·δA``, ``∂W += H_prevᵀ·δR``, ``∂b += Σ_rows δA`` over all steps (accumulate).

        One product each over all steps. Uses the deltas cached by
        :meth:`backward`; runs the BPTT itself when there was no backward
        since the last forward (a network skips the first layer's backward).

        Raises:
            RuntimeError: if this is not the batch of the last forward.
        """
        x, y = self.check_io(in_tensors, out_tensors)
        c = self._check_follows_forward(x, y, "calculate_delta_weights")
        if not self._bptt_done:
            self._bptt(x, y)
        n, t, _ = x.shape.dims
        ops = self.ops(x.dtype)
        # ∂U[f, k] += Σ_r X[r, f]·δA[r, k]
        ops.matmul(x.matrix(), c.dgates.T, self.U.delta_view(), trans_a=True, trans_b=True, beta=1.0)
        # ∂W[j, k] += Σ_r h_prev[r, j]·δR[r, k]; h_prev of row r = n + N·t is hs block t.
        # Block 0, a zero initial state, adds nothing: start at step 1 then.
        first = 0 if self._initial is not None else n
        if first < t * n:
            ops.matmul(c.hs[first:t * n].T, self._recurrent_deltas(c)[first:].T,
                       self.W.delta_view(), trans_b=True, beta=1.0)
        self._add_bias_deltas(c)

    def __repr__(self) -> str:
        seq = "" if self.return_sequences else ", last step"
        return f"{type(self).__name__}({self.input_size}->{self.hidden_size}{seq})"
