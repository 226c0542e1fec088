"""Run exercises: in this process (pytest, the mutant tests) or one subprocess each (the grader).

In a subprocess a crash, a ``sys.exit`` or an infinite loop in the
student's file costs that exercise only: the parent waits ``timeout``
seconds, then kills it and reports the exercise as failed.

Subprocess protocol: ``python -m framework.grading.runner WEEK EXERCISE STUDENT``
prints the :class:`ExerciseResult` as one JSON line after the marker
``@@RESULT@@``; the student's prints go to stderr.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from .catalog import annotate
from .loader import Exercise, Submission, Week, load_week
from .report import CheckFailed, ExerciseResult, Failure

MARKER = "@@RESULT@@"


class ExerciseTimeout(Exception):
    """Raised inside the student's code when an in-process exercise runs out of time."""


@contextlib.contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    """Raise ExerciseTimeout after ``seconds`` (POSIX main thread only; otherwise no limit)."""
    usable = (seconds and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise ExerciseTimeout(f"did not finish within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_exercise(week: Week, ex: Exercise, submission: Submission,
                 timeout: float | None = None) -> ExerciseResult:
    """Run one exercise's check in this process.

    Args:
        week: the loaded week (for the mistake catalog).
        ex: the exercise.
        submission: the code under test.
        timeout: seconds (default the exercise's own); enforced with SIGALRM
            where available.

    Returns:
        The result; a failure carries the catalog's hint.
    """
    result = ExerciseResult(ex.id, ex.title, ex.points)
    start = time.perf_counter()
    try:
        with _alarm(ex.timeout if timeout is None else timeout):
            ex.check(submission)
        result.passed = True
    except CheckFailed as e:
        result.failure = e.failure
    except ExerciseTimeout as e:
        result.failure = Failure("timeout", ex.title, f"{e} (an infinite loop?)",
                                 exception=f"ExerciseTimeout: {e}")
    except Exception as e:  # noqa: BLE001 - a student error outside call() still fails only this exercise
        result.failure = Failure("check", ex.title, f"raised {type(e).__name__} outside a "
                                 f"checked method", exception=f"{type(e).__name__}: {e}")
    result.seconds = time.perf_counter() - start
    if result.failure is not None:
        annotate(week.mistakes, ex.id, result.failure)
    return result


def run_in_subprocess(week: Week, ex: Exercise, student: str | Path,
                      timeout: float | None = None) -> ExerciseResult:
    """Run one exercise in a fresh Python; a crash or hang fails this exercise only.

    Args:
        week: the loaded week.
        ex: the exercise.
        student: folder of the code under test (or ``skeleton``/``solution``).
        timeout: seconds before the child is killed (default the exercise's own).

    Returns:
        The child's result, or a failure saying it crashed or timed out.
    """
    limit = ex.timeout if timeout is None else timeout
    start = time.perf_counter()
    # The child runs in the repository (so `framework` is this one, not a folder
    # of that name in the student's working directory): paths must not be relative.
    folder = str(student) if str(student) in ("skeleton", "solution") else str(Path(student).resolve())
    cmd = [sys.executable, "-m", "framework.grading.runner", str(Path(week.path).resolve()), ex.id,
           folder]
    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("FRAMEWORK_BACKEND", "numpy")  # no C-kernel warning per child
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, env=env,
                              cwd=repo)
    except subprocess.TimeoutExpired:
        r = ExerciseResult(ex.id, ex.title, ex.points, seconds=time.perf_counter() - start)
        r.failure = Failure("timeout", ex.title, f"did not finish within {limit:g} s "
                            f"(an infinite loop?); the other exercises were graded",
                            exception="TimeoutExpired")
        annotate(week.mistakes, ex.id, r.failure)
        return r
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return ExerciseResult.from_dict(json.loads(line[len(MARKER):]))
    r = ExerciseResult(ex.id, ex.title, ex.points, seconds=time.perf_counter() - start)
    tail = "\n".join((proc.stderr or "").strip().splitlines()[-5:])
    r.failure = Failure("crash", ex.title, f"the check process ended with exit code "
                        f"{proc.returncode} before reporting (sys.exit or a crash in your code?)",
                        exception=tail or None)
    return r


def main(argv: list[str] | None = None) -> int:
    """Child entry point: run one exercise and print its JSON result after the marker."""
    week_dir, ex_id, student = (argv if argv is not None else sys.argv[1:])[:3]
    week = load_week(week_dir)
    ex = week.exercise(ex_id)
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        result = run_exercise(week, ex, Submission.resolve(week, student), timeout=None)
    real_stdout.write(MARKER + json.dumps(result.to_dict()) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
