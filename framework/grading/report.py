"""What the grader says about one exercise: the failure (method, quantity, where, by how much) and its hint.

A check raises :class:`CheckFailed` carrying a :class:`Failure`; the runner
turns it into an :class:`ExerciseResult`, looks the failure up in the
week's mistake catalog for a hint, and formats it for a terminal or for
Gradescope.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Failure:
    """Why an exercise failed, in the words the report uses.

    Attributes:
        method: the method that is wrong: ``forward``, ``backward``,
            ``calculate_delta_weights``, ``params``, ``offset``, ... .
        quantity: the quantity that is wrong: ``output Y``, ``input delta δX``,
            ``delta of weights``, ``loss value L``, ... .
        message: one sentence saying what is wrong.
        case: the input the check used (layer, shapes, batch size).
        index: first wrong index (logical, batch first), if values were compared.
        got: the student's value at ``index``.
        expected: the reference value at ``index``.
        factor: ``got/expected`` when it is one constant everywhere (else None).
        factor_name: the factor's name when it is a typical one (``-1``, ``1/batch``).
        factor_meaning: what that factor usually means.
        alternative: name of a known wrong formula the student's values equal.
        contract: ``overwrite`` or ``accumulate`` when the protocol, not the math, is broken.
        unused_param: a parameter the output does not depend on (does forward use it?).
        exception: ``Type: message`` of an exception the student's code raised.
        mistake: catalog id of the matching mistake (filled in by the runner).
        hint: the catalog's hint (filled in by the runner).
    """

    method: str
    quantity: str
    message: str = ""
    case: str = ""
    index: tuple[int, ...] | None = None
    got: float | None = None
    expected: float | None = None
    factor: float | None = None
    factor_name: str | None = None
    factor_meaning: str | None = None
    alternative: str | None = None
    contract: str | None = None
    unused_param: str | None = None
    exception: str | None = None
    mistake: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (index as a list)."""
        d = asdict(self)
        if self.index is not None:
            d["index"] = list(self.index)
        return d


class CheckFailed(AssertionError):
    """Raised by a check; carries the :class:`Failure`."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.method}: {failure.quantity}: {failure.message}")
        self.failure = failure


@dataclass
class ExerciseResult:
    """The outcome of one exercise: passed or the failure, and the points."""

    id: str
    title: str
    max_points: float
    passed: bool = False
    failure: Failure | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        """Full points when passed, else 0."""
        return self.max_points if self.passed else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the runner's subprocess protocol)."""
        return {"id": self.id, "title": self.title, "max_points": self.max_points,
                "passed": self.passed, "seconds": self.seconds, "notes": self.notes,
                "failure": None if self.failure is None else self.failure.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ExerciseResult":
        """Inverse of :meth:`to_dict`."""
        f = d.get("failure")
        failure = None
        if f is not None:
            f = dict(f)
            if f.get("index") is not None:
                f["index"] = tuple(f["index"])
            failure = Failure(**f)
        return cls(d["id"], d["title"], d["max_points"], d["passed"], failure,
                   d.get("seconds", 0.0), list(d.get("notes", [])))

    def details(self) -> str:
        """The failure explained over several lines (empty when passed)."""
        f = self.failure
        if f is None:
            return ""
        lines = [f"method:   {f.method}", f"quantity: {f.quantity}"]
        lines += [f"note:     {n}" for n in self.notes]
        if f.case:
            lines.append(f"case:     {f.case}")
        if f.message:
            lines.append(f"what:     {f.message}")
        if f.exception:
            lines.append(f"raised:   {f.exception}")
        if f.index is not None:
            lines.append(f"first bad index {f.index}: got {_fmt(f.got)}, expected {_fmt(f.expected)}")
        elif f.got is not None or f.expected is not None:
            lines.append(f"got {_fmt(f.got)}, expected {_fmt(f.expected)}")
        if f.factor is not None:
            name = f" = {f.factor_name}" if f.factor_name not in (None, f"{f.factor:.6g}") else ""
            lines.append(f"ratio got/expected: {f.factor:.6g}{name} everywhere"
                         + (f": {f.factor_meaning}" if f.factor_meaning else ""))
        if f.alternative:
            lines.append(f"your values equal: {f.alternative}")
        if f.unused_param:
            lines.append(f"the output does not depend on parameter '{f.unused_param}': "
                         f"does forward use it?")
        if f.hint:
            tag = f" [{f.mistake}]" if f.mistake else ""
            lines.append(f"hint{tag}: {f.hint}")
        return "\n".join(lines)

    def line(self) -> str:
        """One summary line: id, title, PASS/FAIL, points."""
        verdict = "PASS" if self.passed else "FAIL"
        return (f"Exercise {self.id:<5} {self.title:<40} {verdict}  "
                f"{_pts(self.points)}/{_pts(self.max_points)}")


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.8g}"


def _pts(p: float) -> str:
    return f"{p:g}"
