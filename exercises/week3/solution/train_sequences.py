"""Exercise 3.5 (solution): your LSTM reads the shipped 8x8 digits row by row and classifies them.

Run it: python train_sequences.py (from your folder, with the framework importable).
"""
from __future__ import annotations

import numpy as np

from framework import FullyConnected, InputLayer, Network, SGDTrainer, SoftmaxCrossEntropy
from framework.data import load_digits_images, train_test_split
from lstm import LSTM


def to_sequences(images):
    """``[N, 8, 8, 1]`` images -> ``[N, T=8, F=8]`` sequences: step t is image row t."""
    return images[:, :, :, 0]


def build_network(seed=0):
    """``[N, 8, 8]`` -> your LSTM(8, 32), last step only -> FC 32→10 -> softmax cross-entropy."""
    return Network(InputLayer((8, 8), num_classes=10),
                   [LSTM(8, 32, return_sequences=False, seed=seed),
                    FullyConnected(32, 10, seed=seed + 1)],
                   SoftmaxCrossEntropy())


def train(network, x, labels, epochs=8, batch_size=32, learning_rate=0.01, seed=0):
    """Adam on shuffled mini-batches (given, not an exercise)."""
    SGDTrainer(learning_rate=learning_rate, batch_size=batch_size, epochs=epochs, flavor="adam",
               seed=seed).optimize(network, x, labels)
    return network


def accuracy(network, x, labels):
    """Fraction of ``x`` whose most probable class is the label."""
    return float(np.mean(network.predict(x).argmax(axis=1) == labels))


if __name__ == "__main__":
    images, labels = load_digits_images()
    x_train, y_train, x_test, y_test = train_test_split(to_sequences(images), labels,
                                                        test_fraction=0.2, seed=0)
    net = train(build_network(), x_train, y_train)
    print(f"test accuracy {accuracy(net, x_test, y_test):.3f}")
