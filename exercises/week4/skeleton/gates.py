"""Exercises 4.1-4.5: write the backward rules of Kamper's gates (see README.md).

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
    raise NotImplementedError("Exercise 4.1: unbroadcast — sum g over the leading dims "
                              "broadcasting added and over every dim where shape has size 1 "
                              "(keepdims)")


# -- 4.2 mul: z = a ⊙ b (broadcasting) -------------------------------------------------------------
def mul_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a * b


def mul_backward(ctx, g):
    raise NotImplementedError("Exercise 4.2: mul_backward — δa = g·b, δb = g·a, each summed "
                              "back to its input's shape with unbroadcast")


# -- 4.3 matmul: Z = A·B ---------------------------------------------------------------------------
def matmul_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a @ b


def matmul_backward(ctx, g):
    raise NotImplementedError("Exercise 4.3: matmul_backward — δA = δZ·Bᵀ, δB = Aᵀ·δZ")


# -- 4.4 sum over axes: z = Σ_axes a ---------------------------------------------------------------
def sum_forward(ctx, a, axes, keepdims):
    ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
    return a.sum(axis=axes, keepdims=keepdims)


def sum_backward(ctx, g):
    raise NotImplementedError("Exercise 4.4: sum_backward — every summed element gets g: put "
                              "the summed axes back (size 1) and broadcast g to the input's shape")


# -- 4.5 sigmoid: z = σ(a) -------------------------------------------------------------------------
def sigmoid_forward(ctx, a):
    ctx.a = a
    ctx.out = 1.0 / (1.0 + np.exp(-a))
    return ctx.out


def sigmoid_backward(ctx, g):
    raise NotImplementedError("Exercise 4.5: sigmoid_backward — δa = g ⊙ σ(a)·(1 − σ(a)), "
                              "with σ(a) the output of forward")
