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

import numpy as np

from framework import FullyConnected, InputLayer, Network, SoftmaxCrossEntropy, backend
from framework.cli import add_training_options, main_for, parse, train_and_report
from framework.data import load_digits_images, train_test_split
from framework.layers.lstm import LSTM


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
    add_training_options(p, epochs=30, batch_size=32, lr=0.005)
    p.add_argument("--hidden", type=int, default=64, help="LSTM units")
    args = parse(p, argv)

    x_train, y_train, x_test, y_test = load_sequences(args.seed)
    x_train, y_train, x_val, y_val = train_test_split(x_train, y_train, 0.1, seed=args.seed)
    rows, row_size = x_train.shape[1:]
    net = build_lstm_classifier(rows, row_size, args.hidden, 10, args.seed)
    print(f"{net}\nreading each digit as {rows} rows of {row_size} pixels; training on "
          f"{len(x_train)} images, validating on {len(x_val)}, testing on {len(x_test)} held out "
          f"(chance 10%); backend: {backend.get_backend()}", flush=True)
    return train_and_report(net, args, (x_train, y_train), (x_val, y_val), (x_test, y_test),
                            title="LSTM on digits, row by row")


main = main_for(run)


if __name__ == "__main__":
    sys.exit(main())
