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
    raise NotImplementedError("Exercise 4.6: topological_order — depth first from the root with "
                              "an explicit stack; emit a node after all its inputs, then reverse: "
                              "root first, every node after all its users")


# -- 4.7 the backward pass -------------------------------------------------------------------------
def backward_pass(root, seed, order):
    """Fill .grad of every value in order (root first), adding the shares at forks."""
    raise NotImplementedError("Exercise 4.7: backward_pass — for each node in order: take its "
                              "gradient, call RULES[node.op][1](node.ctx, g), ADD each share into "
                              "the input's accumulator (forks add up); a leaf adds into .grad")


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
