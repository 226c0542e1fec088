"""A C kernel that runs out of memory raises MemoryError: no segfault, no silent wrong result.

Two ways in:
* the test hook ``kernel_fail_allocations(k)`` makes the k-th allocation of
  the next calls fail (and drops the cached per-thread buffers, so those are
  allocated again): every k in turn reaches every allocation of a call;
* a real limit: a subprocess caps its address space (``RLIMIT_AS``) a few MB
  above what it uses and runs a large convolution, as on a cluster node with
  ``ulimit -v`` (before the fix: a segfault, exit status -11).

Skipped when the kernel is not built, except under ``CI=true``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework.backend import c_backend, numpy_conv
from framework.backend.numpy_conv import ConvGeom

require_c_kernel()

from framework.backend import c_conv  # noqa: E402  (needs the kernel)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = [  # geometry, output channels: between them every allocating path of conv.c
    (ConvGeom(32, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1), 24),   # implicit im2col, full backward
    (ConvGeom(5, 17, 15, 6, 3, 3, 1, 1, 1, 1, 1, 1), 24),   # patch buffers, packed weight deltas
    (ConvGeom(6, 20, 20, 8, 3, 3, 2, 2, 1, 1, 1, 1), 40),   # stride 2: col2im backward
    (ConvGeom(3, 9, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1), 5),      # few outputs: direct weight deltas
]


def _case(g: ConvGeom, o: int):
    rng = np.random.default_rng([g.N, g.C, o])
    x = rng.standard_normal(g.N * g.H * g.W * g.C).astype(np.float32)
    w = np.asfortranarray(rng.standard_normal((g.K, o)).astype(np.float32))
    b = rng.standard_normal(o).astype(np.float32)
    dy = np.asfortranarray(rng.standard_normal((g.R, o)).astype(np.float32))
    return x, w, b, dy


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("g,o", CASES)
@pytest.mark.parametrize("kernel", ["conv2d_forward", "conv2d_backward", "conv2d_delta_weights"])
def test_every_failed_allocation_raises_memory_error(kernel, g, o, threads):
    x, w, b, dy = _case(g, o)
    ref = getattr(numpy_conv, kernel)
    if kernel == "conv2d_forward":
        expected = [np.zeros((g.R, o), np.float32, order="F")]
        ref(x, w, b, expected[0], g)
    elif kernel == "conv2d_backward":
        expected = [np.zeros(x.size, np.float32)]
        ref(dy, w, expected[0], g)
    else:
        dw0 = np.asfortranarray(np.ones((g.K, o), np.float32))
        db0 = np.ones(o, np.float32)
        expected = [dw0.copy(order="F"), db0.copy()]
        ref(x, dy, expected[0], expected[1], g)
    before = c_backend.get_num_threads()
    c_backend.set_num_threads(threads)
    errors = 0
    try:
        for k in range(40):
            c_backend.lib.kernel_fail_allocations(k)
            if kernel == "conv2d_forward":
                out = [np.full((g.R, o), 7.0, np.float32, order="F")]
                call = lambda: c_conv.conv2d_forward(x, w, b, out[0], g)  # noqa: E731
            elif kernel == "conv2d_backward":
                out = [np.full(x.size, 7.0, np.float32)]
                call = lambda: c_conv.conv2d_backward(dy, w, out[0], g)  # noqa: E731
            else:
                out = [dw0.copy(order="F"), db0.copy()]
                call = lambda: c_conv.conv2d_delta_weights(x, dy, out[0], out[1], g)  # noqa: E731
            try:
                call()
            except MemoryError as e:
                errors += 1
                assert kernel in str(e)
                if kernel == "conv2d_delta_weights":  # accumulated outputs stay untouched
                    np.testing.assert_array_equal(out[0], dw0)
                    np.testing.assert_array_equal(out[1], db0)
                continue
            # no error: then the result is right (sgemm falls back to a slow loop instead)
            for got, want in zip(out, expected):
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3 * np.sqrt(g.K))
    finally:
        c_backend.lib.kernel_fail_allocations(-1)
        c_backend.set_num_threads(before)
    direct = kernel == "conv2d_delta_weights" and o <= 16  # allocates nothing at all
    assert errors > 0 or direct, f"{kernel}: no allocation failure was ever reported"
    assert c_backend.lib.kernel_take_error() == 0  # the flag was cleared by every raise


SCRIPT = textwrap.dedent("""
    import resource, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from framework.backend import c_backend, c_conv
    from framework.backend.numpy_conv import ConvGeom
    c_backend.set_num_threads(2)
    small = ConvGeom(8, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1)   # start the thread pool first
    c_conv.conv2d_forward(np.ones(small.N * small.H * small.W * small.C, np.float32),
                          np.ones((small.K, 64), np.float32, order="F"), np.zeros(64, np.float32),
                          np.zeros((small.R, 64), np.float32, order="F"), small)
    g, o = ConvGeom(8, 16, 16, 256, 3, 3, 1, 1, 1, 1, 1, 1), 1024   # its buffers: 9 MB and more
    x = np.ones(g.N * g.H * g.W * g.C, np.float32)
    w = np.ones((g.K, o), np.float32, order="F")
    dy = np.ones((g.R, o), np.float32, order="F")
    out = {{"conv2d_forward": np.zeros((g.R, o), np.float32, order="F"),
           "conv2d_backward": np.zeros(x.size, np.float32),
           "conv2d_delta_weights": np.zeros((g.K, o), np.float32, order="F")}}
    db = np.zeros(o, np.float32)
    size = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize")][0]
    resource.setrlimit(resource.RLIMIT_AS, (size * 1024 + 6 * 2**20, resource.RLIM_INFINITY))
    try:
        if {kernel!r} == "conv2d_forward":
            c_conv.conv2d_forward(x, w, db, out[{kernel!r}], g)
        elif {kernel!r} == "conv2d_backward":
            c_conv.conv2d_backward(dy, w, out[{kernel!r}], g)
        else:
            c_conv.conv2d_delta_weights(x, dy, out[{kernel!r}], db, g)
    except MemoryError as e:
        print("MemoryError", e)
    else:
        print("no error")
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
@pytest.mark.parametrize("kernel", ["conv2d_forward", "conv2d_backward", "conv2d_delta_weights"])
def test_address_space_limit_gives_memory_error_not_segfault(kernel):
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(root=ROOT, kernel=kernel)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (f"{kernel} under RLIMIT_AS died with exit status "
                                  f"{proc.returncode}:\n{proc.stderr[-1500:]}")
    assert proc.stdout.startswith(f"MemoryError {kernel}:"), proc.stdout + proc.stderr[-1500:]
