"""Training checkpoints: everything a run needs to continue exactly where it stopped.

``SGDTrainer(..., checkpoint="run.ckpt.npz")`` writes one after every epoch
and ``trainer.optimize(..., resume="run.ckpt.npz")`` continues from it: the
rest of the loss curve and the final parameters are then bit for bit those
of an uninterrupted run. A checkpoint is an atomic, pickle-free ``.npz``
(:func:`~framework.io.save_arrays`) holding

* the network: parameters and layer state (``net.layer{i}...``, as
  :func:`~framework.serialize.network_state` names them) and the state of
  every random generator a layer keeps (Dropout's masks);
* the flavor's state per parameter (``flavor.{i}.{slot}`` and step counts),
  the schedule's state, the divergence guard's reference, the trainer's
  shuffling generator, its current learning rate, the validation split;
* the history so far (``history.*``) and early stopping's counters and best
  state (``best.*``);
* the epoch, the architecture, the trainer's settings and a checksum of the
  data, which a resume compares with its own and names any difference.

Numbers that need to come back exactly (losses, ``inf``) are stored as
arrays, not JSON text.
"""
from __future__ import annotations

import numbers
import os
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .batches import LabeledData
from .divergence import DivergenceGuard
from .history import History
from .io import load_arrays, save_arrays
from .network import Network
from .serialize import load_network_state, network_state

if TYPE_CHECKING:
    from .trainer import SGDTrainer

FORMAT = "framework-checkpoint-v1"


@dataclass
class RunState:
    """What changes from epoch to epoch in one :meth:`SGDTrainer.optimize` call.

    Attributes:
        rng: the trainer's shuffling generator.
        guard: the divergence guard.
        history: the history so far.
        epoch: epochs completed.
        warned: the saturation warning was given.
        split: the permutation that made the validation split, or None.
        settings: the trainer's settings when the run started.
        fingerprint: :func:`data_fingerprint` of the data (empty when not checkpointing).
    """

    rng: np.random.Generator
    guard: DivergenceGuard
    history: History = field(default_factory=History)
    epoch: int = 0
    warned: bool = False
    split: np.ndarray | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    fingerprint: list[Any] = field(default_factory=list)


def trainer_settings(trainer: SGDTrainer) -> dict[str, Any]:
    """The settings a resumed run must share with the checkpointed one (``epochs`` may differ).

    Args:
        trainer: the trainer.

    Returns:
        name -> JSON value (objects by their ``repr``; a schedule without its state).
    """
    schedule = trainer.schedule
    if schedule is not None:
        state = schedule.state_dict()
        config = ", ".join(f"{k}={v}" for k, v in vars(schedule).items() if k not in state)
        schedule = f"{type(schedule).__name__}({config})"
    return {"learning_rate": trainer.learning_rate, "batch_size": trainer.batch_size,
            "flavor": repr(trainer.flavor), "seed": _json_seed(trainer.seed),
            "shuffle": bool(trainer.shuffle),
            "validation_split": trainer.validation_split, "weight_decay": trainer.weight_decay,
            "clip_norm": trainer.clip_norm, "clip_value": trainer.clip_value,
            "schedule": schedule, "early_stopping": repr(trainer.early_stopping)
            if trainer.early_stopping is not None else None}


def _json_seed(seed: Any) -> Any:
    """The seed as JSON: None, an int, or the type of a Generator (whose state the checkpoint keeps)."""
    if seed is None or isinstance(seed, (bool, str)):
        return seed
    return int(seed) if isinstance(seed, numbers.Integral) else type(seed).__name__


def data_fingerprint(train: LabeledData, validation: LabeledData | None) -> list[Any]:
    """``[shape, CRC-32]`` of the data and the targets of each set, None for what is absent.

    Returns:
        Four entries, JSON-ready, in the order of :data:`_DATA_PARTS`.
    """
    parts: list[Any] = []
    for d in (train, validation):
        for a in ((None, None) if d is None else (d.data, d.targets)):
            parts.append(None if a is None else
                         [f"{a.dtype}{list(a.shape)}", f"{zlib.crc32(np.ascontiguousarray(a)):08x}"])
    return parts


_DATA_PARTS = ("training data", "training labels (as targets)", "validation_data's data",
               "validation_data's labels (as targets)")


def _data_differences(saved: list[Any], now: list[Any]) -> list[str]:
    """Each part of two :func:`data_fingerprint` s that differs, in words."""
    lines = []
    for name, a, b in zip(_DATA_PARTS, saved, now):
        if a == b:
            continue
        if a is None or b is None or a[0] != b[0]:
            lines.append(f"{name}: {'none' if a is None else a[0]} in the checkpoint, "
                         f"{'none' if b is None else b[0]} now")
        else:
            lines.append(f"{name}: same shape {a[0]}, other values (checksum {a[1]} in the "
                         f"checkpoint, {b[1]} now)")
    return lines


def _layer_generators(network: Network) -> dict[str, np.random.Generator]:
    """Every random generator a layer keeps as an attribute, as ``"{layer index}.{attribute}"``."""
    return {f"{i}.{name}": value for i, layer in enumerate(network.layers)
            for name, value in vars(layer).items() if isinstance(value, np.random.Generator)}


def _scalars(trainer: SGDTrainer, run: RunState) -> dict[str, float | int]:
    scalars: dict[str, float | int] = {"learning_rate": trainer.learning_rate,
                                       "warned": int(run.warned)}
    scalars.update({f"guard.{k}": v for k, v in run.guard.state_dict().items()})
    if trainer.schedule is not None:
        scalars.update({f"schedule.{k}": v for k, v in trainer.schedule.state_dict().items()})
    if trainer.early_stopping is not None:
        scalars.update({f"early.{k}": v for k, v in trainer.early_stopping.state_dict().items()})
    return scalars


def save_checkpoint(path: str | os.PathLike, trainer: SGDTrainer, network: Network,
                    run: RunState) -> None:
    """Write the run's state after ``run.epoch`` epochs to ``path``, atomically.

    Args:
        path: the checkpoint file (replaced as a whole, or not at all).
        trainer: the trainer (flavor, schedule, early stopping, learning rate).
        network: the network being trained.
        run: the loop's state.
    """
    arrays = {f"net.{k}": a for k, a in network_state(network).items()}
    steps = []
    for i, slots in enumerate(trainer.flavor.state_dict(network.params)):
        steps.append({k: v for k, v in slots.items() if not isinstance(v, np.ndarray)})
        arrays.update({f"flavor.{i}.{k}": v for k, v in slots.items() if isinstance(v, np.ndarray)})
    arrays.update({f"history.{k}": a for k, a in run.history.to_arrays().items()})
    arrays.update({f"scalar.{k}": np.asarray(v) for k, v in _scalars(trainer, run).items()})
    stopper = trainer.early_stopping
    if stopper is not None and stopper.best_state is not None:
        arrays.update({f"best.{k}": a for k, a in stopper.best_state.items()})
    if run.split is not None:
        arrays["split"] = run.split
    meta = {"format": FORMAT, "epoch": run.epoch, "architecture": repr(network),
            "settings": run.settings, "fingerprint": run.fingerprint, "flavor_steps": steps,
            "rng": run.rng.bit_generator.state,
            "layer_rngs": {k: g.bit_generator.state for k, g in _layer_generators(network).items()}}
    save_arrays(path, arrays, meta, compress=False)


def _group(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


class Checkpoint:
    """A checkpoint file, read and checked against a trainer and a network.

    Args:
        path: the file :func:`save_checkpoint` wrote.
        trainer: the trainer that will continue the run.
        network: the network to continue training (built as the saved one).

    Attributes:
        epoch: epochs completed in the file.
        split: the validation split's permutation, or None.
        history: the saved :class:`~framework.history.History`.

    Raises:
        ValueError: not a checkpoint, or written for another architecture or
            other trainer settings; the message names each difference.
    """

    def __init__(self, path: str | os.PathLike, trainer: SGDTrainer, network: Network) -> None:
        self.path = path
        self.arrays, self.meta = load_arrays(path)
        if self.meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a training checkpoint (format "
                             f"{self.meta.get('format')!r}, expected {FORMAT!r})")
        lacking = sorted({"epoch", "architecture", "settings", "fingerprint", "flavor_steps", "rng",
                          "layer_rngs"} - set(self.meta))
        if lacking:
            raise ValueError(f"{path}: damaged checkpoint, its metadata lacks {lacking}")
        if self.meta["architecture"] != repr(network):
            raise ValueError(f"{path}: the checkpoint is of another network architecture:\n"
                             f"  saved: {self.meta['architecture']}\n  this:  {network!r}")
        saved, now = self.meta["settings"], trainer_settings(trainer)
        differ = [f"{k}: checkpoint {saved.get(k)!r}, this trainer {now[k]!r}"
                  for k in now if saved.get(k) != now[k]]
        if differ:
            raise ValueError(f"{path}: the checkpoint was written with other trainer settings "
                             f"(build the trainer as for the saved run; only epochs may "
                             f"differ):\n  " + "\n  ".join(differ))
        self.epoch = int(self.meta["epoch"])
        self.split = self.arrays.get("split")
        self.history = History.from_arrays(_group(self.arrays, "history."))

    def restore(self, trainer: SGDTrainer, network: Network, run: RunState) -> None:
        """Put the saved state into the network, the trainer and ``run``.

        Raises:
            ValueError: the data differ from the saved run's (checksums), or
                the file's arrays do not fit the network.
        """
        if self.meta["fingerprint"] != run.fingerprint:
            raise ValueError(f"{self.path}: the data differ from the checkpointed run's:\n  "
                             + "\n  ".join(_data_differences(self.meta["fingerprint"], run.fingerprint))
                             + "\n(resume with the same data, labels and validation_data)")
        generators = _layer_generators(network)
        if sorted(generators) != sorted(self.meta["layer_rngs"]):
            raise ValueError(f"{self.path}: the layers' random generators differ: saved "
                             f"{sorted(self.meta['layer_rngs'])}, this network {sorted(generators)}")
        load_network_state(self.path, network, _group(self.arrays, "net."), self.meta["architecture"])
        for name, state in self.meta["layer_rngs"].items():
            generators[name].bit_generator.state = state
        params = network.params
        steps = self.meta["flavor_steps"]
        trainer.flavor.load_state_dict(params, [
            {**steps[i], **_group(self.arrays, f"flavor.{i}.")} for i in range(len(steps))])
        scalars = {k: v.item() for k, v in _group(self.arrays, "scalar.").items()}
        trainer.learning_rate = scalars["learning_rate"]
        run.guard.load_state_dict(_group(scalars, "guard."))
        if trainer.schedule is not None:
            trainer.schedule.load_state_dict(_group(scalars, "schedule."))
        stopper = trainer.early_stopping
        if stopper is not None:
            stopper.load_state_dict(_group(scalars, "early."))
            best = _group(self.arrays, "best.")
            stopper.best_state = best or None
        run.rng.bit_generator.state = self.meta["rng"]
        run.history, run.epoch, run.warned = self.history, self.epoch, bool(scalars["warned"])
