"""The Python examples in docs/ run as written."""
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_writing_a_layer_examples_run_and_pass_their_checks(capsys):
    text = (DOCS / "writing_a_layer.md").read_text()
    blocks = re.findall(r"```python\n(.+?)```", text, flags=re.S)
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "docs/writing_a_layer.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.count(": OK") == 2 and "Y: exact" in out
