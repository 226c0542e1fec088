"""``python -m framework.worksheet``: worksheets and exams for hand computation.

Worksheets::

    python -m framework.worksheet                          # the running example, Markdown
    python -m framework.worksheet --format latex           # ... as a LaTeX document
    python -m framework.worksheet --block conv --stride 2 --padding 1
    python -m framework.worksheet --config my_slides.json  # your own numbers

Exams::

    python -m framework.worksheet --exam --seed 7                      # questions with blanks
    python -m framework.worksheet --exam --seed 7 --key                # the answer key
    python -m framework.worksheet --exam --seed 7 --answers-template answers.json
    python -m framework.worksheet --check answers.json                 # grade (seed from the file)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .blocks import conv_worksheet, pool_worksheet
from .check import check_file
from .config import load_config
from .exam import BLOCKS, answers_template, draw_exam, parse_blocks
from .examples import (CONV_BIAS, IMAGE, KERNEL, LSTM_BIAS, LSTM_DELTA_H, LSTM_U, LSTM_W, LSTM_X,
                       POOL_DELTA, POOL_IMAGE, running_example)
from .lstm import lstm_worksheet
from .model import Worksheet, combine


def parser() -> argparse.ArgumentParser:
    """The command's options (``--help`` lists them)."""
    p = argparse.ArgumentParser(
        prog="python -m framework.worksheet",
        description="Every value, delta and gradient of a small example, computed by the "
                    "framework's layers in float64, in the lecture's notation; and exams with "
                    "answer keys and a checker.")
    w = p.add_argument_group("worksheets")
    w.add_argument("--block", choices=["running", "conv", "pool", "lstm", "all"], default="running",
                   help="which built-in example (default: the lecture's running example)")
    w.add_argument("--config", metavar="FILE", help="a JSON file with your own network or block "
                   "(format: docs/worksheets.md)")
    w.add_argument("--lr", type=float, default=0.5, help="learning rate η of the built-in examples' SGD step (0.5; a --config file sets its own)")
    w.add_argument("--stride", type=int, default=1, help="stride of the conv block (1)")
    w.add_argument("--padding", type=int, default=0, help="zero padding of the conv block (0)")
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=["markdown", "latex"], default="markdown")
    out.add_argument("--digits", type=int, default=4, help="decimals printed (4)")
    out.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of printing")
    e = p.add_argument_group("exams")
    e.add_argument("--exam", action="store_true", help="draw an exam: questions with blanks")
    e.add_argument("--seed", type=int, help="the exam's seed (the same seed, the same exam)")
    e.add_argument("--blocks", default=",".join(BLOCKS),
                   help=f"the exam's blocks, a subset of {','.join(BLOCKS)} (default: all)")
    e.add_argument("--key", action="store_true", help="print the exam's answer key instead")
    e.add_argument("--answers-template", metavar="FILE",
                   help="write the answers file (JSON, every blank null) for the student")
    e.add_argument("--check", metavar="FILE", help="grade a filled-in answers file")
    return p


def _builtin(args: argparse.Namespace) -> Worksheet:
    blocks = {
        "running": lambda: running_example(args.lr),
        "conv": lambda: conv_worksheet(IMAGE, KERNEL, CONV_BIAS, args.stride, args.padding,
                                       learning_rate=args.lr),
        "pool": lambda: pool_worksheet(POOL_IMAGE, POOL_DELTA),
        "lstm": lambda: lstm_worksheet(LSTM_X, LSTM_U, LSTM_W, LSTM_BIAS, LSTM_DELTA_H,
                                       learning_rate=args.lr),
    }
    if args.block != "all":
        return blocks[args.block]()
    return combine("Worksheets", [blocks[b]() for b in ("running", "conv", "pool", "lstm")])


def _emit(text: str, args: argparse.Namespace) -> None:
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)


def run(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (1 when a checked answers file is not all right)."""
    args = parser().parse_args(argv)
    if args.digits < 0 or args.digits > 12:
        raise ValueError(f"--digits must be between 0 and 12, got {args.digits}")
    if args.check:
        report = check_file(args.check, args.seed)
        _emit(report.text(), args)
        return 0 if report.all_right else 1
    exam = args.exam or args.key or args.answers_template
    if exam:
        if args.seed is None:
            raise ValueError("an exam needs --seed N (the same seed gives the same exam)")
        blocks = parse_blocks(args.blocks)
        if args.answers_template:
            Path(args.answers_template).write_text(answers_template(args.seed, blocks), encoding="utf-8")
            print(f"wrote {args.answers_template}: fill in every null, then run "
                  f"python -m framework.worksheet --check {args.answers_template}")
            if not (args.exam or args.key):
                return 0
        sheet = draw_exam(args.seed, blocks)
        if args.key:
            sheet.title = f"Answer key, seed {args.seed}"
        blanks = not args.key
    else:
        sheet = load_config(args.config) if args.config else _builtin(args)
        blanks = False
    render = sheet.to_latex if args.format == "latex" else sheet.to_markdown
    _emit(render(digits=args.digits, blanks=blanks), args)
    return 0


def main(argv: list[str] | None = None) -> int:
    """:func:`run`, with errors a user can fix printed as one line (exit code 2)."""
    try:
        return run(argv)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
