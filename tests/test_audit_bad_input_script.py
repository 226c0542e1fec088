"""scripts/audit_bad_input.py: every bad-input case of issue 10 gets a clear message on both backends.

Clear means refused with TypeError/ValueError naming what was given, what was
expected and what to do (boolean labels may instead be computed as 0/1).
"""
import importlib.util
from pathlib import Path

import pytest

from framework import backend

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("audit_bad_input", ROOT / "scripts" / "audit_bad_input.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AUDIT = _load_script()


@pytest.mark.parametrize("name", ["numpy", "c"])
@pytest.mark.parametrize("case", AUDIT.CASES, ids=[c.name for c in AUDIT.CASES])
def test_case_gets_a_clear_message(name, case):
    if name not in backend.available():
        pytest.skip("the C kernel is not built")
    with backend.use(name):
        verdict, grade, message = AUDIT.run_case(case)
    assert verdict == "CLEAR", f"{case.name} on {name}: [{grade}] {message}"


def test_script_prints_the_count_and_exits_0_when_all_are_clear(capsys):
    assert AUDIT.main([]) == 0
    out = capsys.readouterr().out
    assert "backend numpy: 0 unclear of" in out
