"""Every test in tests/layers runs once per backend (``numpy`` and ``c``).

Float32 work goes through the selected backend; float64 (the gradient
checks) always runs on NumPy. Under ``CI=true`` a missing C kernel fails
the run instead of skipping, so a broken build cannot pass on the fallback.
"""
import os

import pytest

from framework import backend


@pytest.fixture(params=["numpy", "c"], autouse=True)
def backend_name(request):
    name = request.param
    if name not in backend.available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but the C kernel is not built: the C backend must be tested")
        pytest.skip("C kernel not built")
    with backend.use(name):
        yield name
