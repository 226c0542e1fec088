"""Get your own copy of a week's exercises.

Usage::

    python -m framework.exercises list
    python -m framework.exercises start week1 mywork/week1

``start`` copies the week's skeleton files and its README into a folder of
your own (it refuses to overwrite a file that exists) and prints how to
test one exercise and how to grade the whole week on that folder.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Sequence, TextIO

from .grading.loader import list_weeks, load_week


def start(week_name: str, target: str | Path) -> list[Path]:
    """Copy ``exercises/<week>/skeleton/*`` and the week's README into ``target``.

    Args:
        week_name: ``week1`` (or the week's folder).
        target: the folder to create or fill.

    Returns:
        The files written.

    Raises:
        FileExistsError: when a file to write exists already (your work is never overwritten).
        FileNotFoundError: for an unknown week.
    """
    week = load_week(week_name)
    target = Path(target)
    sources = sorted(p for p in (week.path / "skeleton").iterdir()
                     if p.is_file() and p.suffix in (".py", ".md", ".json"))
    sources.append(week.path / "README.md")
    clashes = [target / p.name for p in sources if (target / p.name).exists()]
    if clashes:
        raise FileExistsError(f"{clashes[0]} exists already; choose an empty folder "
                              f"(your work is never overwritten)")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        if src.suffix == ".md":
            # The README's links are relative to exercises/weekN; point them at the repository.
            text = src.read_text().replace("](../../", f"]({week.path.parents[1].as_posix()}/")
            (target / src.name).write_text(text.replace("](../", f"]({week.path.parent.as_posix()}/"))
        else:
            shutil.copyfile(src, target / src.name)
        written.append(target / src.name)
    return written


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Command-line entry point."""
    out = stdout or sys.stdout
    p = argparse.ArgumentParser(prog="python -m framework.exercises", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the weeks and their exercises")
    s = sub.add_parser("start", help="copy a week's skeleton files into a folder of your own")
    s.add_argument("week", help="week1, week2, ...")
    s.add_argument("folder", help="where to put your copy")
    args = p.parse_args(argv)
    if args.command == "list":
        for path in list_weeks():
            week = load_week(path)
            print(f"{week.name}:", file=out)
            for ex in week.exercises:
                print(f"  {ex.id:<5} {ex.title:<40} {ex.points:g} points  (marker {ex.marker})",
                      file=out)
        return 0
    try:
        files = start(args.week, args.folder)
    except (FileExistsError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    week = load_week(args.week)
    rel = week.path.relative_to(week.path.parents[1]) if len(week.path.parents) > 1 else week.path
    print(f"copied {len(files)} files to {args.folder}: {', '.join(f.name for f in files)}\n"
          f"read {Path(args.folder) / 'README.md'}, then replace each raise NotImplementedError.\n"
          f"check one exercise:  python -m pytest {rel} --student {args.folder} -m "
          f"{week.exercises[0].marker}\n"
          f"grade the week:      python -m framework.grade {rel} --student {args.folder}",
          file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
