"""Train a small convolutional network on handwritten digits, offline.

By default it trains conv 3x3 (1->32, pad 1) - ReLU - max-pool 2 - conv 3x3
(32->64, pad 1) - ReLU - max-pool 2 - FC 256->10 on the 8x8 digits shipped with the
package, with exactly the split of ``train_mlp.py`` (20 % held out for the
test, 10 % of the rest for validation, one-pixel shifted copies added to
the training set), so the two test accuracies compare directly. With
``--mnist DIR`` it trains LeNet-5 style on the standard MNIST IDX files in
DIR: conv 5x5 (1->6, pad 2) - ReLU - max-pool 2 - conv 5x5 (6->16) - ReLU -
max-pool 2 - FC 400-120-84-10.

Example::

    python examples/train_cnn.py                       # digits, ~7 s (C), ~25 s (NumPy)
    python examples/train_cnn.py --plot curves.png --save cnn.npz
    python examples/train_cnn.py --mnist ~/data/mnist --epochs 5
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from framework import FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy, backend
from framework.cli import add_training_options, main_for, parse, train_and_report
from framework.data import load_digits_images, load_mnist, shift_images, train_test_split
from framework.layers.conv2d import Conv2D
from framework.layers.flatten import Flatten
from framework.layers.max_pool2d import MaxPool2D


def build_digits_cnn(seed: int, channels: tuple[int, int] = (32, 64)) -> Network:
    """8x8x1 -> conv3 -> ReLU -> pool2 -> conv3 -> ReLU -> pool2 -> FC -> 10 (softmax cross-entropy)."""
    c1, c2 = channels
    layers = [Conv2D(1, c1, 3, padding=1, seed=seed), ReLU(), MaxPool2D(2),          # 8x8 -> 4x4
              Conv2D(c1, c2, 3, padding=1, seed=seed + 1), ReLU(), MaxPool2D(2),     # 4x4 -> 2x2
              Flatten(), FullyConnected(2 * 2 * c2, 10, seed=seed + 2)]
    return Network(InputLayer((8, 8, 1), num_classes=10), layers, SoftmaxCrossEntropy())


def build_lenet(seed: int) -> Network:
    """LeNet-5 style for 28x28x1: conv5 (pad 2) - pool - conv5 - pool - FC 400-120-84-10."""
    layers = [Conv2D(1, 6, 5, padding=2, seed=seed), ReLU(), MaxPool2D(2),           # 28 -> 14
              Conv2D(6, 16, 5, seed=seed + 1), ReLU(), MaxPool2D(2),                 # 10 -> 5
              Flatten(),
              FullyConnected(400, 120, init="he", seed=seed + 2), ReLU(),
              FullyConnected(120, 84, init="he", seed=seed + 3), ReLU(),
              FullyConnected(84, 10, seed=seed + 4)]
    return Network(InputLayer((28, 28, 1), num_classes=10), layers, SoftmaxCrossEntropy())


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)`` as ``[N, H, W, 1]`` images."""
    if args.mnist:
        x_train, y_train = load_mnist(args.mnist, "train")
        x_test, y_test = load_mnist(args.mnist, "test")
        return x_train.reshape(-1, 28, 28, 1), y_train, x_test.reshape(-1, 28, 28, 1), y_test
    x, y = load_digits_images()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=args.seed)
    return x_train, y_train, x_test, y_test


def run(argv: list[str] | None = None) -> dict:
    """Parse ``argv``, train, evaluate; return ``{"history", "test_accuracy", "test_loss", "seconds"}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_options(p, epochs=None, batch_size=64, lr=0.001)
    p.add_argument("--channels", type=int, nargs=2, default=[32, 64],
                   help="channels of the two conv layers (digits network)")
    p.add_argument("--no-augment", action="store_true", help="train without shifted copies")
    p.add_argument("--mnist", metavar="DIR", help="folder with the MNIST IDX files (.gz or plain)")
    args = parse(p, argv)
    epochs = args.epochs if args.epochs is not None else (5 if args.mnist else 30)

    x_train, y_train, x_test, y_test = load_data(args)
    # Validation comes out before augmentation, so no shifted copy of a
    # validation image is trained on (as in train_mlp.py).
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    if not args.no_augment and not args.mnist:
        x_train, y_train = shift_images(x_train, y_train)
    net = build_lenet(args.seed) if args.mnist else build_digits_cnn(args.seed, tuple(args.channels))
    augmented = "with" if not args.no_augment and not args.mnist else "without"
    print(f"{net}\ntraining on {len(x_train)} images ({augmented} shifted copies), validating on "
          f"{len(x_val)}, testing on {len(x_test)} held out; backend: {backend.get_backend()}",
          flush=True)
    return train_and_report(net, args, (x_train, y_train), (x_val, y_val), (x_test, y_test),
                            title="CNN on MNIST" if args.mnist else "CNN on digits", epochs=epochs)


main = main_for(run)


if __name__ == "__main__":
    sys.exit(main())
