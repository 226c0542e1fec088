"""Tests for the progress bar."""
from __future__ import annotations

import io

import numpy as np
import pytest

from framework.progress import ProgressBar


class FakeClock:
    """A clock the test advances by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TTYStringIO(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_non_tty_prints_one_final_line_with_count_and_postfix():
    out = io.StringIO()
    clock = FakeClock()
    with ProgressBar(20, desc="epoch 3", stream=out, clock=clock) as bar:
        for step in range(20):
            clock.now += 0.5
            bar.update(loss=1.0 / (step + 1), acc=np.float32(0.75))
    text = out.getvalue()
    assert "\r" not in text
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.startswith("epoch 3: 100%|")
    assert "20/20" in text
    assert "loss=0.05," in text  # latest value, 4 significant digits
    assert "acc=0.75]" in text
    assert "[00:10<00:00, 2.00it/s" in text


def test_nothing_written_before_close_when_not_a_tty():
    out = io.StringIO()
    bar = ProgressBar(5, stream=out)
    bar.update(3)
    assert out.getvalue() == ""
    bar.close()
    bar.close()  # idempotent
    assert out.getvalue().count("\n") == 1 and "3/5" in out.getvalue()


def test_disabled_prints_nothing():
    out = TTYStringIO()
    with ProgressBar(5, stream=out, enabled=False) as bar:
        bar.update(5, loss=1.0)
    assert out.getvalue() == ""


def test_tty_redraws_in_place():
    out = TTYStringIO()
    clock = FakeClock()
    with ProgressBar(4, stream=out, min_interval=0.0, clock=clock) as bar:
        for _ in range(4):
            clock.now += 1.0
            bar.update(loss=2.0)
    text = out.getvalue()
    assert text.count("\r") == 5  # four updates plus the final redraw on close
    assert text.count("\n") == 1
    last = text.rstrip("\n").split("\r")[-1]
    assert "4/4" in last and "loss=2" in last and "100%" in last


def test_tty_throttles_redraws():
    out = TTYStringIO()
    clock = FakeClock()
    bar = ProgressBar(1000, stream=out, min_interval=1.0, clock=clock)
    for _ in range(999):
        clock.now += 0.001  # 999 fast steps within one second
        bar.update()
    assert out.getvalue().count("\r") == 1
    bar.close()


def test_eta_and_unknown_total():
    clock = FakeClock()
    bar = ProgressBar(10, stream=io.StringIO(), clock=clock, width=10)
    clock.now += 2.0
    bar.update(4)
    assert bar.format() == " 40%|####------|  4/10 [00:02<00:03, 2.00it/s]"
    open_ended = ProgressBar(None, desc="stream", stream=io.StringIO(), clock=clock)
    clock.now += 125.0
    open_ended.update(250, loss=0.5)
    assert open_ended.format() == "stream: 250 [02:05, 2.00it/s, loss=0.5]"


def test_rejects_negative_total():
    with pytest.raises(ValueError, match="expected total >= 0 or None, got -1"):
        ProgressBar(-1)
