"""The backend contract (framework/backend/contract.py): every backend provides every operation.

Where C has no kernel, NumPy's function is the *declared* fallback
(``c_backend.NUMPY_FALLBACK``), visible in the registry, not found by probing.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from framework import backend
from framework.backend import contract, numpy_backend
from framework.backend.geometry import ConvGeom, PoolGeom, pair

HAS_C = "c" in backend.available()
BACKENDS = ["numpy", "c"]


def _needs(name):
    if name not in backend.available():
        pytest.skip("C kernel not built")


def test_operation_names_are_unique_and_every_output_is_an_argument():
    assert len(set(contract.NAMES)) == len(contract.NAMES)
    for op in contract.OPERATIONS:
        plain = [a.strip("[]") for a in op.args]
        assert op.writes, f"{op.name} writes nothing"
        for out in op.writes:
            assert out in plain, f"{op.name}: output {out!r} is not among its arguments {op.args}"


@pytest.mark.parametrize("name", BACKENDS)
def test_every_backend_provides_every_operation(name):
    _needs(name)
    table = backend.implementations(name)
    assert set(table) == set(contract.NAMES), (
        f"{name}: missing {sorted(set(contract.NAMES) - set(table))}, "
        f"extra {sorted(set(table) - set(contract.NAMES))}")
    for op in contract.OPERATIONS:
        fn = table[op.name]
        assert callable(fn)
        params = [p for p in inspect.signature(fn).parameters.values()]
        names = [p.name for p in params]
        expected = [a.strip("[]") for a in op.args]
        assert names == expected, f"{name}.{op.name}{tuple(names)} differs from the contract {op.args}"
        optional = [a.strip("[]") for a in op.args if a.startswith("[")]
        for p in params:
            assert (p.default is not inspect.Parameter.empty) == (p.name in optional), (
                f"{name}.{op.name}: argument {p.name!r} optional-ness differs from the contract")


def test_c_fallbacks_are_declared_and_point_to_numpy():
    _needs("c")
    table = backend.implementations("c")
    numpy_table = backend.implementations("numpy")
    fallbacks = backend.declared_fallbacks("c")
    assert set(fallbacks) <= set(contract.NAMES)
    for op in contract.NAMES:
        if op in fallbacks:
            assert table[op] is numpy_table[op], f"{op}: declared fallback is not NumPy's function"
        else:
            assert table[op].__module__.startswith("framework.backend.c_"), (
                f"{op}: runs {table[op].__module__}.{table[op].__name__}, not a C wrapper, "
                f"and is not declared in c_backend.NUMPY_FALLBACK")
    with backend.use("c"):
        ops = backend.get(np.float32)
        sources = ops.sources
        assert ops.matmul is table["matmul"]        # C wrappers are bound directly
    assert {op for op, s in sources.items() if "fallback" in s} == set(fallbacks)
    assert backend.declared_fallbacks("numpy") == ()


def test_resolved_ops_cover_the_contract_for_every_choice():
    for f32 in (np.float32, np.float64):
        ops = backend.get(f32)
        for op in contract.NAMES:
            assert callable(getattr(ops, op))
    assert backend.get(np.float64).name == "numpy"


def test_numpy_functions_are_the_ones_in_numpy_backend():
    table = backend.implementations("numpy")
    for op in contract.NAMES:
        assert table[op] is getattr(numpy_backend, op)


# -- shared geometry -----------------------------------------------------------------------

def test_geometry_is_shared_not_a_backend_file():
    from framework.backend import numpy_conv
    from framework.layers import conv2d, max_pool2d
    assert conv2d.ConvGeom is ConvGeom and numpy_conv.ConvGeom is ConvGeom
    assert max_pool2d.PoolGeom is PoolGeom
    assert ConvGeom.__module__ == "framework.backend.geometry"


def test_conv_geom_fields_and_output_size():
    # H = 7, padding 1, dilation 2, kernel 3: Ho = (7 + 2 - 2*2 - 1)//1 + 1 = 5
    g = ConvGeom(2, 7, 6, 3, 3, 3, 1, 2, 1, 0, 2, 1)
    assert (g.dil_h, g.dil_w) == (2, 1)
    assert (g.Ho, g.Wo) == (5, 2)          # Wo = (6 + 0 - 1*2 - 1)//2 + 1 = 2
    assert (g.R, g.K) == (2 * 5 * 2, 3 * 3 * 3)
    assert PoolGeom(1, 5, 5, 1, 2, 2, 2, 2).Ho == 2


@pytest.mark.parametrize("value, expected", [(3, (3, 3)), ((2, 5), (2, 5)), ([1, 4], (1, 4)),
                                             (np.int64(2), (2, 2))])
def test_pair_accepts_ints_and_pairs(value, expected):
    assert pair("Conv2D", "kernel_size", value, 1) == expected


@pytest.mark.parametrize("value", [0, (1, 0), (1, 2, 3), True, 1.5, "3", None])
def test_pair_refuses_naming_owner_and_argument(value):
    with pytest.raises(ValueError, match=r"MaxPool2D: pool_size must be a positive int"):
        pair("MaxPool2D", "pool_size", value, 1)


def test_pair_allows_zero_when_minimum_is_zero():
    assert pair("Conv2D", "padding", 0, 0) == (0, 0)
    with pytest.raises(ValueError, match="non-negative"):
        pair("Conv2D", "padding", -1, 0)


# -- no cycle, no star imports, no private names across modules --------------------------------

def test_backend_modules_have_no_star_imports_and_no_cross_module_private_names():
    import ast
    import pathlib
    root = pathlib.Path(backend.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
                assert "*" not in names, f"{path.name}: star import from {node.module}"
                private = [n for n in names if n.startswith("_") and n != "__future__"]
                assert not private or node.module == "__future__", (
                    f"{path.name}: imports private {private} from {node.module}")
    conv = (root / "c_conv.py").read_text()
    lstm = (root / "c_lstm.py").read_text()
    assert "c_backend" not in conv.split('"""', 2)[2] and "c_backend" not in lstm.split('"""', 2)[2]
