"""examples/train_mlp.ipynb runs top to bottom in a Jupyter kernel and shows what it promises.

The kernel is this Python (``sys.executable``) with the repository root first on
PYTHONPATH, so the notebook imports this checkout's ``framework``, wherever the
test runs (a developer's worktree, CI's fresh venv).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "train_mlp.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def _kernel_for_this_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec running ``sys.executable`` with the repository importable; its name."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "framework-test"
    spec_dir.mkdir(parents=True)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "framework test", "language": "python", "env": {"PYTHONPATH": path}}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "framework-test"


@pytest.mark.slow
def test_notebook_runs_and_shows_progress_plots_and_accuracy(tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import framework; print(framework.__file__)"))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name=_kernel_for_this_python(tmp_path, monkeypatch),
                                     resources={"metadata": {"path": str(ROOT / "examples")}})
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert Path(code[-1].outputs[0]["text"].strip()).is_relative_to(ROOT / "framework")

    def text(cell, name):
        return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)

    def pngs(cell):
        return [o for o in cell.outputs if "image/png" in o.get("data", {})]

    train = next(c for c in code if "trainer.optimize" in c.source)
    summary = [l for l in text(train, "stderr").splitlines() if re.match(r"epoch \d+/15 ", l)]
    assert len(summary) == 15 and "val loss" in summary[-1]
    if importlib.util.find_spec("ipywidgets"):  # the test extra installs it: tqdm shows its widget
        assert sum(WIDGET in o.get("data", {}) for o in train.outputs) == 15

    accuracy = float(re.search(r"test accuracy ([0-9.]+)", "".join(text(c, "stdout") for c in code)).group(1))
    assert accuracy > 0.9
    cnn_accuracy = float(re.search(r"CNN test accuracy ([0-9.]+)", text(code[-2], "stdout")).group(1))
    assert cnn_accuracy > 0.8
    # Each plotting cell shows its figure exactly once (returned, not also left open for pyplot).
    plots = [c for c in code if re.search(r"plot_(history|confusion_matrix|conv_filters)\(", c.source)]
    assert len(plots) == 3 and all(len(pngs(c)) == 1 for c in plots)
