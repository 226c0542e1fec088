"""Worksheets for the exam's building blocks: a small convolution, max and average pooling.

Each block takes the deltas that arrive from the layer above (``δY``) as
given, as exam questions do, and runs the framework's layer in float64:
``forward``, ``backward`` and ``calculate_delta_weights``, on a single
image ``[1, H, W, 1]`` shown as the matrix ``[H, W]``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..layers import AvgPool2D, Conv2D, MaxPool2D
from ..tensor import Tensor
from .model import Quantity, Section, Worksheet, as_display
from .render import number


def _image(name: str, value: Any) -> np.ndarray:
    a = np.array(value, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a matrix [H, W] (one channel), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def _delta(name: str, value: Any, shape: tuple[int, ...], default: float = 1.0) -> np.ndarray:
    if value is None:
        return np.full(shape, default)
    a = _image(name, value)
    if a.shape != shape:
        raise ValueError(f"{name} must have the output's shape {list(shape)}, got {list(a.shape)}")
    return a


def _run(layer: Any, image: np.ndarray, delta_y: Any) -> tuple[Tensor, Tensor, np.ndarray]:
    x = Tensor.from_numpy(image[np.newaxis, :, :, np.newaxis], dtype=np.float64)
    y = Tensor(layer.output_shape(x.shape), dtype=np.float64)
    layer.forward([x], [y])
    dy = _delta("delta_y", delta_y, y.shape.dims[1:3])
    y.delta_view()[0, :, :, 0] = dy
    layer.backward([y], [x])
    layer.zero_deltas()
    layer.calculate_delta_weights([y], [x])
    return x, y, dy


def conv_worksheet(image: Any, kernel: Any, bias: float = 0.0, stride: int = 1, padding: int = 0,
                   delta_y: Any = None, learning_rate: float = 0.5,
                   title: str = "A small convolution") -> Worksheet:
    """One-channel convolution ``Y = X ⋆ K + bias`` with stride and zero padding, by hand.

    Args:
        image: ``X``, a matrix ``[H, W]`` (e.g. 4×4).
        kernel: ``K``, a matrix ``[kh, kw]`` (e.g. 2×2).
        bias: the scalar bias.
        stride: the step of the window, the same in both directions.
        padding: zeros added on every side.
        delta_y: ``δY = ∂L/∂Y`` arriving from above, of the output's shape
            (default all ones).
        learning_rate: η of the SGD step on ``K`` and ``bias``.
        title: the heading.

    Returns:
        The worksheet: ``X``, ``K``, ``bias``, ``delta_Y`` (given), ``Y``,
        ``delta_X``, ``dL_dK``, ``dL_dbias``, ``K_new``, ``bias_new``.
    """
    x_img, k_img = _image("image", image), _image("kernel", kernel)
    kh, kw = k_img.shape
    layer = Conv2D(1, 1, (kh, kw), stride=stride, padding=padding,
                   weights=k_img[:, :, np.newaxis, np.newaxis], bias=[bias], dtype=np.float64)
    x, y, dy = _run(layer, x_img, delta_y)
    h, w = x_img.shape
    ho, wo = y.shape[1], y.shape[2]
    how = f"stride {stride}, padding {padding}"
    given = Section("Given", [Quantity("X", "X", "X", x_img, given=True)])
    if padding:
        given.quantities.append(Quantity("X_pad", "X padded", r"X_{\text{pad}}",
                                         np.pad(x_img, padding), given=True))
    given.quantities += [Quantity("K", "K", "K", k_img, given=True),
                         Quantity("bias", "bias", r"\mathrm{bias}", np.array(bias), given=True),
                         Quantity("delta_Y", "δY", r"\delta Y", dy, given=True)]
    xs = "X padded" if padding else "X"
    forward = Section("Forward pass", [Quantity(
        "Y", "Y", "Y", as_display(y.view()),
        f"X ⋆ K + bias: Y[i, j] = Σ_m Σ_n {xs}[{stride}·i + m, {stride}·j + n]·K[m, n] + bias",
        rf"X \star K + \mathrm{{bias}} \; (\text{{{how}}})", ("X", "K", "bias"),
        hint=f"the window sums: the window of Y[i, j] starts at row {stride}·i, column {stride}·j of {xs}")])
    backward = Section("Backward pass", [Quantity(
        "delta_X", "δX", r"\delta X", as_display(x.delta_view()),
        "full convolution of δY with rot180(K): every δY[i, j] adds δY[i, j]·K to the pixels its window read",
        r"\delta Y \ast_{\text{full}} \mathrm{rot}_{180}(K)", ("delta_Y", "K"),
        hint="where each window lies: δY[i, j]·K[m, n] goes to the pixel that tap (m, n) read "
             "(taps in the padding are dropped)")])
    grads = Section("Gradients of the parameters", [
        Quantity("dL_dK", "∂L/∂K", r"\frac{\partial L}{\partial K}", layer.weights.delta_view()[:, :, 0, 0],
                 f"{xs} ⋆ δY: ∂L/∂K[m, n] = Σ_i Σ_j δY[i, j]·{xs}[{stride}·i + m, {stride}·j + n]",
                 rf"X \star \delta Y", ("X", "delta_Y"),
                 hint="the sum over the outputs of δY times the pixel that tap (m, n) read"),
        Quantity("dL_dbias", "∂L/∂bias", r"\frac{\partial L}{\partial \mathrm{bias}}",
                 np.array(layer.bias.deltas[0]), "Σ_i Σ_j δY[i, j]", r"\sum_{i,j} \delta Y_{ij}",
                 ("delta_Y",), hint="the sum of all δY")])
    eta = number(learning_rate)
    update = Section(f"One SGD step, η = {eta}", [
        Quantity("K_new", "K (new)", r"K_{\text{new}}",
                 k_img - learning_rate * layer.weights.delta_view()[:, :, 0, 0],
                 f"K − {eta}·∂L/∂K", rf"K - {eta} \frac{{\partial L}}{{\partial K}}", ("K", "dL_dK"),
                 hint="the step K − η·∂L/∂K"),
        Quantity("bias_new", "bias (new)", r"\mathrm{bias}_{\text{new}}",
                 np.array(bias - learning_rate * layer.bias.deltas[0]), f"bias − {eta}·∂L/∂bias",
                 rf"\mathrm{{bias}} - {eta} \frac{{\partial L}}{{\partial \mathrm{{bias}}}}",
                 ("bias", "dL_dbias"), hint="the step bias − η·∂L/∂bias")])
    description = (f"A {h}×{w} image X, a {kh}×{kw} kernel K, {how}: the output has "
                   f"⌊({h} + 2·{padding} − {kh})/{stride}⌋ + 1 = {ho} rows and {wo} columns. "
                   "As in the framework (and every DL library), the convolution is a "
                   "cross-correlation: the kernel is not flipped in the forward pass. "
                   "δY is what the layer above sends back. Indices i, j, m, n in the formulas count "
                   "from 0.")
    return Worksheet(title, description, [given, forward, backward, grads, update], key_prefix="conv")


def pool_worksheet(image: Any, delta_y: Any = None, pool_size: int = 2, stride: int | None = None,
                   title: str = "Max and average pooling") -> Worksheet:
    """Max and average pooling of the same image, forward and backward, by hand.

    Args:
        image: ``X``, a matrix ``[H, W]`` (e.g. 4×4).
        delta_y: ``δY`` arriving from above, of the output's shape (default ones).
        pool_size: the window ``p×p``.
        stride: the window's step (default ``pool_size``: no overlap).
        title: the heading.

    Returns:
        The worksheet: ``X``, ``delta_Y`` (given), ``Y_max``, ``Y_avg``,
        ``delta_X_max``, ``delta_X_avg``.
    """
    x_img = _image("image", image)
    stride = pool_size if stride is None else stride
    xm, ym, dy = _run(MaxPool2D(pool_size, stride), x_img, delta_y)
    xa, ya, _ = _run(AvgPool2D(pool_size, stride), x_img, dy)
    p, s = pool_size, stride
    given = Section("Given", [Quantity("X", "X", "X", x_img, given=True),
                              Quantity("delta_Y", "δY", r"\delta Y", dy, given=True)])
    forward = Section("Forward pass", [
        Quantity("Y_max", "Y_max", r"Y_{\max}", as_display(ym.view()),
                 f"max of each {p}×{p} window; the window of (i, j) starts at row {s}·i, column {s}·j of X",
                 rf"\max_{{{p}\times{p}}} X", ("X",), hint="the largest value of each window"),
        Quantity("Y_avg", "Y_avg", r"Y_{\mathrm{avg}}", as_display(ya.view()),
                 f"mean of each {p}×{p} window; the window of (i, j) starts at row {s}·i, column {s}·j of X",
                 rf"\mathrm{{mean}}_{{{p}\times{p}}} X", ("X",), hint=f"the window sums divided by {p * p}")])
    backward = Section("Backward pass", [
        Quantity("delta_X_max", "δX_max", r"\delta X_{\max}", as_display(xm.delta_view()),
                 "δY[i, j] goes to the position of its window's maximum, 0 everywhere else (first maximum on a tie)",
                 r"\delta Y \text{ at each window's argmax, 0 elsewhere}", ("X", "delta_Y"),
                 hint="only each window's maximum gets δY (the first one on a tie); the others get 0"),
        Quantity("delta_X_avg", "δX_avg", r"\delta X_{\mathrm{avg}}", as_display(xa.delta_view()),
                 f"every pixel of the window of Y[i, j] gets δY[i, j]/{p * p}",
                 rf"\delta Y / {p * p} \text{{ on each window}}", ("delta_Y",),
                 hint=f"every pixel gets δY/{p * p} of each window it is in")])
    description = (f"A {x_img.shape[0]}×{x_img.shape[1]} image X, {p}×{p} windows with stride {s}, "
                   "no padding (windows that do not fit are dropped). Pooling has no parameters: "
                   "only δX is computed. δY is what the layer above sends back. Indices i, j count "
                   "from 0.")
    return Worksheet(title, description, [given, forward, backward], key_prefix="pool")
