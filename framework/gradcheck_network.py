"""Gradient check of a whole Network: backprop's deltas against finite differences of the loss.

Where :func:`~framework.gradcheck.check_layer` checks one layer with a
random linear "loss", this runs the network's own chain (every layer's
forward, the network's loss, every layer's backward and
calculate_delta_weights) in float64 and compares each parameter's deltas
and the input's deltas with central differences of the real loss. Large
quantities are sampled (``max_per_quantity`` elements each), so it stays
fast on a real network. It drives the layers through the protocol
directly, so it depends on nothing but ``network.input_layer``,
``network.layers`` and ``network.loss``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .gradcheck import (ATOL, EPS, KINK_TOL, RTOL, GradCheckReport, _finish, _numeric_check,
                        _refuse_nonfinite, _warnings_for)
from .shape import Shape
from .tensor import Tensor


def check_network(network: Any, input_shape: Any = None, *, inputs: Any = None,
                  targets: Any = None, seed: int = 0, eps: float = EPS, atol: float = ATOL,
                  rtol: float = RTOL, kink_tol: float = KINK_TOL, max_per_quantity: int = 60,
                  raise_on_failure: bool = True) -> GradCheckReport:
    """Check every parameter delta and the input deltas of a network against finite differences.

    Args:
        network: a :class:`~framework.network.Network`.
        input_shape: the batch's shape, ``[N, *sample_shape]`` (default ``N = 3``).
        inputs: optional input values of that shape; default standard normal.
        targets: optional labels or targets (as for ``Network.backprop``);
            default random class labels when the input layer has
            ``num_classes``, else standard normal targets.
        seed: seed of inputs, targets and the sampled elements.
        eps: finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        kink_tol: one-sided differences further apart than this mark a kink.
        max_per_quantity: check at most this many elements of each quantity.
        raise_on_failure: raise AssertionError (with the report) on failure.

    Returns:
        The report; quantities are named ``layer i (Layer) name`` and ``input deltas``.

    Raises:
        AssertionError: a quantity is wrong (with ``raise_on_failure``).
        ValueError: inputs or parameters with NaN/inf, or a shape that does not fit.
    """
    rng = np.random.default_rng(seed)
    il = network.input_layer
    if inputs is not None:
        x_values = np.asarray(inputs, dtype=np.float64)
    else:
        shape = Shape(input_shape if input_shape is not None else il.batch_shape(3))
        x_values = rng.standard_normal(shape.dims)
    _refuse_nonfinite(f"check_network({network!r})", "input", x_values)
    shape = Shape(x_values.shape)
    shapes = [shape]
    for layer in network.layers:
        shapes.append(layer.output_shape(shapes[-1]))
    if targets is None:
        if il.num_classes is not None:
            targets = rng.integers(0, il.num_classes, shapes[-1].dims[:-1])
        else:
            targets = rng.standard_normal(shapes[-1].dims)
    t32 = il.targets(targets, shapes[-1])
    target = Tensor.from_numpy(t32.to_numpy(), dtype=np.float64)
    report = GradCheckReport(repr(network))
    for layer in network.layers:
        report.warnings += [f"{layer!r}: {w}" for w in _warnings_for(layer, shape)
                            if "batch of 1" not in w]
    if shape.dims[0] == 1:
        report.warnings.append("a batch of 1 hides bugs such as a gradient averaged instead of "
                               "summed over the batch; check with a batch of 3 or more")
    params = [p for layer in network.layers for p in layer.params]
    saved = [(p, p.elements, p._deltas) for p in params]
    try:
        for layer in network.layers:
            layer.astype_(np.float64)
        tensors = [Tensor(shape, dtype=np.float64)]
        tensors[0].view()[...] = x_values
        for layer, s in zip(network.layers, shapes[1:]):
            hook = getattr(layer, "output_tensor", None)
            view = hook(tensors[-1]) if hook is not None else None
            tensors.append(view if view is not None else Tensor(s, dtype=np.float64))

        def loss() -> float:
            for i, layer in enumerate(network.layers):
                layer.forward([tensors[i]], [tensors[i + 1]])
            return float(network.loss.forward([tensors[-1]], target))

        loss()
        for p in params:
            p.deltas[...] = 0.0
        network.loss.backward([tensors[-1]], target)
        for i in reversed(range(len(network.layers))):
            network.layers[i].backward([tensors[i + 1]], [tensors[i]])
            network.layers[i].calculate_delta_weights([tensors[i + 1]], [tensors[i]])
        checks = [("input deltas", tensors[0], tensors[0].deltas.copy())]
        for i, layer in enumerate(network.layers):
            for name, p in zip(layer.param_names(), layer.params):
                checks.append((f"layer {i} {layer!r} {name}", p, p.deltas.copy()))
        for name, t, analytic in checks:
            idx = None
            if t.size > max_per_quantity:
                idx = np.sort(rng.choice(t.size, max_per_quantity, replace=False))
            report.quantities.append(_numeric_check(name, t.elements, analytic, t.shape.dims, loss,
                                                    eps, atol, rtol, kink_tol, shape.dims[0], idx))
    finally:
        for p, elements, deltas in saved:
            p.elements, p._deltas = elements, deltas
    _finish(report, raise_on_failure)
    return report
