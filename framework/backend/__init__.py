"""The backend seam: where layers find their numeric inner loops.

Layers never call NumPy's matmul or the C kernel directly. They ask for the
backend at call time::

    ops = backend.get(x.dtype)
    ops.matmul(x, w, y)             # y = x @ w

so the same layer code runs on the readable NumPy reference (``"numpy"``) or
on the compiled kernel (``"c"``). The choice is made by :func:`set_backend`
or, at import, by the environment variable ``FRAMEWORK_BACKEND``.

Every backend module exposes the same functions (see ``numpy_backend.py``
for the contract, written once). The C kernel is float32 only, so float64
work (the gradient checker) always runs on NumPy.
"""
from __future__ import annotations

import os
import warnings
from types import ModuleType

import numpy as np

from . import numpy_backend

_NAMES = ("numpy", "c")
_current = "numpy"


def available() -> list[str]:
    """Names of the backends that can run on this machine.

    Returns:
        ``["numpy"]``, plus ``"c"`` when the compiled kernel imports.
    """
    names = ["numpy"]
    if _c_module() is not None:
        names.append("c")
    return names


_UNPROBED = object()
_c_probe: object = _UNPROBED


def _c_module() -> ModuleType | None:
    # Probed once: layers ask for their backend on every call, and the answer
    # (is the kernel importable and built?) cannot change in a running process.
    global _c_probe
    if _c_probe is _UNPROBED:
        try:
            from . import c_backend
        except ImportError:
            _c_probe = None
        else:
            _c_probe = c_backend if c_backend.is_built() else None
    return _c_probe  # type: ignore[return-value]


def set_backend(name: str) -> None:
    """Select the backend every layer uses from now on.

    Args:
        name: ``"numpy"`` or ``"c"``.

    Raises:
        ValueError: for an unknown name.
        RuntimeError: for ``"c"`` when the kernel is not built.
    """
    global _current
    if name not in _NAMES:
        raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(_NAMES)}")
    if name == "c" and _c_module() is None:
        raise RuntimeError(
            "the C backend is not built: reinstall with a C compiler available "
            "(pip install -e .) or see README.md, 'Rebuilding the kernel'"
        )
    _current = name


def get_backend() -> str:
    """Return the name of the selected backend (``"numpy"`` or ``"c"``)."""
    return _current


def get(dtype: np.dtype | type = np.float32) -> ModuleType:
    """Return the backend module that computes on arrays of ``dtype``.

    Args:
        dtype: the dtype of the arrays about to be processed. Anything but
            float32 goes to NumPy, since the kernel is single precision.

    Returns:
        A module with the functions documented in ``numpy_backend``.
    """
    if _current == "c" and np.dtype(dtype) == np.float32:
        module = _c_module()
        if module is not None:
            return module
    return numpy_backend


class use:
    """Context manager that selects a backend for a block and restores the old one.

    Example::

        with backend.use("numpy"):
            net.forward(x)
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.previous = _current

    def __enter__(self) -> "use":
        self.previous = get_backend()
        set_backend(self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        set_backend(self.previous)


def _init_from_env() -> None:
    name = os.environ.get("FRAMEWORK_BACKEND", "").strip().lower()
    if not name:
        if _c_module() is not None:
            set_backend("c")
        else:
            # pip hides the build's own warning when the install succeeds, so
            # say it here, once per process; FRAMEWORK_BACKEND=numpy silences it.
            warnings.warn(
                "framework: the C kernel is not built, running on the NumPy backend. "
                "Install a C compiler and run `pip install -e .` (or `python build_ext.py`); "
                "set FRAMEWORK_BACKEND=numpy to choose NumPy without this warning.",
                RuntimeWarning,
                stacklevel=2,
            )
        return
    if name not in _NAMES:
        raise ValueError(
            f"FRAMEWORK_BACKEND={name!r} is not a backend: expected one of {', '.join(_NAMES)}"
        )
    if name == "c" and _c_module() is None:
        warnings.warn(
            "FRAMEWORK_BACKEND=c but the C kernel is not built; using numpy. "
            "Reinstall with a C compiler (pip install -e .) to build it.",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    set_backend(name)


_init_from_env()
