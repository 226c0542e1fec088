"""Plots of a training run: the curves, the confusion matrix, the first convolution's filters.

Every function returns the matplotlib ``Figure``: a Jupyter cell that ends
with the call shows it inline, and ``fig.savefig`` works anywhere. Given
``path=``, it also saves the figure atomically (written to a temporary file,
then renamed, so an interrupted save never leaves half a file); the format
comes from the suffix (``.png``, ``.pdf``, ``.svg``).

matplotlib is the optional extra ``plot`` (``pip install -e '.[plot]'``).
No backend is forced: Jupyter's inline backend draws in the notebook, a
desktop session's pyplot window shows the figure on ``plt.show()``, and
without a display matplotlib itself falls back to Agg (files only).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .layers.conv2d import Conv2D
from .trainer import History


def _pyplot(who: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(f"{who} needs matplotlib, which is not installed: "
                          f"pip install -e '.[plot]'") from e
    return plt


def _finish(plt: Any, fig: Any, path: str | Path | None) -> Any:
    """Save ``fig`` to ``path`` (atomically, when given); let pyplot keep it only for a window."""
    from matplotlib.backend_bases import FigureManagerBase
    try:
        if path is not None:
            path = Path(path)
            tmp = path.with_name(f".{path.name}.tmp")
            try:
                fig.savefig(tmp, format=path.suffix.lstrip(".").lower() or "png", dpi=100)
                tmp.replace(path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    finally:
        if type(fig.canvas.manager) is FigureManagerBase:
            # No window (Jupyter's inline backend, Agg): an open figure would be drawn a
            # second time at the end of the cell, or only hold memory.
            plt.close(fig)
    return fig


def plot_history(history: History, path: str | Path | None = None, title: str = "") -> Any:
    """Loss and accuracy per epoch, training and (when present) validation, side by side.

    Args:
        history: what :meth:`SGDTrainer.optimize` returned.
        path: optional file to save to (PNG unless the suffix says otherwise).
        title: figure title.

    Returns:
        The matplotlib Figure, with two axes: loss, and accuracy in %.

    Raises:
        ImportError: matplotlib is not installed.
    """
    plt = _pyplot("plot_history")
    from matplotlib.ticker import MaxNLocator
    epochs = range(1, len(history.train_loss) + 1)
    fig = plt.figure(figsize=(10, 4))
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, history.train_loss, label="train")
    ax_acc.plot(epochs, [100 * a for a in history.train_accuracy], label="train")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, label="validation")
        ax_acc.plot(epochs, [100 * a for a in history.val_accuracy], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _finish(plt, fig, path)


def plot_confusion_matrix(matrix: Any, class_names: Sequence[str] | None = None,
                          normalize: bool = False, path: str | Path | None = None,
                          title: str = "") -> Any:
    """The confusion matrix as an image, rows the true class, columns the predicted one.

    Args:
        matrix: ``[C, C]`` counts, ``matrix[true, predicted]``, as
            :func:`framework.metrics.confusion_matrix` returns.
        class_names: C labels for the ticks; default ``0 .. C-1``.
        normalize: show each row divided by its sum (the fraction of class
            ``i`` predicted as ``j``; the diagonal is the per-class accuracy;
            an empty row stays 0) instead of the counts.
        path: optional file to save to (PNG unless the suffix says otherwise).
        title: axes title; default ``"confusion matrix"``.

    Returns:
        The matplotlib Figure with one axes whose image holds the counts (or
        fractions); for C <= 30 every cell is annotated with its count (or
        its fraction to two decimals).

    Raises:
        ValueError: not a square matrix, negative or non-finite entries, or
            a wrong number of class names.
        ImportError: matplotlib is not installed.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"plot_confusion_matrix: expected a square [C, C] matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError("plot_confusion_matrix: expected finite counts >= 0")
    c = m.shape[0]
    names = [str(i) for i in range(c)] if class_names is None else [str(n) for n in class_names]
    if len(names) != c:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for a {c}x{c} matrix")
    if normalize:
        sums = m.sum(axis=1, keepdims=True)
        shown = np.divide(m, sums, out=np.zeros_like(m), where=sums > 0)
        labels = np.vectorize(lambda v: f"{v:.2f}")(shown)
    else:
        shown = m
        labels = np.vectorize(lambda v: f"{v:g}")(m)  # whole counts print without ".0"
    plt = _pyplot("plot_confusion_matrix")
    size = max(4.0, 0.45 * c + 2.0)
    fig = plt.figure(figsize=(size, size))
    ax = fig.add_subplot()
    top = 1.0 if normalize else max(float(m.max()), 1.0)
    ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=top)
    ax.set(xticks=range(c), yticks=range(c), xlabel="predicted class", ylabel="true class",
           title=title or "confusion matrix")
    ax.set_xticklabels(names)
    ax.set_yticklabels(names)
    if c <= 30:  # beyond that the numbers no longer fit in the cells
        for i in range(c):
            for j in range(c):
                ax.text(j, i, labels[i, j], ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > top / 2 else "black")
    fig.tight_layout()
    return _finish(plt, fig, path)


def first_conv2d(layer_or_network: Any) -> Conv2D:
    """The layer itself if it is a Conv2D, else a network's first Conv2D layer.

    Args:
        layer_or_network: a :class:`~framework.layers.conv2d.Conv2D` or a
            :class:`~framework.network.Network`.

    Returns:
        The Conv2D layer.

    Raises:
        ValueError: a network without a Conv2D layer, naming its layers.
        TypeError: neither a Conv2D nor a network.
    """
    if isinstance(layer_or_network, Conv2D):
        return layer_or_network
    layers = getattr(layer_or_network, "layers", None)
    if layers is None:
        raise TypeError(f"expected a Conv2D layer or a Network, got {type(layer_or_network).__name__}")
    for layer in layers:
        if isinstance(layer, Conv2D):
            return layer
    raise ValueError(f"the network has no Conv2D layer; its layers: "
                     f"{', '.join(repr(layer) for layer in layers) or 'none'}")


def plot_conv_filters(layer_or_network: Any, path: str | Path | None = None, title: str = "",
                      mode: str = "auto", max_filters: int = 64) -> Any:
    """The kernels of the first Conv2D layer as small images, one per output channel.

    The kernel ``W[kh, kw, C_in, C_out]`` gives, for output channel ``o``,
    the ``[kh, kw]`` image ``W[:, :, c, o]`` per input channel ``c`` (row
    ``i`` of the image is kernel row ``i``, as the layer applies it to the
    input's rows). All images share one color scale, ``m = max |W|`` over
    the filters shown, with 0 in the middle (gray), so weak and strong
    filters compare directly:

    ========  ===================================================================
    ``mean``  one gray image per output channel, ``mean_c W[:, :, c, o]``
              (for C_in = 1 simply ``W[:, :, 0, o]``), colormap gray from −m to m
    ``rgb``   C_in = 3 only: one color image ``0.5 + W[:, :, :, o] / (2m)`` (in [0, 1])
    ``grid``  one row per output channel, one gray image per input channel
    ``auto``  ``rgb`` for C_in = 3, ``mean`` for C_in = 1, ``grid`` otherwise
    ========  ===================================================================

    Args:
        layer_or_network: a Conv2D layer, or a network whose first Conv2D is shown.
        path: optional file to save to (PNG unless the suffix says otherwise).
        title: figure title; default names the layer.
        mode: ``"auto"``, ``"mean"``, ``"rgb"`` or ``"grid"`` (table above).
        max_filters: show at most this many output channels (the first ones).

    Returns:
        The matplotlib Figure, one axes per image (``fig.axes[k].images[0]``),
        in output-channel order (for ``grid``: output channel major, then input channel).

    Raises:
        ValueError: no Conv2D layer, an unknown mode, ``rgb`` with C_in != 3,
            or ``max_filters`` < 1.
        TypeError: neither a Conv2D nor a network.
        ImportError: matplotlib is not installed.
    """
    layer = first_conv2d(layer_or_network)
    w = np.asarray(layer.weights.view(), dtype=np.float64)  # [kh, kw, C_in, C_out], logical indexing
    c_in = w.shape[2]
    if mode == "auto":
        mode = "rgb" if c_in == 3 else "mean" if c_in == 1 else "grid"
    if mode not in ("mean", "rgb", "grid"):
        raise ValueError(f"plot_conv_filters: mode must be 'auto', 'mean', 'rgb' or 'grid', got {mode!r}")
    if mode == "rgb" and c_in != 3:
        raise ValueError(f"plot_conv_filters: mode 'rgb' needs 3 input channels, {layer} has {c_in}")
    if isinstance(max_filters, bool) or not isinstance(max_filters, int) or max_filters < 1:
        raise ValueError(f"plot_conv_filters: max_filters must be an integer >= 1, got {max_filters!r}")
    w = w[..., :max_filters]
    n = w.shape[3]
    m = float(np.abs(w).max()) or 1.0  # an all-zero kernel: any scale shows it gray
    if mode == "grid":
        rows, cols = n, c_in
        images = [w[:, :, c, o] for o in range(n) for c in range(c_in)]
    else:
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        images = [0.5 + w[:, :, :, o] / (2 * m) if mode == "rgb" else w[:, :, :, o].mean(axis=2)
                  for o in range(n)]
    plt = _pyplot("plot_conv_filters")
    fig = plt.figure(figsize=(1.2 * cols + 0.5, 1.2 * rows + 0.8))
    for k, image in enumerate(images):
        ax = fig.add_subplot(rows, cols, k + 1)
        if mode == "rgb":
            ax.imshow(image, interpolation="nearest")
        else:
            ax.imshow(image, cmap="gray", vmin=-m, vmax=m, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        o, c = divmod(k, c_in) if mode == "grid" else (k, None)
        if c is None:
            ax.set_title(str(o), fontsize=8)
        elif o == 0:
            ax.set_title(f"in {c}", fontsize=8)
        if c == 0:
            ax.set_ylabel(f"out {o}", fontsize=8)
    fig.suptitle(title or f"{layer}: filters ({mode}; black −{m:.3g}, gray 0, white +{m:.3g})")
    fig.tight_layout()
    return _finish(plt, fig, path)
