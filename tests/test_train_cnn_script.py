"""examples/train_cnn.py beats the MLP on the shipped digits, and its options work."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from framework.data import write_idx

ROOT = Path(__file__).resolve().parents[1]
MLP_TEST_ACCURACY_SEED_0 = 0.9805  # examples/train_mlp.py, default run, seed 0 (same split)


def load_script():
    spec = importlib.util.spec_from_file_location("train_cnn", ROOT / "examples" / "train_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_run_beats_the_mlp(capsys):
    result = load_script().run([])
    assert result["test_accuracy"] > MLP_TEST_ACCURACY_SEED_0
    h = result["history"]
    assert len(h.train_loss) == 30 and h.train_loss[-1] < 0.5 * h.train_loss[0]
    out = capsys.readouterr().out
    assert "epoch 30/30" in out and "val loss" in out and "test accuracy" in out
    assert "Conv2D(1->32, 3x3, stride 1, pad 1)" in out


def test_save_load_and_plot(tmp_path, capsys):
    script = load_script()
    small = ["--channels", "4", "8", "--no-augment"]
    first = script.run(small + ["--epochs", "1", "--save", str(tmp_path / "m.npz")])
    again = script.run(small + ["--epochs", "0", "--load", str(tmp_path / "m.npz")])
    assert again["test_accuracy"] == pytest.approx(first["test_accuracy"])
    assert again["test_loss"] == pytest.approx(first["test_loss"], rel=1e-6)
    pytest.importorskip("matplotlib")
    script.run(small + ["--epochs", "1", "--plot", str(tmp_path / "c.png")])
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mnist_runs_lenet(tmp_path, capsys):
    """A tiny fake MNIST folder: the LeNet path builds, trains one epoch and evaluates."""
    rng = np.random.default_rng(0)
    for part, n in (("train", 60), ("t10k", 20)):
        write_idx(tmp_path / f"{part}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{part}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    result = load_script().run(["--mnist", str(tmp_path), "--epochs", "1", "--batch-size", "16"])
    out = capsys.readouterr().out
    assert "Conv2D(1->6, 5x5, stride 1, pad 2)" in out and "Conv2D(6->16, 5x5, stride 1, pad 0)" in out
    assert "FullyConnected(400->120)" in out
    assert 0.0 <= result["test_accuracy"] <= 1.0 and np.isfinite(result["test_loss"])
