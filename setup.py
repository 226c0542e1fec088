"""Build script: pure Python plus an optional cffi kernel (see build_ext.py).

``pip install .`` and ``pip install -e .`` compile ``framework._kernels`` (and,
on x86-64, ``_kernels_avx2`` and ``_kernels_avx512``; the import picks the best
the CPU runs) from ``framework/csrc/`` through cffi's setuptools hook. The kernel is optional:
when it cannot be compiled (no C compiler, bad ``FRAMEWORK_CFLAGS``, ...) the
install still succeeds, the framework runs on its NumPy backend, and one
warning explains how to get the kernel.
"""
from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

HOW_TO_BUILD = (
    "WARNING: framework: the C kernel (framework._kernels) was not built{reason}; "
    "the framework will run on its NumPy backend. To get the kernel, install a "
    "C compiler (e.g. gcc) and reinstall with `pip install -e .`, or run "
    "`python build_ext.py` in the project root; FRAMEWORK_CFLAGS overrides the "
    "compiler flags."
)


class OptionalBuildExt(build_ext):
    """``build_ext`` that turns any failure to compile the kernel into a warning."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all surfaces here
            self._warn(exc)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # compile or link errors surface here
            if ext.name != "framework._kernels":
                # an optional faster variant (AVX2, AVX-512): the portable
                # module still serves
                print(f"WARNING: framework: {ext.name} was not built ({exc}); "
                      "the portable kernel will be used", file=sys.stderr)
                return
            self._warn(exc)

    def _warn(self, exc: BaseException) -> None:
        if getattr(self, "_warned", False):
            return
        self._warned = True
        reason = f" ({type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''})"
        print(HOW_TO_BUILD.format(reason=reason), file=sys.stderr)


def _cffi_modules() -> list[str]:
    # Without cffi there is nothing to generate the kernel's wrapper with;
    # the build requirements in pyproject.toml normally provide it.
    try:
        import cffi  # noqa: F401
    except ImportError:
        print(HOW_TO_BUILD.format(reason=" (cffi is not installed)"), file=sys.stderr)
        return []
    # one module per instruction-set level on x86-64 (see build_ext.py)
    sys.path.insert(0, HERE)
    try:
        import build_ext as kernel_build
    finally:
        sys.path.remove(HERE)
    return kernel_build.builder_names()


# cffi's hook wraps whatever build_ext is in cmdclass, so OptionalBuildExt
# still catches the errors of the wrapped build.
setup(
    cffi_modules=_cffi_modules(),
    cmdclass={"build_ext": OptionalBuildExt},
)
