"""Recording and replaying the graph: ``apply`` runs an operation's forward rule and links the node,
``run_backward`` applies the backward rules in reverse topological order, adding at forks.
``no_grad`` switches the recording off.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .value import Value

_grad_enabled = True  # switched by no_grad()


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside ``with no_grad():`` operations compute values but record no graph (evaluation).

    Yields:
        Nothing; the previous mode is restored on exit, also after an error.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """Whether operations currently record the graph (False inside :func:`no_grad`)."""
    return _grad_enabled


class Context:
    """What a forward rule saves for its backward rule (attributes set freely).

    ``needs`` is filled by the engine: one bool per input, whether that
    input's gradient is wanted, so a rule can skip work (the data's gradient
    in the first matrix product of a network).
    """

    needs: tuple[bool, ...] = ()


def run_backward(root: Value, seed: np.ndarray, order: Sequence[Value]) -> None:
    """Apply every node's backward rule in ``order`` (root first), accumulating at forks.

    Args:
        root: the value ``backward()`` was called on.
        seed: ``∂(root)/∂(root)``.
        order: the nodes reachable from ``root`` that require a gradient,
            each after every node that uses it (reverse topological order).
    """
    from .rules import RULES
    pending: dict[int, np.ndarray] = {id(root): seed}
    for node in order:
        g = pending.pop(id(node), None)
        if g is None:
            continue  # no path from the root carries a gradient here
        if node.op is None:
            # a leaf: accumulate across backward calls (see the module docstring)
            if node.grad is None:
                node.grad = np.array(g, dtype=node.dtype, copy=True)
            else:
                node.grad += g
            continue
        node.grad = g  # an intermediate: this backward's gradient
        ctx = node.ctx
        grads = RULES[node.op][1](ctx, g)
        for inp, gi in zip(node.inputs, grads):
            if gi is None or not inp.requires_grad:
                continue
            if gi.shape != inp.shape:
                raise RuntimeError(f"backward rule of {node.op} returned a gradient of shape "
                                   f"{gi.shape} for an input of shape {inp.shape}")
            key = id(inp)
            prev = pending.get(key)
            # the fork rule: δU ← δU + prod(∂Z/∂U, δZ); a new array, never in place,
            # since the first share may be a view another node still holds
            pending[key] = gi if prev is None else prev + gi


def apply(op: str, inputs: Sequence[Value], **attrs: Any) -> Value:
    """Run operation ``op``'s forward rule on the inputs' data and record the node.

    Args:
        op: a key of :data:`rules.RULES`.
        inputs: the input Values.
        **attrs: non-differentiable arguments (axes, shapes, strides),
            passed to the forward rule and kept for :func:`to_dot`.

    Returns:
        The output Value; it requires a gradient when any input does (and
        the graph is being recorded).
    """
    from .rules import RULES
    forward: Callable[..., np.ndarray] = RULES[op][0]
    ctx = Context()
    out = Value(forward(ctx, *[v.data for v in inputs], **attrs))
    if _grad_enabled:
        needs = tuple(v.requires_grad for v in inputs)
        if any(needs):
            ctx.needs = needs
            out.op, out.inputs, out.ctx, out.requires_grad = op, tuple(inputs), ctx, True
            out.attrs = attrs
    return out
