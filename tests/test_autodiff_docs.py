"""The Python blocks of docs/autodiff.md run as written, in order, sharing their names."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "autodiff.md"


def test_autodiff_doc_blocks_run_and_their_asserts_hold(capsys):
    blocks = re.findall(r"```python\n(.+?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 7
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/autodiff.md block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "L = 0.748261074" in out
    assert "largest difference of the input deltas: 0.0" in out
    assert "gradient check of DerivedLeakyReLU(): OK" in out
