"""One MLP 784-256-128-10 training step at batch 64: the autodiff engine vs the layers on the NumPy backend.

Both in float32 in the same process, with the same BLAS: ReLU, softmax
cross-entropy, plain SGD update; a step is zero gradients, forward, loss,
backward, update (the layers skip the first layer's input deltas, the
engine skips the data's gradient: neither computes it). Rounds alternate
between the two so a disturbance of this shared machine hits both; the best
mean time of each is printed, with the ratio engine/layers (lower is
better; the aim is at most 1.5).

It also prints what the engine's own work costs, apart from the NumPy
arithmetic: one step is recorded, then replayed with every forward and
backward rule replaced by a stub returning the recorded array. What is left
is graph building (Values, contexts, links) in the forward, and the
topological sort, the traversal and the fork accumulation in the backward,
shown as a share of the engine's step. Speed is never asserted in a test.

    python benchmarks/bench_autodiff.py [--rounds 5] [--steps 50]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = (784, 256, 128, 10)
BATCH = 64


def mean_time(fn: Callable[[], object], n: int) -> float:
    """Mean seconds per call over ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def layers_step(x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    """A training step of the framework's layers on the NumPy backend."""
    from framework import FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy, backend
    from framework.optim import SGD
    layers, prev = [], SIZES[0]
    for i, h in enumerate(SIZES[1:]):
        layers.append(FullyConnected(prev, h, init="he", seed=i))
        if i < len(SIZES) - 2:
            layers.append(ReLU())
        prev = h
    net = Network(InputLayer(SIZES[0], num_classes=SIZES[-1]), layers, SoftmaxCrossEntropy())
    flavor, params = SGD(), net.params

    def step() -> None:
        backend.set_backend("numpy")
        net.zero_deltas()
        net.backprop(x, y, input_deltas=False)
        flavor.step(params, 0.01)
    return step


def engine_parts(x: np.ndarray, y: np.ndarray):
    """The engine's step, and its forward alone, for the graph-building measurement."""
    from framework.autodiff import Value, ops
    from framework.autodiff.model import Optimizer
    from framework.autodiff.nn import Linear, ReLU, Sequential, one_hot
    layers, prev = [], SIZES[0]
    for i, h in enumerate(SIZES[1:]):
        layers.append(Linear(prev, h, init="he", seed=i))
        if i < len(SIZES) - 2:
            layers.append(ReLU())
        prev = h
    model = Sequential(layers)
    opt = Optimizer(model.parameters(), "sgd", 0.01)
    data, target = Value(x), one_hot(y, SIZES[-1], np.float32)

    def forward():
        return ops.softmax_cross_entropy(model(data), target)

    def step() -> None:
        opt.zero_grad()
        loss = forward()
        loss.backward()
        opt.step()
    return step, forward


def engine_overhead(forward: Callable, args: argparse.Namespace) -> tuple[float, float]:
    """Seconds of the engine's own work per step: ``(forward graph building, backward bookkeeping)``.

    Records one forward and backward, then replays them with every rule
    replaced by a stub that returns the recorded arrays in order.
    """
    from framework.autodiff.rules import RULES
    real = dict(RULES)
    outs: list = []
    grads: list = []

    def recording(f, b):
        def rf(ctx, *a, **k):
            outs.append(f(ctx, *a, **k))
            return outs[-1]

        def rb(ctx, g):
            grads.append(b(ctx, g))
            return grads[-1]
        return rf, rb

    try:
        RULES.update({n: recording(*fb) for n, fb in real.items()})
        forward().backward()
        it: dict = {}
        RULES.update({n: (lambda ctx, *a, **k: next(it["f"]), lambda ctx, g: next(it["b"]))
                      for n in real})

        def replay_forward():
            it["f"] = iter(outs)
            return forward()

        def replay_step():
            loss = replay_forward()
            it["b"] = iter(grads)
            loss.backward()
        build = min(mean_time(replay_forward, args.steps) for _ in range(args.rounds))
        step = min(mean_time(replay_step, args.steps) for _ in range(args.rounds))
    finally:
        RULES.update(real)
    return build, max(step - build, 0.0)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the numbers."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=50, help="steps per round and implementation")
    args = p.parse_args(argv)
    from framework.autodiff import topological_order

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    layer_step = layers_step(x, y)
    engine_step, engine_forward = engine_parts(x, y)
    for _ in range(20):  # warm-up: page faults, BLAS buffers
        layer_step()
        engine_step()
    best = {"layers": float("inf"), "engine": float("inf")}
    for _ in range(args.rounds):
        best["layers"] = min(best["layers"], mean_time(layer_step, args.steps))
        best["engine"] = min(best["engine"], mean_time(engine_step, args.steps))

    build, traverse = engine_overhead(engine_forward, args)
    loss = engine_forward()

    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, one training step "
          f"(best of {args.rounds} rounds x {args.steps} steps)")
    print(f"  layers (NumPy backend)   {best['layers'] * 1e3:7.3f} ms")
    print(f"  autodiff engine          {best['engine'] * 1e3:7.3f} ms")
    print(f"  ratio engine / layers    {best['engine'] / best['layers']:7.2f}x   (aim: <= 1.5x)")
    print(f"  graph building           {build * 1e6:7.1f} us = {100 * build / best['engine']:.1f} % "
          f"of an engine step ({len(topological_order(loss))} nodes)")
    print(f"  sort + traversal + forks {traverse * 1e6:7.1f} us = "
          f"{100 * traverse / best['engine']:.1f} % (leaf gradients copied once included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
