"""framework.plotting: each function returns a Figure holding exactly the data it was given."""
from __future__ import annotations

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # a developer's desktop backend would keep figures open for plt.show()
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from framework import Conv2D, Flatten, FullyConnected, InputLayer, Network, ReLU  # noqa: E402
from framework import SoftmaxCrossEntropy  # noqa: E402
from framework.cli import add_training_options, parse  # noqa: E402
from framework.metrics import confusion_matrix  # noqa: E402
from framework.plotting import plot_confusion_matrix, plot_conv_filters, plot_history  # noqa: E402
from framework.trainer import History  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def history(validation=True):
    h = History(train_loss=[1.0, 0.5, 0.25], train_accuracy=[0.5, 0.75, 0.875])
    if validation:
        h.val_loss, h.val_accuracy = [1.5, 0.75, 0.5], [0.25, 0.5, 0.625]
    return h


def texts(ax):
    return [t.get_text() for t in ax.texts]


# -- plot_history -----------------------------------------------------------------------------

def test_history_figure_holds_the_curves():
    fig = plot_history(history(), title="run 1")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss, acc = fig.axes
    assert [list(line.get_xdata()) for line in loss.lines] == [[1, 2, 3]] * 2
    assert [list(line.get_ydata()) for line in loss.lines] == [[1.0, 0.5, 0.25], [1.5, 0.75, 0.5]]
    assert [list(line.get_ydata()) for line in acc.lines] == [[50, 75, 87.5], [25, 50, 62.5]]
    assert fig._suptitle.get_text() == "run 1"
    assert [len(ax.lines) for ax in plot_history(history(validation=False)).axes] == [1, 1]


def test_figures_are_not_left_open_for_pyplot_without_a_window():
    before = plt.get_fignums()
    plot_history(history())
    plot_confusion_matrix(np.eye(2))
    assert plt.get_fignums() == before  # else Jupyter's inline backend draws each one twice


def test_saving_writes_the_file_atomically(tmp_path, monkeypatch):
    fig = plot_history(history(), tmp_path / "curves.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG
    plot_history(history(), tmp_path / "curves.svg")
    assert b"<svg" in (tmp_path / "curves.svg").read_bytes()[:1000]  # format from the suffix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "curves.svg"]

    def interrupted(self, fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(PNG[:4])
        raise OSError("disk full")
    monkeypatch.setattr(Figure, "savefig", interrupted)
    with pytest.raises(OSError, match="disk full"):
        plot_confusion_matrix(np.eye(2), path=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "curves.svg"]


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"plot_history needs matplotlib.*pip install -e '\.\[plot\]'"):
        plot_history(history())
    # A trainer script with --plot stops before training, not after it.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    import argparse
    p = argparse.ArgumentParser(prog="train")
    add_training_options(p, epochs=1, batch_size=8, lr=0.1)
    with pytest.raises(SystemExit) as info:
        parse(p, ["--plot", "c.png"])
    assert info.value.code == 2 and "needs matplotlib" in capsys.readouterr().err


# -- plot_confusion_matrix ---------------------------------------------------------------------

M = np.array([[5, 1, 0],
              [2, 7, 1],
              [0, 0, 9]])


def test_confusion_image_and_annotations_are_the_counts():
    fig = plot_confusion_matrix(M, class_names=["cat", "dog", "eel"], title="test set")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), M)
    assert texts(ax) == ["5", "1", "0", "2", "7", "1", "0", "0", "9"]  # row by row: true class
    assert [t.get_position() for t in ax.texts[:2]] == [(0, 0), (1, 0)]  # (column = predicted, row)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "eel"]
    assert ax.get_ylabel() == "true class" and ax.get_xlabel() == "predicted class"
    assert ax.get_title() == "test set"


def test_confusion_normalized_rows_sum_to_one_and_an_empty_row_stays_zero():
    m = np.vstack([M, np.zeros((1, 3), dtype=int)])[:, [0, 1, 2]]
    m = np.hstack([m, np.zeros((4, 1), dtype=int)])  # class 3: never seen, never predicted
    ax = plot_confusion_matrix(m, normalize=True).axes[0]
    expected = np.array([[5 / 6, 1 / 6, 0, 0], [0.2, 0.7, 0.1, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    assert texts(ax)[:4] == ["0.83", "0.17", "0.00", "0.00"] and texts(ax)[-1] == "0.00"


def test_confusion_from_metrics_confusion_matrix():
    labels = [0, 0, 1, 2, 2, 2]
    predicted = [0, 1, 1, 2, 0, 2]
    ax = plot_confusion_matrix(confusion_matrix(predicted, labels)).axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


@pytest.mark.parametrize("matrix, names, message", [
    (np.ones((2, 3)), None, r"square \[C, C\] matrix, got shape \(2, 3\)"),
    ([[1, -1], [0, 2]], None, "finite counts >= 0"),
    (np.eye(2), ["a"], "1 class names for a 2x2 matrix"),
])
def test_confusion_rejects_bad_input(matrix, names, message):
    with pytest.raises(ValueError, match=message):
        plot_confusion_matrix(matrix, class_names=names)


# -- plot_conv_filters ---------------------------------------------------------------------------

def kernel(kh, kw, c_in, c_out, seed=0):
    return np.random.default_rng(seed).standard_normal((kh, kw, c_in, c_out)).astype(np.float32)


def cnn(first_weights):
    kh, kw, c_in, c_out = first_weights.shape
    ho, wo = 8 + 2 - kh + 1, 8 + 2 - kw + 1  # padding 1
    layers = [Conv2D(c_in, c_out, (kh, kw), padding=1, weights=first_weights), ReLU(),
              Conv2D(c_out, 2, 3, padding=1, seed=5), Flatten(), FullyConnected(ho * wo * 2, 10)]
    return Network(InputLayer((8, 8, c_in), num_classes=10), layers, SoftmaxCrossEntropy())


def test_gray_filters_are_the_kernel_slices_of_the_first_conv_on_one_scale():
    w = kernel(3, 2, 1, 5)  # kh != kw: rows of the image are kernel rows
    fig = plot_conv_filters(cnn(w))
    assert isinstance(fig, Figure) and len(fig.axes) == 5
    m = np.abs(w).max()
    for o, ax in enumerate(fig.axes):
        image = ax.images[0]
        np.testing.assert_array_equal(image.get_array(), w[:, :, 0, o])
        assert image.get_clim() == pytest.approx((-m, m))
        assert ax.get_title() == str(o)
    assert f"black −{m:.3g}, gray 0, white +{m:.3g}" in fig._suptitle.get_text()  # the scale, read off


def test_rgb_filters_map_zero_to_gray_on_one_scale():
    w = kernel(2, 2, 3, 4)
    fig = plot_conv_filters(Conv2D(3, 4, 2, weights=w))
    assert len(fig.axes) == 4
    m = np.abs(w).max()
    for o, ax in enumerate(fig.axes):
        rgb = ax.images[0].get_array()
        assert rgb.shape == (2, 2, 3)
        np.testing.assert_allclose(rgb, 0.5 + w[:, :, :, o] / (2 * m), rtol=1e-6)
    assert min(ax.images[0].get_array().min() for ax in fig.axes) >= 0
    assert max(ax.images[0].get_array().max() for ax in fig.axes) <= 1


def test_grid_and_mean_modes_for_other_channel_counts():
    w = kernel(3, 3, 2, 3)
    grid = plot_conv_filters(Conv2D(2, 3, 3, weights=w))  # auto: C_in = 2 -> grid
    assert len(grid.axes) == 6
    for k, ax in enumerate(grid.axes):
        o, c = divmod(k, 2)
        np.testing.assert_array_equal(ax.images[0].get_array(), w[:, :, c, o])
    assert grid.axes[2].get_ylabel() == "out 1" and grid.axes[1].get_title() == "in 1"
    mean = plot_conv_filters(Conv2D(2, 3, 3, weights=w), mode="mean", max_filters=2)
    assert len(mean.axes) == 2
    for o, ax in enumerate(mean.axes):
        np.testing.assert_allclose(ax.images[0].get_array(), w[:, :, :, o].mean(axis=2), rtol=1e-6)


def test_conv_filters_errors():
    with pytest.raises(ValueError, match="has no Conv2D layer; its layers: FullyConnected"):
        plot_conv_filters(Network(InputLayer(4), [FullyConnected(4, 2)], SoftmaxCrossEntropy()))
    with pytest.raises(TypeError, match="expected a Conv2D layer or a Network, got ReLU"):
        plot_conv_filters(ReLU())
    with pytest.raises(ValueError, match="'rgb' needs 3 input channels"):
        plot_conv_filters(Conv2D(1, 2, 3), mode="rgb")
    with pytest.raises(ValueError, match="mode must be"):
        plot_conv_filters(Conv2D(1, 2, 3), mode="color")
    with pytest.raises(ValueError, match="max_filters must be an integer >= 1, got 0"):
        plot_conv_filters(Conv2D(1, 2, 3), max_filters=0)
