"""Grade a student's answers against a worksheet: each number, the first wrong one and why.

A number is right when ``|answer − key| ≤ max(atol, rtol·|key|)`` (default
0.01 and 1 %). Quantities are checked in the order a student computes
them; the first wrong one is named with what it depends on, and which of
those the student got right, so the message points at the one step to
re-check ("δc is wrong; it depends on δd and W²; your δd was right, so
check the product with W²ᵀ").
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .exam import ABS_TOL, REL_TOL, TOLERANCE, draw_exam
from .model import Quantity, Worksheet
from .render import nested, number


@dataclass
class Item:
    """The grading of one quantity.

    Attributes:
        quantity: the key's quantity.
        status: ``"right"``, ``"wrong"``, ``"blank"`` (nothing filled in) or
            ``"shape"`` (the wrong number of values).
        right: how many of its numbers are right.
        wrong: ``(index, key value, answer)`` of each wrong number.
    """

    quantity: Quantity
    status: str
    right: int = 0
    wrong: list[tuple[tuple[int, ...], float, float]] = field(default_factory=list)


@dataclass
class Report:
    """All items, the score and the explanation of the first wrong quantity."""

    items: list[Item]
    score: int
    total: int
    message: list[str]

    @property
    def all_right(self) -> bool:
        """True when every number is right."""
        return self.score == self.total

    def text(self) -> str:
        """The report as printed by ``--check``."""
        return "\n".join(self.message) + "\n"


def _label(q: Quantity) -> str:
    prefix = q.key.split(".")[0] + ": " if "." in q.key else ""
    return f"{prefix}{q.symbol}"


def _where(index: tuple[int, ...]) -> str:
    if not index:
        return ""
    if len(index) == 1:
        return f" entry {index[0] + 1}"
    if len(index) == 2:
        return f" entry (row {index[0] + 1}, column {index[1] + 1})"
    return " entry (" + ", ".join(str(i + 1) for i in index) + ")"


def _grade(q: Quantity, answer: Any, atol: float, rtol: float) -> Item:
    if answer is None:
        return Item(q, "blank")
    try:
        got = np.array(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return Item(q, "shape")
    if got.shape != q.value.shape:
        if got.size == q.value.size and got.size == 1:
            got = got.reshape(q.value.shape)
        else:
            return Item(q, "shape")
    missing = np.isnan(got)   # null inside a list: that number is still blank
    if np.all(missing):
        return Item(q, "blank")
    ok = np.abs(got - q.value) <= np.maximum(atol, rtol * np.abs(q.value))
    bad = ~ok & ~missing
    wrong = [(tuple(int(i) for i in idx), float(q.value[idx]), float(got[idx]))
             for idx in zip(*np.nonzero(bad))] if got.ndim else \
        ([((), float(q.value), float(got))] if bad else [])
    status = "wrong" if wrong else "blank" if np.any(missing) else "right"
    return Item(q, status, int(np.count_nonzero(ok)), wrong)


def _explain(item: Item, by_key: dict[str, Item], sheet: Worksheet) -> list[str]:
    q = item.quantity
    if item.status == "shape":
        return [f"{_label(q)} has the wrong form: expected {q.size} number(s) shaped like "
                f"{nested(q.value, blanks=True)}."]
    idx, expected, got = item.wrong[0]
    lines = [f"{_label(q)} is wrong:{_where(idx)} is {number(got)}, expected {number(expected)}"
             + (f" ({len(item.wrong)} of {q.size} numbers wrong)." if q.size > 1 else ".")]
    if expected != 0 and got != 0:
        ratio = got / expected
        for factor, meaning in [(-1, "the sign is flipped"), (2, "a factor 2 too much"),
                                (0.5, "a factor ½ missing")]:
            if abs(ratio - factor) < 0.01:
                lines.append(f"  Your value is {factor} × the key: {meaning}.")
    deps = [sheet[d] for d in q.depends if d in sheet]
    if not deps:
        lines.append(f"  Check the step {q.symbol} = {q.formula}.")
        return lines
    names = ", ".join(d.symbol for d in deps[:-1]) + (" and " if len(deps) > 1 else "") + deps[-1].symbol
    lines.append(f"  {q.symbol} = {q.formula} depends on {names}.")
    given = [d.symbol for d in deps if d.given]
    asked = [by_key[d.key] for d in deps if not d.given and d.key in by_key]
    parts = []
    if given:
        parts.append(f"you were given {', '.join(given)}")
    for status, word in [("right", "right"), ("wrong", "wrong too"), ("blank", "left blank"),
                         ("shape", "in the wrong form")]:
        same = [i.quantity.symbol for i in asked if i.status == status]
        if same:
            parts.append(f"your {', '.join(same)} {'was' if len(same) == 1 else 'were'} {word}")
    step = q.hint or f"the step {q.symbol} = {q.formula}"
    said = "; ".join(parts)
    said = said[:1].upper() + said[1:]
    if all(i.status == "right" for i in asked):
        lines.append(f"  {said}, so check {step}.")
    else:
        lines.append(f"  {said}: fix those first, then check {step}.")
    return lines


def check_answers(sheet: Worksheet, answers: dict[str, Any], atol: float = ABS_TOL,
                  rtol: float = REL_TOL) -> Report:
    """Grade ``answers`` (key -> nested lists, ``null`` for blank) against ``sheet``.

    Args:
        sheet: the worksheet (the answer key).
        answers: the student's numbers by quantity key; missing keys are blanks.
        atol: absolute tolerance.
        rtol: relative tolerance (a number is right within the larger of the two).

    Returns:
        The :class:`Report`; ``report.text()`` is the printed form.
    """
    unknown = sorted(set(answers) - set(sheet.keys()))
    items = [_grade(q, answers.get(q.key), atol, rtol) for q in sheet.computed()]
    by_key = {i.quantity.key: i for i in items}
    total = sum(i.quantity.size for i in items)
    score = sum(i.right for i in items)
    msg = [f"Score: {score}/{total} numbers right ({100.0 * score / max(total, 1):.1f} %); "
           f"tolerance: {TOLERANCE}."]
    if unknown:
        msg.append(f"Ignored unknown key(s): {', '.join(unknown)}.")
    first = next((i for i in items if i.status in ("wrong", "shape")), None)
    if first is None:
        blanks = [_label(i.quantity) for i in items if i.status == "blank"]
        if not blanks:
            msg.append("Every answer is right.")
        elif score == 0:
            msg.append("Nothing filled in yet: replace each null in the answers file by your number.")
        else:
            msg.append(f"Everything you filled in is right; still blank: {', '.join(blanks)}.")
        return Report(items, score, total, msg)
    msg.append("First wrong answer:")
    msg += _explain(first, by_key, sheet)
    later = [i for i in items if i.status in ("wrong", "shape") and i is not first]
    if later:
        downstream = _downstream(first.quantity.key, sheet)
        msg.append("Also wrong: " + ", ".join(
            _label(i.quantity) + (" (depends on " + first.quantity.symbol + ")"
                                  if i.quantity.key in downstream else "") for i in later) + ".")
    blanks = [_label(i.quantity) for i in items if i.status == "blank"]
    if blanks:
        msg.append(f"Blank: {', '.join(blanks)}.")
    return Report(items, score, total, msg)


def _downstream(key: str, sheet: Worksheet) -> set[str]:
    found, changed = {key}, True
    while changed:
        changed = False
        for q in sheet:
            if q.key not in found and any(d in found for d in q.depends):
                found.add(q.key)
                changed = True
    return found - {key}


def check_file(path: str | Path, seed: int | None = None) -> Report:
    """Grade an answers file written by ``--answers-template`` and filled in by a student.

    Args:
        path: the JSON answers file.
        seed: the exam's seed; default the one in the file (they must agree when both are given).

    Returns:
        The report.

    Raises:
        ValueError: for invalid JSON, a missing or disagreeing seed.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
        raise ValueError(f"{path}: expected an object with \"answers\" (write one with --answers-template)")
    file_seed = doc.get("seed")
    if seed is not None and file_seed is not None and int(file_seed) != int(seed):
        raise ValueError(f"{path}: the answers are for seed {file_seed}, not {seed}")
    seed = file_seed if seed is None else seed
    if seed is None:
        raise ValueError(f"{path}: no seed in the file; pass --seed N")
    sheet = draw_exam(int(seed), doc.get("blocks") or "mlp,conv,pool,lstm")
    return check_answers(sheet, doc["answers"])
