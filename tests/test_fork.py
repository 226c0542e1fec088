"""The C kernel keeps working in the child of a fork() made after it used threads.

GNU OpenMP's thread pool does not survive fork(): a threaded kernel call in
the child waited forever for threads that only existed in the parent, and so
did every worker of a fork-started ``multiprocessing.Pool`` (the default
start method on Linux). The kernel now runs single-threaded in such a child.
Each test bounds the child's time, so a regression fails instead of hanging
the suite.

Skipped when the kernel is not built (except under ``CI=true``) and where
fork() does not exist.
"""
from __future__ import annotations

import multiprocessing
import os
import time

import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework.backend import c_backend
from framework.backend.numpy_conv import ConvGeom

require_c_kernel()
if not hasattr(os, "fork"):
    pytest.skip("no fork() on this platform", allow_module_level=True)
if not c_backend.has_openmp():
    pytest.skip("kernel built without OpenMP: no threads to lose in a fork", allow_module_level=True)

TIMEOUT = 30.0  # seconds; the single-threaded work below takes well under one

G = ConvGeom(8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1)
O = 32


def _inputs(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f = lambda *s: np.asfortranarray(rng.standard_normal(s).astype(np.float32))  # noqa: E731
    return {"a": f(300, 400), "b": f(400, 500), "x": f(G.N * G.H * G.W * G.C).ravel(),
            "w": f(G.K, O), "bias": f(O).ravel()}


def compute(seed: int) -> list[np.ndarray]:
    """A threaded product, a convolution and an LSTM sequence: every kernel family's threads."""
    from framework.backend import c_conv, c_lstm
    d = _inputs(seed)
    out = np.zeros((300, 500), np.float32, order="F")
    c_backend.matmul(d["a"], d["b"], out)
    y = np.zeros((G.R, O), np.float32, order="F")
    c_conv.conv2d_forward(d["x"], d["w"], d["bias"], y, G)
    n, t, h = 32, 3, 64
    rng = np.random.default_rng(seed + 1)
    gates = rng.standard_normal((t * n, 4 * h)).astype(np.float32)
    w = np.asfortranarray(rng.standard_normal((h, 4 * h)).astype(np.float32) / 8)
    hs, cs = np.zeros(((t + 1) * n, h), np.float32), np.zeros(((t + 1) * n, h), np.float32)
    tanh_cs = np.zeros((t * n, h), np.float32)
    c_lstm.lstm_sequence_forward(gates, w, np.zeros(4 * h, np.float32), hs, cs, tanh_cs)
    return [out, y, hs]


def _threads_in_parent() -> int:
    before = c_backend.get_num_threads()
    c_backend.set_num_threads(2)  # the parent's pool exists after this call's product
    compute(0)
    return before


def _agree(child: list[np.ndarray], parent: list[np.ndarray]) -> bool:
    # the child runs on one thread: the same sums, maybe split differently
    return all(np.allclose(c, p, rtol=1e-5, atol=1e-5) for c, p in zip(child, parent))


def test_forked_child_computes_what_the_parent_does():
    before = _threads_in_parent()
    try:
        expected = compute(1)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 1
            try:
                ok = _agree(compute(1), expected)
                single = c_backend.get_num_threads() == 1 and c_backend.lib.kernel_forked_child() == 1
                code = 0 if ok and single else 2
            finally:
                os.write(write_fd, bytes([code]))
                os._exit(code)
        os.close(write_fd)
        deadline = time.monotonic() + TIMEOUT
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                pytest.fail(f"the forked child hung: no result after {TIMEOUT:.0f} s")
            time.sleep(0.02)
        reply = os.read(read_fd, 1)
        os.close(read_fd)
        assert reply == b"\x00", (
            f"the forked child computed {'different results or ran threaded' if reply == bytes([2]) else 'nothing'}"
            f" (exit status {status})")
    finally:
        c_backend.set_num_threads(before)
    assert c_backend.lib.kernel_forked_child() == 0  # the parent keeps its threads
    assert c_backend.get_num_threads() == before


def test_fork_started_pool_computes_what_the_parent_does():
    before = _threads_in_parent()
    try:
        seeds = [2, 3, 4, 5]
        expected = [compute(s) for s in seeds]
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            pending = pool.map_async(compute, seeds)
            try:
                results = pending.get(timeout=TIMEOUT)
            except multiprocessing.TimeoutError:
                pool.terminate()
                pytest.fail(f"the fork-started Pool hung: no result after {TIMEOUT:.0f} s")
        for s, got, want in zip(seeds, results, expected):
            assert _agree(got, want), f"seed {s}: a Pool worker computed different results"
    finally:
        c_backend.set_num_threads(before)
