"""The way out to PyTorch: ``to_torch(network)`` builds an equivalent ``torch.nn`` module.

PyTorch is optional, never a requirement of the framework: it is imported
only when :func:`to_torch` or :func:`to_torch_loss` is called. See
``docs/export.md`` for the layout conventions and each layer's mapping.
"""
from __future__ import annotations

from typing import Any

from ..layers.base import Layer
from ..losses.base import Loss
from ..network import Network

TORCH_PIN = "torch==2.13.0"


def _import_torch(who: str) -> Any:
    """``torch``, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{who} needs PyTorch, which the framework does not require; install "
                          f"it with: pip install {TORCH_PIN} (the CPU build)") from None
    return torch


def to_torch(network: Network, dtype: Any = None) -> Any:
    """An equivalent ``torch.nn.Sequential`` with the same weights, one module per layer.

    The module's ``forward`` takes input in the FRAMEWORK's logical layout
    (``[N, F]``, images ``[N, H, W, C]``, sequences ``[N, T, F]``, ids
    ``[N]`` or ``[N, T]``) as a torch tensor and returns the last layer's
    output in the framework's layout, so ``model(torch.from_numpy(x))``
    compares directly with the framework's last layer output. Layouts are
    converted inside (NHWC <-> NCHW around convolution and pooling,
    Flatten's column-major feature order). ``model[i]`` is ``network.layers[i]``.

    Only the layers are exported, not the loss: ``network.forward`` also
    applies the loss's ``predict`` (softmax for ``SoftmaxCrossEntropy``),
    the module returns the raw last layer output. :func:`to_torch_loss`
    gives the matching loss. The weights are copies: training one side
    does not change the other.

    Args:
        network: the Network to export.
        dtype: torch dtype of the parameters; default float32, or float64
            when the network is float64.

    Returns:
        A ``torch.nn.Sequential``, in training or evaluation mode as the
        network is (``network.training``).

    Raises:
        ImportError: PyTorch is not installed (saying how to install it).
        TypeError: ``network`` is not a Network.
        ValueError: a layer without a PyTorch counterpart, naming it and
            its position, and listing the supported layers.
    """
    torch = _import_torch("to_torch")
    if not isinstance(network, Network):
        raise TypeError(f"to_torch: expected a Network, got {type(network).__name__}")
    from . import torch_layers
    if dtype is None:
        dtype = torch.float64 if network.input_layer.dtype == "float64" else torch.float32
    shapes = network.shapes(1)
    modules = []
    for i, layer in enumerate(network.layers):
        convert = converter_for(layer)
        if convert is None:
            raise ValueError(f"to_torch: layer {i}, {layer!r}, has no PyTorch counterpart; "
                             f"supported: {', '.join(sorted(torch_layers.CONVERTERS))}")
        modules.append(convert(layer, shapes[i].dims))
    model = torch.nn.Sequential(*modules).to(dtype)
    return model.train(network.training)


def converter_for(layer: Layer) -> Any:
    """The function converting ``layer`` (``torch_layers.CONVERTERS``), or None.

    Looked up by the exact class of a framework layer: a subclass (a
    student's variant, say) may compute something else, so it is not
    exported as its parent.
    """
    from .torch_layers import CONVERTERS
    cls = type(layer)
    if not cls.__module__.startswith("framework.layers."):
        return None
    return CONVERTERS.get(cls.__name__)


def to_torch_loss(loss: Loss) -> Any:
    """The torch loss computing the same value as ``loss`` on the exported module's output.

    ``SoftmaxCrossEntropy`` -> ``nn.CrossEntropyLoss`` on the scores
    flattened to rows ``[R, C]`` (targets: the framework's one-hot or
    probability rows, or class indices as a long tensor), averaged over
    the rows as the framework does. ``MSE`` -> ``Σ ½(x − t)² / R``, which
    is ``nn.MSELoss()(x, t)·C/2`` (torch averages over every element, the
    framework over rows, with the lecture's ½).

    Args:
        loss: a framework loss.

    Returns:
        A ``torch.nn.Module`` called as ``loss(output, target)``.

    Raises:
        ImportError: PyTorch is not installed.
        ValueError: a loss without a counterpart here.
    """
    _import_torch("to_torch_loss")
    from .torch_layers import LOSSES
    make = LOSSES.get(type(loss).__name__) if type(loss).__module__.startswith(
        "framework.losses.") else None
    if make is None:
        raise ValueError(f"to_torch_loss: {loss!r} has no PyTorch counterpart here; supported: "
                         f"{', '.join(sorted(LOSSES))}")
    return make()


__all__ = ["to_torch", "to_torch_loss", "converter_for", "TORCH_PIN"]
