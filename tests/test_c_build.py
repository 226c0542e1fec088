"""Which kernel module runs: the best one the CPU supports, never one it cannot run.

build_ext.py builds ``framework._kernels`` (portable x86-64) and, on x86-64,
``_kernels_avx2`` and ``_kernels_avx512``; c_loader loads the fastest the
CPU runs, from the same build. ``FRAMEWORK_KERNEL=generic`` runs the portable
one, which must compute what the fast ones do (the whole suite passes with
it: ``FRAMEWORK_KERNEL=generic python -m pytest``).

Skipped when the kernel is not built, except under ``CI=true``.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework.backend import c_backend, c_loader

require_c_kernel()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEVEL = {"generic": 1, "avx2": 3, "avx512": 4}


def test_the_loaded_kernel_runs_on_this_cpu():
    lib = c_backend.lib
    assert lib.kernel_isa_level() <= lib.kernel_cpu_level()
    assert c_backend.kernel_variant() in LEVEL


def test_the_best_variant_built_for_this_cpu_is_chosen():
    if os.environ.get("FRAMEWORK_KERNEL"):
        pytest.skip("FRAMEWORK_KERNEL caps the choice in this run")
    cpu = c_backend.lib.kernel_cpu_level()
    base = importlib.import_module("framework._kernels").lib
    build = c_loader.ffi_string(importlib.import_module("framework._kernels"), base.kernel_build_id())
    best = "generic"
    for name, module in (("avx2", "framework._kernels_avx2"), ("avx512", "framework._kernels_avx512")):
        if importlib.util.find_spec(module) is None:
            continue
        mod = importlib.import_module(module)
        if mod.lib.kernel_isa_level() <= cpu and c_loader.ffi_string(mod, mod.lib.kernel_build_id()) == build:
            best = name
    assert c_backend.kernel_variant() == best


def _generic_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    mod = importlib.import_module("framework._kernels")
    out = np.zeros((a.shape[0], b.shape[1]), np.float32, order="F")
    p = lambda arr: mod.ffi.from_buffer("float[]", arr.T)  # noqa: E731  (F-contiguous: .T is C)
    mod.lib.sgemm(0, 0, a.shape[0], b.shape[1], a.shape[1], 1.0, p(a), a.shape[0], p(b), b.shape[0],
                  0.0, p(out), a.shape[0])
    return out


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (37, 29, 41), (300, 200, 500)])
def test_portable_module_computes_what_the_loaded_one_does(m, n, k):
    rng = np.random.default_rng([m, n, k])
    a = np.asfortranarray(rng.standard_normal((m, k)).astype(np.float32))
    b = np.asfortranarray(rng.standard_normal((k, n)).astype(np.float32))
    out = np.zeros((m, n), np.float32, order="F")
    c_backend.matmul(a, b, out)
    np.testing.assert_allclose(_generic_matmul(a, b), out, rtol=1e-5, atol=1e-5 * np.sqrt(k))


@pytest.mark.parametrize("cap", ["generic", "avx2", "nonsense"])
def test_framework_kernel_caps_the_variant(cap):
    code = ("import warnings; warnings.filterwarnings('error', 'FRAMEWORK_KERNEL', RuntimeWarning)\n"
            "from framework.backend import c_backend as c\n"
            "print(c.kernel_variant(), c.lib.kernel_cpu_level())\n")
    env = dict(os.environ, FRAMEWORK_KERNEL=cap, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60, cwd=ROOT)
    if cap == "nonsense":  # a typo warns (here: as an error) and does not pick anything odd
        assert proc.returncode != 0 and "FRAMEWORK_KERNEL='nonsense'" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    variant, cpu = proc.stdout.split()
    assert LEVEL[variant] <= LEVEL[cap] and LEVEL[variant] <= max(int(cpu), 1)
    if cap == "generic":
        assert variant == "generic"
