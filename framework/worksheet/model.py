"""What a worksheet is: named quantities (given or computed), grouped in sections.

A worksheet is a *view* on a run of the framework's real layers: every
computed number in it was read from a Tensor (elements, deltas, parameter
deltas) after ``forward`` / ``backward`` / ``calculate_delta_weights``. This
module only holds the numbers with their names, formulas and dependencies;
``render.py`` prints them, ``check.py`` grades answers against them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np


@dataclass
class Quantity:
    """One number, vector or matrix of a worksheet, in the lecture's notation.

    Attributes:
        key: ASCII identifier, used in answers files (``"b"``, ``"delta_c"``,
            ``"dL_dW2"``, ``"W2_new"``).
        symbol: the lecture's symbol in Unicode (``"δc"``, ``"∂L/∂W²"``).
        latex: the symbol in LaTeX math (``r"\\delta \\vec{c}"``).
        value: float64 array as displayed (a row vector for one sample, a
            matrix, an image ``[H, W]``), or a 0-d array for a scalar.
        formula: how it is computed, in Unicode (``"δc = δd·W²ᵀ"``); empty
            for given values.
        latex_formula: the right-hand side of the formula in LaTeX.
        depends: keys of the quantities the formula reads.
        given: True for the data of the problem (inputs, weights, targets),
            False for what a student computes.
        hint: the step to re-check when this quantity is wrong but what it
            depends on is right (``"the product with W²ᵀ"``).
    """

    key: str
    symbol: str
    latex: str
    value: np.ndarray
    formula: str = ""
    latex_formula: str = ""
    depends: tuple[str, ...] = ()
    given: bool = False
    hint: str = ""

    def __post_init__(self) -> None:
        self.value = np.array(self.value, dtype=np.float64)

    @property
    def size(self) -> int:
        """Number of scalars in the quantity (blanks in an exam)."""
        return int(self.value.size)


@dataclass
class Section:
    """A titled group of quantities, e.g. "Forward pass"."""

    title: str
    quantities: list[Quantity] = field(default_factory=list)
    note: str = ""


@dataclass
class Worksheet:
    """The quantities of one worked example, in the order a student computes them.

    Args:
        title: heading, e.g. "The lecture's running example".
        description: one paragraph: the network, its notation, conventions.
        sections: the sections in order; the order of the computed
            quantities is the order in which an exam checks them.
        key_prefix: short name used by :func:`combine` to keep keys unique
            (``"mlp"``, ``"conv"``).
    """

    title: str
    description: str = ""
    sections: list[Section] = field(default_factory=list)
    key_prefix: str = ""

    def __iter__(self) -> Iterator[Quantity]:
        for section in self.sections:
            yield from section.quantities

    def keys(self) -> list[str]:
        """Keys of every quantity, in order."""
        return [q.key for q in self]

    def __getitem__(self, key: str) -> Quantity:
        for q in self:
            if q.key == key:
                return q
        raise KeyError(f"worksheet {self.title!r} has no quantity {key!r}; "
                       f"it has {', '.join(self.keys())}")

    def __contains__(self, key: object) -> bool:
        return any(q.key == key for q in self)

    def value(self, key: str) -> np.ndarray:
        """The value of quantity ``key`` (a float64 array)."""
        return self[key].value

    def computed(self) -> list[Quantity]:
        """The quantities a student computes (not given), in order."""
        return [q for q in self if not q.given]

    def to_markdown(self, digits: int = 4, blanks: bool = False) -> str:
        """This worksheet as Markdown (see :func:`framework.worksheet.render.markdown`)."""
        from .render import markdown
        return markdown(self, digits=digits, blanks=blanks)

    def to_latex(self, digits: int = 4, blanks: bool = False) -> str:
        """This worksheet as a LaTeX document (see :func:`framework.worksheet.render.latex`)."""
        from .render import latex
        return latex(self, digits=digits, blanks=blanks)


def combine(title: str, sheets: list[Worksheet], description: str = "") -> Worksheet:
    """Join several worksheets into one, prefixing section titles and keys.

    Keys become ``"<prefix>.<key>"`` with each sheet's ``key_prefix`` (or
    ``"part<i>"``), so they stay unique in answers files.

    Args:
        title: the combined title.
        sheets: worksheets in order.
        description: text for the combined sheet.

    Returns:
        A new Worksheet whose sections are the sheets' sections.
    """
    out = Worksheet(title, description)
    for i, sheet in enumerate(sheets, 1):
        prefix = sheet.key_prefix or f"part{i}"
        first = True
        for section in sheet.sections:
            qs = [Quantity(**{**q.__dict__, "key": f"{prefix}.{q.key}",
                              "depends": tuple(f"{prefix}.{d}" for d in q.depends)})
                  for q in section.quantities]
            note = section.note
            if first and sheet.description:
                note = (sheet.description + ("\n\n" + note if note else ""))
            out.sections.append(Section(f"{sheet.title}: {section.title}", qs, note))
            first = False
    return out


def as_display(value: Any) -> np.ndarray:
    """Drop the size-1 batch and channel dims a hand computation does not write.

    ``[1, F]`` becomes the row vector ``[F]``; ``[1, H, W, 1]`` the image
    ``[H, W]``; ``[1]`` a scalar. Other dims are kept.

    Args:
        value: array-like in the framework's logical layout.

    Returns:
        A new float64 array.
    """
    a = np.array(value, dtype=np.float64)
    if a.ndim >= 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.shape == (1,):
        a = a.reshape(())
    return a
