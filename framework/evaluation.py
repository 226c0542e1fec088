"""Evaluating a network on labelled data: loss, accuracy, confusion matrix, per-class accuracy.

One pass in evaluation mode, in chunks; the counts come from the same
predictions as the loss (:class:`~framework.batches.EpochMetrics`).
The trainer evaluates its validation data every epoch with it.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .arguments import count
from .batches import EpochMetrics, LabeledData
from .network import Network


class Evaluation(NamedTuple):
    """What :func:`evaluate_detailed` measures.

    Attributes:
        loss: mean loss per sample.
        accuracy: fraction of output rows classified right (``nan`` for non-class targets).
        confusion: ``[C, C]`` int64 counts, ``confusion[true, predicted]``, every
            output row counted (None for non-class targets).
        per_class_accuracy: ``[C]`` accuracy per true class, ``nan`` for a class
            without samples (None for non-class targets).
    """

    loss: float
    accuracy: float
    confusion: np.ndarray | None
    per_class_accuracy: np.ndarray | None


def evaluate(network: Network, data: Any, labels: Any, batch_size: int = 512) -> tuple[float, float]:
    """Loss and accuracy of ``network`` on a data set, without changing any parameter.

    Runs in evaluation mode; the network's mode is restored afterwards.

    Args:
        network, data, labels, batch_size: as :func:`evaluate_detailed`.

    Returns:
        ``(mean loss, accuracy)``; accuracy is ``nan`` for non-class targets.

    Raises:
        TypeError, ValueError: as :func:`evaluate_detailed`.
    """
    return evaluate_detailed(network, data, labels, batch_size)[:2]


def evaluate_detailed(network: Network, data: Any, labels: Any, batch_size: int = 512) -> Evaluation:
    """Loss, accuracy, confusion matrix and per-class accuracy, from one evaluation pass.

    Runs in evaluation mode; the network's mode is restored afterwards.
    :func:`evaluate` gives the first two of these.

    Args:
        network: the network.
        data: ``[N, ...]`` inputs, N >= 1.
        labels: integer labels or targets, one per sample.
        batch_size: evaluation chunk size (bounds memory only).

    Returns:
        An :class:`Evaluation` ``(loss, accuracy, confusion, per_class_accuracy)``.

    Raises:
        TypeError: no Network, or labels that are not numbers.
        ValueError: no samples, counts that differ, or bad values.
    """
    batch_size = count("evaluate", "batch_size", batch_size, minimum=1)
    return _evaluate(LabeledData(network, data, labels, "evaluate"), batch_size)


def _evaluate(dataset: LabeledData, batch_size: int) -> Evaluation:
    # Evaluation mode (no dropout, BatchNorm's running averages); the caller's mode comes back.
    network, was_training = dataset.network, dataset.network.training
    network.eval()
    try:
        metrics = EpochMetrics(dataset.classes, num_classes=dataset.targets.shape[-1])
        for batch in dataset.batches(np.arange(len(dataset)), batch_size):
            metrics.add(network.forward_loss(batch.x, batch.target), batch.index)
    finally:
        network.train(was_training)
    return Evaluation(metrics.loss, metrics.accuracy, metrics.confusion, metrics.per_class_accuracy)
