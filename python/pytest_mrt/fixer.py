"""``mrt fix`` and ``mrt explain``: read one migration, let the engine do the work, print.

The downgrade is generated in Rust (``_core.fix_source``) from the scanner's model; this
module only reads the file, prints a unified diff and, with ``--apply``, writes the result.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

_BOM = "\ufeff"


class InputError(Exception):
    """Bad input: printed as one line, exit 2."""


def read_migration(path: Path) -> str:
    """The file's text, byte-exact (line endings kept); bad input is an `InputError`."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a migration file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
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
    """Replace the file's content, or leave it exactly as it was when anything fails."""
    import os
    import shutil
    import tempfile

    target = path.resolve()
    if not os.access(target, os.W_OK):
        raise InputError(f"{path}: cannot write: permission denied")
    tmp = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=".mrt-fix-", suffix=".py", delete=False
        ) as fh:
            tmp = Path(fh.name)
            fh.write(data)
        shutil.copymode(target, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def propose(path: Path) -> tuple[str, str, str, str, int | None]:
    """``(status, old_text, new_text, message, existing_line)`` (see `_core.fix_source`)."""
    from . import _core

    text = read_migration(path)
    bom = text.startswith(_BOM)
    body = text[1:] if bom else text
    try:
        status, new, message, line = _core.fix_source(str(path), body)
    except _core.MRTError as exc:
        raise InputError(str(exc)) from None
    if bom:
        new = _BOM + new
    return status, text, new, message, line


def cmd_fix(args: argparse.Namespace) -> int:
    """``mrt fix <file> [--apply]``: exit 0 proposed/applied/nothing to do, 2 bad input."""
    path: Path = args.file
    try:
        status, old, new, message, line = propose(path)
        if status == "nothing":
            print(f"{path}: {message}")
            return 0
        if status == "replace" and args.apply:
            raise InputError(
                f"{path}: refusing to rewrite: downgrade() at line {line} already has code; "
                "empty or delete it first, or copy the proposal 'mrt fix' prints without --apply"
            )
        sys.stdout.write(unified_diff(old, new, path.as_posix().lstrip("/")))
        sys.stdout.flush()  # the diff before the summary line on stderr
        if args.apply:
            write_atomically(path, new.encode("utf-8"))
            print(f"mrt: wrote {path}: {message}", file=sys.stderr)
        else:
            extra = f" (--apply would refuse: downgrade() at line {line} already has code)"
            extra = extra if status == "replace" else ""
            print(f"mrt: proposed for {path}: {message}{extra}", file=sys.stderr)
    except InputError as exc:
        print(f"mrt: error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """``mrt explain <file>``: exit 0, or 2 for bad input."""
    from . import _core
    from .cli import UsageExit, _project_settings

    path: Path = args.file
    try:
        try:
            # The project's severity_overrides, so the verdict agrees with `mrt check`
            # (read the way `mrt check` reads them: no TOML parser without [tool.mrt]).
            overrides, _skip = _project_settings()
        except UsageExit as exc:
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
