"""The grader: run a week's exercises on a student's code and say, per exercise, what is wrong.

Usage::

    python -m framework.grade exercises/week1 --student mywork
    python -m framework.grade week1 --student mywork --exercise 1.3 1.4
    python -m framework.grade exercises/week1 --student /autograder/submission \\
        --format gradescope --output /autograder/results/results.json

Each exercise runs in its own Python process with a timeout, so a crash or
an infinite loop in one file costs that exercise only. ``--student`` takes
a folder, or ``skeleton`` / ``solution`` for the week's own folders.

Text output: one line per exercise (PASS/FAIL, points), and for a failure
the method, the quantity, the first bad index with both values, the ratio
got/expected when it is a constant factor and what it usually means, and a
hint from the week's mistake catalog. ``--format gradescope`` writes
``results.json`` as Gradescope's autograder specification defines it
(``score``, ``execution_time``, ``output``, ``tests`` with ``name``,
``number``, ``score``, ``max_score``, ``status``, ``output``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence, TextIO

from .grading.loader import Submission, Week, load_week
from .grading.report import ExerciseResult
from .grading.runner import run_exercise, run_in_subprocess

GRADESCOPE_RESULTS = Path("/autograder/results/results.json")


def grade(week: Week, student: str | Path, exercises: Sequence[str] | None = None, *,
          isolate: bool = True, timeout: float | None = None) -> list[ExerciseResult]:
    """Run the week's exercises (all, or those listed) on ``student``'s code.

    Args:
        week: the loaded week.
        student: a folder, or ``skeleton`` / ``solution``.
        exercises: exercise ids (``1.3``) or markers (``ex1_3``); default all.
        isolate: one subprocess per exercise with a timeout (the grader's
            default); False runs in this process (faster, for tests).
        timeout: seconds per exercise (default each exercise's own).

    Returns:
        One result per exercise, in the week's order.
    """
    chosen = [week.exercise(e) for e in exercises] if exercises else week.exercises
    sub = Submission.resolve(week, student)  # a missing folder is an error, not ten failures
    if isolate:
        results = [run_in_subprocess(week, ex, student, timeout) for ex in chosen]
    else:
        results = [run_exercise(week, ex, sub, timeout) for ex in chosen]
    failed = {r.id for r in results if not r.passed}
    for ex, r in zip(chosen, results):
        before = [e for e in ex.requires if e in failed]
        if not r.passed and before:
            r.notes.append(f"this exercise uses your code of exercise {', '.join(before)}, "
                           f"which failed too: fix {'that' if len(before) == 1 else 'those'} first")
    return results


def format_text(week: Week, student: str | Path, results: list[ExerciseResult]) -> str:
    """The terminal report: a line per exercise, details under each failure, the total."""
    lines = [f"grading {week.name} for {student}", ""]
    for r in results:
        lines.append(r.line())
        if not r.passed:
            lines += ["    " + d for d in r.details().splitlines()]
    total = sum(r.points for r in results)
    best = sum(r.max_points for r in results)
    lines += ["", f"total: {total:g}/{best:g} points, {sum(r.passed for r in results)} of "
                  f"{len(results)} exercises passed"]
    return "\n".join(lines)


def gradescope_json(results: list[ExerciseResult], seconds: float) -> dict:
    """Results as Gradescope's autograder ``results.json`` (one test per exercise)."""
    tests = []
    for r in results:
        tests.append({
            "name": f"Exercise {r.id}: {r.title}",
            "number": r.id,
            "score": r.points,
            "max_score": r.max_points,
            "status": "passed" if r.passed else "failed",
            "output": "PASS" if r.passed else r.details(),
            "visibility": "visible",
        })
    return {"score": sum(r.points for r in results), "execution_time": round(seconds, 3),
            "output": f"{sum(r.passed for r in results)} of {len(results)} exercises passed",
            "visibility": "visible", "stdout_visibility": "visible", "tests": tests}


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Command-line entry point; exit status 0 when every exercise passed, 1 otherwise."""
    out = stdout or sys.stdout
    p = argparse.ArgumentParser(prog="python -m framework.grade", description=__doc__.split("\n\n")[0])
    p.add_argument("week", help="the week's folder (exercises/week1) or name (week1)")
    p.add_argument("--student", required=True,
                   help="folder with your files, or 'skeleton' / 'solution'")
    p.add_argument("--exercise", nargs="+", metavar="ID", help="only these exercises (1.3 or ex1_3)")
    p.add_argument("--format", choices=("text", "gradescope", "json"), default="text")
    p.add_argument("--output", help="file for --format gradescope/json (default: Gradescope's "
                                    "/autograder/results/results.json if that folder exists, "
                                    "else ./results.json)")
    p.add_argument("--timeout", type=float, help="seconds per exercise (default: each exercise's own)")
    p.add_argument("--in-process", action="store_true",
                   help="run in this process: faster, but a hang or crash stops everything")
    args = p.parse_args(argv)
    try:
        week = load_week(args.week)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        results = grade(week, args.student, args.exercise, isolate=not args.in_process,
                        timeout=args.timeout)
    except (FileNotFoundError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    if args.format == "text":
        print(format_text(week, args.student, results), file=out)
    else:
        data = (gradescope_json(results, seconds) if args.format == "gradescope"
                else {"week": week.name, "seconds": seconds, "results": [r.to_dict() for r in results]})
        default = GRADESCOPE_RESULTS if GRADESCOPE_RESULTS.parent.is_dir() else Path("results.json")
        path = Path(args.output) if args.output else default
        path.write_text(json.dumps(data, indent=2))
        print(format_text(week, args.student, results), file=out)
        print(f"\nwrote {path}", file=out)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
