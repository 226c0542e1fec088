"""Benchmark the convolution layers on the C backend, the NumPy backend and PyTorch (CPU).

Usage::

    python benchmarks/bench_conv.py                # all three, 2 threads
    python benchmarks/bench_conv.py --repeat 20 --threads 2

One run prints one table:

* ``Conv2D(32->64, 3x3, pad 1)`` on a batch of 32 images 32x32x32: forward,
  input deltas (backward), weight deltas, and their sum;
* a 2x2 max-pool on that layer's output (forward + backward);
* one training step of LeNet-5 (conv 5x5 1->6 pad 2, ReLU, max-pool 2,
  conv 5x5 6->16, ReLU, max-pool 2, FC 400-120-84-10, softmax
  cross-entropy) on a batch of 64 28x28x1 images: zero the gradients,
  forward, loss, backward (no input deltas, as the trainer does), plain SGD
  update.

Each operation goes through the framework's layers (``Conv2D.forward`` etc.
on Tensors, Python overhead included) with ``backend.use("c")`` or
``backend.use("numpy")``, and through ``torch.nn`` on NCHW tensors with
``torch.set_num_threads`` at the same thread count (PyTorch is optional:
its columns are left out when it does not import). Timing: warm-up runs,
then the best of ``--repeat`` runs. Each backend runs in its own process
(so one OpenMP runtime's spinning idle threads do not steal the cores of
another's), and the processes alternate over ``--rounds`` rounds (so a
disturbance of this shared machine does not hit one backend only); the best
time per operation is kept.

Ratios: ``C/torch`` (below 1.0: the C backend is faster) and ``NumPy/C``
(how many times faster C is than the NumPy reference).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def best_of(fn, repeat: int, warmup: int = 3) -> float:
    """Best wall time of ``fn()`` in milliseconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * min(times)


def framework_timings(name: str, repeat: int) -> dict[str, float]:
    """Time every operation on backend ``name`` ("c" or "numpy")."""
    import numpy as np

    from framework import (FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy, Tensor,
                           backend)
    from framework.layers.conv2d import Conv2D
    from framework.layers.flatten import Flatten
    from framework.layers.max_pool2d import MaxPool2D

    rng = np.random.default_rng(0)
    out: dict[str, float] = {}
    with backend.use(name):
        conv = Conv2D(32, 64, 3, padding=1, seed=0)
        x = Tensor.from_numpy(rng.standard_normal((32, 32, 32, 32)).astype(np.float32))
        y = Tensor(conv.output_shape(x.shape))
        conv.forward([x], [y])
        y.deltas[...] = rng.standard_normal(y.size).astype(np.float32)
        x.deltas  # allocate once, outside the timing
        conv.zero_deltas()
        out["conv fwd"] = best_of(lambda: conv.forward([x], [y]), repeat)
        out["conv bwd (input deltas)"] = best_of(lambda: conv.backward([y], [x]), repeat)
        out["conv weight deltas"] = best_of(lambda: conv.calculate_delta_weights([y], [x]), repeat)
        out["conv total"] = out["conv fwd"] + out["conv bwd (input deltas)"] + out["conv weight deltas"]

        pool = MaxPool2D(2)
        a = y  # the conv's activations [32, 32, 32, 64]
        p = Tensor(pool.output_shape(a.shape))
        p.deltas[...] = rng.standard_normal(p.size).astype(np.float32)

        def pool_step():
            pool.forward([a], [p])
            pool.backward([p], [a])
        out["maxpool 2x2 fwd+bwd"] = best_of(pool_step, repeat)

        net = Network(InputLayer((28, 28, 1), num_classes=10),
                      [Conv2D(1, 6, 5, padding=2, seed=1), ReLU(), MaxPool2D(2),
                       Conv2D(6, 16, 5, seed=2), ReLU(), MaxPool2D(2), Flatten(),
                       FullyConnected(400, 120, init="he", seed=3), ReLU(),
                       FullyConnected(120, 84, init="he", seed=4), ReLU(),
                       FullyConnected(84, 10, seed=5)], SoftmaxCrossEntropy())
        xb = rng.random((64, 28, 28, 1), dtype=np.float32)
        yb = rng.integers(0, 10, 64)
        params = net.params

        def lenet_step():
            net.zero_deltas()
            net.backprop(xb, yb, input_deltas=False)
            for t in params:
                t.elements -= 0.01 * t.deltas
        out["LeNet train step (batch 64)"] = best_of(lenet_step, repeat)
    return out


def torch_timings(repeat: int, threads: int) -> dict[str, float] | None:
    """The same operations in PyTorch (NCHW), or None when torch does not import."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out: dict[str, float] = {}
    conv = torch.nn.Conv2d(32, 64, 3, padding=1)
    x = torch.randn(32, 32, 32, 32)
    with torch.no_grad():
        y = conv(x)
    g = torch.randn_like(y)
    args = (conv.bias.shape, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)

    def fwd():
        with torch.no_grad():
            conv(x)

    def bwd_input():  # what autograd runs for the input gradient alone
        torch.ops.aten.convolution_backward(g, x, conv.weight, *args, [True, False, False])

    def bwd_weights():  # ... and for the weight and bias gradients
        torch.ops.aten.convolution_backward(g, x, conv.weight, *args, [False, True, True])

    out["conv fwd"] = best_of(fwd, repeat)
    out["conv bwd (input deltas)"] = best_of(bwd_input, repeat)
    out["conv weight deltas"] = best_of(bwd_weights, repeat)
    out["conv total"] = out["conv fwd"] + out["conv bwd (input deltas)"] + out["conv weight deltas"]

    a = y.clone().requires_grad_(True)
    pg = torch.randn(32, 64, 16, 16)

    def pool_step():
        p = torch.nn.functional.max_pool2d(a, 2)
        (gi,) = torch.autograd.grad(p, a, pg)
    out["maxpool 2x2 fwd+bwd"] = best_of(pool_step, repeat)

    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    xb = torch.rand(64, 1, 28, 28)
    yb = torch.randint(0, 10, (64,))

    def lenet_step():
        opt.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
    out["LeNet train step (batch 64)"] = best_of(lenet_step, repeat)
    return out


def worker(name: str, repeat: int, threads: int) -> dict[str, float] | None:
    """Time backend ``name`` ("c", "numpy" or "torch") in this process."""
    sys.path.insert(0, ROOT)
    if name == "torch":
        return torch_timings(repeat, threads)
    if name == "c":
        from framework.backend import c_backend
        c_backend.set_num_threads(threads)
    return framework_timings(name, repeat)


def main(argv: list[str] | None = None) -> int:
    """Alternate one process per backend over several rounds and print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=10, help="timed runs per operation (best is kept)")
    p.add_argument("--threads", type=int, default=2, help="threads for every library")
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds of processes")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat, args.threads)))
        return 0
    sys.path.insert(0, ROOT)
    from framework import backend
    if "c" not in backend.available():
        print("the C kernel is not built: run `python build_ext.py` first", file=sys.stderr)
        return 1
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)  # before NumPy / the kernel load
    results: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for name, label in (("c", "C"), ("numpy", "NumPy"), ("torch", "torch")):
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name,
                                   "--repeat", str(args.repeat), "--threads", str(args.threads)],
                                  env=env, capture_output=True, text=True, check=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            if got is None:
                continue
            best = results.setdefault(label, {})
            for op, ms in got.items():
                best[op] = min(best.get(op, float("inf")), ms)
    torch_res = results.get("torch")

    print(f"best of {args.repeat} runs x {args.rounds} alternating processes per backend, "
          f"{args.threads} threads, times in ms")
    head = f"{'operation':<30}{'C':>9}{'NumPy':>9}"
    if torch_res is not None:
        head += f"{'torch':>9}{'C/torch':>9}"
    head += f"{'NumPy/C':>9}"
    print(head)
    print("-" * len(head))
    for op in results["C"]:
        c, n = results["C"][op], results["NumPy"][op]
        line = f"{op:<30}{c:9.2f}{n:9.2f}"
        if torch_res is not None:
            line += f"{torch_res[op]:9.2f}{c / torch_res[op]:9.2f}"
        print(line + f"{n / c:9.2f}")
    if torch_res is None:
        print("(PyTorch not installed: no torch column)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
