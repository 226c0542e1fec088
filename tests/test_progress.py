"""Training progress through tqdm: a bar on a terminal and in Jupyter, none in a log."""
from __future__ import annotations

import functools
import io
import re
import sys

import numpy as np
import pytest
from tqdm.auto import tqdm

import framework.progress as progress
from framework import FullyConnected, InputLayer, Network, SGDTrainer, SoftmaxCrossEntropy
from framework.progress import progress_bar


class TTYStringIO(io.StringIO):
    def isatty(self) -> bool:
        return True


class KernelStream(io.StringIO):
    """Looks like ipykernel's OutStream to the check: not a terminal, yet a kernel's output."""


KernelStream.__module__ = "ipykernel.iostream"


def _train(stream, epochs=2):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 2))
    y = (x[:, 0] > 0).astype(np.int64)
    net = Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, seed=0)], SoftmaxCrossEntropy())
    return SGDTrainer(learning_rate=0.5, batch_size=10, epochs=epochs, verbose=True,
                      stream=stream).optimize(net, x, y)


def test_a_log_stream_gets_only_the_summary_line_per_epoch():
    out = io.StringIO()
    history = _train(out, epochs=3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in out.getvalue() and "%|" not in out.getvalue()
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"epoch {epoch}/3  train loss {history.train_loss[epoch - 1]:.4f} ")
    assert progress_bar(40, stream=io.StringIO()) is None
    assert progress_bar(40, stream=object()) is None  # no isatty at all


def test_a_terminal_gets_a_tqdm_bar_with_the_running_loss(monkeypatch, capsys):
    # Redraw on every update (tqdm waits 0.1 s between redraws, longer than this whole run).
    monkeypatch.setattr(progress, "tqdm", functools.partial(tqdm, mininterval=0, miniters=1))
    out = TTYStringIO()
    history = _train(out)
    text = out.getvalue()
    summary = [l.split("\r")[-1] for l in text.split("\n") if "train loss" in l]
    assert [s.startswith(f"epoch {e}/2  train loss") for e, s in enumerate(summary, 1)] == [True, True]
    for epoch in (1, 2):
        redraws = [s for s in text.split("\r") if s.startswith(f"epoch {epoch}/2: ")]
        steps = [int(m.group(1)) for s in redraws if (m := re.search(r"\| *(\d+)/40 ", s))]
        assert steps[-4:] == [10, 20, 30, 40]  # samples, after each step of 10
        # The last redraw shows the epoch's loss, which is what the history recorded.
        assert re.search(r"loss=([0-9.]+)", redraws[-1]).group(1) == f"{history.train_loss[epoch - 1]:.4f}"
    assert capsys.readouterr().err == ""  # stream= is where it all went


def test_a_jupyter_kernel_stream_gets_a_bar_although_it_is_no_terminal():
    out = KernelStream()
    assert not out.isatty()
    bar = progress_bar(5, desc="epoch 1/1", stream=out)
    assert isinstance(bar, tqdm) and not bar.disable  # tqdm's disable=None would switch it off here
    bar.update(3)
    bar.refresh()
    assert "epoch 1/1:  60%|" in out.getvalue() and "3/5" in out.getvalue()
    bar.close()


def test_the_default_stream_is_stderr_at_call_time(monkeypatch):
    err = TTYStringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = progress_bar(5, desc="now")
    assert bar is not None
    bar.close()
    assert "now:" in err.getvalue()


def test_not_verbose_creates_no_bar(monkeypatch):
    monkeypatch.setattr(progress, "tqdm", lambda *a, **k: pytest.fail("a bar without verbose"))
    rng = np.random.default_rng(0)
    net = Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, seed=0)], SoftmaxCrossEntropy())
    SGDTrainer(epochs=1, stream=TTYStringIO()).optimize(net, rng.standard_normal((8, 2)), np.arange(8) % 2)


def test_a_run_stopped_by_the_divergence_guard_closes_its_bar(monkeypatch):
    bars = []

    def recording_tqdm(*args, **kwargs):
        bars.append(tqdm(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(progress, "tqdm", recording_tqdm)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 2)) * 1e3
    y = (x[:, 0] > 0).astype(np.int64)
    net = Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, seed=0)], SoftmaxCrossEntropy())
    with pytest.raises(FloatingPointError):
        SGDTrainer(learning_rate=1e9, batch_size=10, epochs=3, verbose=True,
                   stream=TTYStringIO()).optimize(net, x, y)
    assert len(bars) == 1 and bars[0].disable  # tqdm marks a closed bar disabled
