"""Train an LSTM to read handwritten digits row by row, offline.

Each 8x8 digit shipped with the package becomes a sequence of T = 8 time
steps (the image rows, top to bottom) of F = 8 features (the pixels of that
row). An LSTM(8, H) reads the rows one after the other; its hidden state
after the last row goes through FullyConnected(H, 10) to the class scores
(softmax cross-entropy, Adam). The network never sees the whole image at
once: whatever it knows about the upper rows when it reaches the bottom is
in its cell state. 80 % of the images train (10 % of them validate), 20 %
are held out for the test.

Example::

    python examples/train_lstm.py                   # about 10 s, ~97 % test accuracy
    python examples/train_lstm.py --hidden 32 --epochs 10 --plot lstm.png
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from framework import FullyConnected, InputLayer, Network, SGDTrainer, SoftmaxCrossEntropy, backend, evaluate
from framework.data import load_digits_images, train_test_split
from framework.layers.lstm import LSTM
from framework.plotting import plot_history
from framework.serialize import load_network, save_network


def build_lstm_classifier(rows: int, row_size: int, hidden: int, n_classes: int, seed: int) -> Network:
    """``[N, rows, row_size]`` -> LSTM (last step) -> FC -> softmax cross-entropy."""
    return Network(InputLayer((rows, row_size), num_classes=n_classes),
                   [LSTM(row_size, hidden, return_sequences=False, seed=seed),
                    FullyConnected(hidden, n_classes, seed=seed + 1)],
                   SoftmaxCrossEntropy())


def load_sequences(seed: int) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)``: digits as ``[N, T=8 rows, F=8 pixels]`` in [0, 1]."""
    images, labels = load_digits_images()
    x = images[..., 0]                   # [N, 8, 8]: x[n, r, c] = row r, column c; row r is step t = r
    return train_test_split(x, labels, test_fraction=0.2, seed=seed)


def run(argv: list[str] | None = None) -> dict:
    """Parse ``argv``, train, evaluate; return ``{"history", "test_accuracy", "test_loss", "seconds"}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.005, help="learning rate")
    p.add_argument("--flavor", default="adam", help="sgd, momentum, nesterov, adagrad, rmsprop, adam")
    p.add_argument("--hidden", type=int, default=64, help="LSTM units")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=["numpy", "c"], help="default: c if built, else numpy")
    p.add_argument("--save", metavar="FILE", help="save the trained parameters (.npz, atomic)")
    p.add_argument("--load", metavar="FILE", help="start from saved parameters")
    p.add_argument("--plot", metavar="PNG", help="save loss/accuracy curves (needs matplotlib)")
    args = p.parse_args(argv)
    if args.backend:
        backend.set_backend(args.backend)

    x_train, y_train, x_test, y_test = load_sequences(args.seed)
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    rows, row_size = x_train.shape[1:]
    net = build_lstm_classifier(rows, row_size, args.hidden, 10, args.seed)
    if args.load:
        load_network(args.load, net)
        print(f"loaded parameters from {args.load}")
    print(f"{net}\nreading each digit as {rows} rows of {row_size} pixels; training on "
          f"{len(x_train)} images, validating on {len(x_val)}, testing on {len(x_test)} held out; "
          f"backend: {backend.get_backend()}", flush=True)

    trainer = SGDTrainer(learning_rate=args.lr, batch_size=args.batch_size, epochs=args.epochs,
                         flavor=args.flavor, seed=args.seed, verbose=True, stream=sys.stdout)
    start = time.perf_counter()
    history = trainer.optimize(net, x_train, y_train, validation_data=(x_val, y_val))
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(net, x_test, y_test)
    print(f"test accuracy {100 * test_acc:.2f}% (loss {test_loss:.4f}, chance 10%) on "
          f"{len(x_test)} held-out images; training took {seconds:.1f} s")
    if args.save:
        save_network(args.save, net, extra={"test_accuracy": test_acc, "epochs": args.epochs})
        print(f"saved parameters to {args.save}")
    if args.plot:
        print(plot_history(history, Path(args.plot), title="LSTM on digits, row by row"))
    return {"history": history, "test_accuracy": test_acc, "test_loss": test_loss, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
