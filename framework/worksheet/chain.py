"""A worksheet for a chain of the framework's layers and a loss: forward, backward, one SGD step.

The numbers come from the layers themselves, run in float64 on Tensors with
the lecture's protocol (``forward``, loss, ``backward`` and
``calculate_delta_weights`` from the last layer to the first). The tensors
are named ``a, b, c, …`` in order, as in the lecture's running example; the
k-th layer with parameters owns ``Wᵏ`` and ``biasᵏ`` (``Uᵏ`` too for an LSTM).
"""
from __future__ import annotations

import copy
import string
from typing import Any, Sequence

import numpy as np

from ..layers.base import ElementwiseLayer, Layer
from ..layers.input import InputLayer
from ..layers.softmax import Softmax
from ..losses import (MSE, BinaryCrossEntropy, CrossEntropy, HellingerDistance, Loss,
                      SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy)
from ..tensor import Tensor
from .model import Quantity, Section, Worksheet, as_display
from .notation import SUPERSCRIPT, describe, fill
from .render import number

_LETTERS = [ch for ch in string.ascii_lowercase if ch not in "lt"]  # L is the loss, t the target


def _param_display(value: np.ndarray) -> np.ndarray:
    a = np.array(value, dtype=np.float64)
    while a.ndim > 2 and a.shape[-1] == 1:   # a single-channel kernel [kh, kw, 1, 1] is [kh, kw]
        a = a[..., 0]
    return a


def _scratch(tensor: Tensor) -> Tensor:
    return Tensor.from_numpy(tensor.view(), dtype=np.float64)


def _derivative(layer: Layer, x: Tensor, y: Tensor) -> np.ndarray | None:
    """``f′(x)`` of an elementwise layer, or the softmax Jacobian of one row, from the layer's backward.

    Runs ``backward`` on copies of the tensors (the real deltas stay as they
    are): with ``δy = 1`` an elementwise layer returns ``f′(x)``; with ``δy``
    the i-th unit vector a softmax returns row i of ``J``.
    """
    if isinstance(layer, ElementwiseLayer):
        xs, ys = _scratch(x), _scratch(y)
        ys.deltas[...] = 1.0
        layer.backward([ys], [xs])
        return xs.delta_view().copy()
    if isinstance(layer, Softmax) and x.size == x.shape[-1]:
        size = x.shape[-1]
        jac = np.empty((size, size))
        for i in range(size):
            xs, ys = _scratch(x), _scratch(y)
            ys.deltas[i] = 1.0
            layer.backward([ys], [xs])
            jac[i] = xs.deltas
        return jac
    return None


def _loss_formulas(loss: Loss, e: str, rows: int) -> tuple[str, str, str, str]:
    mean, mean_tex = (f"(1/{rows})·Σ_rows ", rf"\frac{{1}}{{{rows}}}\sum_{{\text{{rows}}}} ") \
        if rows > 1 else ("", "")
    per = f"{rows}·" if rows > 1 else ""
    if isinstance(loss, SoftmaxCrossEntropy):
        return (f"−{mean}Σ_i t_i·log softmax({e})_i", rf"-{mean_tex}\sum_i t_i \log \mathrm{{softmax}}({e})_i",
                f"(softmax({e})·Σ_i t_i − t)" + (f" / {rows}" if rows > 1 else ""),
                rf"\mathrm{{softmax}}({e}) \textstyle\sum_i t_i - t")
    if isinstance(loss, MSE):
        return (f"{mean}Σ_i ½({e}_i − t_i)²", rf"{mean_tex}\sum_i \tfrac12 ({e}_i - t_i)^2",
                f"({e} − t)" + (f" / {rows}" if rows > 1 else ""), rf"{e} - t")
    if isinstance(loss, CrossEntropy):
        return (f"−{mean}Σ_i t_i·log {e}_i", rf"-{mean_tex}\sum_i t_i \log {e}_i",
                f"−t / ({per}{e})" if per else f"−t / {e}", rf"-t / {e}")
    over = f" / {rows}" if rows > 1 else ""
    if isinstance(loss, BinaryCrossEntropy):
        return (f"−{mean}Σ_i [t_i·log {e}_i + (1 − t_i)·log(1 − {e}_i)]",
                rf"-{mean_tex}\sum_i [t_i \log {e}_i + (1 - t_i) \log(1 - {e}_i)]",
                f"({e} − t) / ({per}{e} ⊙ (1 − {e}))", rf"({e} - t) / ({e} \odot (1 - {e}))")
    if isinstance(loss, SigmoidBinaryCrossEntropy):
        return (f"{mean}Σ_i [max({e}_i, 0) − {e}_i·t_i + log(1 + exp(−|{e}_i|))]",
                rf"{mean_tex}\sum_i [\max({e}_i, 0) - {e}_i t_i + \log(1 + e^{{-|{e}_i|}})]",
                f"(σ({e}) − t){over}", rf"\sigma({e}) - t")
    if isinstance(loss, HellingerDistance):
        return (f"{mean}(1/√2)·‖√{e} − √t‖", rf"{mean_tex}\tfrac{{1}}{{\sqrt2}} \|\sqrt{{{e}}} - \sqrt{{t}}\|",
                f"(√{e} − √t) / ({per}2√2·‖√{e} − √t‖·√{e})",
                rf"(\sqrt{{{e}}} - \sqrt{{t}}) / (2\sqrt2 \|\sqrt{{{e}}} - \sqrt{{t}}\| \sqrt{{{e}}})")
    name = type(loss).__name__
    return (f"{name}({e}, t)", rf"\mathrm{{{name}}}({e}, t)", f"∂L/∂{e}", rf"\partial L / \partial {e}")


def _target(targets: Any, out: Tensor) -> Tensor:
    """Integer labels (one per row) become one-hot rows; anything else is taken as float targets."""
    rows = out.size // out.shape[-1]
    labels = np.asarray(targets)
    if labels.dtype.kind in "iub" and labels.size == rows and labels.size != out.size:
        return InputLayer(1, num_classes=out.shape[-1], dtype=np.float64).targets(
            labels.reshape(out.shape.dims[:-1]), out.shape)
    values = np.asarray(targets, dtype=np.float64)
    if values.size != out.size:
        raise ValueError(f"targets: expected one label per row ({rows}) or {out.size} target values "
                         f"of the output's shape {list(out.shape.dims)}, got shape {list(values.shape)}")
    if not np.all(np.isfinite(values)):
        raise ValueError("targets contain NaN or inf")
    return Tensor.from_numpy(values.reshape(out.shape.dims), dtype=np.float64)


def network_worksheet(layers: Sequence[Layer], inputs: Any, targets: Any, loss: Loss | None = None,
                      learning_rate: float = 0.5, title: str = "A small network by hand",
                      input_shape: Sequence[int] | None = None, description: str = "") -> Worksheet:
    """Run ``layers`` and ``loss`` once in float64 and collect every value, delta and gradient.

    The layers are copied first (the caller's layers are not changed) and
    converted to float64. Build them with ``dtype=np.float64`` to keep the
    given weights exact: float32 layers hold ``0.1`` as ``0.10000000149``,
    which is invisible at four decimals but not at nine. One SGD step ``θ ← θ − η·∂L/∂θ`` is computed from
    the gradients and shown as the new parameters.

    Args:
        layers: the framework's layers with their weights set (e.g.
            ``FullyConnected(2, 3, weights=..., bias=...)``).
        inputs: one sample (a vector, or of ``input_shape``) or a batch
            ``[N, ...]``.
        targets: integer class labels (one-hot), or float targets of the
            output's shape (one-hot or soft labels).
        loss: default :class:`CrossEntropy` (after a Softmax layer, as in the lecture).
        learning_rate: η of the SGD step.
        title: the worksheet's heading.
        input_shape: the shape of one sample; default: a 1-D ``inputs`` is
            one sample, otherwise dim 0 is the batch.
        description: text under the title (default: the chain of layers).

    Returns:
        The :class:`Worksheet`; keys ``a, b, …``, ``L``, ``t``,
        ``delta_<x>``, ``W<k>``, ``dL_dW<k>``, ``W<k>_new`` and likewise for
        ``bias<k>`` (``U<k>``, ``K<k>``).

    Raises:
        ValueError: when the inputs, targets or layers do not fit together.
    """
    loss = CrossEntropy() if loss is None else loss
    layers = [copy.deepcopy(layer) for layer in layers]
    for layer in layers:
        layer.astype_(np.float64)
    data = np.asarray(inputs, dtype=np.float64)
    if input_shape is not None:
        data = data.reshape((-1,) + tuple(input_shape))
    elif data.ndim == 1:
        data = data[np.newaxis]
    tensors = [Tensor.from_numpy(data, dtype=np.float64)]
    for i, layer in enumerate(layers):
        try:
            tensors.append(Tensor(layer.output_shape(tensors[-1].shape), dtype=np.float64))
        except ValueError as e:
            raise ValueError(f"layer {i + 1} ({layer!r}) does not accept its input: {e}") from None
    out = tensors[-1]
    target = _target(targets, out)

    # The lecture's pass: forward, loss, then backward and delta weights from the end.
    for i, layer in enumerate(layers):
        layer.forward([tensors[i]], [tensors[i + 1]])
    value = loss.forward([out], target)
    loss.backward([out], target)
    for layer in layers:
        layer.zero_deltas()
    for i in reversed(range(len(layers))):
        layers[i].backward([tensors[i + 1]], [tensors[i]])
        layers[i].calculate_delta_weights([tensors[i + 1]], [tensors[i]])

    rows = out.size // out.shape[-1]
    letters = _LETTERS if len(tensors) <= len(_LETTERS) else [f"x{i}" for i in range(len(tensors))]
    names = letters[:len(tensors)]
    shown = [as_display(t.view()) for t in tensors]
    tex = [rf"\vec{{{n}}}" if s.ndim == 1 else n for n, s in zip(names, shown)]

    given = Section("Given")
    forward, backward, grads, update = (Section("Forward pass"), Section("Backward pass"),
                                        Section("Gradients of the parameters"),
                                        Section(f"One SGD step, η = {number(learning_rate)}"))
    given.quantities.append(Quantity(names[0], names[0], tex[0], shown[0], given=True))
    given.quantities.append(Quantity("t", "t", "t", as_display(target.view()), given=True))
    notations, symbols, k = [], [], 0
    for i, layer in enumerate(layers):
        param_keys: tuple[str, ...] = ()
        note = describe(layer, rows)
        syms = {"x": names[i], "y": names[i + 1]}
        tsyms = {"x": tex[i], "y": tex[i + 1]}
        if layer.params:
            k += 1
        for pname, p in zip(layer.param_names(), layer.params):
            base, base_tex = note.param_symbols.get(pname, (pname, pname))
            key = f"{base}{k}"
            sym, ptex = f"{base}{str(k).translate(SUPERSCRIPT)}", f"{base_tex}^{{{k}}}"
            letter = {"weights": "W", "bias": "b"}.get(pname, pname)
            syms[letter], tsyms[letter], syms[pname], tsyms[pname] = sym, ptex, sym, ptex
            given.quantities.append(Quantity(key, sym, ptex, _param_display(p.view()), given=True))
            param_keys += (key,)
            grad = note.grads[pname]
            dkey = f"dL_d{key}"
            deps = (names[i], f"delta_{names[i + 1]}") if pname != "bias" else (f"delta_{names[i + 1]}",)
            grads.quantities.append(Quantity(
                dkey, f"∂L/∂{sym}", rf"\frac{{\partial L}}{{\partial {ptex}}}",
                _param_display(p.delta_view()), fill(grad.text, syms), fill(grad.latex, tsyms),
                deps, hint=fill(grad.hint, syms)))
            update.quantities.append(Quantity(
                f"{key}_new", f"{sym} (new)", rf"{ptex}_{{\text{{new}}}}",
                _param_display(p.view() - learning_rate * p.delta_view()),
                f"{sym} − {number(learning_rate)}·∂L/∂{sym}",
                rf"{ptex} - {number(learning_rate)} \cdot \frac{{\partial L}}{{\partial {ptex}}}",
                (key, dkey), hint=f"the step {sym} − η·∂L/∂{sym}"))
        notations.append(note)
        symbols.append((syms, tsyms, param_keys))
        forward.quantities.append(Quantity(
            names[i + 1], names[i + 1], tex[i + 1], shown[i + 1], fill(note.forward.text, syms),
            fill(note.forward.latex, tsyms), (names[i],) + param_keys, hint=fill(note.forward.hint, syms)))

    e, e_tex = names[-1], tex[-1]
    l_text, l_tex, d_text, d_tex = _loss_formulas(loss, e, rows)
    forward.quantities.append(Quantity("L", "L", "L", np.array(value), l_text, l_tex, (e, "t"),
                                       hint="the loss formula with t and " + e))
    backward.quantities.append(Quantity(f"delta_{e}", f"δ{e}", rf"\delta {e_tex}",
                                        as_display(out.delta_view()), d_text, d_tex, (e, "t"),
                                        hint=f"the loss derivative ∂L/∂{e} = {d_text}"))
    for i in reversed(range(len(layers))):
        layer, note = layers[i], notations[i]
        syms, tsyms, param_keys = symbols[i]
        x, y = names[i], names[i + 1]
        deps = (f"delta_{y}",)
        derivative = _derivative(layer, tensors[i], tensors[i + 1])
        if note.derivative is not None and derivative is not None:
            dsym, dtex, formula = note.derivative
            dsym, dtex = fill(dsym, syms), fill(dtex, tsyms)
            dkey = f"J_{x}" if isinstance(layer, Softmax) else f"dact_{x}"
            # The derivative reads what its formula names: ReLU's the input, σ's the output, ELU's both.
            reads = tuple(name for tag, name in (("@x", x), ("@y", y)) if tag in formula.text)
            backward.quantities.append(Quantity(dkey, dsym, dtex, as_display(derivative),
                                                fill(formula.text, syms), fill(formula.latex, tsyms),
                                                reads, hint=fill(formula.hint, syms)))
            syms, tsyms = {**syms, "D": dsym}, {**tsyms, "D": dtex}
            deps += (dkey,)
        elif isinstance(layer, Softmax):
            deps += (y,)
        backward.quantities.append(Quantity(
            f"delta_{x}", f"δ{x}", rf"\delta {tex[i]}", as_display(tensors[i].delta_view()),
            fill(note.backward.text, syms), fill(note.backward.latex, tsyms),
            deps + tuple(k for k in param_keys if not k.startswith("bias")),
            hint=fill(note.backward.hint, syms)))

    description = description or ("The chain " + " → ".join(
        [f"{names[0]} (input {list(tensors[0].shape.dims[1:])})"]
        + [f"{type(layer).__name__} → {names[i + 1]}" for i, layer in enumerate(layers)]
        + [f"{type(loss).__name__} → L"]) + ". Vectors are rows, as in the lecture "
        "(a fully connected layer computes y = x·W + bias); W[i, j] connects input i "
        "to output j.")
    return Worksheet(title, description, [given, forward, backward, grads, update], key_prefix="mlp")
