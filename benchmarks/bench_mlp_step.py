"""One full training step of the MLP 784-256-128-10 on the C backend, NumPy backend and PyTorch.

ReLU, softmax cross-entropy, batch 64, plain SGD update: forward, backward,
update, measured the same way for each. PyTorch is optional (imported only
if installed) and runs on the same number of threads.

    python benchmarks/bench_mlp_step.py [--threads 2] [--steps 300]

Prints milliseconds per step (median of repeats) and the ratios C/PyTorch
and C/NumPy; lower is better. Speed is never asserted in a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

SIZES = (784, 256, 128, 10)
BATCH = 64


def time_steps(step, steps: int, repeats: int = 5) -> float:
    """Median over ``repeats`` of the mean seconds per step over ``steps`` steps (after warmup)."""
    for _ in range(20):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        samples.append((time.perf_counter() - start) / steps)
    return statistics.median(samples)


def framework_step(backend_name: str, x: np.ndarray, y: np.ndarray):
    from framework import (FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy,
                           backend)
    from framework.optim import SGD
    backend.set_backend(backend_name)
    layers, prev = [], SIZES[0]
    for i, h in enumerate(SIZES[1:]):
        layers.append(FullyConnected(prev, h, init="he", seed=i))
        if i < len(SIZES) - 2:
            layers.append(ReLU())
        prev = h
    net = Network(InputLayer(SIZES[0], num_classes=SIZES[-1]), layers, SoftmaxCrossEntropy())
    flavor, params = SGD(), net.params

    def step() -> None:
        net.zero_deltas()
        net.backprop(x, y, input_deltas=False)
        flavor.step(params, 0.01)
    return step


def torch_step(x: np.ndarray, y: np.ndarray):
    import torch
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad(set_to_none=False)
        loss_fn(model(xt), yt).backward()
        opt.step()
    return step


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)

    from framework import backend
    from framework.backend import c_backend
    results = {}
    if "c" in backend.available():
        c_backend.set_num_threads(args.threads)
        results["framework C"] = time_steps(framework_step("c", x, y), args.steps)
    else:
        print("C kernel not built: skipping the C backend", file=sys.stderr)
    results["framework NumPy"] = time_steps(framework_step("numpy", x, y), args.steps)
    try:
        import torch
        torch.set_num_threads(args.threads)
        results[f"PyTorch {torch.__version__}"] = time_steps(torch_step(x, y), args.steps)
    except ImportError:
        print("torch not installed: skipping PyTorch (pip install torch==2.13.0)", file=sys.stderr)

    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, one SGD step, {args.threads} threads")
    for name, sec in results.items():
        print(f"  {name:<22} {1e3 * sec:8.3f} ms/step")
    c = results.get("framework C")
    if c is not None:
        print(f"  C / NumPy   = {c / results['framework NumPy']:.2f}  (< 1: C is faster)")
        torch_sec = next((v for k, v in results.items() if k.startswith("PyTorch")), None)
        if torch_sec is not None:
            print(f"  C / PyTorch = {c / torch_sec:.2f}  (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
