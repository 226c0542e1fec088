"""Training curves as a PNG, when matplotlib is installed (``pip install -e .[plot]``)."""
from __future__ import annotations

from pathlib import Path

from .trainer import History


def plot_history(history: History, path: Path, title: str = "") -> str:
    """Save loss and accuracy per epoch (training and validation) to ``path``.

    Args:
        history: what :meth:`SGDTrainer.optimize` returned.
        path: the PNG file to write.
        title: figure title.

    Returns:
        A one-line message saying where the plot went, or why there is none.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")  # no screen needed
        import matplotlib.pyplot as plt
    except ImportError:
        return "no plot: matplotlib is not installed (pip install -e '.[plot]')"
    epochs = range(1, len(history.train_loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history.train_loss, label="train")
    ax_acc.plot(epochs, [100 * a for a in history.train_accuracy], label="train")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, label="validation")
        ax_acc.plot(epochs, [100 * a for a in history.val_accuracy], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    from matplotlib.ticker import MaxNLocator
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)  # then rename: an interrupted save leaves no half-written PNG
    plt.close(fig)
    tmp.replace(path)
    return f"saved plot to {path}"
