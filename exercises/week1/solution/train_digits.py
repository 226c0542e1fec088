"""Exercise 1.10 (solution): one SGD step, and your network trained on the shipped 8x8 digits."""
from __future__ import annotations

import numpy as np

from framework import InputLayer, Network
from framework.data import load_digits, train_test_split
from layers import FullyConnected, Sigmoid, Softmax
from losses import CrossEntropy


def sgd_step(network, x, labels, learning_rate):
    """One step of gradient descent on one mini-batch; returns the loss.

    Zero the parameter deltas (they accumulate), backprop, then move every
    parameter against its gradient: ``θ ← θ − η·∂L/∂θ``.
    """
    network.zero_deltas()
    loss = network.backprop(x, labels).loss
    for p in network.params:
        p.elements -= learning_rate * p.deltas
    return loss


def build_network(seed=0):
    """64 pixels -> FC 32 -> sigmoid -> FC 10 -> softmax -> cross-entropy, from your layers."""
    return Network(InputLayer(64, num_classes=10),
                   [FullyConnected(64, 32, seed=seed), Sigmoid(),
                    FullyConnected(32, 10, seed=seed + 1), Softmax()],
                   CrossEntropy())


def train(network, x, labels, epochs=15, batch_size=32, learning_rate=0.5, seed=0):
    """Shuffle every epoch and take ``sgd_step`` on each mini-batch (given, not an exercise)."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            sgd_step(network, x[idx], labels[idx], learning_rate)
    return network


def accuracy(network, x, labels):
    """Fraction of ``x`` whose most probable class is the label."""
    return float(np.mean(network.predict(x).argmax(axis=1) == labels))


if __name__ == "__main__":
    x, y = load_digits()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    net = train(build_network(), x_train, y_train)
    print(f"test accuracy {accuracy(net, x_test, y_test):.3f}")
