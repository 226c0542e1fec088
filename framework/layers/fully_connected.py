"""Fully connected layer: ``Y = X·W + b`` (the lecture's cheat sheet)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..init import Initializer
from ..shape import Shape
from ..tensor import Tensor  # noqa: F401  (type hints)
from .base import Layer


class FullyConnected(Layer):
    """Affine map of the last dim: ``Y[r, o] = Σ_f X[r, f]·W[f, o] + b[o]``.

    Rows ``r`` are every leading index merged (batch × positions), which is
    free in column-major storage, so ``[N, F]`` and ``[N, T, F]`` inputs both
    work.

    ===============  ===============================
    forward          ``Y = X·W + b``
    backward         ``δX = δY·Wᵀ``
    delta weights    ``∂L/∂W += Xᵀ·δY``, ``∂L/∂b += Σ_rows δY``
    ===============  ===============================

    Args:
        in_features: F, the size of the input's last dim.
        out_features: O, the size of the output's last dim.
        weights: optional initial weights, a ``[F, O]`` array-like (logical
            indexing: ``weights[f][o]``), e.g. the lecture's fixed example.
        bias: optional initial bias of length O (default zeros).
        init: initialiser of the weights, used when ``weights`` is not given:
            any name of ``framework.init`` (``"he_normal"``, ``"lecun_uniform"``,
            ...), ``("constant", v)``, or a callable ``init(shape, rng)``.
            Default ``"xavier"`` (Glorot uniform, fans F and O). The bias
            starts at zero.
        seed: seed or Generator for the initialiser.
        dtype: float32 (default) or float64 (gradient checks).
    """

    def __init__(self, in_features: int, out_features: int, weights: Any = None,
                 bias: Any = None, init: str | Initializer = "xavier",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"FullyConnected: {name} must be a positive integer, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.add_param("weights", (self.in_features, self.out_features), init=init,
                       value=weights, rng=seed, dtype=dtype)
        self.add_param("bias", (self.out_features,), value=bias, dtype=dtype)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[..., F]`` -> ``[..., O]``.

        Raises:
            ValueError: if the last dim is not ``in_features``.
        """
        dims = self.last_dim_input(input_shape, self.in_features)
        return Shape(dims[:-1] + (self.out_features,))

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``Y = X·W + b`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        ops = self.ops(x.dtype)
        out = y.matrix()
        ops.matmul(x.matrix(), self.weights.view(), out)
        ops.add_bias(out, self.bias.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δX = δY·Wᵀ`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).matmul(y.delta_matrix(), self.weights.view(), x.delta_matrix(),
                                    trans_b=True)

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """``δW += Xᵀ·δY`` and ``δb += Σ_rows δY`` (accumulate)."""
        x, y = self.check_io(in_tensors, out_tensors)
        ops = self.ops(x.dtype)
        dy = y.delta_matrix()
        ops.matmul(x.matrix(), dy, self.weights.delta_view(), trans_a=True, beta=1.0)
        ops.bias_grad(dy, self.bias.deltas)

    def __repr__(self) -> str:
        return f"FullyConnected({self.in_features}->{self.out_features})"
