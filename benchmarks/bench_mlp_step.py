"""One full training step of the MLP 784-256-128-10 on the C backend, NumPy backend and PyTorch.

ReLU, softmax cross-entropy, batch 64, plain SGD update: forward, backward,
update, measured the same way for each. PyTorch is optional (imported only
if installed) and runs on the same number of threads.

    python benchmarks/bench_mlp_step.py [--threads 2] [--rounds 3]

Each backend runs in its own process (so no OpenMP runtime's idle threads
steal another's cores), alternating over several rounds (so a disturbance
of this shared machine does not hit one backend only); the best time of
each is printed with the ratios C/PyTorch and C/NumPy, lower is better.
Speed is never asserted in a test.
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
BATCH = 64


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
        # the layers look the backend up at call time: select it for this step
        backend.set_backend(backend_name)
        net.zero_deltas()
        net.backprop(x, y, input_deltas=False)
        flavor.step(params, 0.01)
    return step


def torch_step(x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
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


def worker(name: str, threads: int, n_steps: int, repeats: int) -> None:
    """Time one backend in this process and print its best seconds per step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    if name == "torch":
        import torch
        torch.set_num_threads(threads)
        step = torch_step(x, y)
    else:
        if name == "c":
            from framework.backend import c_backend
            c_backend.set_num_threads(threads)
        step = framework_step(name, x, y)
    print(best_step_time(step, n_steps, repeats))


def main() -> int:
    """Alternate one process per backend over several rounds; print the best times and ratios."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=100, help="steps per timing")
    p.add_argument("--repeats", type=int, default=5, help="timings per process")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of processes")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.threads, args.steps, args.repeats)
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
    best = {name: float("inf") for name in names}
    for _ in range(args.rounds):  # alternate, so a disturbance does not hit one backend only
        for name in names:
            out = subprocess.run([sys.executable, __file__, "--worker", name, "--threads",
                                  str(args.threads), "--steps", str(args.steps), "--repeats",
                                  str(args.repeats)], env=env, capture_output=True, text=True,
                                 check=True).stdout
            best[name] = min(best[name], float(out.strip().splitlines()[-1]))

    labels = {"c": "framework C", "numpy": "framework NumPy", "torch": "PyTorch"}
    if "torch" in best:
        labels["torch"] = torch_label
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, one SGD step, {args.threads} threads; "
          f"best of {args.rounds} alternating processes x {args.repeats} timings")
    for name, sec in best.items():
        print(f"  {labels[name]:<22} {1e3 * sec:8.3f} ms/step")
    if "c" in best:
        print(f"  C / NumPy   = {best['c'] / best['numpy']:.2f}  (< 1: C is faster)")
        if "torch" in best:
            print(f"  C / PyTorch = {best['c'] / best['torch']:.2f}  (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
