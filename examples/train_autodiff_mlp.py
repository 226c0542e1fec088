"""Train an MLP built on the autodiff engine on the shipped 8x8 digits, offline.

The same network and data as ``examples/train_mlp.py`` (64-256-128-10, ReLU,
Adam, softmax cross-entropy; 80 % training of which 10 % validation, 20 %
held-out test; one-pixel shifted copies added to the training set), but
every gradient comes from the engine's reverse mode instead of the layers'
hand-written backward.

Example::

    python examples/train_autodiff_mlp.py                 # ~5 s, >= 97 % test accuracy
    python examples/train_autodiff_mlp.py --epochs 5 --hidden 64
"""
from __future__ import annotations

import argparse
import sys
import time

from framework.autodiff.model import Model
from framework.autodiff.nn import Linear, ReLU, Sequential
from framework.data import load_digits, shift_images, train_test_split


def build_mlp(n_in: int, hidden: list[int], n_classes: int, seed: int) -> Sequential:
    """Linear + ReLU for every hidden size, then Linear to the classes (He, then Xavier, as train_mlp)."""
    layers, prev = [], n_in
    for i, h in enumerate(hidden):
        layers += [Linear(prev, h, init="he", seed=seed + i), ReLU()]
        prev = h
    layers.append(Linear(prev, n_classes, seed=seed + len(hidden)))
    return Sequential(layers)


def run(argv: list[str] | None = None) -> dict:
    """Parse ``argv``, train, evaluate; return ``{"history", "test_accuracy", "test_loss", "seconds"}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.001, help="learning rate")
    p.add_argument("--flavor", default="adam", help="sgd, momentum, nesterov, adagrad, rmsprop, adam")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128], help="hidden layer sizes")
    p.add_argument("--no-augment", action="store_true", help="train without shifted copies")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    x, y = load_digits()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=args.seed)
    # validation comes out before augmentation: no shifted copy of a validation image is trained on
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    if not args.no_augment:
        images, y_train = shift_images(x_train.reshape(-1, 8, 8), y_train)
        x_train = images.reshape(len(images), -1)
    model = Model(build_mlp(x_train.shape[1], args.hidden, 10, args.seed), "softmax_cross_entropy",
                  flavor=args.flavor, learning_rate=args.lr)
    print(f"{model.network} on the autodiff engine (float32)\ntraining on {len(x_train)} images, "
          f"validating on {len(x_val)}, testing on {len(x_test)} held out", flush=True)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation=(x_val, y_val), seed=args.seed)
    seconds = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(x_test, y_test)
    print(f"test loss {test_loss:.4f}  test accuracy {test_acc:.4f}  ({seconds:.1f} s training)")
    return {"history": history, "test_accuracy": test_acc, "test_loss": test_loss,
            "seconds": seconds, "model": model}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
