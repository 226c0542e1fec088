"""Training progress from tqdm: a widget in Jupyter, a bar on a terminal, nothing in a log.

``tqdm.auto`` shows the Jupyter widget when ipywidgets is installed (``pip
install -e '.[notebook]'``; without it, a text bar that Jupyter redraws in
place) and the terminal bar elsewhere. In a log file or a pipe (CI) every
redraw would stay as a line of its own, so there is no bar there: the
trainer's one summary line per epoch says it all.

Example::

    bar = progress_bar(len(data), desc="epoch 3/10")
    for batch in batches:
        loss = step(batch)
        if bar is not None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(len(batch))
    if bar is not None:
        bar.close()
"""
from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm.auto import tqdm


def _is_tty(stream: TextIO) -> bool:
    """Whether ``stream`` is an open terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _is_jupyter_stream(stream: TextIO) -> bool:
    """Whether ``stream`` is a Jupyter kernel's output (ipykernel's ``OutStream``).

    Such a stream is no terminal (``isatty()`` is False) but shows a
    progress bar well: as a widget, or as a text bar redrawn in place.

    Args:
        stream: the stream the trainer prints to.

    Returns:
        True for ``sys.stdout``/``sys.stderr`` inside a Jupyter kernel.
    """
    return type(stream).__module__.startswith("ipykernel.")


def progress_bar(total: int, desc: str = "", stream: TextIO | None = None) -> Any | None:
    """A ``tqdm.auto`` bar over ``total`` samples, or None where a bar would spam the output.

    Args:
        total: samples in the epoch (the bar counts samples, so the rate is samples/s).
        desc: label before the bar, e.g. ``"epoch 3/10"``.
        stream: where to draw; default ``sys.stderr`` (looked up at the call,
            so redirected streams are respected). Passed to tqdm as ``file=``.

    Returns:
        A tqdm bar (the Jupyter widget when ``stream`` is a kernel's output
        and ipywidgets is installed, a text bar on a terminal) that
        disappears when closed, so only the trainer's summary line per epoch
        remains; None when ``stream`` is neither a terminal nor a Jupyter
        kernel's output (a file, a pipe, a StringIO).
    """
    stream = sys.stderr if stream is None else stream
    if not (_is_tty(stream) or _is_jupyter_stream(stream)):
        return None
    # disable=False: tqdm's default (None) would switch itself off on Jupyter's non-tty stream.
    return tqdm(total=total, desc=desc, file=stream, unit="sample", leave=False, disable=False,
                dynamic_ncols=True)
