"""The mistake catalog: typical student bugs, how the grader recognises them, and the hint it shows.

Each :class:`Mistake` says which exercise and method it concerns, which
signs in a :class:`~framework.grading.report.Failure` identify it (a
constant factor, a known wrong formula the values equal, a broken
overwrite/accumulate contract, a parameter forward does not use, an
exception text), the hint to show, and a :class:`Mutant`: the same bug
written into the reference solution, so a test proves that the grader
catches it and names it.

A week lists its mistakes in ``exercises/weekN/mistakes.py`` as
``MISTAKES = [Mistake(...), ...]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .report import Failure


@dataclass(frozen=True)
class Mutant:
    """A bug written into a solution file: replace ``old`` (exactly once) by ``new``.

    Attributes:
        file: file name in the week's ``solution/`` folder, e.g. ``layers.py``.
        old: text that occurs exactly once in that file.
        new: its replacement.
    """

    file: str
    old: str
    new: str

    def apply(self, solution_dir: Path, target_dir: Path) -> None:
        """Write the mutated file into ``target_dir`` (which holds a copy of the solution).

        Raises:
            ValueError: when ``old`` does not occur exactly once.
        """
        text = (Path(solution_dir) / self.file).read_text()
        if text.count(self.old) != 1:
            raise ValueError(f"mutant for {self.file}: {self.old!r} occurs "
                             f"{text.count(self.old)} times, expected once")
        (Path(target_dir) / self.file).write_text(text.replace(self.old, self.new))


@dataclass(frozen=True)
class Mistake:
    """One typical bug: where it shows, how to recognise it, what to tell the student.

    A failure matches when every given sign agrees (``None`` = not checked).

    Attributes:
        id: short stable id, e.g. ``fc-w-not-transposed``.
        title: what the student did, e.g. ``W instead of Wᵀ in backward``.
        exercise: exercise id, e.g. ``1.3``.
        method: the method the grader must name.
        quantity: a substring of the quantity the grader must name.
        hint: what to check, shown in the report.
        mutant: the bug written into the reference solution.
        factor: the constant factor's name (``-1``, ``1/batch``, ``2``).
        alternative: substring of the known wrong formula's name.
        contract: ``overwrite`` or ``accumulate``.
        unused_param: the parameter forward ignores.
        exception: regular expression searched in the exception text.
    """

    id: str
    title: str
    exercise: str
    method: str
    quantity: str
    hint: str
    mutant: Mutant | None = None
    factor: str | None = None
    alternative: str | None = None
    contract: str | None = None
    unused_param: str | None = None
    exception: str | None = None
    tags: tuple[str, ...] = field(default=())

    def matches(self, exercise: str, f: Failure) -> bool:
        """Whether failure ``f`` of ``exercise`` shows this mistake's signs."""
        if exercise != self.exercise or f.method != self.method or self.quantity not in f.quantity:
            return False
        if self.factor is not None and f.factor_name != self.factor:
            return False
        if self.alternative is not None and (f.alternative is None or
                                             self.alternative not in f.alternative):
            return False
        if self.contract is not None and f.contract != self.contract:
            return False
        if self.unused_param is not None and f.unused_param != self.unused_param:
            return False
        if self.exception is not None and not re.search(self.exception, f.exception or ""):
            return False
        return True


# Shown when no catalog entry matches: what to check for each method.
GENERIC_HINTS = {
    "forward": "compare your formula with the cheat sheet; print Y for a tiny input and "
               "compute one element by hand",
    "backward": "δX = δY · ∂Y/∂X: derive one element by hand (lecture: running example) and "
                "check the order of the factors and every transposition",
    "calculate_delta_weights": "∂L/∂W = Xᵀ·δY sums over the batch rows; add (+=) into the "
                               "parameter deltas, never replace them",
    "params": "declare every parameter in the constructor with self.add_param(name, shape, ...)",
    "__init__": "the constructor must accept the arguments the skeleton shows",
    "output_shape": "the output shape keeps the batch dim first",
    "running_example": "the first wrong quantity in the order b, c, d, e, L, δe, δd, ... is where "
                       "the chain breaks: check the layer that computes it",
    "train": "train with your sgd_step; if the loss does not fall, check the learning rate and "
             "that every layer's gradient passes its own exercise",
    "timeout": "look for a loop whose condition never changes (while without a step)",
    "crash": "run the file yourself (python -c 'import layers') to see the error",
}


def find_mistake(mistakes: list[Mistake], exercise: str, failure: Failure) -> Mistake | None:
    """The first catalog entry whose signs the failure shows, or None."""
    for m in mistakes:
        if m.matches(exercise, failure):
            return m
    return None


def annotate(mistakes: list[Mistake], exercise: str, failure: Failure) -> None:
    """Fill in ``failure.mistake`` and ``failure.hint`` from the catalog (or a generic hint)."""
    m = find_mistake(mistakes, exercise, failure)
    if m is not None:
        failure.mistake, failure.hint = m.id, m.hint
    elif failure.exception and failure.exception.startswith("NotImplementedError"):
        failure.hint = "replace the raise NotImplementedError(...) by your code"
    else:
        failure.hint = GENERIC_HINTS.get(failure.method)
