"""``mrt fix`` and ``mrt explain``: read one migration, let the engine do the work, print.

The downgrade is generated in Rust (``_core.fix_source``) from the scanner's model; this
module only reads the file, prints a unified diff and, with ``--apply``, writes the result.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import _core

_BOM = "\ufeff"


class InputError(Exception):
    """Bad input: printed as one line, exit 2."""


def read_migration(path: Path) -> str:
    """The file's text, byte-exact (line endings kept); bad input is an `InputError`."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a migration file")
    from . import _core

    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        # Only a regular file, of a sane size: a FIFO or /dev/zero named *.py never ends.
        data = _core.read_source(path)
    except _core.MRTError as exc:
        raise InputError(str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def unified_diff(old: str, new: str, name: str) -> str:
    """A ``diff -u`` style patch from ``a/<name>`` to ``b/<name>``."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    out = []
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the file's content, or leave it exactly as it was when anything fails; its
    mode, owner and hard links are kept (see `pytest_mrt.files`)."""
    from .files import write_atomically as write

    try:
        write(path, data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def propose(path: Path) -> tuple[str, str, _core.FixOutcome]:
    """The file's text, the proposed text (its byte-order mark kept) and what
    `_core.fix_source` says of it."""
    from . import _core

    text = read_migration(path)
    bom = text.startswith(_BOM)
    try:
        fix = _core.fix_source(str(path), text[1:] if bom else text)
    except _core.MRTError as exc:
        raise InputError(str(exc)) from None
    return text, (_BOM if bom else "") + fix.new_source, fix


def cmd_fix(args: argparse.Namespace) -> int:
    """``mrt fix <file> [--apply]``: exit 0 proposed/applied/nothing to do, 2 bad input. A
    downgrade() that already has code is never rewritten nor proposed for removal."""
    path: Path = args.file
    try:
        old, new, fix = propose(path)
        if fix.status == "nothing":
            print(f"{path}: {fix.message}")
            return 0
        if fix.status == "replace":
            # Working code is never proposed for removal: say what would be added, if anything.
            sys.stdout.write(_compare_with_existing(path, old, new, fix.existing_line or 1))
            return 0
        sys.stdout.write(unified_diff(old, new, path.as_posix().lstrip("/")))
        sys.stdout.flush()  # the diff before the summary line on stderr
        if args.apply:
            write_atomically(path, new.encode("utf-8"))
            print(f"mrt: wrote {path}: {fix.message}", file=sys.stderr)
        else:
            print(f"mrt: proposed for {path}: {fix.message}", file=sys.stderr)
    except InputError as exc:
        print(f"mrt: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _compare_with_existing(path: Path, old: str, new: str, line: int) -> str:
    """The answer when downgrade() already has code: it stays; list only what is missing."""
    from . import _core

    missing = _core.missing_lines(old, new, line)
    code = [part for part in missing if not part.strip().startswith("#")]
    head = (
        f"{path}: downgrade() at line {line} already has code; mrt fix never rewrites it "
        "(it only fills a missing or empty downgrade())."
    )
    if not missing:
        return f"{head} Nothing to add: it already holds every step mrt fix would write.\n"
    if not code:
        notes = "\n".join(missing)
        return f"{head} Nothing to add; mrt fix would only note:\n{notes}\n"
    lines = "\n".join(missing)
    return (
        f"{head}\nSteps mrt fix would write that this downgrade() does not have "
        f"(compare and add what applies):\n{lines}\n"
    )


def cmd_explain(args: argparse.Namespace) -> int:
    """``mrt explain <file>``: exit 0, or 2 for bad input."""
    import os

    from . import _core

    path: Path = args.file
    try:
        try:
            # The project's severity_overrides, so the verdict agrees with `mrt check`.
            overrides = _core.project_settings(os.getcwd()).overrides
        except _core.MRTError as exc:
            raise InputError(str(exc)) from None
        text = read_migration(path)
        if text.startswith(_BOM):
            text = text[1:]
        try:
            sys.stdout.write(_core.explain_source(str(path), text, overrides))
        except _core.MRTError as exc:
            raise InputError(str(exc)) from None
    except InputError as exc:
        print(f"mrt: error: {exc}", file=sys.stderr)
        return 2
    return 0
