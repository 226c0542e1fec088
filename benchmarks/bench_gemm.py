"""Benchmark the C sgemm against NumPy's matmul (OpenBLAS) on 1 and 2 threads.

Usage::

    python benchmarks/bench_gemm.py            # 1 and 2 threads
    python benchmarks/bench_gemm.py --threads 1 2 4 --min-time 0.3

Each (backend, thread count) pair runs in its own subprocess with
``OMP_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` (and MKL's) set before NumPy
loads, the only reliable way to pin a BLAS's thread pool; the C kernel is also
told explicitly with ``c_backend.set_num_threads``. Separate processes also
keep the two libraries' spinning idle threads from stealing each other's
cores. Both sides get the same F-ordered float32 inputs (same seed) and go
through the backend functions the layers call (``numpy_backend.matmul`` and
``c_backend.matmul``), so Python overhead is included on both. Timing:
warm-up, then the best of repeated runs.

Shapes: squares 64..1024, and the MLP's products (batch 64, layers
784-256-128-10): forward ``Y = X·W``, backward ``dX = dY·Wᵀ`` and
``dW = Xᵀ·dY``. All with ``beta = 0``: NumPy's ``beta = 1`` path allocates a
temporary, which would flatter the C kernel.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, M, N, K, trans_a, trans_b): out[M, N] = op(a)[M, K] @ op(b)[K, N]
SQUARES = [(f"square {n}", n, n, n, False, False) for n in (64, 128, 256, 512, 1024)]
MLP = []
for d_in, d_out in ((784, 256), (256, 128), (128, 10)):
    MLP.append((f"fwd  X[64,{d_in}]·W[{d_in},{d_out}]", 64, d_out, d_in, False, False))
    MLP.append((f"dX  dY[64,{d_out}]·Wᵀ", 64, d_in, d_out, False, True))
    MLP.append((f"dW  Xᵀ·dY[64,{d_out}] ({d_in}x{d_out})", d_in, d_out, 64, True, False))
SHAPES = SQUARES + MLP


def _time(f, flops: float, min_time: float) -> float:
    """Best-of-N GFLOP/s of a callable, after a warm-up."""
    for _ in range(3):  # warm-up: page faults, thread pools, caches
        f()
    best = float("inf")
    spent = 0.0
    reps = 0
    while (spent < min_time or reps < 5) and reps < 100000:
        t0 = time.perf_counter()
        f()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        spent += dt
        reps += 1
    return flops / best / 1e9


def worker(backend: str, threads: int, min_time: float) -> None:
    """Time every shape on one backend and ``threads`` threads; print one JSON line each.

    One backend per process: OpenMP's and OpenBLAS's idle threads both
    spin-wait for a while after each call, so running the two libraries in
    one process on 2 cores makes each steal the other's cores.
    """
    sys.path.insert(0, os.path.dirname(HERE))
    import numpy as np

    from framework.backend import c_backend, numpy_backend

    if backend == "c":
        if not c_backend.is_built():
            print(json.dumps({"error": "C kernel not built (python build_ext.py)"}))
            return
        c_backend.set_num_threads(threads)
    matmul = c_backend.matmul if backend == "c" else numpy_backend.matmul
    rng = np.random.default_rng(0)
    for label, m, n, k, ta, tb in SHAPES:
        a = np.asfortranarray(rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32))
        b = np.asfortranarray(rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32))
        out = np.zeros((m, n), dtype=np.float32, order="F")
        gflops = _time(lambda: matmul(a, b, out, ta, tb), 2.0 * m * n * k, min_time)
        # a checksum of the result, to compare the backends' answers
        print(json.dumps({"label": label, "gflops": gflops,
                          "sum": float(np.abs(out.astype(np.float64)).sum())}), flush=True)


def _run(backend: str, threads: int, min_time: float) -> list[dict]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", backend,
         "--worker-threads", str(threads), "--min-time", str(min_time)],
        env=env, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        sys.exit(proc.returncode)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    if rows and "error" in rows[0]:
        print(rows[0]["error"], file=sys.stderr)
        sys.exit(1)
    return rows


def _cpu_busy(seconds: float = 0.5) -> float | None:
    """Fraction of all CPUs busy over ``seconds`` (Linux /proc/stat), or None."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def main() -> None:
    """Run one subprocess per backend and thread count, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--min-time", type=float, default=0.25,
                        help="seconds of timing per shape and backend")
    parser.add_argument("--worker", choices=["c", "numpy"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.worker_threads, args.min_time)
        return

    # Other processes on the same cores distort the multi-threaded rows most
    # (a thread that loses its core stalls the whole product), so say so.
    busy = _cpu_busy()
    if busy is not None:
        print(f"CPU busy before the run: {100 * busy:.0f}% of {os.cpu_count()} CPUs"
              + ("  (other work running: numbers are unreliable)" if busy > 0.1 else ""))
    for t in args.threads:
        rows_c = _run("c", t, args.min_time)
        rows_np = _run("numpy", t, args.min_time)
        print(f"\n== {t} thread{'s' if t > 1 else ''} ==  GFLOP/s, best of N")
        print(f"{'shape':38s} {'C':>8s} {'NumPy':>8s} {'C/NumPy':>8s}  checksum rel diff")
        for rc, rn in zip(rows_c, rows_np):
            diff = abs(rc["sum"] - rn["sum"]) / max(1e-30, rn["sum"])
            print(f"{rc['label']:38s} {rc['gflops']:8.1f} {rn['gflops']:8.1f} "
                  f"{rc['gflops'] / rn['gflops']:8.2f}  {diff:.1e}")


if __name__ == "__main__":
    main()
