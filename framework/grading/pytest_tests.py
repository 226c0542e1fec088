"""One pytest test per exercise, each with its marker, so ``pytest exercises/week1 -m ex1_3`` checks one.

A week's ``test_weekN.py`` is two lines::

    from framework.grading.pytest_tests import make_tests
    make_tests(globals(), __file__)

The code under test comes from ``--student DIR`` (or ``skeleton`` /
``solution``), else the environment variable ``FRAMEWORK_STUDENT``, else
the week's ``solution/`` (what CI checks); see ``exercises/conftest.py``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .loader import Exercise, Submission, load_week
from .runner import run_exercise


def student_choice(config: Any) -> str:
    """The code under test: the ``--student`` option, ``FRAMEWORK_STUDENT``, or ``solution``."""
    opt = config.getoption("student", default=None) if config is not None else None
    return opt or os.environ.get("FRAMEWORK_STUDENT") or "solution"


def make_tests(namespace: dict[str, Any], test_file: str) -> None:
    """Define ``test_ex1_1`` ... in ``namespace``, one per exercise of the week beside ``test_file``."""
    week = load_week(Path(test_file).resolve().parent)

    def make(ex: Exercise) -> Any:
        def test(request: Any) -> None:
            sub = Submission.resolve(week, student_choice(request.config))
            result = run_exercise(week, ex, sub)
            if not result.passed:
                pytest.fail(f"{result.line()}\n{result.details()}", pytrace=False)
        test.__name__ = f"test_{ex.marker}"
        test.__doc__ = f"Exercise {ex.id}: {ex.title}"
        return getattr(pytest.mark, ex.marker)(test)

    for ex in week.exercises:
        namespace[f"test_{ex.marker}"] = make(ex)
