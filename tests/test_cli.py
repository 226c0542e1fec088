"""framework.cli: what every trainer script shares (errors as one line, early checks)."""
import argparse

import pytest

from framework.cli import add_training_options, main_for, parse


def make_parser():
    p = argparse.ArgumentParser(prog="train")
    add_training_options(p, epochs=3, batch_size=8, lr=0.1)
    return p


def test_defaults_and_backend_choice():
    from framework import backend
    before = backend.get_backend()
    try:
        args = parse(make_parser(), ["--backend", "numpy"])
        assert (args.epochs, args.batch_size, args.lr, args.flavor) == (3, 8, 0.1, "adam")
        assert backend.get_backend() == "numpy"
    finally:
        backend.set_backend(before)  # the choice outlives the test otherwise (every later test on NumPy)


def test_save_into_a_missing_folder_fails_before_training(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        parse(make_parser(), ["--save", str(tmp_path / "nope" / "m.npz")])
    assert info.value.code == 2
    assert "does not exist" in capsys.readouterr().err


def test_main_turns_user_errors_into_one_line(capsys):
    def run(argv):
        raise ValueError("m.npz: expected an .npz archive")
    assert main_for(run)([]) == 2
    assert capsys.readouterr().err == "error: m.npz: expected an .npz archive\n"
