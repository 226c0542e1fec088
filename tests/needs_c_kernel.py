"""One rule for test modules that need the C kernel: skip without it, but never under CI.

Call :func:`require_c_kernel` at the top of such a module, before importing
anything that loads the kernel.
"""
from __future__ import annotations

import os

import pytest

from framework.backend import c_backend


def require_c_kernel() -> None:
    """Skip the calling test module when the kernel is not built; fail instead under ``CI=true``.

    Raises:
        pytest.skip.Exception: the kernel is missing on a developer's machine.
        pytest.fail.Exception: the kernel is missing in CI, where it must be tested.
    """
    if c_backend.is_built():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but the C kernel is not built (pip install -e . / python build_ext.py)",
                    pytrace=False)
    pytest.skip("C kernel not built (python build_ext.py)", allow_module_level=True)
