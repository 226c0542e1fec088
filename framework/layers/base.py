"""The layer contract, written once for every layer (as in Caffe's ``Layer``).

A layer maps ``in_tensors`` to ``out_tensors`` (lists; in this lecture they
hold one tensor each). Three methods, three rules:

==========================  =======================================  ==============
method                      reads                                    writes
==========================  =======================================  ==============
``forward``                 in elements (and parameters)             out elements: **overwrite**
``backward``                out deltas, in/out elements, parameters  in deltas: **overwrite**
``calculate_delta_weights`` in elements, out deltas                  parameter deltas: **accumulate** (``+=``)
==========================  =======================================  ==============

Parameter deltas accumulate so that a parameter used in several places (or
several micro-batches) sums its gradients, as at a fork in the lecture notes;
the trainer zeroes them once per step. Layers keep no hidden state between
forward and backward unless they must (the LSTM does): what backward needs is
in the tensors it is given.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import backend
from ..shape import Shape
from ..tensor import Tensor


class Layer:
    """Base class of every layer: the protocol and its shape checks.

    Subclasses implement :meth:`forward`, :meth:`backward`,
    :meth:`output_shape` and, when they have parameters,
    :meth:`calculate_delta_weights` and :attr:`params`.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Fill the elements of ``out_tensors`` from the elements of ``in_tensors``.

        Args:
            in_tensors: inputs; read only.
            out_tensors: outputs, preallocated with :meth:`output_shape`;
                their elements are overwritten.
        """
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Fill the deltas of ``in_tensors`` from the deltas of ``out_tensors``.

        Args:
            out_tensors: outputs of the last forward, with their deltas set.
            in_tensors: inputs of the last forward; their deltas are overwritten.
        """
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """Add this batch's gradient to the deltas of every parameter (``+=``).

        Layers without parameters do nothing.

        Args:
            out_tensors: outputs of the last forward, with their deltas set.
            in_tensors: inputs of the last forward.
        """

    @property
    def params(self) -> list[Tensor]:
        """Parameter tensors; their ``deltas`` hold the gradients. Empty by default."""
        return []

    def param_names(self) -> list[str]:
        """Names of :attr:`params`, in order: the attributes that hold them (``weights``, ``bias``).

        Used for readable gradient-check reports and as keys in saved files;
        a parameter not held by an attribute is called ``param i``.
        """
        by_id = {id(v): k for k, v in vars(self).items() if isinstance(v, Tensor)}
        return [by_id.get(id(p), f"param {i}") for i, p in enumerate(self.params)]

    def output_shape(self, input_shape: Shape) -> Shape:
        """Shape of the output for an input of ``input_shape`` (batch dim included).

        Raises:
            ValueError: naming the layer, expected and actual shape, when the
                input does not fit.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement output_shape(input_shape), "
                                  f"returning the output's Shape (batch dim included)")

    # -- helpers shared by every layer -------------------------------------------
    def check_io(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        """Check a one-in/one-out call and return ``(x, y)``.

        Raises:
            ValueError: when the lists do not hold one tensor each, or ``y``
                does not have the shape ``output_shape(x.shape)``.
        """
        if len(in_tensors) != 1 or len(out_tensors) != 1:
            raise ValueError(f"{self}: expected 1 input and 1 output tensor, "
                             f"got {len(in_tensors)} and {len(out_tensors)}")
        x, y = in_tensors[0], out_tensors[0]
        # Forward, backward and delta weights all check the same pair every
        # step: remember the last pair that passed instead of rebuilding shapes.
        key = (x.shape.dims, y.shape.dims, x.dtype, y.dtype,
               tuple(p.elements.dtype for p in self.params))
        if key == getattr(self, "_checked_io", None):
            return x, y
        expected = self.output_shape(x.shape)
        if y.shape != expected:
            raise ValueError(f"{self}: output tensor has {y.shape}, expected {expected} "
                             f"for input {x.shape}")
        if x.dtype != y.dtype:
            raise TypeError(f"{self}: input is {x.dtype} but output is {y.dtype}")
        for p in self.params:
            if p.dtype != x.dtype:
                raise TypeError(f"{self}: input is {x.dtype} but the parameters are {p.dtype}; "
                                f"build the InputLayer and every layer with the same dtype")
        self._checked_io = key
        return x, y

    def astype_(self, dtype: np.dtype | type) -> None:
        """Convert every parameter to ``dtype`` in place (float64 for gradient checks)."""
        for p in self.params:
            p.astype_(dtype)

    def zero_deltas(self) -> None:
        """Set every parameter delta to zero."""
        for p in self.params:
            p.zero_deltas()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ElementwiseLayer(Layer):
    """A layer applying one function to every element; output shape = input shape.

    Subclasses name their backend kernels with ``op`` (the backend provides
    ``{op}_forward(x, y)`` and ``{op}_backward(s, dy, dx)``) and say with
    ``backward_from_output`` whether the derivative is computed from the
    output ``y`` (sigmoid, tanh: cheaper, no exp again) or the input ``x`` (ReLU).
    """

    op: str = ""
    backward_from_output: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        """Elementwise layers keep the shape."""
        return Shape(input_shape)

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Overwrite the output elements with ``f(x)``."""
        x, y = self.check_io(in_tensors, out_tensors)
        getattr(backend.get(x.dtype), f"{self.op}_forward")(x.elements, y.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Overwrite the input deltas with ``f'(x) ⊙ δY``."""
        x, y = self.check_io(in_tensors, out_tensors)
        source = y if self.backward_from_output else x
        getattr(backend.get(x.dtype), f"{self.op}_backward")(source.elements, y.deltas, x.deltas)
