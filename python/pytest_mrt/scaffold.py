"""``mrt init``: write conftest.py and tests/test_migrations.py for an Alembic project."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "site-packages"}

CONFTEST = """\
import os

from pytest_mrt import MRTConfig


def pytest_configure(config):
    config._mrt_config = MRTConfig(
        alembic_ini={alembic_ini},
        # A *test* database: pytest-mrt seeds, upgrades and downgrades it. Empty means a
        # temporary SQLite file; override with TEST_DATABASE_URL or --mrt-db-url.
        db_url=os.environ.get("TEST_DATABASE_URL", {db_url}),
    )
"""

TESTS = '''\
"""Migration safety checks (scaffolded by `mrt init`)."""


def test_migration_code_has_no_dangerous_patterns(mrt):
    # Static scan of {versions}: no database needed.
    mrt.assert_no_static_errors()


def test_every_migration_rolls_back_with_its_data(mrt):
    # Seeds rows, upgrades, downgrades and compares schema and data, revision by revision.
    mrt.assert_all_reversible()
'''


class InitError(Exception):
    """Bad input for ``mrt init``: one line, exit code 2."""


def find_alembic_ini(root: Path, max_depth: int = 3) -> Path | None:
    """The shallowest alembic.ini below ``root`` (breadth-first, skipping venvs and VCS dirs)."""
    level = [root]
    for _ in range(max_depth + 1):
        for folder in level:
            candidate = folder / "alembic.ini"
            if candidate.is_file():
                return candidate
        level = [
            child
            for folder in level
            for child in sorted(_subdirs(folder))
            if child.name not in _SKIP_DIRS and not child.name.startswith(".")
        ]
    return None


def _subdirs(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def script_location(alembic_ini: Path) -> Path:
    """The versions folder alembic.ini points at, found as the fixture finds it
    (`runner.versions_folders`): the first of ``version_locations``, else
    ``script_location``/versions."""
    from alembic.script import ScriptDirectory

    from .runner import alembic_config, one_line, versions_folders

    try:
        return versions_folders(ScriptDirectory.from_config(alembic_config(alembic_ini)))[0]
    except Exception as exc:  # Alembic's CommandError, configparser's errors, a bad encoding
        raise InitError(f"{alembic_ini}: cannot read script_location: {one_line(exc)}") from None


def run_init(root: Path, db_url: str | None, force: bool, interactive: bool) -> list[Path]:
    """Write the two files; returns the paths written."""
    ini = find_alembic_ini(root)
    if ini is None:
        raise InitError(f"no alembic.ini found in {root} or below (run mrt init in your project)")
    versions = script_location(ini)
    if db_url is None:
        db_url = ""
        if interactive:
            answer = input("Test database URL (empty: a temporary SQLite file): ").strip()
            db_url = answer
    targets = {
        root / "conftest.py": CONFTEST.format(
            alembic_ini=json.dumps(os.path.relpath(ini, root)), db_url=json.dumps(db_url)
        ),
        root / "tests" / "test_migrations.py": TESTS.format(
            versions=os.path.relpath(versions, root)
        ),
    }
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        names = ", ".join(str(p.relative_to(root)) for p in existing)
        raise InitError(f"{names} already exist(s); nothing written (use --force to overwrite)")
    from .files import write_files

    try:
        for path in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
        # All or nothing: a failed write leaves no half-written conftest.py behind.
        write_files({path: text.encode("utf-8") for path, text in targets.items()})
    except OSError as exc:
        where = exc.filename or root
        raise InitError(f"cannot write {where}: {exc.strerror or exc}") from None
    return list(targets)


def cmd_init(args: argparse.Namespace) -> int:
    """``mrt init``."""
    root = Path(args.dir).resolve()
    try:
        written = run_init(root, args.db_url, args.force, interactive=sys.stdin.isatty())
    except InitError as exc:
        print(f"mrt: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print("next: pytest tests/test_migrations.py -v -s")
    return 0
