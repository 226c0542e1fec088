"""Exercise 2.7 (solution): your own small CNN, trained on the shipped 8x8 digits."""
from __future__ import annotations

import time

import numpy as np

from conv import Conv2D
from framework import Flatten, FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy
from framework.data import load_digits_images, train_test_split
from pooling import MaxPool2D


def build_cnn(seed=0):
    """8x8x1 -> YOUR conv 3x3 (1->8) -> ReLU -> YOUR max-pool 2 -> Flatten -> FC 3·3·8 -> 10."""
    return Network(InputLayer((8, 8, 1), num_classes=10),
                   [Conv2D(1, 8, 3, seed=seed), ReLU(),         # [N, 8, 8, 1] -> [N, 6, 6, 8]
                    MaxPool2D(2), Flatten(),                    # -> [N, 3, 3, 8] -> [N, 72]
                    FullyConnected(3 * 3 * 8, 10, seed=seed + 1)],
                   SoftmaxCrossEntropy())


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
