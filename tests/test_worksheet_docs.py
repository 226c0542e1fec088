"""docs/worksheets.md runs as written: its Python, JSON and shell blocks, and its printed excerpts."""
import contextlib
import io
import json
import os
import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from framework.worksheet.__main__ import main
from framework.worksheet.check import check_answers
from framework.worksheet.config import worksheet_from_config
from framework.worksheet.exam import draw_exam

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "worksheets.md").read_text()


def blocks(lang):
    return re.findall(rf"```{lang}\n(.+?)```", TEXT, flags=re.S)


def run(line, cwd):
    """The command line, run in-process in ``cwd`` (``python -m`` itself: test_worksheet_cli.py)."""
    argv = shlex.split(line.split("#")[0])
    assert argv[:3] == ["python", "-m", "framework.worksheet"], line
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv[3:])
    finally:
        os.chdir(old)
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_python_block_runs_and_prints_what_its_comments_say(capsys):
    (code,) = blocks("python")
    exec(compile(code, "docs/worksheets.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    comments = [m.group(1) for m in re.finditer(r"print\(.*\)\s+# (.+)", code)]
    assert out == comments


def test_json_blocks_are_valid_configurations():
    configs = [json.loads(b) for b in blocks("json")]
    assert [c.get("kind", "network") for c in configs] == ["network", "conv", "pool", "lstm"]
    for config in configs:
        sheet = worksheet_from_config(config)
        assert sheet.computed()
    soft = worksheet_from_config(configs[0])
    np.testing.assert_allclose(soft.value("t"), [0.9, 0.1])


def test_shell_blocks_run(tmp_path):
    (tmp_path / "slides.json").write_text(blocks("json")[0])
    lines = [ln for b in blocks("bash") for ln in b.splitlines() if ln.strip()]
    assert len(lines) == 12
    for line in lines:
        if "--check" in line:
            # the student has filled in the template: with the key's numbers, rounded to 3 decimals
            doc = json.loads((tmp_path / "answers.json").read_text())
            sheet = draw_exam(doc["seed"], doc["blocks"])
            doc["answers"] = {q.key: np.round(q.value, 3).tolist() for q in sheet.computed()}
            (tmp_path / "answers.json").write_text(json.dumps(doc))
        result = run(line, tmp_path)
        assert result.returncode == 0, (line, result.stderr)
        assert result.stdout, line
    for name in ["running_example.tex", "all_blocks.tex", "exam7.tex"]:
        assert (tmp_path / name).read_text().startswith(r"\documentclass{article}")


def test_printed_excerpts_are_the_real_output(tmp_path):
    excerpt, check_excerpt = blocks("text")
    out = run("python -m framework.worksheet", tmp_path).stdout.splitlines()
    for line in excerpt.splitlines():
        assert line in out, line
    sheet = draw_exam(7, "mlp")
    answers = {q.key: q.value.tolist() for q in sheet.computed()}
    answers["mlp.delta_c"][1] += 0.3
    answers["mlp.delta_b"][1] += 0.3
    report = check_answers(sheet, answers).text().splitlines()
    lines = check_excerpt.splitlines()
    assert report[0].startswith(lines[0].replace(" ...", ""))
    assert report[1:] == lines[1:]
