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
        dims = Shape(input_shape).dims
        if len(dims) < 2:
            raise ValueError(f"{self}: input must be [batch, ..., {self.num_features}], got Shape{list(dims)}")
        if dims[-1] != self.num_features:
            raise ValueError(f"{self}: input has {dims[-1]} features (channels), expected "
                             f"{self.num_features} (input shape {Shape(dims)})")
        return Shape(dims)

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

    def _normalised(self, xm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(x̂, μ, σ², 1/√(σ² + ε))``: of the batch in training mode, of the running averages otherwise."""
        # In the input's dtype: float32 work stays float32 (twice as fast as upcasting). Column
        # sums by einsum: 3x faster than .sum(axis=0) on the column-major [R, F] matrix.
        if self.training:
            mean = np.einsum("rf->f", xm) / xm.shape[0]
            xhat = xm - mean
            var = np.einsum("rf,rf->f", xhat, xhat) / xm.shape[0]
        else:
            mean, var = self.running_mean.astype(xm.dtype), self.running_var.astype(xm.dtype)
            xhat = xm - mean
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(xm.dtype)
        xhat *= inv_std  # in place: the centred copy becomes x̂
        return xhat, mean, var, inv_std

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = γ·(x − μ)/√(σ² + ε) + β`` (overwrites y); in training also updates the running averages."""
        x, y = self.check_io(in_tensors, out_tensors)
        xhat, mean, var, _ = self._normalised(x.matrix())
        if self.training:
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        np.multiply(xhat, self.scale.elements, out=y.matrix())
        y.matrix()[...] += self.shift.elements

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx`` through ``x̂``, ``μ`` and ``σ²`` in training; ``γ·δy/√(σ²_run + ε)`` in evaluation (overwrites)."""
        x, y = self.check_io(in_tensors, out_tensors)
        dy = y.delta_matrix()
        if not self.training:
            inv_std = (1.0 / np.sqrt(self.running_var + self.eps)).astype(x.dtype)
            np.multiply(dy, self.scale.elements * inv_std, out=x.delta_matrix())
            return
        xhat, _, _, inv_std = self._normalised(x.matrix())
        rows = xhat.shape[0]
        # δx = γ/(R·√(σ²+ε)) · (R·δy − Σ_r δy − x̂·Σ_r δy·x̂), assembled in the δx buffer
        dx = x.delta_matrix()
        np.multiply(xhat, -np.einsum("rf,rf->f", dy, xhat), out=dx)
        dx += rows * dy
        dx -= np.einsum("rf->f", dy)
        dx *= self.scale.elements * inv_std / rows

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """``δγ += Σ_r δy·x̂`` and ``δβ += Σ_r δy`` (accumulate)."""
        x, y = self.check_io(in_tensors, out_tensors)
        dy = y.delta_matrix()
        xhat = self._normalised(x.matrix())[0]
        self.scale.deltas += np.einsum("rf,rf->f", dy, xhat).astype(x.dtype)
        self.shift.deltas += np.einsum("rf->f", dy).astype(x.dtype)

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"
