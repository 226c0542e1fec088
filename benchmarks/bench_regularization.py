"""What Dropout (NumPy, in the layer) and BatchNorm (C kernel) cost in a training step.

Usage::

    python benchmarks/bench_regularization.py                # batches 32 and 64, 2 threads
    python benchmarks/bench_regularization.py --batches 256 --threads 1

The MLP of ``bench_mlp_step.py`` (784-256-128-10, ReLU, softmax cross-entropy,
C backend) takes one SGD step as the trainer does (zero, backprop, update),
plain and with a ``Dropout(0.5)`` or a ``BatchNorm`` after each hidden ReLU.
The variants alternate over the rounds in one process (one backend), and
the best time of each is kept. The share is (variant − plain) / variant:
the part of the variant's step that the added layers take.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SIZES = (784, 256, 128, 10)
VARIANTS = ("plain", "dropout", "batchnorm", "both")


def build_step(variant: str, batch: int):
    """One training step of the MLP with ``variant``'s extra layers, as a closure."""
    import numpy as np

    from framework import (BatchNorm, Dropout, FullyConnected, InputLayer, Network, ReLU,
                           SoftmaxCrossEntropy)
    from framework.optim import get_flavor

    layers = []
    for i, (prev, h) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(FullyConnected(prev, h, init="he", seed=i))
        if i < len(SIZES) - 2:
            layers.append(ReLU())
            if variant in ("batchnorm", "both"):
                layers.append(BatchNorm(h))
            if variant in ("dropout", "both"):
                layers.append(Dropout(0.5, seed=i))
    net = Network(InputLayer(SIZES[0], num_classes=SIZES[-1]), layers, SoftmaxCrossEntropy())
    net.train()
    rng = np.random.default_rng(0)
    x = rng.random((batch, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    params, sgd = net.params, get_flavor("sgd")

    def step() -> None:
        net.zero_deltas()
        net.backprop(x, y, input_deltas=False)
        sgd.step(params, 0.01)
    return step


def best_ms(step, steps: int) -> float:
    """Best mean step time (ms) over 3 timings of ``steps`` steps, after a warm-up."""
    for _ in range(10):
        step()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - t0) / steps)
    return 1e3 * best


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", type=int, nargs="+", default=[32, 64])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    from framework.backend import c_backend
    c_backend.set_num_threads(args.threads)
    for batch in args.batches:
        steps = {v: build_step(v, batch) for v in VARIANTS}
        best = {v: float("inf") for v in VARIANTS}
        for _ in range(args.rounds):
            for v in VARIANTS:
                best[v] = min(best[v], best_ms(steps[v], args.steps))
        print(f"\nbatch {batch}, {args.threads} thread(s): one SGD step, best of {args.rounds} rounds")
        for v in VARIANTS:
            share = (best[v] - best["plain"]) / best[v]
            extra = "" if v == "plain" else f"   added layers: {100 * share:5.1f} % of the step"
            print(f"  {v:10s} {best[v]:7.3f} ms{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
