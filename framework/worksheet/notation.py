"""The lecture's formulas for each layer type, with placeholders for the tensor names.

Placeholders, replaced by :func:`fill`: ``@x``/``@y`` the layer's input and
output tensor, ``@P`` a parameter (``W²``), ``@W``/``@b``/``@U`` the layer's
weights, bias, input weights, ``@D`` the layer's derivative quantity
(``σ′(b)`` or the softmax Jacobian ``J``). Unicode for Markdown and check
messages, LaTeX for documents.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..layers import (ELU, LSTM, AvgPool2D, Conv2D, Elliot, Flatten, FullyConnected, LeakyReLU,
                      Linear, MaxPool2D, ReLU, Sigmoid, Softmax, Softplus, Softsign, SymmetricElliot,
                      Tanh)
from ..layers.base import Layer

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass
class Formula:
    """A right-hand side in Unicode and LaTeX, and the step to re-check when it goes wrong."""

    text: str
    latex: str
    hint: str = ""


@dataclass
class LayerNotation:
    """What a worksheet writes for one layer.

    Attributes:
        forward: ``y = …``.
        derivative: for elementwise layers ``f′(x)`` and for softmax the
            Jacobian, as ``(symbol, latex symbol, formula)``; None otherwise.
        backward: ``δx = …``.
        grads: per parameter name, ``∂L/∂P = …``.
        param_symbols: per parameter name, its (Unicode, LaTeX) base symbol.
    """

    forward: Formula
    backward: Formula
    derivative: tuple[str, str, Formula] | None = None
    grads: dict[str, Formula] = field(default_factory=dict)
    param_symbols: dict[str, tuple[str, str]] = field(default_factory=dict)


def _elementwise(name: str, tex: str, derivative: str, derivative_tex: str) -> LayerNotation:
    return LayerNotation(
        forward=Formula(f"{name}(@x)", rf"{tex}(@x)", f"apply {name} to each element of @x"),
        derivative=(f"{name}′(@x)", rf"{tex}'(@x)",
                    Formula(derivative, derivative_tex, f"the derivative {derivative}, element by element")),
        backward=Formula("δ@y ⊙ @D", r"\delta @y \odot @D",
                         "the elementwise product of δ@y with the derivative @D"))


def describe(layer: Layer, rows: int) -> LayerNotation:
    """The formulas for ``layer``, for a batch of ``rows`` rows (1: the lecture's single sample).

    Args:
        layer: one of the framework's layers (others get a generic description).
        rows: rows of the batch; sums over rows appear only when it is above 1.

    Returns:
        A :class:`LayerNotation` with placeholders.
    """
    rows_sum, rows_sum_tex = ("Σ_rows ", r"\sum_{\text{rows}} ") if rows > 1 else ("", "")
    if isinstance(layer, FullyConnected):
        return LayerNotation(
            forward=Formula("@x·@W + @b", r"@x \cdot @W + @b",
                            "the product @x·@W (row of @x times column of @W) plus @b"),
            backward=Formula("δ@y·@Wᵀ", r"\delta @y \cdot (@W)^T", "the product with @Wᵀ"),
            grads={"weights": Formula("@xᵀ·δ@y", r"(@x)^T \cdot \delta @y",
                                      "the outer product @xᵀ·δ@y: entry (i, j) is @x_i·δ@y_j"),
                   "bias": Formula(f"{rows_sum}δ@y", rf"{rows_sum_tex}\delta @y",
                                   f"∂L/∂@b = {rows_sum}δ@y")},
            param_symbols={"weights": ("W", "W"), "bias": ("bias", r"\vec{bias}")})
    if isinstance(layer, Sigmoid):
        return _elementwise("σ", r"\sigma", "@y ⊙ (1 − @y)", r"@y \odot (1 - @y)")
    if isinstance(layer, Tanh):
        return _elementwise("tanh", r"\tanh", "1 − @y ⊙ @y", r"1 - @y \odot @y")
    if isinstance(layer, ReLU):
        return _elementwise("ReLU", r"\mathrm{ReLU}", "[@x > 0]", r"[@x > 0]")
    if isinstance(layer, Linear):
        return _elementwise("id", r"\mathrm{id}", "1", "1")
    if isinstance(layer, LeakyReLU):
        a = f"{layer.alpha:g}"
        return _elementwise(f"LeakyReLU_{a}", rf"\mathrm{{LeakyReLU}}_{{{a}}}",
                            f"[@x > 0] + {a}·[@x ≤ 0]", rf"[@x > 0] + {a}\,[@x \le 0]")
    if isinstance(layer, ELU):
        a = f"{layer.alpha:g}"
        return _elementwise(f"ELU_{a}", rf"\mathrm{{ELU}}_{{{a}}}",
                            f"[@x > 0] + (@y + {a})·[@x ≤ 0]", rf"[@x > 0] + (@y + {a})\,[@x \le 0]")
    if isinstance(layer, Softplus):
        return _elementwise("softplus", r"\mathrm{softplus}", "σ(@x)", r"\sigma(@x)")
    if isinstance(layer, Softsign):
        return _elementwise("softsign", r"\mathrm{softsign}", "1 / (1 + |@x|)²",
                            r"1 / (1 + |@x|)^2")
    if isinstance(layer, (Elliot, SymmetricElliot)):
        s = f"{layer.steepness:g}"
        half, half_tex = ("½·", r"\tfrac12 ") if isinstance(layer, Elliot) else ("", "")
        name = type(layer).__name__
        return _elementwise(name, rf"\mathrm{{{name}}}", f"{half}{s} / (1 + |{s}·@x|)²",
                            rf"{half_tex}{s} / (1 + |{s} @x|)^2")
    if isinstance(layer, Softmax):
        return LayerNotation(
            forward=Formula("softmax(@x), @y_i = exp(@x_i) / Σ_j exp(@x_j)",
                            r"\mathrm{softmax}(@x)",
                            "exp of each entry divided by the sum of the exps"),
            derivative=("J", "J",
                        Formula("∂@y/∂@x, J_ij = @y_i·(δ_ij − @y_j)",
                                r"\frac{\partial @y}{\partial @x},\; J_{ij} = @y_i (\delta_{ij} - @y_j)",
                                "the Jacobian: diagonal @y_i(1 − @y_i), off-diagonal −@y_i·@y_j")),
            backward=Formula("δ@y·J", r"\delta @y \cdot J", "the product of δ@y with the Jacobian J"))
    if isinstance(layer, Conv2D):
        (sh, _), (ph, _) = layer.stride, layer.padding
        how = f"stride {sh}, padding {ph}"
        return LayerNotation(
            forward=Formula(f"@x ⋆ @W + @b ({how})", rf"@x \star @W + @b \; (\text{{{how}}})",
                            f"each output is the sum over the kernel window times the kernel, plus @b ({how})"),
            backward=Formula("full convolution of δ@y with rot180(@W)",
                             r"\delta @y \;\ast_{\text{full}}\; \mathrm{rot}_{180}(@W)",
                             "each δ@y entry sends δ@y·kernel back to the pixels its window read"),
            grads={"weights": Formula("@x ⋆ δ@y", r"@x \star \delta @y",
                                      "∂L/∂W[i, j] = Σ over outputs of δ@y times the pixel tap (i, j) read"),
                   "bias": Formula("Σ δ@y", r"\sum \delta @y", "the sum of all δ@y")},
            param_symbols={"weights": ("K", "K"), "bias": ("bias", "bias")})
    if isinstance(layer, MaxPool2D):
        (p, _), (s, _) = layer.pool_size, layer.stride
        return LayerNotation(
            forward=Formula(f"max over each {p}×{p} window (stride {s})",
                            rf"\max_{{{p}\times{p}}}(@x)", "the largest value of each window"),
            backward=Formula("δ@y routed to each window's maximum, 0 elsewhere",
                             r"\delta @y \text{ at each window's argmax, 0 elsewhere}",
                             "only the winner of each window gets the window's δ@y"))
    if isinstance(layer, AvgPool2D):
        (p, _), (s, _) = layer.pool_size, layer.stride
        return LayerNotation(
            forward=Formula(f"mean over each {p}×{p} window (stride {s})",
                            rf"\mathrm{{mean}}_{{{p}\times{p}}}(@x)", "the mean of each window"),
            backward=Formula(f"δ@y / {p * p} spread over each window",
                             rf"\delta @y / {p * p} \text{{ on each window}}",
                             f"every pixel of a window gets δ@y/{p * p}"))
    if isinstance(layer, Flatten):
        return LayerNotation(forward=Formula("flatten(@x)", r"\mathrm{flatten}(@x)"),
                             backward=Formula("δ@y reshaped to @x's shape", r"\mathrm{reshape}(\delta @y)"))
    if isinstance(layer, LSTM):
        return LayerNotation(
            forward=Formula("LSTM(@x): per step a_t = @x_t·@U + h_{t−1}·@W + @b, gates i f o g",
                            r"\mathrm{LSTM}(@x)", "the gates, c_t and h_t step by step"),
            backward=Formula("BPTT, δ@x_t = δa_t·@Uᵀ", r"\delta a_t \cdot (@U)^T",
                             "backpropagation through time, then the product with @Uᵀ"),
            grads={"U": Formula("Σ_t @x_tᵀ·δa_t", r"\sum_t (@x_t)^T \delta a_t"),
                   "W": Formula("Σ_t h_{t−1}ᵀ·δa_t", r"\sum_t h_{t-1}^T \delta a_t"),
                   "bias": Formula("Σ_t δa_t", r"\sum_t \delta a_t")},
            param_symbols={"U": ("U", "U"), "W": ("W", "W"), "bias": ("bias", r"\vec{bias}")})
    name = type(layer).__name__
    return LayerNotation(forward=Formula(f"{name}(@x)", rf"\mathrm{{{name}}}(@x)"),
                         backward=Formula(f"{name}.backward(δ@y)", rf"\mathrm{{{name}}}'(\delta @y)"),
                         grads={p: Formula(f"∂L/∂{p}", rf"\partial L/\partial \mathrm{{{p}}}")
                                for p in layer.param_names()})


def fill(template: str, names: dict[str, str]) -> str:
    """Replace the ``@`` placeholders of ``template`` by ``names`` (longest first).

    Args:
        template: a formula with ``@x``, ``@y``, ``@W``, ….
        names: placeholder letter -> symbol, e.g. ``{"x": "a", "W": "W¹"}``.

    Returns:
        The formula with the symbols.
    """
    for k in sorted(names, key=len, reverse=True):
        template = template.replace("@" + k, names[k])
    return template
