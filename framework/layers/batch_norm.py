"""Batch normalisation of the last dim (features of ``[N, F]``, channels of ``[N, H, W, C]``)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..init import Initializer
from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


class BatchNorm(Layer):
    """Normalise each feature (channel) over the rows, then scale and shift it.

    Rows ``r`` are every leading index merged: the batch for ``[N, F]``,
    batch × height × width for ``[N, H, W, C]`` (so one mean per channel).
    With ``R`` rows, ``γ`` = ``scale`` and ``β`` = ``shift`` (both ``[F]``):

    ===============  ===============================================================
    forward (train)  ``μ = (1/R) Σ_r x_r``, ``σ² = (1/R) Σ_r (x_r − μ)²``,
                     ``x̂ = (x − μ)/√(σ² + ε)``, ``y = γ·x̂ + β``
    backward (train) ``δx = γ/(R·√(σ² + ε)) · (R·δy − Σ_r δy − x̂·Σ_r δy·x̂)``
                     (through ``μ`` and ``σ²`` too: both depend on every row)
    evaluation       ``x̂ = (x − μ_run)/√(σ²_run + ε)``, ``y = γ·x̂ + β``, ``δx = γ·δy/√(σ²_run + ε)``
    delta weights    ``δγ += Σ_r δy·x̂``, ``δβ += Σ_r δy``
    ===============  ===============================================================

    Every training forward updates the running averages
    ``μ_run ← m·μ_run + (1 − m)·μ`` and ``σ²_run ← m·σ²_run + (1 − m)·σ²``
    (``m`` = ``momentum``; ``σ²`` the batch's biased variance), which
    evaluation mode (``Network.eval()``) uses instead of the batch's. They are
    NumPy arrays (float64), not parameters: the trainer does not update them;
    :meth:`state_arrays` exposes them, so ``save_network``, checkpoints and
    early stopping store them with the parameters. Backward recomputes ``μ``,
    ``σ²`` from its input, so no state is kept between forward and backward.

    The arithmetic runs on the layer's backend (``self.ops``): the operations
    ``batchnorm_forward``, ``batchnorm_backward`` and ``batchnorm_delta_weights``
    of ``framework/backend/contract.py``, NumPy reference in
    ``framework/backend/numpy_batchnorm.py``, C kernel in ``framework/csrc/batchnorm.c``.

    Args:
        num_features: F, the size of the last dim.
        momentum: weight ``m`` of the old running average, ``0 <= m < 1``.
        eps: ``ε`` added to the variance.
        scale_init: initialiser of ``γ`` (default ``"ones"``: start as the
            identity after normalising): any name of ``framework.init``,
            ``("constant", v)``, or a callable ``(shape, rng) -> array``.
        shift_init: initialiser of ``β``, same choices (default ``"zeros"``).
        seed: seed or Generator for random initialisers.
        dtype: float32 (default) or float64 (gradient checks).

    Raises:
        ValueError: a non-positive ``num_features``, ``momentum`` outside
            ``[0, 1)`` or ``eps <= 0``.
    """

    def __init__(self, num_features: int, momentum: float = 0.9, eps: float = 1e-5,
                 scale_init: str | Initializer = "ones", shift_init: str | Initializer = "zeros",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features <= 0:
            raise ValueError(f"BatchNorm: num_features must be a positive integer, got {num_features!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1), got {momentum!r}")
        if not eps > 0.0:
            raise ValueError(f"BatchNorm: eps must be positive, got {eps!r}")
        self.num_features, self.momentum, self.eps = int(num_features), float(momentum), float(eps)
        rng = np.random.default_rng(seed)
        self.add_param("scale", (self.num_features,), init=scale_init, rng=rng, dtype=dtype)
        self.add_param("shift", (self.num_features,), init=shift_init, rng=rng, dtype=dtype)
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[..., F]`` -> ``[..., F]``.

        Raises:
            ValueError: if the last dim is not ``num_features``.
        """
        return Shape(self.last_dim_input(input_shape, self.num_features, "features (channels)"))

    def state_arrays(self) -> dict[str, np.ndarray]:
        """``{"running_mean": [F], "running_var": [F]}`` (float64 copies)."""
        return {"running_mean": self.running_mean.copy(), "running_var": self.running_var.copy()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the running averages from :meth:`state_arrays`' output.

        Raises:
            ValueError: other names, or arrays that are not ``[F]`` finite
                reals (variances >= 0); nothing is changed then.
        """
        if sorted(arrays) != ["running_mean", "running_var"]:
            raise ValueError(f"{self}: state arrays are running_mean and running_var, got "
                             f"{sorted(arrays)}")
        new = {}
        for name, a in arrays.items():
            a = np.asarray(a)
            if a.shape != (self.num_features,) or a.dtype.kind not in "biuf" \
                    or not np.all(np.isfinite(a)):
                raise ValueError(f"{self}: {name} must be {self.num_features} finite numbers, "
                                 f"got shape {a.shape} dtype {a.dtype}")
            new[name] = a.astype(np.float64)
        if np.any(new["running_var"] < 0):
            raise ValueError(f"{self}: running_var must be >= 0, got {new['running_var']}")
        self.running_mean, self.running_var = new["running_mean"], new["running_var"]

    def _statistics(self, dtype: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        """``(mean, var, training)`` for the operations, the vectors ``[F]`` in ``dtype``.

        In training, empty buffers the operation fills with the batch's statistics
        (recomputed by every call: nothing is kept between forward and backward); in
        evaluation, the running averages.
        """
        if self.training:
            return np.empty(self.num_features, dtype), np.empty(self.num_features, dtype), True
        return self.running_mean.astype(dtype), self.running_var.astype(dtype), False

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = γ·(x − μ)/√(σ² + ε) + β`` (overwrites y); in training also updates the running averages."""
        x, y = self.check_io(in_tensors, out_tensors)
        mean, var, training = self._statistics(x.dtype)
        self.ops(x.dtype).batchnorm_forward(x.matrix(), self.scale.elements, self.shift.elements,
                                            mean, var, y.matrix(), self.eps, training)
        if training:
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx`` through ``x̂``, ``μ`` and ``σ²`` in training; ``γ·δy/√(σ²_run + ε)`` in evaluation (overwrites)."""
        x, y = self.check_io(in_tensors, out_tensors)
        mean, var, training = self._statistics(x.dtype)
        self.ops(x.dtype).batchnorm_backward(x.matrix(), y.delta_matrix(), self.scale.elements,
                                             mean, var, x.delta_matrix(), self.eps, training)

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """``δγ += Σ_r δy·x̂`` and ``δβ += Σ_r δy`` (accumulate)."""
        x, y = self.check_io(in_tensors, out_tensors)
        mean, var, training = self._statistics(x.dtype)
        self.ops(x.dtype).batchnorm_delta_weights(x.matrix(), y.delta_matrix(), mean, var,
                                                  self.scale.deltas, self.shift.deltas, self.eps,
                                                  training)

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"
