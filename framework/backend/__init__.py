"""The backend registry: which implementation of each operation a layer runs.

Layers never call NumPy's matmul or the C kernel directly. They ask for the
operations resolved for them at call time and call them by name::

    ops = self.ops(x.dtype)         # inside a layer (Layer.ops)
    ops.matmul(x, w, y)             # y = x @ w

The operations are listed in ``contract.py``. Two backends register them:
``numpy`` (``numpy_backend.implementations()``, the readable reference) and
``c`` (``c_backend.implementations()``, the compiled float32 kernel, which
declares NumPy's function for the few operations it has no kernel for).

Choosing, from the most specific to the least:

* per layer: ``layer.backend = "numpy"`` runs that layer's operations on
  NumPy whatever the rest runs on (``None``, the default, follows the thread);
* per operation: ``with backend.use("numpy", ops=["relu_backward"]):``
  (or ``set_backend("numpy", ops=[...])``) runs those operations on NumPy
  for every layer of the calling thread;
* per thread: ``set_backend("c")`` or ``with backend.use("numpy"):``.
  The choice lives in a ``contextvars.ContextVar``, so it belongs to the
  calling thread (or asyncio task): ``use("numpy")`` in one thread does not
  move another thread's layers. A thread that never chose runs on the
  process default, ``FRAMEWORK_BACKEND`` at import, else ``c`` when built.

float64 work (the gradient checker) always runs on NumPy: the kernel is
single precision.

The NumPy operations handed out here are checked: ``numpy_checks`` refuses
a bad argument (wrong shape, not float32/float64, None, a read-only output,
``beta`` other than 0 or 1) with ``TypeError``/``ValueError`` before the
reference function runs; ``implementations("numpy")`` is the unchecked table.
"""
from __future__ import annotations

import os
import warnings
from contextvars import ContextVar, Token
from types import ModuleType
from typing import Any, Callable, Iterable

import numpy as np

from . import numpy_backend, numpy_checks
from .contract import NAMES as OPERATION_NAMES
from .contract import OPERATIONS

__all__ = ["available", "set_backend", "get_backend", "get", "use", "resolve", "Ops",
           "implementations", "declared_fallbacks", "OPERATIONS", "OPERATION_NAMES"]

_NAMES = ("numpy", "c")
_F32 = np.dtype(np.float32)


class Selection:
    """A thread's choice: a backend for every operation, with per-operation exceptions.

    Immutable and interned (:func:`_selection_of`): choosing the same again
    gives the same object, which keeps the operations resolved for it per
    layer choice, so finding a layer's operations costs a couple of lookups.
    """

    __slots__ = ("name", "ops", "resolved")

    def __init__(self, name: str, ops: tuple[tuple[str, str], ...] = ()) -> None:
        self.name = name
        self.ops = ops                     # sorted (operation, backend) pairs
        self.resolved: dict[str | None, tuple[Ops, Ops]] = {}   # layer choice -> (float32, other)

    def __repr__(self) -> str:
        return f"Selection({self.name!r}, ops={dict(self.ops)})"


_interned: dict[tuple[str, tuple[tuple[str, str], ...]], Selection] = {}


def _selection_of(name: str, ops: tuple[tuple[str, str], ...] = ()) -> Selection:
    key = (name, ops)
    sel = _interned.get(key)
    if sel is None:
        sel = _interned[key] = Selection(name, ops)
    return sel


_default = _selection_of("numpy")
_selection: ContextVar[Selection] = ContextVar("framework_backend")


# ---------------------------------------------------------------- what exists

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
    # Probed once: whether the kernel is importable and built cannot change
    # in a running process.
    global _c_probe
    if _c_probe is _UNPROBED:
        try:
            from . import c_backend
        except ImportError:
            _c_probe = None
        else:
            _c_probe = c_backend if c_backend.is_built() else None
    return _c_probe  # type: ignore[return-value]


def implementations(name: str) -> dict[str, Callable[..., None]]:
    """The table a backend registers: ``{operation name: function}``.

    Args:
        name: ``"numpy"`` or ``"c"``.

    Returns:
        One function per contract operation (the C table includes the NumPy
        functions it declares as fallbacks, see :func:`declared_fallbacks`).

    Raises:
        ValueError: for an unknown name; RuntimeError: ``"c"`` not built.
    """
    module = _module(name)
    return module.implementations()


def declared_fallbacks(name: str) -> tuple[str, ...]:
    """Operations backend ``name`` declares to run on NumPy's function (no kernel of its own).

    Args:
        name: ``"numpy"`` or ``"c"``.

    Returns:
        The operation names; empty for NumPy.
    """
    return tuple(getattr(_module(name), "NUMPY_FALLBACK", ()))


def _check_name(name: object) -> str:
    if name not in _NAMES:
        raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(_NAMES)}")
    if name == "c" and _c_module() is None:
        raise RuntimeError(
            "the C backend is not built: reinstall with a C compiler available "
            "(pip install -e .) or see README.md, 'Rebuilding the kernel'"
        )
    return name  # type: ignore[return-value]


def _module(name: str) -> ModuleType:
    _check_name(name)
    return numpy_backend if name == "numpy" else _c_module()  # type: ignore[return-value]


def _check_ops(ops: Iterable[str]) -> tuple[str, ...]:
    if isinstance(ops, str):
        ops = (ops,)
    ops = tuple(ops)
    unknown = [op for op in ops if op not in OPERATION_NAMES]
    if unknown:
        raise ValueError(f"unknown operation(s) {unknown}: expected names from "
                         f"framework.backend.contract, e.g. 'relu_backward', 'matmul'")
    return ops


# ---------------------------------------------------------------- resolution

class Ops:
    """The operations resolved for one choice: one attribute per contract operation.

    Attributes:
        name: the backend most operations run on (``"numpy"`` or ``"c"``).
        sources: ``{operation: backend}`` saying where each one runs;
            ``"numpy (declared fallback)"`` where C has no kernel.
    """

    def __init__(self, name: str, table: dict[str, Callable[..., None]],
                 sources: dict[str, str]) -> None:
        self.name = name
        self.sources = sources
        self.__dict__.update(table)

    def __repr__(self) -> str:
        other = sorted({s for s in self.sources.values() if s != self.name})
        return f"<backend ops {self.name!r}{' with ' + ', '.join(other) if other else ''}>"


_late: dict[str, Callable[..., None]] = {}


def _numpy_late(op: str) -> Callable[..., None]:
    """``numpy_backend.<op>``, looked up at every call, after its argument checks.

    The reference functions check nothing (they stay readable);
    ``numpy_checks.CHECKS[op]`` refuses a bad call first with a message that
    names the argument, what was expected and what was given, as the C
    wrappers do.

    So a function a student edits (and reloads) or a test patches in
    ``numpy_backend`` is the one that runs, without choosing again. The C
    functions are bound directly: their speed matters, and nobody edits them
    from Python.
    """
    fn = _late.get(op)
    if fn is None:
        check = numpy_checks.CHECKS[op]

        def fn(*args: Any, **kwargs: Any) -> None:
            check(*args, **kwargs)
            return getattr(numpy_backend, op)(*args, **kwargs)
        fn.__name__ = fn.__qualname__ = op
        fn.__doc__ = getattr(numpy_backend, op).__doc__
        _late[op] = fn
    return fn


def _build(sel: Selection, layer_choice: str | None, f32: bool) -> Ops:
    tables: dict[str, dict[str, Callable[..., None]]] = {}
    c_fallbacks = declared_fallbacks("c") if _c_module() is not None else ()
    overrides = dict(sel.ops)
    base = layer_choice or sel.name
    table: dict[str, Callable[..., None]] = {}
    sources: dict[str, str] = {}
    for op in OPERATION_NAMES:
        name = (layer_choice or overrides.get(op, sel.name)) if f32 else "numpy"
        if name == "c" and _c_module() is None:
            name = "numpy"
        fallback = name == "c" and op in c_fallbacks
        if name == "numpy" or fallback:
            table[op] = _numpy_late(op)
        else:
            if name not in tables:
                tables[name] = implementations(name)
            table[op] = tables[name][op]
        sources[op] = "numpy (declared fallback)" if fallback else name
    return Ops(base if f32 else "numpy", table, sources)


def resolve(dtype: Any = np.float32, layer_choice: str | None = None) -> Ops:
    """The operations for arrays of ``dtype``, for a layer's choice and the calling thread's.

    Args:
        dtype: dtype of the arrays about to be processed; anything but
            float32 runs on NumPy.
        layer_choice: the layer's own ``backend`` (``None``: follow the thread).

    Returns:
        An :class:`Ops`; kept with the thread's selection, so a call costs a
        couple of lookups (layers call this several times per step).
    """
    sel = _selection.get(_default)
    pair = sel.resolved.get(layer_choice)
    if pair is None:
        pair = sel.resolved[layer_choice] = (_build(sel, layer_choice, True),
                                             _build(sel, layer_choice, False))
    return pair[0] if dtype is _F32 or _F32 == dtype else pair[1]


def get(dtype: Any = np.float32) -> Ops:
    """The operations the calling thread runs on arrays of ``dtype`` (no layer choice).

    Args:
        dtype: float32 follows the choice; anything else runs on NumPy.

    Returns:
        An :class:`Ops` with one attribute per contract operation.
    """
    return resolve(dtype, None)


# ---------------------------------------------------------------- choosing

def _selection_for(name: str, ops: Iterable[str] | None) -> Selection:
    name = _check_name(name)
    if ops is None:
        return _selection_of(name)
    current = _selection.get(_default)
    merged = dict(current.ops)
    merged.update({op: name for op in _check_ops(ops)})
    return _selection_of(current.name, tuple(sorted(merged.items())))


def set_backend(name: str, ops: Iterable[str] | None = None) -> None:
    """Choose the backend of the calling thread (or of some of its operations) from now on.

    Args:
        name: ``"numpy"`` or ``"c"``.
        ops: None: every operation runs on ``name`` (earlier per-operation
            choices are dropped). Otherwise only these contract operations
            (e.g. ``["relu_backward"]``) switch to ``name``.

    Raises:
        ValueError: for an unknown backend or operation name.
        RuntimeError: for ``"c"`` when the kernel is not built.
    """
    _selection.set(_selection_for(name, ops))


def get_backend() -> str:
    """Return the calling thread's backend (``"numpy"`` or ``"c"``), per-operation exceptions aside."""
    return _selection.get(_default).name


class use:
    """Context manager: choose a backend (or per-operation backends) for a block, then restore.

    The choice belongs to the calling thread (a ``ContextVar``).

    Example::

        with backend.use("numpy"):
            net.forward(x)
        with backend.use("numpy", ops=["relu_backward"]):   # the rest stays on C
            trainer.optimize(...)

    Args:
        name: ``"numpy"`` or ``"c"``.
        ops: as in :func:`set_backend`.
    """

    def __init__(self, name: str, ops: Iterable[str] | None = None) -> None:
        self.name = name
        self.ops = ops
        self.previous = get_backend()
        self._token: Token[Selection] | None = None
        self._before = _default

    def __enter__(self) -> "use":
        self._before = _selection.get(_default)
        self.previous = self._before.name
        self._token = _selection.set(_selection_for(self.name, self.ops))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            _selection.reset(self._token)  # type: ignore[arg-type]
        except ValueError:  # exited in another context than entered
            _selection.set(self._before)


def check_layer_choice(name: object) -> str | None:
    """Validate a layer's ``backend`` attribute: None, ``"numpy"`` or ``"c"``.

    Raises:
        ValueError: for an unknown name; RuntimeError: ``"c"`` not built.
    """
    if name is None:
        return None
    return _check_name(name)


def _init_from_env() -> None:
    global _default
    name = os.environ.get("FRAMEWORK_BACKEND", "").strip().lower()
    if not name:
        if _c_module() is not None:
            _default = _selection_of("c")
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
    _default = _selection_of(name)


_init_from_env()
