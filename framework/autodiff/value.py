"""The engine's node: a ``Value`` wraps a NumPy array, remembers the operation that made it, and runs reverse mode.

Kamper's gates, in code: every operation is a node that knows its forward
and, for each input, the product ``prod(∂Z/∂U, δZ)`` (its backward rule,
``framework/autodiff/rules.py``). ``backward()`` visits the nodes in
reverse topological order and, for each, adds every input's share into that
input's accumulator: a value used twice (a fork) receives the sum of both
shares.

When gradients are zeroed
-------------------------
* **Leaves** (values you created, ``requires_grad=True``, e.g. parameters)
  *accumulate*: each ``backward()`` adds into ``.grad``, like the layers'
  ``calculate_delta_weights`` (``+=``). Zero them once per step with
  ``zero_grad()`` (or ``Module.zero_grad()`` / the optimizer).
* **Intermediate values** (made by an operation) get this backward's
  gradient in ``.grad``, *overwritten* by the next backward through them,
  like a tensor's deltas in ``backward``.

The graph is kept after ``backward()`` (nothing is freed), so a second
``backward()`` through it is allowed and adds the gradients to the leaves
again.
"""
from __future__ import annotations

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Value:
    """A node of the graph: ``data`` (a NumPy array), ``grad``, and how it was made.

    Args:
        data: array-like; float32 or float64 arrays keep their dtype,
            anything else becomes ``dtype``.
        requires_grad: whether ``backward()`` computes ``.grad`` for this
            leaf (parameters: True; data and constants: False).
        name: optional label for error messages and :func:`to_dot`.
        dtype: dtype for data that is not already a float32/float64 array;
            float64 by default (gradient checks), float32 for training.

    Attributes:
        data: the value, an ndarray.
        grad: ``∂(root)/∂(this value)`` after ``backward()``, same shape as
            ``data``, or None.
        op: name of the operation that made it (None for a leaf).
        inputs: the input Values of that operation.
    """

    __slots__ = ("data", "grad", "op", "inputs", "ctx", "requires_grad", "name", "attrs")
    __array_priority__ = 1000  # ndarray + Value calls Value.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 dtype: Any = np.float64) -> None:
        if isinstance(data, Value):
            data = data.data
        if isinstance(data, np.generic) and data.dtype in _FLOATS:
            data = np.asarray(data)  # a reduction's scalar keeps its dtype
        if not (isinstance(data, np.ndarray) and data.dtype in _FLOATS):
            data = np.asarray(data, dtype=dtype)
            if data.dtype not in _FLOATS:
                raise TypeError(f"Value: dtype must be float32 or float64, got {data.dtype}")
        self.data: np.ndarray = data
        self.grad: np.ndarray | None = None
        self.op: str | None = None
        self.inputs: tuple[Value, ...] = ()
        self.ctx: Any = None  # the engine's Context of the operation
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.attrs: dict[str, Any] = {}

    # -- what it is --------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dims of ``data``."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """dtype of ``data`` (float32 or float64)."""
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for values not made by a recorded operation."""
        return self.op is None

    def item(self) -> float:
        """The value of a one-element Value as a Python float."""
        return float(self.data.item())

    def numpy(self) -> np.ndarray:
        """The data (the array itself, not a copy)."""
        return self.data

    def detach(self) -> "Value":
        """A new leaf with the same data (shared, not copied) and no graph: gradients stop here."""
        return Value(self.data)

    def zero_grad(self) -> None:
        """Forget the gradient (``grad = None``); the next backward starts from zero."""
        self.grad = None

    def __repr__(self) -> str:
        label = f"{self.name}: " if self.name else ""
        made = f", op={self.op}" if self.op else ""
        grad = ", requires_grad" if self.requires_grad else ""
        if self.data.size <= 6:
            return f"Value({label}{np.array2string(self.data, precision=6)}{made}{grad})"
        return f"Value({label}shape={self.shape}, {self.dtype}{made}{grad})"

    # -- reverse mode ----------------------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Reverse mode from this value: fill ``.grad`` of every value it depends on.

        Args:
            grad: the seed ``∂(root)/∂(this)``, same shape as this value;
                may be omitted for a scalar (one element), where it is 1.

        Raises:
            ValueError: for a non-scalar without a seed, or a seed of the
                wrong shape.
            RuntimeError: if nothing in the graph requires a gradient.
        """
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a non-scalar {self._describe()} needs a seed gradient of "
                    f"shape {self.shape}: call backward(grad) or reduce it first, e.g. .sum()")
            seed = np.ones_like(self.data)
        else:
            seed = np.asarray(grad.data if isinstance(grad, Value) else grad, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(f"backward(): seed gradient has shape {seed.shape}, expected "
                                 f"{self.shape} (the shape of {self._describe()})")
        if not self.requires_grad:
            raise RuntimeError(f"backward() on {self._describe()}, which depends on no value with "
                               f"requires_grad=True (built under no_grad, or from constants only)")
        # late imports: the sort and the traversal live in their own modules, where an
        # exercise (or a test's mutant) can replace them
        from . import engine, graph
        engine.run_backward(self, seed, graph.topological_order(self))

    def _describe(self) -> str:
        what = f"'{self.name}'" if self.name else "value"
        made = f"made by {self.op}" if self.op else "a leaf"
        return f"{what} of shape {self.shape} ({made})"

    # -- operators: the methods delegate to the operations in ops_*.py ---------------------
    def __add__(self, other: Any) -> "Value":
        return _ops().add(self, other)

    def __radd__(self, other: Any) -> "Value":
        return _ops().add(other, self)

    def __sub__(self, other: Any) -> "Value":
        return _ops().sub(self, other)

    def __rsub__(self, other: Any) -> "Value":
        return _ops().sub(other, self)

    def __mul__(self, other: Any) -> "Value":
        return _ops().mul(self, other)

    def __rmul__(self, other: Any) -> "Value":
        return _ops().mul(other, self)

    def __truediv__(self, other: Any) -> "Value":
        return _ops().div(self, other)

    def __rtruediv__(self, other: Any) -> "Value":
        return _ops().div(other, self)

    def __neg__(self) -> "Value":
        return _ops().neg(self)

    def __pow__(self, exponent: float) -> "Value":
        return _ops().pow(self, exponent)

    def __matmul__(self, other: Any) -> "Value":
        return _ops().matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Value":
        return _ops().matmul(other, self)

    def __getitem__(self, index: Any) -> "Value":
        return _ops().getitem(self, index)

    def __gt__(self, other: Any) -> np.ndarray:
        # comparisons give plain boolean masks (not differentiable), for where()
        return self.data > (other.data if isinstance(other, Value) else other)

    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < (other.data if isinstance(other, Value) else other)

    __hash__ = object.__hash__

    @property
    def T(self) -> "Value":
        """Transpose (all axes reversed)."""
        return _ops().transpose(self)

    def transpose(self, axes: Sequence[int] | None = None) -> "Value":
        """See :func:`ops_shape.transpose`."""
        return _ops().transpose(self, axes)

    def reshape(self, *shape: Any, order: str = "C") -> "Value":
        """See :func:`ops_shape.reshape`."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops().reshape(self, shape, order=order)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Value":
        """See :func:`ops_shape.sum`."""
        return _ops().sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Value":
        """See :func:`ops_shape.mean`."""
        return _ops().mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Value":
        """See :func:`ops_shape.max`."""
        return _ops().max(self, axis, keepdims)

    def exp(self) -> "Value":
        """``exp(self)``."""
        return _ops().exp(self)

    def log(self) -> "Value":
        """``log(self)``."""
        return _ops().log(self)

    def sqrt(self) -> "Value":
        """``sqrt(self)``."""
        return _ops().sqrt(self)

    def sigmoid(self) -> "Value":
        """``σ(self)``."""
        return _ops().sigmoid(self)

    def tanh(self) -> "Value":
        """``tanh(self)``."""
        return _ops().tanh(self)

    def relu(self) -> "Value":
        """``max(self, 0)``."""
        return _ops().relu(self)


def _ops():
    from . import ops
    return ops
