"""Print a worksheet as Markdown or as a LaTeX document, with values or with blanks."""
from __future__ import annotations

import numpy as np

from .model import Quantity, Worksheet

BLANK = "___"
LATEX_BLANK = r"\underline{\hspace{2.5em}}"


def number(x: float, digits: int = 4) -> str:
    """A number as a hand computation writes it: ``0.5``, ``-1``, ``0.4134``.

    Args:
        x: the value.
        digits: decimals kept (trailing zeros dropped).

    Returns:
        The text; ``-0`` is written ``0``.
    """
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nested(value: np.ndarray, digits: int = 4, blanks: bool = False) -> str:
    """``value`` as nested brackets, the same form as in JSON answers files.

    Args:
        value: a scalar, vector or matrix (any dims).
        digits: decimals kept.
        blanks: write ``___`` instead of each number.

    Returns:
        E.g. ``[[0.1, -0.2], [0.4, 0.5]]``.
    """
    a = np.asarray(value)
    if a.ndim == 0:
        return BLANK if blanks else number(float(a), digits)
    return "[" + ", ".join(nested(row, digits, blanks) for row in a) + "]"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_line(q: Quantity, digits: int, blanks: bool) -> str:
    shown = nested(q.value, digits, blanks and not q.given)
    formula = f"{q.symbol} = {q.formula}" if q.formula else q.symbol
    return f"| {_md_cell(formula)} | `{shown}` |"


def markdown(sheet: Worksheet, digits: int = 4, blanks: bool = False) -> str:
    """The worksheet as Markdown: a heading, the description, one table per section.

    Args:
        sheet: the worksheet.
        digits: decimals of the printed numbers.
        blanks: leave the computed quantities blank (an exam's questions);
            given values are always printed.

    Returns:
        Markdown text ending in a newline.
    """
    lines = [f"# {sheet.title}", ""]
    if sheet.description:
        lines += [sheet.description, ""]
    for section in sheet.sections:
        lines += [f"## {section.title}", ""]
        if section.note:
            lines += [section.note, ""]
        lines += ["| quantity | value |", "|---|---|"]
        lines += [_md_line(q, digits, blanks) for q in section.quantities]
        lines.append("")
    return "\n".join(lines)


# -- LaTeX ----------------------------------------------------------------------------
_TEXT_TO_LATEX = {
    "δ": r"$\delta$", "∂": r"$\partial$", "·": r"$\cdot$", "⊙": r"$\odot$", "σ": r"$\sigma$",
    "η": r"$\eta$", "ᵀ": r"$^T$", "→": r"$\to$", "×": r"$\times$", "−": "-", "≤": r"$\le$",
    "Σ": r"$\Sigma$", "⋆": r"$\star$", "←": r"$\leftarrow$", "¹": r"$^1$", "²": r"$^2$",
    "³": r"$^3$", "⁴": r"$^4$", "₀": r"$_0$", "₁": r"$_1$", "₂": r"$_2$", "₃": r"$_3$",
    "ⱼ": r"$_j$", "ᵢ": r"$_i$", "′": "'", "“": "``", "”": "''", "’": "'", "…": r"\dots{}",
    "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "ⁱ": r"$^i$", "ᶠ": r"$^f$", "ᵒ": r"$^o$", "ᵍ": r"$^g$",
    "½": r"$\frac12$", "ₜ": r"$_t$",
    "°": r"$^\circ$", "√": r"$\sqrt{}$", "≈": r"$\approx$", "⁻": r"$^-$",
}
_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "\\": r"\textbackslash{}"}


def latex_text(text: str) -> str:
    """Plain text (with the lecture's Unicode symbols) made safe for a LaTeX paragraph.

    Text in backticks is set in typewriter font.
    """
    out, code = [], False
    for ch in text:
        if ch == "`":
            out.append("}" if code else r"\texttt{")
            code = not code
        else:
            out.append(_LATEX_SPECIAL.get(ch) or _TEXT_TO_LATEX.get(ch) or ch)
    if code:
        out.append("}")
    return "".join(out)


def latex_matrix(value: np.ndarray, digits: int = 4, blanks: bool = False) -> str:
    """``value`` as a ``bmatrix`` (a scalar as a plain number).

    Vectors are rows, as in the lecture; arrays of more than two dims are
    printed as a row of matrices, one per leading index.
    """
    a = np.asarray(value)
    cell = (lambda x: LATEX_BLANK) if blanks else (lambda x: number(float(x), digits))
    if a.ndim == 0:
        return cell(a)
    if a.ndim == 1:
        a = a[np.newaxis]
    if a.ndim > 2:
        return r"\left(" + ",\\;".join(latex_matrix(s, digits, blanks) for s in a) + r"\right)"
    rows = [" & ".join(cell(x) for x in row) for row in a]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def latex(sheet: Worksheet, digits: int = 4, blanks: bool = False) -> str:
    """The worksheet as a complete LaTeX document (``article``, ``amsmath``).

    Args:
        sheet: the worksheet.
        digits: decimals of the printed numbers.
        blanks: leave the computed quantities blank.

    Returns:
        The document's source, compilable with ``pdflatex``.
    """
    lines = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
             r"\usepackage[margin=2cm]{geometry}", r"\allowdisplaybreaks",
             r"\begin{document}", rf"\section*{{{latex_text(sheet.title)}}}"]
    if sheet.description:
        lines += [latex_text(sheet.description), ""]
    for section in sheet.sections:
        lines.append(rf"\subsection*{{{latex_text(section.title)}}}")
        if section.note:
            lines += [latex_text(section.note), ""]
        rows = []
        for q in section.quantities:
            rhs = f"{q.latex_formula} = " if q.latex_formula else ""
            shown = latex_matrix(q.value, digits, blanks and not q.given)
            rows.append(f"{q.latex} &= {rhs}{shown}")
        lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    lines += [r"\end{document}", ""]
    return "\n".join(lines)
