"""A tiny, dependency-free progress bar for training loops.

On a terminal the bar redraws in place (carriage return, at most every
``min_interval`` seconds). Anywhere else (CI logs, files, pipes) a redraw
would leave one line per update, so it prints only one final line when the
bar closes: one line per epoch in a log.

Example::

    with ProgressBar(len(batches), desc=f"epoch {epoch}") as bar:
        for batch in batches:
            loss = step(batch)
            bar.update(loss=loss)
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO


def _format_time(seconds: float) -> str:
    """``mm:ss`` below an hour, ``h:mm:ss`` above."""
    seconds = int(seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _format_value(value: Any) -> str:
    """Four significant digits for floats (losses), ``str`` for the rest."""
    if isinstance(value, float):
        return f"{value:.4g}"
    # NumPy scalars (e.g. a loss from np.mean) are not Python floats.
    if hasattr(value, "dtype") and getattr(value, "shape", None) == () and value.dtype.kind == "f":
        return f"{float(value):.4g}"
    return str(value)


def _is_tty(stream: TextIO) -> bool:
    """Whether ``stream`` is an open terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class ProgressBar:
    """Count steps, show progress, rate and ETA, and postfix values like the loss.

    Args:
        total: number of steps expected; ``None`` or 0 if unknown (then no
            bar, percentage or ETA are shown).
        desc: label printed before the bar, e.g. ``"epoch 3"``.
        width: characters of the bar itself.
        stream: where to write; defaults to ``sys.stderr`` (looked up when the
            bar is created, so redirected streams are respected).
        enabled: ``None`` (default) redraws live on a terminal and prints only
            the final line otherwise; ``True`` always redraws live (for
            notebooks, which handle ``\\r`` but are not terminals);
            ``False`` prints nothing.
        min_interval: minimum seconds between live redraws, so a fast loop
            is not slowed down by terminal output.
        clock: time source in seconds; injectable for tests.
    """

    def __init__(self, total: int | None, desc: str = "", width: int = 30,
                 stream: TextIO | None = None, enabled: bool | None = None,
                 min_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if total is not None and total < 0:
            raise ValueError(f"ProgressBar: expected total >= 0 or None, got {total}")
        if width < 1:
            raise ValueError(f"ProgressBar: expected width >= 1, got {width}")
        self.total = total or None
        self.desc = desc
        self.width = width
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled is not False
        self.live = self.enabled and (enabled is True or _is_tty(self.stream))
        self.min_interval = min_interval
        self.count = 0
        self.postfix: dict[str, Any] = {}
        self._clock = clock
        self._start = clock()
        self._last_draw = -float("inf")
        self._last_len = 0
        self._closed = False

    def update(self, n: int = 1, **postfix: Any) -> None:
        """Advance by ``n`` steps and remember the latest postfix values.

        Args:
            n: steps completed since the last call.
            **postfix: values to show after the bar, e.g. ``loss=0.123``;
                each replaces the previous value under its name.
        """
        self.count += n
        self.postfix.update(postfix)
        if not self.live or self._closed:
            return
        now = self._clock()
        done = self.total is not None and self.count >= self.total
        if done or now - self._last_draw >= self.min_interval:
            self._draw(now)

    def format(self, now: float | None = None) -> str:
        """The current status line, without ``\\r`` or newline.

        Args:
            now: clock reading to use; defaults to the clock's current value.

        Returns:
            For example ``"epoch 1:  50%|###---|  5/10 [00:02<00:02, 2.50it/s, loss=0.123]"``.
        """
        elapsed = max((self._clock() if now is None else now) - self._start, 0.0)
        rate = self.count / elapsed if elapsed > 0 else None
        rate_text = f"{rate:.2f}it/s" if rate is not None else "?it/s"
        parts = [f"{self.desc}: " if self.desc else ""]
        if self.total is not None:
            fraction = min(self.count / self.total, 1.0)
            filled = int(fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            digits = len(str(self.total))
            remaining = self.total - self.count
            if remaining <= 0:
                eta = "00:00"
            else:
                eta = _format_time(remaining / rate) if rate else "?"
            parts.append(f"{fraction * 100:3.0f}%|{bar}| {self.count:{digits}d}/{self.total} "
                         f"[{_format_time(elapsed)}<{eta}, {rate_text}")
        else:
            parts.append(f"{self.count} [{_format_time(elapsed)}, {rate_text}")
        for name, value in self.postfix.items():
            parts.append(f", {name}={_format_value(value)}")
        parts.append("]")
        return "".join(parts)

    def _draw(self, now: float) -> None:
        """Redraw the live line in place."""
        line = self.format(now)
        # Pad with spaces to wipe the tail of a longer previous line.
        self.stream.write("\r" + line.ljust(self._last_len))
        self.stream.flush()
        self._last_len = len(line)
        self._last_draw = now

    def close(self) -> None:
        """Print the final line (once); further calls do nothing."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        if self.live:
            self._draw(self._clock())
            self.stream.write("\n")
        else:
            self.stream.write(self.format() + "\n")
        self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Close on errors too: the last line shows how far the loop got.
        self.close()
