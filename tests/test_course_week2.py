"""Week 2's checks beyond the mutants: exercise 2.7's layer and speed checks, and 2.1-2.3 one method each."""
import shutil

import pytest

from framework import Conv2D
from framework.grading import Submission, load_week, run_exercise
from framework.grading.methods import check_methods

WEEK = load_week("week2")
SOLUTION = WEEK.path / "solution"


def _copy(tmp_path):
    d = tmp_path / "mine"
    shutil.copytree(SOLUTION, d)
    return d


def test_a_network_without_your_conv_fails_2_7(tmp_path):
    d = _copy(tmp_path)
    f = d / "train_cnn.py"
    f.write_text(f.read_text().replace("from conv import Conv2D",
                                       "from framework import Conv2D"))
    r = run_exercise(WEEK, WEEK.exercise("2.7"), Submission(d))
    assert not r.passed
    assert r.failure.method == "build_cnn" and "Conv2D from your conv.py" in r.failure.message


def test_slow_layers_fail_2_7_as_too_slow_with_advice(monkeypatch):
    monkeypatch.setitem(WEEK.exercise("2.7").check.__globals__, "TIME_LIMIT", 1e-4)
    r = run_exercise(WEEK, WEEK.exercise("2.7"), Submission(SOLUTION))
    assert not r.passed
    assert r.failure.method == "speed" and r.failure.quantity == "training time"
    assert "whole batch and all channels at once" in r.failure.message
    assert "would take about" in r.failure.message  # stopped after one step, not after training


def test_exercises_2_1_to_2_3_each_need_only_their_own_method(tmp_path):
    d = _copy(tmp_path)
    solution = (SOLUTION / "conv.py").read_text()
    skeleton = (WEEK.path / "skeleton" / "conv.py").read_text()
    cut = "    def backward("  # backward and calculate_delta_weights come last in both files
    (d / "conv.py").write_text(solution[:solution.index(cut)] + skeleton[skeleton.index(cut):])
    sub = Submission(d)
    results = {ex: run_exercise(WEEK, WEEK.exercise(ex), sub) for ex in ("2.1", "2.2", "2.3")}
    assert results["2.1"].passed, results["2.1"].details()
    for ex in ("2.2", "2.3"):
        assert results[ex].failure.exception.startswith(f"NotImplementedError: Exercise {ex}:")


def test_check_methods_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="unknown methods"):
        check_methods(Conv2D, Conv2D, [], ("fwd",))
