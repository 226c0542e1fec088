"""The README's two newcomer commands are exactly what .ci/run executes."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_commands_and_ci_runs_them():
    commands = readme_commands()
    assert len(commands) == 2, commands
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line and not line.startswith("#")]
    for command in commands:
        assert command in ci_lines, f"README command not run by .ci/run: {command}"
    assert "pytest" in commands[1] and "train_mlp.py" in commands[0]


def test_the_readme_first_network_snippet_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## A first network\n\n```python\n(.+?)```", text, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert "gradient check of FullyConnected(4->3): OK" in capsys.readouterr().out
    assert (tmp_path / "net.npz").exists()
