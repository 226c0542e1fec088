"""The MLP trainer on a quiet machine and beside busy processes: how much slower does it get?

Students train on laptops where a browser and an IDE take CPU too. This runs
``examples/train_mlp.py`` (the default digits MLP on the C backend) alone and
then beside ``--busy`` processes that each spin one core, alternating over
``--rounds`` rounds, each run in a fresh process, and prints every time, the
median of each setting and the slowdown (median busy / median quiet)::

    python benchmarks/bench_busy.py [--busy 2] [--rounds 3] [--epochs 20]

The busy processes are plain Python loops that stop by themselves 30 s
after ``--timeout`` (and are stopped as soon as their round is over), so an
interrupted benchmark leaves nothing running for long; a trainer that takes
longer than ``--timeout`` is stopped and shown as "> timeout". Speed is never
asserted in a test; on a machine shared with other work the numbers are
noisy, so compare ranges over rounds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# a busy process: spin until its deadline, then exit on its own
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def train_once(epochs: int, timeout: float) -> float:
    """Seconds of training of one fresh trainer process (the time ``run`` reports); inf on timeout."""
    code = (
        "import sys, runpy\n"
        f"sys.path[:0] = [{ROOT!r}, {os.path.join(ROOT, 'examples')!r}]\n"
        "import train_mlp\n"
        f"r = train_mlp.run(['--backend', 'c', '--epochs', '{epochs}'])\n"
        "print('SECONDS', r['seconds'])\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return float("inf")  # reported as "> timeout": a kernel fighting the busy processes
    if out.returncode != 0:
        raise RuntimeError(f"the trainer failed:\n{out.stderr[-2000:]}")
    for line in out.stdout.splitlines():
        if line.startswith("SECONDS"):
            return float(line.split()[1])
    raise RuntimeError(f"no timing in the trainer's output:\n{out.stdout[-2000:]}")


def busy_round(n_busy: int, busy_seconds: float, epochs: int, timeout: float) -> float:
    """Train once while ``n_busy`` spinning processes run; stop them afterwards."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=busy_seconds)])
                for _ in range(n_busy)]
    try:
        time.sleep(0.3)  # let them start spinning
        return train_once(epochs, timeout)
    finally:
        for p in spinners:  # only the processes started here, by their handle
            p.terminate()
        for p in spinners:
            p.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the rounds and print the times and the slowdown."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--busy", type=int, default=2, help="busy processes beside the trainer")
    ap.add_argument("--rounds", type=int, default=3, help="quiet/busy pairs")
    ap.add_argument("--epochs", type=int, default=20, help="epochs of the trainer")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds a trainer may take before it is stopped and counted as '> timeout'")
    args = ap.parse_args(argv)
    timeout = args.timeout
    args.busy_seconds = timeout + 30.0  # the busy processes exit by themselves after this
    quiet, busy = [], []
    for r in range(args.rounds):
        quiet.append(train_once(args.epochs, timeout))
        busy.append(busy_round(args.busy, args.busy_seconds, args.epochs, timeout))
        print(f"round {r + 1}: quiet {_s(quiet[-1], timeout)}, beside {args.busy} busy processes "
              f"{_s(busy[-1], timeout)}", flush=True)
    mq, mb = statistics.median(quiet), statistics.median(busy)
    print(f"quiet: median {_s(mq, timeout)} (range {_s(min(quiet), timeout)} to {_s(max(quiet), timeout)})")
    print(f"busy:  median {_s(mb, timeout)} (range {_s(min(busy), timeout)} to {_s(max(busy), timeout)})")
    ratio = lambda b, q: "?" if q == float("inf") else (  # noqa: E731
        f"> {timeout / q:.1f}x" if b == float("inf") else f"{b / q:.1f}x")
    print(f"slowdown: {ratio(mb, mq)} (range {ratio(min(busy), max(quiet))} to "
          f"{ratio(max(busy), min(quiet))}; {os.cpu_count()} CPUs, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})")


def _s(seconds: float, timeout: float) -> str:
    return f"> {timeout:.0f} s" if seconds == float("inf") else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
