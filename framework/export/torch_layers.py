"""One converter per framework layer class: ``convert(layer, input_dims) -> torch.nn.Module``.

Imported only by :func:`framework.export.to_torch`, after PyTorch was
found. Every module takes and returns tensors in the framework's logical
layout (batch first, features/channels last); where PyTorch wants
channels first, the module permutes around its torch layer. Weights are
copied (logical indexing, so column-major storage plays no part).

Adding a layer is one function here and one entry in :data:`CONVERTERS`
(keyed by class name; the class must live in ``framework.layers``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn


def _copy(param: Any, values: np.ndarray) -> None:
    """Set a torch parameter or buffer to ``values`` (float64 here; the model's dtype comes later)."""
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.ascontiguousarray(values, dtype=np.float64)))


# ---------------------------------------------------------------- small modules
class ChannelsLast(nn.Module):
    """Run a channels-first torch module (``[N, C, H, W]``) on ``[N, H, W, C]``, returning ``[N, H', W', C']``."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class FeaturesLast(nn.Module):
    """Run a ``BatchNorm1d`` on ``[N, T, F]`` (it wants ``[N, F, T]``)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.transpose(1, 2)).transpose(1, 2)


class ColumnMajorFlatten(nn.Module):
    """The framework's Flatten: feature ``f = d1 + D1·(d2 + D2·(...))``, the first dim after the batch fastest.

    PyTorch's ``flatten`` is row-major (the last dim fastest), so the
    non-batch dims are reversed first: ``[N, H, W, C]`` -> ``[N, C, W, H]``,
    whose row-major flattening is ``h + H·(w + W·c)``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, *range(x.dim() - 1, 0, -1)).reshape(x.shape[0], -1)


class Recurrent(nn.Module):
    """A batch-first ``nn.LSTM``/``nn.GRU``/``nn.RNN`` returning every step ``[N, T, H]`` or the last ``[N, H]``."""

    def __init__(self, inner: nn.Module, return_sequences: bool) -> None:
        super().__init__()
        self.inner, self.return_sequences = inner, return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.inner(x)
        return out if self.return_sequences else out[:, -1]


class Ids(nn.Module):
    """``nn.Embedding`` on ids given as a float (or integer) tensor ``[N]`` or ``[N, T]``."""

    def __init__(self, inner: nn.Embedding) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.long())


class SymmetricElliot(nn.Module):
    """``y = s·x/(1 + |s·x|)`` (no torch class; torch's Softsign when s = 1)."""

    def __init__(self, steepness: float) -> None:
        super().__init__()
        self.steepness = steepness

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.steepness * x
        return u / (1 + u.abs())


class Elliot(SymmetricElliot):
    """``y = ½·s·x/(1 + |s·x|) + ½``, half the symmetric one moved to (0, 1) (no torch class)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * super().forward(x) + 0.5


class Maxout(nn.Module):
    """``y[..., j] = max_p x[..., j·k + p]`` over groups of ``k`` consecutive features (no torch class)."""

    def __init__(self, pieces: int) -> None:
        super().__init__()
        self.pieces = pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (x.shape[-1] // self.pieces, self.pieces)).amax(-1)


# ---------------------------------------------------------------- converters
def fully_connected(layer: Any, dims: tuple) -> nn.Module:
    """``Y = X·W + b`` is ``nn.Linear`` with ``weight = Wᵀ`` ``[O, F]``; it maps the last dim of any shape."""
    m = nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
    _copy(m.weight, layer.weights.view().T)
    _copy(m.bias, layer.bias.view())
    return m


def conv2d(layer: Any, dims: tuple) -> nn.Module:
    """Kernel ``[kh, kw, C_in, C_out]`` -> ``[C_out, C_in, kh, kw]``; NHWC <-> NCHW around it."""
    m = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                  padding=layer.padding, dilation=layer.dilation, dtype=torch.float64)
    _copy(m.weight, layer.weights.view().transpose(3, 2, 0, 1))
    _copy(m.bias, layer.bias.view())
    return ChannelsLast(m)


def max_pool2d(layer: Any, dims: tuple) -> nn.Module:
    """No padding, border windows that do not fit dropped: ``ceil_mode=False`` (the default)."""
    return ChannelsLast(nn.MaxPool2d(layer.pool_size, stride=layer.stride))


def avg_pool2d(layer: Any, dims: tuple) -> nn.Module:
    """No padding, so ``count_include_pad`` plays no part: every window averages ``ph·pw`` inputs."""
    return ChannelsLast(nn.AvgPool2d(layer.pool_size, stride=layer.stride))


def _zero_initial_state(layer: Any) -> None:
    """Refuse a recurrent layer with an initial state set: torch's module starts from zeros."""
    if layer._initial is not None:
        raise ValueError(f"to_torch: {layer!r} has an initial state set; the exported module starts "
                         f"from zeros (call set_initial_state() to reset it before exporting)")


def lstm(layer: Any, dims: tuple) -> nn.Module:
    """Gate blocks i, f, o, g -> torch's i, f, g, o; ``weight_ih = Uᵀ``, ``weight_hh = Wᵀ``, ``bias_hh = 0``.

    Raises:
        ValueError: the layer has an initial state set (the export starts from zeros).
    """
    _zero_initial_state(layer)
    h = layer.hidden_size
    i, f, o, g = (slice(q * h, (q + 1) * h) for q in range(4))
    order = np.r_[i, f, g, o]                       # torch's rows from our columns
    m = nn.LSTM(layer.input_size, h, batch_first=True, dtype=torch.float64)
    _copy(m.weight_ih_l0, layer.U.view()[:, order].T)
    _copy(m.weight_hh_l0, layer.W.view()[:, order].T)
    _copy(m.bias_ih_l0, layer.bias.view()[order])
    _copy(m.bias_hh_l0, np.zeros(4 * h))
    return Recurrent(m, layer.return_sequences)


def gru(layer: Any, dims: tuple) -> nn.Module:
    """Torch's formulation and gate order r, z, n, so the export is a copy.

    ``weight_ih = Uᵀ`` ``[3H, F]``, ``weight_hh = Wᵀ``, ``bias_ih = bias``,
    ``bias_hh = recurrent_bias``.

    Raises:
        ValueError: the layer has an initial state set (the export starts from zeros).
    """
    _zero_initial_state(layer)
    m = nn.GRU(layer.input_size, layer.hidden_size, batch_first=True, dtype=torch.float64)
    _copy(m.weight_ih_l0, layer.U.view().T)
    _copy(m.weight_hh_l0, layer.W.view().T)
    _copy(m.bias_ih_l0, layer.bias.view())
    _copy(m.bias_hh_l0, layer.recurrent_bias.view())
    return Recurrent(m, layer.return_sequences)


def rnn(layer: Any, dims: tuple) -> nn.Module:
    """``h_t = act(x_t·U + h_{t-1}·W + b)``, act tanh or relu; ``bias_hh = 0``.

    Raises:
        ValueError: the layer has an initial state set (the export starts from zeros).
    """
    _zero_initial_state(layer)
    m = nn.RNN(layer.input_size, layer.hidden_size, nonlinearity=layer.activation,
               batch_first=True, dtype=torch.float64)
    _copy(m.weight_ih_l0, layer.U.view().T)
    _copy(m.weight_hh_l0, layer.W.view().T)
    _copy(m.bias_ih_l0, layer.bias.view())
    _copy(m.bias_hh_l0, np.zeros(layer.hidden_size))
    return Recurrent(m, layer.return_sequences)


def batch_norm(layer: Any, dims: tuple) -> nn.Module:
    """BatchNorm1d on ``[N, F]`` (and ``[N, T, F]``), BatchNorm2d on the channels of ``[N, H, W, C]``.

    Running averages are copied; the framework's momentum ``m`` weighs the
    OLD average, torch's the new batch, so torch's is ``1 − m``. (Torch
    updates ``running_var`` with the unbiased batch variance, the framework
    with the biased one: after a training step they differ by ``R/(R − 1)``.)
    """
    cls = nn.BatchNorm2d if len(dims) == 4 else nn.BatchNorm1d
    m = cls(layer.num_features, eps=layer.eps, momentum=1.0 - layer.momentum, dtype=torch.float64)
    _copy(m.weight, layer.scale.view())
    _copy(m.bias, layer.shift.view())
    _copy(m.running_mean, layer.running_mean)
    _copy(m.running_var, layer.running_var)
    return ChannelsLast(m) if len(dims) == 4 else FeaturesLast(m) if len(dims) == 3 else m


def embedding(layer: Any, dims: tuple) -> nn.Module:
    """``nn.Embedding`` with the same table; ids converted to long inside."""
    m = nn.Embedding(layer.num_embeddings, layer.embedding_dim, dtype=torch.float64)
    _copy(m.weight, layer.weights.view())
    return Ids(m)


def _fixed(make: Callable[[Any], nn.Module]) -> Callable[[Any, tuple], nn.Module]:
    return lambda layer, dims: make(layer)


CONVERTERS: dict[str, Callable[[Any, tuple], nn.Module]] = {
    "FullyConnected": fully_connected,
    "Conv2D": conv2d,
    "MaxPool2D": max_pool2d,
    "AvgPool2D": avg_pool2d,
    "Flatten": _fixed(lambda layer: ColumnMajorFlatten()),
    "LSTM": lstm,
    "GRU": gru,
    "RNN": rnn,
    "BatchNorm": batch_norm,
    "Dropout": _fixed(lambda layer: nn.Dropout(layer.p)),
    "Embedding": embedding,
    "ReLU": _fixed(lambda layer: nn.ReLU()),
    "Sigmoid": _fixed(lambda layer: nn.Sigmoid()),
    "Tanh": _fixed(lambda layer: nn.Tanh()),
    "Softmax": _fixed(lambda layer: nn.Softmax(dim=-1)),
    "Linear": _fixed(lambda layer: nn.Identity()),
    "LeakyReLU": _fixed(lambda layer: nn.LeakyReLU(layer.alpha)),
    "ELU": _fixed(lambda layer: nn.ELU(layer.alpha)),
    "Softplus": _fixed(lambda layer: nn.Softplus()),
    "Softsign": _fixed(lambda layer: nn.Softsign()),
    "Elliot": _fixed(lambda layer: Elliot(layer.steepness)),
    "SymmetricElliot": _fixed(lambda layer: SymmetricElliot(layer.steepness)),
    "Maxout": _fixed(lambda layer: Maxout(layer.pieces)),
}


# ---------------------------------------------------------------- losses
class SoftmaxCrossEntropy(nn.Module):
    """``nn.CrossEntropyLoss`` on scores ``[..., C]`` flattened to rows: mean over the rows, as the framework."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.CrossEntropyLoss()

    def forward(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        c = scores.shape[-1]
        rows = target.reshape(-1) if not target.is_floating_point() else target.reshape(-1, c)
        return self.inner(scores.reshape(-1, c), rows)


class MSE(nn.Module):
    """``Σ ½(x − t)² / R``, R the rows (every dim but the last): ``nn.MSELoss()(x, t)·C/2``."""

    def forward(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 0.5 * (x - target).square().sum() / (x.numel() // x.shape[-1])


LOSSES: dict[str, Callable[[], nn.Module]] = {"SoftmaxCrossEntropy": SoftmaxCrossEntropy, "MSE": MSE}
