"""Grade every mutant of the mistake catalog and print the table: mutant | caught | named correctly.

Usage::

    python -m framework.grading.mutants            # every week
    python -m framework.grading.mutants week1

A mutant is *caught* when its exercise fails, and *named correctly* when the
failure names the catalog entry's method and quantity and shows its hint.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .catalog import Mistake
from .loader import Submission, Week, list_weeks, load_week
from .report import ExerciseResult
from .runner import run_exercise


@dataclass
class MutantOutcome:
    """The grader's verdict on one mutant."""

    week: str
    mistake: Mistake
    result: ExerciseResult
    seconds: float

    @property
    def caught(self) -> bool:
        """The mutant's exercise failed."""
        return not self.result.passed

    @property
    def named(self) -> bool:
        """Method, quantity and hint are the catalog entry's."""
        f, m = self.result.failure, self.mistake
        return (f is not None and f.method == m.method and m.quantity in f.quantity
                and f.mistake == m.id)


def grade_mutant(week: Week, mistake: Mistake) -> MutantOutcome:
    """Copy the week's solution, apply the mutant, grade its exercise (in this process)."""
    if mistake.mutant is None:
        raise ValueError(f"mistake {mistake.id} has no mutant")
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mistake.id}-") as tmp:
        target = Path(tmp)
        for f in (week.path / "solution").iterdir():
            if f.is_file():
                shutil.copyfile(f, target / f.name)
        mistake.mutant.apply(week.path / "solution", target)
        start = time.perf_counter()
        result = run_exercise(week, week.exercise(mistake.exercise), Submission(target))
        return MutantOutcome(week.name, mistake, result, time.perf_counter() - start)


def table(outcomes: Sequence[MutantOutcome]) -> str:
    """A Markdown table: mutant | exercise | caught | named correctly | seconds."""
    lines = ["| mutant | exercise | caught | named correctly | seconds |", "|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.mistake.title} (`{o.mistake.id}`) | {o.mistake.exercise} | "
                     f"{'yes' if o.caught else 'NO'} | {'yes' if o.named else 'NO'} | "
                     f"{o.seconds:.2f} |")
    caught = sum(o.caught for o in outcomes)
    named = sum(o.named for o in outcomes)
    lines.append(f"\n{caught}/{len(outcomes)} caught, {named}/{len(outcomes)} named correctly")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table; exit 1 when a mutant is not caught or not named correctly."""
    args = list(sys.argv[1:] if argv is None else argv)
    weeks = [load_week(a) for a in args] if args else [load_week(p) for p in list_weeks()]
    outcomes = [grade_mutant(w, m) for w in weeks for m in w.mistakes if m.mutant is not None]
    print(table(outcomes))
    for o in outcomes:
        if not (o.caught and o.named):
            f = o.result.failure
            print(f"\n{o.mistake.id}: got {f.method if f else 'PASS'} / "
                  f"{f.quantity if f else ''} / {f.mistake if f else ''}")
    return 0 if all(o.caught and o.named for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
