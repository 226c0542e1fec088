"""Tests for atomic writing and pickle-free array archives."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from framework.io import (atomic_open, atomic_write_bytes, load_arrays, save_arrays,
                          stale_temp_files)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_round_trip_with_metadata(tmp_path):
    path = tmp_path / "model.npz"
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3, order="F"),
              "b": np.array([1, -2], dtype=np.int64),
              "scalar": np.float64(3.5)}
    metadata = {"epoch": 7, "lr": 0.01, "layers": ["dense", "relu"], "name": "mlp ü"}
    save_arrays(path, arrays, metadata)
    loaded, meta = load_arrays(path)
    assert meta == metadata
    assert sorted(loaded) == ["b", "scalar", "w"]
    for name, value in arrays.items():
        assert loaded[name].dtype == np.asarray(value).dtype
        assert np.array_equal(loaded[name], value)
    assert loaded["w"][1, 2] == 5.0  # column-major input still round-trips by index
    assert _leftovers(tmp_path) == []


def test_exact_path_and_no_metadata(tmp_path):
    path = tmp_path / "weights.bin"  # no .npz suffix may be appended
    save_arrays(path, {"a": np.ones(2)}, compress=False)
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    arrays, meta = load_arrays(path)
    assert meta == {} and arrays["a"].tolist() == [1.0, 1.0]


def test_plain_numpy_npz_without_metadata_loads(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, x=np.arange(3))
    arrays, meta = load_arrays(path)
    assert meta == {} and arrays["x"].tolist() == [0, 1, 2]


def test_atomic_write_replaces_contents(tmp_path):
    path = tmp_path / "f.txt"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    with atomic_open(path, "w") as handle:
        handle.write("text ü\n")
    assert path.read_bytes() == "text ü\n".encode("utf-8")
    assert _leftovers(tmp_path) == []


def test_failure_inside_block_keeps_old_file_and_removes_temp(tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(b"old checkpoint")
    with pytest.raises(RuntimeError, match="crash mid-write"):
        with atomic_open(path) as handle:
            handle.write(b"half of the new")
            # The partial data really is on disk next to the target...
            assert _leftovers(tmp_path) != []
            raise RuntimeError("crash mid-write")
    assert path.read_bytes() == b"old checkpoint"
    assert _leftovers(tmp_path) == []


def test_failing_save_keeps_old_archive(tmp_path):
    path = tmp_path / "m.npz"
    save_arrays(path, {"a": np.zeros(3)}, {"v": 1})
    with pytest.raises(TypeError, match="JSON-serialisable metadata"):
        save_arrays(path, {"a": np.ones(3)}, {"v": object()})
    arrays, meta = load_arrays(path)
    assert meta == {"v": 1} and arrays["a"].tolist() == [0.0, 0.0, 0.0]
    assert _leftovers(tmp_path) == []


def test_keeps_existing_permission_bits(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    os.chmod(path, 0o640)
    atomic_write_bytes(path, b"y")
    if os.name == "posix":
        assert (os.stat(path).st_mode & 0o777) == 0o640


def test_missing_directory_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "no" / "f", b"x")


def test_truncated_file_raises_value_error_naming_path(tmp_path):
    path = tmp_path / "m.npz"
    save_arrays(path, {"a": np.arange(1000.0)}, {"epoch": 1})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="expected a valid .npz archive") as info:
        load_arrays(path)
    assert str(path) in str(info.value)


def test_corrupt_member_raises_value_error(tmp_path):
    path = tmp_path / "m.npz"
    save_arrays(path, {"a": np.arange(1000.0)}, compress=False)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the stored array: the CRC check must catch it
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=str(path).replace("\\", "\\\\")):
        load_arrays(path)


@pytest.mark.parametrize("content", [b"", b"not an archive at all"])
def test_garbage_file_raises_value_error(tmp_path, content):
    path = tmp_path / "g.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        load_arrays(path)
    assert str(path) in str(info.value)


def test_object_array_is_refused_on_load(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, ok=np.zeros(2), bad=np.array([{"a": 1}, None], dtype=object))
    with zipfile.ZipFile(path) as archive:  # the file really holds a pickle
        assert "bad.npy" in archive.namelist()
    with pytest.raises(ValueError, match="allow_pickle=False") as info:
        load_arrays(path)
    assert str(path) in str(info.value)


def test_object_array_is_refused_on_save(tmp_path):
    with pytest.raises(ValueError, match="expected numeric arrays, got dtype object"):
        save_arrays(tmp_path / "x.npz", {"bad": np.array([None, 1], dtype=object)})
    assert not (tmp_path / "x.npz").exists()


def test_single_npy_is_refused(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match="expected an .npz archive, got a single .npy array"):
        load_arrays(path)


def test_bad_metadata_member_raises(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, __metadata__=np.frombuffer(b"[1, 2]", dtype=np.uint8))
    with pytest.raises(ValueError, match="JSON object; found JSON of type list"):
        load_arrays(path)


def test_reserved_name_refused(tmp_path):
    with pytest.raises(ValueError, match="other than '__metadata__'"):
        save_arrays(tmp_path / "m.npz", {"__metadata__": np.zeros(1)})


# -- temporary files of killed saves ------------------------------------------------------

def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _leftover(folder, name, age):
    path = folder / name
    path.write_bytes(b"half a checkpoint")
    t = time.time() - age
    os.utime(path, (t, t))
    return path


def test_temp_file_names_the_framework_target_host_and_pid(tmp_path):
    with atomic_open(tmp_path / "checkpoint.npz") as handle:
        handle.write(b"x")
        (name,) = _leftovers(tmp_path)
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]
    assert name == f".checkpoint.npz.framework-{host}-{os.getpid()}-{name[-12:-4]}.tmp"
    assert re.fullmatch(r"[0-9a-f]{8}", name[-12:-4])


@pytest.mark.skipif(os.name == "nt", reason="PIDs are not checked on Windows, only the age")
def test_next_save_removes_stale_temp_files_of_the_same_target_only(tmp_path):
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]
    dead, alive = _dead_pid(), os.getppid()
    target = tmp_path / "m.npz"
    killed = _leftover(tmp_path, f".m.npz.framework-{host}-{dead}-0123abcd.tmp", age=60)
    ancient = _leftover(tmp_path, f".m.npz.framework-otherhost-{alive}-0123abcd.tmp", age=7200)
    legacy_old = _leftover(tmp_path, ".m.npz.89abcdef.tmp", age=7200)
    keep = [
        _leftover(tmp_path, f".m.npz.framework-{host}-{dead}-00000000.tmp", age=1),  # may be in a fresh write
        _leftover(tmp_path, f".m.npz.framework-{host}-{alive}-11111111.tmp", age=60),  # a live writer
        _leftover(tmp_path, f".m.npz.framework-otherhost-{dead}-22222222.tmp", age=60),  # cannot check the PID
        _leftover(tmp_path, ".m.npz.33333333.tmp", age=60),  # an older version's, recent
        _leftover(tmp_path, f".other.npz.framework-{host}-{dead}-44444444.tmp", age=7200),  # another target
        _leftover(tmp_path, f".m.npz.framework-{host}-{dead}-55555555.tmp.bak", age=7200),  # not ours
        _leftover(tmp_path, "notes.tmp", age=7200),
    ]
    assert stale_temp_files(target) == sorted([killed, ancient, legacy_old])
    save_arrays(target, {"a": np.arange(3)})
    assert not killed.exists() and not ancient.exists() and not legacy_old.exists()
    assert all(p.exists() for p in keep)
    assert load_arrays(target)[0]["a"].tolist() == [0, 1, 2]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this platform")
def test_a_save_killed_mid_write_is_cleaned_up_by_the_next_save(tmp_path):
    target = tmp_path / "m.npz"
    save_arrays(target, {"a": np.zeros(2)})
    code = ("import os, signal, sys\n"
            "from framework.io import atomic_open\n"
            "with atomic_open(sys.argv[1]) as f:\n"
            "    f.write(b'half'); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(target)],
                             cwd=Path(__file__).resolve().parents[1])
    assert child.wait() == -signal.SIGKILL
    (left,) = _leftovers(tmp_path)
    assert f"-{child.pid}-" in left
    past = time.time() - 60  # past the grace period for a dead writer
    os.utime(tmp_path / left, (past, past))
    save_arrays(target, {"a": np.ones(2)})
    assert _leftovers(tmp_path) == []
    assert load_arrays(target)[0]["a"].tolist() == [1.0, 1.0]
