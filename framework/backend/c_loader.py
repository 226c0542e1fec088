"""Which compiled kernel module runs: chosen once, at import, by what the CPU supports.

``build_ext.py`` builds the kernel for several instruction-set levels on
x86-64 (``framework._kernels`` portable, ``_kernels_avx2``,
``_kernels_avx512``); this module loads the fastest one this CPU runs, from
the same build, and exposes it as ``ffi`` and ``lib`` (both ``None`` when
nothing is compiled). ``c_checks`` re-exports them to the wrappers.
"""
from __future__ import annotations

import importlib
import os
import warnings

__all__ = ["ffi", "lib", "kernel_variant", "has_openmp", "SPIN_COUNT"]

# GNU OpenMP's idle threads spin up to GOMP_SPINCOUNT rounds (300000 by
# default, milliseconds) before they sleep. On a quiet machine that saves a
# few microseconds per wake-up; beside other busy processes the spinning
# threads take the CPU those need, and each other's (issue 10: 14.5x slower).
# This much spinning covers the gap between the MLP's back-to-back products
# and no more. libgomp reads it once, when the kernel loads it; a user's
# OMP_WAIT_POLICY or GOMP_SPINCOUNT wins, and it is not left in the
# environment for child processes.
SPIN_COUNT = "20000"


# the modules build_ext.py makes, best first: (FRAMEWORK_KERNEL name, module)
_VARIANTS = (("avx512", "framework._kernels_avx512"), ("avx2", "framework._kernels_avx2"),
             ("generic", "framework._kernels"))


def _pick_variant():
    """The best kernel module this CPU runs, from one build; ``None`` if there is none.

    ``framework._kernels`` (portable on x86-64) says what the CPU supports
    and which build it belongs to; a faster variant is used only when the
    CPU runs its instructions and it comes from the same build.
    ``FRAMEWORK_KERNEL=generic|avx2|avx512`` caps the choice (for tests of
    the portable path, or to compare).
    """
    try:
        base = importlib.import_module("framework._kernels")
    except ImportError:  # not compiled: the backend seam falls back to NumPy
        return None
    cpu = base.lib.kernel_cpu_level()
    if base.lib.kernel_isa_level() > cpu:
        warnings.warn(
            "framework: the C kernel was built for a newer CPU than this one (e.g. with "
            "FRAMEWORK_CFLAGS=-march=native elsewhere) and would crash here; running on the "
            "NumPy backend. Rebuild it on this machine: python build_ext.py",
            RuntimeWarning, stacklevel=3)
        return None
    cap = os.environ.get("FRAMEWORK_KERNEL", "").strip().lower()
    names = [n for n, _ in _VARIANTS]
    if cap and cap not in names:
        warnings.warn(f"FRAMEWORK_KERNEL={cap!r} is not a kernel variant (expected one of "
                      f"{', '.join(names)}); using the best one for this CPU",
                      RuntimeWarning, stacklevel=3)
        cap = ""
    build = ffi_string(base, base.lib.kernel_build_id())
    for name, module in _VARIANTS[names.index(cap) if cap else 0:]:
        if module == "framework._kernels":
            return base
        try:
            mod = importlib.import_module(module)
        except ImportError:  # not built (not x86-64, FRAMEWORK_CFLAGS, an old compiler)
            continue
        if mod.lib.kernel_isa_level() <= cpu and ffi_string(mod, mod.lib.kernel_build_id()) == build:
            return mod
    return base


def ffi_string(module, cdata) -> str:
    """A C string from ``module`` as Python text."""
    return module.ffi.string(cdata).decode()


def _load_kernel():
    """Import the kernel with the short OpenMP spin default; ``(None, None)`` if not built."""
    own = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    if own:
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        mod = _pick_variant()
    finally:
        if own:
            del os.environ["GOMP_SPINCOUNT"]
    if mod is None:
        return None, None
    if not mod.lib.gemm_has_openmp():
        warnings.warn(
            "framework: the C kernel was built without OpenMP and runs on one core. For "
            "threads, install a compiler with OpenMP (gcc, or clang with libomp) and rebuild "
            "(python build_ext.py); see README.md, Troubleshooting.",
            RuntimeWarning, stacklevel=3)
    return mod.ffi, mod.lib


def kernel_variant() -> str:
    """Return which kernel module runs: ``"avx512"``, ``"avx2"``, ``"generic"``, or ``""`` if none.

    Returns:
        The instruction-set level of the loaded module (``"generic"`` also for
        a single module built with ``FRAMEWORK_CFLAGS``).
    """
    if lib is None:
        return ""
    return {4: "avx512", 3: "avx2"}.get(int(lib.kernel_isa_level()), "generic")


def has_openmp() -> bool:
    """Return True when the loaded kernel was built with OpenMP (can use several cores)."""
    return lib is not None and bool(lib.gemm_has_openmp())


ffi, lib = _load_kernel()
