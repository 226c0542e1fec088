"""The check API: compare a student's method with the reference and say precisely what is wrong.

A week's ``checks.py`` builds its exercises from these functions. Each
raises :class:`~framework.grading.report.CheckFailed` with a
:class:`~framework.grading.report.Failure` naming the method, the quantity,
the first bad index, both values, a constant factor and any known wrong
formula ("alternative") the student's values equal. The runner adds the
mistake catalog's hint.

* :func:`call` runs one student method and turns an exception into a failure.
* :func:`compare_values` compares one quantity with its expected values.
* :func:`~.layer_checks.check_layer_against` (module ``layer_checks``) runs
  the whole layer protocol on several cases (params declared, forward,
  backward overwrite, delta weights accumulate, then a float64
  finite-difference check on every batch size).
* :func:`~.loss_checks.check_loss_against` (module ``loss_checks``) does the
  same for a loss.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

import numpy as np

from ..factors import FACTOR_MEANINGS, constant_factor, name_factor
from .report import CheckFailed, Failure

ATOL, RTOL = 1e-7, 1e-6
Alternative = Callable[..., np.ndarray]


def fail(method: str, quantity: str, message: str, **kw: Any) -> None:
    """Raise :class:`CheckFailed` with a :class:`Failure` built from the arguments."""
    raise CheckFailed(Failure(method, quantity, message, **kw))


def call(method: str, quantity: str, fn: Callable[..., Any], *args: Any, case: str = "",
         **kwargs: Any) -> Any:
    """Run a student's function; an exception becomes a failure of ``method``.

    Args:
        method: the method's name for the report (``backward``).
        quantity: what it should have produced (``input delta δX``).
        fn: the student's callable.
        case: the input, for the report.

    Returns:
        What ``fn`` returned.

    Raises:
        CheckFailed: when ``fn`` raised; ``NotImplementedError`` says the
            exercise is not done yet.
    """
    try:
        return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as e:
        fail(method, quantity, f"not implemented yet: {e}", case=case,
             exception=f"NotImplementedError: {e}")
    except Exception as e:  # noqa: BLE001 - any student error is reported, not propagated
        where = _student_frame(e)
        fail(method, quantity, f"raised {type(e).__name__}{where}", case=case,
             exception=f"{type(e).__name__}: {e}")


def _student_frame(e: BaseException) -> str:
    """`` at file:line`` of the deepest frame outside the framework (the student's code)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if "/framework/" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    f = frames[-1]
    return f" at {f.filename.rsplit('/', 1)[-1]}:{f.lineno} ({(f.line or '').strip()})"


def compare_values(method: str, quantity: str, got: Any, expected: Any, *, case: str = "",
                   alternatives: dict[str, np.ndarray] | None = None, batch: int | None = None,
                   window: int | None = None, atol: float = ATOL, rtol: float = RTOL,
                   contract: str | None = None, message: str | None = None) -> None:
    """Compare a student's values with the expected ones; raise a precise failure if they differ.

    Args:
        method: the method that produced ``got``.
        quantity: what ``got`` is.
        got: the student's values (array-like, logical indexing).
        expected: the reference values, same shape.
        case: the input, for the report.
        alternatives: known wrong results by name; when ``got`` equals one,
            the failure says so (the catalog matches on the name).
        batch: the batch size of the case (names a factor ``1/batch``).
        window: a window size (names a factor ``1/window``).
        atol: absolute tolerance.
        rtol: relative tolerance: bad where ``|got − expected| > atol + rtol·|expected|``.
        contract: set on the failure (``overwrite``/``accumulate``) when the
            comparison tests the protocol.
        message: overrides the default sentence.

    Raises:
        CheckFailed: when a value differs, the shape differs, or ``got`` has NaN.
    """
    e = np.asarray(expected, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as err:
        fail(method, quantity, f"is not numbers: {err}", case=case, contract=contract)
    if g.shape != e.shape:
        if g.size == e.size and np.squeeze(g).shape == np.squeeze(e).shape:
            g = g.reshape(e.shape)
        else:
            fail(method, quantity, f"has shape {g.shape}, expected {e.shape}", case=case,
                 contract=contract)
    bad = ~(np.abs(g - e) <= atol + rtol * np.abs(e))  # NaN counts as bad
    if not bad.any():
        return
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if e.ndim else None
    gv = float(g[first] if first is not None else g)
    ev = float(e[first] if first is not None else e)
    f = Failure(method, quantity, message or f"{int(bad.sum())} of {bad.size} values differ",
                case=case, index=first, got=gv, expected=ev, contract=contract)
    if np.isnan(g).any():
        f.message = message or f"contains NaN ({int(np.isnan(g).sum())} values)"
    c = constant_factor(g, e)
    if c is not None:
        f.factor = c
        f.factor_name = name_factor(c, batch, window)
        f.factor_meaning = FACTOR_MEANINGS.get(f.factor_name or "")
    for name, alt in (alternatives or {}).items():
        a = np.asarray(alt, dtype=np.float64)
        if a.shape == g.shape and np.allclose(g, a, atol=atol, rtol=rtol) \
                and not np.allclose(a, e, atol=atol, rtol=rtol):
            f.alternative = name
            break
    raise CheckFailed(f)


def _alternatives(fns: dict[str, Alternative], *args: Any) -> dict[str, np.ndarray]:
    """Evaluate the known wrong formulas; one that does not apply to this case (shapes) is skipped."""
    out = {}
    for name, fn in fns.items():
        try:
            out[name] = np.asarray(fn(*args), dtype=np.float64)
        except (ValueError, IndexError, TypeError):
            continue
    return out


# Layer and loss checks live in their own modules; re-exported here.
from .layer_checks import LayerCase, check_layer_against  # noqa: E402,F401
from .loss_checks import LossCase, check_loss_against  # noqa: E402,F401
