"""Per-epoch checkpoints and exact resume: a resumed run is bit for bit the uninterrupted one."""
import numpy as np
import pytest

import framework.io
from framework import (LSTM, BatchNorm, Dropout, EarlyStopping, FullyConnected, InputLayer,
                       Network, ReLU, SGDTrainer, SoftmaxCrossEntropy, Tanh)
from framework.checkpoint import Checkpoint
from framework.history import FLOAT_FIELDS
from framework.io import load_arrays
from framework.optim import Adam, Cosine, Momentum, ReduceOnPlateau

N_EPOCHS, K = 6, 3


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.6).astype(int)
    return x, y


def _mlp():
    return Network(InputLayer(4, num_classes=3),
                   [FullyConnected(4, 8, seed=1), Tanh(), FullyConnected(8, 3, seed=2)],
                   SoftmaxCrossEntropy())


def _dropout_bn():
    return Network(InputLayer(4, num_classes=3),
                   [FullyConnected(4, 8, seed=1), BatchNorm(8), ReLU(), Dropout(0.3, seed=5),
                    FullyConnected(8, 3, seed=2)], SoftmaxCrossEntropy())


# name -> (network builder, trainer keyword arguments: new flavor/schedule objects per call)
CASES = {
    "sgd": (_mlp, lambda: dict(flavor="sgd")),
    "momentum": (_mlp, lambda: dict(flavor=Momentum(0.8))),
    "adam-cosine": (_mlp, lambda: dict(flavor=Adam(), schedule=Cosine(epochs=N_EPOCHS, warmup=2))),
    # drops the rate after epochs 3 and 4 (val loss 0.798, 0.547, 0.526, 0.502, ...)
    "plateau": (_mlp, lambda: dict(learning_rate=1.0, schedule=ReduceOnPlateau(
        factor=0.5, patience=0, min_delta=0.05))),
    "dropout-batchnorm": (_dropout_bn, lambda: dict(flavor="adam")),
    "early-stopping": (_dropout_bn,
                       lambda: dict(early_stopping=EarlyStopping("val_loss", patience=50))),
}


def _trainer(kwargs, epochs, **extra):
    options = dict(learning_rate=0.05, batch_size=16, epochs=epochs, seed=3, shuffle=True,
                   validation_split=0.2)
    options.update(kwargs() if callable(kwargs) else kwargs)
    options.update(extra)
    return SGDTrainer(**options)


def _assert_same_run(h1, h2, net1, net2):
    for name in FLOAT_FIELDS:
        if name != "epoch_seconds":
            assert np.array_equal(getattr(h1, name), getattr(h2, name), equal_nan=True), name
    assert len(h1.val_confusion) == len(h2.val_confusion) == len(h1.val_loss)
    for a, b in zip(h1.val_confusion, h2.val_confusion):
        assert np.array_equal(a, b)
    assert (h1.best_epoch, h1.stopped_epoch) == (h2.best_epoch, h2.stopped_epoch)
    for p, q in zip(net1.params, net2.params):
        assert np.array_equal(p.elements, q.elements)
    for l1, l2 in zip(net1.layers, net2.layers):
        for (k, a), (k2, b) in zip(l1.state_arrays().items(), l2.state_arrays().items()):
            assert k == k2 and np.array_equal(a, b)


@pytest.mark.parametrize("case", sorted(CASES))
def test_resumed_run_is_bit_for_bit_the_uninterrupted_one(case, tmp_path):
    build, kwargs = CASES[case]
    x, y = _data()
    net_full = build()
    full = _trainer(kwargs, N_EPOCHS).optimize(net_full, x, y)
    assert len(full.train_loss) == N_EPOCHS and len(set(full.train_loss)) == N_EPOCHS
    if case == "plateau":
        assert full.learning_rate == [1.0, 1.0, 1.0, 0.5, 0.25, 0.25]

    path = tmp_path / "run.ckpt.npz"
    first = _trainer(kwargs, K, checkpoint=path).optimize(build(), x, y)
    assert first.train_loss == full.train_loss[:K]
    net_resumed = build()  # a new network, a new trainer: only the file carries the run
    resumed = _trainer(kwargs, N_EPOCHS, checkpoint=path).optimize(net_resumed, x, y, resume=path)
    _assert_same_run(full, resumed, net_full, net_resumed)
    assert Checkpoint(path, _trainer(kwargs, N_EPOCHS), build()).epoch == N_EPOCHS


def test_resume_after_an_interruption_in_the_middle_of_the_run(tmp_path):
    """The run dies in epoch 3's callback: the file holds epoch 2, and the resume redoes epoch 3."""
    x, y = _data()
    def kwargs():
        return dict(flavor="momentum", schedule=ReduceOnPlateau(factor=0.5, patience=0))
    net_full = _dropout_bn()
    full = _trainer(kwargs, N_EPOCHS, learning_rate=0.4).optimize(net_full, x, y)
    assert 0.4 > min(full.learning_rate)  # the plateau schedule did act

    path = tmp_path / "run.ckpt.npz"

    def die(epoch, history):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _trainer(kwargs, N_EPOCHS, learning_rate=0.4, checkpoint=path).optimize(
            _dropout_bn(), x, y, callback=die)
    assert load_arrays(path)[1]["epoch"] == 2
    net = _dropout_bn()
    resumed = _trainer(kwargs, N_EPOCHS, learning_rate=0.4).optimize(net, x, y, resume=path)
    _assert_same_run(full, resumed, net_full, net)


def test_validation_data_and_no_shuffling_resume_exactly(tmp_path):
    x, y = _data()
    xv, yv = _data(30, seed=9)
    net_full = _mlp()
    opts = dict(shuffle=False, validation_split=0.0, flavor="adam")
    full = _trainer(opts, 4).optimize(net_full, x, y, validation_data=(xv, yv))
    path = tmp_path / "c.npz"
    _trainer(opts, 1, checkpoint=path).optimize(_mlp(), x, y, validation_data=(xv, yv))
    net = _mlp()
    resumed = _trainer(opts, 4).optimize(net, x, y, validation_data=(xv, yv), resume=path)
    _assert_same_run(full, resumed, net_full, net)


def test_the_checkpoint_holds_flavor_schedule_generators_split_and_layer_state(tmp_path):
    x, y = _data()
    path = tmp_path / "c.npz"
    net = _dropout_bn()
    trainer = _trainer(dict(flavor="adam", schedule=ReduceOnPlateau(patience=0)), 2,
                       checkpoint=path)
    trainer.optimize(net, x, y)
    arrays, meta = load_arrays(path)
    assert meta["epoch"] == 2
    assert meta["flavor_steps"][0] == {"t": 2 * 5}  # 72 training samples, batches of 16: 5 steps
    assert np.array_equal(arrays["flavor.0.m"], trainer.flavor.state_of(net.params[0])["m"])
    assert np.array_equal(arrays["net.layer1.state.running_mean"], net.layers[1].running_mean)
    assert meta["layer_rngs"]["3.rng"] == net.layers[3].rng.bit_generator.state
    assert arrays["split"].shape == (90,) and sorted(arrays["split"]) == list(range(90))
    assert arrays["scalar.schedule.scale"] == trainer.schedule.scale
    assert arrays["history.train_loss"].tolist() == Checkpoint(path, trainer, net).history.train_loss


def test_lstm_initial_state_is_part_of_the_state(tmp_path):
    lstm = LSTM(3, 4, return_sequences=False, seed=0)
    lstm.set_initial_state(np.full((2, 4), 0.5), np.full((2, 4), -0.25))
    assert sorted(lstm.state_arrays()) == ["c0", "h0"]
    other = LSTM(3, 4, return_sequences=False, seed=0)
    other.load_state_arrays(lstm.state_arrays())
    assert np.array_equal(other.state_arrays()["c0"], np.full((2, 4), -0.25))
    other.load_state_arrays({})
    assert other.state_arrays() == {}
    with pytest.raises(ValueError, match="h0 and c0"):
        other.load_state_arrays({"h0": np.zeros((2, 4))})


def test_resuming_a_run_early_stopping_ended_trains_no_further(tmp_path):
    x, y = _data()
    path = tmp_path / "c.npz"
    def stopper():
        return dict(early_stopping=EarlyStopping("train_loss", patience=1, min_delta=10.0))
    net = _mlp()
    h = _trainer(stopper, 5, checkpoint=path).optimize(net, x, y)
    assert h.stopped_epoch == 2 and h.best_epoch == 1  # min_delta 10: epoch 1 stays best
    again = _mlp()
    with pytest.warns(RuntimeWarning, match="nothing to train .*early stopping ended that run at "
                                            "epoch 2"):
        h2 = _trainer(stopper, 5).optimize(again, x, y, resume=path)
    _assert_same_run(h, h2, net, again)


def test_resuming_with_no_epochs_left_says_so(tmp_path):
    x, y = _data()
    path = tmp_path / "c.npz"
    h = _trainer({}, 2, checkpoint=path).optimize(_mlp(), x, y)
    with pytest.warns(RuntimeWarning, match=r"it ran 2 epochs, this trainer's epochs=2; pass "
                                            r"epochs > 2 to train on"):
        h2 = _trainer({}, 2).optimize(_mlp(), x, y, resume=path)
    assert h2 == h


# -- refusing what does not fit ---------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    x, y = _data()
    path = tmp_path / "run.ckpt.npz"
    _trainer({}, 1, checkpoint=path).optimize(_mlp(), x, y)
    return path, x, y


def test_another_architecture_is_refused_naming_both(saved):
    path, x, y = saved
    other = Network(InputLayer(4, num_classes=3),
                    [FullyConnected(4, 9, seed=1), Tanh(), FullyConnected(9, 3, seed=2)],
                    SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match=r"another network architecture:\n  saved: .*FullyConnected"
                                         r"\(4->8\).*\n  this:  .*FullyConnected\(4->9\)"):
        _trainer({}, 3).optimize(other, x, y, resume=path)


def test_other_trainer_settings_are_refused_naming_each_difference(saved):
    path, x, y = saved
    with pytest.raises(ValueError, match=r"batch_size: checkpoint 16, this trainer 8\n"
                                         r"  flavor: checkpoint 'SGD\(\)', this trainer 'Adam"):
        _trainer({}, 3, batch_size=8, flavor="adam").optimize(_mlp(), x, y, resume=path)


def test_other_data_are_refused_naming_what_differs(saved):
    path, x, y = saved
    x2 = x.copy()
    x2[0, 0] += 1
    with pytest.raises(ValueError, match=r"the data differ from the checkpointed run's:\n"
                                         r"  training data: same shape float32\[90, 4\], other values"):
        _trainer({}, 3).optimize(_mlp(), x2, y, resume=path)
    y2 = y.copy()
    y2[0] = (y2[0] + 1) % 3
    with pytest.raises(ValueError, match=r"\n  training labels \(as targets\): same shape"):
        _trainer({}, 3).optimize(_mlp(), x, y2, resume=path)


def test_fewer_samples_are_refused_by_name_not_an_index_error(saved):
    # The saved validation split indexes 90 samples: it must not be applied to 60.
    path, x, y = saved
    with pytest.raises(ValueError, match=r"training data: float32\[90, 4\] in the checkpoint, "
                                         r"float32\[60, 4\] now"):
        _trainer({}, 3).optimize(_mlp(), x[:60], y[:60], resume=path)


def test_a_network_file_is_not_a_checkpoint(tmp_path, saved):
    from framework import save_network
    _, x, y = saved
    save_network(tmp_path / "net.npz", _mlp())
    with pytest.raises(ValueError, match="not a training checkpoint"):
        _trainer({}, 3).optimize(_mlp(), x, y, resume=tmp_path / "net.npz")


def test_a_save_that_fails_midway_leaves_the_previous_checkpoint(saved, monkeypatch):
    path, x, y = saved
    before = path.read_bytes()

    def broken_savez(handle, **members):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(framework.io.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        _trainer({}, 2, checkpoint=path).optimize(_mlp(), x, y)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    monkeypatch.undo()
    assert Checkpoint(path, _trainer({}, 2), _mlp()).epoch == 1


def test_the_divergence_guards_reference_survives_a_resume():
    from framework.divergence import DivergenceGuard
    guard = DivergenceGuard([], 0.1)
    guard.check(5.0, 1, 1)  # the first loss sets the reference
    assert guard.state_dict() == {"reference": 5.0, "first": False}
    resumed = DivergenceGuard([], 0.1)
    resumed.load_state_dict(guard.state_dict())
    with pytest.raises(FloatingPointError, match="more than 10000 times its starting level 5"):
        resumed.check(5.1e4, 2, 1)  # a fresh guard would take 5.1e4 as its reference


def test_a_checkpoint_with_damaged_metadata_is_named(saved, tmp_path):
    from framework.io import save_arrays
    path, x, y = saved
    arrays, meta = load_arrays(path)
    del meta["rng"]
    save_arrays(tmp_path / "bad.npz", arrays, meta)
    with pytest.raises(ValueError, match=r"damaged checkpoint, its metadata lacks \['rng'\]"):
        _trainer({}, 3).optimize(_mlp(), x, y, resume=tmp_path / "bad.npz")
