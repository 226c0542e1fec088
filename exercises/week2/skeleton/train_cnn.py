"""Exercise 2.7: your own small CNN, trained on the shipped 8x8 digits (see README.md).

Run it: python train_cnn.py (from your folder, with the framework installed).
"""
from __future__ import annotations

import time

import numpy as np

from conv import Conv2D  # noqa: F401  (your layers: use them in build_cnn)
from framework import Flatten, FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy  # noqa: F401
from framework.data import load_digits_images, train_test_split
from pooling import AvgPool2D, MaxPool2D  # noqa: F401


def build_cnn(seed=0):
    """A Network on 8x8x1 images with YOUR Conv2D and YOUR pooling, ending in 10 scores.

    For example: conv 3x3 (1->8) -> ReLU -> max-pool 2 -> Flatten -> FC -> 10,
    with ``SoftmaxCrossEntropy()`` as the loss. Work out the FC's input size
    from the shapes (README.md, 2.7).
    """
    raise NotImplementedError("Exercise 2.7: build_cnn — Network(InputLayer((8, 8, 1), "
                              "num_classes=10), [your Conv2D, ReLU(), your MaxPool2D, Flatten(), "
                              "FullyConnected(?, 10)], SoftmaxCrossEntropy())")


def train(network, x, labels, epochs=4, batch_size=32, learning_rate=0.3, seed=0):
    """Plain SGD on shuffled mini-batches (given, not an exercise): zero, backprop, step."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            network.zero_deltas()
            network.backprop(x[idx], labels[idx], input_deltas=False)
            for p in network.params:
                p.elements -= learning_rate * p.deltas
    return network


def accuracy(network, x, labels):
    """Fraction of ``x`` whose most probable class is the label."""
    return float(np.mean(network.predict(x).argmax(axis=1) == labels))


if __name__ == "__main__":
    x, y = load_digits_images()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    start = time.perf_counter()
    net = train(build_cnn(), x_train, y_train)
    print(f"test accuracy {accuracy(net, x_test, y_test):.3f} "
          f"after {time.perf_counter() - start:.1f} s of training")
