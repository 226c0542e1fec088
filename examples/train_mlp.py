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
import time
from pathlib import Path

import numpy as np

from framework import (FullyConnected, InputLayer, Network, ReLU, SGDTrainer, SoftmaxCrossEntropy,
                       backend, evaluate)
from framework.data import load_digits, load_mnist, shift_images, train_test_split
from framework.plotting import plot_history
from framework.serialize import load_network, save_network


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
    p.add_argument("--epochs", type=int, default=20, help="passes over the training data")
    p.add_argument("--batch-size", type=int, default=64, help="samples per SGD step")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate")
    p.add_argument("--flavor", default="adam", help="sgd, momentum, nesterov, adagrad, rmsprop, adam")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128], help="hidden layer sizes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-augment", action="store_true", help="train without shifted copies")
    p.add_argument("--mnist", metavar="DIR", help="folder with the MNIST IDX files (.gz or plain)")
    p.add_argument("--backend", choices=["numpy", "c"], default=None,
                   help="numpy or c (default: c when the kernel is built, else numpy)")
    p.add_argument("--save", metavar="FILE", help="save the trained parameters (.npz, atomic)")
    p.add_argument("--load", metavar="FILE", help="start from saved parameters")
    p.add_argument("--plot", metavar="PNG", help="save loss/accuracy curves (needs matplotlib)")
    args = p.parse_args(argv)
    if args.save and not Path(args.save).resolve().parent.is_dir():
        p.error(f"--save {args.save}: the folder {Path(args.save).resolve().parent} does not exist")
    if args.backend:
        backend.set_backend(args.backend)

    x_train, y_train, x_test, y_test, side = load_data(args)
    # Validation comes out before augmentation, so no shifted copy of a
    # validation image is trained on.
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    if not args.no_augment:
        images, y_train = shift_images(x_train.reshape(-1, side, side), y_train)
        x_train = images.reshape(len(images), -1)
    net = build_mlp(x_train.shape[1], args.hidden, 10, args.seed)
    if args.load:
        load_network(args.load, net)
        print(f"loaded parameters from {args.load}")
    print(f"{net}\ntraining on {len(x_train)} images ({'with' if not args.no_augment else 'without'} "
          f"shifted copies), validating on {len(x_val)}, testing on {len(x_test)} held out; backend: {backend.get_backend()}",
          flush=True)

    trainer = SGDTrainer(learning_rate=args.lr, batch_size=args.batch_size, epochs=args.epochs,
                         flavor=args.flavor, seed=args.seed, verbose=True, stream=sys.stdout)
    start = time.perf_counter()
    history = trainer.optimize(net, x_train, y_train, validation_data=(x_val, y_val))
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(net, x_test, y_test)
    print(f"test accuracy {100 * test_acc:.2f}% (loss {test_loss:.4f}) on {len(x_test)} held-out "
          f"images; training took {seconds:.1f} s")
    if args.save:
        save_network(args.save, net, extra={"test_accuracy": test_acc, "epochs": args.epochs})
        print(f"saved parameters to {args.save}")
    if args.plot:
        print(plot_history(history, Path(args.plot), title="MLP on digits"))
    return {"history": history, "test_accuracy": test_acc, "test_loss": test_loss, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: problems a user can fix are one line, not a traceback."""
    try:
        run(argv)
    except (ValueError, TypeError, FileNotFoundError, FloatingPointError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
