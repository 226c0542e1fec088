"""Labelled data checked once, served as batch tensors; the metrics of an epoch.

The trainer and ``evaluate`` check data and labels here, once per call, and
then only gather rows into reused batch tensors: no step converts, checks
or one-hot encodes labels again.
"""
from __future__ import annotations

import math
from typing import Any, Iterator, NamedTuple

import numpy as np

from .metrics import confusion_matrix, per_class_accuracy
from .network import Network, StepResult
from .tensor import Tensor


class Batch(NamedTuple):
    """One batch: input and target tensors and the sample indices they hold.

    The two tensors are reused for the next batch of the same size.
    """

    x: Tensor
    target: Tensor
    index: np.ndarray


def check_network(network: Any, who: str) -> Network:
    """Return ``network`` if it is a Network, else raise a TypeError naming ``who``.

    Args:
        network: what the caller was given.
        who: the caller's name for the message.

    Returns:
        ``network``.
    """
    if not isinstance(network, Network):
        raise TypeError(f"{who}: network is {network!r}, expected a Network "
                        f"(Network(InputLayer(...), [layers...], loss))")
    return network


def _sample_count(data: Any) -> int | None:
    try:
        shape = np.shape(data)
    except ValueError:  # ragged nested lists: the input layer says what is wrong
        return None
    return shape[0] if shape else None


class LabeledData:
    """Data and labels of one data set, checked against a network once.

    Args:
        network: the network the data is for (its input layer converts and
            checks data and labels; its output shape fixes the targets' shape).
        data: ``[N, *sample_shape]`` inputs.
        labels: ``N`` integer (or boolean) class labels, or float targets of
            the network's output shape.
        who: the caller's name for error messages (``"SGDTrainer.optimize"``).

    Attributes:
        data: ``[N, *sample_shape]`` array of the network's dtype.
        targets: ``[N, ..., C]`` target array, C order so that gathering
            the rows of a batch is fast (one-hot for class labels).
        classes: ``[N, ...]`` class index per output row when the targets are
            one-hot, else None (regression targets: no accuracy).

    Raises:
        TypeError: network or labels of the wrong kind.
        ValueError: no samples, counts that differ, or bad values.
    """

    def __init__(self, network: Network, data: Any, labels: Any, who: str) -> None:
        self.network = check_network(network, who)
        if _sample_count(data) == 0:
            raise ValueError(f"{who}: data has 0 samples; pass at least one sample")
        if labels is None:
            raise TypeError(f"{who}: labels are None; pass one label per sample: integer class "
                            f"labels [N] or float targets of the network's output shape")
        self.data = np.ascontiguousarray(network.input_layer.as_array(data))  # fast row gathers
        n = self.data.shape[0]
        labels = np.asarray(labels)
        if labels.ndim == 0:
            raise ValueError(f"{who}: labels is the single value {labels.item()!r}; pass one label per "
                             f"sample ({n} of them), e.g. np.full({n}, {labels.item()!r})")
        if labels.shape[0] != n:
            raise ValueError(f"{who}: {n} samples but {labels.shape[0]} labels")
        target = network.input_layer.targets(labels, network.shapes(n)[-1])
        self.classes = _classes(labels, target)
        self.targets = np.ascontiguousarray(target.view())
        self._buffers: dict[int, tuple[Tensor, Tensor, list[tuple[np.ndarray, np.ndarray]]]] = {}

    def __len__(self) -> int:
        return self.data.shape[0]

    def subset(self, index: np.ndarray) -> LabeledData:
        """The samples at ``index`` (a copy), already checked.

        Args:
            index: sample indices.

        Returns:
            A new LabeledData for the same network.
        """
        part = LabeledData.__new__(LabeledData)
        part.network, part._buffers = self.network, {}
        part.data = self.data[index]
        part.targets = self.targets[index]
        part.classes = None if self.classes is None else self.classes[index]
        return part

    def batches(self, order: np.ndarray, batch_size: int) -> Iterator[Batch]:
        """The samples in ``order``, ``batch_size`` at a time (the last batch may be smaller).

        Args:
            order: sample indices in the order to serve them.
            batch_size: samples per batch.

        Yields:
            :class:`Batch` es whose tensors are refilled for the next batch.
        """
        for start in range(0, order.size, batch_size):
            index = order[start:start + batch_size]
            x, t, copies = self._buffer(index.size)
            # Gather the rows into reused C-ordered scratch arrays (contiguous
            # reads), then one transposing copy each into the column-major
            # tensors: 4x faster than gathering into the tensors directly.
            for source, (rows, view) in zip((self.data, self.targets), copies):
                np.take(source, index, axis=0, out=rows, mode="clip")
                np.copyto(view, rows)
            yield Batch(x, t, index)

    def _buffer(self, size: int) -> tuple[Tensor, Tensor, list[tuple[np.ndarray, np.ndarray]]]:
        buf = self._buffers.get(size)
        if buf is None:
            x = Tensor((size,) + self.data.shape[1:], dtype=self.data.dtype)
            t = Tensor((size,) + self.targets.shape[1:], dtype=self.targets.dtype)
            copies = [(np.empty(x.shape.dims, x.dtype), x.view()),
                      (np.empty(t.shape.dims, t.dtype), t.view())]
            buf = self._buffers[size] = (x, t, copies)
        return buf

    def zero_output_loss(self) -> float:
        """The loss of an all-zero network output on these targets (``nan`` if the loss refuses it).

        A scale for the loss that does not depend on the parameters: log C
        for softmax cross-entropy, ``½·mean ‖t‖²`` for MSE.

        Returns:
            The loss value.
        """
        loss = self.network.loss
        try:
            with np.errstate(all="ignore"):
                target = Tensor.from_numpy(self.targets, dtype=self.targets.dtype)
                value = loss.forward([Tensor(target.shape, dtype=target.dtype)], target)
        except Exception:  # a user's loss may reject zeros: then there is no such scale
            return math.nan
        finally:
            if hasattr(loss, "saturated"):
                loss.saturated = 0  # zeros saturate CrossEntropy; this was no training step
        return float(value)


def _classes(labels: np.ndarray, target: Tensor) -> np.ndarray | None:
    """Class index per output row ``[N, ...]`` for class labels or one-hot targets, else None."""
    t = target.view()
    if labels.dtype.kind not in "biu":
        m = target.matrix()
        if not (np.all((m == 0) | (m == 1)) and np.all(m.sum(axis=1) == 1)):
            return None  # regression or soft targets: accuracy does not apply
    return t.argmax(axis=-1)


class EpochMetrics:
    """Mean loss and accuracy (and, when asked, the confusion matrix) over the batches of one pass.

    Args:
        classes: the data set's class index per output row, or None.
        num_classes: C, to also count the ``[C, C]`` confusion matrix
            (``matrix[true, predicted]``) from the same predictions; None
            (the training steps) counts none.
    """

    def __init__(self, classes: np.ndarray | None, num_classes: int | None = None) -> None:
        self.classes = classes
        self.loss_sum, self.samples, self.correct, self.rows, self.saturated = 0.0, 0, 0, 0, 0
        self.confusion = (np.zeros((num_classes, num_classes), np.int64)
                          if classes is not None and num_classes is not None else None)

    def add(self, result: StepResult, index: np.ndarray, saturated: int = 0) -> None:
        """Count one batch.

        Args:
            result: what the batch's pass produced.
            index: the batch's sample indices in the data set.
            saturated: the loss's count of clamped probabilities (CrossEntropy).
        """
        self.loss_sum += result.loss * index.size
        self.samples += index.size
        self.saturated += saturated
        if self.classes is not None:
            predicted = result.output.matrix().argmax(axis=1)
            # Column-major rows of [B, T, C] are b + B*t: flatten the classes the same way.
            true = self.classes[index].reshape(-1, order="F")
            self.correct += int(np.count_nonzero(predicted == true))
            self.rows += predicted.size
            if self.confusion is not None:
                self.confusion += confusion_matrix(predicted, true, self.confusion.shape[0])

    @property
    def loss(self) -> float:
        """Mean loss per sample so far."""
        return self.loss_sum / self.samples

    @property
    def accuracy(self) -> float:
        """Fraction of output rows whose argmax is the true class; ``nan`` without classes."""
        return self.correct / self.rows if self.classes is not None else math.nan

    @property
    def per_class_accuracy(self) -> np.ndarray | None:
        """``[C]`` accuracy of each true class (``nan`` for an absent one); None without a matrix."""
        return None if self.confusion is None else per_class_accuracy(self.confusion)
