"""Tests for the backend seam: selecting numpy / c, the context manager and FRAMEWORK_BACKEND."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from framework import backend
from framework.backend import numpy_backend

REPO = Path(__file__).resolve().parents[1]
HAS_C = "c" in backend.available()


@pytest.fixture(autouse=True)
def restore_backend():
    previous = backend.get_backend()
    yield
    backend.set_backend(previous)


def test_available_lists_numpy_first():
    names = backend.available()
    assert names[0] == "numpy"
    assert set(names) <= {"numpy", "c"}


def test_set_and_get_numpy():
    backend.set_backend("numpy")
    assert backend.get_backend() == "numpy"
    assert backend.get(np.float32).name == "numpy"
    assert set(backend.get(np.float32).sources.values()) == {"numpy"}


def test_unknown_backend_rejected_and_unchanged():
    before = backend.get_backend()
    with pytest.raises(ValueError) as e:
        backend.set_backend("cuda")
    assert "'cuda'" in str(e.value) and "numpy" in str(e.value)
    assert backend.get_backend() == before


def test_use_restores_previous_backend():
    backend.set_backend("numpy")
    other = "c" if HAS_C else "numpy"
    with backend.use(other) as ctx:
        assert backend.get_backend() == other
        assert ctx.previous == "numpy"
    assert backend.get_backend() == "numpy"


def test_use_restores_on_exception():
    backend.set_backend("numpy")
    with pytest.raises(KeyError):
        with backend.use("c" if HAS_C else "numpy"):
            raise KeyError("boom")
    assert backend.get_backend() == "numpy"


def test_use_unknown_name_raises_and_keeps_backend():
    backend.set_backend("numpy")
    with pytest.raises(ValueError):
        with backend.use("bogus"):
            pass  # pragma: no cover
    assert backend.get_backend() == "numpy"


@pytest.mark.parametrize("name", ["numpy", "c"])
def test_float64_always_numpy(name):
    if name == "c" and not HAS_C:
        pytest.skip("C kernel not built")
    backend.set_backend(name)
    assert set(backend.get(np.float64).sources.values()) == {"numpy"}
    assert backend.get(np.dtype("float64")).name == "numpy"


@pytest.mark.skipif(not HAS_C, reason="C kernel not built")
def test_c_backend_selected_for_float32():
    backend.set_backend("c")
    assert backend.get_backend() == "c"
    ops = backend.get(np.float32)
    assert ops.name == "c"
    assert backend.get() is ops  # float32 is the default dtype
    # the kernel computes the same product as NumPy: [[1, 2], [3, 4]] @ [[5, 6], [7, 8]]
    # = [[1*5 + 2*7, 1*6 + 2*8], [3*5 + 4*7, 3*6 + 4*8]] = [[19, 22], [43, 50]]
    a = np.asfortranarray([[1, 2], [3, 4]], dtype=np.float32)
    b = np.asfortranarray([[5, 6], [7, 8]], dtype=np.float32)
    out = np.zeros((2, 2), dtype=np.float32, order="F")
    ops.matmul(a, b, out)
    np.testing.assert_array_equal(out, [[19, 22], [43, 50]])


@pytest.mark.skipif(HAS_C, reason="C kernel is built")
def test_c_backend_unavailable_raises_runtime_error():
    before = backend.get_backend()
    with pytest.raises(RuntimeError, match="not built"):
        backend.set_backend("c")
    assert backend.get_backend() == before


def test_c_backend_missing_simulated(monkeypatch):
    # the "not built" branch, exercised even on a machine where the kernel is built
    backend.set_backend("numpy")
    monkeypatch.setattr(backend, "_c_module", lambda: None)
    assert backend.available() == ["numpy"]
    with pytest.raises(RuntimeError, match="C backend is not built"):
        backend.set_backend("c")
    assert backend.get_backend() == "numpy"
    assert backend.get(np.float32).name == "numpy"


# -- FRAMEWORK_BACKEND at import ------------------------------------------------------------

def _run_python(code: str, value: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("FRAMEWORK_BACKEND", None)
    if value is not None:
        env["FRAMEWORK_BACKEND"] = value
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_env_bogus_fails_naming_the_variable():
    r = _run_python("import framework", "bogus")
    assert r.returncode != 0
    assert "FRAMEWORK_BACKEND" in r.stderr
    assert "bogus" in r.stderr
    assert "ValueError" in r.stderr


def test_env_numpy_selects_numpy():
    r = _run_python("import framework; print(framework.backend.get_backend())", "numpy")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numpy"


def test_env_is_case_and_space_insensitive():
    r = _run_python("import framework; print(framework.backend.get_backend())", " NumPy ")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numpy"


def test_env_unset_selects_c_when_built():
    r = _run_python("import framework; print(framework.backend.get_backend())", None)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("c" if HAS_C else "numpy")


def test_env_c():
    r = _run_python("import framework; print(framework.backend.get_backend())", "c")
    assert r.returncode == 0, r.stderr
    if HAS_C:
        assert r.stdout.strip() == "c"
    else:
        assert r.stdout.strip() == "numpy"
        assert "FRAMEWORK_BACKEND=c" in r.stderr  # the RuntimeWarning explains the fallback


def test_missing_kernel_warns_once_at_import_unless_numpy_is_chosen(tmp_path):
    """Without the kernel and without FRAMEWORK_BACKEND, import says how to get it."""
    code = ("import sys, warnings; sys.modules['framework._kernels'] = None\n"
            "warnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    import framework\n"
            "print(framework.backend.get_backend(), len(w), w[0].message if w else '')\n")
    env = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("numpy 1 ") and "pip install -e ." in out
    env["FRAMEWORK_BACKEND"] = "numpy"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("numpy 0")


# -- choice per layer, per operation, per thread ----------------------------------------------

def _mlp(seed=0):
    from framework import FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy
    relu = ReLU()
    net = Network(InputLayer(4, num_classes=3),
                  [FullyConnected(4, 5, seed=seed), relu, FullyConnected(5, 3, seed=seed + 1)],
                  SoftmaxCrossEntropy())
    return net, relu


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 4)).astype(np.float32), rng.integers(0, 3, size=12)


def _spy_on_relu_backward(monkeypatch):
    """Replace numpy_backend.relu_backward (a student's edit) by a wrapper that counts calls."""
    calls = []
    original = numpy_backend.relu_backward

    def edited(x, dy, dx):
        calls.append(x.shape)
        original(x, dy, dx)

    monkeypatch.setattr(numpy_backend, "relu_backward", edited)
    return calls


def _train(net):
    from framework import SGDTrainer
    x, y = _data()
    SGDTrainer(learning_rate=0.1, batch_size=4, epochs=1, seed=0).optimize(net, x, y)


@pytest.mark.skipif(not HAS_C, reason="C kernel not built")
def test_student_edit_unused_on_c_reached_when_layer_chooses_numpy(monkeypatch):
    backend.set_backend("c")
    calls = _spy_on_relu_backward(monkeypatch)
    net, relu = _mlp()
    _train(net)
    assert calls == []                   # float32 training runs the C kernel...
    relu.backend = "numpy"               # ...until this layer asks for the NumPy reference
    _train(net)
    assert calls == [(20,)] * 3          # 12 samples / batch 4; hidden [4, 5], flat
    assert net.layers[0].ops(np.float32).name == "c"     # the other layers stay on C


@pytest.mark.skipif(not HAS_C, reason="C kernel not built")
def test_student_edit_reached_when_the_op_is_chosen(monkeypatch):
    backend.set_backend("c")
    calls = _spy_on_relu_backward(monkeypatch)
    net, _ = _mlp()
    with backend.use("numpy", ops=["relu_backward"]):
        ops = backend.get(np.float32)
        assert ops.sources["relu_backward"] == "numpy" and ops.sources["matmul"] == "c"
        _train(net)
    assert len(calls) == 3
    calls.clear()
    _train(net)                          # outside the block: back on C
    assert calls == []


def test_student_edit_reached_on_the_numpy_backend(monkeypatch):
    calls = _spy_on_relu_backward(monkeypatch)
    net, _ = _mlp()
    with backend.use("numpy"):
        _train(net)
    assert len(calls) == 3


@pytest.mark.skipif(not HAS_C, reason="C kernel not built")
def test_layer_choice_gives_the_same_training_as_the_thread_choice():
    # ReLU on NumPy inside a C network computes what the all-C network does
    backend.set_backend("c")
    a, _ = _mlp()
    b, relu = _mlp()
    relu.backend = "numpy"
    _train(a)
    _train(b)
    for pa, pb in zip(a.params, b.params):
        np.testing.assert_allclose(pa.to_numpy(), pb.to_numpy(), rtol=1e-5, atol=1e-6)


def test_layer_choice_is_validated():
    from framework import ReLU
    layer = ReLU()
    assert layer.backend is None
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        layer.backend = "cuda"
    layer.backend = "numpy"
    assert layer.backend == "numpy" and layer.ops(np.float32).name == "numpy"
    layer.backend = None
    assert layer.ops(np.float32).name == backend.get_backend()


def test_unknown_operation_is_refused():
    with pytest.raises(ValueError, match="unknown operation.*relu_bwd"):
        backend.set_backend("numpy", ops=["relu_bwd"])


def test_float64_runs_numpy_even_when_a_layer_chooses_c():
    from framework import ReLU
    layer = ReLU()
    if HAS_C:
        layer.backend = "c"
    assert layer.ops(np.float64).name == "numpy"


def test_use_in_one_thread_does_not_move_another_threads_layers():
    import threading
    from framework import ReLU
    other = "c" if HAS_C else "numpy"
    backend.set_backend(other)
    layer = ReLU()
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with backend.use("numpy", ops=None):
            seen["worker"] = (backend.get_backend(), layer.ops(np.float32).name)
            inside.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(10)
    try:
        # while the worker is inside use("numpy"), this thread's choice is unchanged
        assert backend.get_backend() == other
        assert layer.ops(np.float32).name == other
    finally:
        release.set()
        t.join(10)
    assert seen["worker"] == ("numpy", "numpy")
    assert backend.get_backend() == other


def test_set_backend_in_one_thread_does_not_move_another():
    import threading
    backend.set_backend("numpy")
    seen = []
    t = threading.Thread(target=lambda: (backend.set_backend("numpy", ops=["matmul"]),
                                         seen.append(backend.get(np.float32).sources["matmul"])))
    t.start()
    t.join(10)
    assert seen == ["numpy"]
    assert backend.get(np.float32).sources["matmul"] == "numpy"   # this thread chose numpy itself
    if HAS_C:
        backend.set_backend("c")
        t = threading.Thread(target=lambda: backend.set_backend("numpy"))
        t.start()
        t.join(10)
        assert backend.get_backend() == "c"


def test_docs_backends_examples_run(capsys):
    import re
    text = (REPO / "docs" / "backends.md").read_text()
    blocks = re.findall(r"```python\n(.+?)```", text, flags=re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/backends.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["numpy", "True", "numpy"]
