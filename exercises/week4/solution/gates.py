"""Exercises 4.1-4.5: the backward rules of Kamper's gates (see README.md).

Every operation is a pair of rules, as in the engine (framework/autodiff/rules.py):

forward(ctx, *inputs, **attrs) -> output    given: computes the output, saves on ctx what backward needs
backward(ctx, g) -> (δ of each input,)      you write: g = ∂L/∂output; return prod(∂output/∂input, g)
                                            for every input, each of exactly that input's shape

All arrays are NumPy float64. ``ctx`` is a plain object; read back what forward saved.
"""
from __future__ import annotations

import numpy as np


# -- 4.1 broadcasting: the gradient summed back to the input's shape -----------------------------
def unbroadcast(g, shape):
    """Sum ``g`` (the gradient of a broadcast result) back to ``shape`` (the input's shape)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)  # a leading dim that broadcasting added: every copy used the input
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)  # a size-1 dim stretched to g.shape[axis]
    return g


# -- 4.2 mul: z = a ⊙ b (broadcasting) -------------------------------------------------------------
def mul_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a * b


def mul_backward(ctx, g):
    # Kamper's MultiplyGate: δa = b·δz, δb = a·δz, each summed back to its input's shape
    delta_a = unbroadcast(g * ctx.b, ctx.a.shape)
    delta_b = unbroadcast(g * ctx.a, ctx.b.shape)
    return delta_a, delta_b


# -- 4.3 matmul: Z = A·B ---------------------------------------------------------------------------
def matmul_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a @ b


def matmul_backward(ctx, g):
    delta_a = g @ ctx.b.T
    delta_b = ctx.a.T @ g
    return delta_a, delta_b


# -- 4.4 sum over axes: z = Σ_axes a ---------------------------------------------------------------
def sum_forward(ctx, a, axes, keepdims):
    ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
    return a.sum(axis=axes, keepdims=keepdims)


def sum_backward(ctx, g):
    if not ctx.keepdims:
        g = np.expand_dims(g, ctx.axes)  # put the summed axes back, with size 1
    return (np.broadcast_to(g, ctx.shape).copy(),)


# -- 4.5 sigmoid: z = σ(a) -------------------------------------------------------------------------
def sigmoid_forward(ctx, a):
    ctx.a = a
    ctx.out = 1.0 / (1.0 + np.exp(-a))
    return ctx.out


def sigmoid_backward(ctx, g):
    s = ctx.out  # σ(a), computed by forward
    return (g * s * (1 - s),)
