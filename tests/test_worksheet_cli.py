"""JSON configurations and the ``python -m framework.worksheet`` command."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from framework.worksheet import running_example
from framework.worksheet import examples as ex
from framework.worksheet.__main__ import main
from framework.worksheet.blocks import conv_worksheet, pool_worksheet
from framework.worksheet.config import load_config, worksheet_from_config
from framework.worksheet.exam import draw_exam
from framework.worksheet.lstm import lstm_worksheet

ROOT = Path(__file__).resolve().parents[1]

RUNNING = {
    "title": "The lecture's running example",
    "layers": [{"type": "FullyConnected", "weights": ex.W1, "bias": ex.BIAS1},
               {"type": "Sigmoid"},
               {"type": "FullyConnected", "weights": ex.W2, "bias": ex.BIAS2},
               {"type": "Softmax"}],
    "loss": "CrossEntropy", "inputs": ex.A, "targets": [ex.T], "learning_rate": 0.5}


def same(a, b):
    assert a.keys() == b.keys()
    for q in a:
        np.testing.assert_allclose(q.value, b.value(q.key), rtol=0, atol=1e-12, err_msg=q.key)


def test_running_example_from_json_equals_the_builtin(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(RUNNING))
    same(load_config(path), running_example())
    labels = worksheet_from_config({**RUNNING, "targets": [0]})         # a class label: one-hot
    np.testing.assert_array_equal(labels.value("t"), [1, 0])
    same(labels, running_example())


def test_block_kinds_from_json_equal_the_python_functions():
    same(worksheet_from_config({"kind": "conv", "image": ex.IMAGE, "kernel": ex.KERNEL, "bias": 0.5,
                                "stride": 2, "padding": 1}),
         conv_worksheet(ex.IMAGE, ex.KERNEL, 0.5, 2, 1))
    same(worksheet_from_config({"kind": "pool", "image": ex.POOL_IMAGE, "delta_y": ex.POOL_DELTA}),
         pool_worksheet(ex.POOL_IMAGE, ex.POOL_DELTA))
    same(worksheet_from_config({"kind": "lstm", "x": ex.LSTM_X, "U": ex.LSTM_U, "W": ex.LSTM_W,
                                "bias": ex.LSTM_BIAS, "delta_h": ex.LSTM_DELTA_H}),
         lstm_worksheet(ex.LSTM_X, ex.LSTM_U, ex.LSTM_W, ex.LSTM_BIAS, ex.LSTM_DELTA_H))


def test_a_cnn_chain_agrees_with_the_conv_block():
    sheet = worksheet_from_config({
        "layers": [{"type": "Conv2D", "weights": ex.KERNEL, "bias": 0.5, "stride": 1},
                   {"type": "MaxPool2D", "pool_size": 3}, {"type": "Flatten"},
                   {"type": "FullyConnected", "weights": [[1.0, -1.0]]}, {"type": "Softmax"}],
        "inputs": ex.IMAGE, "input_shape": [4, 4, 1], "targets": [1]})
    np.testing.assert_allclose(sheet.value("b"), conv_worksheet(ex.IMAGE, ex.KERNEL, 0.5).value("Y"))
    assert sheet.value("c") == sheet.value("b").max()
    assert sheet["dL_dK1"].value.shape == (2, 2) and sheet["b"].formula.startswith("a ⋆ K¹ + bias¹")
    # the gradient reaches only the window's maximum
    assert np.count_nonzero(sheet.value("delta_b")) == 1


@pytest.mark.parametrize("change,message", [
    ({"layers": [{"type": "Dense", "weights": [[1.0]]}]}, "unknown type 'Dense'"),
    ({"layers": [{"type": "FullyConnected", "weight": [[1.0]]}]}, r"unknown key\(s\) \['weight'\]"),
    ({"layers": [{"type": "FullyConnected"}]}, r"missing key\(s\) \['weights'\]"),
    ({"loss": "Hinge"}, "unknown loss 'Hinge'"),
    ({"targets": [[1, 0, 0]]}, "targets: expected one label per row"),
    ({"kind": "gru"}, "unknown kind 'gru'"),
    ({"learning_rte": 0.1}, r"unknown key\(s\) \['learning_rte'\]"),
])
def test_configuration_errors_name_the_problem(change, message):
    with pytest.raises(ValueError, match=message):
        worksheet_from_config({**RUNNING, **change})


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n "layers": [\n}')
    with pytest.raises(ValueError, match=r"bad.json: not valid JSON: .* line 3"):
        load_config(path)


def test_command_prints_the_running_example_and_latex(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "| δc = δd·W²ᵀ | `[-0.5268, 0.3161, 0.3161]` |" in out
    assert main(["--format", "latex", "--digits", "3"]) == 0
    assert r"\delta \vec{c} &= \delta \vec{d} \cdot (W^{2})^T" in capsys.readouterr().out
    assert main(["--block", "conv", "--stride", "2", "--padding", "1"]) == 0
    assert "stride 2, padding 1" in capsys.readouterr().out
    assert main(["--block", "all"]) == 0
    out = capsys.readouterr().out
    assert "## One LSTM unit over two steps: Forward pass" in out and "## Max and average" in out


def test_exam_workflow_through_the_command(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    assert main(["--exam", "--seed", "3", "--blocks", "mlp,pool"]) == 0
    questions = capsys.readouterr().out
    assert "___" in questions
    assert main(["--exam", "--seed", "3", "--blocks", "mlp,pool"]) == 0
    assert capsys.readouterr().out == questions
    assert main(["--key", "--seed", "3", "--blocks", "mlp,pool"]) == 0
    assert "___" not in capsys.readouterr().out
    assert main(["--answers-template", str(answers), "--seed", "3", "--blocks", "mlp,pool"]) == 0
    capsys.readouterr()
    assert main(["--check", str(answers)]) == 1
    assert "Nothing filled in yet" in capsys.readouterr().out
    doc = json.loads(answers.read_text())
    sheet = draw_exam(3, "mlp,pool")
    doc["answers"] = {q.key: np.round(q.value, 3).tolist() for q in sheet.computed()}
    answers.write_text(json.dumps(doc))
    assert main(["--check", str(answers)]) == 0
    assert "Every answer is right." in capsys.readouterr().out
    doc["answers"]["pool.Y_avg"][0][0] += 1
    answers.write_text(json.dumps(doc))
    assert main(["--check", str(answers), "--seed", "3"]) == 1
    assert "pool: Y_avg is wrong: entry (row 1, column 1)" in capsys.readouterr().out


def test_user_errors_are_one_line(capsys):
    assert main(["--exam"]) == 2
    assert capsys.readouterr().err == "error: an exam needs --seed N (the same seed gives the same exam)\n"
    assert main(["--config", "/nonexistent/net.json"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_python_dash_m_runs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "framework.worksheet", "--output",
                          str(tmp_path / "ws.tex"), "--format", "latex"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert "wrote" in out.stdout
    assert (tmp_path / "ws.tex").read_text().startswith(r"\documentclass{article}")


@pytest.mark.parametrize("argv", [["--block", "all"], ["--exam", "--seed", "1"], ["--key", "--seed", "2"]])
def test_latex_of_every_block_is_ascii_and_balanced(argv, capsys):
    assert main(argv + ["--format", "latex"]) == 0
    tex = capsys.readouterr().out
    assert not [ch for ch in tex if ord(ch) > 127], "pdflatex needs ASCII"
    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") > 10
    assert (r"\underline{\hspace{2.5em}}" in tex) == ("--exam" in argv)
