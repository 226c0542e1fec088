"""Benchmark a recurrent layer (LSTM, RNN or GRU): C backend vs NumPy backend vs PyTorch CPU.

Usage::

    python benchmarks/bench_lstm.py                      # LSTM(64, 128), N = 32, T = 32, 2 threads
    python benchmarks/bench_lstm.py --batch 64 --steps 50 --threads 1 --min-time 2
    python benchmarks/bench_lstm.py --layer gru          # GRU(64, 128) against torch.nn.GRU

(RNN and GRU have no C cell kernel: their "C" run does the big products in C
and the per-step arithmetic in NumPy.)

The workload (the issue's): ``LSTM(64, 128)`` on a batch of 32 sequences of
length 32, all steps returned; one training pass is forward, then backward
through time with random deltas on every output, then the weight deltas
(``backward`` + ``calculate_delta_weights``). PyTorch's equivalent is
``torch.nn.LSTM(64, 128, batch_first=True)`` forward and ``out.backward(g)``
with a random ``g`` on all outputs (which also fills the input gradient and
the weight gradients), on ``torch.set_num_threads(threads)``. Torch is only
used here, never by the package.

Each backend runs in its own subprocess with ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set before anything loads:
three OpenMP/BLAS runtimes in one process would spin on each other's cores.
The processes alternate over ``--rounds`` rounds, and the best run of each
backend over all rounds is kept, so a disturbance of a shared machine does
not hit one backend only.
Timing: warm-up, then repeated runs for at least ``--min-time`` seconds;
the table shows the best and the median run. Ratios use the best times.
The machine must be otherwise idle: with 2 cores, any other process halves
the numbers (the median column shows it).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def _timings(f, min_time: float) -> list[float]:
    for _ in range(5):  # warm-up: page faults, thread pools, caches
        f()
    times: list[float] = []
    spent = 0.0
    while spent < min_time or len(times) < 10:
        t0 = time.perf_counter()
        f()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
    return times


def _summary(times: list[float]) -> dict[str, float]:
    s = sorted(times)
    return {"best": s[0], "median": s[len(s) // 2], "runs": len(s)}


GATES = {"lstm": 4, "rnn": 1, "gru": 3}  # H-column blocks of U and W


def run_framework(name: str, kind: str, n: int, t: int, f: int, h: int, threads: int,
                  min_time: float) -> dict:
    import numpy as np

    from framework import GRU, LSTM, RNN, backend
    from framework.tensor import Tensor

    backend.set_backend(name)
    if name == "c":
        from framework.backend import c_backend
        c_backend.set_num_threads(threads)
    rng = np.random.default_rng(0)
    layer = {"lstm": LSTM, "rnn": RNN, "gru": GRU}[kind](f, h, seed=0)
    x = Tensor.from_numpy(rng.standard_normal((n, t, f)), dtype=np.float32)
    y = Tensor(layer.output_shape(x.shape))
    y.deltas[...] = rng.standard_normal(y.size)

    def forward() -> None:
        layer.forward([x], [y])

    def train_pass() -> None:
        layer.forward([x], [y])
        layer.backward([y], [x])
        layer.calculate_delta_weights([y], [x])

    return {"forward": _summary(_timings(forward, min_time)),
            "train": _summary(_timings(train_pass, min_time))}


def run_torch(kind: str, n: int, t: int, f: int, h: int, threads: int, min_time: float) -> dict:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    module = {"lstm": torch.nn.LSTM, "rnn": torch.nn.RNN, "gru": torch.nn.GRU}[kind](
        f, h, batch_first=True)
    x = torch.randn(n, t, f, requires_grad=True)
    g = torch.randn(n, t, h)

    def forward() -> None:
        with torch.no_grad():
            module(x)

    def train_pass() -> None:
        out, _ = module(x)
        out.backward(g)

    return {"forward": _summary(_timings(forward, min_time)),
            "train": _summary(_timings(train_pass, min_time))}


def _child(args: argparse.Namespace) -> None:
    shape = (args.batch, args.steps, args.features, args.hidden)
    if args.child == "torch":
        result = run_torch(args.layer, *shape, args.threads[0], args.min_time)
    else:
        result = run_framework(args.child, args.layer, *shape, args.threads[0], args.min_time)
    print(json.dumps(result))


def _spawn(which: str, args: argparse.Namespace, threads: int) -> dict | str:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", which, "--threads", str(threads),
           "--layer", args.layer,
           "--batch", str(args.batch), "--steps", str(args.steps), "--features", str(args.features),
           "--hidden", str(args.hidden), "--min-time", str(args.min_time)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return last
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layer", choices=sorted(GATES), default="lstm")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--threads", type=int, nargs="+", default=[2])
    p.add_argument("--min-time", type=float, default=1.0, help="seconds of timed runs per case")
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds of processes")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    n, t, f, h = args.batch, args.steps, args.features, args.hidden
    flops = 2 * n * t * GATES[args.layer] * h * (3 * f + 3 * h)  # X·U, h·W; δX, δh·Wᵀ; ∂U, ∂W
    print(f"{args.layer.upper()}({f}, {h}), batch {n}, {t} steps, all outputs; one training pass = forward + "
          f"backward through time + weight deltas ({flops / 1e6:.0f} MFLOP in products)")
    for threads in args.threads:
        # one process per backend, alternating over the rounds; the best of each is kept
        results: dict[str, dict | str] = {}
        for _ in range(args.rounds):
            for which in ("c", "numpy", "torch"):
                got = _spawn(which, args, threads)
                old = results.get(which)
                if isinstance(got, str) or old is None or isinstance(old, str):
                    results[which] = got if old is None or isinstance(old, str) else old
                    continue
                for key in ("forward", "train"):
                    if got[key]["best"] < old[key]["best"]:
                        old[key] = got[key]
        print(f"\n{threads} thread(s)            forward (ms)           fwd+bwd+weights (ms)")
        print(f"{'':22s}{'best':>8s}{'median':>9s}      {'best':>8s}{'median':>9s}  {'GFLOP/s':>8s}")
        for which, label in (("c", "framework C"), ("numpy", "framework NumPy"), ("torch", "PyTorch CPU")):
            r = results[which]
            if isinstance(r, str):
                print(f"{label:22s}unavailable: {r}")
                continue
            fw, tr = r["forward"], r["train"]
            print(f"{label:22s}{1e3 * fw['best']:8.3f}{1e3 * fw['median']:9.3f}      "
                  f"{1e3 * tr['best']:8.3f}{1e3 * tr['median']:9.3f}  {flops / tr['best'] / 1e9:8.1f}")

        def ratio(a: str, b: str, key: str) -> str:
            ra, rb = results[a], results[b]
            if isinstance(ra, str) or isinstance(rb, str):
                return "  n/a"
            return f"{ra[key]['best'] / rb[key]['best']:5.2f}"

        print(f"ratio C / torch   (target <= 1.0): forward {ratio('c', 'torch', 'forward')}   "
              f"training pass {ratio('c', 'torch', 'train')}")
        if args.layer == "lstm":  # only the LSTM has a C cell kernel to be faster than NumPy
            print(f"ratio NumPy / C   (target >= 3.0): forward {ratio('numpy', 'c', 'forward')}   "
                  f"training pass {ratio('numpy', 'c', 'train')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
