"""Crash-safe file writing and pickle-free array archives.

Writing goes to a temporary file in the destination's directory, which is
flushed, fsynced and then moved over the destination with ``os.replace``.
The rename is atomic on POSIX and Windows, so a reader (or a restart after a
crash) sees either the complete old file or the complete new one, never a
half-written checkpoint.

A save killed outright (SIGKILL, power loss) leaves its temporary file,
``.<target>.framework-<host>-<pid>-<random>.tmp``; the next save of the same
target removes it once its process is dead (see :func:`stale_temp_files`).

Array archives are ``.npz`` files with metadata stored as UTF-8 JSON bytes in
a ``uint8`` array. Nothing is pickled, and loading uses
``allow_pickle=False``, so loading a file from an untrusted source cannot
execute code.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import stat
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

METADATA_KEY = "__metadata__"
_TEMP_SUFFIX = ".tmp"
# A temporary file is named ".<target>.framework-<host>-<pid>-<random>.tmp": hidden,
# recognisably ours, and saying which target, machine and process it belongs to,
# so a later save of the same target can tell a killed writer's leftover from a
# live writer's file.
_TEMP_MARK = "framework"
# A leftover of a dead process on this host is removed once it is this old (a
# grace period for a writer in another PID namespace that shares the host name)...
STALE_DEAD_WRITER_SECONDS = 10.0
# ...and any leftover once it has not been written for this long (other hosts
# on a shared file system, reused PIDs, temporary files of older versions).
STALE_ANY_WRITER_SECONDS = 3600.0


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def _temp_prefix(path: Path) -> str:
    # Keep the temp name under the usual 255-byte limit for long target names.
    name = path.name
    if len(name.encode("utf-8")) > 150:
        name = name[:60] + "~" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]
    return f".{name}.{_TEMP_MARK}-"


def _create_temp(path: Path) -> tuple[int, Path]:
    """Create a fresh, exclusively owned temporary file next to ``path``.

    Returns:
        ``(file descriptor, temp path)``.
    """
    prefix = f"{_temp_prefix(path)}{_host()}-{os.getpid()}-"
    while True:
        temp = path.with_name(f"{prefix}{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            # O_EXCL never reuses a stranger's file; mode 0o666 lets the umask
            # decide, as for a normally created file (mkstemp would force 0600).
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
        except FileExistsError:
            continue
        return fd, temp


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate the process on Windows: rely on age there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's live process, or we cannot tell: keep its file
    return True


def stale_temp_files(path: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Temporary files of earlier, interrupted saves of ``path`` that are safe to delete.

    A save killed mid-write (SIGKILL, power loss) cannot remove its temporary
    file. One is stale when its writer, named in the file name, is a dead
    process on this host and it has not been written for
    ``STALE_DEAD_WRITER_SECONDS``, or whoever wrote it, when it has not been
    written for ``STALE_ANY_WRITER_SECONDS``. A live writer's file is never
    listed, nor are files of other targets.

    Args:
        path: the save's destination.
        now: the current time (``time.time()``), for tests.

    Returns:
        The stale temporary files, sorted.
    """
    path = Path(path)
    now = time.time() if now is None else now
    ours = re.compile(re.escape(_temp_prefix(path)) + r"(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)-"
                      r"[0-9a-f]{8}" + re.escape(_TEMP_SUFFIX) + r"\Z")
    # Versions before this naming wrote ".<target>.<8 hex>.tmp".
    legacy = re.compile(re.escape(f".{path.name}.") + r"[0-9a-f]{8}" + re.escape(_TEMP_SUFFIX) + r"\Z")
    stale = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return []
    for candidate in candidates:
        m = ours.match(candidate.name)
        if m is None and legacy.match(candidate.name) is None:
            continue
        try:
            age = now - candidate.lstat().st_mtime
        except OSError:
            continue  # already gone
        if age > STALE_ANY_WRITER_SECONDS:
            stale.append(candidate)
        elif (m is not None and m["host"] == _host() and int(m["pid"]) != os.getpid()
              and age > STALE_DEAD_WRITER_SECONDS and not _pid_alive(int(m["pid"]))):
            stale.append(candidate)
    return sorted(stale)


def _remove_stale_temp_files(path: Path) -> None:
    for stale in stale_temp_files(path):
        # Another process may be cleaning up too, or the directory be read-only
        # for deletion: a leftover is not worth failing the save for.
        with contextlib.suppress(OSError):
            stale.unlink()


def _fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable, where the OS supports it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open directories; its rename is already durable.
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the data itself is synced
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb",
                encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it is replaced only on success.

    Inside the ``with`` block you write to a temporary file in the same
    directory. On normal exit it is flushed, fsynced and renamed over
    ``path`` (keeping an existing file's permission bits). If the block
    raises, the temporary file is removed, ``path`` is untouched and the
    exception propagates.

    Args:
        path: destination file; its directory must exist.
        mode: ``"wb"`` (bytes) or ``"w"`` (text).
        encoding: text encoding for ``mode="w"``; defaults to UTF-8 so files
            do not depend on the platform's locale.

    Returns:
        A context manager yielding the open temporary file.

    Raises:
        ValueError: for any other ``mode``.
        FileNotFoundError: if the directory of ``path`` does not exist.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: expected mode 'wb' or 'w', got {mode!r}")
    path = Path(path)
    # First, so a disk filled by killed saves has room for this one.
    _remove_stale_temp_files(path)
    fd, temp = _create_temp(path)
    try:
        if mode == "w":
            handle = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")
        else:
            handle = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temp, path)
    except BaseException:
        # BaseException too: a Ctrl-C mid-write must not leave temp files behind.
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_open`).

    Args:
        path: destination file; its directory must exist.
        data: the complete new contents.
    """
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def save_arrays(path: str | os.PathLike, arrays: dict[str, np.ndarray],
                metadata: dict[str, Any] | None = None, compress: bool = True) -> None:
    """Save named arrays and JSON metadata to an ``.npz`` file, atomically.

    The file is written exactly at ``path`` (no ``.npz`` suffix is added).

    Args:
        arrays: name -> array; names are non-empty strings other than
            ``"__metadata__"``; no object arrays (they would need pickle).
        metadata: JSON-serialisable dict (hyper-parameters, epoch, ...).
        compress: deflate the members (smaller, slower).

    Raises:
        ValueError: for a bad name or an object array.
        TypeError: if ``metadata`` is not a JSON-serialisable dict.
    """
    members: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or name == METADATA_KEY:
            raise ValueError(f"save_arrays {path}: expected array names that are non-empty "
                             f"strings other than {METADATA_KEY!r}, got {name!r}")
        value = np.asarray(value)
        if value.dtype.hasobject:
            raise ValueError(f"save_arrays {path}: expected numeric arrays, got dtype "
                             f"{value.dtype} for {name!r} (object arrays need pickle)")
        members[name] = value
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save_arrays {path}: expected metadata dict or None, "
                        f"got {type(metadata).__name__}")
    try:
        text = json.dumps(metadata or {}, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"save_arrays {path}: expected JSON-serialisable metadata, "
                        f"got {exc}") from exc
    members[METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    writer = np.savez_compressed if compress else np.savez
    with atomic_open(path, "wb") as handle:
        writer(handle, **members)


def load_arrays(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load an ``.npz`` written by :func:`save_arrays` (or plain ``np.savez``).

    Never unpickles: a file with object arrays is refused, not executed.

    Args:
        path: file to read.

    Returns:
        ``(arrays, metadata)``; ``metadata`` is ``{}`` if the file has none.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the file is not a readable ``.npz`` (truncated,
            corrupt, a single ``.npy``, pickled data, object arrays) or its
            metadata is not a JSON object. The message names the path.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(6)
    # np.load treats anything else as a pickle, and its refusal advises
    # enabling pickles: never the right advice here, so say what the file is not.
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
        raise ValueError(f"{path}: expected an .npz archive, but the file does not start like "
                         f"one (first bytes {head!r}); is it the right file?")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                # Read every member now: corruption inside a member only shows on read.
                arrays = {name: loaded[name] for name in loaded.files}
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: expected a valid .npz archive without pickled data, "
                         f"got an unreadable one: {exc}") from exc
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: expected an .npz archive, got a single .npy array "
                         f"of shape {np.shape(loaded)}")

    raw = arrays.pop(METADATA_KEY, None)
    if raw is None:
        return arrays, {}
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"found a {raw.dtype} array of shape {raw.shape}")
        metadata = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(metadata, dict):
            raise ValueError(f"found JSON of type {type(metadata).__name__}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: expected member {METADATA_KEY!r} to be a 1-D uint8 "
                         f"array holding a UTF-8 JSON object; {exc}") from exc
    return arrays, metadata
