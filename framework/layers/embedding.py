"""Embedding: integer ids to learned vectors, ``Y[..., :] = W[id, :]``; the gradient goes to the rows used."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..init import Initializer
from ..shape import Shape
from ..tensor import Tensor
from .base import Layer

# float32 holds every integer up to 2**24 exactly; beyond, ids would round silently.
_EXACT_FLOAT32_IDS = 2 ** 24


class Embedding(Layer):
    """A lookup table ``W`` ``[V, D]``: id ``k`` becomes row ``W[k, :]``.

    Input: ids ``[N]`` (one per sample) or ``[N, T]`` (a sequence per
    sample, so ``Embedding -> LSTM`` works), stored in the float tensor the
    network passes (the InputLayer converts integer data to it). Every id
    must be a whole number in ``[0, V)``. Output ``[N, D]`` or ``[N, T, D]``.

    With ``r`` the column-major offset of an id (``r = n + N·t``), which is
    also the row of the output as a ``[R, D]`` matrix:

    ===============  ==============================================================
    forward          ``Y[r, :] = W[id_r, :]`` (a gather)
    backward         ``δX = 0``: ids are indices, not values, and have no gradient
    delta weights    ``∂L/∂W[k, :] += Σ_{r: id_r = k} δY[r, :]`` (a scatter-add:
                     a repeated id adds up its rows, ``np.add.at``; unused rows get 0)
    ===============  ==============================================================

    Backward overwrites the input deltas with zeros (the protocol: backward
    overwrites ``δX``); a network skips it anyway when the Embedding is the
    first layer (``backprop(..., input_deltas=False)``, as the trainer does).

    Args:
        num_embeddings: V, the number of ids (vocabulary size).
        embedding_dim: D, the length of each vector.
        weights: optional initial table, a ``[V, D]`` array-like (logical
            indexing: ``weights[k][d]``).
        init: initialiser of the table when ``weights`` is not given: any name
            of ``framework.init``, ``("normal", s)``, or a callable
            ``init(shape, rng)``. Default ``("normal", 1.0)``: N(0, 1), as
            PyTorch's ``nn.Embedding``.
        seed: seed or Generator for the initialiser.
        dtype: float32 (default) or float64 (gradient checks). float32 holds
            ids exactly only up to 2**24, so a larger ``num_embeddings``
            needs float64.

    Raises:
        ValueError: non-positive sizes, or ``num_embeddings > 2**24`` in float32.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, weights: Any = None,
                 init: str | tuple[str, float] | Initializer = ("normal", 1.0),
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if np.dtype(dtype) == np.float32 and self.num_embeddings > _EXACT_FLOAT32_IDS:
            raise ValueError(f"{self}: float32 holds ids exactly only up to 2**24 = "
                             f"{_EXACT_FLOAT32_IDS}; use dtype=np.float64 (InputLayer too)")
        self.add_param("weights", (self.num_embeddings, self.embedding_dim), init=init,
                       value=weights, rng=seed, dtype=dtype)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[N]`` -> ``[N, D]``, ``[N, T]`` -> ``[N, T, D]``.

        Raises:
            ValueError: for an input with more than 2 dims.
        """
        dims = Shape(input_shape).dims
        if len(dims) > 2:
            raise ValueError(f"{self}: input must be ids [N] or [N, T], got Shape{list(dims)} "
                             f"(an InputLayer(()) or InputLayer(T) makes them)")
        return Shape(dims + (self.embedding_dim,))

    def ids(self, x: Tensor) -> np.ndarray:
        """The ids of ``x`` as integers, in storage (column-major) order.

        Raises:
            ValueError: an id that is not a whole number or not in ``[0, V)``,
                naming the first one and its sample (and step).
        """
        values = x.elements
        whole = values == np.floor(values)            # False for NaN
        bad = ~whole | (values < 0) | (values >= self.num_embeddings)
        if bad.any():
            r = int(np.argmax(bad))
            n, t = r % x.shape[0], r // x.shape[0]
            where = f"sample {n}" + (f", step {t}" if x.shape.ndim == 2 else "")
            value = float(values[r])
            if whole[r] and np.isfinite(value):
                raise ValueError(f"{self}: id {int(value)} at {where} is out of range "
                                 f"[0, {self.num_embeddings})")
            raise ValueError(f"{self}: id {value} at {where} is not a whole number; ids must be "
                             f"integers in [0, {self.num_embeddings})")
        ids = values.astype(np.intp)
        return ids

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``Y[r, :] = W[id_r, :]`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        y.matrix()[...] = self.weights.view()[self.ids(x)]

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δX = 0``: ids have no gradient (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        x.deltas[...] = 0.0

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """``∂W[id_r, :] += δY[r, :]`` for every row ``r`` (accumulate; repeated ids add up)."""
        x, y = self.check_io(in_tensors, out_tensors)
        np.add.at(self.weights.delta_view(), self.ids(x), y.delta_matrix())

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}->{self.embedding_dim})"
