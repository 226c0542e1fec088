"""What the trainer scripts in examples/ share: options, the training run, the report.

A script builds its data and network; :func:`train_and_report` does the
rest the same way for every script (load, train with progress and
per-epoch metrics, test, save, plot), and :func:`main_for` turns problems
a user can fix into one-line errors instead of tracebacks.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import backend
from .network import Network
from .plotting import plot_history
from .serialize import load_network, save_network
from .trainer import SGDTrainer, evaluate


def add_training_options(p: argparse.ArgumentParser, epochs: int | None, batch_size: int,
                         lr: float) -> None:
    """Add the options every trainer script has, with this script's defaults.

    Args:
        p: the script's parser.
        epochs: default epochs (None: the script picks, e.g. per data set).
        batch_size: default batch size.
        lr: default learning rate.
    """
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the training data")
    p.add_argument("--batch-size", type=int, default=batch_size, help="samples per SGD step")
    p.add_argument("--lr", type=float, default=lr, help="learning rate")
    p.add_argument("--flavor", default="adam", help="sgd, momentum, nesterov, adagrad, rmsprop, adam")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the weights, the shuffling")
    p.add_argument("--backend", choices=["numpy", "c"], default=None,
                   help="numpy or c (default: c when the kernel is built, else numpy)")
    p.add_argument("--save", metavar="FILE", help="save the trained parameters (.npz, atomic)")
    p.add_argument("--load", metavar="FILE", help="start from saved parameters")
    p.add_argument("--plot", metavar="PNG", help="save loss/accuracy curves (needs matplotlib)")


def parse(p: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``, check what can be checked before training, select the backend.

    Returns:
        The parsed arguments.
    """
    args = p.parse_args(argv)
    if args.save and not Path(args.save).resolve().parent.is_dir():
        # fail now, not after training
        p.error(f"--save {args.save}: the folder {Path(args.save).resolve().parent} does not exist")
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        p.error(f"--plot {args.plot}: needs matplotlib, which is not installed: "
                f"pip install -e '.[plot]'")  # fail now, not after training
    if args.backend:
        backend.set_backend(args.backend)
    return args


def train_and_report(net: Network, args: argparse.Namespace, train: tuple[np.ndarray, np.ndarray],
                     val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                     title: str, epochs: int | None = None) -> dict[str, Any]:
    """Load (``--load``), train with per-epoch metrics, test, save (``--save``), plot (``--plot``).

    Args:
        net: the network to train.
        args: parsed options of :func:`add_training_options`.
        train: ``(x, y)`` training data.
        val: ``(x, y)`` validation data, evaluated after every epoch.
        test: ``(x, y)`` held-out test data, evaluated once at the end.
        title: what was trained, for the plot.
        epochs: overrides ``args.epochs``.

    Returns:
        ``{"history", "test_accuracy", "test_loss", "seconds"}``.
    """
    epochs = args.epochs if epochs is None else epochs
    if args.load:
        load_network(args.load, net)
        print(f"loaded parameters from {args.load}")
    trainer = SGDTrainer(learning_rate=args.lr, batch_size=args.batch_size, epochs=epochs,
                         flavor=args.flavor, seed=args.seed, verbose=True, stream=sys.stdout)
    start = time.perf_counter()
    history = trainer.optimize(net, *train, validation_data=val)
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(net, *test)
    print(f"test accuracy {100 * test_acc:.2f}% (loss {test_loss:.4f}) on {len(test[0])} held-out "
          f"samples; training took {seconds:.1f} s")
    if args.save:
        save_network(args.save, net, extra={"test_accuracy": test_acc, "epochs": epochs})
        print(f"saved parameters to {args.save}")
    if args.plot:
        plot_history(history, Path(args.plot), title=title)
        print(f"saved plot to {args.plot}")
    return {"history": history, "test_accuracy": test_acc, "test_loss": test_loss, "seconds": seconds}


def main_for(run: Callable[[list[str] | None], Any]) -> Callable[[list[str] | None], int]:
    """Wrap a script's ``run(argv)`` as a ``main(argv) -> exit code``.

    Errors a user can fix (bad data, a wrong file, divergence) print one
    line, ``error: ...``, and exit with 2 instead of showing a traceback.
    """
    def main(argv: list[str] | None = None) -> int:
        try:
            run(argv)
        except (ValueError, TypeError, FileNotFoundError, FloatingPointError, RuntimeError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        return 0
    return main
