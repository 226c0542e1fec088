"""Build the C kernel ``framework._kernels*`` with cffi (out-of-line API mode).

One-command rebuild after editing anything in ``framework/csrc/``::

    python build_ext.py

compiles in place, writing ``framework/_kernels*.so`` next to the Python
sources, so an editable install (``pip install -e .``) picks them up on the
next ``import framework``. ``pip install .`` / ``pip install -e .`` build the
same modules through ``setup.py``, which takes the builders from here.

Portable by default. On x86-64 the kernel is built three times, for the
instruction-set levels x86-64 (every 64-bit PC), x86-64-v3 (AVX2 + FMA, the
16x6 micro-kernel of ``gemm.c``) and x86-64-v4 (AVX-512, 32x12), and
``framework/backend/c_loader.py`` loads the best one the CPU runs (as NumPy
and OpenBLAS dispatch): a kernel built on one machine never dies of an
illegal instruction on an older one (shared lab images, containers).
``FRAMEWORK_KERNEL=generic|avx2|avx512`` picks a lower one, e.g. to test the
portable path. Every module is compiled with
``-O3 -fopenmp -ffp-contract=fast -fno-math-errno -fno-trapping-math``:

* ``-fopenmp`` lets the kernels use several cores. If the compiler rejects
  it, the kernel is built single-threaded instead, and both this build and
  every ``import framework`` say so;
* ``-fno-math-errno -fno-trapping-math`` let GCC vectorise the branch-free
  sigmoid/tanh loops of ``elementwise.c`` (about 6x faster); neither changes
  a single result, unlike ``-ffast-math``, which must not be used (it breaks
  NaN handling).

``FRAMEWORK_CFLAGS`` replaces all of that with one module built with your
flags, e.g. for this CPU only (opt-in: it crashes on an older one)::

    FRAMEWORK_CFLAGS="-O3 -march=native -fopenmp -ffp-contract=fast -fno-math-errno -fno-trapping-math" python build_ext.py
    FRAMEWORK_CFLAGS="-O0 -g" python build_ext.py          # to debug

``-fopenmp`` and ``-fsanitize=...`` flags are passed to the linker too. (To
check the kernels for memory errors use ``scripts/check_memory.sh``, which
builds a standalone C driver with AddressSanitizer.) Changing only the flags
is enough to rebuild: ``python build_ext.py`` always recompiles.
"""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import sysconfig
import tempfile
import time

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC_REL = os.path.join("framework", "csrc")
CSRC = os.path.join(HERE, CSRC_REL)
SOURCES = ["gemm.c", "gemm_small.c", "elementwise.c", "conv.c", "pool.c", "lstm.c", "batchnorm.c"]

# flags every build shares; -march is added per variant (VARIANTS below)
BASE_CFLAGS = "-O3 -fopenmp -ffp-contract=fast -fno-math-errno -fno-trapping-math -Wno-psabi"
DEFAULT_CFLAGS = BASE_CFLAGS  # (kept for scripts that read it)

# x86-64: one module per instruction-set level, chosen at import by what the
# CPU supports (framework/backend/c_loader.py, kernel_cpu_level in gemm.c):
#   framework._kernels          -march=x86-64     runs on every x86-64 CPU
#   framework._kernels_avx2     -march=x86-64-v3  AVX2 + FMA micro-kernel
#   framework._kernels_avx512   -march=x86-64-v4  AVX-512 micro-kernel
# Elsewhere (ARM, ...) one portable module without -march.
X86_VARIANTS = [("framework._kernels", "-march=x86-64 -mtune=generic"),
                ("framework._kernels_avx2", "-march=x86-64-v3 -mtune=generic"),
                ("framework._kernels_avx512", "-march=x86-64-v4 -mtune=generic")]

# all modules of one build carry the same id; c_loader uses a variant only
# if its id matches framework._kernels' (a stale one from an older build is
# ignored)
BUILD_ID = str(time.time_ns())


def _compiler() -> list[str]:
    """The C compiler command setuptools will use (``$CC`` or Python's own)."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(cc)


def _flags_compile(flags: list[str]) -> bool:
    """Whether the compiler accepts ``flags`` on a tiny OpenMP-using program."""
    program = "#ifdef _OPENMP\n#include <omp.h>\n#endif\nint main(void){return 0;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(program)
        try:
            result = subprocess.run(
                _compiler() + flags + [src, "-o", os.path.join(tmp, "probe")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            return False
    return result.returncode == 0


NO_OPENMP = (
    "WARNING: framework: the compiler rejects -fopenmp; the C kernel is built "
    "WITHOUT OpenMP and runs on one core. For threads install a compiler with "
    "OpenMP (gcc; or clang plus libomp, e.g. `apt install libomp-dev`, "
    "`brew install libomp`) and rebuild."
)


_reported: list[bool] = []  # NO_OPENMP is printed once per build, not per module


def compile_flags(march: str = "") -> tuple[list[str], list[str]]:
    """Compiler and linker flags for one kernel module.

    Args:
        march: the variant's ``-march`` flags (ignored when ``FRAMEWORK_CFLAGS`` is set).

    Returns:
        ``(extra_compile_args, extra_link_args)``: ``FRAMEWORK_CFLAGS`` or the
        defaults plus ``march``, minus ``-fopenmp`` when the compiler cannot
        use it (so a compiler without OpenMP still gives a working,
        single-threaded kernel; that is reported, here and at import).
    """
    user = os.environ.get("FRAMEWORK_CFLAGS")
    cflags = shlex.split(user if user is not None else f"{BASE_CFLAGS} {march}")
    if "-fopenmp" in cflags and not _flags_compile(cflags):
        without = [f for f in cflags if f != "-fopenmp"]
        if _flags_compile(without):
            if not _reported:
                print(NO_OPENMP, file=sys.stderr)
                _reported.append(True)
            cflags = without
    elif "-fopenmp" not in cflags and not _reported:
        print("NOTE: framework: FRAMEWORK_CFLAGS has no -fopenmp: the C kernel is built "
              "single-threaded.", file=sys.stderr)
        _reported.append(True)
    ldflags = [f for f in cflags if f == "-fopenmp" or f.startswith("-fsanitize")]
    return cflags + [f'-DFRAMEWORK_BUILD_ID="{BUILD_ID}"'], ldflags


def variants() -> list[tuple[str, str]]:
    """``(module name, -march flags)`` of every module this build makes.

    Returns:
        The three x86-64 levels, or one module when ``FRAMEWORK_CFLAGS`` is
        set (your flags, e.g. ``-march=native``: then only for this CPU) or
        the machine is not x86-64 (or the compiler lacks the level names).
    """
    if os.environ.get("FRAMEWORK_CFLAGS") is not None:
        return [("framework._kernels", "")]
    if platform.machine().lower() in ("x86_64", "amd64") and \
            _flags_compile(["-march=x86-64-v4"]):
        return X86_VARIANTS
    return [("framework._kernels", "")]


def _read_cdef() -> str:
    # kernels.h is written to be valid cdef input verbatim: prototypes and
    # comments only, so C and Python share one declaration of every function.
    with open(os.path.join(CSRC, "kernels.h")) as f:
        return f.read()


def make_builder(module: str, march: str) -> FFI:
    """The cffi builder of one kernel module (``module`` compiled with ``march``)."""
    cflags, ldflags = compile_flags(march)
    builder = FFI()
    builder.cdef(_read_cdef())
    builder.set_source(
        module,
        '#include "kernels.h"',
        # relative to the project root: setuptools wants relative source paths,
        # and both pip and the __main__ block below run from that directory
        sources=[os.path.join(CSRC_REL, s) for s in SOURCES],
        include_dirs=[CSRC],
        extra_compile_args=cflags,
        extra_link_args=ldflags,
        # one file name for both ways of building (setuptools would otherwise
        # name it _kernels.abi3.so and `python build_ext.py` _kernels.cpython-*.so;
        # the interpreter prefers the latter, so a stale copy would shadow a
        # fresh build)
        py_limited_api=False,
    )
    return builder


VARIANTS = variants()
# setup.py names these: "build_ext.py:ffibuilder", "build_ext.py:ffibuilder_1", ...
ffibuilder = make_builder(*VARIANTS[0])
for _i, _v in enumerate(VARIANTS[1:], start=1):
    globals()[f"ffibuilder_{_i}"] = make_builder(*_v)


def builder_names() -> list[str]:
    """The ``cffi_modules`` entries for setup.py, one per module of :func:`variants`."""
    return ["build_ext.py:ffibuilder"] + [f"build_ext.py:ffibuilder_{i}" for i in range(1, len(VARIANTS))]


if __name__ == "__main__":
    os.chdir(HERE)
    # tmpdir=HERE puts the generated framework/_kernels*.c and the shared
    # libraries under framework/, i.e. in place for an editable install.
    # One after the other: the modules share the object files' names.
    for i, (module, march) in enumerate(VARIANTS):
        builder = ffibuilder if i == 0 else globals()[f"ffibuilder_{i}"]
        path = builder.compile(tmpdir=HERE, verbose=True)
        print(f"built {path} ({march or os.environ.get('FRAMEWORK_CFLAGS') or 'portable'})")
