"""docs/optimizers.md: its example runs and prints what the page shows."""
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "optimizers.md"


def test_optimizers_page_example_prints_what_the_page_shows(capsys):
    text = PAGE.read_text()
    (block,) = re.findall(r"```python\n(.+?)```", text, flags=re.S)
    exec(compile(block, "docs/optimizers.md", "exec"), {})
    shown = re.search(r"prints\n\n```\n(.+?)```", text, flags=re.S).group(1)
    assert capsys.readouterr().out == shown


def test_every_flavor_and_schedule_is_on_the_page():
    from framework import optim
    text = PAGE.read_text()
    for name in optim.FLAVORS:
        assert f"| `{name}`" in text
    for name in ("StepDecay", "ExponentialDecay", "InverseTimeDecay", "Cosine", "ReduceOnPlateau"):
        assert f"`{name}(" in text
