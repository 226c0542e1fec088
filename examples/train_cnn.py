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
import time
from pathlib import Path

import numpy as np

from framework import (FullyConnected, InputLayer, Network, ReLU, SGDTrainer, SoftmaxCrossEntropy,
                       backend, evaluate)
from framework.data import load_digits_images, load_mnist, shift_images, train_test_split
from framework.layers.conv2d import Conv2D
from framework.layers.flatten import Flatten
from framework.layers.max_pool2d import MaxPool2D
from framework.plotting import plot_history
from framework.serialize import load_network, save_network


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
    p.add_argument("--epochs", type=int, default=None, help="default: 30 on digits, 5 on MNIST")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.001, help="learning rate")
    p.add_argument("--flavor", default="adam", help="sgd, momentum, nesterov, adagrad, rmsprop, adam")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=int, nargs=2, default=[32, 64],
                   help="channels of the two conv layers (digits network)")
    p.add_argument("--no-augment", action="store_true", help="train without shifted copies")
    p.add_argument("--mnist", metavar="DIR", help="folder with the MNIST IDX files (.gz or plain)")
    p.add_argument("--backend", choices=["numpy", "c"], help="default: c if built, else numpy")
    p.add_argument("--save", metavar="FILE", help="save the trained parameters (.npz, atomic)")
    p.add_argument("--load", metavar="FILE", help="start from saved parameters")
    p.add_argument("--plot", metavar="PNG", help="save loss/accuracy curves (needs matplotlib)")
    args = p.parse_args(argv)
    if args.backend:
        backend.set_backend(args.backend)
    epochs = args.epochs if args.epochs is not None else (5 if args.mnist else 30)

    x_train, y_train, x_test, y_test = load_data(args)
    # Validation comes out before augmentation, so no shifted copy of a
    # validation image is trained on (as in train_mlp.py).
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    if not args.no_augment and not args.mnist:
        x_train, y_train = shift_images(x_train, y_train)
    net = build_lenet(args.seed) if args.mnist else build_digits_cnn(args.seed, tuple(args.channels))
    if args.load:
        load_network(args.load, net)
        print(f"loaded parameters from {args.load}")
    augmented = "with" if not args.no_augment and not args.mnist else "without"
    print(f"{net}\ntraining on {len(x_train)} images ({augmented} shifted copies), validating on "
          f"{len(x_val)}, testing on {len(x_test)} held out; backend: {backend.get_backend()}",
          flush=True)

    trainer = SGDTrainer(learning_rate=args.lr, batch_size=args.batch_size, epochs=epochs,
                         flavor=args.flavor, seed=args.seed, verbose=True, stream=sys.stdout)
    start = time.perf_counter()
    history = trainer.optimize(net, x_train, y_train, validation_data=(x_val, y_val))
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(net, x_test, y_test)
    print(f"test accuracy {100 * test_acc:.2f}% (loss {test_loss:.4f}) on {len(x_test)} held-out "
          f"images; training took {seconds:.1f} s")
    if args.save:
        save_network(args.save, net, extra={"test_accuracy": test_acc, "epochs": epochs})
        print(f"saved parameters to {args.save}")
    if args.plot:
        print(plot_history(history, Path(args.plot), title="CNN on MNIST" if args.mnist else "CNN on digits"))
    return {"history": history, "test_accuracy": test_acc, "test_loss": test_loss, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
