"""Exercises 4.6-4.7: the order reverse mode visits the graph in, and the backward pass (see README.md).

The nodes are the engine's Values (``framework.autodiff.Value``):
``v.op`` is the name of the operation that made v (None for a leaf),
``v.inputs`` its input Values, ``v.ctx`` what the forward rule saved,
``v.requires_grad`` whether a gradient flows into v, ``v.grad`` its gradient.
"""
from __future__ import annotations

import contextlib

import numpy as np

from framework.autodiff import engine as ad_engine
from framework.autodiff import graph as ad_graph
from framework.autodiff.rules import RULES


# -- 4.6 the topological order --------------------------------------------------------------------
def topological_order(root):
    """Every value root depends on that requires a gradient, root first, each after ALL its users."""
    post = []
    seen = {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child.requires_grad and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            post.append(node)  # after every input: inputs come first in post
    post.reverse()  # so users come first
    return post


# -- 4.7 the backward pass -------------------------------------------------------------------------
def backward_pass(root, seed, order):
    """Fill .grad of every value in order (root first), adding the shares at forks."""
    accumulator = {id(root): seed}
    for node in order:
        g = accumulator.pop(id(node), None)
        if g is None:
            continue
        if node.op is None:  # a leaf: accumulate across backward calls
            if node.grad is None:
                node.grad = np.array(g, dtype=node.dtype)
            else:
                node.grad = node.grad + g
            continue
        node.grad = g
        backward_rule = RULES[node.op][1]
        shares = backward_rule(node.ctx, g)
        for inp, share in zip(node.inputs, shares):
            if share is None or not inp.requires_grad:
                continue
            if id(inp) in accumulator:
                accumulator[id(inp)] = accumulator[id(inp)] + share
            else:
                accumulator[id(inp)] = share


# -- given: run the engine on your code ------------------------------------------------------------
@contextlib.contextmanager
def my_engine(gates=None):
    """Inside ``with my_engine(gates):`` Value.backward() runs your sort, your pass and your rules.

    Your topological_order and backward_pass replace the engine's; with ``gates`` (your gates.py,
    imported), its mul, matmul, sum and sigmoid rules replace the engine's too. Everything is
    restored on exit.
    """
    saved_rules = dict(RULES)
    saved = ad_graph.topological_order, ad_engine.run_backward
    try:
        ad_graph.topological_order, ad_engine.run_backward = topological_order, backward_pass
        for op in ("mul", "matmul", "sum", "sigmoid") if gates is not None else ():
            RULES[op] = (getattr(gates, f"{op}_forward"), getattr(gates, f"{op}_backward"))
        yield
    finally:
        RULES.clear()
        RULES.update(saved_rules)
        ad_graph.topological_order, ad_engine.run_backward = saved
