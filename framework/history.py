"""History: the per-epoch record of a training run, and its exact round trip through arrays.

A checkpoint stores the history as float64 arrays (not JSON text), so a
resumed run's history is bit for bit the one an uninterrupted run builds,
``nan`` accuracies included.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

#: History fields that hold one float per epoch.
FLOAT_FIELDS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_seconds",
                "learning_rate")
#: History fields that hold one array per epoch.
ARRAY_FIELDS = ("val_confusion", "val_per_class_accuracy")


@dataclass(eq=False)
class History:
    """Per-epoch metrics returned by :meth:`~framework.trainer.SGDTrainer.optimize`.

    Accuracies are fractions in [0, 1], ``nan`` when the targets are not
    class labels; validation lists stay empty without validation data.
    ``learning_rate`` is the rate each epoch's steps used (after the schedule).

    ``val_confusion`` holds each epoch's ``[C, C]`` int64 confusion matrix
    on the validation data (``matrix[true, predicted]``, every output row
    of a sequence counted, as for the accuracy) and ``val_per_class_accuracy``
    each epoch's ``[C]`` accuracy per true class (``nan`` for a class absent
    from the validation data); both stay empty without validation data or
    without class targets. They come from the same evaluation pass as
    ``val_loss`` and ``val_accuracy``.

    ``best_epoch`` is the epoch (from 1) early stopping judged best and
    ``stopped_epoch`` the epoch after which it stopped the run; both None
    without early stopping, ``stopped_epoch`` also when all epochs ran.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    val_confusion: list[np.ndarray] = field(default_factory=list)
    val_per_class_accuracy: list[np.ndarray] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The history as arrays (one per field; epochs along the first axis).

        Returns:
            field name -> array; ``best_epoch``/``stopped_epoch`` as int64
            scalars, -1 for None.
        """
        arrays = {name: np.asarray(getattr(self, name), dtype=np.float64) for name in FLOAT_FIELDS}
        arrays["val_confusion"] = np.asarray(self.val_confusion, dtype=np.int64).reshape(
            (len(self.val_confusion),) + (self.val_confusion[0].shape if self.val_confusion else (0, 0)))
        arrays["val_per_class_accuracy"] = np.asarray(self.val_per_class_accuracy, np.float64).reshape(
            (len(self.val_per_class_accuracy), -1) if self.val_per_class_accuracy else (0, 0))
        for name in ("best_epoch", "stopped_epoch"):
            value = getattr(self, name)
            arrays[name] = np.asarray(-1 if value is None else value, dtype=np.int64)
        return arrays

    def __eq__(self, other: object) -> bool:
        """Same values in every field (``nan`` equal to ``nan``; arrays compared element by element)."""
        if not isinstance(other, History):
            return NotImplemented
        mine, theirs = self.to_arrays(), other.to_arrays()
        return all(mine[k].shape == theirs[k].shape and np.array_equal(mine[k], theirs[k],
                                                                       equal_nan=True) for k in mine)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> History:
        """Rebuild a history from :meth:`to_arrays`' output.

        Args:
            arrays: field name -> array.

        Returns:
            A new History equal, value for value, to the one saved.

        Raises:
            ValueError: a field is missing.
        """
        missing = sorted(f.name for f in fields(cls) if f.name not in arrays)
        if missing:
            raise ValueError(f"History.from_arrays: missing fields {missing}")
        history = cls(**{name: [float(v) for v in arrays[name]] for name in FLOAT_FIELDS})
        for name in ARRAY_FIELDS:
            setattr(history, name, [a.copy() for a in arrays[name]])
        for name in ("best_epoch", "stopped_epoch"):
            value = int(arrays[name])
            setattr(history, name, None if value < 0 else value)
        return history
