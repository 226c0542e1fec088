"""save_network / load_network: round trip, mismatch errors, atomicity."""
import numpy as np
import pytest

from framework import FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy
from framework.serialize import load_network, save_network


def make(hidden=4, seed=0):
    return Network(InputLayer(3, num_classes=2),
                   [FullyConnected(3, hidden, seed=seed), ReLU(), FullyConnected(hidden, 2, seed=seed + 1)],
                   SoftmaxCrossEntropy())


def test_round_trip(tmp_path):
    a, b = make(seed=0), make(seed=7)
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert not np.allclose(a.forward(x), b.forward(x))
    save_network(tmp_path / "m.npz", a, extra={"epoch": 3})
    assert load_network(tmp_path / "m.npz", b) == {"epoch": 3}
    assert np.array_equal(a.forward(x), b.forward(x))


def test_architecture_mismatch_names_the_parameter(tmp_path):
    save_network(tmp_path / "m.npz", make(hidden=4))
    with pytest.raises(ValueError, match=r"saved for another architecture"):
        load_network(tmp_path / "m.npz", make(hidden=5))
    with pytest.raises(ValueError, match=r"layer0.weights has shape \(3, 4\) in the file, expected \(3, 5\)"):
        load_network(tmp_path / "m.npz", make(hidden=5), strict=False)


def test_same_shapes_but_other_activation_is_refused_unless_not_strict(tmp_path):
    from framework import Sigmoid
    other = Network(InputLayer(3, num_classes=2),
                    [FullyConnected(3, 4, seed=0), Sigmoid(), FullyConnected(4, 2, seed=1)],
                    SoftmaxCrossEntropy())
    save_network(tmp_path / "m.npz", make())
    with pytest.raises(ValueError, match=r"saved: .*ReLU.*\n  this:  .*Sigmoid"):
        load_network(tmp_path / "m.npz", other)
    load_network(tmp_path / "m.npz", other, strict=False)
    assert np.array_equal(other.layers[0].weights.elements, make().layers[0].weights.elements)


def test_a_file_that_is_not_an_archive(tmp_path):
    (tmp_path / "curves.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(ValueError, match="does not start like one") as info:
        load_network(tmp_path / "curves.png", make())
    assert "allow_pickle" not in str(info.value)


def test_not_a_network_file(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a network file"):
        load_network(tmp_path / "other.npz", make())


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save_network(path, make(seed=0))
    old = path.read_bytes()
    import framework.io as fio
    monkeypatch.setattr(fio.np, "savez_compressed", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    monkeypatch.setattr(fio.np, "savez", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        save_network(path, make(seed=9))
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


# -- a load changes nothing unless all of it is valid ---------------------------------

def _tampered(tmp_path, key, index, value, dtype=np.float64):
    """A network file whose parameter ``key`` holds ``value`` at ``index``."""
    from framework.io import load_arrays, save_arrays
    save_network(tmp_path / "m.npz", make(seed=0))
    arrays, meta = load_arrays(tmp_path / "m.npz")
    bad = arrays[key].astype(dtype)
    bad[index] = value
    arrays[key] = bad
    save_arrays(tmp_path / "bad.npz", arrays, meta)
    return tmp_path / "bad.npz"


def _snapshot(net):
    return [p.elements.copy() for p in net.params]


@pytest.mark.parametrize("value, dtype, shown", [
    (np.nan, np.float64, "nan"), (np.inf, np.float32, "inf"), (-np.inf, np.float32, "-inf"),
    (1e300, np.float64, r"1e\+300"),  # finite in the file, inf in the float32 network
])
def test_non_finite_parameters_are_refused_and_nothing_is_loaded(tmp_path, value, dtype, shown):
    # The bad value sits in the LAST parameter: before the fix every earlier one was overwritten.
    path = _tampered(tmp_path, "layer2.bias", (1,), value, dtype)
    net = make(seed=5)
    before = _snapshot(net)
    with pytest.raises(ValueError, match=rf"bad.npz: layer2.bias holds {shown} at index \(1,\) in the "
                                         rf"file, expected finite values that fit float32 .*nothing "
                                         rf"was loaded"):
        load_network(path, net)
    for old, p in zip(before, net.params):
        np.testing.assert_array_equal(p.elements, old)


def test_complex_parameters_are_refused_and_nothing_is_loaded(tmp_path):
    # Before: the imaginary part was dropped with only NumPy's warning.
    path = _tampered(tmp_path, "layer2.weights", (0, 1), 1 + 2j, np.complex64)
    net = make(seed=5)
    before = _snapshot(net)
    with pytest.raises(ValueError, match=r"layer2.weights has dtype complex64 in the file, expected "
                                         r"real numbers .*nothing was loaded"):
        load_network(path, net)
    for old, p in zip(before, net.params):
        np.testing.assert_array_equal(p.elements, old)


def test_a_valid_float64_file_still_loads_into_a_float32_network(tmp_path):
    path = _tampered(tmp_path, "layer2.bias", (1,), 0.25)
    net = make(seed=5)
    load_network(path, net)
    assert net.layers[2].bias[1] == 0.25
    np.testing.assert_array_equal(net.layers[0].weights.elements, make(seed=0).layers[0].weights.elements)


def test_none_or_another_object_for_the_network_is_named(tmp_path):
    # Before: AttributeError "'NoneType' object has no attribute 'layers'".
    with pytest.raises(TypeError, match=r"save_network: expected a Network .*got NoneType"):
        save_network(tmp_path / "m.npz", None)
    save_network(tmp_path / "m.npz", make())
    with pytest.raises(TypeError, match=r"load_network: expected a Network .*got list"):
        load_network(tmp_path / "m.npz", [make()])
    with pytest.raises(TypeError, match=r"save_network: expected extra to be a dict .*got int"):
        save_network(tmp_path / "m.npz", make(), extra=3)


# -- layer state beside the parameters (BatchNorm's running averages) --------------------------
def make_bn(seed=0):
    from framework import BatchNorm
    return Network(InputLayer(3, num_classes=2),
                   [FullyConnected(3, 4, seed=seed), BatchNorm(4), ReLU(),
                    FullyConnected(4, 2, seed=seed + 1)], SoftmaxCrossEntropy())


def _trained_bn():
    net = make_bn()
    x = np.random.default_rng(0).standard_normal((6, 3)) * 3 + 1
    net.train().forward(x)  # a training forward moves the running averages
    return net.eval(), x


def test_batchnorm_running_averages_are_saved_and_loaded(tmp_path):
    a, x = _trained_bn()
    b = make_bn(seed=7).eval()
    assert not np.array_equal(a.layers[1].running_var, np.ones(4))
    save_network(tmp_path / "m.npz", a)
    load_network(tmp_path / "m.npz", b)
    assert np.array_equal(b.layers[1].running_mean, a.layers[1].running_mean)
    assert np.array_equal(b.layers[1].running_var, a.layers[1].running_var)
    assert np.array_equal(a.forward(x), b.forward(x))  # evaluation mode uses the averages


def test_a_version_1_file_without_state_still_loads(tmp_path):
    from framework.io import save_arrays
    a = make_bn()
    arrays = {f"layer{i}.{n}": p.to_numpy() for i, layer in enumerate(a.layers)
              for n, p in zip(layer.param_names(), layer.params)}
    save_arrays(tmp_path / "old.npz", arrays, {"format": "framework-network-v1",
                                               "architecture": repr(a), "extra": {"epoch": 1}})
    b, _ = _trained_bn()
    kept = b.layers[1].running_mean.copy()
    assert load_network(tmp_path / "old.npz", b) == {"epoch": 1}
    assert np.array_equal(b.params[0].to_numpy(), a.params[0].to_numpy())
    assert np.array_equal(b.layers[1].running_mean, kept)  # v1 had none: left as it was


def test_bad_state_is_refused_and_nothing_is_loaded(tmp_path):
    from framework.io import load_arrays, save_arrays
    a, _ = _trained_bn()
    save_network(tmp_path / "m.npz", a)
    arrays, meta = load_arrays(tmp_path / "m.npz")
    arrays["layer1.state.running_var"] = -arrays["layer1.state.running_var"]
    save_arrays(tmp_path / "bad.npz", arrays, meta)
    b = make_bn(seed=7)
    before = (b.params[0].to_numpy(), b.layers[1].running_mean.copy())
    with pytest.raises(ValueError, match=r"state does not fit the network: BatchNorm\(4\): "
                                         r"running_var must be >= 0"):
        load_network(tmp_path / "bad.npz", b)
    assert np.array_equal(b.params[0].to_numpy(), before[0])
    assert np.array_equal(b.layers[1].running_mean, before[1])
    # BatchNorm's state fits, ReLU after it has none: BatchNorm is rolled back
    arrays["layer1.state.running_var"] = -arrays["layer1.state.running_var"]
    arrays["layer2.state.x"] = np.zeros(1)
    save_arrays(tmp_path / "bad.npz", arrays, meta)
    with pytest.raises(ValueError, match=r"ReLU\(\): has no state arrays, got \['x'\]"):
        load_network(tmp_path / "bad.npz", b)
    assert np.array_equal(b.layers[1].running_mean, before[1])
