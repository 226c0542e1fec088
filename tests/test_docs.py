"""The Python examples in docs/ run as written (blocks of one page share a namespace), and print what the page shows."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# page -> (number of python blocks, lines its output must contain)
PAGES = {
    "writing_a_layer.md": (4, ["gradient check of Softplus(): OK",
                               "gradient check of WrongSoftplus(): FAILED",
                               "WRONG: 12 element(s); first at index (0, 0)",
                               "gradient check of Scale(): OK", "Y: exact"]),
    "writing_a_loss.md": (3, ["gradient check of LogCosh(): OK",
                              "ratio analytic/numeric: 4 = batch everywhere",
                              "hint: multiplied by the batch size", "True"]),
    "training_your_layer.md": (3, ["(1438, 64) (1438,) (359, 64) i", "-> Softplus() ->",
                                   "test accuracy"]),
    "initializers.md": (1, ["He uniform on [256, 128]: variance 0.00777, 2/fan_in = 0.00781",
                            "constant kernel: [0.1]", "callable: (4, 2)"]),
    "training.md": (3, ["validation samples: 288", "test accuracy", "epochs run:",
                        "best epoch", "same loss curve: True", "after an interrupt too: True",
                        "batch_size: checkpoint 32, this trainer 64"]),
    "reading_a_grader_report.md": (1, ["Exercise 1.3   FullyConnected",
                                       "method:   calculate_delta_weights",
                                       "quantity: delta of 'bias' (∂L/∂bias)",
                                       "first bad index (0,): got -0.31980103, expected -1.2792041",
                                       "ratio got/expected: 0.25 = 1/batch everywhere",
                                       "hint [fc-bias-averaged]"]),
    "recurrent.md": (1, ["('r', 'z', 'n') ['U', 'W', 'bias', 'recurrent_bias'] [(3, 12), (4, 12), (12,), (12,)]",
                         "gradient check of GRU(3->4, last step): OK", "recurrent_bias   checked",
                         "gradient check of RNN(3->4, relu): OK"]),
    "embedding.md": (1, ["rows with a gradient: [1, 2, 3, 7, 8, 14, 15, 65, 92]"]),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_examples_run_and_print_what_the_page_says(page, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples use repository paths such as exercises/week1
    text = (DOCS / page).read_text()
    blocks = re.findall(r"```python\n(.+?)```", text, flags=re.S)
    count, expected = PAGES[page]
    assert len(blocks) == count
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, f"docs/{page}", "exec"), namespace)
    out = capsys.readouterr().out
    for line in expected:
        assert line in out, f"docs/{page}: output lacks {line!r}"


# pages whose examples a test file of their own runs
TESTED_ELSEWHERE = {"autodiff.md": "test_autodiff_docs.py", "backends.md": "test_backend_seam.py",
                    "worksheets.md": "test_worksheet_docs.py",
                    "optimizers.md": "test_optimizers_docs.py",
                    "export.md": "test_export_torch.py"}


def test_every_page_with_python_examples_is_tested():
    pages = {p.name for p in DOCS.glob("*.md") if "```python" in p.read_text()}
    assert pages == set(PAGES) | set(TESTED_ELSEWHERE)
    for page, test_file in TESTED_ELSEWHERE.items():
        assert page in (Path(__file__).parent / test_file).read_text()


def test_the_report_shown_in_the_docs_is_what_the_grader_prints(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (DOCS / "reading_a_grader_report.md").read_text()
    shown = re.search(r"prints\n\n```\n(.+?)```", text, flags=re.S).group(1)
    exec(compile(re.findall(r"```python\n(.+?)```", text, flags=re.S)[0], "doc", "exec"), {})
    out = capsys.readouterr().out
    for line in shown.splitlines():
        assert line.split("...")[0].rstrip() in out
