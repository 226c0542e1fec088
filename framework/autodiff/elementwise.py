"""Elementwise operations: each public function, its forward rule and its backward rule, side by side.

Binary operations broadcast like NumPy; their backward rules sum the
gradient back to each input's shape with :func:`unbroadcast` (a broadcast
input is used once per copy: a fork). ``g`` is always ``∂(root)/∂(output)``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .rules import lift_pair, register, unbroadcast
from .engine import apply
from .value import Value


# ---------------------------------------------------------------- add: z = a + b
def add(a: Any, b: Any) -> Value:
    """``a + b`` with broadcasting."""
    return apply("add", lift_pair(a, b, "add"))


def add_forward(ctx, a, b):
    ctx.shapes = (a.shape, b.shape)
    return a + b


def add_backward(ctx, g):
    # ∂z/∂a = ∂z/∂b = 1
    return unbroadcast(g, ctx.shapes[0]), unbroadcast(g, ctx.shapes[1])


# ---------------------------------------------------------------- sub: z = a − b
def sub(a: Any, b: Any) -> Value:
    """``a − b`` with broadcasting."""
    return apply("sub", lift_pair(a, b, "sub"))


def sub_forward(ctx, a, b):
    ctx.shapes = (a.shape, b.shape)
    return a - b


def sub_backward(ctx, g):
    return unbroadcast(g, ctx.shapes[0]), (unbroadcast(-g, ctx.shapes[1]) if ctx.needs[1] else None)


# ---------------------------------------------------------------- mul: z = a ⊙ b
def mul(a: Any, b: Any) -> Value:
    """``a ⊙ b`` (elementwise) with broadcasting."""
    return apply("mul", lift_pair(a, b, "mul"))


def mul_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a * b


def mul_backward(ctx, g):
    # Kamper's MultiplyGate: δa = b·δz, δb = a·δz
    ga = unbroadcast(g * ctx.b, ctx.a.shape) if ctx.needs[0] else None
    gb = unbroadcast(g * ctx.a, ctx.b.shape) if ctx.needs[1] else None
    return ga, gb


# ---------------------------------------------------------------- div: z = a / b
def div(a: Any, b: Any) -> Value:
    """``a / b`` (elementwise) with broadcasting."""
    return apply("div", lift_pair(a, b, "div"))


def div_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return a / b


def div_backward(ctx, g):
    # ∂z/∂a = 1/b, ∂z/∂b = −a/b²
    ga = unbroadcast(g / ctx.b, ctx.a.shape) if ctx.needs[0] else None
    gb = unbroadcast(-g * ctx.a / (ctx.b * ctx.b), ctx.b.shape) if ctx.needs[1] else None
    return ga, gb


# ---------------------------------------------------------------- neg: z = −a
def neg(a: Value) -> Value:
    """``−a``."""
    return apply("neg", (a,))


def neg_forward(ctx, a):
    return -a


def neg_backward(ctx, g):
    return (-g,)


# ---------------------------------------------------------------- pow: z = a^p, p a constant
def pow(a: Value, exponent: float) -> Value:  # noqa: A001  (the operation's name)
    """``a ** p`` elementwise for a constant number ``p``."""
    if isinstance(exponent, Value) or np.ndim(exponent) != 0:
        raise TypeError(f"pow: the exponent must be a number, got {type(exponent).__name__}")
    return apply("pow", (a,), p=float(exponent))


def pow_forward(ctx, a, p):
    ctx.a, ctx.p = a, p
    return a ** p


def pow_backward(ctx, g):
    # ∂z/∂a = p·a^(p−1)
    return (g * ctx.p * ctx.a ** (ctx.p - 1),)


# ---------------------------------------------------------------- exp, log, sqrt
def exp(a: Value) -> Value:
    """``exp(a)``."""
    return apply("exp", (a,))


def exp_forward(ctx, a):
    ctx.out = np.exp(a)
    return ctx.out


def exp_backward(ctx, g):
    return (g * ctx.out,)  # exp' = exp, the output itself


def log(a: Value) -> Value:
    """Natural ``log(a)``."""
    return apply("log", (a,))


def log_forward(ctx, a):
    ctx.a = a
    return np.log(a)


def log_backward(ctx, g):
    return (g / ctx.a,)


def sqrt(a: Value) -> Value:
    """``sqrt(a)``."""
    return apply("sqrt", (a,))


def sqrt_forward(ctx, a):
    ctx.out = np.sqrt(a)
    return ctx.out


def sqrt_backward(ctx, g):
    return (g * 0.5 / ctx.out,)  # ∂√a/∂a = 1/(2√a)


# ---------------------------------------------------------------- where, maximum, relu
def where(condition: Any, a: Any, b: Any) -> Value:
    """``a`` where ``condition`` holds, else ``b`` (broadcasting); the condition is not differentiated.

    Args:
        condition: boolean array-like (e.g. ``x > 0``, which gives a mask).
        a, b: Values or constants.
    """
    va, vb = lift_pair(a, b, "where")
    return apply("where", (va, vb), condition=np.asarray(condition, dtype=bool))


def where_forward(ctx, a, b, condition):
    ctx.cond, ctx.shapes = condition, (a.shape, b.shape)
    return np.where(condition, a, b)


def where_backward(ctx, g):
    zero = np.zeros((), g.dtype)
    ga = unbroadcast(np.where(ctx.cond, g, zero), ctx.shapes[0]) if ctx.needs[0] else None
    gb = unbroadcast(np.where(ctx.cond, zero, g), ctx.shapes[1]) if ctx.needs[1] else None
    return ga, gb


def maximum(a: Any, b: Any) -> Value:
    """Elementwise ``max(a, b)``; at a tie each side gets half the gradient."""
    return apply("maximum", lift_pair(a, b, "maximum"))


def maximum_forward(ctx, a, b):
    ctx.a, ctx.b = a, b
    return np.maximum(a, b)


def maximum_backward(ctx, g):
    a, b = ctx.a, ctx.b
    share = ((a > b) + 0.5 * (a == b)).astype(g.dtype)  # 1 where a wins, ½ at a tie, 0 where b wins
    ga = unbroadcast(g * share, a.shape) if ctx.needs[0] else None
    gb = unbroadcast(g * (1 - share), b.shape) if ctx.needs[1] else None
    return ga, gb


def relu(x: Value) -> Value:
    """``max(x, 0)`` as ``where(x > 0, x, 0)``: the derivative at 0 is 0, as in the ReLU layer."""
    return where(x.data > 0, x, 0.0)


# ---------------------------------------------------------------- sigmoid, tanh
def sigmoid(a: Value) -> Value:
    """``σ(a) = 1 / (1 + exp(−a))``."""
    return apply("sigmoid", (a,))


def sigmoid_forward(ctx, a):
    # split by sign so exp never gets a positive argument (no overflow)
    e = np.exp(-np.abs(a))
    ctx.out = np.where(a >= 0, 1, e) / (1 + e)
    return ctx.out


def sigmoid_backward(ctx, g):
    s = ctx.out
    return (g * s * (1 - s),)  # σ' = σ(1 − σ), from the output


def tanh(a: Value) -> Value:
    """``tanh(a)``."""
    return apply("tanh", (a,))


def tanh_forward(ctx, a):
    ctx.out = np.tanh(a)
    return ctx.out


def tanh_backward(ctx, g):
    return (g * (1 - ctx.out * ctx.out),)


for _name in ("add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "where", "maximum",
              "sigmoid", "tanh"):
    register(_name, globals()[f"{_name}_forward"], globals()[f"{_name}_backward"])
