"""Automatic differentiation (the lecture's week 4): a reverse-mode engine and layers on top of it.

Two levels, as in the DP teaching library:

* the **engine**: :class:`Value` nodes built by elementary operations
  (``ops``: each a forward and a backward rule side by side), reverse mode
  with ``Value.backward()``, :func:`no_grad`, :func:`to_dot`;
* the **higher level** (``framework.autodiff.nn``): layers, a ``Sequential``
  model, losses and an optimizer reusing the framework's initializers and
  optimizer flavors; and the bridge (``framework.autodiff.bridge``) between
  engine functions and the framework's ``Layer`` protocol.

See ``docs/autodiff.md``.
"""
from . import ops
from .graph import render, to_dot, topological_order
from .engine import is_grad_enabled, no_grad
from .value import Value

# The operations stay under ``ops.`` (``ops.sum``, ``ops.max`` would shadow builtins here).
__all__ = ["Value", "no_grad", "is_grad_enabled", "ops", "to_dot", "render", "topological_order"]
