"""The README's trainer script reaches its accuracy target, and its options work."""
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("train_mlp", ROOT / "examples" / "train_mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_run_reaches_97_percent(capsys):
    result = load_script().run([])
    assert result["test_accuracy"] >= 0.97
    h = result["history"]
    assert len(h.train_loss) == 20 and h.train_loss[-1] < h.train_loss[0]
    out = capsys.readouterr().out
    assert "epoch 20/20" in out and "val loss" in out and "test accuracy" in out


def test_save_load_and_plot(tmp_path, capsys):
    script = load_script()
    first = script.run(["--epochs", "1", "--save", str(tmp_path / "m.npz"), "--no-augment"])
    again = script.run(["--epochs", "0", "--load", str(tmp_path / "m.npz"), "--no-augment"])
    assert again["test_accuracy"] == pytest.approx(first["test_accuracy"])
    pytest.importorskip("matplotlib")
    script.run(["--epochs", "2", "--no-augment", "--plot", str(tmp_path / "c.png")])
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
