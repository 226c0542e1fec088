"""Early stopping: when it stops (hand-made metric sequences) and what restore_best puts back."""
import numpy as np
import pytest

from framework import (MSE, BatchNorm, EarlyStopping, FullyConnected, InputLayer, Network, ReLU,
                       SGDTrainer, SoftmaxCrossEntropy)


def _data(n=60):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(int)


def _net():
    return Network(InputLayer(3, num_classes=2),
                   [FullyConnected(3, 5, seed=0), BatchNorm(5), ReLU(), FullyConnected(5, 2, seed=1)],
                   SoftmaxCrossEntropy())


def _run(sequence, stopper, field="val_loss", epochs=10):
    """Train with the monitored metric replaced by ``sequence``; return history and per-epoch state."""
    net, states = _net(), []
    x, y = _data()

    def fake(epoch, history):
        getattr(history, field)[-1] = sequence[epoch - 1]
        states.append(([p.elements.copy() for p in net.params],
                       net.layers[1].running_mean.copy()))

    h = SGDTrainer(learning_rate=0.1, epochs=epochs, batch_size=8, validation_split=0.25,
                   early_stopping=stopper).optimize(net, x, y, callback=fake)
    return h, net, states


def _assert_state_is(net, state):
    params, running_mean = state
    for p, saved in zip(net.params, params):
        assert np.array_equal(p.elements, saved)
    assert np.array_equal(net.layers[1].running_mean, running_mean)


def test_stops_after_patience_epochs_without_improvement_and_restores_the_best():
    h, net, states = _run([1.0, 0.8, 0.9, 0.85, 0.95, 0.1, 0.1], EarlyStopping(patience=3))
    assert (h.best_epoch, h.stopped_epoch) == (2, 5)   # epochs 3, 4, 5 do not beat 0.8
    assert len(h.train_loss) == len(h.val_loss) == 5
    _assert_state_is(net, states[1])                   # epoch 2's parameters and BatchNorm averages
    assert not np.array_equal(net.params[0].elements, states[-1][0][0])


def test_without_restore_best_the_last_epoch_stays():
    h, net, states = _run([1.0, 0.8, 0.9, 0.85, 0.95], EarlyStopping(patience=3, restore_best=False))
    assert (h.best_epoch, h.stopped_epoch) == (2, 5)
    _assert_state_is(net, states[-1])


def test_min_delta_an_improvement_must_exceed_it():
    h, _, _ = _run([1.0, 0.95, 0.93, 0.92, 0.5], EarlyStopping(patience=3, min_delta=0.1))
    assert (h.best_epoch, h.stopped_epoch) == (1, 4)   # 0.95, 0.93, 0.92 are not below 0.9
    h, _, _ = _run([1.0, 0.9, 0.87, 0.8, 0.78, 0.77], EarlyStopping(patience=2, min_delta=0.05))
    assert (h.best_epoch, h.stopped_epoch) == (4, 6)   # 0.87 and 0.78, 0.77 improve too little


def test_accuracy_is_maximised():
    h, _, states = _run([0.5, 0.7, 0.7, 0.6, 0.9], EarlyStopping("val_accuracy", patience=2),
                        field="val_accuracy")
    assert (h.best_epoch, h.stopped_epoch) == (2, 4)


def test_a_run_that_never_stops_ends_with_the_best_epoch():
    h, net, states = _run([0.5, 0.4, 0.6, 0.7], EarlyStopping(patience=5), epochs=4)
    assert (h.best_epoch, h.stopped_epoch) == (2, None)
    _assert_state_is(net, states[1])


def test_train_loss_needs_no_validation_data():
    x, y = _data()
    h = SGDTrainer(epochs=3, early_stopping=EarlyStopping("train_loss", patience=1,
                                                          min_delta=100.0)).optimize(_net(), x, y)
    assert (h.best_epoch, h.stopped_epoch) == (1, 2)


def test_a_validation_monitor_without_validation_data_is_refused_before_any_step():
    x, y = _data()
    net = _net()
    before = net.params[0].to_numpy()
    with pytest.raises(ValueError, match=r"EarlyStopping\(monitor='val_loss'\) needs validation "
                                         r"data: pass validation_data"):
        SGDTrainer(epochs=3, early_stopping=EarlyStopping()).optimize(net, x, y)
    assert np.array_equal(net.params[0].to_numpy(), before)


def test_accuracy_of_regression_targets_is_refused():
    net = Network(InputLayer(2), [FullyConnected(2, 1, seed=0)], MSE())
    x = np.ones((8, 2), np.float32)
    with pytest.raises(ValueError, match="val_accuracy of epoch 1 is nan"):
        SGDTrainer(epochs=2, validation_split=0.5,
                   early_stopping=EarlyStopping("val_accuracy")).optimize(net, x, 0.5 * x[:, :1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(monitor="loss"), "monitor must be one of val_loss, val_accuracy"),
    (dict(patience=0), "patience must be an integer >= 1, got 0"),
    (dict(min_delta=-1), "min_delta must be a finite number >= 0"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)


def test_the_trainer_refuses_something_else():
    with pytest.raises(TypeError, match="early_stopping must be an EarlyStopping"):
        SGDTrainer(early_stopping="val_loss")


def test_the_same_object_serves_a_second_run_from_scratch():
    stopper = EarlyStopping(patience=3)
    first, _, _ = _run([1.0, 0.8, 0.9, 0.85, 0.95], stopper)
    second, _, _ = _run([3.0, 2.0, 2.5, 2.5, 2.5], stopper)  # the old best 0.8 is forgotten
    assert (second.best_epoch, second.stopped_epoch) == (2, 5)
