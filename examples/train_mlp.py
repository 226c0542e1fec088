"""Train a multilayer perceptron on handwritten digits, offline.

By default it uses the 8x8 digits shipped with the package (1797 images;
80 % for training, of which 10 % for validation, and 20 % held out for the
test), with one-pixel shifted copies added to the training set. With
``--mnist DIR`` it trains on the standard MNIST IDX files in DIR instead.

Example::

    python examples/train_mlp.py                       # digits, ~5 s
    python examples/train_mlp.py --plot curves.png --save mlp.npz
    python examples/train_mlp.py --mnist ~/data/mnist --hidden 256 128 --epochs 10
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from framework import FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy, backend
from framework.cli import add_training_options, main_for, parse, train_and_report
from framework.data import load_digits, load_mnist, shift_images, train_test_split


def build_mlp(n_in: int, hidden: list[int], n_classes: int, seed: int) -> Network:
    """FC + ReLU for every hidden size, then FC to the classes, with softmax cross-entropy."""
    layers, prev = [], n_in
    for i, h in enumerate(hidden):
        layers += [FullyConnected(prev, h, init="he", seed=seed + i), ReLU()]
        prev = h
    layers.append(FullyConnected(prev, n_classes, seed=seed + len(hidden)))
    return Network(InputLayer(n_in, num_classes=n_classes), layers, SoftmaxCrossEntropy())


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test, side)`` flattened, from MNIST or the shipped digits."""
    if args.mnist:
        x_train, y_train = load_mnist(args.mnist, "train", flatten=True)
        x_test, y_test = load_mnist(args.mnist, "test", flatten=True)
        return x_train, y_train, x_test, y_test, 28
    x, y = load_digits()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=args.seed)
    return x_train, y_train, x_test, y_test, 8


def run(argv: list[str] | None = None) -> dict:
    """Parse ``argv``, train, evaluate; return ``{"history", "test_accuracy", "test_loss", "seconds"}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_options(p, epochs=20, batch_size=64, lr=0.001)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128], help="hidden layer sizes")
    p.add_argument("--no-augment", action="store_true", help="train without shifted copies")
    p.add_argument("--mnist", metavar="DIR", help="folder with the MNIST IDX files (.gz or plain)")
    args = parse(p, argv)

    x_train, y_train, x_test, y_test, side = load_data(args)
    # Validation comes out before augmentation, so no shifted copy of a
    # validation image is trained on.
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    if not args.no_augment:
        images, y_train = shift_images(x_train.reshape(-1, side, side), y_train)
        x_train = images.reshape(len(images), -1)
    net = build_mlp(x_train.shape[1], args.hidden, 10, args.seed)
    print(f"{net}\ntraining on {len(x_train)} images ({'with' if not args.no_augment else 'without'} "
          f"shifted copies), validating on {len(x_val)}, testing on {len(x_test)} held out; "
          f"backend: {backend.get_backend()}", flush=True)
    return train_and_report(net, args, (x_train, y_train), (x_val, y_val), (x_test, y_test),
                            title="MLP on MNIST" if args.mnist else "MLP on digits")


main = main_for(run)


if __name__ == "__main__":
    sys.exit(main())
