"""Find a week's exercises and load the code under test (a student's copy, the skeleton or the solution).

A week is a folder ``exercises/weekN`` with ``checks.py`` (``EXERCISES``),
``mistakes.py`` (``MISTAKES``), ``skeleton/`` and ``solution/``. The code
under test is a folder of ``.py`` files with the skeleton's names; its
files import each other by plain name (``from layers import Sigmoid``), so
loading one puts the folder first on ``sys.path`` and forgets whatever
module of the same name an earlier submission left in ``sys.modules``.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from .report import CheckFailed, Failure

REPO = Path(__file__).resolve().parents[2]
EXERCISES_DIR = REPO / "exercises"


@dataclass
class Exercise:
    """One exercise of a week.

    Attributes:
        id: ``"1.3"``; the pytest marker is ``ex1_3``.
        title: ``"FullyConnected"``.
        points: points for passing.
        files: the student files it needs (``("layers.py",)``).
        check: ``check(submission)``; raises CheckFailed at the first wrong quantity.
        timeout: seconds before the grader stops it (an infinite loop costs this exercise only).
        requires: ids of exercises whose code this one uses (the report says
            "fix 1.3 first" when one of them failed too).
    """

    id: str
    title: str
    points: float
    files: tuple[str, ...]
    check: Callable[["Submission"], None]
    timeout: float = 60.0
    requires: tuple[str, ...] = ()

    @property
    def marker(self) -> str:
        """The pytest marker: ``ex1_3`` for ``1.3``."""
        return "ex" + self.id.replace(".", "_")


@dataclass
class Week:
    """A week's folder, its exercises and its mistake catalog."""

    path: Path
    exercises: list[Exercise]
    mistakes: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        """``week1``."""
        return self.path.name

    def exercise(self, ex_id: str) -> Exercise:
        """The exercise with id (``1.3``) or marker (``ex1_3``).

        Raises:
            KeyError: naming the known ids.
        """
        for ex in self.exercises:
            if ex_id in (ex.id, ex.marker):
                return ex
        raise KeyError(f"{self.name} has no exercise {ex_id!r}; it has "
                       f"{', '.join(e.id for e in self.exercises)}")


def _load_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_week(path: str | Path) -> Week:
    """Load ``exercises/weekN``: its ``checks.EXERCISES`` and ``mistakes.MISTAKES``.

    Args:
        path: the week's folder, or its name (``week1``) under ``exercises/``.

    Raises:
        FileNotFoundError: when there is no ``checks.py`` there.
    """
    p = Path(path)
    if not (p / "checks.py").exists() and (EXERCISES_DIR / str(path)).exists():
        p = EXERCISES_DIR / str(path)
    p = p.resolve()
    if not (p / "checks.py").exists():
        raise FileNotFoundError(f"{p} is not an exercise week (no checks.py); weeks: "
                                f"{', '.join(w.name for w in list_weeks())}")
    checks = _load_file(p / "checks.py", f"_course_{p.name}_checks")
    mistakes = []
    if (p / "mistakes.py").exists():
        mistakes = list(_load_file(p / "mistakes.py", f"_course_{p.name}_mistakes").MISTAKES)
    return Week(p, list(checks.EXERCISES), mistakes)


def list_weeks() -> list[Path]:
    """Every ``exercises/week*`` folder with a ``checks.py``, in order."""
    return sorted((p for p in EXERCISES_DIR.glob("week*") if (p / "checks.py").exists()),
                  key=lambda p: (len(p.name), p.name))


_active: "Submission | None" = None


class Submission:
    """A folder of code under test; :meth:`module` imports one of its files.

    Args:
        path: the folder (a student's copy, ``skeleton/`` or ``solution/``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_dir():
            raise FileNotFoundError(f"no such folder: {self.path}")
        self._modules: dict[str, ModuleType] = {}

    @classmethod
    def resolve(cls, week: Week, student: str | Path) -> "Submission":
        """``skeleton`` and ``solution`` name the week's folders; anything else is a path."""
        if str(student) in ("skeleton", "solution"):
            return cls(week.path / str(student))
        return cls(student)

    def _activate(self) -> None:
        global _active
        if _active is self:
            return
        # Forget the sibling modules of any earlier submission (same file names).
        for f in self.path.glob("*.py"):
            sys.modules.pop(f.stem, None)
        if _active is not None:
            for name in list(_active._modules):
                sys.modules.pop(name, None)
        _active = self

    def module(self, name: str) -> ModuleType:
        """Import ``<folder>/<name>.py`` (once per submission).

        Raises:
            CheckFailed: the file is missing or raises on import (a syntax
                error, say), reported as method ``import``.
        """
        self._activate()
        if name in self._modules:
            return self._modules[name]
        path = self.path / f"{name}.py"
        if not path.exists():
            raise CheckFailed(Failure("import", f"{name}.py", f"{path} does not exist; "
                                      f"copy the week's files with python -m framework.exercises"))
        sys.path.insert(0, str(self.path))
        try:
            module = importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - report any import error as the student's
            raise CheckFailed(Failure("import", f"{name}.py", f"importing {name}.py raised "
                                      f"{type(e).__name__}", exception=f"{type(e).__name__}: {e}")) \
                from None
        finally:
            sys.path.remove(str(self.path))
        self._modules[name] = module
        return module

    def get(self, module: str, attribute: str) -> Any:
        """``module.attribute`` of the submission (a class or function).

        Raises:
            CheckFailed: when the attribute is missing.
        """
        m = self.module(module)
        if not hasattr(m, attribute):
            raise CheckFailed(Failure("import", f"{module}.{attribute}",
                                      f"{module}.py has no {attribute}; keep the skeleton's names"))
        return getattr(m, attribute)
