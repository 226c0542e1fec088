"""Build the C kernel ``framework._kernels`` with cffi (out-of-line API mode).

One-command rebuild after editing anything in ``framework/csrc/``::

    python build_ext.py

compiles in place, writing ``framework/_kernels.*.so`` next to the Python
sources, so an editable install (``pip install -e .``) picks it up on the next
``import framework``. ``pip install .`` / ``pip install -e .`` build the same
module through ``setup.py``, which imports ``ffibuilder`` from here.

Compiler flags default to
``-O3 -march=native -fopenmp -ffp-contract=fast -fno-math-errno -fno-trapping-math``:

* ``-march=native`` turns on the AVX-512 or AVX2 micro-kernel in ``gemm.c``
  (the binary then only runs on CPUs like the build machine; that is the
  point of a locally built kernel);
* ``-fopenmp`` lets ``sgemm`` use several cores. If the compiler rejects it,
  the kernel is built single-threaded instead;
* ``-fno-math-errno -fno-trapping-math`` let GCC vectorise the branch-free
  sigmoid/tanh loops of ``elementwise.c`` (about 6x faster); neither changes
  a single result, unlike ``-ffast-math``, which must not be used (it breaks
  NaN handling).

Override them with the environment variable ``FRAMEWORK_CFLAGS``, e.g.::

    FRAMEWORK_CFLAGS="-O0 -g" python build_ext.py          # to debug
    FRAMEWORK_CFLAGS="-O3 -mavx2 -mfma -fopenmp" pip install .   # portable-ish

``-fopenmp`` and ``-fsanitize=...`` flags are passed to the linker too. (To
check the kernels for memory errors use ``scripts/check_memory.sh``, which
builds a standalone C driver with AddressSanitizer.) Changing only the flags
is enough to rebuild: ``python build_ext.py`` always recompiles.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC_REL = os.path.join("framework", "csrc")
CSRC = os.path.join(HERE, CSRC_REL)
SOURCES = ["gemm.c", "gemm_small.c", "elementwise.c", "conv.c", "pool.c", "lstm.c"]
DEFAULT_CFLAGS = "-O3 -march=native -fopenmp -ffp-contract=fast -fno-math-errno -fno-trapping-math"


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


def compile_flags() -> tuple[list[str], list[str]]:
    """Compiler and linker flags for the kernel.

    Returns:
        ``(extra_compile_args, extra_link_args)``: ``FRAMEWORK_CFLAGS`` or the
        defaults, minus ``-fopenmp`` when the compiler cannot use it (so a
        compiler without OpenMP still gives a working, single-threaded kernel).
    """
    user = os.environ.get("FRAMEWORK_CFLAGS")
    cflags = shlex.split(user if user is not None else DEFAULT_CFLAGS)
    if "-fopenmp" in cflags and not _flags_compile(cflags):
        without = [f for f in cflags if f != "-fopenmp"]
        if _flags_compile(without):
            print("build_ext.py: the compiler rejects -fopenmp; building the kernel "
                  "single-threaded", file=sys.stderr)
            cflags = without
    ldflags = [f for f in cflags if f == "-fopenmp" or f.startswith("-fsanitize")]
    return cflags, ldflags


def _read_cdef() -> str:
    # kernels.h is written to be valid cdef input verbatim: prototypes and
    # comments only, so C and Python share one declaration of every function.
    with open(os.path.join(CSRC, "kernels.h")) as f:
        return f.read()


_cflags, _ldflags = compile_flags()

ffibuilder = FFI()
ffibuilder.cdef(_read_cdef())
ffibuilder.set_source(
    "framework._kernels",
    '#include "kernels.h"',
    # relative to the project root: setuptools wants relative source paths,
    # and both pip and the __main__ block below run from that directory
    sources=[os.path.join(CSRC_REL, s) for s in SOURCES],
    include_dirs=[CSRC],
    extra_compile_args=_cflags,
    extra_link_args=_ldflags,
    # one file name for both ways of building (setuptools would otherwise
    # name it _kernels.abi3.so and `python build_ext.py` _kernels.cpython-*.so;
    # the interpreter prefers the latter, so a stale copy would shadow a
    # fresh build)
    py_limited_api=False,
)


if __name__ == "__main__":
    os.chdir(HERE)
    # tmpdir=HERE puts the generated framework/_kernels.c and the shared
    # library under framework/, i.e. in place for an editable install.
    path = ffibuilder.compile(tmpdir=HERE, verbose=True)
    print(f"built {path}")
