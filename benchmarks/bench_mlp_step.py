"""One full training step of the MLP 784-256-128-10 on the C backend, NumPy backend and PyTorch.

ReLU, softmax cross-entropy, batches 1, 8, 64 and 256, plain SGD update:
forward, backward, update, measured the same way for each. PyTorch is
optional (imported only if installed) and runs on the same number of threads.

    python benchmarks/bench_mlp_step.py [--threads 2] [--rounds 3] [--batches 1 8 64 256]

Each backend runs in its own process (so no OpenMP runtime's idle threads
steal another's cores), which times every batch size; the processes
alternate over several rounds (so a disturbance of this shared machine does
not hit one backend only). The best time per backend and batch is printed
with the ratios C/PyTorch and C/NumPy, lower is better. Speed is never
asserted in a test.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Callable

import numpy as np

SIZES = (784, 256, 128, 10)
BATCHES = (1, 8, 64, 256)


def best_step_time(step: Callable[[], None], n_steps: int, repeats: int) -> float:
    """Best of ``repeats`` mean seconds per step over ``n_steps`` steps, after a warm-up."""
    for _ in range(20):  # page faults, thread pools, caches
        step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n_steps):
            step()
        best = min(best, (time.perf_counter() - start) / n_steps)
    return best


def framework_step(backend_name: str, x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    """A closure running one training step of the framework's MLP on ``backend_name``."""
    from framework import (FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy,
                           backend)
    from framework.optim import SGD
    backend.set_backend(backend_name)  # this thread's choice; the layers resolve it once
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


def torch_step(x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    """A closure running one training step of the same MLP in PyTorch."""
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


def worker(name: str, threads: int, n_steps: int, repeats: int, batches: list[int]) -> None:
    """Time one backend in this process at every batch size; print ``batch seconds`` lines."""
    if name == "torch":
        import torch
        torch.set_num_threads(threads)
    elif name == "c":
        from framework.backend import c_backend
        c_backend.set_num_threads(threads)
    for batch in batches:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
        y = rng.integers(0, SIZES[-1], batch)
        step = torch_step(x, y) if name == "torch" else framework_step(name, x, y)
        # about the same time per batch size: fewer steps for big batches
        steps = max(10, n_steps * 64 // max(batch, 8))
        print(batch, best_step_time(step, steps, repeats))


def main() -> int:
    """Alternate one process per backend over several rounds; print the best times and ratios."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=100, help="steps per timing")
    p.add_argument("--repeats", type=int, default=5, help="timings per process")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of processes")
    p.add_argument("--batches", type=int, nargs="+", default=list(BATCHES), help="batch sizes")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.threads, args.steps, args.repeats, args.batches)
        return 0

    from framework import backend
    names = ["c"] if "c" in backend.available() else []
    if not names:
        print("C kernel not built: skipping the C backend", file=sys.stderr)
    names.append("numpy")
    try:
        import torch
        names.append("torch")
        torch_label = f"PyTorch {torch.__version__}"
    except ImportError:
        print("torch not installed: skipping PyTorch (pip install torch==2.13.0)", file=sys.stderr)
    # One process per backend: OpenMP runtimes (ours, PyTorch's, OpenBLAS's)
    # keep idle threads spinning, which would steal the other's cores.
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    best = {(name, b): float("inf") for name in names for b in args.batches}
    for _ in range(args.rounds):  # alternate, so a disturbance does not hit one backend only
        for name in names:
            out = subprocess.run([sys.executable, __file__, "--worker", name, "--threads",
                                  str(args.threads), "--steps", str(args.steps), "--repeats",
                                  str(args.repeats), "--batches", *map(str, args.batches)],
                                 env=env, capture_output=True, text=True, check=True).stdout
            for line in out.strip().splitlines():
                batch, sec = line.split()
                best[name, int(batch)] = min(best[name, int(batch)], float(sec))

    labels = {"c": "C", "numpy": "NumPy", "torch": "PyTorch"}
    print(f"MLP {'-'.join(map(str, SIZES))}, one SGD step, {args.threads} threads; best of "
          f"{args.rounds} alternating processes x {args.repeats} timings; ms per step")
    if "torch" in names:
        print(f"PyTorch: {torch_label}")
    head = "  batch " + "".join(f"{labels[n]:>10}" for n in names)
    ratios = [("C/NumPy", "numpy")] if "c" in names else []
    if "c" in names and "torch" in names:
        ratios.append(("C/PyTorch", "torch"))
    print(head + "".join(f"{r:>11}" for r, _ in ratios))
    for b in args.batches:
        row = f"  {b:5d} " + "".join(f"{1e3 * best[n, b]:10.3f}" for n in names)
        row += "".join(f"{best['c', b] / best[other, b]:11.2f}" for _, other in ratios)
        print(row)
    if ratios:
        print("  (ratios below 1: C is faster; the aim is C/PyTorch <= 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
