"""The table of operations: name -> (forward rule, backward rule), and helpers every rule shares.

A **forward rule** ``f(ctx, *arrays, **attrs) -> array`` computes the
output from the inputs' data and saves on ``ctx`` what its backward needs.
A **backward rule** ``b(ctx, g) -> tuple`` gets ``g = ∂(root)/∂(output)``
and returns, for every input, ``prod(∂output/∂input, g)``: an array of the
input's shape, or None where ``ctx.needs`` says that input needs none.

Each rule is one module-level function, registered here by name, and the
engine looks it up at call time. So a rule can be replaced (an exercise
stub, a mutant in a test) by assigning ``RULES[name] = (forward, backward)``.
The rules themselves live next to each other, operation by operation, in
``elementwise.py``, ``shape_ops.py`` and ``nn_ops.py``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .value import Value

ForwardRule = Callable[..., np.ndarray]
BackwardRule = Callable[..., tuple]

RULES: dict[str, tuple[ForwardRule, BackwardRule]] = {}


def register(name: str, forward: ForwardRule, backward: BackwardRule) -> None:
    """Enter operation ``name`` in :data:`RULES` (called once per operation, at import)."""
    RULES[name] = (forward, backward)


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` back to ``shape``: the gradient of NumPy broadcasting.

    A broadcast input is *used* once per copy, a fork in Kamper's sense:
    its gradient is the sum of the copies' gradients, over the leading dims
    broadcasting added and over every dim where the input had size 1.

    Args:
        g: gradient of the broadcast result.
        shape: the input's shape.

    Returns:
        An array of ``shape`` (``g`` itself when nothing was broadcast).
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def lift(x: Any, like: Value | None = None) -> Value:
    """``x`` as a Value: a Value passes through, anything else becomes a constant.

    Args:
        x: a Value, a number or an array-like.
        like: a Value whose dtype a constant takes (so ``2 * v`` stays float32).

    Returns:
        A Value (constants have ``requires_grad=False``).
    """
    if isinstance(x, Value):
        return x
    dtype = like.dtype if like is not None else np.float64
    return Value(np.asarray(x, dtype=dtype))


def lift_pair(a: Any, b: Any, op: str) -> tuple[Value, Value]:
    """Both operands of a binary operation as Values of one dtype.

    Raises:
        TypeError: when two Values have different dtypes (float32 with
            float64), naming the operation: NumPy would silently promote.
    """
    like = a if isinstance(a, Value) else b if isinstance(b, Value) else None
    va, vb = lift(a, like), lift(b, like)
    if va.dtype != vb.dtype:
        raise TypeError(f"{op}: operands are {va.dtype} {va.shape} and {vb.dtype} {vb.shape}; "
                        f"convert one (every value of a graph should have one dtype)")
    return va, vb
