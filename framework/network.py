"""Network: an input layer, a chain of layers and a loss (the lecture's ``backprop``)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .layers.base import Layer
from .layers.input import InputLayer
from .losses.base import Loss
from .shape import Shape
from .tensor import Tensor

_MAX_CACHED_BATCH_SHAPES = 4


@dataclass(frozen=True)
class StepResult:
    """What one pass produced: the loss value and the network's output.

    Attributes:
        loss: the loss of the batch, averaged over its rows (a Python float).
        output: the last layer's output tensor ``[N, ..., C]``: raw scores,
            before the loss's ``predict`` (argmax gives the predicted class).
            The network reuses this tensor for its next pass with the same
            batch size: copy it (``output.to_numpy()``) to keep it.
    """

    loss: float
    output: Tensor


class Network:
    """``input_layer -> layers[0] -> ... -> layers[-1] -> loss``.

    The shapes are checked at construction: each layer's output shape must
    fit the next layer's input. Intermediate tensors are allocated once per
    batch shape and reused (the lecture's reason for ``forward`` filling
    ``out_tensors`` instead of returning new ones).

    Args:
        input_layer: turns user data into the first tensor.
        layers: the layers in order.
        loss: the loss at the end.

    Raises:
        ValueError: if a layer does not accept its predecessor's output,
            naming the layer, its position, expected and actual shape.
    """

    def __init__(self, input_layer: InputLayer, layers: Sequence[Layer], loss: Loss) -> None:
        if not isinstance(input_layer, InputLayer):
            raise TypeError(f"Network: input_layer is {input_layer!r}, expected an InputLayer, "
                            f"e.g. InputLayer(784, num_classes=10)")
        if isinstance(layers, Layer):
            layers = [layers]  # one layer is a chain of one
        elif not isinstance(layers, (list, tuple)):
            raise TypeError(f"Network: layers is {layers!r}, expected a list of Layers, "
                            f"e.g. [FullyConnected(2, 3), Sigmoid()]")
        self.input_layer = input_layer
        self.layers = list(layers)
        self.loss = loss
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                hint = f" (pass an instance: {layer.__name__}(...))" if isinstance(layer, type) \
                    else "; remove it or put a layer there"
                raise TypeError(f"Network: layers[{i}] is {layer!r}, expected a Layer{hint}")
            for p in layer.params:
                if p.dtype != input_layer.dtype:
                    raise TypeError(f"Network: layer {i} ({layer!r}) has {p.dtype} parameters but the "
                                    f"input layer makes {input_layer.dtype} tensors; give the "
                                    f"InputLayer and every layer the same dtype")
        if not isinstance(loss, Loss):
            hint = f" (pass an instance: {loss.__name__}())" if isinstance(loss, type) else ""
            raise TypeError(f"Network: loss is {loss!r}, not a Loss{hint}")
        self._warn_about_softmax_pairing()
        try:
            self.shapes(1)  # fail now, not in the middle of training
        except ValueError as e:  # the batch of 1 is a placeholder: show it as N
            raise ValueError(str(e).replace("Shape[1, ", "Shape[N, ")) from None
        self._cache: dict[tuple[int, ...], list[Tensor]] = {}
        self._last: list[Tensor] | None = None

    def _warn_about_softmax_pairing(self) -> None:
        # Both mistakes train without an error and quietly give wrong numbers.
        from .layers.softmax import Softmax
        from .losses import CrossEntropy, SoftmaxCrossEntropy
        ends_in_softmax = bool(self.layers) and isinstance(self.layers[-1], Softmax)
        if isinstance(self.loss, SoftmaxCrossEntropy) and ends_in_softmax:
            warnings.warn("Network: the last layer is a Softmax and SoftmaxCrossEntropy applies "
                          "softmax again; drop the Softmax layer or use CrossEntropy()",
                          UserWarning, stacklevel=3)
        if type(self.loss) is CrossEntropy and not ends_in_softmax:
            warnings.warn("Network: CrossEntropy expects probabilities but the last layer is not a "
                          "Softmax; add Softmax() or use SoftmaxCrossEntropy() on raw scores",
                          UserWarning, stacklevel=3)

    # -- structure -------------------------------------------------------------------
    def shapes(self, batch_size: int) -> list[Shape]:
        """Shapes of every tensor in the chain for a batch of ``batch_size``.

        Returns:
            ``[input shape, output of layers[0], ..., output of layers[-1]]``.

        Raises:
            ValueError: naming the first layer whose input does not fit.
        """
        shapes = [self.input_layer.batch_shape(batch_size)]
        for i, layer in enumerate(self.layers):
            try:
                shapes.append(layer.output_shape(shapes[-1]))
            except ValueError as e:
                raise ValueError(f"layer {i} ({layer!r}) does not accept the output of "
                                 f"{'the input layer' if i == 0 else repr(self.layers[i - 1])} "
                                 f"({shapes[-1]}): {e}") from None
        return shapes

    # -- training versus evaluation mode ---------------------------------------------
    @property
    def training(self) -> bool:
        """True in training mode (the default), False after :meth:`eval`."""
        return all(layer.training for layer in self.layers)

    def train(self, mode: bool = True) -> "Network":
        """Put every layer in training mode (Dropout drops, BatchNorm uses batch statistics).

        Args:
            mode: True for training, False for evaluation (as :meth:`eval`).

        Returns:
            The network itself, so ``net.train().forward(x)`` reads well.
        """
        for layer in self.layers:
            layer.training = bool(mode)
        return self

    def eval(self) -> "Network":
        """Put every layer in evaluation mode (Dropout is the identity, BatchNorm uses running averages).

        Returns:
            The network itself.
        """
        return self.train(False)

    @property
    def params(self) -> list[Tensor]:
        """Every parameter tensor of every layer, in order."""
        return [p for layer in self.layers for p in layer.params]

    def zero_deltas(self) -> None:
        """Zero every parameter delta (the trainer does it once per step)."""
        for p in self.params:
            p.zero_deltas()

    def _tensors(self, dims: tuple[int, ...]) -> list[Tensor]:
        tensors = self._cache.get(dims)
        if tensors is None:
            if len(self._cache) >= _MAX_CACHED_BATCH_SHAPES:
                # A last, smaller batch or an evaluation pass adds shapes;
                # bounding the cache bounds the memory.
                self._cache.pop(next(iter(self._cache)))
            dtype = self.input_layer.dtype
            shapes = self.shapes(dims[0])
            tensors = [Tensor(shapes[0], dtype=dtype)]
            for layer, shape in zip(self.layers, shapes[1:]):
                # A layer may offer a view of its input as its output
                # (Flatten: no copy in either pass); otherwise a new tensor.
                hook = getattr(layer, "output_tensor", None)
                view = hook(tensors[-1]) if hook is not None else None
                tensors.append(view if view is not None else Tensor(shape, dtype=dtype))
            self._cache[dims] = tensors
        return tensors

    # -- the passes --------------------------------------------------------------------
    def _forward(self, x: Any) -> list[Tensor]:
        if isinstance(x, Tensor):
            # The trainer's batches: already checked data, gathered into a tensor.
            self._check_input_tensor(x)
            tensors = self._tensors(x.shape.dims)
            np.copyto(tensors[0].elements, x.elements)
        else:
            data = self.input_layer.as_array(x)
            tensors = self._tensors(data.shape)
            tensors[0].view()[...] = data
        for i, layer in enumerate(self.layers):
            layer.forward([tensors[i]], [tensors[i + 1]])
        self._last = tensors
        return tensors

    def _check_input_tensor(self, x: Tensor) -> None:
        sample = self.input_layer.sample_shape
        dims = x.shape.dims
        if dims[1:] != sample or x.dtype != self.input_layer.dtype:
            raise ValueError(f"Network: input tensor has {x.shape} {x.dtype}, expected "
                             f"[N, {', '.join(map(str, sample))}] {self.input_layer.dtype} "
                             f"(the input layer's batch shape and dtype)")

    def _target(self, targets: Any, output: Tensor) -> Tensor:
        if isinstance(targets, Tensor):
            if targets.shape.dims != output.shape.dims:
                raise ValueError(f"Network: target tensor has {targets.shape}, expected "
                                 f"{output.shape} (the network's output)")
            return targets
        return self.input_layer.targets(targets, output.shape)

    def forward(self, x: Any) -> np.ndarray:
        """Run the network on data and return its predictions.

        Args:
            x: ``[N, *sample_shape]`` data (or one sample).

        Returns:
            A new array ``[N, ..., C]``: the last layer's output, passed
            through the loss's ``predict`` (probabilities for
            :class:`SoftmaxCrossEntropy`).
        """
        out = self._forward(x)[-1]
        return self.loss.predict(out.matrix()).reshape(out.shape.dims, order="F")

    def predict(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        """:meth:`forward` in chunks of ``batch_size``, for data sets larger than memory likes."""
        data = self.input_layer.as_array(x)
        return np.concatenate([self.forward(data[i:i + batch_size])
                               for i in range(0, data.shape[0], batch_size)])

    def forward_loss(self, x: Any, targets: Any) -> StepResult:
        """Forward and loss, without backward: how good the network is on a batch.

        Changes no delta and no parameter (``evaluate`` uses it).

        Args:
            x: a batch of data ``[N, *sample_shape]`` (or one sample), or a
                Tensor of the input layer's batch shape and dtype.
            targets: integer labels (one-hot via the input layer), float
                targets of the output's shape, or a target Tensor of that shape.

        Returns:
            The :class:`StepResult`: the loss and the output tensor.

        Raises:
            ValueError: data or targets that do not fit the network.
        """
        output = self._forward(x)[-1]
        return StepResult(self.loss.forward([output], self._target(targets, output)), output)

    def backprop(self, x: Any, targets: Any, input_deltas: bool = True) -> StepResult:
        """The lecture's ``backprop``: forward, loss, and backward through every layer.

        Fills the deltas of every tensor and *accumulates* into every
        parameter delta (call :meth:`zero_deltas` first for a fresh gradient).

        Args:
            x: a batch of data ``[N, *sample_shape]`` (or one sample), or a
                Tensor of the input layer's batch shape and dtype (taken as
                it is: the trainer passes batches of data it checked once).
            targets: integer labels (one-hot via the input layer), float
                targets of the output's shape, or a target Tensor of that shape.
            input_deltas: also compute the deltas of the input tensor (the
                first layer's ``backward``). The trainer skips it: nothing
                upstream needs it.

        Returns:
            The :class:`StepResult`: ``result.loss`` is the loss value,
            ``result.output`` the last layer's output tensor.

        Raises:
            ValueError: data or targets that do not fit the network.
        """
        tensors = self._forward(x)
        output = tensors[-1]
        target = self._target(targets, output)
        loss = self.loss.forward([output], target)
        self.loss.backward([output], target)
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            if i > 0 or input_deltas:
                layer.backward([tensors[i + 1]], [tensors[i]])
            layer.calculate_delta_weights([tensors[i + 1]], [tensors[i]])
        return StepResult(loss, output)

    def tensors(self, batch_size: int | None = None) -> list[Tensor]:
        """The tensors of a pass, for inspecting elements and deltas in exercises.

        Args:
            batch_size: which cached pass; default the most recent one.

        Returns:
            ``[input, output of layers[0], ..., output of layers[-1]]``.

        Raises:
            ValueError: if no pass has run (with that batch size).
        """
        if batch_size is None:
            if self._last is None:
                raise ValueError("Network.tensors: no forward or backprop has run yet")
            return self._last
        key = self.input_layer.batch_shape(batch_size).dims
        if key not in self._cache:
            ran = sorted(k[0] for k in self._cache)
            raise ValueError(f"Network.tensors: no pass has run with batch size {batch_size} "
                             f"(cached batch sizes: {ran})")
        return self._cache[key]

    def __repr__(self) -> str:
        chain = " -> ".join([repr(self.input_layer)] + [repr(l) for l in self.layers] + [repr(self.loss)])
        return f"Network({chain})"
