"""Matrix product, shapes, reductions, indexing and joining: each public function next to its two rules."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .rules import lift, lift_pair, register, unbroadcast
from .engine import apply
from .value import Value


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or ints, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


# ---------------------------------------------------------------- matmul: Z = A·B
def matmul(a: Any, b: Any) -> Value:
    """Matrix product ``A·B`` of 2-D (or batched, broadcasting) Values.

    Raises:
        ValueError: for a 1-D operand (make it a row ``[1, n]``) or inner
            dims that differ.
    """
    va, vb = lift_pair(a, b, "matmul")
    if va.ndim < 2 or vb.ndim < 2:
        raise ValueError(f"matmul: operands must be at least 2-D (rows), got shapes {va.shape} and "
                         f"{vb.shape}; reshape a vector to [1, n]")
    if va.shape[-1] != vb.shape[-2]:
        raise ValueError(f"matmul: {va.shape} · {vb.shape}: inner dims {va.shape[-1]} and "
                         f"{vb.shape[-2]} differ")
    return apply("matmul", (va, vb))


def matmul_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a @ b


def matmul_backward(ctx, g):
    # Z = A·B: δA = δZ·Bᵀ, δB = Aᵀ·δZ (the fully connected layer's cheat sheet)
    a, b = ctx.a, ctx.b
    ga = unbroadcast(g @ np.swapaxes(b, -1, -2), a.shape) if ctx.needs[0] else None
    gb = unbroadcast(np.swapaxes(a, -1, -2) @ g, b.shape) if ctx.needs[1] else None
    return ga, gb


# ---------------------------------------------------------------- transpose, reshape
def transpose(a: Value, axes: Sequence[int] | None = None) -> Value:
    """Permute the axes (default: reverse them; ``A.T`` of a matrix)."""
    perm = tuple(reversed(range(a.ndim))) if axes is None else tuple(int(x) for x in axes)
    return apply("transpose", (a,), axes=perm)


def transpose_forward(ctx, a, axes):
    ctx.axes = axes
    return np.transpose(a, axes)


def transpose_backward(ctx, g):
    return (np.transpose(g, np.argsort(ctx.axes)),)  # the inverse permutation


def reshape(a: Value, shape: Sequence[int], order: str = "C") -> Value:
    """The same numbers in another shape.

    Args:
        a: the Value.
        shape: the new shape (one ``-1`` allowed).
        order: ``"C"`` (NumPy's default) or ``"F"``: the framework's
            column-major order, so ``reshape(x, (N, -1), order="F")`` is the
            ``Flatten`` layer.
    """
    return apply("reshape", (a,), shape=tuple(int(s) for s in shape), order=order)


def reshape_forward(ctx, a, shape, order):
    ctx.shape, ctx.order = a.shape, order
    return a.reshape(shape, order=order)


def reshape_backward(ctx, g):
    return (g.reshape(ctx.shape, order=ctx.order),)


# ---------------------------------------------------------------- sum, mean, max over axes
def sum(a: Value, axis: Any = None, keepdims: bool = False) -> Value:  # noqa: A001
    """Sum over ``axis`` (None: all)."""
    return apply("sum", (a,), axes=_axes(axis, a.ndim), keepdims=bool(keepdims))


def sum_forward(ctx, a, axes, keepdims):
    ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
    return a.sum(axis=axes, keepdims=keepdims)


def sum_backward(ctx, g):
    # every summed element gets the sum's gradient: broadcast it back
    if not ctx.keepdims:
        g = np.expand_dims(g, ctx.axes)
    return (np.broadcast_to(g, ctx.shape),)


def mean(a: Value, axis: Any = None, keepdims: bool = False) -> Value:
    """Mean over ``axis`` (None: all)."""
    axes = _axes(axis, a.ndim)
    return apply("mean", (a,), axes=axes, keepdims=bool(keepdims))


def mean_forward(ctx, a, axes, keepdims):
    ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
    ctx.count = int(np.prod([a.shape[i] for i in axes]))
    return a.mean(axis=axes, keepdims=keepdims)


def mean_backward(ctx, g):
    if not ctx.keepdims:
        g = np.expand_dims(g, ctx.axes)
    return (np.broadcast_to(g / ctx.count, ctx.shape),)


def max(a: Value, axis: Any = None, keepdims: bool = False) -> Value:  # noqa: A001
    """Maximum over ``axis`` (None: all); tied maxima share the gradient equally."""
    return apply("max", (a,), axes=_axes(axis, a.ndim), keepdims=bool(keepdims))


def max_forward(ctx, a, axes, keepdims):
    m = a.max(axis=axes, keepdims=True)
    ctx.winners = a == m
    ctx.count = ctx.winners.sum(axis=axes, keepdims=True)
    ctx.axes, ctx.keepdims = axes, keepdims
    return m if keepdims else np.squeeze(m, axis=axes)


def max_backward(ctx, g):
    if not ctx.keepdims:
        g = np.expand_dims(g, ctx.axes)
    return (np.where(ctx.winners, g / ctx.count, np.zeros((), g.dtype)),)


# ---------------------------------------------------------------- indexing and slicing
def getitem(a: Value, index: Any) -> Value:
    """``a[index]``: ints, slices, ``None``, ``...`` and integer/boolean arrays, as in NumPy."""
    if isinstance(index, Value):
        raise TypeError("getitem: index with an int array or a mask, not with a Value")
    return apply("getitem", (a,), index=index)


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def getitem_forward(ctx, a, index):
    ctx.shape, ctx.index, ctx.dtype = a.shape, index, a.dtype
    return a[index]


def getitem_backward(ctx, g):
    # scatter the gradient back to where the elements were read; an element
    # read twice (repeated integer index) gets both shares: np.add.at
    z = np.zeros(ctx.shape, ctx.dtype)
    if _is_basic(ctx.index):
        z[ctx.index] = g
    else:
        np.add.at(z, ctx.index, g)
    return (z,)


# ---------------------------------------------------------------- concatenate, stack, pad
def concatenate(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values along an existing ``axis``."""
    vs = _same_dtype(values, "concatenate")
    return apply("concatenate", vs, axis=int(axis))


def concatenate_forward(ctx, *arrays, axis):
    ctx.axis = axis
    ctx.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
    return np.concatenate(arrays, axis=axis)


def concatenate_backward(ctx, g):
    return tuple(np.split(g, ctx.bounds, axis=ctx.axis))


def stack(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values of one shape along a new ``axis``."""
    vs = _same_dtype(values, "stack")
    return apply("stack", vs, axis=int(axis))


def stack_forward(ctx, *arrays, axis):
    out = np.stack(arrays, axis=axis)
    ctx.axis, ctx.n = axis % out.ndim, len(arrays)
    return out


def stack_backward(ctx, g):
    return tuple(np.take(g, i, axis=ctx.axis) for i in range(ctx.n))


def pad(a: Value, widths: Sequence[tuple[int, int]]) -> Value:
    """Zero padding: ``widths[d] = (before, after)`` for every dim of ``a``."""
    return apply("pad", (a,), widths=tuple((int(lo), int(hi)) for lo, hi in widths))


def pad_forward(ctx, a, widths):
    ctx.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
    return np.pad(a, widths)


def pad_backward(ctx, g):
    return (g[ctx.crop],)  # the padding is constant: only the inner part flows back


def _same_dtype(values: Sequence[Any], op: str) -> tuple[Value, ...]:
    if not values:
        raise ValueError(f"{op}: needs at least one Value")
    like = next((v for v in values if isinstance(v, Value)), None)
    vs = tuple(lift(v, like) for v in values)
    if len({v.dtype for v in vs}) > 1:
        raise TypeError(f"{op}: the Values have dtypes {[str(v.dtype) for v in vs]}; use one dtype")
    return vs


for _name in ("matmul", "transpose", "reshape", "sum", "mean", "max", "getitem", "concatenate",
              "stack", "pad"):
    register(_name, globals()[f"{_name}_forward"], globals()[f"{_name}_backward"])
