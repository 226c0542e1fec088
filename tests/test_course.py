"""The course's structure: solutions pass, skeletons fail with the exercise's name, grader, copy command."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from framework import exercises as copy_cmd
from framework import grade
from framework.grading import list_weeks, load_week

ROOT = Path(__file__).resolve().parents[1]
WEEKS = [load_week(p) for p in list_weeks()]


def test_there_is_a_week_one():
    assert "week1" in [w.name for w in WEEKS]


@pytest.mark.parametrize("week", WEEKS, ids=lambda w: w.name)
def test_solutions_pass_every_exercise(week):
    results = grade.grade(week, "solution", isolate=False)
    failed = [f"{r.line()}\n{r.details()}" for r in results if not r.passed]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("week", WEEKS, ids=lambda w: w.name)
def test_skeletons_fail_every_exercise_with_its_name(week):
    for r in grade.grade(week, "skeleton", isolate=False):
        assert not r.passed, f"the skeleton passes exercise {r.id}"
        assert r.failure.exception.startswith(f"NotImplementedError: Exercise {r.id}:"), \
            f"exercise {r.id} failed with {r.failure.exception!r}"


@pytest.mark.parametrize("week", WEEKS, ids=lambda w: w.name)
def test_every_exercise_has_a_registered_marker(week):
    pyproject = (ROOT / "pyproject.toml").read_text()
    for ex in week.exercises:
        assert re.search(rf'"{ex.marker}: ', pyproject), f"marker {ex.marker} not in pyproject.toml"
    ids = [ex.id for ex in week.exercises]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("week", WEEKS, ids=lambda w: w.name)
def test_skeleton_and_solution_have_the_same_files(week):
    names = lambda d: sorted(p.name for p in (week.path / d).glob("*.py"))
    assert names("skeleton") == names("solution")
    for ex in week.exercises:
        for f in ex.files:
            assert (week.path / "skeleton" / f).exists(), f"{ex.id} needs {f}"


def _student_copy(tmp_path):
    d = tmp_path / "mine"
    shutil.copytree(ROOT / "exercises/week1/solution", d)
    return d


def test_grader_reports_method_quantity_ratio_and_hint_for_a_mutant(tmp_path, capsys):
    d = _student_copy(tmp_path)
    layers = d / "layers.py"
    layers.write_text(layers.read_text().replace("delta_matrix().sum(axis=0)",
                                                 "delta_matrix().mean(axis=0)"))
    code = grade.main(["exercises/week1", "--student", str(d), "--exercise", "1.3",
                       "--in-process"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  0/3" in out
    assert "method:   calculate_delta_weights" in out
    assert "quantity: delta of 'bias'" in out
    assert "first bad index (0,): got" in out
    assert "ratio got/expected: 0.25 = 1/batch everywhere" in out
    assert "hint [fc-bias-averaged]" in out


def test_a_hanging_and_a_crashing_file_cost_their_exercises_only(tmp_path):
    d = _student_copy(tmp_path)
    shape = d / "shape.py"
    shape.write_text(shape.read_text().replace("        flat = 0\n",
                                               "        flat = 0\n        while True:\n            pass\n"))
    losses = d / "losses.py"
    losses.write_text(losses.read_text().replace(
        "class MSE(Loss):", "import os\nos._exit(3)\n\n\nclass MSE(Loss):"))
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "framework.grade", "exercises/week1", "--student",
                           str(d), "--exercise", "1.1", "1.4", "1.8", "--timeout", "6",
                           "--format", "gradescope", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(out.read_text())
    status = {t["number"]: t["status"] for t in data["tests"]}
    assert status == {"1.1": "failed", "1.4": "passed", "1.8": "failed"}
    text = {t["number"]: t["output"] for t in data["tests"]}
    assert "did not finish within 6 s" in text["1.1"]
    assert "exit code 3" in text["1.8"]
    assert data["score"] == 1 and sum(t["max_score"] for t in data["tests"]) == 3
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output"}


def test_a_relative_student_folder_is_taken_from_where_the_grader_runs(tmp_path):
    # A student grades from inside their copy: `--student .` is that folder, not the repository.
    d = _student_copy(tmp_path)
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "framework.grade", "week1", "--student", ".",
                           "--exercise", "1.1", "1.4", "--format", "gradescope", "--output", str(out)],
                          cwd=d, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {t["number"]: t["status"] for t in json.loads(out.read_text())["tests"]} == \
        {"1.1": "passed", "1.4": "passed"}


def test_copy_command_gives_a_student_a_working_copy(tmp_path, capsys):
    target = tmp_path / "mywork"
    assert copy_cmd.main(["start", "week1", str(target)]) == 0
    out = capsys.readouterr().out
    assert "--student" in out and "-m ex1_1" in out
    week = load_week("week1")
    assert sorted(p.name for p in target.glob("*.py")) == \
        sorted(p.name for p in (week.path / "skeleton").glob("*.py"))
    readme = (target / "README.md").read_text()
    assert f"]({ROOT.as_posix()}/docs/reading_a_grader_report.md)" in readme
    assert copy_cmd.main(["start", "week1", str(target)]) == 2  # never overwrites
    [r] = grade.grade(week, target, ["1.3"], isolate=False)
    assert r.failure.exception.startswith("NotImplementedError: Exercise 1.3: FullyConnected.forward")
    shutil.copyfile(week.path / "solution/layers.py", target / "layers.py")
    [r] = grade.grade(week, target, ["ex1_3"], isolate=False)
    assert r.passed


def test_pytest_marker_selects_one_exercise_of_a_student_copy(tmp_path):
    target = tmp_path / "mywork"
    copy_cmd.start("week1", target)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "exercises/week1", "--student", str(target), "-m", "ex1_4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "1 failed, 9 deselected" in proc.stdout, proc.stdout
    assert "Exercise 1.4: Sigmoid.forward" in proc.stdout


def test_a_file_that_does_not_import_fails_its_exercises_as_import(tmp_path):
    d = _student_copy(tmp_path)
    (d / "losses.py").write_text("def broken(:\n")
    week = load_week("week1")
    results = {r.id: r for r in grade.grade(week, d, ["1.1", "1.7", "1.8"], isolate=False)}
    assert results["1.1"].passed
    for ex in ("1.7", "1.8"):
        f = results[ex].failure
        assert f.method == "import" and f.quantity == "losses.py"
        assert f.exception.startswith("SyntaxError")


def test_the_grader_names_the_loss_sign_and_the_dependency_note(tmp_path):
    d = _student_copy(tmp_path)
    losses = d / "losses.py"
    losses.write_text(losses.read_text().replace("return float(-np.sum(", "return float(np.sum("))
    week = load_week("week1")
    results = {r.id: r for r in grade.grade(week, d, ["1.7", "1.9"], isolate=False)}
    f = results["1.7"].failure
    assert (f.method, f.quantity, f.factor_name, f.mistake) == \
        ("forward", "loss value L", "-1", "ce-missing-minus")
    assert re.search(r"\ngot -\d\.\d+, expected \d\.\d+", results["1.7"].details())
    assert results["1.9"].failure.quantity == "L"
    assert "exercise 1.7, which failed too" in results["1.9"].details()
